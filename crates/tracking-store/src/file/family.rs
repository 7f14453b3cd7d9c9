//! [`FileStore`]'s family data: the state, loaded from the snapshot and the journal, and the
//! turns that keep a command's check valid until its journal line is durable.

use std::io;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tracking_model::ChildId;

use super::journal::Journal;
use super::lines::ReadOutcome;
use super::{Durability, FileStore, OpenError, snapshot};
use crate::state::{Command, FamilyState, StateStore, Turn};
use crate::{FamilyError, KeyedGuard, KeyedLock};

/// The family state, its journal, and the locks that order commands.
#[derive(Debug)]
pub(crate) struct Family {
    state: Arc<Mutex<FamilyState>>,
    journal: Journal,
    /// Shared by tracked actions, exclusive for creating and deleting records, so that an action
    /// never races with the deletion of what it acts on.
    structure: RwLock<()>,
    /// One tracked action per child at a time.
    children: KeyedLock<ChildId>,
}

/// The locks a command holds from its check until its change is applied.
struct Held<'a> {
    _shared: Option<RwLockReadGuard<'a, ()>>,
    _exclusive: Option<RwLockWriteGuard<'a, ()>>,
    _child: Option<KeyedGuard<'a, ChildId>>,
}

impl Family {
    /// Loads the snapshot, replays the journal after it, and starts the journal's writer.
    pub(crate) fn open(
        dir: &Path,
        durability: Durability,
        compact_after: u64,
    ) -> Result<(Self, ReadOutcome), OpenError> {
        let (state, last_seq) = snapshot::read(dir)?;
        let state = Arc::new(Mutex::new(state));
        let (journal, outcome) = Journal::open(dir, &state, last_seq, durability, compact_after)?;
        let family = Self {
            state,
            journal,
            structure: RwLock::new(()),
            children: KeyedLock::new(),
        };
        Ok((family, outcome))
    }

    /// Syncs the journal and refuses every later change.
    pub(crate) fn close(&self) -> io::Result<()> {
        self.journal.close()
    }

    /// Starts numbering each family's events after every number the state holds; call it once
    /// the state knows every stored number (the history's too).
    pub(crate) fn start_numbering(&self) {
        let numbers = self.state().family_sequences();
        self.journal.start_numbering(numbers);
    }

    /// Locks the state for a read or a check; never held across an await.
    pub(crate) fn state(&self) -> MutexGuard<'_, FamilyState> {
        self.state.lock()
    }

    /// Waits for the command's turn.
    async fn turn(&self, turn: Turn) -> Held<'_> {
        let mut held = Held {
            _shared: None,
            _exclusive: None,
            _child: None,
        };
        match turn {
            Turn::Structure => held._exclusive = Some(self.structure.write().await),
            Turn::Child(child) => {
                held._shared = Some(self.structure.read().await);
                held._child = Some(self.children.lock(child).await);
            }
            Turn::Any => {}
        }
        held
    }
}

/// The family state plus its journal: a change is checked, written, and applied once durable.
#[async_trait]
impl StateStore for FileStore {
    fn read<R>(&self, read: impl FnOnce(&FamilyState) -> R) -> R {
        read(&self.family.state())
    }

    async fn commit<C: Command>(&self, command: C) -> Result<C::Answer, FamilyError> {
        let _turn = self.family.turn(command.turn()).await;
        let (change, mut answer) = command.check(&self.family.state())?;
        if let Some(change) = change
            && let Some(number) = self.family.journal.write(change).await?
        {
            C::numbered(&mut answer, number);
        }
        Ok(answer)
    }
}
