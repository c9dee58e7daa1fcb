//! Concurrent clicks on one action: every answer is the redirect of work done (by this click or
//! a simultaneous one) or a refusal page saying why, never a server error, and the work is done
//! once. PostgreSQL is where simultaneous writers really meet: run these there too.

use futures::future::join_all;

use crate::helpers::{
    Reserved, TestApp, app_with_crews, hidden, marie, reserved, spawn_app, text_of, with,
};

const CLICKS: usize = 20;

/// Posts `form` to `url` `CLICKS` times at once with `client`; the statuses and bodies.
async fn clicks(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, String)],
) -> Vec<(u16, String)> {
    let answers = join_all((0..CLICKS).map(|_| async {
        let response = client.post(url).form(form).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }))
    .await;
    for (status, body) in &answers {
        assert!(
            matches!(status, 303 | 409 | 422),
            "a click answered {status}: {body}"
        );
    }
    assert!(
        answers.iter().any(|(status, _)| *status == 303),
        "no click did the work"
    );
    answers
}

/// Every refusal among the answers says why, in the visitor's language.
fn refusals_say_why(answers: &[(u16, String)], reasons: &[&str]) {
    for (status, body) in answers.iter().filter(|(s, _)| *s != 303) {
        assert!(
            reasons.iter().any(|r| body.contains(r)),
            "a {status} refusal without its reason: {body}"
        );
    }
}

/// The concurrent-write page: somebody else's change stood, nothing of this one was saved.
const CONCURRENT: &str = "a modifié ceci au même moment";

async fn scalar(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn filed_and_assessed(app: &TestApp) -> (String, String) {
    let (_, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    (id, link)
}

#[tokio::test]
async fn c_4_twenty_clicks_on_reserve_this_day_reserve_it_once() {
    let app = app_with_crews().await;
    let (id, _) = filed_and_assessed(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    let day = hidden(&page, "day");
    let answers = clicks(
        &julien,
        &app.url(&format!("/backoffice/requests/{id}/day")),
        &[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", day.clone()),
        ],
    )
    .await;
    refusals_say_why(&answers, &["Un jour commun est déjà réservé", CONCURRENT]);
    let days: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT day FROM reservations WHERE request_id = $1")
            .bind(&id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(days, vec![day]);
    // One job of each of the five operators' crews for that day, one timeline entry.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM reservations WHERE request_id = $1",
            &id
        )
        .await,
        5
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND kind = 'day_reserved'",
            &id
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(booked), 0) AS BIGINT) FROM crew_days")
            .await,
        scalar(
            &app,
            "SELECT COUNT(*) FROM reservations WHERE request_id = $1",
            &id
        )
        .await,
    );
}

