//! Stop the server, start it on the same directories: everything is still there.

use crate::helpers::{ADMIN_TOKEN, spawn_app, spawn_app_in};

#[actix_rt::test]
async fn a_restart_keeps_families_points_requests_and_history() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    for _ in 0..3 {
        app.activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
    }
    app.reward_action(&family.parent, &family.child, &family.reward, "request")
        .await
        .expect(200);
    let history = app.admin_tracking("").await;
    let children = app.get("/children", &family.parent.token).await.expect(200);
    let dirs = app.stop().await;

    let app = spawn_app_in(dirs).await;
    assert_eq!(app.admin_tracking("").await, history);
    assert_eq!(
        app.get("/children", &family.parent.token).await.expect(200),
        children
    );
    let pending = app
        .get(
            &format!("/children/{}/reward-requests", family.child),
            &family.parent.token,
        )
        .await
        .expect(200);
    assert_eq!(pending.as_array().unwrap().len(), 1);
    app.reward_action(&family.parent, &family.child, &family.reward, "request")
        .await
        .expect_error(409, "already_requested");
    let redeemed = app
        .reward_action(&family.parent, &family.child, &family.reward, "redeem")
        .await
        .expect(200);
    assert_eq!(redeemed["tracking_event"]["points_before"], 15);
    assert_eq!(
        app.get("/admin/users", ADMIN_TOKEN)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}
