//! The summary routes through the real server: totals equal to adding up the history page by
//! page, periods in the family's time zone, the family's ranking, a deleted child's summary for
//! the admin, and refused parameters.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Family, TestApp, spawn_app};

/// What a client gets by paging the child's history and adding up, as the contract defines it.
async fn added_up(app: &TestApp, family: &Family) -> Value {
    let mut totals = [0_i64; 8];
    let mut offset = 0;
    loop {
        let page = app
            .child_tracking(
                &family.parent,
                &family.child,
                &format!("?limit=2&offset={offset}"),
            )
            .await
            .expect(200);
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        offset += items.len();
        for event in items {
            let amount = event["delta"].as_i64().unwrap().abs();
            match (event["entity_type"].as_str(), event["action"].as_str()) {
                (Some("task"), _) => (totals[0], totals[3]) = (totals[0] + amount, totals[3] + 1),
                (Some("penalty"), _) => {
                    (totals[1], totals[4]) = (totals[1] + amount, totals[4] + 1);
                }
                (_, Some("requested")) => totals[5] += 1,
                (_, Some("redeemed")) => {
                    (totals[2], totals[6]) = (totals[2] + amount, totals[6] + 1);
                }
                _ => totals[7] += 1,
            }
        }
    }
    json!({
        "earned": totals[0], "lost": totals[1], "spent": totals[2],
        "tasks_activated": totals[3], "penalties_activated": totals[4],
        "rewards_requested": totals[5], "rewards_redeemed": totals[6],
        "rewards_cancelled": totals[7],
    })
}

/// Three tasks (+15), a penalty (-3), a request cancelled, a request redeemed (-10): 2 points.
async fn busy_family(app: &TestApp, name: &str) -> Family {
    let family = app.family(name).await;
    for _ in 0..3 {
        app.activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
    }
    app.activate(&family.parent, &family.child, &family.penalty)
        .await
        .expect(200);
    for action in ["request", "cancel", "request", "redeem"] {
        app.reward_action(&family.parent, &family.child, &family.reward, action)
            .await
            .expect(200);
    }
    family
}

#[actix_rt::test]
async fn a_childs_summary_is_its_history_added_up() {
    let app = spawn_app().await;
    let family = busy_family(&app, "Alex").await;
    let path = format!("/children/{}/summary", family.child);
    let summary = app.get(&path, &family.parent.token).await.expect(200);
    let expected = added_up(&app, &family).await;
    assert_eq!(summary["totals"], expected);
    assert_eq!(expected["earned"], 15);
    assert_eq!(expected["rewards_cancelled"], 1);
    assert_eq!(summary["points"], 2);
    assert_eq!(summary["child_id"], family.child.as_str());
    assert_eq!(summary["tz"], "UTC");
    assert_eq!(
        (&summary["from"], &summary["to"]),
        (&Value::Null, &Value::Null)
    );
    assert!((summary["good_share"].as_f64().unwrap() - 15.0 / 18.0).abs() < 1e-12);
    assert!(summary.get("buckets").is_none());

    // Periods cut in the family's zone add up to the same totals.
    for bucket in ["day", "week", "month"] {
        let query = format!("{path}?bucket={bucket}&tz=America/Los_Angeles");
        let bucketed = app.get(&query, &family.parent.token).await.expect(200);
        assert_eq!(bucketed["tz"], "America/Los_Angeles");
        assert_eq!(bucketed["totals"], expected);
        let buckets = bucketed["buckets"].as_array().unwrap();
        assert!(!buckets.is_empty());
        for field in ["earned", "lost", "spent"] {
            let sum: i64 = buckets.iter().map(|b| b[field].as_i64().unwrap()).sum();
            assert_eq!(sum, expected[field].as_i64().unwrap(), "{bucket} {field}");
        }
    }

    // A range with no events: zeros, no share, and its bounds as given.
    let empty = app
        .get(
            &format!("{path}?from=2100-01-01&tz=Europe/Berlin&bucket=day"),
            &family.parent.token,
        )
        .await
        .expect(200);
    assert_eq!(empty["totals"]["earned"], 0);
    assert_eq!(empty["good_share"], Value::Null);
    assert_eq!(empty["from"], "2099-12-31T23:00:00.000Z");
    assert_eq!(empty["buckets"], json!([]));
    app.stop().await;
}

