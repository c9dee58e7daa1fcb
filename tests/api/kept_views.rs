//! Case files are kept in memory between two reads of an unchanged request (`services::kept`):
//! a write anywhere the page reads shows at once, whichever tenant made it and through
//! whichever door or instance. (The commune's kept dashboard and figures are followed through
//! every write in `municipality.rs` and `summaries.rs`.)

use serde_json::{Value, json};

use crate::{
    api_writes::{create_key, get, post_json},
    documents::{pdf, upload_ok},
    helpers::{app_with_crews, hidden, marie, text_of},
    joint_day::first_candidate,
};

/// The citizen uploads their site plan through the status page at `link`.
async fn upload_plan(app: &crate::helpers::TestApp, link: &str) {
    upload_ok(
        app,
        link,
        "situation_plan",
        "plan-implantation.pdf",
        pdf(3000),
    )
    .await;
}

#[tokio::test]
async fn c_4_an_absence_declared_by_the_operator_moves_the_days_offered_at_once() {
    // C-4: only days on which every operator has a crew free are offered. Namur decides the
    // joint permit by Saturday 16 January 2027 (C-6), so Monday 18 January is the first day.
    let app = app_with_crews().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let officer_page = app.url(&format!("/backoffice/requests/{id}"));
    for _ in 0..2 {
        assert_eq!(
            first_candidate(&text_of(&app.client, &link).await),
            "2027-01-18"
        );
        assert_eq!(
            first_candidate(&text_of(&julien, &officer_page).await),
            "2027-01-18"
        );
    }

    // ORES' planning system declares every one of its crews away that Monday, the clock
    // standing still: neither the citizen nor the case officer is offered it any more.
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let key = create_key(&app, &ores_admin, "Planification", "read_write").await;
    let crews: Value = get(&app, &key, "/api/v1/crews").await.json().await.unwrap();
    let absences: Vec<Value> = crews
        .as_array()
        .unwrap()
        .iter()
        .map(|crew| json!({"crew": crew["id"], "day": "2027-01-18"}))
        .collect();
    assert!(!absences.is_empty());
    let response = post_json(
        &app,
        &key,
        "/api/v1/crews/absences",
        None,
        &json!({ "absences": absences }),
    )
    .await;
    assert!(response.status().is_success(), "{}", response.status());

    assert_eq!(
        first_candidate(&text_of(&app.client, &link).await),
        "2027-01-19"
    );
    assert_eq!(
        first_candidate(&text_of(&julien, &officer_page).await),
        "2027-01-19"
    );
}

#[tokio::test]
async fn a_document_the_citizen_uploads_shows_at_once_on_the_officers_page() {
    let app = app_with_crews().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let officer_page = app.url(&format!("/backoffice/requests/{id}"));
    assert!(
        !text_of(&julien, &officer_page)
            .await
            .contains("plan-implantation.pdf")
    );

    let link = app.private_link(&id).await;
    upload_plan(&app, &link).await;
    let page = text_of(&julien, &officer_page).await;
    assert!(page.contains("plan-implantation.pdf"), "{page}");
}

#[tokio::test]
async fn another_instance_on_the_database_shows_a_write_made_through_this_one_at_once() {
    let app = app_with_crews().await;
    // A second instance on the same database and clock, which keeps its own case files.
    let other = app.another_instance().await;
    let (reference, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    let link_on_other = link.replace(&app.address, &other.address);
    for _ in 0..2 {
        let page = text_of(&app.client, &link_on_other).await;
        assert!(page.contains(&reference), "{page}");
        assert!(!page.contains("plan-implantation.pdf"), "{page}");
    }

    upload_plan(&app, &link).await;
    let page = text_of(&app.client, &link_on_other).await;
    assert!(page.contains("plan-implantation.pdf"), "{page}");
}

/// A kept page is rendered once for every reader of the same view; each reader's form token,
/// derived from their own session, is put in when it is served: a page kept for one session
/// never carries another's token, and each reader's forms go through with theirs alone.
#[tokio::test]
async fn every_reader_of_a_kept_request_page_gets_the_form_token_of_their_own_session() {
    let app = app_with_crews().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let officer_page = app.url(&format!("/backoffice/requests/{id}"));
    let first = app.signed_in("julien@ores.demo").await;
    let second = app.signed_in("julien@ores.demo").await;
    let mut tokens = Vec::new();
    for client in [&first, &second, &first, &second] {
        let page = text_of(client, &officer_page).await;
        assert!(page.contains("marie.dupont@example.be"), "{page}");
        assert!(!page.contains("placeholder"), "{page}");
        tokens.push(hidden(&page, "csrf_token"));
    }
    assert_eq!(tokens[0], tokens[2], "one session, one token");
    assert_eq!(tokens[1], tokens[3], "one session, one token");
    assert_ne!(tokens[0], tokens[1], "two sessions, two tokens");

    // The second session's token is refused with the first session; its own goes through.
    let assign = app.url(&format!("/backoffice/requests/{id}/assign"));
    let refused = first
        .post(&assign)
        .form(&[("csrf_token", tokens[1].as_str()), ("officer", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let taken = first
        .post(&assign)
        .form(&[("csrf_token", tokens[0].as_str()), ("officer", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status().as_u16(), 303);

    // Sophie reads the same kept case file: her page names her, not Julien.
    let sophie = app.signed_in("sophie@ores.demo").await;
    let page = text_of(&sophie, &officer_page).await;
    assert!(page.contains("Sophie Renard"), "{page}");
    assert_ne!(hidden(&page, "csrf_token"), tokens[0]);
}

/// A staff member signed in, and their session cookie as the sign-in set it.
async fn signed_in_with_cookie(
    app: &crate::helpers::TestApp,
    email: &str,
) -> (reqwest::Client, String) {
    let client = crate::helpers::client();
    let login = text_of(&client, app.url("/login")).await;
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", hidden(&login, "csrf_token").as_str()),
            ("email", email),
            ("password", "demo-connect-2026"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let session = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("cmh_session="))
        .and_then(|rest| rest.split(';').next())
        .expect("the sign-in sets the session cookie")
        .to_owned();
    (client, session)
}

/// Sessions are kept in memory by each instance (`db::sessions`): a sign-out through one
/// instance ends the session on every other at once, even for a copy of its cookie. PostgreSQL
/// tells the instances (NOTIFY); on SQLite one process serves the file.
#[tokio::test]
async fn a_sign_out_through_one_instance_ends_the_session_on_another() {
    if crate::helpers::postgres_server().is_none() {
        return;
    }
    let app = crate::helpers::spawn_app().await;
    let other = app.another_instance().await;

    let (julien, session) = signed_in_with_cookie(&app, "julien@ores.demo").await;
    // A copy of the cookie (another tab, or a stolen one) on the second instance.
    let copy = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let queue_on = |base: &str| {
        copy.get(format!("{base}/backoffice"))
            .header(reqwest::header::COOKIE, format!("cmh_session={session}"))
            .send()
    };
    // Read twice: the second instance now keeps the session.
    for _ in 0..2 {
        assert_eq!(
            queue_on(&other.address).await.unwrap().status().as_u16(),
            200
        );
    }

    // Julien signs out through the first instance.
    let queue = text_of(&julien, app.url("/backoffice")).await;
    let signed_out = julien
        .post(app.url("/logout"))
        .form(&[("csrf_token", hidden(&queue, "csrf_token").as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status().as_u16(), 303);

    // The notice reaches the other instance within moments: at most 3 s here.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let status = queue_on(&other.address).await.unwrap().status().as_u16();
        if status == 303 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance still serves the ended session after 3 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
