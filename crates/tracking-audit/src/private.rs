//! Audit files for the server's user alone (`private_fs`). log4rs creates the live file itself on
//! the line after a roll, so the roller raises a flag on which the slot creates that file first,
//! privately.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use log4rs::append::rolling_file::policy::compound::roll::Roll;

/// Creates `path` empty, only its owner can read and write it, unless it exists.
pub(crate) fn create_file(path: &Path) -> io::Result<()> {
    private_fs::open_options()
        .append(true)
        .create(true)
        .open(path)
        .map(drop)
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
