//! The JSON API keeps to its OpenAPI document (generated from the handlers and their types: src/api/doc.rs): every route is
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

/// Every `$ref` of the document, with the JSON pointer it points to.
fn references(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| references(v, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_generated_from_the_code_is_whole_and_its_links_lead_somewhere() {
    let app = spawn_app().await;
    let document: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut targets = Vec::new();
    references(&document, &mut targets);
    assert!(targets.len() > 30, "{} references", targets.len());
    for target in &targets {
        let pointer = target
            .strip_prefix('#')
            .expect("a reference inside the document");
        assert!(
            document.pointer(pointer).is_some(),
            "{target} points nowhere"
        );
    }
    let mut operations = BTreeSet::new();
    let mut links = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(operation["summary"].is_string(), "{method} {path}");
            operations.insert(id.to_owned());
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') && status != "429" {
                    assert_eq!(
                        response["$ref"], "#/components/responses/Error",
                        "{method} {path} {status}"
                    );
                }
                if let Some(found) = response["links"].as_object() {
                    links.extend(found.values().cloned());
                }
            }
        }
    }
    // The links (the queue → a request → its offer; a page of parts → a part; a page of joint
    // days → a request) name operations of the document, in OpenAPI's spelling.
    assert_eq!(links.len(), 4);
    for link in links {
        let target = link["operationId"].as_str().unwrap_or_default();
        assert!(operations.contains(target), "{link}");
        assert!(link.get("operation_id").is_none(), "{link}");
    }
    // The request body of an answer change refuses fields it does not know, as the handler does.
    let change = &document["components"]["schemas"]["AnswerChange"];
    assert_eq!(change["additionalProperties"], false);
    assert_eq!(
        change["properties"]["action"]["enum"][0],
        "prerequisite_met"
    );
}

#[tokio::test]
async fn a_request_as_the_api_serves_it_has_the_fields_its_schema_names() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let document: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let detail: serde_json::Value = julien
        .get(app.url(&format!("/api/v1/requests/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema = &document["components"]["schemas"]["RequestDetail"];
    let named: BTreeSet<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let served: BTreeSet<&str> = detail
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(named, served);
    for required in schema["required"].as_array().unwrap() {
        assert!(!detail[required.as_str().unwrap()].is_null(), "{required}");
    }
    assert_eq!(detail["reference"], reference.as_str());
    assert_eq!(detail["applicant"]["kind"], "natural");
}
