//! Streaming exports of the history: every match of a query, as NDJSON or CSV, read from the
//! store one batch at a time and handed to the client through a small bounded channel, so the
//! server holds a few batches per export whatever its size, and a client that reads slowly
//! holds up only its own export.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use tokio::sync::mpsc;
use tracking_model::query::MAX_LIMIT;
use tracking_model::query::QueryScope;
use tracking_model::{ExportQuery, ExportWriter, Timestamp, TrackingQuery};
use tracking_store::TrackingRepository;

use crate::http::auth::{Admin, Caller};
use crate::http::incoming::Incoming;
use crate::{ApiError, ApiState};

/// Events read from the store per batch, and batches waiting for a slow client.
const BATCH: u32 = MAX_LIMIT;
const BATCHES_IN_FLIGHT: usize = 2;

/// `GET /admin/tracking/export`.
pub(crate) async fn admin(_: Admin, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let export = ExportQuery::from_pairs(incoming.query_pairs()?, QueryScope::Admin)?;
    Ok(stream(incoming.state, export))
}

/// `GET /children/{child_id}/tracking/export`: for the child's parent or the child itself; 404
/// otherwise.
pub(crate) async fn child(caller: Caller, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let (child, pairs) = incoming.child_read(&caller).await?;
    let mut export = ExportQuery::from_pairs(pairs, QueryScope::Child)?;
    export.filters.child_id = Some(child.id);
    Ok(stream(incoming.state, export))
}

/// The response: headers now, the body as the producer writes it.
fn stream(state: web::Data<ApiState>, export: ExportQuery) -> HttpResponse {
    let format = export.format;
    let (sender, mut receiver) = mpsc::channel(BATCHES_IN_FLIGHT);
    tokio::spawn(async move {
        let history = state.tracker.history();
        if let Err(err) = produce(history, export, &sender).await {
            log::warn!("an export stopped: {err}");
            // The status is sent already: breaking the body tells the client it is incomplete.
            let _ = sender.send(Err(std::io::Error::other(err))).await;
        }
    });
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(
                format.file_name(Timestamp::now()),
            )],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(futures_util::stream::poll_fn(move |context| {
            receiver.poll_recv(context)
        }))
}

/// Reads the matches batch by batch after the last key sent, writing each batch as one chunk;
/// stops early when the client has gone.
async fn produce(
    history: &dyn TrackingRepository,
    export: ExportQuery,
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), String> {
    let query = TrackingQuery {
        limit: Some(BATCH),
        ..export.filters
    };
    let mut writer = ExportWriter::new(export.format, Vec::new()).map_err(|err| err.to_string())?;
    let mut after = None;
    loop {
        let batch = history
            .query_after(&query, after)
            .await
            .map_err(|err| err.to_string())?;
        for event in &batch {
            writer.write_event(event).map_err(|err| err.to_string())?;
        }
        let chunk = Bytes::from(std::mem::take(writer.get_mut()));
        if !chunk.is_empty() && sender.send(Ok(chunk)).await.is_err() {
            return Ok(());
        }
        match batch.last() {
            Some(last) if batch.len() == BATCH as usize => after = Some(last.order_key()),
            _ => return Ok(()),
        }
    }
}
