//! The case officer signs in, works the queue and signs out.

use crate::helpers::{PASSWORD, client, hidden, marie, spawn_app, text_of, with};

#[tokio::test]
async fn staff_pages_need_a_session() {
    let app = spawn_app().await;
    let response = app.get("/backoffice?state=submitted").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fbackoffice%3Fstate%3Dsubmitted"
    );
    let response = app.get("/api/v1/requests").await;
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_says_why() {
    let app = spawn_app().await;
    let client = client();
    let html = text_of(&client, app.url("/login")).await;
    let csrf = hidden(&html, "csrf_token");
    for (email, password) in [
        ("julien@ores.demo", "wrong"),
        ("nobody@ores.demo", PASSWORD),
    ] {
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Adresse électronique ou mot de passe incorrect")
        );
    }
    // Without the CSRF token even the right password is refused.
    let response = client
        .post(app.url("/login"))
        .form(&[("email", "julien@ores.demo"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn the_case_officer_filters_the_queue_and_opens_a_request() {
    let app = spawn_app().await;
    let (namur, _) = app.file_ok(&marie()).await;
    let (mons, _) = app
        .file_ok(&with(
            &marie(),
            &[("postcode", "7000"), ("name", "Lucas Martin"), ("gas", "")],
        ))
        .await;
    let julien = app.signed_in("julien@ores.demo").await;

    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains(&namur) && queue.contains(&mons));
    assert!(queue.contains("Julien Lambert"));

    let by_commune = text_of(&julien, app.url("/backoffice?commune=53053")).await;
    assert!(by_commune.contains(&mons) && !by_commune.contains(&namur));

    let by_state = text_of(&julien, app.url("/backoffice?state=quoted")).await;
    assert!(!by_state.contains(&mons) && by_state.contains("Aucune demande"));

    let today = app.today();
    let tomorrow = today.succ_opt().unwrap();
    let yesterday = today.pred_opt().unwrap();
    let by_date = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        let julien = julien.clone();
        let url = app.url(&format!("/backoffice?from={from}&to={to}"));
        async move { julien.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(
        by_date(today, today).await.contains(&namur),
        "the end day is included"
    );
    assert!(!by_date(tomorrow, tomorrow).await.contains(&namur));
    assert!(!by_date(yesterday, yesterday).await.contains(&namur));

    let json: serde_json::Value = julien
        .get(app.url("/api/v1/requests?commune=92094"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["reference"], namur.as_str());

    let id = app.request_id(&namur).await;
    let detail = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(detail.contains("marie.dupont@example.be"));
    assert!(detail.contains("Rue des Tanneries 14, 5000 Namur"));
    assert!(detail.contains("Gaz naturel (ORES) (ORES gaz)"));
    assert!(detail.contains("Demande introduite"));
    assert!(detail.contains("Chantier démarré"));
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let julien = app.signed_in("julien@ores.demo").await;
    let queue = text_of(&julien, app.url("/backoffice")).await;
    let csrf = hidden(&queue, "csrf_token");
    let response = julien
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    let after = julien.get(app.url("/backoffice")).send().await.unwrap();
    assert_eq!(after.status().as_u16(), 303);
}

#[tokio::test]
async fn the_outbox_page_is_for_administrators() {
    let app = spawn_app().await;
    app.file_ok(&marie()).await;
    app.wait_outbox_idle().await;
    let julien = app.signed_in("julien@ores.demo").await;
    let response = julien.get(app.url("/admin/outbox")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);

    let admin = app.signed_in("admin@connect-my-home.demo").await;
    let list = text_of(&admin, app.url("/admin/outbox")).await;
    assert!(list.contains("marie.dupont@example.be"));
    assert!(list.contains("Envoyé"));
    let id: String = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let message = text_of(&admin, app.url(&format!("/admin/outbox/{id}"))).await;
    assert!(
        message.contains(&app.url("/track/")),
        "the private link can be followed"
    );
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = spawn_app().await;
    let before = (
        app.count("SELECT COUNT(*) FROM organisations").await,
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM coverage").await,
    );
    connect_my_home::services::reference::reference_data(&app.state)
        .await
        .unwrap();
    connect_my_home::demo::demo_users(&app.state).await.unwrap();
    connect_my_home::demo::demo_requests(&app.state)
        .await
        .unwrap();
    connect_my_home::demo::demo_requests(&app.state)
        .await
        .unwrap();
    let after = (
        app.count("SELECT COUNT(*) FROM organisations").await,
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM coverage").await,
    );
    assert_eq!(before, after);
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 5);
    assert!(
        before.2 > 200,
        "coverage spans the covered Walloon communes"
    );
}

#[tokio::test]
async fn c_2_an_officer_takes_a_request_and_hands_it_to_a_colleague() {
    let app = crate::helpers::spawn_app_with(|config| config.run_workers = false).await;
    let (reference, _) = app.file_ok(&crate::helpers::marie()).await;
    let id = app.request_id(&reference).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let queue = crate::helpers::text_of(&julien, app.url("/backoffice?assigned=nobody")).await;
    assert!(queue.contains(&reference));
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/assign")))
        .form(&[
            ("csrf_token", crate::helpers::hidden(&queue, "csrf_token")),
            ("back", "queue".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let mine = crate::helpers::text_of(&julien, app.url("/backoffice?assigned=me")).await;
    assert!(mine.contains(&reference) && mine.contains("Julien Lambert"));
    let nobody = crate::helpers::text_of(&julien, app.url("/backoffice?assigned=nobody")).await;
    assert!(!nobody.contains(&reference));

    // Handed to Sophie: her queue has it, Julien's no longer; the timeline says so.
    let sophie_id: String =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'sophie@ores.demo'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let page =
        crate::helpers::text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/assign")))
        .form(&[
            ("csrf_token", crate::helpers::hidden(&page, "csrf_token")),
            ("officer", sophie_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let sophie = app.signed_in("sophie@ores.demo").await;
    let hers = crate::helpers::text_of(&sophie, app.url("/backoffice?assigned=me")).await;
    assert!(hers.contains(&reference));
    let his = crate::helpers::text_of(&julien, app.url("/backoffice?assigned=me")).await;
    assert!(!his.contains(&reference));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'assigned'")
            .await,
        2
    );

    // An operator's staff member cannot be put in charge, nor can an operator assign.
    let swde_user: String =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'eau@swde.demo'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let page =
        crate::helpers::text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    let refused = julien
        .post(app.url(&format!("/backoffice/requests/{id}/assign")))
        .form(&[
            ("csrf_token", crate::helpers::hidden(&page, "csrf_token")),
            ("officer", swde_user),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("ne peut pas prendre ce dossier")
    );
    let still: Option<String> = sqlx::query_scalar(
        "SELECT u.email FROM requests r JOIN users u ON u.id = r.assigned_to WHERE r.id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(still.as_deref(), Some("sophie@ores.demo"));
}

/// Text that is no officer's id in the assign form names nobody who may take the request: it
/// is refused as an unknown officer's id is (422, the same words), never a 500, and the
/// request stays with nobody.
#[tokio::test]
async fn c_2_an_assign_form_naming_no_officer_is_refused_as_an_unknown_officer() {
    let app = crate::helpers::spawn_app_with(|config| config.run_workers = false).await;
    let (reference, _) = app.file_ok(&crate::helpers::marie()).await;
    let id = app.request_id(&reference).await;
    let julien = app.signed_in("julien@ores.demo").await;
    for officer in [
        "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
        "Sophie Renard",
        "0193a5b2-7c1d",
        "' OR 1=1 --",
    ] {
        let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
        let refused = julien
            .post(app.url(&format!("/backoffice/requests/{id}/assign")))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token").as_str()),
                ("officer", officer),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 422, "{officer}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("ne peut pas prendre ce dossier"),
            "{officer}"
        );
    }
    let assigned: Option<String> =
        sqlx::query_scalar("SELECT assigned_to FROM requests WHERE id = $1")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(assigned, None);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'assigned'")
            .await,
        0
    );
}
