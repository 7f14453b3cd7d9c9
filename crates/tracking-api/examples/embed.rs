//! Mounting the tracking API inside another actix-web app, under `/tracking`, on an in-memory store.
//!
//! Run with `cargo run -p tracking-api --example embed`, then e.g.
//! `curl -H "Authorization: Bearer $ADMIN" localhost:8090/tracking/admin/users`.

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use tracking_api::{
    AdminCredential, ApiState, NoAudit, Tracker, configure, hash_token, json_not_found, new_token,
};
use tracking_store::MemoryStore;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let store = Arc::new(MemoryStore::new());
    let tracker = Arc::new(Tracker::new(store.clone(), store, Arc::new(NoAudit)));
    let admin_token = new_token();
    eprintln!("admin token: {admin_token}");
    let state = web::Data::new(ApiState::new(
        tracker,
        AdminCredential::from_hash(hash_token(&admin_token)),
    ));

    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("the host app's own page") }),
            )
            .service(web::scope("/tracking").configure(configure))
            .default_service(web::to(json_not_found))
    })
    .bind(("127.0.0.1", 8090))?
    .run()
    .await
}
