//! A live stream as the tracker sees it: the family's events after a cursor, read from the store
//! in the family's sequence order, first what the caller missed, then each new one as the hub
//! wakes the stream.
//!
//! The stream never takes an event from a push: it reads "the family's events numbered after the
//! last one I sent" from the store, which hands out only a gapless prefix of what is committed.
//! So the replay and the live part meet without a gap or a duplicate, an event whose wake-up was
//! lost arrives with the next one (or the next catch-up), and two children committing in either
//! order still reach the stream in sequence order.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::Stream;
use tracking_model::{ChildId, SequencedEvent, StreamResetReason, TrackingEventCreated, UserId};
use tracking_store::SequenceRead;

use crate::cursor::Cursor;
use crate::live::Signal;
use crate::{Tracker, TrackerError};

/// The most events a stream replays; a cursor further behind resets the stream.
pub const MAX_REPLAY: u64 = 10_000;
/// Events read from the store at a time.
const READ_BATCH: usize = 256;

/// One frame of a live stream, with the cursor to resume after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveItem {
    /// `tracking_event_created`.
    Event {
        cursor: String,
        payload: TrackingEventCreated,
    },
    /// `tracking_stream_reset`: the cursor given could not be resumed from; live from here.
    Reset {
        cursor: String,
        reason: StreamResetReason,
    },
}

/// What a stream shows and where it starts.
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// The cursor of the last frame the caller received, if it resumes.
    pub resume_after: Option<String>,
    /// Only this child's events (the family's sequence still numbers the cursors).
    pub child: Option<ChildId>,
}

struct Follow {
    tracker: Arc<Tracker>,
    family: UserId,
    child: Option<ChildId>,
    signal: Signal,
    /// The family's sequence number of the last event sent (or skipped by the filter).
    last: u64,
    ready: VecDeque<LiveItem>,
    /// Whether the store may hold events after `last` not yet read.
    unread: bool,
}

impl Tracker {
    /// Opens a live stream of `family`: a reset frame first when `options.resume_after` cannot
    /// be resumed from, then every event after the cursor (or, without one, every event committed
    /// from now on), in the family's sequence order, until the hub closes the stream or a read
    /// of the store fails (the client then resumes from its last cursor).
    pub async fn open_stream(
        self: &Arc<Self>,
        family: UserId,
        options: StreamOptions,
    ) -> Result<impl Stream<Item = LiveItem> + use<>, TrackerError> {
        // Subscribed before the head is read: an event committed after the read wakes the stream.
        let signal = self.hub().subscribe(family);
        let head = self.family().family_sequence(family).await?;
        let resume = options.resume_after.as_deref().map(Cursor::parse);
        let (last, reset) = match resume {
            None => (head, None),
            Some(Some(cursor)) if cursor.family == family && cursor.sequence <= head => {
                if head - cursor.sequence > MAX_REPLAY {
                    (head, Some(StreamResetReason::TooFarBehind))
                } else {
                    (cursor.sequence, None)
                }
            }
            Some(_) => (head, Some(StreamResetReason::UnknownCursor)),
        };
        let mut ready = VecDeque::new();
        if let Some(reason) = reset {
            let cursor = Cursor {
                family,
                sequence: last,
            };
            ready.push_back(LiveItem::Reset {
                cursor: cursor.to_string(),
                reason,
            });
        }
        let follow = Follow {
            tracker: Arc::clone(self),
            family,
            child: options.child,
            signal,
            last,
            ready,
            unread: true,
        };
        Ok(futures_util::stream::unfold(follow, Follow::next))
    }
}

impl Follow {
    async fn next(mut self) -> Option<(LiveItem, Self)> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some((item, self));
            }
            if self.unread {
                self.signal.mark_seen();
                let events = match self
                    .tracker
                    .family_events_after(SequenceRead {
                        family: self.family,
                        after: self.last,
                        limit: READ_BATCH,
                    })
                    .await
                {
                    Ok(events) => events,
                    Err(error) => {
                        log::warn!(
                            "closing a live stream of user {}: reading its events failed: {error}",
                            self.family
                        );
                        return None;
                    }
                };
                self.unread = events.len() == READ_BATCH;
                for event in events {
                    self.take(event);
                }
                continue;
            }
            if !self.signal.changed().await {
                return None;
            }
            self.unread = true;
        }
    }

    fn take(&mut self, event: SequencedEvent) {
        self.last = event.sequence;
        if self
            .child
            .is_some_and(|child| child != event.event.child_id())
        {
            return;
        }
        let cursor = Cursor {
            family: self.family,
            sequence: event.sequence,
        };
        self.ready.push_back(LiveItem::Event {
            cursor: cursor.to_string(),
            payload: TrackingEventCreated::from(&event.event),
        });
    }
}
