//! Reading the history: filters, pagination, order, totals, and one event by id.

use crate::helpers::{ADMIN_TOKEN, spawn_app};

#[actix_rt::test]
async fn filters_combine_and_totals_count_every_match() {
    let app = spawn_app().await;
    let alex = app.family("Alex").await;
    let blair = app.family("Blair").await;
    for _ in 0..4 {
        app.activate(&alex.parent, &alex.child, &alex.task)
            .await
            .expect(200);
    }
    app.activate(&alex.parent, &alex.child, &alex.penalty)
        .await
        .expect(200);
    app.reward_action(&alex.parent, &alex.child, &alex.reward, "request")
        .await
        .expect(200);
    app.activate(&blair.parent, &blair.child, &blair.task)
        .await
        .expect(200);

    assert_eq!(app.admin_tracking("").await["total"], 7);
    assert_eq!(
        app.admin_tracking(&format!("?child_id={}", alex.child))
            .await["total"],
        6
    );
    assert_eq!(
        app.admin_tracking(&format!("?user_id={}", blair.parent.id))
            .await["total"],
        1
    );
    assert_eq!(app.admin_tracking("?entity_type=penalty").await["total"], 1);
    assert_eq!(
        app.admin_tracking("?entity_type=reward&action=requested")
            .await["total"],
        1
    );
    assert_eq!(
        app.admin_tracking(&format!("?child_id={}&entity_type=task", alex.child))
            .await["total"],
        4
    );

    let page = app.admin_tracking("?limit=2&offset=1").await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["limit"].as_u64(),
            page["offset"].as_u64()
        ),
        (Some(7), Some(2), Some(1))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let beyond = app.admin_tracking("?offset=100").await;
    assert_eq!(
        (
            beyond["total"].as_u64(),
            beyond["items"].as_array().unwrap().len()
        ),
        (Some(7), 0)
    );

    let parents_view = app
        .child_tracking(&alex.parent, &alex.child, "?entity_type=task&limit=3")
        .await
        .expect(200);
    assert_eq!(
        (
            parents_view["total"].as_u64(),
            parents_view["items"].as_array().unwrap().len()
        ),
        (Some(4), 3)
    );
    app.stop().await;
}

#[actix_rt::test]
async fn date_ranges_are_half_open_and_accept_offsets() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let first = app
        .activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    let at = first["tracking_event"]["occurred_at"]
        .as_str()
        .unwrap()
        .to_owned();
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);

    let from_first = app.admin_tracking(&format!("?from={at}")).await;
    assert_eq!(from_first["total"], 2);
    let before_first = app.admin_tracking(&format!("?to={at}")).await;
    assert_eq!(before_first["total"], 0);
    assert_eq!(
        app.admin_tracking("?from=2000-01-01T00:00:00%2B02:00&to=2999-01-01T00:00:00Z")
            .await["total"],
        2
    );
    assert_eq!(
        app.admin_tracking("?to=2000-01-01T00:00:00Z").await["total"],
        0
    );
    app.stop().await;
}

#[actix_rt::test]
async fn the_admin_reads_one_event_by_id() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let event = app
        .activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200)["tracking_event"]
        .clone();
    let id = event["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/admin/tracking/{id}"), ADMIN_TOKEN)
            .await
            .expect(200),
        event
    );
    app.get("/admin/tracking/01JKZ8Q4V3X9T7M2N5P6R8S0AB", ADMIN_TOKEN)
        .await
        .expect_error(404, "not_found");
    app.get("/admin/tracking/not-an-id", ADMIN_TOKEN)
        .await
        .expect_error(404, "not_found");
    app.stop().await;
}

#[actix_rt::test]
async fn health_reports_ok_and_the_backlog() {
    let app = spawn_app().await;
    let health = app
        .call(awc::http::Method::GET, "/health", None, None)
        .await
        .expect(200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["tracking_backlog"], 0);
    app.stop().await;
}

#[actix_rt::test]
async fn the_demo_family_arrives_with_a_consistent_history() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Dirs::new(), |settings| {
        settings.demo = true
    })
    .await;
    let users = app.get("/admin/users", ADMIN_TOKEN).await.expect(200);
    assert_eq!(users.as_array().unwrap().len(), 1);
    let history = app.admin_tracking("?limit=500").await;
    assert_eq!(history["total"], 9);
    let mut last_points = std::collections::HashMap::new();
    for event in history["items"].as_array().unwrap() {
        let child = event["child_id"].as_str().unwrap();
        let before = last_points
            .insert(child.to_owned(), event["points_after"].as_i64().unwrap())
            .unwrap_or(0);
        assert_eq!(event["points_before"].as_i64(), Some(before), "{event}");
    }
    let dirs = app.stop().await;
    let app = crate::helpers::spawn_app_with(dirs, |settings| settings.demo = true).await;
    assert_eq!(
        app.admin_tracking("").await["total"],
        9,
        "the demo family was loaded twice"
    );
    app.stop().await;
}
