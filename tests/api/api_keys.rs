//! Issue 21: an operator's system answers its assessments through an API key its administrator
//! created in the portal, with exactly its organisation's scope, errors as problem details
//! (RFC 9457) in the key owner's language, `Idempotency-Key` on POST and the answer's version.

use chrono::Duration as Days;
use connect_my_home::{
    db::{organisations, users},
    services::auth::hash_password,
};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, client, hidden, marie, spawn_app, start_day, text_of, with,
};

/// The secret shown once on the keys page after creating a key.
pub(crate) fn secret_of(html: &str) -> String {
    let start = html
        .find("<code id=\"api-key-secret\">")
        .expect("the secret is shown")
        + "<code id=\"api-key-secret\">".len();
    let end = html[start..].find("</code>").unwrap() + start;
    html[start..end].to_owned()
}

/// Creates a key through the keys page at `page` (an operator's old address or the
/// organisation's) of `admin`, checks it is said to be shown once, and returns its secret.
pub(crate) async fn create_key_on(
    app: &TestApp,
    admin: &reqwest::Client,
    page: &str,
    name: &str,
    scope: &str,
    expires_on: &str,
) -> String {
    let form = text_of(admin, app.url(page)).await;
    let response = admin
        .post(app.url(page))
        .form(&[
            ("csrf_token", hidden(&form, "csrf_token").as_str()),
            ("name", name),
            ("scope", scope),
            ("expires_on", expires_on),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("Clé «{name}» créée")), "{html}");
    assert!(
        html.contains("n&#39;est affiché qu&#39;une fois")
            || html.contains("n'est affiché qu'une fois")
    );
    secret_of(&html)
}

/// Creates a key through an operator's keys page.
async fn create_key(
    app: &TestApp,
    admin: &reqwest::Client,
    name: &str,
    scope: &str,
    expires_on: &str,
) -> String {
    create_key_on(app, admin, "/operator/api-keys", name, scope, expires_on).await
}

async fn get(app: &TestApp, secret: &str, path: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
}

async fn answer(
    app: &TestApp,
    secret: &str,
    assessment: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = client()
        .post(app.url(&format!("/api/v1/assessments/{assessment}/answer")))
        .bearer_auth(secret)
        .json(body);
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

/// A problem (RFC 9457): its status, media type, and body.
pub(crate) async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "status {status}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    (status, body)
}