#[tokio::test]
async fn an_edited_form_sent_again_under_its_used_key_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let first = app.file(&form, &marie()).await;
    assert_eq!(first.status().as_u16(), 303);
    let confirmation = first.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = app.get_text(&confirmation).await;
    let start = page.find("CMH-").unwrap();
    let reference = page[start..start + 15].to_owned();

    // The applicant goes back, changes the remarks and sends the same form again.
    let edited = with(&marie(), &[("remarks", "Plutôt en janvier")]);
    let refused = app.file(&form, &edited).await;
    assert_eq!(refused.status().as_u16(), 409);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "La demande {reference} a déjà été introduite avec ce formulaire : vos modifications \
             n’ont pas été enregistrées. Pour une demande différente, il faut un nouveau formulaire."
        )),
        "{html}"
    );
    assert!(html.contains("href=\"/request/new\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 1);
    let remarks: String = sqlx::query_scalar("SELECT remarks FROM requests")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(remarks, "Chantier démarré");

    // Said in the visitor's language.
    let english = app
        .client
        .post(app.url("/request"))
        .header("accept-language", "en")
        .form(
            &[
                vec![
                    ("csrf_token", form.csrf.clone()),
                    ("idempotency_key", form.key.clone()),
                ],
                edited.clone(),
            ]
            .concat(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(english.status().as_u16(), 409);
    assert!(english.text().await.unwrap().contains(&format!(
        "Request {reference} was already filed with this form: your changes were not saved. \
         For a different request, a new form is needed."
    )));

    // The same fields again are the same click again: the first request's confirmation.
    let again = app.file(&form, &marie()).await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(again.headers()["location"], confirmation.as_str());
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 1);
}

async fn request_state(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn c_3_every_step_from_the_offer_to_the_confirmed_day_clicked_twenty_times_is_done_once() {
    let app = app_with_crews().await;
    let (id, link) = filed_and_assessed(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));

    // Send the offer.
    let page = text_of(&julien, &page_url).await;
    let answers = clicks(
        &julien,
        &app.url(&format!("/backoffice/requests/{id}/offer")),
        &[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", String::new()),
        ],
    )
    .await;
    refusals_say_why(&answers, &[CONCURRENT]);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM offers WHERE request_id = $1",
            &id
        )
        .await,
        1
    );
    assert_eq!(request_state(&app, &id).await, "quoted");

    // The officer records the applicant's signed paper acceptance.
    let page = text_of(&julien, &page_url).await;
    let answers = clicks(
        &julien,
        &app.url(&format!("/backoffice/requests/{id}/offer/accept")),
        &[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", "1".to_owned()),
            ("note", "Offre signée reçue par courrier".to_owned()),
        ],
    )
    .await;
    refusals_say_why(&answers, &["plus ouverte à l&#39;acceptation", CONCURRENT]);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM offers WHERE request_id = $1 AND status = 'accepted'",
            &id
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND kind = 'offer_accepted'",
            &id
        )
        .await,
        1
    );
    assert_eq!(request_state(&app, &id).await, "accepted");

    // Each operator's payment.
    let payees: Vec<(String, String)> = sqlx::query_as(
        "SELECT COALESCE(p.organisation_id, ''), p.amount FROM offer_dues p \
         JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator'",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let csrf = hidden(&text_of(&julien, &page_url).await, "csrf_token");
    for (organisation, amount) in &payees {
        let answers = clicks(
            &julien,
            &app.url(&format!("/backoffice/requests/{id}/payments")),
            &[
                ("csrf_token", csrf.clone()),
                ("organisation", organisation.clone()),
                ("amount", amount.clone()),
                ("paid_on", app.today().to_string()),
            ],
        )
        .await;
        refusals_say_why(&answers, &["déjà", CONCURRENT]);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM due_payments").await,
        i64::try_from(payees.len()).unwrap()
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND kind = 'payment_registered'",
            &id
        )
        .await,
        i64::try_from(payees.len()).unwrap()
    );
    assert_eq!(request_state(&app, &id).await, "ready_for_works");

    // The applicant picks the day through the private link.
    let page = text_of(&app.client, &link).await;
    let day = hidden(&page, "day");
    let answers = clicks(
        &app.client,
        &format!("{link}/day"),
        &[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", day.clone()),
        ],
    )
    .await;
    refusals_say_why(&answers, &["Un jour commun est déjà réservé", CONCURRENT]);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM reservations WHERE request_id = $1",
            &id
        )
        .await,
        5
    );

    // The commune grants the joint road-works permit (rule C-6).
    let permit: String =
        sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1 AND status = 'pending'")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_page = text_of(&namur, app.url(&format!("/commune/permits/{permit}"))).await;
    let answers = clicks(
        &namur,
        &app.url(&format!("/commune/permits/{permit}/decision")),
        &[
            ("csrf_token", hidden(&permit_page, "csrf_token")),
            ("action", "approve".to_owned()),
        ],
    )
    .await;
    refusals_say_why(
        &answers,
        &[
            "aucune décision n&#39;est plus possible",
            "La demande de permis vient de changer",
            CONCURRENT,
        ],
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM permits WHERE request_id = $1 AND status = 'approved'",
            &id
        )
        .await,
        1
    );

    // The officer confirms the day: one invitation.
    let page = text_of(&julien, &page_url).await;
    let answers = clicks(
        &julien,
        &app.url(&format!("/backoffice/requests/{id}/day/confirm")),
        &[("csrf_token", hidden(&page, "csrf_token"))],
    )
    .await;
    // Every click gets the outcome of the first: the day confirmed, back to the page.
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    assert_eq!(request_state(&app, &id).await, "scheduled");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE request_id = $1 AND kind = 'day_confirmed'",
            &id
        )
        .await,
        1
    );
}

#[tokio::test]
async fn c_6_twenty_clicks_on_one_permit_decision_all_see_it_made_and_another_is_refused() {
    let app = app_with_crews().await;
    let Reserved { id, .. } = reserved(&app, &marie()).await;
    let permit: String =
        sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1 AND status = 'pending'")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_url = app.url(&format!("/commune/permits/{permit}"));
    let decision_url = app.url(&format!("/commune/permits/{permit}/decision"));
    let page = text_of(&namur, &permit_url).await;
    let form = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("action", "approve_with_conditions".to_owned()),
        ("text", "Trottoir remis en état sous huit jours".to_owned()),
    ];
    let answers = clicks(&namur, &decision_url, &form).await;
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");

    // One more, after all of them: back to the permit page, which shows the decision.
    let response = namur.post(&decision_url).form(&form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/commune/permits/{permit}?saved=1"));
    let shown = text_of(&namur, app.url(&location)).await;
    assert!(
        shown.contains("Trottoir remis en état sous huit jours"),
        "{shown}"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM permit_actions WHERE permit_id = $1 \
             AND action = 'approved_with_conditions'",
            &permit
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE request_id = $1 AND kind = 'permit_decided'",
            &id
        )
        .await,
        scalar(
            &app,
            "SELECT COUNT(DISTINCT recipient) FROM outbox WHERE request_id = $1 \
             AND kind = 'permit_decided'",
            &id
        )
        .await,
        "each officer is told once"
    );

    // A different decision once one is made is still refused, saying why (C-6).
    let page = text_of(&namur, &permit_url).await;
    let response = namur
        .post(&decision_url)
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("action", "refuse".to_owned()),
            ("text", "Chantier trop proche".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("aucune décision n&#39;est plus possible"),
        "{body}"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM permits WHERE id = $1 AND status = 'approved_with_conditions'",
            &permit
        )
        .await,
        1
    );
}
