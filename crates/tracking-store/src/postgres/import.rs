//! Moving a file-store installation into an empty PostgreSQL store, in one transaction: users
//! with their token hashes, children with their points and last moments, tasks, rewards, pending
//! requests, the users awaiting anonymization, each family's last number, the outbox in commit
//! order, the history with its numbers, the children's tokens, and the idempotency keys still
//! kept. [`crate::census`] then compares both sides.

use std::collections::BTreeSet;

use sqlx::PgConnection;
use tracking_model::{SequencedEvent, SortOrder, Timestamp, TrackingEvent, TrackingQuery, UserId};

use super::{PostgresStore, credentials, records, rows, users};
use crate::{
    FamilyError, FamilyRepository, FeedError, FileStore, SequenceRead, TrackingRepository, transfer,
};

/// How many events one read and one insert take.
const BATCH: u32 = 500;

/// Why an import stopped; the database is then unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the database already holds data ({0}); import into an empty database or schema")]
    NotEmpty(String),
    #[error("reading the data directory failed: {0}")]
    Read(#[from] FeedError),
    #[error("writing to the database failed: {0}")]
    Write(#[from] sqlx::Error),
}

impl From<FamilyError> for ImportError {
    fn from(error: FamilyError) -> Self {
        Self::Read(error.into())
    }
}

impl From<crate::HistoryError> for ImportError {
    fn from(error: crate::HistoryError) -> Self {
        Self::Read(error.into())
    }
}

impl PostgresStore {
    /// Copies everything `files` holds into this store, which must be empty, with the keys still
    /// kept at `now`; all of it commits together (durably), or nothing does.
    pub async fn import_files(&self, files: &FileStore, now: Timestamp) -> Result<(), ImportError> {
        let (held,): (String,) = sqlx::query_as(
            "SELECT format('%s users, %s events, %s waiting, %s to anonymize, %s keys', \
             (SELECT count(*) FROM users), (SELECT count(*) FROM tracking_events), \
             (SELECT count(*) FROM outbox), (SELECT count(*) FROM users_to_anonymize), \
             (SELECT count(*) FROM idempotency_keys))",
        )
        .fetch_one(&self.pool)
        .await?;
        if held != "0 users, 0 events, 0 waiting, 0 to anonymize, 0 keys" {
            return Err(ImportError::NotEmpty(held));
        }
        let carried = transfer::credentials(files, now)?;
        let mut transaction = self.pool.begin().await?;
        let connection: &mut PgConnection = &mut transaction;
        let mut families = BTreeSet::new();
        for (user, token) in transfer::users_with_tokens(files) {
            families.insert(user.id);
            if !users::insert_user(&mut *connection, &user, &token).await? {
                // A child's token with the same hash: the data directory holds it twice.
                return Err(FamilyError::Duplicate.into());
            }
            copy_records(connection, files, user.id).await?;
        }
        for user in files.users_to_anonymize().await? {
            families.insert(user);
            users::to_anonymize(&mut *connection, user).await?;
        }
        for waiting in files.outbox().await? {
            let Some(family) = waiting.event.user_id() else {
                continue;
            };
            families.insert(family);
            sqlx::query(
                "INSERT INTO outbox (family_id, family_sequence, event_id, event) \
                 VALUES ($1, $2, $3, $4::jsonb)",
            )
            .bind(family.to_string())
            .bind(rows::big(waiting.sequence))
            .bind(waiting.event.id().to_string())
            .bind(rows::event_json(&waiting.event))
            .execute(&mut *connection)
            .await?;
        }
        copy_history(connection, files, &mut families).await?;
        for family in families {
            let number = files.family_sequence(family).await?;
            if number > 0 {
                sqlx::query(
                    "INSERT INTO family_sequences (family_id, last_number) VALUES ($1, $2)",
                )
                .bind(family.to_string())
                .bind(rows::big(number))
                .execute(&mut *connection)
                .await?;
            }
        }
        for (child, last) in transfer::last_moments(files) {
            sqlx::query(
                "UPDATE children SET last_occurred_at_ms = $2, last_created_at_ms = $3 WHERE id = $1",
            )
            .bind(child.to_string())
            .bind(last.occurred_at.unix_millis())
            .bind(last.created_at.unix_millis())
            .execute(&mut *connection)
            .await?;
        }
        credentials::copy(connection, &carried).await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// The user's children (with their points and pending requests), tasks and rewards.
async fn copy_records(
    connection: &mut PgConnection,
    files: &FileStore,
    user: UserId,
) -> Result<(), ImportError> {
    let children = files.list_children(user).await?;
    for child in &children {
        records::insert(&mut *connection, child).await?;
    }
    for task in files.list_tasks(user).await? {
        records::insert(&mut *connection, &task).await?;
    }
    for reward in files.list_rewards(user).await? {
        records::insert(&mut *connection, &reward).await?;
    }
    for child in &children {
        for request in files.pending_requests(user, child.id).await? {
            records::insert_pending(&mut *connection, user, &request).await?;
        }
    }
    Ok(())
}

/// Every event of the history: each family's by number (so each keeps its number), then the
/// rest in the history's order (anonymized events, which belong to no family and keep none).
async fn copy_history(
    connection: &mut PgConnection,
    files: &FileStore,
    families: &mut BTreeSet<UserId>,
) -> Result<(), ImportError> {
    let mut copied = BTreeSet::new();
    let query = TrackingQuery {
        limit: Some(BATCH),
        order: Some(SortOrder::Asc),
        ..TrackingQuery::default()
    };
    let mut after = None;
    loop {
        let batch = files.query_after(&query, after).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.order_key());
        let mut anonymous = Vec::new();
        for event in batch {
            match event.user_id() {
                Some(family) => {
                    if copied.insert(family) {
                        families.insert(family);
                        copy_family(connection, files, family).await?;
                    }
                }
                None => anonymous.push(SequencedEvent { sequence: 0, event }),
            }
        }
        insert_events(connection, &anonymous).await?;
    }
    Ok(())
}

/// One family's events in the history, with their numbers.
async fn copy_family(
    connection: &mut PgConnection,
    files: &FileStore,
    family: UserId,
) -> Result<(), ImportError> {
    let mut read = SequenceRead {
        family,
        after: 0,
        limit: BATCH as usize,
    };
    while let Some(numbered) = read.next_stored(files).await? {
        insert_events(connection, &numbered).await?;
    }
    Ok(())
}

/// Inserts a batch of events into the history in one statement.
async fn insert_events(
    connection: &mut PgConnection,
    events: &[SequencedEvent],
) -> Result<(), ImportError> {
    if events.is_empty() {
        return Ok(());
    }
    let column = |read: fn(&TrackingEvent) -> String| -> Vec<String> {
        events.iter().map(|stored| read(&stored.event)).collect()
    };
    let millis = |read: fn(&TrackingEvent) -> i64| -> Vec<i64> {
        events.iter().map(|stored| read(&stored.event)).collect()
    };
    let families: Vec<Option<String>> = events
        .iter()
        .map(|stored| stored.event.user_id().map(|user| user.to_string()))
        .collect();
    let numbers: Vec<i64> = events
        .iter()
        .map(|stored| rows::big(stored.sequence))
        .collect();
    sqlx::query(
        "INSERT INTO tracking_events (id, family_id, family_sequence, child_id, entity_type, \
         action, delta, occurred_at_ms, created_at_ms, event) \
         SELECT id, family_id, family_sequence, child_id, entity_type, action, delta, \
         occurred_at_ms, created_at_ms, event::jsonb FROM UNNEST($1::text[], $2::text[], \
         $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], \
         $9::bigint[], $10::text[]) AS batch (id, family_id, family_sequence, child_id, \
         entity_type, action, delta, occurred_at_ms, created_at_ms, event) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(column(|event| event.id().to_string()))
    .bind(families)
    .bind(numbers)
    .bind(column(|event| event.child_id().to_string()))
    .bind(column(|event| rows::label(event.entity_type())))
    .bind(column(|event| rows::label(event.action())))
    .bind(millis(TrackingEvent::delta))
    .bind(millis(|event| event.occurred_at().unix_millis()))
    .bind(millis(|event| event.created_at().unix_millis()))
    .bind(column(rows::event_json))
    .execute(connection)
    .await?;
    Ok(())
}
