//! What the handlers share: the tracker, the admin credential, the event tickets.

use std::sync::Arc;
use std::time::Duration;

use crate::http::idempotency::InFlight;
use crate::{AdminCredential, Tickets, Tracker};

/// The application data the handlers of [`crate::configure`] need, registered as `web::Data<ApiState>`.
#[derive(Debug)]
pub struct ApiState {
    pub tracker: Arc<Tracker>,
    pub admin: AdminCredential,
    pub tickets: Tickets,
    /// Interval of the keep-alive comments on live streams (the contract asks for at most 15 s).
    pub keep_alive: Duration,
    /// The idempotency keys whose first request is still running.
    pub in_flight: InFlight,
}

impl ApiState {
    /// State with the contract's defaults: 60-second tickets, keep-alive every 15 seconds.
    pub fn new(tracker: Arc<Tracker>, admin: AdminCredential) -> Self {
        Self {
            tracker,
            admin,
            tickets: Tickets::default(),
            keep_alive: Duration::from_secs(15),
            in_flight: InFlight::default(),
        }
    }
}
