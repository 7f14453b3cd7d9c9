//! A child's own device: its tokens, what they reach, its live stream, and who acted.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::spawn_app;

const WAIT: Duration = Duration::from_secs(10);

#[actix_rt::test]
async fn a_child_token_requests_and_cancels_its_rewards_and_the_history_says_who_acted() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let (child, parent) = (&family.child, &family.parent);
    for _ in 0..2 {
        app.activate(parent, child, &family.task).await.expect(200);
    }
    let token = app.create_child_token(parent, child).await;

    let me = app.get("/me", &token).await.expect(200);
    assert_eq!(me["role"], "child");
    assert_eq!(me["child"]["id"].as_str(), Some(child.as_str()));
    assert_eq!(me["child"]["points"], 10);
    let parent_me = app.get("/me", &parent.token).await.expect(200);
    assert_eq!(parent_me["role"], "parent");
    assert_eq!(parent_me["id"].as_str(), Some(parent.id.as_str()));

    let path = format!("/children/{child}/rewards/{}", family.reward);
    let requested = app
        .post_empty(&format!("{path}/request"), &token)
        .await
        .expect(200);
    assert_eq!(requested["tracking_event"]["metadata"]["actor"], "child");
    assert_eq!(
        requested["tracking_event"]["user_id"].as_str(),
        Some(parent.id.as_str())
    );
    let pending = app
        .get(&format!("/children/{child}/reward-requests"), &token)
        .await
        .expect(200);
    assert_eq!(pending.as_array().map(Vec::len), Some(1));
    app.post_empty(&format!("{path}/redeem"), &token)
        .await
        .expect_error(403, "forbidden");
    app.post_empty(
        &format!("/children/{child}/tasks/{}/activate", family.task),
        &token,
    )
    .await
    .expect_error(403, "forbidden");
    let cancelled = app
        .post_empty(&format!("{path}/cancel"), &token)
        .await
        .expect(200);
    assert_eq!(cancelled["tracking_event"]["metadata"]["actor"], "child");

    let history = app
        .child_tracking(parent, child, "?order=asc")
        .await
        .expect(200);
    let actors: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| &event["metadata"]["actor"])
        .collect();
    assert_eq!(actors, ["parent", "parent", "child", "child"]);
    let seen_by_child = app
        .get(&format!("/children/{child}/tracking?order=asc"), &token)
        .await
        .expect(200);
    assert_eq!(seen_by_child, history);
    let audit = app
        .log_dir()
        .join(format!("tracking_user_{}.log", parent.id));
    let mut actors_in_audit = Vec::new();
    for _ in 0..100 {
        let text = std::fs::read_to_string(&audit).unwrap_or_default();
        actors_in_audit = text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["metadata"]["actor"].clone())
            .collect();
        if actors_in_audit.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(actors_in_audit, ["parent", "parent", "child", "child"]);
    app.stop().await;
}

#[actix_rt::test]
async fn a_child_sees_only_itself_and_its_family_s_tasks_and_rewards() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let other = app.family("Blair").await;
    let sibling = app.create_child(&family.parent, "Robin").await;
    let token = app.create_child_token(&family.parent, &family.child).await;

    let children = app.get("/children", &token).await.expect(200);
    let ids: Vec<&str> = children
        .as_array()
        .unwrap()
        .iter()
        .map(|child| child["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [family.child.as_str()]);
    let tasks = app.get("/tasks", &token).await.expect(200);
    assert_eq!(
        tasks,
        app.get("/tasks", &family.parent.token).await.expect(200)
    );
    let rewards = app.get("/rewards", &token).await.expect(200);
    assert_eq!(
        rewards,
        app.get("/rewards", &family.parent.token).await.expect(200)
    );
    for someone_else in [&sibling, &other.child] {
        for route in ["", "/tracking", "/reward-requests"] {
            app.get(&format!("/children/{someone_else}{route}"), &token)
                .await
                .expect_error(404, "not_found");
        }
        app.post_empty(
            &format!("/children/{someone_else}/rewards/{}/request", family.reward),
            &token,
        )
        .await
        .expect_error(404, "not_found");
    }
    app.post_empty(&format!("/children/{}/tokens", family.child), &token)
        .await
        .expect_error(403, "forbidden");
    app.post(
        "/tasks",
        &token,
        serde_json::json!({"name": "Mine", "points": 1, "is_good": true}),
    )
    .await
    .expect_error(403, "forbidden");
    app.get("/admin/users", &token)
        .await
        .expect_error(403, "forbidden");
    app.stop().await;
}

#[actix_rt::test]
async fn tokens_are_several_per_child_and_die_when_revoked_or_with_the_child() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let (parent, child) = (&family.parent, &family.child);
    let phone = app.create_child_token(parent, child).await;
    let tablet = app.create_child_token(parent, child).await;
    assert_ne!(phone, tablet);
    for token in [&phone, &tablet] {
        app.get("/me", token).await.expect(200);
    }
    app.delete(&format!("/children/{child}/tokens"), &parent.token)
        .await
        .expect(204);
    for token in [&phone, &tablet] {
        app.get("/me", token)
            .await
            .expect_error(401, "unauthorized");
    }
    let ticket_holder = app.create_child_token(parent, child).await;
    let ticket = app
        .post_empty("/events/ticket", &ticket_holder)
        .await
        .expect(200)["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&format!("/children/{child}"), &parent.token)
        .await
        .expect(204);
    app.get("/me", &ticket_holder)
        .await
        .expect_error(401, "unauthorized");
    let refused = app
        .open_events_with_ticket(&ticket)
        .await
        .err()
        .expect("a ticket of a dead token opens nothing");
    assert_eq!(refused.status.as_u16(), 401);
    app.stop().await;
}

#[actix_rt::test]
async fn a_child_s_stream_carries_only_its_own_child_s_events() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let sibling = app.create_child(&family.parent, "Robin").await;
    let token = app.create_child_token(&family.parent, &family.child).await;
    let mut by_header = app.open_events(&token).await;
    let ticket = app.post_empty("/events/ticket", &token).await.expect(200)["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut by_ticket = app
        .open_events_with_ticket(&ticket)
        .await
        .unwrap_or_else(|answer| panic!("the ticket opens a stream: {}", answer.body));
    let mut parents = app.open_events(&family.parent.token).await;

    let robins = app
        .activate(&family.parent, &sibling, &family.task)
        .await
        .expect(200);
    let sams = app
        .activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    for stream in [&mut by_header, &mut by_ticket] {
        let received = stream.next_event(WAIT).await.expect("Sam's event arrives");
        assert_eq!(
            received.data["tracking_event_id"],
            sams["tracking_event"]["id"]
        );
    }
    let first = parents
        .next_event(WAIT)
        .await
        .expect("the parent hears both");
    let second = parents
        .next_event(WAIT)
        .await
        .expect("the parent hears both");
    assert_eq!(
        first.data["tracking_event_id"],
        robins["tracking_event"]["id"]
    );
    assert_eq!(
        second.data["tracking_event_id"],
        sams["tracking_event"]["id"]
    );
    assert!(
        by_header
            .next_event(Duration::from_millis(300))
            .await
            .is_none(),
        "the child heard its sibling's event"
    );
    app.stop().await;
}
