//! The export routes through the real server: every match in order as NDJSON or spreadsheet-safe
//! CSV, as a download, and a client that stops reading holds up nobody else.

use futures_util::StreamExt;
use serde_json::Value;
use tracking_model::test_support::{EventBuilder, KINDS};
use tracking_model::{ChildId, Timestamp, TrackingEvent};

use crate::helpers::{ADMIN_TOKEN, Dirs, spawn_app, spawn_app_in};

/// The filename every export is offered under today.
fn attachment(ext: &str) -> String {
    let today = &Timestamp::now().to_string()[..10];
    format!("attachment; filename=\"tracking-{today}.{ext}\"")
}

#[actix_rt::test]
async fn a_childs_export_is_its_history_as_ndjson_lines() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let other = app.family("Blair").await;
    for _ in 0..7 {
        app.activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
        app.activate(&other.parent, &other.child, &other.task)
            .await
            .expect(200);
    }
    app.activate(&family.parent, &family.child, &family.penalty)
        .await
        .expect(200);
    let path = format!("/children/{}/tracking/export", family.child);
    for order in ["asc", "desc"] {
        let (status, headers, body) = app
            .download(
                &format!("{path}?format=ndjson&order={order}"),
                &family.parent.token,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/x-ndjson");
        assert_eq!(headers["content-disposition"], attachment("ndjson"));
        let lines: Vec<Value> = String::from_utf8(body)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let page = app
            .child_tracking(
                &family.parent,
                &family.child,
                &format!("?limit=500&order={order}"),
            )
            .await
            .expect(200);
        assert_eq!(lines.len(), 8);
        assert_eq!(Value::Array(lines), page["items"]);
    }
    // The filters of the list route apply.
    let (_, _, penalties) = app
        .download(
            &format!("{path}?format=ndjson&entity_type=penalty"),
            &family.parent.token,
        )
        .await;
    assert_eq!(String::from_utf8(penalties).unwrap().lines().count(), 1);
    // Another family's child, bad parameters: refused before anything streams.
    app.get(
        &format!("/children/{}/tracking/export?format=ndjson", other.child),
        &family.parent.token,
    )
    .await
    .expect_error(404, "not_found");
    for (query, field) in [
        ("", "format"),
        ("format=xml", "format"),
        ("format=csv&limit=5", "limit"),
        ("format=csv&offset=1", "offset"),
        ("format=csv&user_id=x", "user_id"),
    ] {
        let body = app
            .get(&format!("{path}?{query}"), &family.parent.token)
            .await
            .expect_error(400, "invalid_request");
        assert_eq!(body["error"]["details"]["field"], field, "{query}");
    }
    app.stop().await;
}

/// A name with a formula, quotes, a comma and text beyond ASCII.
const TRICKY: &str = "=HYPERLINK(\"x\"), \"quoted\"; ünïcode – 家";

#[actix_rt::test]
async fn the_admin_export_as_csv_reads_back_as_the_events() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let tricky = app.create_task(&family.parent, TRICKY, 2, true).await;
    app.activate(&family.parent, &family.child, &tricky)
        .await
        .expect(200);
    app.activate(&family.parent, &family.child, &family.penalty)
        .await
        .expect(200);
    let (status, headers, body) = app
        .download("/admin/tracking/export?format=csv", ADMIN_TOKEN)
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["content-disposition"], attachment("csv"));
    let text = String::from_utf8(body).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        tracking_model::CSV_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let events = app.admin_tracking("?limit=500").await["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), events.len());
    for (row, event) in rows.iter().zip(&events) {
        assert_eq!(&row[0], event["id"].as_str().unwrap());
        assert_eq!(&row[1], event["user_id"].as_str().unwrap());
        assert_eq!(
            row[8].parse::<i64>().unwrap(),
            event["delta"].as_i64().unwrap()
        );
        // Negative numbers stay numbers; the metadata is JSON text that parses back.
        let metadata: Value = serde_json::from_str(&row[11]).unwrap();
        assert_eq!(metadata, event["metadata"]);
    }
    let names: Vec<Value> = rows
        .iter()
        .map(|row| serde_json::from_str::<Value>(&row[11]).unwrap()["entity_name"].clone())
        .collect();
    assert!(names.contains(&Value::from(TRICKY)), "{names:?}");
    assert!(rows.iter().any(|row| &row[8] == "-3"));
    app.stop().await;
}

/// Events of many children written straight into a history file, as a server that recorded them
/// would have left it.
fn seeded_history(dirs: &Dirs, count: usize) {
    let children: Vec<ChildId> = (0..10).map(|_| ChildId::generate()).collect();
    let mut text = String::new();
    for index in 0..count {
        let event: TrackingEvent = EventBuilder::new()
            .child(children[index % children.len()])
            .kind(index % KINDS.len())
            .occurred_at(Timestamp::from_unix_millis(1_770_000_000_000 + index as i64).unwrap())
            .build();
        text.push_str(&serde_json::to_string(&event).unwrap());
        text.push('\n');
    }
    std::fs::create_dir_all(dirs.data()).unwrap();
    std::fs::write(dirs.data().join(tracking_store::HISTORY_FILE), text).unwrap();
}

#[actix_rt::test]
async fn a_paused_export_holds_up_no_other_request() {
    const EVENTS: usize = 40_000;
    let dirs = Dirs::new();
    seeded_history(&dirs, EVENTS);
    let app = spawn_app_in(dirs).await;
    let family = app.family("Alex").await;

    let mut paused = app
        .open_download("/admin/tracking/export?format=ndjson", ADMIN_TOKEN)
        .await;
    let first = paused.next().await.unwrap().unwrap();
    assert!(!first.is_empty());

    // While that reader stops, everyone else is served, another export included.
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    app.get("/children", &family.parent.token).await.expect(200);
    assert_eq!(app.admin_tracking("?limit=1").await["total"], EVENTS + 1);
    let (status, _, whole) = app
        .download(
            "/admin/tracking/export?format=csv&entity_type=task",
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(whole).unwrap().lines().count() > EVENTS / KINDS.len());

    // The paused reader then gets its export whole, each event once and in order.
    let mut body = first.to_vec();
    while let Some(chunk) = paused.next().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    let ids: Vec<String> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        ids.len() == EVENTS || ids.len() == EVENTS + 1,
        "{}",
        ids.len()
    );
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    drop(paused);
    app.stop().await;
}
