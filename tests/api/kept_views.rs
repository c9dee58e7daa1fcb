//! Case files are kept in memory between two reads of an unchanged request (`services::kept`):
//! a write anywhere the page reads shows at once, whichever tenant made it and through
//! whichever door or instance. (The commune's kept dashboard and figures are followed through
//! every write in `municipality.rs` and `summaries.rs`.)

use connect_my_home::app::Application;
use serde_json::{Value, json};

use crate::{
    api_writes::{create_key, get, post_json},
    documents::{pdf, upload_ok},
    helpers::{app_with_crews, marie, text_of},
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
    let other = Application::build_with_clock(app.state.config.clone(), app.state.clock.clone())
        .await
        .expect("a second instance starts");
    let other_url = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    let (reference, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    let link_on_other = link.replace(&app.address, &other_url);
    for _ in 0..2 {
        let page = text_of(&app.client, &link_on_other).await;
        assert!(page.contains(&reference), "{page}");
        assert!(!page.contains("plan-implantation.pdf"), "{page}");
    }

    upload_plan(&app, &link).await;
    let page = text_of(&app.client, &link_on_other).await;
    assert!(page.contains("plan-implantation.pdf"), "{page}");
}
