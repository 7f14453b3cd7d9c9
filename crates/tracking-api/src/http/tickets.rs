//! One-time tickets that let a browser's `EventSource`, which cannot send headers, open a stream.

use std::collections::HashMap;

use parking_lot::Mutex;
use tracking_model::{EventTicket, Timestamp, UserId};
use tracking_store::TokenHash;

use crate::{hash_token, new_token};

/// How long a ticket stays valid, in milliseconds.
const TICKET_LIFETIME_MS: i64 = 60_000;
/// Unused tickets one user may hold; issuing one more drops that user's oldest.
const TICKETS_PER_USER: usize = 16;

/// Tickets not yet used, by hash. Each works once, within 60 seconds; none survives a restart.
#[derive(Debug, Default)]
pub struct Tickets {
    open: Mutex<HashMap<TokenHash, (UserId, Timestamp)>>,
}

impl Tickets {
    /// Issues a ticket for `user`.
    pub fn issue(&self, user: UserId) -> EventTicket {
        let now = Timestamp::now();
        let expires_at = now.plus_millis(TICKET_LIFETIME_MS).unwrap_or(now);
        let ticket = new_token();
        let mut open = self.open.lock();
        open.retain(|_, (_, expiry)| *expiry > now);
        let mine: Vec<(TokenHash, Timestamp)> = open
            .iter()
            .filter(|(_, (owner, _))| *owner == user)
            .map(|(hash, (_, expiry))| (*hash, *expiry))
            .collect();
        if mine.len() >= TICKETS_PER_USER
            && let Some((oldest, _)) = mine.iter().min_by_key(|(_, expiry)| *expiry)
        {
            open.remove(oldest);
        }
        open.insert(hash_token(&ticket), (user, expires_at));
        EventTicket { ticket, expires_at }
    }

    /// Uses up `ticket`: the user it was issued to, if it is known and not expired.
    pub fn redeem(&self, ticket: &str) -> Option<UserId> {
        let (user, expires_at) = self.open.lock().remove(&hash_token(ticket))?;
        (Timestamp::now() < expires_at).then_some(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_a_bounded_number_of_tickets() {
        let tickets = Tickets::default();
        let user = UserId::generate();
        let issued: Vec<EventTicket> = (0..TICKETS_PER_USER + 5)
            .map(|_| tickets.issue(user))
            .collect();
        assert_eq!(tickets.open.lock().len(), TICKETS_PER_USER);
        assert_eq!(tickets.redeem(&issued.last().unwrap().ticket), Some(user));
    }

    #[test]
    fn a_ticket_works_once() {
        let tickets = Tickets::default();
        let user = UserId::generate();
        let ticket = tickets.issue(user);
        assert_eq!(tickets.redeem(&ticket.ticket), Some(user));
        assert_eq!(tickets.redeem(&ticket.ticket), None);
        assert_eq!(tickets.redeem("made-up"), None);
    }
}
