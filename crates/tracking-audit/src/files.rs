//! The names of a user's audit files and the file-system work around them.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use tracking_model::UserId;

use crate::{AuditError, FileOperation};

/// The file whose lock the directory's writer holds (`AuditLog::try_claim`); it stays empty.
pub(crate) const WRITER_LOCK: &str = "audit-writer.lock";

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
    private_fs::create_dir_all(dir).map_err(AuditError::file(FileOperation::CreateDir, dir))
}

/// The path of rolled file number `n` of `user`: `tracking_user_<user_id>.log.<n>`.
pub(crate) fn rolled_path(dir: &Path, user: UserId, n: u32) -> PathBuf {
    dir.join(format!("{}.{n}", file_name(user)))
}

/// Cuts off a last line that a crash or a full disk left without its newline, so that the file
/// ends with a whole line (or is empty) and the line is written again whole.
pub(crate) fn cut_torn_line(path: &Path) -> Result<(), AuditError> {
    let open_error = AuditError::file(FileOperation::Open, path);
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(open_error(err)),
    };
    let len = file.metadata().map_err(open_error)?.len();
    if len == 0 || byte_at(&file, len - 1).map_err(open_error)? == b'\n' {
        return Ok(());
    }
    let keep = match last_newline_before(&file, len).map_err(open_error)? {
        Some(newline) => newline + 1,
        None => 0,
    };
    file.set_len(keep)
        .map_err(AuditError::file(FileOperation::Write, path))
}

/// The last whole line of the file at `path` (without its newline), if it has one; a missing
/// file has none. Reads only the tail.
pub(crate) fn last_line(path: &Path) -> Result<Option<Vec<u8>>, AuditError> {
    let open_error = AuditError::file(FileOperation::Open, path);
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(open_error(err)),
    };
    let len = file.metadata().map_err(open_error)?.len();
    let Some(end) = last_newline_before(&file, len).map_err(open_error)? else {
        return Ok(None);
    };
    let start = last_newline_before(&file, end)
        .map_err(open_error)?
        .map_or(0, |newline| newline + 1);
    let mut line = vec![0_u8; (end - start) as usize];
    file.read_exact_at(&mut line, start).map_err(open_error)?;
    Ok(Some(line))
}

fn byte_at(file: &File, offset: u64) -> io::Result<u8> {
    let mut byte = [0_u8; 1];
    file.read_exact_at(&mut byte, offset)?;
    Ok(byte[0])
}

/// The offset of the last newline in the first `end` bytes of `file`, reading backwards.
fn last_newline_before(file: &File, end: u64) -> io::Result<Option<u64>> {
    const CHUNK: u64 = 8 * 1024;
    let mut chunk_end = end;
    let mut buffer = vec![0_u8; CHUNK as usize];
    while chunk_end > 0 {
        let chunk_start = chunk_end.saturating_sub(CHUNK);
        let part = &mut buffer[..(chunk_end - chunk_start) as usize];
        file.read_exact_at(part, chunk_start)?;
        if let Some(at) = part.iter().rposition(|&byte| byte == b'\n') {
            return Ok(Some(chunk_start + at as u64));
        }
        chunk_end = chunk_start;
    }
    Ok(None)
}

/// Removes every file of `user` in `dir`, the live one and all rolled ones.
pub(crate) fn remove_all(dir: &Path, user: UserId) -> Result<(), AuditError> {
    let read_error = AuditError::file(FileOperation::ReadDir, dir);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(read_error(err)),
    };
    for entry in entries {
        let entry = entry.map_err(read_error)?;
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
            Err(source) => {
                return Err(AuditError::File {
                    operation: FileOperation::Remove,
                    path,
                    source,
                });
            }
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
    fn cuts_a_torn_line_and_leaves_whole_lines_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        cut_torn_line(&path).unwrap();
        assert!(!path.exists());
        fs::write(&path, "{\"a\":1}\n").unwrap();
        cut_torn_line(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        fs::write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        cut_torn_line(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        fs::write(&path, "{\"b\":").unwrap();
        cut_torn_line(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn reads_the_last_whole_line_of_a_long_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        assert_eq!(last_line(&path).unwrap(), None);
        fs::write(&path, "").unwrap();
        assert_eq!(last_line(&path).unwrap(), None);
        let long = "x".repeat(20_000);
        fs::write(&path, format!("first\n{long}\n")).unwrap();
        assert_eq!(last_line(&path).unwrap(), Some(long.clone().into_bytes()));
        fs::write(&path, format!("{long}\nlast\ntorn")).unwrap();
        assert_eq!(last_line(&path).unwrap(), Some(b"last".to_vec()));
        fs::write(&path, "only\n").unwrap();
        assert_eq!(last_line(&path).unwrap(), Some(b"only".to_vec()));
    }
}
