//! The live-event hub: every open stream of a parent, and the push of new tracking events to them.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::mpsc::{self, error::TrySendError};
use tracking_model::{TrackingEvent, TrackingEventCreated, UserId};

/// Events a stream may lag behind before it is closed (its client reconnects and refetches).
const STREAM_BUFFER: usize = 256;

/// The open live streams, per parent. Pushing never waits: a closed stream is dropped, and a
/// stream too slow to keep up is closed rather than allowed to slow a mutation.
#[derive(Debug, Default)]
pub struct LiveHub {
    streams: Mutex<HashMap<UserId, Vec<mpsc::Sender<TrackingEventCreated>>>>,
}

impl LiveHub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a stream for `user`'s family.
    pub fn subscribe(&self, user: UserId) -> mpsc::Receiver<TrackingEventCreated> {
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        self.lock().entry(user).or_default().push(sender);
        receiver
    }

    /// Sends `event` to every open stream of its user.
    pub fn publish(&self, event: &TrackingEvent) {
        let Some(user) = event.user_id() else { return };
        let payload = TrackingEventCreated::from(event);
        let mut streams = self.lock();
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
        self.lock().remove(&user);
    }

    /// Ends every stream, for shutdown.
    pub fn disconnect_all(&self) {
        self.lock().clear();
    }

    /// How many streams are open, over all users.
    pub fn open_streams(&self) -> usize {
        self.lock()
            .values()
            .map(|senders| senders.iter().filter(|sender| !sender.is_closed()).count())
            .sum()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<mpsc::Sender<TrackingEventCreated>>>> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
