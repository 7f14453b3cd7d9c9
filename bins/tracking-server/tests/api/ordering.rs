//! Rapid and concurrent activations: one total order and an exact points chain.

use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::spawn_app;

fn assert_exact_chain(items: &[Value], final_points: i64) {
    let mut previous_after = 0;
    let mut previous_key = (String::new(), String::new(), String::new());
    for event in items {
        assert_eq!(
            event["points_before"].as_i64().unwrap(),
            previous_after,
            "broken chain at {event}"
        );
        previous_after = event["points_after"].as_i64().unwrap();
        let key = (
            event["occurred_at"].as_str().unwrap().to_owned(),
            event["created_at"].as_str().unwrap().to_owned(),
            event["id"].as_str().unwrap().to_owned(),
        );
        assert!(
            key > previous_key,
            "out of order: {key:?} after {previous_key:?}"
        );
        previous_key = key;
    }
    assert_eq!(previous_after, final_points);
}

#[actix_rt::test]
async fn concurrent_activations_on_one_child_form_an_exact_chain() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let answers = join_all((0..40).map(|i| {
        let task = if i % 4 == 3 {
            &family.penalty
        } else {
            &family.task
        };
        app.activate(&family.parent, &family.child, task)
    }))
    .await;
    for answer in answers {
        answer.expect(200);
    }
    let points = app.child_points(&family.parent, &family.child).await;
    assert_eq!(points, 30 * 5 - 10 * 3);
    let page = app
        .child_tracking(&family.parent, &family.child, "?limit=500")
        .await
        .expect(200);
    assert_eq!(page["total"], 40);
    assert_exact_chain(page["items"].as_array().unwrap(), points);

    let descending = app
        .child_tracking(&family.parent, &family.child, "?limit=500&order=desc")
        .await
        .expect(200);
    let mut reversed = descending["items"].as_array().unwrap().clone();
    reversed.reverse();
    assert_eq!(&reversed, page["items"].as_array().unwrap());
    app.stop().await;
}

#[actix_rt::test]
async fn rapid_sequential_activations_keep_their_order() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let mut ids = Vec::new();
    for _ in 0..25 {
        let answer = app
            .activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
        ids.push(answer["tracking_event"]["id"].as_str().unwrap().to_owned());
    }
    let page = app
        .child_tracking(&family.parent, &family.child, "?limit=500")
        .await
        .expect(200);
    let stored: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["id"].as_str().unwrap())
        .collect();
    assert_eq!(stored, ids);
    assert_exact_chain(page["items"].as_array().unwrap(), 125);
    app.stop().await;
}
