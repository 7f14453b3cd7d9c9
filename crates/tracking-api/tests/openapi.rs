//! Drift check of `docs/openapi.json`, the OpenAPI document generated from the Rust types and
//! `src/openapi/paths.rs`. Run with `UPDATE_GENERATED=1` to rewrite it.

use std::path::Path;

const REGENERATE: &str = "UPDATE_GENERATED=1 cargo test -p tracking-api --test openapi";

#[test]
fn committed_document_is_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let expected = tracking_api::openapi_json();
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("UPDATE_GENERATED").is_some() && actual != expected {
        std::fs::write(&path, expected).unwrap();
        return;
    }
    assert!(
        actual == expected,
        "docs/openapi.json is stale: it differs from what the code generates.\nRefresh it with:\n\n    {REGENERATE}\n"
    );
}

#[test]
fn document_is_openapi_3_1_with_every_security_scheme() {
    let document: serde_json::Value = serde_json::from_str(tracking_api::openapi_json()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let schemes = &document["components"]["securitySchemes"];
    for (name, kind) in [
        ("admin", "http"),
        ("parent", "http"),
        ("child", "http"),
        ("ticket", "apiKey"),
    ] {
        assert_eq!(schemes[name]["type"], kind, "{name}: {schemes}");
    }
    assert_eq!(schemes["ticket"]["in"], "query");
}

#[test]
fn every_reference_resolves() {
    let document: serde_json::Value = serde_json::from_str(tracking_api::openapi_json()).unwrap();
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not local"));
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} points at nothing"
        );
    }
}

#[test]
fn operations_have_their_error_answers() {
    let document: serde_json::Value = serde_json::from_str(tracking_api::openapi_json()).unwrap();
    let responses = |path: &str, method: &str| {
        let answers = &document["paths"][path][method]["responses"];
        let mut statuses: Vec<String> = answers
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
            .keys()
            .cloned()
            .collect();
        statuses.sort();
        statuses
    };
    assert_eq!(responses("/health", "get"), ["200", "500"]);
    assert_eq!(
        responses("/admin/users", "post"),
        ["201", "400", "401", "403", "409", "413", "422", "500"]
    );
    assert_eq!(
        responses("/children/{child_id}/tasks/{task_id}/activate", "post"),
        ["200", "400", "401", "403", "404", "409", "422", "500"]
    );
    assert_eq!(
        responses("/admin/tracking", "get"),
        ["200", "400", "401", "403", "500"]
    );
    assert_eq!(responses("/openapi.json", "get"), ["200"]);
    assert_eq!(
        responses("/children/{child_id}/tokens", "post"),
        ["201", "400", "401", "403", "404", "409", "422", "500"]
    );
    assert_eq!(
        responses("/children/{child_id}/tokens", "delete"),
        ["204", "400", "401", "403", "404", "500"]
    );
}

#[test]
fn a_child_token_is_documented_where_it_is_refused() {
    let document: serde_json::Value = serde_json::from_str(tracking_api::openapi_json()).unwrap();
    for path in [
        "/children/{child_id}/tasks/{task_id}/activate",
        "/children/{child_id}/rewards/{reward_id}/redeem",
    ] {
        let forbidden = &document["paths"][path]["post"]["responses"]["403"];
        assert_eq!(
            forbidden["content"]["application/json"]["example"]["error"]["code"], "forbidden",
            "{path}: {forbidden}"
        );
    }
    let me = &document["paths"]["/me"]["get"]["responses"]["200"]["content"]["application/json"];
    assert_eq!(me["schema"]["$ref"], "#/components/schemas/Me");
    assert_eq!(me["examples"]["parent"]["value"]["role"], "parent");
    assert_eq!(me["examples"]["child"]["value"]["role"], "child");
    // Each answer matches one variant: a parent's own fields and its role side by side (not a
    // closed User schema combined with another object, which no answer could satisfy).
    let variants = document["components"]["schemas"]["Me"]["oneOf"]
        .as_array()
        .unwrap();
    let example = |role: &str| &me["examples"][role]["value"];
    for (variant, role) in variants.iter().zip(["parent", "child"]) {
        assert_eq!(variant["properties"]["role"]["enum"][0], role, "{variant}");
        assert_eq!(variant["additionalProperties"], false, "{variant}");
        let fields: Vec<&String> = example(role).as_object().unwrap().keys().collect();
        for field in &fields {
            assert!(
                variant["properties"].get(field.as_str()).is_some(),
                "{role}: {field}"
            );
        }
        for required in variant["required"].as_array().unwrap() {
            assert!(
                fields.iter().any(|field| *field == required),
                "{role}: {required}"
            );
        }
    }
}

fn collect_references(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(reference)) = map.get("$ref") {
                into.push(reference.clone());
            }
            map.values()
                .for_each(|value| collect_references(value, into));
        }
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|value| collect_references(value, into)),
        _ => {}
    }
}

#[test]
fn every_post_but_the_ticket_takes_an_idempotency_key() {
    let document: serde_json::Value = serde_json::from_str(tracking_api::openapi_json()).unwrap();
    let mut keyed = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(post) = item.get("post") else {
            continue;
        };
        let header = post["parameters"].as_array().and_then(|parameters| {
            parameters
                .iter()
                .find(|parameter| parameter["name"] == "Idempotency-Key")
        });
        let answers = &post["responses"];
        if path == "/events/ticket" {
            assert!(header.is_none(), "{path}");
            assert!(answers.get("422").is_none(), "{path}");
            continue;
        }
        keyed += 1;
        let header = header.unwrap_or_else(|| panic!("POST {path} has no Idempotency-Key"));
        assert_eq!(header["in"], "header");
        assert_eq!(header["required"], false);
        assert_eq!(header["schema"]["maxLength"], 255);
        assert_eq!(
            answers["422"]["$ref"], "#/components/responses/IdempotencyKeyReused",
            "{path}"
        );
        let conflict = &answers["409"];
        let in_progress = conflict["$ref"] == "#/components/responses/RequestInProgress"
            || conflict["content"]["application/json"]["examples"]["request_in_progress"]["value"]
                ["error"]["code"]
                == "request_in_progress";
        assert!(in_progress, "POST {path}: {conflict}");
        let success = answers
            .as_object()
            .unwrap()
            .iter()
            .find(|(status, _)| status.starts_with('2'))
            .unwrap()
            .1;
        assert!(
            success["headers"]["Idempotent-Replayed"].is_object(),
            "POST {path}: {success}"
        );
    }
    // Users, children, tasks, rewards, child tokens and the four tracked mutations.
    assert_eq!(keyed, 9);
}
