//! Issue 21, signed webhooks: an organisation's administrator registers an endpoint; the events
//! of its requests reach it signed (HMAC-SHA256 over `<t>.<body>`), once per event id, again
//! after a failure, in order; the delivery log replays and sends test events; an endpoint
//! failing for three days is disabled and its administrators are emailed.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use chrono::Duration as Days;
use connect_my_home::{
    db::{organisations, users},
    services::auth::hash_password,
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{
    PASSWORD, TestApp, client, hidden, marie, spawn_app, spawn_app_with, text_of,
};

/// One POST the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    /// The statuses answered first, in order; then `then`.
    first: Arc<Mutex<VecDeque<u16>>>,
    then: u16,
}

/// An operator's system as the test plays it: an HTTP server on a random local port that
/// keeps every POST and answers the statuses it is given.
pub(crate) struct Receiver {
    pub(crate) url: String,
    shared: Shared,
}

impl Receiver {
    pub(crate) async fn start(first: &[u16], then: u16) -> Self {
        let shared = Shared {
            got: Arc::default(),
            first: Arc::new(Mutex::new(first.iter().copied().collect())),
            then,
        };
        async fn hook(
            State(shared): State<Shared>,
            headers: HeaderMap,
            body: String,
        ) -> StatusCode {
            shared.got.lock().unwrap().push(Received { headers, body });
            let status = shared
                .first
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(shared.then);
            StatusCode::from_u16(status).unwrap()
        }
        let app = Router::new()
            .route("/hooks", post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hooks",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, shared }
    }

    fn got(&self) -> Vec<Received> {
        self.shared.got.lock().unwrap().clone()
    }

    /// Waits (10 s at most) until `count` POSTs arrived, and returns them.
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..100 {
            let got = self.got();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver got {} POSTs, not {count}", self.got().len());
    }
}

/// Waits until `system` got `count` POSTs and the worker recorded every attempt it made
/// (no delivery still claimed), and returns the POSTs.
pub(crate) async fn received(app: &TestApp, system: &Receiver, count: usize) -> Vec<Received> {
    let got = system.wait_for(count).await;
    for _ in 0..100 {
        if app
            .count("SELECT COUNT(*) FROM webhook_deliveries WHERE locked_until IS NOT NULL")
            .await
            == 0
        {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("an attempt was never recorded");
}

/// The test's own check of `Cmh-Signature: t=<unix>,v1=<hex>` with the secret shown once.
pub(crate) fn verify_signature(secret: &str, received: &Received) {
    let header = received.header("cmh-signature");
    let (t, v1) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("signature header {header}"));
    assert!(t.parse::<i64>().is_ok(), "{header}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature matches the body and time");
}

fn between(html: &str, start: &str, end: &str) -> String {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in the page"))
        + start.len();
    let to = html[from..].find(end).unwrap() + from;
    html[from..to].to_owned()
}

/// Registers an endpoint through the administrator's page and returns (its id, its secret).
pub(crate) async fn create_endpoint(
    app: &TestApp,
    admin: &reqwest::Client,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let page = text_of(admin, app.url("/organisation/webhooks")).await;
    let mut form = vec![
        ("csrf_token", hidden(&page, "csrf_token")),
        ("url", url.to_owned()),
        ("active", "on".to_owned()),
    ];
    form.extend(events.iter().map(|e| ("events", (*e).to_owned())));
    let response = admin
        .post(app.url("/organisation/webhooks"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("enregistrée"), "{html}");
    assert!(
        html.contains("n&#39;est affiché qu&#39;une fois")
            || html.contains("n'est affiché qu'une fois")
    );
    let secret = between(&html, "<code id=\"webhook-secret\">", "</code>");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let row = html
        .split("<tr>")
        .find(|row| row.contains(url) && row.contains("href=\"/organisation/webhooks/"))
        .expect("the endpoint is listed");
    let id = between(row, "href=\"/organisation/webhooks/", "\"");
    let listed = text_of(admin, app.url("/organisation/webhooks")).await;
    assert!(!listed.contains(&secret), "shown once, never again");
    (id, secret)
}

/// Creates a read-write API key through the administrator's page and returns its secret.
async fn create_key(app: &TestApp, admin: &reqwest::Client, name: &str) -> String {
    crate::api_keys::create_key_on(app, admin, "/operator/api-keys", name, "read_write", "").await
}

/// SWDE's administrator (the demo has none), signed in.
pub(crate) async fn swde_admin(app: &TestApp) -> reqwest::Client {
    let swde = organisations::by_slug(&app.state.db, "swde").await.unwrap();
    users::ensure(
        &app.state.db,
        &users::NewUser {
            organisation_id: swde.id,
            email: "admin@swde.test",
            display_name: "Administration SWDE",
            role: connect_my_home::domain::tenancy::Role::OperatorAdmin,
            password_hash: &hash_password(PASSWORD),
            language: "fr",
        },
        app.now(),
    )
    .await
    .unwrap();
    app.signed_in("admin@swde.test").await
}

/// Marie's request for an electricity connection only: SWDE is no party to it.
fn electricity_only() -> Vec<(&'static str, String)> {
    marie()
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "gas" | "water" | "proximus" | "voo"))
        .collect()
}

/// Posts a form of the delivery log page (its CSRF token) to `action`.
async fn post_on_log(
    app: &TestApp,
    admin: &reqwest::Client,
    endpoint: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = text_of(
        admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    let mut form = vec![("csrf_token", hidden(&page, "csrf_token"))];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    admin
        .post(app.url(&format!("/organisation/webhooks/{endpoint}/{action}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

const REASON: &str = "Cabine saturée : renforcement du réseau nécessaire";

#[tokio::test]
async fn an_operators_system_gets_the_filing_signed_answers_once_and_the_officer_sees_it() {
    let app = spawn_app().await;
    let ores_system = Receiver::start(&[], 200).await;
    let swde_system = Receiver::start(&[], 200).await;

    // ORES electricity's administrator creates a key and an endpoint for its system.
    let admin = app.signed_in("tarifs@ores.demo").await;
    let key = create_key(&app, &admin, "ERP travaux").await;
    let (endpoint, secret) =
        create_endpoint(&app, &admin, &ores_system.url, &["request.filed"]).await;
    // SWDE's administrator does the same for SWDE's system.
    let swde = swde_admin(&app).await;
    let swde_key = create_key(&app, &swde, "GMAO").await;
    create_endpoint(&app, &swde, &swde_system.url, &["request.filed"]).await;

    // A citizen asks for electricity: ORES electricity's system is told, signed.
    let (reference, _) = app.file_ok(&electricity_only()).await;
    let id = app.request_id(&reference).await;
    let got = received(&app, &ores_system, 1).await;
    assert_eq!(got.len(), 1);
    let filed = &got[0];
    verify_signature(&secret, filed);
    assert_eq!(filed.header("cmh-event-type"), "request.filed");
    assert_eq!(filed.header("content-type"), "application/json");
    let body = filed.json();
    assert_eq!(filed.header("cmh-event-id"), body["id"].as_str().unwrap());
    assert_eq!(body["type"], "request.filed");
    assert_eq!(body["data"]["request_id"], id.as_str());
    assert_eq!(body["data"]["reference"], reference.as_str());
    assert_eq!(body["data"]["href"], format!("/api/v1/requests/{id}"));
    assert!(
        body["occurred_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-02T09:0"),
        "{body}"
    );
    // The delivery log shows it received.
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(log.contains("Demande introduite"), "{log}");
    assert!(log.contains(&reference));
    assert!(log.contains("reçu"));
    assert!(log.contains("réponse 200"));

    // The system reads the request with its key and answers its assessment, twice with the
    // same Idempotency-Key: one answer.
    app.wait_state(&id, "assessed").await;
    let response = client()
        .get(app.url(&format!("/api/v1/requests/{id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let assessment: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let versions_before = app.count("SELECT COUNT(*) FROM assessment_versions").await;
    let answer = json!({"version": 1, "action": "refuse", "code": "B-4.4", "text": REASON});
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let response = client()
            .post(app.url(&format!("/api/v1/assessments/{assessment}/answer")))
            .bearer_auth(&key)
            .header("idempotency-key", "wo-2026-4711")
            .json(&answer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["etag"], "\"2\"");
        bodies.push(response.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1], "the first answer, given again");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM assessment_versions").await,
        versions_before + 1,
        "one answer, not two"
    );
    // The officer sees it as if typed in the page.
    let julien = app.signed_in("julien@ores.demo").await;
    let officer_page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(officer_page.contains(REASON));
    assert!(officer_page.contains("version 2"));

    // SWDE is no party: its system got nothing, its key finds nothing.
    assert!(swde_system.got().is_empty());
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_endpoints e \
             ON e.id = d.endpoint_id JOIN organisations o ON o.id = e.organisation_id \
             WHERE o.slug = 'swde'"
        )
        .await,
        0
    );
    for path in [
        format!("/api/v1/requests/{id}"),
        format!("/api/v1/assessments/{assessment}"),
    ] {
        let response = client()
            .get(app.url(&path))
            .bearer_auth(&swde_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }
    // Nor does it see ORES' endpoint's log.
    let response = swde
        .get(app.url(&format!("/organisation/webhooks/{endpoint}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    // Exactly one delivery was ever sent for the filing.
    assert_eq!(ores_system.got().len(), 1);
}

#[tokio::test]
async fn a_failed_delivery_comes_again_after_the_backoff_with_the_same_event_id() {
    let app = spawn_app().await;
    let system = Receiver::start(&[500], 200).await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let (endpoint, secret) = create_endpoint(&app, &admin, &system.url, &["request.filed"]).await;

    let (reference, _) = app.file_ok(&electricity_only()).await;
    let first = received(&app, &system, 1).await[0].clone();
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(log.contains("en attente"), "{log}");
    assert!(log.contains("réponse 500"));
    assert!(log.contains("prochaine tentative"));
    // Not before the backoff (30 s after the first failure).
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(system.got().len(), 1);

    app.advance(Days::seconds(31));
    let got = received(&app, &system, 2).await;
    assert_eq!(got.len(), 2);
    let again = &got[1];
    verify_signature(&secret, again);
    assert_eq!(again.header("cmh-event-id"), first.header("cmh-event-id"));
    assert_eq!(again.body, first.body, "the same event");
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    let row = log
        .split("<tr>")
        .find(|row| row.contains(&reference))
        .unwrap();
    assert!(row.contains("reçu"), "{row}");
    assert!(row.contains("<td>2</td>"), "two attempts: {row}");
    assert!(row.contains("réponse 200"));
}

#[tokio::test]
async fn a_later_event_of_a_request_waits_for_the_earlier_one() {
    let app = spawn_app().await;
    // The filing fails twice; the documents arriving meanwhile wait behind it.
    let system = Receiver::start(&[500, 500], 200).await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    create_endpoint(
        &app,
        &admin,
        &system.url,
        &[
            "request.filed",
            "offer.sent",
            "day.reserved",
            "documents.received",
        ],
    )
    .await;
    let (reference, _) = app.file_ok(&electricity_only()).await;
    let id = app.request_id(&reference).await;
    received(&app, &system, 1).await;
    // The applicant sends a plan meanwhile: a later event of the same request, queued while
    // the first waits for its retry.
    let link = app.private_link(&id).await;
    let page = text_of(&app.client, &link).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .text("kind", "situation_plan")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7\nplan".to_vec())
                .file_name("plan.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let response = app
        .client
        .post(format!("{link}/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE event_type = 'documents.received'"
        )
        .await,
        1
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        system.got().len(),
        1,
        "the later event waits for the earlier one"
    );

    app.advance(Days::seconds(31));
    received(&app, &system, 2).await;
    app.advance(Days::seconds(61));
    let got = received(&app, &system, 4).await;
    let types: Vec<String> = got.iter().map(|r| r.header("cmh-event-type")).collect();
    assert_eq!(
        types,
        [
            "request.filed",
            "request.filed",
            "request.filed",
            "documents.received"
        ]
    );
}

#[tokio::test]
async fn the_test_event_and_the_replay_buttons_send_signed_events_again() {
    let app = spawn_app().await;
    let system = Receiver::start(&[], 200).await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let (endpoint, secret) = create_endpoint(&app, &admin, &system.url, &["offer.sent"]).await;

    let response = post_on_log(&app, &admin, &endpoint, "test", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let ping = received(&app, &system, 1).await[0].clone();
    verify_signature(&secret, &ping);
    assert_eq!(ping.header("cmh-event-type"), "ping");
    assert_eq!(ping.json()["type"], "ping");
    assert_eq!(ping.json()["data"], json!({}));

    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(log.contains("Événement de test"), "{log}");
    let delivery = hidden(&log, "delivery");
    let response = post_on_log(
        &app,
        &admin,
        &endpoint,
        "replay",
        &[("delivery", &delivery)],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let got = received(&app, &system, 2).await;
    verify_signature(&secret, &got[1]);
    assert_eq!(got[1].header("cmh-event-id"), ping.header("cmh-event-id"));
    assert_eq!(got[1].body, ping.body);
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(
        log.contains("<td>2</td>"),
        "two attempts of one delivery: {log}"
    );

    // A delivery that is not this endpoint's, or text that is no id: said, nothing sent.
    for delivery in [
        "0193a0c4-0000-7000-8000-000000000000",
        "CMH-2026-000001",
        "",
    ] {
        let response =
            post_on_log(&app, &admin, &endpoint, "replay", &[("delivery", delivery)]).await;
        assert_eq!(response.status().as_u16(), 422, "{delivery:?}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Cet envoi n&#39;existe pas pour cette adresse"),
            "{delivery:?}"
        );
    }
    // Another organisation's administrator finds no such endpoint.
    let swde = swde_admin(&app).await;
    let page = text_of(&swde, app.url("/organisation/webhooks")).await;
    assert!(!page.contains(&system.url));
    let response = swde
        .post(app.url(&format!("/organisation/webhooks/{endpoint}/test")))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(system.got().len(), 2);
    // A receiver that cannot be reached: the log says so in the reader's language.
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!(
            "http://127.0.0.1:{}/hooks",
            listener.local_addr().unwrap().port()
        )
    };
    let (unreachable, _) = create_endpoint(&app, &admin, &closed, &["offer.sent"]).await;
    post_on_log(&app, &admin, &unreachable, "test", &[]).await;
    let mut said = false;
    for _ in 0..100 {
        let log = text_of(
            &admin,
            app.url(&format!("/organisation/webhooks/{unreachable}")),
        )
        .await;
        if log.contains("connexion impossible") {
            said = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said, "the failed connection is said on the log");
    // The platform administrator sees every organisation's endpoints.
    let platform = app.signed_in("admin@connect-my-home.demo").await;
    let all = text_of(&platform, app.url("/admin/webhooks")).await;
    assert!(all.contains(&system.url));
    assert!(!all.contains(&secret));
}

#[tokio::test]
async fn an_endpoint_failing_for_three_days_is_disabled_and_its_administrators_emailed() {
    let app = spawn_app().await;
    let system = Receiver::start(&[], 500).await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let (endpoint, _) = create_endpoint(&app, &admin, &system.url, &["request.filed"]).await;
    post_on_log(&app, &admin, &endpoint, "test", &[]).await;
    received(&app, &system, 1).await;
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(log.contains("en échec depuis le"), "{log}");

    // Two days later it still fails: still active.
    app.advance(Days::days(2));
    received(&app, &system, 2).await;
    // Sessions do not last days: signed in again.
    let admin = app.signed_in("tarifs@ores.demo").await;
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(log.contains("en échec depuis le"), "{log}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'webhook_disabled'")
            .await,
        0
    );
    // Three days after the first failure: disabled, its administrator told.
    app.advance(Days::days(1) + Days::minutes(1));
    received(&app, &system, 3).await;
    let mut disabled = false;
    for _ in 0..100 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE kind = 'webhook_disabled'")
            .await
            == 1
        {
            disabled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(disabled, "the administrators are emailed");
    let (to, subject, text): (String, String, String) = sqlx::query_as(
        "SELECT recipient, subject, body_text FROM outbox WHERE kind = 'webhook_disabled'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(to, "tarifs@ores.demo");
    assert_eq!(subject, format!("Webhook désactivé : {}", system.url));
    assert!(
        text.contains("échouent sans interruption depuis le 02/12/2026"),
        "{text}"
    );
    assert!(text.contains(&format!("/organisation/webhooks/{endpoint}")));
    let admin = app.signed_in("tarifs@ores.demo").await;
    let log = text_of(
        &admin,
        app.url(&format!("/organisation/webhooks/{endpoint}")),
    )
    .await;
    assert!(log.contains("désactivée le"), "{log}");
    // Disabled: nothing more is sent, even when due.
    app.advance(Days::hours(2));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(system.got().len(), 3);
    // Switched on again, the waiting delivery leaves at once.
    let response = post_on_log(&app, &admin, &endpoint, "active", &[("active", "1")]).await;
    assert_eq!(response.status().as_u16(), 303);
    received(&app, &system, 4).await;
}

#[tokio::test]
async fn an_address_that_is_not_https_is_refused_saying_why() {
    let app = spawn_app().await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let refused = |url: &'static str, events: &'static [&'static str]| {
        let admin = admin.clone();
        let app_url = app.url("/organisation/webhooks");
        async move {
            let page = text_of(&admin, &app_url).await;
            let mut form = vec![
                ("csrf_token", hidden(&page, "csrf_token")),
                ("url", url.into()),
            ];
            form.extend(events.iter().map(|e| ("events", (*e).to_owned())));
            let response = admin.post(&app_url).form(&form).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 422);
            response.text().await.unwrap()
        }
    };
    let html = refused("http://erp.ores.example/hooks", &["request.filed"]).await;
    assert!(
        html.contains("L&#39;adresse doit commencer par https://"),
        "{html}"
    );
    let html = refused("erp", &["request.filed"]).await;
    assert!(html.contains("Donnez une adresse complète"), "{html}");
    let html = refused("https://erp.ores.example/hooks", &[]).await;
    assert!(html.contains("Choisissez au moins un événement"), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM webhook_endpoints").await, 0);

    // Plain http to this machine only where the installation allows it.
    let strict = spawn_app_with(|config| config.webhooks_allow_local_http = false).await;
    let admin = strict.signed_in("tarifs@ores.demo").await;
    let page = text_of(&admin, strict.url("/organisation/webhooks")).await;
    let response = admin
        .post(strict.url("/organisation/webhooks"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("url", "http://127.0.0.1:9/hooks".into()),
            ("events", "request.filed".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Cette installation n&#39;accepte pas http vers cette machine"),
        "{html}"
    );
}

#[tokio::test]
async fn the_days_permit_and_offer_of_a_request_reach_its_operator_in_order_and_only_what_it_chose()
{
    let app = crate::helpers::app_with_crews().await;
    let system = Receiver::start(&[], 200).await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let (_, secret) = create_endpoint(
        &app,
        &admin,
        &system.url,
        &["day.reserved", "permit.requested", "offer.sent"],
    )
    .await;
    let reserved = crate::helpers::reserved(&app, &marie()).await;
    crate::helpers::send_offer_as(&app, &reserved.julien, &reserved.id, "").await;
    let got = received(&app, &system, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<Received> = got
        .into_iter()
        .chain(system.got().into_iter().skip(3))
        .collect();
    let types: Vec<String> = got.iter().map(|r| r.header("cmh-event-type")).collect();
    // Not the filing: it was not chosen. The permit is requested with the day (for the
    // commune, the coordinator and the operators alike); the events arrive in the order of the
    // request's history.
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM request_events WHERE request_id = $1 \
           AND kind IN ('day_reserved', 'permit.requested', 'offer_sent') ORDER BY id",
    )
    .bind(&reserved.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let expected: Vec<&str> = history
        .iter()
        .map(|kind| match kind.as_str() {
            "day_reserved" => "day.reserved",
            "permit.requested" => "permit.requested",
            _ => "offer.sent",
        })
        .collect();
    assert_eq!(types, expected);
    assert_eq!(types.len(), 3);
    assert_eq!(types[2], "offer.sent");
    for received in &got {
        verify_signature(&secret, received);
        assert_eq!(received.json()["data"]["request_id"], reserved.id.as_str());
        assert_eq!(
            received.json()["data"]["reference"],
            reserved.reference.as_str()
        );
    }
    let ids: std::collections::BTreeSet<String> =
        got.iter().map(|r| r.header("cmh-event-id")).collect();
    assert_eq!(ids.len(), 3, "one id per event");
}

#[tokio::test]
async fn a_communes_and_the_coordinators_systems_subscribe_on_their_own_page_and_get_the_permit() {
    let app = crate::helpers::app_with_crews().await;
    // Namur's works department and ORES' coordination each register their system; Mons too,
    // which is no party to a request in Namur.
    let namur_system = Receiver::start(&[], 200).await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune")).await;
    assert!(
        page.contains("href=\"/organisation/webhooks\""),
        "in the menu"
    );
    // A commune is told of its permits only: the form offers nothing else, and the operators'
    // work is not its page.
    let form = text_of(&namur, app.url("/organisation/webhooks")).await;
    assert!(form.contains("value=\"permit.requested\""));
    assert!(form.contains("value=\"permit.decided\""));
    assert!(!form.contains("value=\"request.filed\""));
    assert!(!form.contains("href=\"/operator\""));
    let (namur_endpoint, namur_secret) =
        create_endpoint(&app, &namur, &namur_system.url, &["permit.requested"]).await;
    let coordinator_system = Receiver::start(&[], 200).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let (_, coordinator_secret) = create_endpoint(
        &app,
        &julien,
        &coordinator_system.url,
        &["permit.requested", "day.reserved"],
    )
    .await;
    let mons_system = Receiver::start(&[], 200).await;
    let mons = app.signed_in("travaux@mons.demo").await;
    create_endpoint(&app, &mons, &mons_system.url, &["permit.requested"]).await;
    // Namur's endpoint is not another organisation's to read.
    let response = mons
        .get(app.url(&format!("/organisation/webhooks/{namur_endpoint}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let reserved = crate::helpers::reserved(&app, &marie()).await;
    let got = received(&app, &namur_system, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("cmh-event-type"), "permit.requested");
    verify_signature(&namur_secret, &got[0]);
    assert_eq!(got[0].json()["data"]["request_id"], reserved.id.as_str());
    assert_eq!(
        got[0].json()["data"]["reference"],
        reserved.reference.as_str()
    );
    let got = received(&app, &coordinator_system, 2).await;
    let types: Vec<String> = got.iter().map(|r| r.header("cmh-event-type")).collect();
    // In the order of the request's history: the reservation requests the permit first.
    assert_eq!(types, ["permit.requested", "day.reserved"]);
    for received in &got {
        verify_signature(&coordinator_secret, received);
    }
    // Mons is no party: nothing for it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(mons_system.got().is_empty());
}
