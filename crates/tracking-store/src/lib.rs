//! Storage for the family data and the tracking history: repository traits and their implementations.
//!
//! [`FamilyRepository`] holds users, children, tasks, rewards and reward requests, and applies the
//! four tracked mutations atomically per child, committing each effect together with its tracking
//! event (the outbox). [`TrackingRepository`] is the append-only history those events move to.
//! [`FileStore`] implements both durably in one data directory of JSON Lines files;
//! [`MemoryStore`] implements both in memory, for tests and embedders. With the cargo feature
//! `postgres`, `PostgresStore` implements both in one PostgreSQL database that many servers share.
//!
//! Both stores keep the family data as one `state::FamilyState`, where every rule of the family
//! data lives: a request is checked against the state and becomes a `state::Change`, which the
//! state applies. `MemoryStore` is that state alone; `FileStore` writes each change to its journal
//! first (`file::journal`, over `file::snapshot`) and applies it once durable. Either implements
//! [`FamilyRepository`] through the one implementation in `state::repository`.

mod census;
mod error;
mod family;
mod feed;
mod file;
mod history;
mod idempotency;
mod keyed_lock;
mod memory;
mod memory_history;
mod metrics;
#[cfg(feature = "postgres")]
mod postgres;
mod running;
mod state;
mod tickets;
mod token;
#[cfg(feature = "postgres")]
mod transfer;

pub use census::{Census, ChildToken, Credentials, census, history_checksum};
pub use error::{FamilyError, FeedError, HistoryError};
pub use family::{ActionTarget, Applied, ChildAction, Created, FamilyRepository, TokenHolder};
pub use feed::{SequenceRead, family_events_after};
pub use file::{
    Durability, FileStore, FileStoreOptions, HISTORY_FILE, HistorySize, JOURNAL_FILE, LOCK_FILE,
    OpenError, OpenReport, SNAPSHOT_FILE, TornLine,
};
pub use history::{Appended, OrderKey, TrackingRepository};
pub use idempotency::{
    IdempotencyKey, KEY_LIFETIME_MILLIS, KeyRecord, Keyed, Keying, RenderAnswer, StoredAnswer,
};
pub use keyed_lock::{KeyedGuard, KeyedLock};
pub use memory::MemoryStore;
pub use metrics::{COMMIT_SECONDS, GROUP_COMMIT_SIZE, SYNC_SECONDS, describe_metrics};
#[cfg(feature = "postgres")]
pub use postgres::{
    CommitListener, CommitNotice, ConnectError, ImportError, PostgresOptions, PostgresStore,
    WriterLock,
};
pub use tickets::{MemoryTickets, TICKETS_PER_USER, Ticket, TicketRepository};
pub use token::TokenHash;
#[cfg(feature = "postgres")]
pub use transfer::file_credentials;
