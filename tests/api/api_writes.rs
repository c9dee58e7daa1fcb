//! Issue 21, the API's writes for communes and the coordinator: an organisation's administrator
//! (an operator's, the coordinator's, a commune's) creates its keys on its own keys page, and a
//! commune's permit software decides its permits through the commune page's service.

use connect_my_home::demo as seed;
use serde_json::{Value, json};

use crate::{
    api_keys::{create_key_on, problem},
    helpers::{
        Reserved, TestApp, accept_offer_online, app_with_crews, client, hidden, marie, reserved,
        spawn_app, spawn_app_with, text_of, with,
    },
    statements::{Credit, accepted, cents, coda, digits, ores_due, payments_of},
    webhooks::{Receiver, create_endpoint, received, swde_admin, verify_signature},
};

/// Creates a key through the organisation's keys page of `admin` and returns its secret.
pub(crate) async fn create_key(
    app: &TestApp,
    admin: &reqwest::Client,
    name: &str,
    scope: &str,
) -> String {
    create_key_on(app, admin, "/organisation/api-keys", name, scope, "").await
}

/// The payee `due` of the latest offer in a payment's answer.
pub(crate) fn payee_in(answer: &Value, due: &str) -> Value {
    answer["offers"][0]["payees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == due)
        .unwrap_or_else(|| panic!("no payee {due} in {answer}"))
        .clone()
}

pub(crate) async fn get(app: &TestApp, secret: &str, path: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn post_json(
    app: &TestApp,
    secret: &str,
    path: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = client().post(app.url(path)).bearer_auth(secret).json(body);
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

async fn permit_of(app: &TestApp, request_id: &str) -> (String, String) {
    sqlx::query_as("SELECT id, status FROM permits WHERE request_id = $1 AND status <> 'cancelled'")
        .bind(request_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_organisations_administrator_and_only_they_manage_its_keys_on_its_own_page() {
    let app = app_with_crews().await;
    // The coordinator's administrator (a case officer) and a commune's: their own keys.
    let julien = app.signed_in("julien@ores.demo").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let ores_key = create_key(&app, &julien, "Back-office ORES", "read").await;
    let namur_key = create_key(&app, &namur, "Logiciel permis", "read_write").await;
    assert!(ores_key.starts_with("cmh_") && namur_key.starts_with("cmh_"));
    let ores_page = text_of(&julien, app.url("/organisation/api-keys")).await;
    assert!(ores_page.contains("Back-office ORES"));
    assert!(
        !ores_page.contains("Logiciel permis"),
        "Namur's keys are Namur's"
    );
    assert!(ores_page.contains("href=\"/backoffice\""));
    let namur_page = text_of(&namur, app.url("/organisation/api-keys")).await;
    assert!(namur_page.contains("Logiciel permis"));
    assert!(!namur_page.contains("Back-office ORES"));
    assert!(namur_page.contains("href=\"/commune\""));
    // Their menus lead there; another case officer's does not, nor may she open the page.
    let home = text_of(&julien, app.url("/backoffice")).await;
    assert!(home.contains("href=\"/organisation/api-keys\""));
    let sophie = app.signed_in("sophie@ores.demo").await;
    let home = text_of(&sophie, app.url("/backoffice")).await;
    assert!(!home.contains("href=\"/organisation/api-keys\""));
    let response = sophie
        .get(app.url("/organisation/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    // Revoked by the commune's administrator: the key stops at once.
    let row = namur_page
        .split("<tr>")
        .find(|row| row.contains("Logiciel permis"))
        .unwrap();
    let response = namur
        .post(app.url("/organisation/api-keys/revoke"))
        .form(&[
            ("csrf_token", hidden(&namur_page, "csrf_token")),
            ("key", hidden(row, "key")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        "/organisation/api-keys"
    );
    let (status, body) = problem(get(&app, &namur_key, "/api/v1/permits").await).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("key_revoked")));
    let (status, _) = problem(get(&app, &ores_key, "/api/v1/permits").await).await;
    assert_eq!(status, 404, "a coordinator's key has no permits to decide");
    // The platform administrator sees both organisations' keys.
    let platform = app.signed_in("admin@connect-my-home.demo").await;
    let all = text_of(&platform, app.url("/admin/api-keys")).await;
    assert!(all.contains("Back-office ORES") && all.contains("Logiciel permis"));
}

#[tokio::test]
async fn a_communes_system_decides_its_permit_with_its_key_once_as_if_typed_in_its_page() {
    let app = app_with_crews().await;
    // ORES electricity's system subscribes to permit decisions.
    let ores_system = Receiver::start(&[], 200).await;
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let (_, secret) =
        create_endpoint(&app, &ores_admin, &ores_system.url, &["permit.decided"]).await;
    let Reserved { id, reference, .. } = reserved(&app, &marie()).await;
    let (permit_id, status) = permit_of(&app, &id).await;
    assert_eq!(status, "pending");

    let namur = app.signed_in("travaux@namur.demo").await;
    let writer = create_key(&app, &namur, "Logiciel permis", "read_write").await;
    let reader = create_key(&app, &namur, "Tableau de bord", "read").await;
    let mons = app.signed_in("travaux@mons.demo").await;
    let mons_key = create_key(&app, &mons, "Logiciel Mons", "read_write").await;
    let path = format!("/api/v1/permits/{permit_id}");
    let decision = format!("{path}/decision");

    // The permit as the commune's page shows it.
    let response = get(&app, &reader, &path).await;
    assert_eq!(response.status().as_u16(), 200);
    let permit: Value = response.json().await.unwrap();
    assert_eq!(permit["id"], permit_id.as_str());
    assert_eq!(permit["request_id"], id.as_str());
    assert_eq!(permit["reference"], reference.as_str());
    assert_eq!(permit["status"], "pending");
    assert_eq!(permit["commune_nis"], "92094");
    assert!(
        permit["site"]
            .as_str()
            .unwrap()
            .contains("Rue des Tanneries 14")
    );
    assert_eq!(permit["decision_text"], Value::Null);
    let services: Vec<&str> = permit["works"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["electricity", "gas", "proximus", "voo", "water"]);
    let water = &permit["works"][4];
    assert_eq!(water["civil_works"], true);
    assert_eq!(water["trench_metres"], "12");
    assert_eq!(permit["history"].as_array().unwrap().len(), 1);
    assert_eq!(permit["history"][0]["action"], "requested");

    // Another commune's key: the permit does not exist, to read or to decide.
    let (status, _) = problem(get(&app, &mons_key, &path).await).await;
    assert_eq!(status, 404);
    let (status, _) = problem(
        post_json(
            &app,
            &mons_key,
            &decision,
            Some("mons-1"),
            &json!({"action": "approve"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    // A read key reads, and is refused a decision, saying why.
    let (status, body) = problem(
        post_json(
            &app,
            &reader,
            &decision,
            None,
            &json!({"action": "approve"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("read_only")));
    // The page's validation, with its words and rule: a question needs its text.
    let (status, body) = problem(
        post_json(
            &app,
            &writer,
            &decision,
            Some("namur-empty"),
            &json!({"action": "request_information", "text": "  "}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "refused");
    assert_eq!(body["rule"], "C-6");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Écrivez les conditions, la question ou le motif du refus"),
        "{body}"
    );
    let (status, body) =
        problem(post_json(&app, &writer, &decision, None, &json!({"action": "maybe"})).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"], "Cette décision n'existe pas.");
    assert_eq!(permit_of(&app, &id).await.1, "pending");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM permit_actions").await,
        1,
        "only the request itself"
    );

    // The question, twice under one Idempotency-Key: one decision, the first answer again.
    let question = json!({
        "action": "request_information",
        "text": "Par quel trottoir passe la tranchée ?",
    });
    let first = post_json(&app, &writer, &decision, Some("namur-q1"), &question).await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "information_requested");
    assert_eq!(
        first["decision_text"],
        "Par quel trottoir passe la tranchée ?"
    );
    let step = &first["history"][1];
    assert_eq!(step["action"], "information_requested");
    assert_eq!(step["actor"], "Logiciel permis");
    assert_eq!(step["text"], "Par quel trottoir passe la tranchée ?");
    let again = post_json(&app, &writer, &decision, Some("namur-q1"), &question).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.count("SELECT COUNT(*) FROM permit_actions").await, 2);

    // The timeline names the key; the officers are mailed as for the page's decision.
    let events: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT actor_kind, actor_name, detail FROM request_events \
         WHERE request_id = $1 AND kind = 'permit.information_requested'",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [(
            "api_key".to_owned(),
            "Logiciel permis".to_owned(),
            Some("Ville de Namur — Par quel trottoir passe la tranchée ?".to_owned())
        )]
    );
    let mails: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, body_text FROM outbox WHERE kind = 'permit_decided' ORDER BY recipient",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let recipients: Vec<&str> = mails.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(recipients, ["julien@ores.demo", "sophie@ores.demo"]);
    assert!(mails[0].1.contains(&format!(
        "Ville de Namur a décidé du permis de voirie commun de la demande {reference}"
    )));
    assert!(mails[0].1.contains("Par quel trottoir passe la tranchée ?"));

    // The operator's system is told, signed, once.
    let got = received(&app, &ores_system, 1).await;
    assert_eq!(got.len(), 1);
    verify_signature(&secret, &got[0]);
    assert_eq!(got[0].header("cmh-event-type"), "permit.decided");
    assert_eq!(got[0].json()["data"]["reference"], reference.as_str());

    // While the question waits for the officer, another decision is refused with its rule.
    let (status, body) = problem(
        post_json(
            &app,
            &writer,
            &decision,
            Some("namur-q2"),
            &json!({"action": "request_information", "text": "Et la profondeur ?"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["rule"], "C-6");
    assert_eq!(
        body["detail"],
        "Un complément est déjà demandé et attend la réponse de l'agent ORES."
    );
}

async fn upload(
    app: &TestApp,
    secret: &str,
    idempotency_key: Option<&str>,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut request = client()
        .post(app.url("/api/v1/statements?filename=releve-187.cod"))
        .bearer_auth(secret)
        .header("content-type", "application/octet-stream")
        .body(bytes);
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_coordinators_bank_software_uploads_a_statement_that_registers_each_payment_once() {
    let app = spawn_app().await;
    seed::demo_crews(&app.state).await.unwrap();
    let marie_id = accepted(&app, &marie()).await;
    let paul_id = accepted(
        &app,
        &with(&marie(), &[("email", "paul.martin@example.be")]),
    )
    .await;
    let (marie_due, marie_amount, marie_communication, iban) = ores_due(&app, &marie_id).await;
    let (paul_due, _, paul_communication, _) = ores_due(&app, &paul_id).await;
    let account: String = iban.split_whitespace().collect();
    let today = app.today();
    let julien = app.signed_in("julien@ores.demo").await;
    let writer = create_key(&app, &julien, "Banque ORES", "read_write").await;
    let reader = create_key(&app, &julien, "Tableau de bord", "read").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let namur_key = create_key(&app, &namur, "Logiciel permis", "read_write").await;

    // Marie pays in full, Paul 100.00 € of his, and a credit names no known communication.
    let statement = coda(
        &account,
        today,
        &[
            Credit {
                cents: cents(&marie_amount),
                structured: Some(&digits(&marie_communication)),
                free: "",
                payer: "DUPONT MARIE",
            },
            Credit {
                cents: 10_000,
                structured: Some(&digits(&paul_communication)),
                free: "",
                payer: "MARTIN PAUL",
            },
            Credit {
                cents: 5_000,
                structured: None,
                free: "facture 2026-11",
                payer: "INCONNU",
            },
        ],
    );

    // A commune has no statements; a read key uploads nothing; a file that is no CODA is
    // refused with the statements page's words.
    let (status, _) = problem(upload(&app, &namur_key, None, statement.clone()).await).await;
    assert_eq!(status, 404);
    let (status, body) = problem(upload(&app, &reader, None, statement.clone()).await).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("read_only")));
    let (status, body) = problem(
        upload(
            &app,
            &writer,
            Some("csv"),
            b"Date;Montant\n02/12/2026;1210,00\n".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"],
        "Ligne 1 : type d'enregistrement inconnu ; ce fichier n'est pas un relevé CODA."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_statements").await, 0);

    // The reading: one paid, one partial, one to assign; the same call again, the same answer.
    let response = upload(&app, &writer, Some("coda-187"), statement.clone()).await;
    assert_eq!(response.status().as_u16(), 200);
    let reading: Value = response.json().await.unwrap();
    assert_eq!(
        reading,
        json!({"statements": 1, "credits": 3, "paid": 1, "partial": 1, "over": 0,
               "to_assign": 1, "already_read": 0, "debits": 0})
    );
    let again = upload(&app, &writer, Some("coda-187"), statement.clone()).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), reading);
    // Uploaded again as a new call: every credit already read, nothing registered twice.
    let response = upload(&app, &writer, Some("coda-187-bis"), statement).await;
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"statements": 1, "credits": 0, "paid": 0, "partial": 0, "over": 0,
               "to_assign": 0, "already_read": 3, "debits": 0})
    );
    assert_eq!(
        payments_of(&app, &marie_due).await,
        vec![(marie_amount.clone(), today.to_string(), true)]
    );
    assert_eq!(
        payments_of(&app, &paul_due).await,
        vec![("100.00".to_owned(), today.to_string(), true)]
    );
    // Each payment's timeline event names the key; the unknown credit waits on the page.
    for id in [&marie_id, &paul_id] {
        let events: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor_kind, actor_name FROM request_events \
             WHERE request_id = $1 AND kind = 'payment_registered'",
        )
        .bind(id)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
        assert_eq!(
            events,
            [("api_key".to_owned(), "Banque ORES".to_owned())],
            "{id}"
        );
    }
    let page = text_of(&julien, app.url("/backoffice/statements")).await;
    assert!(page.contains("facture 2026-11"), "{page}");
    // The statement was uploaded by the key, not by the officer who created the key.
    assert!(
        page.contains("Chargé par\">Clé d&#39;API «Banque ORES» d&#39;ORES — Connect my home,"),
        "{page}"
    );
}

pub(crate) async fn events_of(app: &TestApp, id: &str, kind: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT actor_kind, actor_name FROM request_events WHERE request_id = $1 AND kind = $2",
    )
    .bind(id)
    .bind(kind)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_coordinators_system_sends_the_offer_and_registers_a_payment_as_the_page_does() {
    let app = spawn_app().await;
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app.file_assessed(&marie()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let writer = create_key(&app, &julien, "Back-office ORES", "read_write").await;
    let reader = create_key(&app, &julien, "Tableau de bord", "read").await;
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let operator_key = create_key(&app, &ores_admin, "ERP", "read_write").await;
    let offer = format!("/api/v1/requests/{id}/offer");
    let payments = format!("/api/v1/requests/{id}/payments");

    // An operator's key: the coordinator's request is not its to offer; a read key is refused.
    let (status, _) =
        problem(post_json(&app, &operator_key, &offer, Some("erp-1"), &json!({})).await).await;
    assert_eq!(status, 404);
    let (status, body) = problem(post_json(&app, &reader, &offer, None, &json!({})).await).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("read_only")));
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 0);

    // Sent once, under one Idempotency-Key sent twice: one version, one mail.
    let first = post_json(&app, &writer, &offer, Some("offer-1"), &json!({})).await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["request_id"], id.as_str());
    assert_eq!(first["version"], 1);
    assert_eq!(first["repeated"], false);
    assert_eq!(first["offers"].as_array().unwrap().len(), 1);
    assert_eq!(first["offers"][0]["status"], "sent");
    let again = post_json(&app, &writer, &offer, Some("offer-1"), &json!({})).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'offer'")
            .await,
        1
    );
    assert_eq!(
        events_of(&app, &id, "offer_sent").await,
        [("api_key".to_owned(), "Back-office ORES".to_owned())]
    );
    // A revised offer needs its reason, as on the page.
    let (status, body) =
        problem(post_json(&app, &writer, &offer, Some("offer-2"), &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"],
        "Indiquez le motif de la révision : il figure sur l'offre révisée."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 1);

    // Accepted online by Marie; ORES' system registers 100.00 € of ORES' due.
    let link = app.private_link(&id).await;
    assert_eq!(accept_offer_online(&app, &link, &id).await.0, 303);
    let (due, amount, _, _) = ores_due(&app, &id).await;
    let today = app.today().to_string();
    let tomorrow = (app.today() + chrono::Duration::days(1)).to_string();
    let (status, body) = problem(
        post_json(
            &app,
            &writer,
            &payments,
            Some("pay-future"),
            &json!({"payee": due, "amount": "100.00", "paid_on": tomorrow}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Un paiement ne peut pas être daté dans le futur"),
        "{body}"
    );
    // An organisation that is no id is refused as an unknown one is: the same answer, no payment.
    let mut refusals = Vec::new();
    for (key, organisation) in [
        ("pay-unknown", "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"),
        ("pay-not-an-id", "ORES"),
    ] {
        let body = json!({"organisation": organisation, "amount": "100.00", "paid_on": today});
        refusals.push(problem(post_json(&app, &writer, &payments, Some(key), &body).await).await);
    }
    let said =
        |(status, body): &(u16, Value)| (*status, body["error"].clone(), body["detail"].clone());
    assert_eq!(refusals[0].0, 422, "{}", refusals[0].1);
    assert_eq!(said(&refusals[0]), said(&refusals[1]));
    assert_eq!(app.count("SELECT COUNT(*) FROM due_payments").await, 0);
    let payment = json!({"payee": due, "amount": "100.00", "paid_on": today});
    let first = post_json(&app, &writer, &payments, Some("pay-1"), &payment).await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["due_id"], due.as_str());
    let payee = payee_in(&first, &due);
    assert_eq!(payee["amount"], amount.as_str());
    assert_eq!(payee["paid"], "100.00");
    assert_eq!(
        payee["payments"],
        json!([{"amount": "100.00", "paid_on": today}])
    );
    let again = post_json(&app, &writer, &payments, Some("pay-1"), &payment).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    // The same payment without the key: still one payment, as the page's double click.
    let response = post_json(&app, &writer, &payments, None, &payment).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        payments_of(&app, &due).await,
        vec![("100.00".to_owned(), today.clone(), false)]
    );
    assert_eq!(
        events_of(&app, &id, "payment_registered").await,
        [("api_key".to_owned(), "Back-office ORES".to_owned())]
    );
}

#[tokio::test]
async fn an_operators_system_records_its_works_done_on_the_joint_day_once() {
    let app = app_with_crews().await;
    let Reserved { id, day, .. } = reserved(&app, &marie()).await;
    let electricity: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let writer = create_key(&app, &ores_admin, "ERP travaux", "read_write").await;
    let reader = create_key(&app, &ores_admin, "Tableau de bord", "read").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let namur_key = create_key(&app, &namur, "Logiciel permis", "read_write").await;
    let done = format!("/api/v1/assessments/{electricity}/works-done");

    // Another organisation's key: no such part; a read key is refused.
    let (status, _) =
        problem(post_json(&app, &namur_key, &done, Some("n-1"), &json!({})).await).await;
    assert_eq!(status, 404);
    let (status, body) = problem(post_json(&app, &reader, &done, None, &json!({})).await).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("read_only")));
    // Not before the day, as on the page (C-4).
    let (status, body) =
        problem(post_json(&app, &writer, &done, Some("early"), &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["rule"], "C-4");
    assert_eq!(
        body["detail"],
        "Les travaux ne peuvent être déclarés faits qu'à partir du jour commun, et une seule fois."
    );

    // On the day: recorded once, named after the key.
    app.advance_to(day.parse().unwrap());
    let first = post_json(&app, &writer, &done, Some("done-1"), &json!({})).await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["id"], electricity.as_str());
    assert_eq!(first["service"], "electricity");
    let again = post_json(&app, &writer, &done, Some("done-1"), &json!({})).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        events_of(&app, &id, "works_done").await,
        [("api_key".to_owned(), "ERP travaux".to_owned())]
    );
    // A second record is refused: the works are done once.
    let (status, _) =
        problem(post_json(&app, &writer, &done, Some("done-2"), &json!({})).await).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn an_overdue_answer_tells_its_operator_once_with_assessment_late() {
    let app = spawn_app_with(|config| {
        config.run_workers = false;
        config.assessment_due_working_days = 0;
    })
    .await;
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let (ores_endpoint, _) = create_endpoint(
        &app,
        &ores_admin,
        "http://127.0.0.1:9/ores",
        &["assessment.late"],
    )
    .await;
    let swde = swde_admin(&app).await;
    let (swde_endpoint, _) =
        create_endpoint(&app, &swde, "http://127.0.0.1:9/swde", &["request.filed"]).await;
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;

    // Nothing answered, and the due time has passed: each part is late, recorded once.
    app.advance(chrono::Duration::minutes(1));
    let recorded = connect_my_home::services::operator_work::record_late(&app.state, app.now())
        .await
        .unwrap();
    assert_eq!(recorded, 5);
    let again = connect_my_home::services::operator_work::record_late(&app.state, app.now())
        .await
        .unwrap();
    assert_eq!(again, 0, "once per assessment");
    let mut services: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM request_events WHERE request_id = $1 AND kind = 'assessment_late' \
         AND actor_kind = 'system'",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    services.sort();
    assert_eq!(services, ["electricity", "gas", "proximus", "voo", "water"]);

    // ORES electricity's endpoint is told of its own part only; SWDE did not subscribe.
    let deliveries: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT endpoint_id, event_type, body FROM webhook_deliveries \
         WHERE event_type = 'assessment.late'",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].0, ores_endpoint);
    let body: Value = serde_json::from_str(&deliveries[0].2).unwrap();
    assert_eq!(body["type"], "assessment.late");
    assert_eq!(body["data"]["reference"], reference.as_str());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_deliveries WHERE event_type = 'assessment.late'")
            .await,
        1
    );
    let swde_late: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 \
         AND event_type = 'assessment.late'",
    )
    .bind(&swde_endpoint)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(swde_late, 0);
    // The event is listed on the subscription form in the administrator's language.
    let page = text_of(&ores_admin, app.url("/organisation/webhooks")).await;
    assert!(
        page.contains("Réponse d&#39;un opérateur en retard")
            || page.contains("Réponse d'un opérateur en retard")
    );
}

