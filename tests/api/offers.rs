//! Rule C-3: one consolidated offer, sent once, accepted, paid per operator, lapsing after six
//! months (V-8.1) and revised at the tariffs in force (V-8.3).

use chrono::Duration;
use connect_my_home::{demo as seed, services::offers};

use crate::helpers::{
    TestApp, accept_offer_online, ask_acceptance_code, hidden, json_of, marie, spawn_app, text_of,
};

/// A request every operator has answered, with the officer signed in and the applicant's link.
struct Assessed {
    id: String,
    julien: reqwest::Client,
    page_url: String,
    link: String,
}

async fn assessed(app: &TestApp) -> Assessed {
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    Assessed {
        page_url: app.url(&format!("/backoffice/requests/{id}")),
        julien: app.signed_in("julien@ores.demo").await,
        id,
        link,
    }
}

/// Posts the request page's send form (with its idempotency key) and returns the status.
async fn send_offer(app: &TestApp, a: &Assessed, reason: &str) -> (u16, String) {
    let page = text_of(&a.julien, &a.page_url).await;
    let form = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("key", hidden(&page, "key")),
        ("reason", reason.to_owned()),
    ];
    let response = a
        .julien
        .post(app.url(&format!("/backoffice/requests/{}/offer", a.id)))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn offer_states(app: &TestApp, id: &str) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT version, status FROM offers WHERE request_id = $1 ORDER BY version")
        .bind(id)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

async fn request_state(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn c_3_pressing_send_twice_sends_one_offer_with_its_pdf() {
    let app = spawn_app().await;
    let a = assessed(&app).await;
    let page = text_of(&a.julien, &a.page_url).await;
    let form = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("key", hidden(&page, "key")),
        ("reason", String::new()),
    ];
    let url = app.url(&format!("/backoffice/requests/{}/offer", a.id));
    // Two presses of the same form, at once.
    let (first, second) = tokio::join!(
        a.julien.post(&url).form(&form).send(),
        a.julien.post(&url).form(&form).send()
    );
    assert_eq!(first.unwrap().status().as_u16(), 303);
    assert_eq!(second.unwrap().status().as_u16(), 303);

    assert_eq!(
        offer_states(&app, &a.id).await,
        vec![(1, "sent".to_owned())]
    );
    assert_eq!(request_state(&app, &a.id).await, "quoted");
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT id, recipient FROM outbox WHERE request_id = $1 AND kind = 'offer'")
            .bind(&a.id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(mails.len(), 1, "one email for the whole offer");
    assert_eq!(mails[0].1, "marie.dupont@example.be");
    // The email's own private link opens the status page with the offer on it.
    let body: String = sqlx::query_scalar("SELECT body_text FROM outbox WHERE id = $1")
        .bind(&mails[0].0)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let start = body
        .find(&app.url("/track/"))
        .expect("private link in the offer");
    let offer_link = body[start..].split_whitespace().next().unwrap();
    assert_ne!(
        offer_link, a.link,
        "a fresh link, the first one is not stored"
    );
    let status = text_of(&app.client, offer_link).await;
    assert!(status.contains("Votre offre") && status.contains("id=\"accept-offer\""));
    // Read in another language, the page keeps the offer as it was sent (in French).
    let english = app
        .client
        .get(offer_link)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Your offer"));
    assert!(english.contains("Sous-total TVA comprise"));
    let attachments =
        connect_my_home::db::outbox::attachments(&app.state.db, mails[0].0.parse().unwrap())
            .await
            .unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].content_type, "application/pdf");
    assert!(attachments[0].content.starts_with(b"%PDF"));

    // One payee per operator that charges something, each with its own valid communication.
    let payees: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.party_name, COALESCE(p.structured_communication, '') FROM offer_dues p \
         JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator'",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(!payees.is_empty());
    for (_, communication) in &payees {
        let digits: String = communication.chars().filter(char::is_ascii_digit).collect();
        let base: u64 = digits[..10].parse().unwrap();
        let check: u64 = digits[10..].parse().unwrap();
        assert_eq!(
            if base.is_multiple_of(97) {
                97
            } else {
                base % 97
            },
            check
        );
    }

    // The same PDF for the officer and, through the private link, for the applicant.
    let officer_pdf = a
        .julien
        .get(format!("{}/offers/1.pdf", a.page_url))
        .send()
        .await
        .unwrap();
    assert_eq!(officer_pdf.status().as_u16(), 200);
    let applicant_pdf = app
        .client
        .get(format!("{}/offers/1.pdf", a.link))
        .send()
        .await
        .unwrap();
    assert_eq!(applicant_pdf.status().as_u16(), 200);
    assert_eq!(
        applicant_pdf.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    let bytes = applicant_pdf.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), attachments[0].content.as_slice());
    // Nobody else reads it: another operator's staff, an anonymous visitor without the link.
    let swde = app.signed_in("eau@swde.demo").await;
    let refused = swde
        .get(format!("{}/offers/1.pdf", a.page_url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 404);
    let (status, _) = app
        .get_text(&format!("/backoffice/requests/{}/offers/1.pdf", a.id))
        .await;
    assert_ne!(status, 200);
}

