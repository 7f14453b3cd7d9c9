//! Audit files for the server's user alone: files are created `0600`, directories `0700`, and a
//! stricter umask narrows them further. log4rs creates the live file itself on the line after a
//! roll, so the roller raises a flag on which the slot creates that file first, privately.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use log4rs::append::rolling_file::policy::compound::roll::Roll;

/// Creates `dir` and its missing parents, only their owner can enter.
pub(crate) fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

/// Creates `path` empty, only its owner can read and write it, unless it exists.
pub(crate) fn create_file(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).map(drop)
}

/// A roller that raises `rolled` once the live file is rolled away.
#[derive(Debug)]
pub(crate) struct FlaggingRoller<R> {
    pub(crate) inner: R,
    pub(crate) rolled: Arc<AtomicBool>,
}

impl<R: Roll> Roll for FlaggingRoller<R> {
    fn roll(&self, file: &Path) -> anyhow::Result<()> {
        self.inner.roll(file)?;
        self.rolled.store(true, Ordering::Relaxed);
        Ok(())
    }
}
