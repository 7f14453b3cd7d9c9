//! The operator's credential: from configuration, or generated on the first start and kept as a hash.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use tracking_api::{AdminCredential, hash_token, new_token};
use tracking_store::TokenHash;

use crate::settings::Secret;

/// Shortest admin token accepted from configuration.
const MIN_ADMIN_TOKEN_CHARS: usize = 32;
/// Where the hash of a generated admin token is kept, inside the data dir.
pub const ADMIN_HASH_FILE: &str = "admin_token.sha256";

/// The admin credential, and the token itself when it was generated just now (to print once).
pub fn load_or_generate(
    given: Option<&Secret>,
    data_dir: &Path,
) -> anyhow::Result<(AdminCredential, Option<String>)> {
    if let Some(secret) = given {
        if secret.expose().chars().count() < MIN_ADMIN_TOKEN_CHARS {
            bail!("the admin token must be at least {MIN_ADMIN_TOKEN_CHARS} characters");
        }
        return Ok((
            AdminCredential::from_hash(hash_token(secret.expose())),
            None,
        ));
    }
    let path = data_dir.join(ADMIN_HASH_FILE);
    if path.exists() {
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let hash = TokenHash::from_hex(text.trim())
            .with_context(|| format!("{} holds no SHA-256 hex digest", path.display()))?;
        return Ok((AdminCredential::from_hash(hash), None));
    }
    let token = new_token();
    write_durably(&path, &format!("{}\n", hash_token(&token).to_hex()))?;
    Ok((AdminCredential::from_hash(hash_token(&token)), Some(token)))
}

fn write_durably(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .context("the admin hash file has a directory")?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let temporary = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    fs::rename(&temporary, path)?;
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_keeps_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let (first, token) = load_or_generate(None, dir.path()).unwrap();
        let token = token.expect("a token is generated on the first start");
        assert!(first.matches(&hash_token(&token)));
        let (second, again) = load_or_generate(None, dir.path()).unwrap();
        assert_eq!(again, None);
        assert!(second.matches(&hash_token(&token)));
        assert!(
            !fs::read_to_string(dir.path().join(ADMIN_HASH_FILE))
                .unwrap()
                .contains(&token)
        );
    }

    #[test]
    fn refuses_a_short_given_token() {
        let dir = tempfile::tempdir().unwrap();
        let short: Secret = "short".parse().unwrap();
        assert!(load_or_generate(Some(&short), dir.path()).is_err());
        let long: Secret = "x".repeat(32).parse().unwrap();
        let (credential, printed) = load_or_generate(Some(&long), dir.path()).unwrap();
        assert!(credential.matches(&hash_token(&"x".repeat(32))));
        assert_eq!(printed, None);
    }
}