#[tokio::test]
async fn an_operators_planning_system_declares_its_crews_absences_in_bulk() {
    let app = app_with_crews().await;
    let Reserved {
        id, reference, day, ..
    } = reserved(&app, &marie()).await;
    let booked: String = sqlx::query_scalar(
        "SELECT crew_id FROM reservations WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let swde_crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
         WHERE o.slug = 'swde' ORDER BY c.name LIMIT 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let writer = create_key(&app, &ores_admin, "Planification", "read_write").await;
    let reader = create_key(&app, &ores_admin, "Tableau de bord", "read").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let namur_key = create_key(&app, &namur, "Logiciel permis", "read_write").await;

    // The crews as the crews page lists them; a commune has none.
    let crews: Value = get(&app, &reader, "/api/v1/crews")
        .await
        .json()
        .await
        .unwrap();
    let crews = crews.as_array().unwrap();
    assert!(crews.iter().all(|c| c["service"] == "electricity"));
    let crew = crews.iter().find(|c| c["id"] == booked.as_str()).unwrap();
    assert_eq!(crew["absences"], json!([]));
    let other = crews
        .iter()
        .find(|c| c["id"] != booked.as_str())
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .unwrap();
    let (status, _) = problem(get(&app, &namur_key, "/api/v1/crews").await).await;
    assert_eq!(status, 404);

    let first: chrono::NaiveDate = day.parse().unwrap();
    let later = (first + chrono::Duration::days(7)).to_string();
    let until = (first + chrono::Duration::days(9)).to_string();
    let body = json!({"absences": [
        {"crew": booked, "day": day},
        {"crew": other, "day": later, "until": until},
    ]});
    // A read key, another operator's crew, a period backwards: refused, nothing declared.
    let (status, body_of) =
        problem(post_json(&app, &reader, "/api/v1/crews/absences", None, &body).await).await;
    assert_eq!(
        (status, body_of["error"].as_str()),
        (403, Some("read_only"))
    );
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            "/api/v1/crews/absences",
            None,
            &json!({"absences": [{"crew": booked, "day": day}, {"crew": swde_crew, "day": day}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        refused["detail"],
        "absences[1].crew: none of the operator's crews"
    );
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            "/api/v1/crews/absences",
            None,
            &json!({"absences": [{"crew": other, "day": until, "until": later}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("absences[0]: ")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM crew_absences").await, 0);

    // Declared at once, twice under one key: the booked crew breaks Marie's day.
    let response = post_json(
        &app,
        &writer,
        "/api/v1/crews/absences",
        Some("abs-1"),
        &body,
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let declared: Value = response.json().await.unwrap();
    assert_eq!(
        declared["absences"],
        json!([
            {"crew": booked, "first": day, "last": day, "affected": [reference]},
            {"crew": other, "first": later, "last": until, "affected": []},
        ])
    );
    let crew = declared["crews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == booked.as_str())
        .unwrap();
    assert_eq!(crew["absences"], json!([day]));
    let again = post_json(
        &app,
        &writer,
        "/api/v1/crews/absences",
        Some("abs-1"),
        &body,
    )
    .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), declared);
    assert_eq!(app.count("SELECT COUNT(*) FROM crew_absences").await, 4);
    assert_eq!(
        events_of(&app, &id, "crew_absent_on_day").await,
        [("api_key".to_owned(), "Planification".to_owned())]
    );
}

#[tokio::test]
async fn an_answer_falling_due_within_a_day_tells_its_operator_once_with_assessment_due() {
    use connect_my_home::services::operator_work::{record_due_soon, record_late};
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let (ores_endpoint, _) = create_endpoint(
        &app,
        &ores_admin,
        "http://127.0.0.1:9/ores",
        &["assessment.due"],
    )
    .await;
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let due: String = sqlx::query_scalar(
        "SELECT due_at FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(&due)
        .unwrap()
        .with_timezone(&chrono::Utc);

    // Just filed, the answers are days away: nothing to say. 25 hours before the due time,
    // still nothing; 23 hours before, each part not answered, once.
    assert_eq!(record_due_soon(&app.state, app.now()).await.unwrap(), 0);
    app.advance(due - chrono::Duration::hours(25) - app.now());
    assert_eq!(record_due_soon(&app.state, app.now()).await.unwrap(), 0);
    app.advance(chrono::Duration::hours(2));
    let recorded = record_due_soon(&app.state, app.now()).await.unwrap();
    assert!(recorded >= 1, "electricity falls due");
    assert_eq!(
        record_due_soon(&app.state, app.now()).await.unwrap(),
        0,
        "once per assessment"
    );
    let electricity: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM request_events WHERE request_id = $1 \
         AND kind = 'assessment_due' AND detail = 'electricity' AND actor_kind = 'system'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(electricity, 1);

    // ORES' endpoint, subscribed to it, is told of its own part once.
    let deliveries: Vec<(String, String)> = sqlx::query_as(
        "SELECT endpoint_id, body FROM webhook_deliveries WHERE event_type = 'assessment.due'",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].0, ores_endpoint);
    let body: Value = serde_json::from_str(&deliveries[0].1).unwrap();
    assert_eq!(body["type"], "assessment.due");
    assert_eq!(body["data"]["reference"], reference.as_str());

    // Past the due time the part is late; it is not said to fall due again.
    app.advance(chrono::Duration::hours(24));
    assert!(record_late(&app.state, app.now()).await.unwrap() >= 1);
    assert_eq!(record_due_soon(&app.state, app.now()).await.unwrap(), 0);

    // The subscription form lists the event in the administrator's language (signed in
    // again: days have passed).
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let page = text_of(&ores_admin, app.url("/organisation/webhooks")).await;
    assert!(
        page.contains("Réponse d&#39;un opérateur attendue sous 24 heures")
            || page.contains("Réponse d'un opérateur attendue sous 24 heures"),
        "{page}"
    );
}
