//! One-time tickets that let a browser's `EventSource`, which cannot send headers, open a stream:
//! made here, kept by a [`TicketRepository`] (in memory for one server; in the database when
//! servers share one, so that any of them redeems a ticket another issued).

use std::sync::Arc;

use tracking_model::{EventTicket, Timestamp, UserId};
use tracking_store::{FamilyError, MemoryTickets, Ticket, TicketRepository, TokenHash};

use crate::{hash_token, new_token};

/// How long a ticket stays valid, in milliseconds.
const TICKET_LIFETIME_MS: i64 = 60_000;

/// Tickets not yet used. Each works once, within 60 seconds. A ticket stands in for the bearer
/// token it was issued to: redeeming it gives back that token's hash, which is checked again, so
/// the ticket of a token revoked since opens nothing.
#[derive(Debug, Clone)]
pub struct Tickets {
    kept: Arc<dyn TicketRepository>,
}

impl Default for Tickets {
    /// Tickets in this process's memory: none survives a restart, no other server knows them.
    fn default() -> Self {
        Self::kept_in(Arc::new(MemoryTickets::default()))
    }
}

impl Tickets {
    pub fn kept_in(kept: Arc<dyn TicketRepository>) -> Self {
        Self { kept }
    }

    /// Issues a ticket for the token hashing to `credential`, counted against `user`'s family.
    pub async fn issue(
        &self,
        user: UserId,
        credential: TokenHash,
    ) -> Result<EventTicket, FamilyError> {
        let now = Timestamp::now();
        let expires_at = now.plus_millis(TICKET_LIFETIME_MS).unwrap_or(now);
        let ticket = new_token();
        let kept = Ticket {
            hash: hash_token(&ticket),
            user,
            credential,
            expires_at,
        };
        self.kept.issue_ticket(kept, now).await?;
        Ok(EventTicket { ticket, expires_at })
    }

    /// Uses up `ticket`: the hash of the credential it was issued to, if it is known and not
    /// expired.
    pub async fn redeem(&self, ticket: &str) -> Result<Option<TokenHash>, FamilyError> {
        let hash = hash_token(ticket);
        self.kept.redeem_ticket(&hash, Timestamp::now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ticket_stands_for_its_credential_once() {
        let tickets = Tickets::default();
        let user = UserId::generate();
        let credential = hash_token("child");
        let ticket = tickets.issue(user, credential).await.unwrap();
        assert_eq!(
            tickets.redeem(&ticket.ticket).await.unwrap(),
            Some(credential)
        );
        assert_eq!(tickets.redeem(&ticket.ticket).await.unwrap(), None);
        assert_eq!(tickets.redeem("made-up").await.unwrap(), None);
    }
}