#[tokio::test]
async fn v_8_2_1_accepted_paid_then_the_day_is_confirmed_with_an_invitation() {
    let app = spawn_app().await;
    let a = assessed(&app).await;
    assert_eq!(send_offer(&app, &a, "").await.0, 303);

    // Without explicit consent nothing is accepted, and the page says why.
    let (status, page) = ask_acceptance_code(&app, &a.link, false).await;
    assert_eq!(status, 422);
    assert!(page.contains("Cochez la case pour confirmer"));
    assert_eq!(request_state(&app, &a.id).await, "quoted");

    assert_eq!(accept_offer_online(&app, &a.link, &a.id).await.0, 303);
    assert_eq!(
        offer_states(&app, &a.id).await,
        vec![(1, "accepted".to_owned())]
    );
    assert_eq!(request_state(&app, &a.id).await, "accepted");
    // Accepting twice is refused: the version is no longer open.
    let page = text_of(&app.client, &a.link).await;
    assert!(!page.contains("id=\"accept-offer\""));

    // The day cannot be confirmed before payment.
    let page = text_of(&a.julien, &a.page_url).await;
    assert!(!page.contains("id=\"confirm-day\""));

    // The officer registers each operator's payment; a bad amount is refused and changes nothing.
    let payees: Vec<(String, String)> = sqlx::query_as(
        "SELECT COALESCE(p.organisation_id, ''), p.amount FROM offer_dues p \
         JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator'",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let payments_url = app.url(&format!("/backoffice/requests/{}/payments", a.id));
    let today = app.today().to_string();
    let csrf = hidden(&text_of(&a.julien, &a.page_url).await, "csrf_token");
    let refused = a
        .julien
        .post(&payments_url)
        .form(&[
            ("csrf_token", csrf.clone()),
            ("organisation", payees[0].0.clone()),
            ("amount", "-5".to_owned()),
            ("paid_on", today.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM due_payments").await, 0);
    // An organisation that is no id is refused as an unknown one is, never a 500.
    let mut refusals = Vec::new();
    for organisation in ["0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b", "ORES"] {
        let response = a
            .julien
            .post(&payments_url)
            .form(&[
                ("csrf_token", csrf.clone()),
                ("organisation", organisation.to_owned()),
                ("amount", payees[0].1.clone()),
                ("paid_on", today.clone()),
            ])
            .send()
            .await
            .unwrap();
        refusals.push(response.status().as_u16());
    }
    assert_eq!(refusals, [422, 422]);
    assert_eq!(app.count("SELECT COUNT(*) FROM due_payments").await, 0);
    for (organisation, amount) in &payees {
        let response = a
            .julien
            .post(&payments_url)
            .form(&[
                ("csrf_token", csrf.clone()),
                ("organisation", organisation.clone()),
                ("amount", amount.clone()),
                ("paid_on", today.clone()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
    }
    assert_eq!(request_state(&app, &a.id).await, "ready_for_works");

    // The applicant picks the day; the officer confirms it; the invitation goes out.
    let page = text_of(&app.client, &a.link).await;
    let response = app
        .client
        .post(format!("{}/day", a.link))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", hidden(&page, "day")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let confirm = || async {
        let page = text_of(&a.julien, &a.page_url).await;
        a.julien
            .post(app.url(&format!("/backoffice/requests/{}/day/confirm", a.id)))
            .form(&[("csrf_token", hidden(&page, "csrf_token"))])
            .send()
            .await
            .unwrap()
    };
    // Not before the commune of Namur granted the joint road-works permit (rule C-6).
    let refused = confirm().await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("pas encore décidé du permis de voirie")
    );
    assert_eq!(request_state(&app, &a.id).await, "ready_for_works");
    let permit: String =
        sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1 AND status = 'pending'")
            .bind(&a.id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_page = text_of(&namur, app.url(&format!("/commune/permits/{permit}"))).await;
    let granted = namur
        .post(app.url(&format!("/commune/permits/{permit}/decision")))
        .form(&[
            ("csrf_token", hidden(&permit_page, "csrf_token")),
            ("action", "approve".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status().as_u16(), 303);
    let response = confirm().await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(request_state(&app, &a.id).await, "scheduled");
    let invitation: String = sqlx::query_scalar(
        "SELECT o.id FROM outbox o WHERE o.request_id = $1 AND o.kind = 'day_confirmed'",
    )
    .bind(&a.id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let files =
        connect_my_home::db::outbox::attachments(&app.state.db, invitation.parse().unwrap())
            .await
            .unwrap();
    let ics = String::from_utf8(files[0].content.clone()).unwrap();
    let day: String =
        sqlx::query_scalar("SELECT day FROM reservations WHERE request_id = $1 LIMIT 1")
            .bind(&a.id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    // The crews' arrival window, in Brussels time (not an all-day event).
    let compact = day.replace('-', "");
    assert!(
        ics.contains(&format!(
            "DTSTART;TZID=Europe/Brussels:{compact}T080000\r\n"
        )),
        "{ics}"
    );
    assert!(
        ics.contains(&format!("DTEND;TZID=Europe/Brussels:{compact}T120000\r\n")),
        "{ics}"
    );
    assert!(!ics.contains("VALUE=DATE"), "{ics}");

    // The same way to the works in JSON: the offer with its paid payees, the permit, the
    // confirmed day with every crew for the coordinator...
    let api = app.url(&format!("/api/v1/requests/{}", a.id));
    let json = json_of(&a.julien, &api, 200).await;
    let offer = &json["offers"][0];
    assert_eq!(offer["version"], 1);
    assert_eq!(offer["status"], "accepted");
    let payees = offer["payees"].as_array().unwrap();
    assert_eq!(
        payees.len(),
        payees.iter().filter(|p| p["paid_at"].is_string()).count()
    );
    assert!(payees.iter().all(|p| {
        p["structured_communication"]
            .as_str()
            .unwrap()
            .starts_with("+++")
    }));
    assert_eq!(json["permit"]["status"], "approved");
    assert_eq!(json["joint_day"]["day"], day.as_str());
    assert_eq!(json["joint_day"]["confirmed"], true);
    assert_eq!(json["joint_day"]["crews"].as_array().unwrap().len(), 5);
    let document = json_of(&a.julien, app.url(offer["document"].as_str().unwrap()), 200).await;
    assert_eq!(document["total_incl_vat"], offer["total_incl_vat"]);
    // One document per payee: ORES' electricity and gas are one document, its VAT on their
    // sum (V-6); then SWDE, Proximus and VOO.
    let operators: Vec<&str> = document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["operator"].as_str().unwrap())
        .collect();
    assert_eq!(operators, ["ORES Assets", "SWDE", "Proximus", "VOO"]);

    // ... an operator sees its own crew, and neither the consolidated offer nor the permit.
    let swde = app.signed_in("eau@swde.demo").await;
    let json = json_of(&swde, &api, 200).await;
    assert_eq!(json["offers"].as_array().unwrap().len(), 0);
    assert!(json["permit"].is_null());
    let crews = json["joint_day"]["crews"].as_array().unwrap();
    assert_eq!(crews.len(), 1);
    assert_eq!(crews[0]["service"], "water");
    let refused = swde
        .get(app.url(&format!("/api/v1/requests/{}/offers/1", a.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 404);
}

/// Whether the case officer's queue flags the request's sent offer as lapsing soon.
async fn lapses_soon_in_queue(app: &TestApp, id: &str) -> bool {
    let julien = app.signed_in("julien@ores.demo").await;
    let queue = text_of(&julien, app.url("/backoffice")).await;
    crate::tariff_gap::queue_row(&queue, id).contains("offre bientôt périmée")
}

#[tokio::test]
async fn v_8_1_an_offer_lapses_after_six_months_with_a_reminder_a_month_before() {
    let app = spawn_app().await;
    let mut a = assessed(&app).await;
    assert_eq!(send_offer(&app, &a, "").await.0, 303);
    // Sent on the app's first day, 2 December 2026: valid until 2 June 2027 (V-8.1).

    // Four months on: nothing to do yet.
    app.advance(Duration::days(120));
    let run = offers::run_daily(&app.state, app.now()).await.unwrap();
    assert_eq!((run.reminded, run.lapsed), (0, 0));
    assert!(!lapses_soon_in_queue(&app, &a.id).await);
    // Five and a half months on: one reminder, only once however often the job runs.
    app.advance(Duration::days(45));
    assert_eq!(
        offers::run_daily(&app.state, app.now())
            .await
            .unwrap()
            .reminded,
        1
    );
    assert_eq!(
        offers::run_daily(&app.state, app.now())
            .await
            .unwrap()
            .reminded,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'offer_reminder'")
            .await,
        1
    );
    // Within its last month, the officer's queue flags it.
    assert!(lapses_soon_in_queue(&app, &a.id).await);
    // The day after the validity date: lapsed, the applicant is told, acceptance is refused.
    let valid_until: String = sqlx::query_scalar("SELECT valid_until FROM offers")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let valid_until = chrono::NaiveDate::parse_from_str(&valid_until, "%Y-%m-%d").unwrap();
    assert_eq!(valid_until.to_string(), "2027-06-02");
    app.advance_to(valid_until);
    assert_eq!(
        offers::run_daily(&app.state, app.now())
            .await
            .unwrap()
            .lapsed,
        0
    );
    app.advance(Duration::days(1));
    assert_eq!(
        offers::run_daily(&app.state, app.now())
            .await
            .unwrap()
            .lapsed,
        1
    );
    assert_eq!(
        offer_states(&app, &a.id).await,
        vec![(1, "lapsed".to_owned())]
    );
    assert_eq!(request_state(&app, &a.id).await, "lapsed");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'offer_lapsed'")
            .await,
        1
    );
    let request =
        connect_my_home::db::requests::get_for_worker_db(&app.state.db, a.id.parse().unwrap())
            .await
            .unwrap();
    let refused = offers::accept(
        &app.state,
        &request,
        1,
        offers::AcceptedBy::Applicant { code: "000000" },
        app.now(),
    )
    .await;
    assert!(matches!(refused, Err(offers::OfferError::Lapsed)));
    // Six months on, the officer's session of that day is long over.
    a.julien = app.signed_in("julien@ores.demo").await;

    // Re-issued at the tariffs in force: a second version, the first kept.
    let (status, page) = send_offer(&app, &a, "").await;
    assert_eq!(status, 422, "a re-issue needs its reason");
    assert!(page.contains("Indiquez le motif de la révision"));
    assert_eq!(
        send_offer(&app, &a, "Nouvelle offre après péremption")
            .await
            .0,
        303
    );
    assert_eq!(
        offer_states(&app, &a.id).await,
        vec![(1, "lapsed".to_owned()), (2, "sent".to_owned())]
    );
    assert_eq!(request_state(&app, &a.id).await, "quoted");
    let old = app
        .client
        .get(format!("{}/offers/1.pdf", a.link))
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status().as_u16(),
        200,
        "the earlier version stays readable"
    );
}

#[tokio::test]
async fn v_8_3_a_change_asked_after_sending_gives_a_revised_offer() {
    let app = spawn_app().await;
    let a = assessed(&app).await;
    assert_eq!(send_offer(&app, &a, "").await.0, 303);

    let page = text_of(&app.client, &a.link).await;
    let response = app
        .client
        .post(format!("{}/offer/change", a.link))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            (
                "change",
                "Nous ajoutons une borne de recharge : 3 × 40 A".to_owned(),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(&a.julien, &a.page_url).await;
    assert!(page.contains("id=\"change-requested\""));
    assert!(page.contains("Nous ajoutons une borne de recharge"));

    assert_eq!(
        send_offer(&app, &a, "Puissance portée à 3 × 40 A").await.0,
        303
    );
    assert_eq!(
        offer_states(&app, &a.id).await,
        vec![(1, "superseded".to_owned()), (2, "sent".to_owned())]
    );
    let page = text_of(&a.julien, &a.page_url).await;
    assert!(!page.contains("id=\"change-requested\""));
    // The superseded version can no longer be accepted.
    let request =
        connect_my_home::db::requests::get_for_worker_db(&app.state.db, a.id.parse().unwrap())
            .await
            .unwrap();
    let refused = offers::accept(
        &app.state,
        &request,
        1,
        offers::AcceptedBy::Applicant { code: "000000" },
        app.now(),
    )
    .await;
    assert!(matches!(refused, Err(offers::OfferError::NotOpen)));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'offer'")
            .await,
        2
    );
}

#[tokio::test]
async fn c_3_no_offer_before_every_operator_answered() {
    let app = spawn_app_with_idle_workers().await;
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(!page.contains("id=\"send-offer\""));
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/offer")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", uuid::Uuid::new_v4().to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 0);
}

async fn spawn_app_with_idle_workers() -> TestApp {
    crate::helpers::spawn_app_with(|config| config.run_workers = false).await
}

#[tokio::test]
async fn c_2_the_officer_corrects_a_line_with_a_reason_before_sending() {
    let app = spawn_app().await;
    let a = assessed(&app).await;
    let (assessment, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'water'",
    )
    .bind(&a.id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let page = text_of(&a.julien, &a.page_url).await;
    let url = app.url(&format!("/operator/assessments/{assessment}"));
    let post = |action: &'static str, text: &'static str, price: &'static str| {
        let form = [
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", version.to_string()),
            ("action", action.to_owned()),
            ("line", String::new()),
            ("label", "Traversée de voirie régionale".to_owned()),
            ("quantity", "1".to_owned()),
            ("unit_price", price.to_owned()),
            ("vat", "standard".to_owned()),
            ("text", text.to_owned()),
        ];
        a.julien.post(&url).form(&form).send()
    };
    // Without a reason nothing changes.
    let refused = post("add_line", "", "400").await.unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let added = post(
        "add_line",
        "Route régionale : fourreau à 1,2 m (V-8.5)",
        "400",
    )
    .await
    .unwrap();
    assert_eq!(added.status().as_u16(), 303);
    assert_eq!(send_offer(&app, &a, "").await.0, 303);
    let document: String = sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1")
        .bind(&a.id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(document.contains("Traversée de voirie régionale"));
    let events: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT actor_name, detail FROM request_events WHERE request_id = $1 \
         AND kind = 'operator_lines_changed'",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        vec![(
            "Julien Lambert".to_owned(),
            Some("Route régionale : fourreau à 1,2 m (V-8.5)".to_owned())
        )]
    );
    // A prerequisite stays the operator's to declare met.
    let page = text_of(&a.julien, &a.page_url).await;
    let refused = a
        .julien
        .post(&url)
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", (version + 1).to_string()),
            ("action", "prerequisite_met".to_owned()),
            ("code", "certibeau".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 404);
}

#[tokio::test]
async fn v_8_2_1_a_commune_as_project_owner_pays_the_servicing_after_the_works_only() {
    let app = spawn_app().await;
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app.file_assessed(&crate::servicing::division()).await;
    let a = Assessed {
        link: app.private_link(&id).await,
        page_url: app.url(&format!("/backoffice/requests/{id}")),
        julien: app.signed_in("julien@ores.demo").await,
        id,
    };
    let page = text_of(&a.julien, &a.page_url).await;
    let response = a
        .julien
        .post(format!("{}/payer", a.page_url))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("after_works", "on".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(send_offer(&app, &a, "").await.0, 303);
    // Only ORES' servicing is paid after the works; the connection is paid before (V-8.2.1).
    let dues: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.id, p.scope, p.due FROM offer_dues p JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator' ORDER BY p.position",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let terms: Vec<(&str, &str)> = dues
        .iter()
        .map(|(_, scope, due)| (scope.as_str(), due.as_str()))
        .collect();
    assert_eq!(
        terms,
        [
            ("connections", "before_works"),
            ("servicing", "after_works")
        ]
    );

    // Accepted, the connection is still to pay before the works.
    assert_eq!(accept_offer_online(&app, &a.link, &a.id).await.0, 303);
    assert_eq!(request_state(&app, &a.id).await, "accepted");
    // Once accepted the payment terms are settled.
    let page = text_of(&a.julien, &a.page_url).await;
    let refused = a
        .julien
        .post(format!("{}/payer", a.page_url))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let pay = |due: String| {
        let julien = a.julien.clone();
        let url = format!("{}/payments", a.page_url);
        let page_url = a.page_url.clone();
        let today = app.today().to_string();
        async move {
            let page = text_of(&julien, &page_url).await;
            let amount = hidden(&page, "amount");
            julien
                .post(url)
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("payee", due),
                    ("amount", amount),
                    ("paid_on", today),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(pay(dues[0].0.clone()).await, 303);
    assert_eq!(request_state(&app, &a.id).await, "ready_for_works");

    // After the works (done by every operator), the servicing's payment closes the request.
    sqlx::query("UPDATE requests SET state = 'done' WHERE id = $1")
        .bind(&a.id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(pay(dues[1].0.clone()).await, 303);
    assert_eq!(request_state(&app, &a.id).await, "closed");
    // The applicant hears of it once, with the timeline's closing step.
    let closing: Vec<String> = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE kind = 'closed' AND request_id = $1",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(closing.len(), 1);
    assert!(closing[0].contains("sont réalisés et payés : la demande est clôturée"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'closed'")
            .await,
        1
    );
}

/// The staff page's line of works lead time naming `rule`.
fn deadline_naming(page: &str, rule: &str) -> String {
    let start = page
        .find(r#"<ul id="deadlines">"#)
        .expect("deadlines listed");
    let list = &page[start..page[start..].find("</ul>").unwrap() + start];
    list.split("<li>")
        .find(|item| item.contains(rule))
        .unwrap_or_else(|| panic!("{rule} in {list}"))
        .trim_end_matches("</li>")
        .to_owned()
}

#[tokio::test]
async fn b_5_5_swde_works_within_a_calendar_month_of_the_payment_not_pushed_by_construction_holidays()
 {
    // Friday 2 July 2027, before Namur's summer construction holidays (12-30 July 2027).
    let app = crate::helpers::spawn_app_at("2027-07-02T07:00:00Z").await;
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app
        .file_assessed(&crate::helpers::marie_from(app.today()))
        .await;
    let link = crate::helpers::link_in_mail(&app, &id, "request_filed").await;
    let a = Assessed {
        page_url: app.url(&format!("/backoffice/requests/{id}")),
        julien: app.signed_in("julien@ores.demo").await,
        id,
        link,
    };
    assert_eq!(send_offer(&app, &a, "").await.0, 303);
    assert_eq!(accept_offer_online(&app, &a.link, &a.id).await.0, 303);
    // SWDE is paid the same day; the officer records it on Monday 5 July.
    let (swde, amount): (String, String) = sqlx::query_as(
        "SELECT COALESCE(p.organisation_id, ''), p.amount FROM offer_dues p \
         JOIN offers o ON o.id = p.offer_id \
         JOIN assessments a ON a.request_id = o.request_id AND a.organisation_id = p.organisation_id \
         WHERE o.request_id = $1 AND a.service = 'water' AND p.direction = 'applicant_to_operator'",
    )
    .bind(&a.id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    app.advance(Duration::days(3));
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &a.page_url).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{}/payments", a.id)))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("organisation", swde),
            ("amount", amount),
            ("paid_on", "2027-07-02".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    let page = text_of(&julien, &a.page_url).await;
    let water = deadline_naming(&page, "B-5.5");
    // One calendar month from the payment: 2 August, not three weeks later for the holidays.
    assert!(water.contains("au plus tard le 02/08/2027"), "{water}");
    assert!(water.contains("1 mois calendrier"), "{water}");
    assert!(water.contains("compté depuis le 02/07/2027"), "{water}");
    // ORES, whose conditions are not all met, counts from the earliest they can be: the day
    // after the commune's decision on the joint permit is due (C-6: asked on 5 July, due 19
    // August), 20 August, later than the start of the period Marie wished for (11 August).
    let electricity = deadline_naming(&page, "engagement ORES basse tension");
    assert!(
        electricity.contains("au plus tard le 19/09/2027"),
        "{electricity}"
    );
    assert!(
        electricity.contains("compté à partir du 20/08/2027, au plus tôt"),
        "{electricity}"
    );
}

/// Migration `20261214000500_offer_dues` moved the payees of the offers already sent into
/// `offer_dues`, each named `<offer id>-<organisation id>` rather than by a UUID. Such a due
/// is paid like any other (V-8.2.1): through the request page's form and through the API.
#[tokio::test]
async fn v_8_2_1_a_due_moved_over_from_the_first_offers_is_paid_on_the_page_and_through_the_api() {
    let app = spawn_app().await;
    let a = assessed(&app).await;
    assert_eq!(send_offer(&app, &a, "").await.0, 303);
    assert_eq!(accept_offer_online(&app, &a.link, &a.id).await.0, 303);
    // The dues as that migration named them: no flow of the product writes this form any more.
    sqlx::query(
        "UPDATE offer_dues SET id = offer_id || '-' || organisation_id \
         WHERE direction = 'applicant_to_operator' \
         AND offer_id IN (SELECT id FROM offers WHERE request_id = $1)",
    )
    .bind(&a.id)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let dues: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT d.id, d.amount, d.party_name FROM offer_dues d JOIN offers o ON o.id = d.offer_id \
         WHERE o.request_id = $1 ORDER BY d.position",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(dues.len() >= 2, "{dues:?}");
    for (id, _, _) in &dues {
        assert_eq!(id.len(), 73, "{id}");
    }
    let today = app.today().to_string();

    // The first on the request page, as its payee form names it.
    let page = text_of(&a.julien, &a.page_url).await;
    let (first, first_amount, first_party) = &dues[0];
    assert!(
        page.contains(&format!("name=\"payee\" value=\"{first}\"")),
        "{page}"
    );
    let response = a
        .julien
        .post(app.url(&format!("/backoffice/requests/{}/payments", a.id)))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("payee", first.clone()),
            ("key", "moved-over-1".to_owned()),
            ("amount", first_amount.clone()),
            ("paid_on", today.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains(&format!("due={first}")), "{location}");
    let confirmed = text_of(&a.julien, app.url(&location)).await;
    assert!(
        confirmed.contains(&format!("à {first_party} enregistré")),
        "{confirmed}"
    );

    // The others through the coordinator's API, named as its payees list names them.
    let writer = crate::api_writes::create_key(&app, &a.julien, "Back-office", "read_write").await;
    for (due, amount, _) in &dues[1..] {
        let response = crate::api_writes::post_json(
            &app,
            &writer,
            &format!("/api/v1/requests/{}/payments", a.id),
            None,
            &serde_json::json!({"payee": due, "amount": amount, "paid_on": today}),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["due_id"], due.as_str());
        let payee = crate::api_writes::payee_in(&body, due);
        assert_eq!(payee["paid"], amount.as_str(), "{payee}");
    }

    let paid: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.due_id, p.amount FROM due_payments p JOIN offer_dues d ON d.id = p.due_id \
         ORDER BY d.position",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let expected: Vec<(String, String)> = dues
        .iter()
        .map(|(id, amount, _)| (id.clone(), amount.clone()))
        .collect();
    assert_eq!(paid, expected);
    assert_eq!(request_state(&app, &a.id).await, "ready_for_works");
}