#[actix_rt::test]
async fn the_family_ranking_orders_children_by_points_earned() {
    let app = spawn_app().await;
    let family = busy_family(&app, "Alex").await;
    let ada = app.create_child(&family.parent, "Ada").await;
    app.activate(&family.parent, &ada, &family.task)
        .await
        .expect(200);
    let idle = app.create_child(&family.parent, "Zed").await;
    let other = busy_family(&app, "Blair").await;

    let ranking = app.get("/summary", &family.parent.token).await.expect(200);
    let children = ranking["children"].as_array().unwrap();
    let rows: Vec<(&str, i64, i64, i64)> = children
        .iter()
        .map(|child| {
            (
                child["name"].as_str().unwrap(),
                child["totals"]["earned"].as_i64().unwrap(),
                child["rank"].as_i64().unwrap(),
                child["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("Sam", 15, 1, 2), ("Ada", 5, 2, 5), ("Zed", 0, 3, 0)]
    );
    assert_eq!(children[2]["child_id"], idle.as_str());
    assert_eq!(children[2]["good_share"], Value::Null);
    assert!(!ranking.to_string().contains(&other.child));

    // A range before every event: everyone shares the first rank.
    let before = app
        .get("/summary?to=2000-01-01&tz=Asia/Tokyo", &family.parent.token)
        .await
        .expect(200);
    let ranks: Vec<i64> = before["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|child| child["rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, [1, 1, 1]);
    app.get("/summary?bucket=day", &family.parent.token)
        .await
        .expect_error(400, "invalid_request");
    app.stop().await;
}

#[actix_rt::test]
async fn the_admin_summarises_a_deleted_childs_history() {
    let app = spawn_app().await;
    let family = busy_family(&app, "Alex").await;
    let path = format!("/children/{}/summary", family.child);
    let before = app.get(&path, &family.parent.token).await.expect(200);
    let admin_path = format!("/admin{path}?bucket=month");
    let by_admin = app.get(&admin_path, ADMIN_TOKEN).await.expect(200);
    assert_eq!(by_admin["totals"], before["totals"]);
    assert_eq!(by_admin["points"], 2);

    app.delete(&format!("/children/{}", family.child), &family.parent.token)
        .await
        .expect(204);
    app.get(&path, &family.parent.token)
        .await
        .expect_error(404, "not_found");
    let after = app.get(&admin_path, ADMIN_TOKEN).await.expect(200);
    assert_eq!(after, by_admin);

    // A child the history has never seen: nothing to add up.
    let unknown = app
        .get(
            "/admin/children/01KB0000000000000000000000/summary",
            ADMIN_TOKEN,
        )
        .await
        .expect(200);
    assert_eq!(
        (&unknown["points"], &unknown["totals"]["earned"]),
        (&json!(0), &json!(0))
    );
    app.stop().await;
}

#[actix_rt::test]
async fn bad_summary_parameters_are_refused_naming_them() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let path = format!("/children/{}/summary", family.child);
    for (query, field) in [
        ("tz=Mars/Olympus_Mons", "tz"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("bucket=year", "bucket"),
        ("limit=5", "limit"),
        ("tz=UTC&tz=UTC", "tz"),
    ] {
        for (path, token) in [
            (path.clone(), family.parent.token.as_str()),
            (format!("/admin{path}"), ADMIN_TOKEN),
        ] {
            let body = app
                .get(&format!("{path}?{query}"), token)
                .await
                .expect_error(400, "invalid_request");
            assert_eq!(body["error"]["details"]["field"], field, "{query}: {body}");
        }
    }
    app.get("/children/nope/summary", &family.parent.token)
        .await
        .expect_error(404, "not_found");
    app.stop().await;
}
