//! The OpenAPI document against the server: it covers exactly the routes served, is served
//! without credentials, and its page works offline.

use std::collections::BTreeSet;
use std::path::Path;

use awc::http::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

const METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

#[actix_rt::test]
async fn every_served_route_is_documented_and_every_documented_one_served() {
    let app = spawn_app().await;
    let document = app
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();

    let mut served = BTreeSet::new();
    for template in route_templates() {
        for method in METHODS {
            if answers(&app, method.clone(), &template).await {
                served.insert((method.to_string(), template.clone()));
            }
        }
    }
    let missing: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "served but not in the OpenAPI document (add them to tracking-api's src/openapi/paths.rs): {missing:?}"
    );
    assert!(phantom.is_empty(), "documented but not served: {phantom:?}");
}

/// Whether `method` on `template` reaches a handler: without a token, every handler answers
/// something else than the resource's 405 or the app's 404. Path parameters get an unknown id.
async fn answers(app: &TestApp, method: Method, template: &str) -> bool {
    let path = fill_parameters(template);
    let (answer, headers) = app.exchange(method.clone(), &path, &[], Vec::new()).await;
    let status = answer.status.as_u16();
    if status == 405 {
        let allow = headers.get("allow").map(|value| value.to_str().unwrap());
        assert!(
            allow.is_some_and(|allow| !allow.is_empty() && !allow.contains(method.as_str())),
            "{method} {path}: a 405 names the allowed methods, not this one: {allow:?}"
        );
    }
    status != 405 && status != 404
}

fn fill_parameters(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "01JKZ8N0P1Q2R3S4T5V6W7X8YZ"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every path the route tables mount (each string literal starting with `/` in a `routes.rs` of
/// tracking-api or the server), with `{name:a|b}` alternatives expanded.
fn route_templates() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources = Vec::new();
    for dir in ["crates/tracking-api/src", "bins/tracking-server/src"] {
        collect_sources(&root.join(dir), &mut sources);
    }
    let mut templates = BTreeSet::new();
    for source in sources.iter().filter(|path| path.ends_with("routes.rs")) {
        let text = std::fs::read_to_string(source).unwrap();
        for piece in text.split("\"/").skip(1) {
            let literal = format!("/{}", piece.split('"').next().unwrap());
            templates.extend(expand(&literal));
        }
    }
    assert!(
        templates.len() > 20,
        "the route tables were not found: {templates:?}"
    );
    templates
}

fn collect_sources(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_sources(&path, into);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}

/// `/a/{x:one|two}` → `/a/one`, `/a/two`; `/a/{x}` stays.
fn expand(literal: &str) -> Vec<String> {
    let mut paths = vec![String::new()];
    for segment in literal.split('/').skip(1) {
        let choices: Vec<String> = match segment
            .strip_prefix('{')
            .and_then(|inner| inner.strip_suffix('}'))
            .and_then(|inner| inner.split_once(':'))
        {
            Some((_, alternatives)) => alternatives.split('|').map(str::to_owned).collect(),
            None => vec![segment.to_owned()],
        };
        paths = paths
            .iter()
            .flat_map(|prefix| {
                choices
                    .iter()
                    .map(move |choice| format!("{prefix}/{choice}"))
            })
            .collect();
    }
    paths
}

#[actix_rt::test]
async fn document_is_served_without_credentials_as_committed() {
    let app = spawn_app().await;
    let served = app
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(served, committed);
    assert_eq!(served["openapi"], "3.1.0");
}

#[actix_rt::test]
async fn docs_page_loads_nothing_from_outside() {
    let app = spawn_app().await;
    let (page, headers) = app.exchange(Method::GET, "/docs", &[], Vec::new()).await;
    assert!(
        headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{headers:?}"
    );
    let Value::String(html) = page.expect(200) else {
        panic!("the page is not text");
    };
    assert!(html.contains("/openapi.json"), "{html}");
    let lower = html.to_lowercase();
    for external in ["http://", "https://", "//cdn", "src=\"//", "href=\"//"] {
        assert!(
            !lower.contains(external),
            "the page references {external}: {html}"
        );
    }
    let sources: Vec<&str> = lower
        .split("src=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(sources, ["/docs/scalar.js"], "{html}");

    let (script, headers) = app
        .exchange(Method::GET, "/docs/scalar.js", &[], Vec::new())
        .await;
    assert!(
        headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/javascript"),
        "{headers:?}"
    );
    let Value::String(script) = script.expect(200) else {
        panic!("the script is not text");
    };
    assert!(script.len() > 100_000 && script.contains("createApiReference"));
}
