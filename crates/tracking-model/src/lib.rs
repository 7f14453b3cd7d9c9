//! The types of task and reward tracking and their invariants; no I/O.
//!
//! Everything the HTTP contract (`API.md`) names as a JSON shape is a type here, and every type
//! is exported to TypeScript by [`typescript::models_ts`]. Values whose fields depend on each
//! other ([`TrackingEvent`], [`Timestamp`], the ids) can only be built through constructors that
//! check them, and deserializing goes through the same checks.

pub mod calendar;
pub mod error;
pub mod event;
pub mod export;
pub mod family;
pub mod ids;
pub mod live;
pub mod metadata;
mod params;
pub mod points;
pub mod query;
pub mod ranking;
mod rendered;
pub mod requests;
pub mod responses;
pub mod rules;
pub mod running;
pub mod summary;
pub mod summary_query;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod timestamp;
pub mod typescript;

pub use calendar::{Bucket, BucketStarts, Zone};
pub use error::{ErrorBody, ErrorCode, ErrorDetails, ErrorInfo, InvalidField, ModelError};
pub use event::{Action, EntityType, EventBody, SequencedEvent, TrackingEvent, TrackingEventParts};
pub use export::{
    CSV_HEADER, ExportError, ExportFormat, ExportQuery, ExportWriter, write_csv_header,
    write_csv_row, write_ndjson_line,
};
pub use family::{Child, Reward, RewardRequest, RewardRequestStatus, Task, User};
pub use ids::{ChildId, EntityId, EventId, RewardId, RewardRequestId, TaskId, UserId};
pub use live::{ServerEventType, StreamResetReason, TrackingEventCreated, TrackingStreamReset};
pub use metadata::{Actor, EventMetadata};
pub use params::QueryPair;
pub use points::MAX_POINTS;
pub use query::{Page, QueryScope, SortOrder, TrackingQuery};
pub use ranking::{FamilyRanking, RankedChild, Standing};
pub use requests::{Amount, CreateChild, CreateReward, CreateTask, CreateUser};
pub use responses::{ChildToken, CreatedUser, EventTicket, Health, Me, TrackedMutation};
pub use rules::{Effect, Moments, Refusal, TrackedAction, after_last, decide};
pub use running::{RunningTotals, summarize_running};
pub use summary::{BucketTotals, ChildSummary, Totals, summarize};
pub use summary_query::{SummaryParams, SummaryQuery, SummaryScope};
pub use timestamp::Timestamp;
