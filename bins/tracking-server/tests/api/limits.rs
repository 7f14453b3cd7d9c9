//! Limits hold under abuse: slow clients, many idle live streams, deep JSON, long query strings.

use std::time::Duration;

use awc::http::Method;
use futures_util::future::join_all;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{ADMIN_TOKEN, Dirs, TestApp, spawn_app, spawn_app_with};

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Opens a live stream on a raw socket, as thousands of idle browsers would.
async fn raw_stream(app: &TestApp, token: &str) -> TcpStream {
    let mut socket = connect(app).await;
    let request =
        format!("GET /events HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    socket
}

/// Reads from `socket` until `needle` appears; false if the socket closes or `wait` passes first.
async fn read_until(socket: &mut TcpStream, needle: &str, wait: Duration) -> bool {
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return false,
            Ok(Ok(read)) => {
                seen.extend_from_slice(&buffer[..read]);
                if String::from_utf8_lossy(&seen).contains(needle) {
                    return true;
                }
            }
        }
    }
}

#[actix_rt::test]
async fn slow_clients_are_dropped_and_do_not_starve_others() {
    let app = spawn_app_with(Dirs::new(), |settings| settings.request_timeout_ms = 500).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut socket = connect(&app).await;
        socket
            .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(socket);
    }
    let family = app.family("Alex").await;
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    app.call(Method::GET, "/health", None, None)
        .await
        .expect(200);
    for socket in &mut slow {
        let mut buffer = [0_u8; 1024];
        let closed = loop {
            match tokio::time::timeout(Duration::from_secs(30), socket.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break true,
                Ok(Ok(_)) => continue,
                Err(_) => break false,
            }
        };
        assert!(closed, "a slow client was not dropped");
    }
    app.stop().await;
}

#[actix_rt::test]
async fn a_thousand_idle_streams_each_get_their_event_and_others_are_served() {
    let app = spawn_app_with(Dirs::new(), |settings| settings.max_streams_per_user = 200).await;
    let mut families = Vec::new();
    for index in 0..5 {
        families.push(app.family(&format!("Parent {index}")).await);
    }
    let mut streams = Vec::new();
    for family in &families {
        for _ in 0..200 {
            streams.push((
                raw_stream(&app, &family.parent.token).await,
                family.child.clone(),
            ));
        }
    }
    for (socket, _) in &mut streams {
        assert!(
            read_until(socket, "200 OK", Duration::from_secs(20)).await,
            "a stream did not open"
        );
    }
    app.call(Method::GET, "/health", None, None)
        .await
        .expect(200);
    for family in &families {
        app.activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
    }
    let delivered = join_all(streams.iter_mut().map(|(socket, child)| async move {
        read_until(
            socket,
            &format!("\"child_id\":\"{child}\""),
            Duration::from_secs(20),
        )
        .await
    }))
    .await;
    assert_eq!(
        delivered.iter().filter(|arrived| **arrived).count(),
        1000,
        "some streams missed their event"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn opening_past_the_per_user_limit_closes_the_oldest_stream() {
    let app = spawn_app_with(Dirs::new(), |settings| settings.max_streams_per_user = 2).await;
    let family = app.family("Alex").await;
    let mut oldest = app.open_events(&family.parent.token).await;
    // The limit holds on each server: past it on the oldest stream's server (the streams go to
    // the servers in turn), that stream ends.
    let mut others = Vec::new();
    for _ in 0..2 * crate::SERVERS {
        others.push(app.open_events(&family.parent.token).await);
    }
    assert!(oldest.ended(Duration::from_secs(10)).await);
    app.stop().await;
}

#[actix_rt::test]
async fn deep_json_and_long_query_strings_are_refused_without_harm() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let deep = format!("{{\"name\":{}\"x\"{}}}", "[".repeat(5000), "]".repeat(5000));
    let answer = app
        .call_raw(
            Method::POST,
            "/children",
            Some(&family.parent.token),
            "application/json",
            deep.into_bytes(),
        )
        .await;
    answer.expect_error(400, "invalid_request");
    let long = format!("/admin/tracking?entity_type={}", "x".repeat(8 * 1024));
    app.get(&long, ADMIN_TOKEN)
        .await
        .expect_error(400, "invalid_request");
    let mut socket = connect(&app).await;
    let huge = format!(
        "GET /admin/tracking?entity_type={} HTTP/1.1\r\nHost: test\r\n\r\n",
        "x".repeat(64 * 1024)
    );
    let _ = socket.write_all(huge.as_bytes()).await;
    let mut head = vec![0_u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut head))
        .await
        .unwrap()
        .unwrap_or(0);
    let status_line = String::from_utf8_lossy(&head[..read]).into_owned();
    assert!(
        read == 0 || status_line.starts_with("HTTP/1.1 4"),
        "a 64 KiB request line got {status_line:?}"
    );
    app.post(
        "/children",
        &family.parent.token,
        json!({"name": "Still fine"}),
    )
    .await
    .expect(201);
    app.stop().await;
}
