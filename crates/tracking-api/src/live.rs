//! The live-event hub: every open stream of a family, and the wake-up each gets when the family
//! commits an event. A stream reads what it has not sent from the store by its cursor, so the hub
//! carries no events: a wake-up that comes late, twice or never for one event loses nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;
use tracking_model::UserId;

/// Open streams one user may have by default; opening one more closes the oldest.
pub const DEFAULT_STREAMS_PER_USER: usize = 64;

/// The open live streams, per family (the parent's user id). Waking never waits and never fails:
/// a wake-up only marks a stream's signal as changed.
#[derive(Debug)]
pub struct LiveHub {
    streams: Mutex<HashMap<UserId, Vec<watch::Sender<()>>>>,
    streams_per_user: usize,
}

/// A stream's end of the hub: changes when its family may have new events, and ends when the
/// hub closes the stream (its family deleted, too many streams, shutdown).
#[derive(Debug)]
pub struct Signal(watch::Receiver<()>);

impl Signal {
    /// Forgets the wake-ups so far: call it before reading the store, so that an event committed
    /// during the read wakes the next [`Signal::changed`].
    pub fn mark_seen(&mut self) {
        self.0.mark_unchanged();
    }

    /// Waits for the next wake-up; `false` once the hub closed the stream.
    pub async fn changed(&mut self) -> bool {
        self.0.changed().await.is_ok()
    }
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

    /// Opens a stream of `family`; past the per-user limit the family's oldest stream closes.
    pub fn subscribe(&self, family: UserId) -> Signal {
        let (sender, receiver) = watch::channel(());
        let mut streams = self.lock();
        let senders = streams.entry(family).or_default();
        senders.retain(|sender| !sender.is_closed());
        if senders.len() >= self.streams_per_user {
            senders.remove(0);
        }
        senders.push(sender);
        Signal(receiver)
    }

    /// Tells every open stream of `family` that it may have new events.
    pub fn wake(&self, family: UserId) {
        let mut streams = self.lock();
        let Some(senders) = streams.get_mut(&family) else {
            return;
        };
        senders.retain(|sender| {
            sender.send_modify(|()| {});
            !sender.is_closed()
        });
        if senders.is_empty() {
            streams.remove(&family);
        }
    }

    /// Tells every open stream that it may have new events: for a wake-up that may have been
    /// lost (another server's commit notices missed while reconnecting).
    pub fn wake_all(&self) {
        let mut streams = self.lock();
        streams.retain(|_, senders| {
            senders.retain(|sender| {
                sender.send_modify(|()| {});
                !sender.is_closed()
            });
            !senders.is_empty()
        });
    }

    /// Ends every stream of a deleted user.
    pub fn disconnect(&self, family: UserId) {
        self.lock().remove(&family);
    }

    /// Ends every stream, for shutdown.
    pub fn disconnect_all(&self) {
        self.lock().clear();
    }

    /// Events queued on open streams and not yet taken by their connections: none, since a
    /// stream holds no queue (it reads the store by cursor at its connection's pace). Kept for
    /// the `tracking_live_stream_backlog` gauge.
    pub fn stream_backlog(&self) -> usize {
        0
    }

    /// How many streams are open, over all users.
    pub fn open_streams(&self) -> usize {
        self.lock()
            .values()
            .map(|senders| senders.iter().filter(|sender| !sender.is_closed()).count())
            .sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<watch::Sender<()>>>> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opening_past_the_limit_closes_the_oldest_stream() {
        let hub = LiveHub::with_streams_per_user(2);
        let user = UserId::generate();
        let mut first = hub.subscribe(user);
        let _second = hub.subscribe(user);
        let _third = hub.subscribe(user);
        assert_eq!(hub.open_streams(), 2);
        assert!(!first.changed().await);
    }

    #[tokio::test]
    async fn a_wake_up_reaches_every_stream_of_the_family_and_no_other() {
        let hub = LiveHub::new();
        let (family, other) = (UserId::generate(), UserId::generate());
        let mut streams = [hub.subscribe(family), hub.subscribe(family)];
        let mut others = hub.subscribe(other);
        for stream in &mut streams {
            stream.mark_seen();
        }
        others.mark_seen();
        hub.wake(family);
        for stream in &mut streams {
            assert!(stream.changed().await);
        }
        assert!(!others.0.has_changed().unwrap());
        hub.disconnect(family);
        assert!(!streams[0].changed().await);
    }

    #[tokio::test]
    async fn waking_all_reaches_the_streams_of_every_family() {
        let hub = LiveHub::new();
        let mut streams = [
            hub.subscribe(UserId::generate()),
            hub.subscribe(UserId::generate()),
        ];
        for stream in &mut streams {
            stream.mark_seen();
        }
        hub.wake_all();
        for stream in &mut streams {
            assert!(stream.0.has_changed().unwrap());
        }
    }
}
