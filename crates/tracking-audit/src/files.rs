//! The names of a user's audit files and the file-system work around them.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tracking_model::UserId;

use crate::AuditError;

/// The name of the live file of `user`: `tracking_user_<user_id>.log`.
pub fn file_name(user: UserId) -> String {
    format!("tracking_user_{user}.log")
}

/// The log4rs pattern of the rolled files of `user`, `{}` standing for 1 to N.
pub(crate) fn rolled_pattern(dir: &Path, user: UserId) -> PathBuf {
    dir.join(format!("{}.{{}}", file_name(user)))
}

/// Whether `name` is the live file of `user` or one of its rolled files.
pub(crate) fn belongs_to(name: &str, user: UserId) -> bool {
    let live = file_name(user);
    name.strip_prefix(&live)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Creates `dir` and its parents when missing.
pub(crate) fn create_dir(dir: &Path) -> Result<(), AuditError> {
    crate::private::create_dir_all(dir).map_err(|source| AuditError::CreateDir {
        path: dir.to_owned(),
        source,
    })
}

/// Ends a file that stops inside a line (after a crash or a full disk) with a newline, so that
/// the torn line stays on its own and the next line parses.
pub(crate) fn end_torn_line(path: &Path) -> Result<(), AuditError> {
    let open_error = |source| AuditError::Open {
        path: path.to_owned(),
        source,
    };
    let mut file = match OpenOptions::new().read(true).append(true).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(open_error(err)),
    };
    let len = file.metadata().map_err(open_error)?.len();
    if len == 0 {
        return Ok(());
    }
    let mut last = [0_u8; 1];
    file.seek(SeekFrom::Start(len - 1))
        .and_then(|_| file.read_exact(&mut last))
        .map_err(open_error)?;
    if last[0] != b'\n' {
        file.write_all(b"\n").map_err(|source| AuditError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(())
}

/// Removes every file of `user` in `dir`, the live one and all rolled ones.
pub(crate) fn remove_all(dir: &Path, user: UserId) -> Result<(), AuditError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(AuditError::ReadDir {
                path: dir.to_owned(),
                source,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(|source| AuditError::ReadDir {
            path: dir.to_owned(),
            source,
        })?;
        let matches = entry
            .file_name()
            .to_str()
            .is_some_and(|name| belongs_to(name, user));
        if !matches {
            continue;
        }
        let path = entry.path();
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(AuditError::Remove { path, source }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_live_and_rolled_files_of_one_user_only() {
        let user: UserId = "01JKZ8M1C2D3E4F5G6H7J8K9MN".parse().unwrap();
        let other: UserId = "01JKZ8M1C2D3E4F5G6H7J8K9MP".parse().unwrap();
        let live = "tracking_user_01JKZ8M1C2D3E4F5G6H7J8K9MN.log";
        assert_eq!(file_name(user), live);
        assert!(belongs_to(live, user));
        assert!(belongs_to(&format!("{live}.1"), user));
        assert!(belongs_to(&format!("{live}.12"), user));
        assert!(!belongs_to(live, other));
        assert!(!belongs_to(&format!("{live}x"), user));
        assert!(!belongs_to(
            "tracking_user_01JKZ8M1C2D3E4F5G6H7J8K9MN.lo",
            user
        ));
    }

    #[test]
    fn ends_a_torn_line_and_leaves_whole_lines_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        end_torn_line(&path).unwrap();
        assert!(!path.exists());
        fs::write(&path, "{\"a\":1}\n").unwrap();
        end_torn_line(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        fs::write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        end_torn_line(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}\n{\"b\":\n");
    }
}
