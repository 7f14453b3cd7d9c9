//! Event tickets in the database, so that any server redeems what another issued: issuing drops
//! the expired tickets and the user's oldest beyond the bound; redeeming deletes the ticket, so
//! it works once whichever servers try it at the same time.

use async_trait::async_trait;
use tracking_model::Timestamp;

use super::{PostgresStore, rows};
use crate::{FamilyError, TICKETS_PER_USER, Ticket, TicketRepository, TokenHash};

#[async_trait]
impl TicketRepository for PostgresStore {
    async fn issue_ticket(&self, ticket: Ticket, now: Timestamp) -> Result<(), FamilyError> {
        let store = self.clone();
        let work = async move { store.insert_ticket(ticket, now).await };
        self.engine.run(work, FamilyError::Backend).await
    }

    async fn redeem_ticket(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<TokenHash>, FamilyError> {
        let (store, hash) = (self.clone(), *hash);
        let work = async move { store.take_ticket(hash, now).await };
        self.engine.run(work, FamilyError::Backend).await
    }
}

impl PostgresStore {
    async fn insert_ticket(&self, ticket: Ticket, now: Timestamp) -> Result<(), FamilyError> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM event_tickets WHERE expires_at_ms <= $1")
            .bind(now.unix_millis())
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO event_tickets (ticket_hash, user_id, credential_hash, expires_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(ticket.hash.0.as_slice())
        .bind(ticket.user.to_string())
        .bind(ticket.credential.0.as_slice())
        .bind(ticket.expires_at.unix_millis())
        .execute(&mut *transaction)
        .await?;
        sqlx::query(
            "DELETE FROM event_tickets WHERE ticket_hash IN (SELECT ticket_hash \
             FROM event_tickets WHERE user_id = $1 \
             ORDER BY expires_at_ms DESC, ticket_hash OFFSET $2)",
        )
        .bind(ticket.user.to_string())
        .bind(rows::big(TICKETS_PER_USER as u64))
        .execute(&mut *transaction)
        .await?;
        Ok(transaction.commit().await?)
    }

    async fn take_ticket(
        &self,
        hash: TokenHash,
        now: Timestamp,
    ) -> Result<Option<TokenHash>, FamilyError> {
        let found: Option<(Vec<u8>, i64)> = sqlx::query_as(
            "DELETE FROM event_tickets WHERE ticket_hash = $1 \
             RETURNING credential_hash, expires_at_ms",
        )
        .bind(hash.0.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        let Some((credential, expires_at)) = found else {
            return Ok(None);
        };
        if now.unix_millis() >= expires_at {
            return Ok(None);
        }
        let credential = <[u8; 32]>::try_from(credential.as_slice())
            .map_err(|_| FamilyError::Corrupt("a ticket's credential hash".into()))?;
        Ok(Some(TokenHash(credential)))
    }
}