async fn assessment_of(app: &TestApp, request: &str, service: &str) -> String {
    sqlx::query_scalar("SELECT id FROM assessments WHERE request_id = $1 AND service = $2")
        .bind(request)
        .bind(service)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn organisation_name(app: &TestApp, slug: &str) -> String {
    organisations::by_slug(&app.state.db, slug)
        .await
        .unwrap()
        .name
}

/// The refusal ORES electricity writes, through its system or typed in its page.
const REASON: &str = "Cabine saturée : renforcement du réseau nécessaire";

#[tokio::test]
async fn an_operators_system_answers_with_its_key_once_and_the_officer_sees_it_as_if_typed() {
    let app = spawn_app().await;
    let (reference, id) = app.file_assessed(&marie()).await;
    let electricity = assessment_of(&app, &id, "electricity").await;

    // ORES electricity's administrator creates a read-write key; the secret is shown once.
    let admin = app.signed_in("tarifs@ores.demo").await;
    let secret = create_key(&app, &admin, "ERP travaux", "read_write", "").await;
    assert!(secret.starts_with("cmh_"), "{secret}");
    let page = text_of(&admin, app.url("/operator/api-keys")).await;
    assert!(page.contains("ERP travaux"));
    assert!(page.contains("lecture et écriture"));
    assert!(page.contains("pas encore utilisée"));
    assert!(!page.contains(&secret), "shown once, never again");
    assert!(
        page.contains(&secret[..10]),
        "the start of the secret tells keys apart"
    );

    // The system lists its open assessments: its own part only.
    let response = get(&app, &secret, "/api/v1/assessments").await;
    assert_eq!(response.status().as_u16(), 200);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["next_cursor"], Value::Null);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], electricity.as_str());
    assert_eq!(items[0]["request_id"], id.as_str());
    assert_eq!(items[0]["reference"], reference.as_str());
    assert_eq!(items[0]["service"], "electricity");
    assert_eq!(items[0]["status"], "answered");
    assert_eq!(items[0]["version"], 1);
    assert_eq!(items[0]["request_state"], "assessed");
    // Its use is recorded.
    let page = text_of(&admin, app.url("/operator/api-keys")).await;
    assert!(!page.contains("pas encore utilisée"));

    // It reads its part, with the version to answer on.
    let response = get(&app, &secret, &format!("/api/v1/assessments/{electricity}")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let part: Value = response.json().await.unwrap();
    assert_eq!(part["answer"]["feasibility"], "feasible");
    assert!(
        part["answer"]["prerequisites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "situation_plan"),
        "{part}"
    );

    // It posts its answer with an idempotency key, twice: one answer, the same response.
    let body = json!({"version": 1, "action": "refuse", "code": "B-4.4", "text": REASON});
    let first = answer(&app, &secret, &electricity, Some("refusal-0001"), &body).await;
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let first_body = first.text().await.unwrap();
    let again = answer(&app, &secret, &electricity, Some("refusal-0001"), &body).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["etag"], "\"2\"");
    assert_eq!(again.text().await.unwrap(), first_body);
    let answered: Value = serde_json::from_str(&first_body).unwrap();
    assert_eq!(answered["version"], 2);
    assert_eq!(answered["feasibility"], "refused");
    assert_eq!(answered["answer"]["note"], REASON);
    assert_eq!(answered["answer"]["refusals"][0]["rule"], "B-4.4");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM assessment_versions").await,
        app.count("SELECT COUNT(*) FROM assessments").await + 1,
        "one new version, not two"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'operator_refused'")
            .await,
        1
    );
    // The same key with another body is refused, saying why, in the key owner's language.
    let other = json!({"version": 2, "action": "note", "text": "Vu"});
    let (status, refused) =
        problem(answer(&app, &secret, &electricity, Some("refusal-0001"), &other).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        refused["type"],
        "urn:connect-my-home:problem:idempotency_mismatch"
    );
    assert_eq!(refused["title"], "Clé d'idempotence déjà utilisée");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("a déjà servi pour une autre demande")
    );

    // A key that is no key is refused before anything is done.
    let (status, refused) =
        problem(answer(&app, &secret, &electricity, Some("deux mots"), &other).await).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("idempotency_key_invalid"))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'operator_note'")
            .await,
        0
    );

    // The same refusal typed in the portal by ORES electricity's staff on a second request.
    let (typed_reference, _) = app
        .file_ok(&with(&marie(), &[("email", "typed@example.be")]))
        .await;
    let typed_id = app.request_id(&typed_reference).await;
    app.wait_state(&typed_id, "assessed").await;
    let typed = assessment_of(&app, &typed_id, "electricity").await;
    let staff = app.signed_in("elec@ores.demo").await;
    let page = text_of(&staff, app.url(&format!("/backoffice/requests/{typed_id}"))).await;
    let response = staff
        .post(app.url(&format!("/operator/assessments/{typed}")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", "1".into()),
            ("action", "refuse".into()),
            ("code", "B-4.4".into()),
            ("text", REASON.into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    // The case officer sees both answers alike; the history names the key.
    let julien = app.signed_in("julien@ores.demo").await;
    let part_of = |detail: &Value| {
        detail["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["service"] == "electricity")
            .unwrap()
            .clone()
    };
    let by_api: Value = julien
        .get(app.url(&format!("/api/v1/requests/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_page: Value = julien
        .get(app.url(&format!("/api/v1/requests/{typed_id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(part_of(&by_api), part_of(&by_page));
    assert_eq!(part_of(&by_api)["feasibility"], "refused");
    let event = |detail: &Value| {
        detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "operator_refused")
            .map(|e| (e["detail"].clone(), e["public"].clone()))
            .unwrap()
    };
    assert_eq!(event(&by_api), event(&by_page));
    let actor = |detail: &Value| {
        detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "operator_refused")
            .map(|e| (e["actor_kind"].clone(), e["actor"].clone()))
            .unwrap()
    };
    assert_eq!(actor(&by_api), (json!("api_key"), json!("ERP travaux")));
    assert_eq!(
        actor(&by_page),
        (json!("staff"), json!("Equipe électricité ORES"))
    );
    let officer_page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(officer_page.contains(REASON));
    assert!(
        officer_page.contains("Refus motivé d&#39;un opérateur")
            || officer_page.contains("Refus motivé d'un opérateur")
    );
    assert!(officer_page.contains("version 2"));
    let ores = organisation_name(&app, "ores-electricity").await;
    // French elides before a vowel: "d'ORES électricité".
    let by_key = format!("Clé d&#39;API «ERP travaux» d&#39;{ores}");
    assert!(officer_page.contains(&by_key), "{by_key}");
    let typed_page = text_of(
        &julien,
        app.url(&format!("/backoffice/requests/{typed_id}")),
    )
    .await;
    assert!(typed_page.contains("Equipe électricité ORES"));
    assert!(!typed_page.contains("Clé d&#39;API"));
}

#[tokio::test]
async fn a_key_acts_only_for_its_organisation_within_its_scope_and_its_life() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let electricity = assessment_of(&app, &id, "electricity").await;
    let water = assessment_of(&app, &id, "water").await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let writer = create_key(&app, &admin, "ERP", "read_write", "").await;
    let reader = create_key(&app, &admin, "Tableau de bord", "read", "").await;
    let today = start_day().format("%Y-%m-%d").to_string();
    let short = create_key(&app, &admin, "Essai", "read", &today).await;

    // SWDE's administrator creates SWDE's own key.
    let swde = organisations::by_slug(&app.state.db, "swde").await.unwrap();
    users::ensure(
        &app.state.db,
        &users::NewUser {
            organisation_id: swde.id,
            email: "admin@swde.test",
            display_name: "Administration SWDE",
            role: connect_my_home::domain::tenancy::Role::OperatorAdmin,
            password_hash: &hash_password(PASSWORD),
            language: "en",
        },
        app.now(),
    )
    .await
    .unwrap();
    let swde_admin = app.signed_in("admin@swde.test").await;
    let page = text_of(&swde_admin, app.url("/operator/api-keys")).await;
    assert!(!page.contains("ERP"), "ORES' keys are ORES'");
    let swde_page = swde_admin
        .post(app.url("/operator/api-keys"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("name", "SWDE GMAO"),
            ("scope", "read_write"),
            ("expires_on", ""),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let swde_key = secret_of(&swde_page);

    // Another operator's key: ORES electricity's part does not exist for it, nor SWDE's for ORES.
    for path in [
        format!("/api/v1/assessments/{electricity}"),
        format!("/api/v1/assessments/{water}"),
    ] {
        let key = if path.ends_with(&electricity) {
            &swde_key
        } else {
            &writer
        };
        let (status, body) = problem(get(&app, key, &path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "not_found");
    }
    let (status, body) = problem(
        answer(
            &app,
            &swde_key,
            &electricity,
            Some("swde-1"),
            &json!({"version": 1, "action": "note", "text": "Vu"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    // In the key owner's language: SWDE's administrator reads English.
    assert_eq!(body["title"], "Not found");
    let list: Value = get(&app, &swde_key, "/api/v1/assessments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], water.as_str());

    // A stale version is refused (409) and changes nothing, by field or by If-Match.
    let response = answer(
        &app,
        &writer,
        &electricity,
        None,
        &json!({"version": 1, "action": "note", "text": "Première note"}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = problem(
        answer(
            &app,
            &writer,
            &electricity,
            None,
            &json!({"version": 1, "action": "note", "text": "Note sur une version lue avant"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "stale");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("modifiée entre-temps"),
        "{body}"
    );
    let response = client()
        .post(app.url(&format!("/api/v1/assessments/{electricity}/answer")))
        .bearer_auth(&writer)
        .header("if-match", "\"1\"")
        .json(&json!({"action": "note", "text": "Encore une"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 409);
    // B-4.4: a refusal without its written reason says so, with its rule.
    let (status, body) = problem(
        answer(
            &app,
            &writer,
            &electricity,
            None,
            &json!({"version": 2, "action": "refuse", "text": " "}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["rule"], "B-4.4");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Un refus doit être motivé par écrit (règle B-4.4)")
    );
    // No version at all: asked for.
    let (status, body) = problem(
        answer(
            &app,
            &writer,
            &electricity,
            None,
            &json!({"action": "note", "text": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 428);
    assert_eq!(body["error"], "version_required");
    let version: i64 = sqlx::query_scalar("SELECT version FROM assessments WHERE id = $1")
        .bind(&electricity)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(version, 2, "only the first note was recorded");

    // A read key reads but is refused on the write.
    assert_eq!(
        get(&app, &reader, "/api/v1/assessments")
            .await
            .status()
            .as_u16(),
        200
    );
    let (status, body) = problem(
        answer(
            &app,
            &reader,
            &electricity,
            Some("read-1"),
            &json!({"version": 2, "action": "note", "text": "Vu"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "read_only");
    assert!(body["detail"].as_str().unwrap().contains("« lecture »"));
    // A browser session reads, but writes through the API only with a key; nobody else at all.
    let staff = app.signed_in("elec@ores.demo").await;
    let response = staff
        .post(app.url(&format!("/api/v1/assessments/{electricity}/answer")))
        .json(&json!({"version": 2, "action": "note", "text": "Vu"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.1["error"], "needs_key");
    let response = client()
        .get(app.url("/api/v1/assessments"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 401);
    let (status, body) = problem(get(&app, "cmh_not-a-key", "/api/v1/assessments").await).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("key_unknown")));

    // Revoked by its administrator: 401, saying so.
    let page = text_of(&admin, app.url("/operator/api-keys")).await;
    let reader_row = page
        .split("<tr>")
        .find(|row| row.contains("Tableau de bord"))
        .unwrap();
    let response = admin
        .post(app.url("/operator/api-keys/revoke"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(reader_row, "key")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let (status, body) = problem(get(&app, &reader, "/api/v1/assessments").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "key_revoked");
    assert!(body["detail"].as_str().unwrap().contains("révoquée"));

    let ores_page = text_of(&admin, app.url("/operator/api-keys")).await;
    let writer_row = ores_page
        .split("<tr>")
        .find(|row| row.contains(">ERP<"))
        .unwrap()
        .to_owned();

    // The key valid through today works today, and no longer tomorrow (sessions end too).
    assert_eq!(
        get(&app, &short, "/api/v1/assessments")
            .await
            .status()
            .as_u16(),
        200
    );
    app.advance(Days::days(1));
    let (status, body) = problem(get(&app, &short, "/api/v1/assessments").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "key_expired");
    assert_eq!(body["title"], "Clé d'API expirée");

    // The platform administrator sees every organisation's keys and revokes one.
    let platform = app.signed_in("admin@connect-my-home.demo").await;
    let swde_admin = app.signed_in("admin@swde.test").await;
    let page = text_of(&platform, app.url("/admin/api-keys")).await;
    for name in ["ERP", "Tableau de bord", "Essai", "SWDE GMAO"] {
        assert!(page.contains(name), "{name}");
    }
    let swde_row = page
        .split("<tr>")
        .find(|row| row.contains("SWDE GMAO"))
        .unwrap();
    let response = platform
        .post(app.url("/admin/api-keys/revoke"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(swde_row, "key")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let (status, body) = problem(get(&app, &swde_key, "/api/v1/assessments").await).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("key_revoked")));
    assert_eq!(body["title"], "API key revoked");
    // Another operator's administrator cannot revoke ORES' key.
    let page = text_of(&swde_admin, app.url("/operator/api-keys")).await;
    let response = swde_admin
        .post(app.url("/operator/api-keys/revoke"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&writer_row, "key")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(
        get(&app, &writer, "/api/v1/assessments")
            .await
            .status()
            .as_u16(),
        200
    );
    // Text that is no key's id is answered as an unknown key is, never a 500.
    for (client, page, path) in [
        (
            &swde_admin,
            "/operator/api-keys",
            "/operator/api-keys/revoke",
        ),
        (&platform, "/admin/api-keys", "/admin/api-keys/revoke"),
    ] {
        let page = text_of(client, app.url(page)).await;
        for key in ["ck_live_abcdef", "0193a5b2-7c1d", ""] {
            let response = client
                .post(app.url(path))
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("key", key.into()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 422, "{path} {key:?}");
            assert!(
                response
                    .text()
                    .await
                    .unwrap()
                    .contains("Cette clé n&#39;existe pas ou est déjà révoquée"),
                "{path} {key:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_open_assessments_come_a_page_at_a_time_and_filter_by_state_commune_and_date() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for email in ["one@example.be", "two@example.be", "three@example.be"] {
        let (_, id) = app
            .file_assessed(&with(&marie(), &[("email", email)]))
            .await;
        ids.push(id);
    }
    let admin = app.signed_in("tarifs@ores.demo").await;
    let secret = create_key(&app, &admin, "ERP", "read", "").await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/assessments?limit=2".to_owned();
    for page in 0.. {
        assert!(page < 3, "bounded");
        let response = get(&app, &secret, &path).await;
        assert_eq!(response.status().as_u16(), 200);
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Value = response.json().await.unwrap();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["request_id"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("a next link");
                assert!(
                    link.contains(cursor) && link.ends_with("rel=\"next\""),
                    "{link}"
                );
                path = format!("/api/v1/assessments?limit=2&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(seen, ids, "oldest filed first, each once");
    let count = |body: Value| body["items"].as_array().unwrap().len();
    let today = start_day().format("%Y-%m-%d").to_string();
    let tomorrow = (start_day() + Days::days(1)).format("%Y-%m-%d").to_string();
    for (query, expected) in [
        ("state=answered".to_owned(), 3),
        ("state=pending".to_owned(), 0),
        (format!("from={today}&to={today}"), 3),
        (format!("from={tomorrow}"), 0),
        ("commune=92094".to_owned(), 3),
        ("commune=57081".to_owned(), 0),
    ] {
        let response = get(&app, &secret, &format!("/api/v1/assessments?{query}")).await;
        assert_eq!(response.status().as_u16(), 200, "{query}");
        assert_eq!(count(response.json().await.unwrap()), expected, "{query}");
    }
    for query in ["state=done", "cursor=xyz", "limit=0", "from=yesterday"] {
        let (status, body) =
            problem(get(&app, &secret, &format!("/api/v1/assessments?{query}")).await).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(body["error"], "invalid", "{query}");
    }
}
