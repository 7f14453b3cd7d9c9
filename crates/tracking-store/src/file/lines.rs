//! The logs' JSON Lines: a line serialized for writing, and a file read back on open (a torn
//! last line is cut off and reported, a damaged line before it stops the open, and the zeros a
//! log preallocated after its lines are cut).

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use super::{OpenError, TornLine};

/// What reading a file found.
#[derive(Debug, Default)]
pub(crate) struct ReadOutcome {
    /// The length of the file after cutting off a torn last line.
    pub(crate) len: u64,
    /// The number of whole lines read.
    pub(crate) lines: u64,
    /// The last line, when it was torn and cut off.
    pub(crate) torn: Option<TornLine>,
}

/// Opens (or creates) a file of lines for reading and writing (at offsets: not in append mode,
/// so that lines overwrite the preallocated zeros).
pub(crate) fn open_lines(path: &Path) -> Result<File, OpenError> {
    private_fs::open_options()
        .read(true)
        .write(true)
        .create(true)
        .open(path)
        .map_err(OpenError::io(path))
}

/// Calls `each(line_number, offset, line)` for every line of `file` (without its newline).
///
/// A last line that lacks its newline, or that `each` refuses, is what a crash in the middle of
/// a write leaves: the file is cut back to the end of the line before it, synced, and the cut is
/// reported. A refused line that is not the last stops the read with [`OpenError::Corrupt`]
/// naming the file and the line (numbered from 1).
///
/// A zero byte never occurs in a line (JSON escapes it), so the first line that holds one is
/// where the written lines end: the zeros a log preallocated, or, after a power loss, a line the
/// disk never got. Every line from there on was written after the last `fdatasync` that
/// completed, so none was acknowledged but through the outbox: the file is cut there, and the cut
/// is reported as torn when anything but zeros is dropped.
pub(crate) fn read_lines(
    file: &mut File,
    path: &Path,
    mut each: impl FnMut(u64, u64, &[u8]) -> Result<(), String>,
) -> Result<ReadOutcome, OpenError> {
    let io_error = OpenError::io(path);
    let file_len = file.metadata().map_err(&io_error)?.len();
    file.seek(SeekFrom::Start(0)).map_err(&io_error)?;
    let mut reader = BufReader::with_capacity(1 << 20, &*file);
    let mut line = Vec::with_capacity(1024);
    let mut offset = 0_u64;
    let mut number = 0_u64;
    let mut torn_reason = None;
    let mut preallocated = false;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(&io_error)?;
        if read == 0 {
            break;
        }
        number += 1;
        let end = offset + read as u64;
        if line.contains(&0) {
            if !only_zeros(&mut reader, &line).map_err(&io_error)? {
                torn_reason = Some("the line holds zero bytes: it never reached the disk".into());
            } else {
                preallocated = true;
            }
            break;
        }
        if line.last() != Some(&b'\n') {
            torn_reason = Some("the line has no final newline".to_owned());
            break;
        }
        if let Err(reason) = each(number, offset, &line[..line.len() - 1]) {
            if end < file_len {
                return Err(OpenError::Corrupt {
                    file: path.to_owned(),
                    line: number,
                    reason,
                });
            }
            torn_reason = Some(reason);
            break;
        }
        offset = end;
    }
    drop(reader);
    let mut outcome = ReadOutcome {
        len: offset,
        lines: number,
        torn: None,
    };
    if let Some(reason) = torn_reason {
        outcome.lines -= 1;
        let torn = TornLine {
            file: path.to_owned(),
            line: number,
            bytes: file_len - offset,
            reason,
        };
        log::warn!("{torn}");
        file.set_len(offset).map_err(&io_error)?;
        file.sync_all().map_err(&io_error)?;
        outcome.torn = Some(torn);
    } else if preallocated {
        outcome.lines -= 1;
        file.set_len(offset).map_err(&io_error)?;
        file.sync_all().map_err(&io_error)?;
    }
    Ok(outcome)
}

/// Whether `line` and everything after it in `reader` is zeros.
fn only_zeros(reader: &mut impl BufRead, line: &[u8]) -> std::io::Result<bool> {
    if line.iter().any(|&byte| byte != 0) {
        return Ok(false);
    }
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(true);
        }
        if chunk.iter().any(|&byte| byte != 0) {
            return Ok(false);
        }
        let read = chunk.len();
        reader.consume(read);
    }
}

/// Room for one line as most are (400–600 bytes of JSON): one allocation, where serde_json's
/// own buffer would start at 128 bytes and grow three times.
const LINE_CAPACITY: usize = 1024;

/// `value` as one line of JSON, its newline included.
pub(crate) fn json_line(value: &impl serde::Serialize) -> serde_json::Result<Vec<u8>> {
    let mut line = Vec::with_capacity(LINE_CAPACITY);
    serde_json::to_writer(&mut line, value)?;
    line.push(b'\n');
    Ok(line)
}
