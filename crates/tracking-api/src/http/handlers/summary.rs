//! Summaries of the history: one child's totals (for its parent, and for the admin also once the
//! child is deleted) and the family's ranking.

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::{
    ChildId, FamilyRanking, SortOrder, Standing, SummaryParams, SummaryScope, TrackingQuery,
};

use super::query_pairs;
use crate::http::auth::{Admin, Caller, Parent};
use crate::http::incoming::Incoming;
use crate::{ApiError, ApiState};

/// `GET /children/{child_id}/summary`: for the child's parent or the child itself; 404 otherwise.
pub(crate) async fn child(caller: Caller, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let (child, pairs) = incoming.child_read(&caller).await?;
    let params = SummaryParams::from_pairs(pairs, SummaryScope::Child)?;
    let history = incoming.state.tracker.history();
    let summary = history
        .child_summary(child.id, child.points, &params)
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// `GET /admin/children/{child_id}/summary`: from the history alone, so also for a deleted child;
/// `points` is the child's points after its last recorded event (0 without events).
pub(crate) async fn admin_child(_: Admin, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let child_id: ChildId = incoming.id()?;
    let params = SummaryParams::from_pairs(incoming.query_pairs()?, SummaryScope::Child)?;
    let history = incoming.state.tracker.history();
    let last = TrackingQuery {
        child_id: Some(child_id),
        limit: Some(1),
        order: Some(SortOrder::Desc),
        ..TrackingQuery::default()
    };
    let points = history
        .query(&last)
        .await?
        .items
        .first()
        .map_or(0, |event| event.points_after());
    let summary = history.child_summary(child_id, points, &params).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// `GET /summary`: every child of the parent's family, ranked by points earned in the range.
pub(crate) async fn family(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = SummaryParams::from_pairs(query_pairs(&request)?, SummaryScope::Family)?;
    let children = state.tracker.family().list_children(user.id).await?;
    let mut standings = Vec::with_capacity(children.len());
    for child in children {
        let summary = state
            .tracker
            .history()
            .child_summary(child.id, child.points, &params)
            .await?;
        standings.push(Standing {
            child_id: child.id,
            name: child.name,
            points: child.points,
            totals: summary.totals,
        });
    }
    Ok(HttpResponse::Ok().json(FamilyRanking::rank(standings)))
}
