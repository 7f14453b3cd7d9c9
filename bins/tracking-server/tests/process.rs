//! The built binary as operators run it: graceful stop on SIGTERM and SIGINT, and no acknowledged
//! mutation lost when the process is killed with SIGKILL at a random moment.

mod support;

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use awc::http::Method;
use serde_json::json;
use support::{ADMIN, Client, Dirs, Server};

#[derive(Debug, Clone)]
struct Family {
    token: String,
    child: String,
    task: String,
}

impl Family {
    fn activate_path(&self) -> String {
        format!("/children/{}/tasks/{}/activate", self.child, self.task)
    }

    /// The history filter of the family's child.
    fn child_filter(&self) -> String {
        format!("child_id={}&", self.child)
    }
}

async fn make_family(client: &Client) -> Family {
    let created = client
        .post("/admin/users", ADMIN, Some(json!({"name": "Alex"})))
        .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let child = client
        .post("/children", &token, Some(json!({"name": "Sam"})))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = client
        .post(
            "/tasks",
            &token,
            Some(json!({"name": "Make bed", "points": 1, "is_good": true})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Family { token, child, task }
}

#[actix_rt::test]
async fn sigterm_and_sigint_stop_gracefully_and_keep_everything() {
    let dirs = Dirs::new();
    let mut server = Server::start(&dirs, &[]);
    let client = Client::new(server.base());
    let family = make_family(&client).await;
    let path = family.activate_path();
    client.post(&path, &family.token, None).await;
    let events_stream = client
        .http
        .get(client.url("/events"))
        .bearer_auth(&family.token)
        .send()
        .await
        .unwrap();
    assert_eq!(events_stream.status().as_u16(), 200);
    server.signal("TERM");
    assert!(
        server.wait().success(),
        "SIGTERM did not end the server with exit code 0"
    );

    server.restart();
    let client = Client::new(server.base());
    client.post(&path, &family.token, None).await;
    assert_eq!(client.history(&family.child_filter()).await.len(), 2);
    server.signal("INT");
    assert!(
        server.wait().success(),
        "SIGINT did not end the server with exit code 0"
    );
}

#[actix_rt::test]
async fn nothing_acknowledged_is_lost_when_killed() {
    let dirs = Dirs::new();
    let mut server = Server::start(&dirs, &[]);
    let family = make_family(&Client::new(server.base())).await;
    let mut acknowledged: Vec<String> = Vec::new();

    for round in 0..5_u64 {
        let client = Rc::new(Client::new(server.base()));
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..8)
            .map(|_| {
                actix_rt::spawn(activate_until_stopped(
                    client.clone(),
                    stop.clone(),
                    family.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(150 + round * 70)).await;
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }

        server.restart();
        let client = Client::new(server.base()).within(format!("round {round}"));
        assert_all_kept(&client, &family, &acknowledged, round).await;
    }
    assert!(
        acknowledged.len() > 5,
        "too few mutations were acknowledged to prove anything"
    );
}

/// Activates the family's task again and again until `stop` or a lost answer; the ids answered.
async fn activate_until_stopped(
    client: Rc<Client>,
    stop: Arc<AtomicBool>,
    family: Family,
) -> Vec<String> {
    let path = family.activate_path();
    let mut ids = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match client.send(Method::POST, &path, &family.token, None).await {
            Ok((200, body)) => ids.push(body["tracking_event"]["id"].as_str().unwrap().to_owned()),
            Ok((status, body)) => panic!("unexpected answer {status}: {body}"),
            Err(_) => break,
        }
    }
    ids
}

/// Every acknowledged event stored once, an exact chain, and the child's points at its end.
async fn assert_all_kept(client: &Client, family: &Family, acknowledged: &[String], round: u64) {
    let history = client.history(&family.child_filter()).await;
    let ids: Vec<&str> = history
        .iter()
        .map(|event| event["id"].as_str().unwrap())
        .collect();
    let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an event is stored twice");
    for id in acknowledged {
        assert!(
            unique.contains(id.as_str()),
            "acknowledged event {id} lost after SIGKILL in round {round}"
        );
    }
    let mut points = 0;
    for event in &history {
        assert_eq!(
            event["points_before"].as_i64(),
            Some(points),
            "broken chain after round {round}"
        );
        points = event["points_after"].as_i64().unwrap();
    }
    let path = format!("/children/{}", family.child);
    let (_, child) = client.call(Method::GET, &path, &family.token, None).await;
    assert_eq!(child["points"].as_i64(), Some(points));
}
