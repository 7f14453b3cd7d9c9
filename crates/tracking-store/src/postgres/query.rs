//! `GET /admin/tracking` and the per-child reads: the filters of a [`TrackingQuery`] as SQL over
//! the history's indexed columns, in the history's order (`occurred_at`, `created_at`, `id`).

use sqlx::{Postgres, QueryBuilder};
use tracking_model::{Page, SortOrder, Timestamp, TrackingEvent, TrackingQuery};

use super::{PostgresStore, rows};
use crate::{HistoryError, OrderKey};

/// `SELECT <columns> FROM tracking_events WHERE <every filter of query>`.
fn matching(columns: &str, query: &TrackingQuery) -> QueryBuilder<Postgres> {
    let mut builder =
        QueryBuilder::new(format!("SELECT {columns} FROM tracking_events WHERE true"));
    if let Some(child) = query.child_id {
        builder
            .push(" AND child_id = ")
            .push_bind(child.to_string());
    }
    if let Some(user) = query.user_id {
        builder
            .push(" AND family_id = ")
            .push_bind(user.to_string());
    }
    if let Some(entity_type) = query.entity_type {
        builder
            .push(" AND entity_type = ")
            .push_bind(rows::label(entity_type));
    }
    if let Some(action) = query.action {
        builder
            .push(" AND action = ")
            .push_bind(rows::label(action));
    }
    push_range(&mut builder, query.from, query.to);
    builder
}

/// ` AND occurred_at_ms >= from AND occurred_at_ms < to`, each for a bound given.
pub(super) fn push_range(
    builder: &mut QueryBuilder<Postgres>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) {
    if let Some(from) = from {
        builder
            .push(" AND occurred_at_ms >= ")
            .push_bind(from.unix_millis());
    }
    if let Some(to) = to {
        builder
            .push(" AND occurred_at_ms < ")
            .push_bind(to.unix_millis());
    }
}

fn push_order(builder: &mut QueryBuilder<Postgres>, order: SortOrder) {
    builder.push(match order {
        SortOrder::Asc => " ORDER BY occurred_at_ms, created_at_ms, id",
        SortOrder::Desc => " ORDER BY occurred_at_ms DESC, created_at_ms DESC, id DESC",
    });
}

impl PostgresStore {
    pub(super) async fn page(
        &self,
        query: &TrackingQuery,
    ) -> Result<Page<TrackingEvent>, HistoryError> {
        let (total,): (i64,) = matching("count(*)", query)
            .build_query_as()
            .fetch_one(&self.pool)
            .await?;
        let mut items = matching("event::text", query);
        push_order(&mut items, query.order());
        items
            .push(" LIMIT ")
            .push_bind(i64::from(query.limit()))
            .push(" OFFSET ")
            .push_bind(rows::big(query.offset()));
        let items = self.events(items).await?;
        Ok(Page::answering(query, items, rows::count(total)))
    }

    pub(super) async fn matches_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        let mut batch = matching("event::text", query);
        if let Some((occurred_at, created_at, id)) = after {
            let follows = match query.order() {
                SortOrder::Asc => ">",
                SortOrder::Desc => "<",
            };
            batch
                .push(format!(
                    " AND (occurred_at_ms, created_at_ms, id) {follows} ("
                ))
                .push_bind(occurred_at.unix_millis())
                .push(", ")
                .push_bind(created_at.unix_millis())
                .push(", ")
                .push_bind(id.to_string())
                .push(")");
        }
        push_order(&mut batch, query.order());
        batch.push(" LIMIT ").push_bind(i64::from(query.limit()));
        self.events(batch).await
    }

    /// Runs a query selecting `event::text`.
    pub(super) async fn events(
        &self,
        mut query: QueryBuilder<Postgres>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        let found: Vec<(String,)> = query.build_query_as().fetch_all(&self.pool).await?;
        Ok(found
            .iter()
            .map(|(json,)| rows::event(json))
            .collect::<Result<_, _>>()?)
    }
}
