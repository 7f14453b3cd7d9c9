//! Event tickets: one-time stand-ins for a bearer token, for a browser's `EventSource`, which
//! cannot send headers. Each works once, until it expires; a user holds a bounded number of
//! unused ones. [`MemoryTickets`] keeps them in the process (one server); the PostgreSQL store
//! keeps them in the database, so a ticket issued by one server opens a stream on another.

use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use parking_lot::Mutex;
use tracking_model::{Timestamp, UserId};

use crate::{FamilyError, TokenHash};

/// Unused tickets one user may hold; issuing one more drops that user's oldest.
pub const TICKETS_PER_USER: usize = 16;

/// A ticket as issued: the hash of the ticket itself, the family it counts against, the hash of
/// the credential it stands for, and when it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub hash: TokenHash,
    pub user: UserId,
    pub credential: TokenHash,
    pub expires_at: Timestamp,
}

/// Where the unused tickets are kept.
#[async_trait]
pub trait TicketRepository: Debug + Send + Sync {
    /// Keeps `ticket`; drops every ticket expired at `now`, and the user's oldest beyond
    /// [`TICKETS_PER_USER`].
    async fn issue_ticket(&self, ticket: Ticket, now: Timestamp) -> Result<(), FamilyError>;
    /// Uses up the ticket whose hash is `hash`: the credential it stands for, if it is kept and
    /// not expired at `now`. A second redeem of the same ticket finds nothing.
    async fn redeem_ticket(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<TokenHash>, FamilyError>;
}

/// Tickets in the memory of one process; none survives a restart.
#[derive(Debug, Default)]
pub struct MemoryTickets {
    open: Mutex<HashMap<TokenHash, Ticket>>,
}

#[async_trait]
impl TicketRepository for MemoryTickets {
    async fn issue_ticket(&self, ticket: Ticket, now: Timestamp) -> Result<(), FamilyError> {
        let mut open = self.open.lock();
        open.retain(|_, kept| kept.expires_at > now);
        let mine: Vec<(TokenHash, Timestamp)> = (open.values())
            .filter(|kept| kept.user == ticket.user)
            .map(|kept| (kept.hash, kept.expires_at))
            .collect();
        if mine.len() >= TICKETS_PER_USER
            && let Some((oldest, _)) = mine.iter().min_by_key(|(_, expiry)| *expiry)
        {
            open.remove(oldest);
        }
        open.insert(ticket.hash, ticket);
        Ok(())
    }

    async fn redeem_ticket(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<TokenHash>, FamilyError> {
        let found = self.open.lock().remove(hash);
        Ok(found
            .filter(|ticket| now < ticket.expires_at)
            .map(|ticket| ticket.credential))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(byte: u8, user: UserId, expires_at: i64) -> Ticket {
        Ticket {
            hash: TokenHash([byte; 32]),
            user,
            credential: TokenHash([255; 32]),
            expires_at: Timestamp::from_unix_millis(expires_at).unwrap(),
        }
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(millis).unwrap()
    }

    #[tokio::test]
    async fn a_user_holds_a_bounded_number_of_tickets() {
        let tickets = MemoryTickets::default();
        let user = UserId::generate();
        for byte in 0..(TICKETS_PER_USER as u8 + 5) {
            let issued = ticket(byte, user, 60_000 + i64::from(byte));
            tickets.issue_ticket(issued, at(0)).await.unwrap();
        }
        assert_eq!(tickets.open.lock().len(), TICKETS_PER_USER);
        // The oldest went; the newest is kept.
        let oldest = TokenHash([0; 32]);
        assert_eq!(tickets.redeem_ticket(&oldest, at(1)).await.unwrap(), None);
        let newest = TokenHash([TICKETS_PER_USER as u8 + 4; 32]);
        assert!(
            tickets
                .redeem_ticket(&newest, at(1))
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_ticket_works_once_and_not_after_it_expires() {
        let tickets = MemoryTickets::default();
        let user = UserId::generate();
        tickets
            .issue_ticket(ticket(1, user, 100), at(0))
            .await
            .unwrap();
        tickets
            .issue_ticket(ticket(2, user, 100), at(0))
            .await
            .unwrap();
        let once = tickets.redeem_ticket(&TokenHash([1; 32]), at(50)).await;
        assert_eq!(once.unwrap(), Some(TokenHash([255; 32])));
        let twice = tickets.redeem_ticket(&TokenHash([1; 32]), at(50)).await;
        assert_eq!(twice.unwrap(), None);
        let late = tickets.redeem_ticket(&TokenHash([2; 32]), at(100)).await;
        assert_eq!(late.unwrap(), None);
    }
}
