//! Reads a JSON Lines file back on open: a torn last line is cut off and reported, a damaged
//! line before it stops the open.

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

/// Opens (or creates) a file of lines for reading and appending.
pub(crate) fn open_lines(path: &Path) -> Result<File, OpenError> {
    super::private::open_options()
        .read(true)
        .append(true)
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
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(&io_error)?;
        if read == 0 {
            break;
        }
        number += 1;
        let end = offset + read as u64;
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
    }
    Ok(outcome)
}
