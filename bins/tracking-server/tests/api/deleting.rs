//! Deleting children, tasks, rewards and users: history kept, anonymized, audit files purged.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_app};

fn audit_files(dir: &std::path::Path, user: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&format!("tracking_user_{user}.log")))
        .collect()
}

/// Waits until the audit follower, which writes after the answers, has caught up with the history.
async fn audit_caught_up(app: &TestApp) {
    for _ in 0..400 {
        // Whichever server writes the audit files (on a pair, the other reports no backlog).
        let healths = app.get_on_each("/health").await;
        if (healths.into_iter()).all(|health| health.expect(200)["audit_backlog"] == 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the audit files did not catch up with the history");
}

#[actix_rt::test]
async fn a_deleted_child_keeps_its_history_for_the_admin() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    app.reward_action(&family.parent, &family.child, &family.reward, "cancel")
        .await
        .expect_error(409, "no_pending_request");
    let before = app
        .admin_tracking(&format!("?child_id={}", family.child))
        .await;

    app.delete(&format!("/children/{}", family.child), &family.parent.token)
        .await
        .expect(204);
    app.get(&format!("/children/{}", family.child), &family.parent.token)
        .await
        .expect_error(404, "not_found");
    app.child_tracking(&family.parent, &family.child, "")
        .await
        .expect_error(404, "not_found");
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        app.admin_tracking(&format!("?child_id={}", family.child))
            .await,
        before
    );
    app.stop().await;
}

#[actix_rt::test]
async fn deleted_tasks_and_rewards_leave_the_history_unchanged() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    for _ in 0..2 {
        app.activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
    }
    app.reward_action(&family.parent, &family.child, &family.reward, "request")
        .await
        .expect(200);
    let before = app.admin_tracking("").await;
    app.delete(&format!("/tasks/{}", family.task), &family.parent.token)
        .await
        .expect(204);
    app.delete(&format!("/rewards/{}", family.reward), &family.parent.token)
        .await
        .expect(204);
    app.get(&format!("/tasks/{}", family.task), &family.parent.token)
        .await
        .expect_error(404, "not_found");
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect_error(404, "not_found");
    let pending = app
        .get(
            &format!("/children/{}/reward-requests", family.child),
            &family.parent.token,
        )
        .await
        .expect(200);
    assert_eq!(pending, serde_json::json!([]));
    assert_eq!(app.admin_tracking("").await, before);
    app.stop().await;
}

#[actix_rt::test]
async fn a_deleted_user_is_anonymized_everywhere_and_its_audit_files_removed() {
    let app = spawn_app().await;
    let alex = app.family("Alex").await;
    let blair = app.family("Blair").await;
    for _ in 0..3 {
        app.activate(&alex.parent, &alex.child, &alex.task)
            .await
            .expect(200);
    }
    app.activate(&blair.parent, &blair.child, &blair.task)
        .await
        .expect(200);
    let before = app
        .admin_tracking(&format!("?child_id={}", alex.child))
        .await;
    audit_caught_up(&app).await;
    if crate::SERVERS > 1 {
        // Right after a start on a pair, both servers may still stand by (no backlog on either)
        // until one is elected to write the files.
        let file = app
            .log_dir()
            .join(format!("tracking_user_{}.log", alex.parent.id));
        crate::helpers::wait_for_file(&file).await;
    }
    assert_eq!(audit_files(&app.log_dir(), &alex.parent.id).len(), 1);

    app.delete(&format!("/admin/users/{}", alex.parent.id), ADMIN_TOKEN)
        .await
        .expect(204);

    let after = app
        .admin_tracking(&format!("?child_id={}", alex.child))
        .await;
    assert_eq!(after["total"], 3);
    let before_items = before["items"].as_array().unwrap();
    for (old, new) in before_items.iter().zip(after["items"].as_array().unwrap()) {
        assert_eq!(new["user_id"], Value::Null);
        let mut expected = old.clone();
        expected["user_id"] = Value::Null;
        assert_eq!(new, &expected);
    }
    assert_eq!(
        app.admin_tracking(&format!("?user_id={}", alex.parent.id))
            .await["total"],
        0
    );
    assert_eq!(
        app.admin_tracking(&format!("?user_id={}", blair.parent.id))
            .await["total"],
        1
    );
    if crate::SERVERS > 1 {
        // On a pair, the deletion may have gone to the server that does not write the audit
        // files: the writer removes them at its next catch-up (every second).
        for _ in 0..600 {
            if audit_files(&app.log_dir(), &alex.parent.id).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(audit_files(&app.log_dir(), &alex.parent.id).is_empty());
    assert_eq!(audit_files(&app.log_dir(), &blair.parent.id).len(), 1);
    app.get("/me", &alex.parent.token)
        .await
        .expect_error(401, "unauthorized");
    let users = app.get("/admin/users", ADMIN_TOKEN).await.expect(200);
    assert_eq!(users.as_array().unwrap().len(), 1);
    app.delete(&format!("/admin/users/{}", alex.parent.id), ADMIN_TOKEN)
        .await
        .expect_error(404, "not_found");
    app.stop().await;
}
