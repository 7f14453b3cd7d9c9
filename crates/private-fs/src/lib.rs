//! Files and directories for the process's user alone: files are created `0600`, directories
//! `0700`, and a stricter umask narrows them further (the mode is given at creation, never
//! widened). The file store and the audit log both keep their files this way.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Options whose `create` makes a file only its owner can read and write.
pub fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    options.mode(0o600);
    options
}

/// Creates `dir` and its missing parents, only their owner can enter.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_their_owners_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        open_options().write(true).create(true).open(&file).unwrap();

        for path in [root.path().join("a"), dir] {
            assert_eq!(mode(&path) & 0o077, 0, "{}", path.display());
            assert_eq!(mode(&path) & 0o700, 0o700, "{}", path.display());
        }
        assert_eq!(mode(&file) & 0o077, 0);
        assert_eq!(mode(&file) & 0o600, 0o600);
    }

    #[test]
    fn an_existing_directory_is_no_error() {
        let root = tempfile::tempdir().unwrap();
        create_dir_all(root.path()).unwrap();
    }
}
