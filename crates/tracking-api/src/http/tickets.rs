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

/// A ticket not yet used: the family it counts against, the hash of the credential it stands in
/// for, and when it expires.
#[derive(Debug, Clone, Copy)]
struct Open {
    user: UserId,
    credential: TokenHash,
    expires_at: Timestamp,
}

/// Tickets not yet used, by hash. Each works once, within 60 seconds; none survives a restart.
/// A ticket stands in for the bearer token it was issued to: redeeming it gives back that
/// token's hash, which is checked again, so the ticket of a token revoked since opens nothing.
#[derive(Debug, Default)]
pub struct Tickets {
    open: Mutex<HashMap<TokenHash, Open>>,
}

impl Tickets {
    /// Issues a ticket for the token hashing to `credential`, counted against `user`'s family.
    pub fn issue(&self, user: UserId, credential: TokenHash) -> EventTicket {
        let now = Timestamp::now();
        let expires_at = now.plus_millis(TICKET_LIFETIME_MS).unwrap_or(now);
        let ticket = new_token();
        let mut open = self.open.lock();
        open.retain(|_, ticket| ticket.expires_at > now);
        let mine: Vec<(TokenHash, Timestamp)> = open
            .iter()
            .filter(|(_, ticket)| ticket.user == user)
            .map(|(hash, ticket)| (*hash, ticket.expires_at))
            .collect();
        if mine.len() >= TICKETS_PER_USER
            && let Some((oldest, _)) = mine.iter().min_by_key(|(_, expiry)| *expiry)
        {
            open.remove(oldest);
        }
        open.insert(
            hash_token(&ticket),
            Open {
                user,
                credential,
                expires_at,
            },
        );
        EventTicket { ticket, expires_at }
    }

    /// Uses up `ticket`: the hash of the credential it was issued to, if it is known and not
    /// expired.
    pub fn redeem(&self, ticket: &str) -> Option<TokenHash> {
        let open = self.open.lock().remove(&hash_token(ticket))?;
        (Timestamp::now() < open.expires_at).then_some(open.credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_holds_a_bounded_number_of_tickets() {
        let tickets = Tickets::default();
        let user = UserId::generate();
        let credential = hash_token("parent");
        let issued: Vec<EventTicket> = (0..TICKETS_PER_USER + 5)
            .map(|_| tickets.issue(user, credential))
            .collect();
        assert_eq!(tickets.open.lock().len(), TICKETS_PER_USER);
        assert_eq!(
            tickets.redeem(&issued.last().unwrap().ticket),
            Some(credential)
        );
    }

    #[test]
    fn a_ticket_works_once() {
        let tickets = Tickets::default();
        let user = UserId::generate();
        let credential = hash_token("child");
        let ticket = tickets.issue(user, credential);
        assert_eq!(tickets.redeem(&ticket.ticket), Some(credential));
        assert_eq!(tickets.redeem(&ticket.ticket), None);
        assert_eq!(tickets.redeem("made-up"), None);
    }
}
