//! The JSON API keeps to its OpenAPI document (src/api/openapi.json): every route is
//! described, and input it cannot read is refused in its error format (RFC 9457 problem details), saying why, with a
//! status the document lists (found by fuzzing it with schemathesis, security/schemathesis.sh).

use std::collections::BTreeSet;

use crate::helpers::{marie, spawn_app};
use crate::security_matrix::declared_routes;

async fn error_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    // RFC 9457 problem details.
    assert_eq!(content_type, "application/problem+json", "status {status}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    (status, body)
}

#[tokio::test]
async fn the_document_describes_every_route_of_the_api() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], "/api/v1");
    let described: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| *key != "parameters")
                .map(move |method| format!("{} /api/v1{path}", method.to_uppercase()))
        })
        .collect();
    let served: BTreeSet<String> = declared_routes()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/v1/") && path != "/api/v1/openapi.json")
        .map(|(method, path)| format!("{} {path}", format!("{method:?}").to_uppercase()))
        .collect();
    assert_eq!(described, served);
    // The staff operations say how they authenticate: the session cookie of the pages…
    let session = &document["components"]["securitySchemes"]["session"];
    assert_eq!(
        (&session["type"], &session["in"], &session["name"]),
        (
            &serde_json::json!("apiKey"),
            &serde_json::json!("cookie"),
            &serde_json::json!("cmh_session")
        )
    );
    // Or an organisation's API key (issue 21).
    let bearer = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"]),
        (&serde_json::json!("http"), &serde_json::json!("bearer"))
    );
    for (path, method) in [
        ("/requests", "get"),
        ("/assessments", "get"),
        ("/assessments/{id}/answer", "post"),
    ] {
        assert_eq!(
            document["paths"][path][method]["security"],
            serde_json::json!([{"session": []}, {"bearer": []}]),
            "{method} {path}"
        );
    }
    // Errors are problem details (RFC 9457).
    assert!(
        document["components"]["responses"]["Error"]["content"]["application/problem+json"]
            .is_object()
    );
}

#[tokio::test]
async fn a_query_string_the_api_cannot_read_is_refused_in_json_saying_why() {
    let app = spawn_app().await;
    let julien = app.signed_in("julien@ores.demo").await;
    for path in [
        "/api/v1/requests?to=2027-01-01&to=2027-02-01",
        "/api/v1/figures?from=2026-01-01&from=2026-02-01",
    ] {
        let (status, body) = error_of(julien.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!(status, 422, "{path}");
        assert_eq!(body["error"], "invalid", "{path}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("duplicate field"), "{path}: {message}");
    }
}

#[tokio::test]
async fn an_offer_version_that_is_no_number_is_not_found_in_json() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let julien = app.signed_in("julien@ores.demo").await;
    for version in ["first", "1.pdf", "null,null", "99999999999999999999"] {
        let url = app.url(&format!("/api/v1/requests/{id}/offers/{version}"));
        let (status, body) = error_of(julien.get(url).send().await.unwrap()).await;
        assert_eq!(status, 404, "{version}");
        assert_eq!(body["error"], "not_found", "{version}");
    }
}
