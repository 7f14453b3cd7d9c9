//! The live-event hub: every open stream of a parent, and the push of new tracking events to them.

use std::collections::HashMap;

use parking_lot::Mutex;
use tokio::sync::mpsc::{self, error::TrySendError};
use tracking_model::{TrackingEvent, TrackingEventCreated, UserId};

/// Events a stream may lag behind before it is closed (its client reconnects and refetches).
const STREAM_BUFFER: usize = 256;
/// Open streams one user may have by default; opening one more closes the oldest.
pub const DEFAULT_STREAMS_PER_USER: usize = 64;

/// The open live streams, per parent. Pushing never waits: a closed stream is dropped, and a
/// stream too slow to keep up is closed rather than allowed to slow a mutation.
#[derive(Debug)]
pub struct LiveHub {
    streams: Mutex<HashMap<UserId, Vec<mpsc::Sender<TrackingEventCreated>>>>,
    streams_per_user: usize,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::with_streams_per_user(DEFAULT_STREAMS_PER_USER)
    }
}

impl LiveHub {
    /// An empty hub allowing [`DEFAULT_STREAMS_PER_USER`] streams per user.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty hub allowing `limit` open streams per user (at least one).
    pub fn with_streams_per_user(limit: usize) -> Self {
        Self {
            streams: Mutex::default(),
            streams_per_user: limit.max(1),
        }
    }

    /// Opens a stream for `user`'s family; past the per-user limit the user's oldest stream closes.
    pub fn subscribe(&self, user: UserId) -> mpsc::Receiver<TrackingEventCreated> {
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        let mut streams = self.streams.lock();
        let senders = streams.entry(user).or_default();
        senders.retain(|sender| !sender.is_closed());
        if senders.len() >= self.streams_per_user {
            senders.remove(0);
        }
        senders.push(sender);
        receiver
    }

    /// Sends `event` to every open stream of its user.
    pub fn publish(&self, event: &TrackingEvent) {
        let Some(user) = event.user_id() else { return };
        let payload = TrackingEventCreated::from(event);
        let mut streams = self.streams.lock();
        let Some(senders) = streams.get_mut(&user) else {
            return;
        };
        senders.retain(|sender| match sender.try_send(payload.clone()) {
            Ok(()) => true,
            Err(TrySendError::Closed(_)) => false,
            Err(TrySendError::Full(_)) => {
                log::warn!(
                    "closing a live stream of user {user} that fell {STREAM_BUFFER} events behind"
                );
                false
            }
        });
        if senders.is_empty() {
            streams.remove(&user);
        }
    }

    /// Ends every stream of a deleted user.
    pub fn disconnect(&self, user: UserId) {
        self.streams.lock().remove(&user);
    }

    /// Ends every stream, for shutdown.
    pub fn disconnect_all(&self) {
        self.streams.lock().clear();
    }

    /// Events queued on open streams and not yet taken by their connections, over all users.
    pub fn stream_backlog(&self) -> usize {
        self.streams
            .lock()
            .values()
            .flatten()
            .filter(|sender| !sender.is_closed())
            .map(|sender| sender.max_capacity() - sender.capacity())
            .sum()
    }

    /// How many streams are open, over all users.
    pub fn open_streams(&self) -> usize {
        self.streams
            .lock()
            .values()
            .map(|senders| senders.iter().filter(|sender| !sender.is_closed()).count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_past_the_limit_closes_the_oldest_stream() {
        let hub = LiveHub::with_streams_per_user(2);
        let user = UserId::generate();
        let mut first = hub.subscribe(user);
        let _second = hub.subscribe(user);
        let _third = hub.subscribe(user);
        assert_eq!(hub.open_streams(), 2);
        assert!(
            first
                .try_recv()
                .is_err_and(|error| error == mpsc::error::TryRecvError::Disconnected)
        );
    }
}
