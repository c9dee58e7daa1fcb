//! Fan-out: every involved operator assesses its part, exactly once, and sees only its part.

use connect_my_home::{
    db::assessments,
    services::assess::{self, LEASE},
};

use crate::helpers::{hidden, marie, spawn_app, spawn_app_with, text_of, with};

#[tokio::test]
async fn a_filing_fans_out_to_each_operator_and_the_request_becomes_assessed() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&marie()).await;

    let services: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT service, status, version FROM assessments WHERE request_id = $1 ORDER BY service",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let names: Vec<&str> = services.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(names, ["electricity", "gas", "proximus", "voo", "water"]);
    assert!(
        services
            .iter()
            .all(|(_, status, v)| status == "answered" && *v == 1)
    );

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    // The case officer sees every operator's answer with its prerequisites and rules.
    for expected in [
        "SWDE",
        "Proximus",
        "Certificat CertIBEau",
        "B-5.4",
        "V-9.1.1",
        "travaux dans les 30 jours calendrier",
        // Each part is priced by the tariff engines, with its rule; the band is written the
        // French way (issue 22: "17.3 kVA" in French).
        "Raccordement électrique basse tension 3 × 25 A (17,3 kVA)",
        "Droit d&#39;inscription de la demande de raccordement",
        "1\u{202f}450,00 €",
        "Tous les opérateurs ont étudié votre demande",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }
    // Each answer is headed by its service, its operator named once (issue 22).
    for twice in ["Proximus — Proximus", "VOO — VOO", "Eau (SWDE) — SWDE"] {
        assert!(!page.contains(twice), "{twice}");
    }
}

#[tokio::test]
async fn a_worker_dying_mid_way_leaves_every_assessment_answered_exactly_once() {
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let db = &app.state.db;
    let tariffs = app.state.tariffs();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM assessments WHERE status = 'pending'")
            .await,
        5
    );

    // A worker claims a task, then the process dies before answering.
    let now = app.now();
    let lost = assessments::claim_due(db, now, LEASE)
        .await
        .unwrap()
        .expect("a task to claim");

    // Two workers run at once on what is left: each task is answered by one of them only.
    let (first, second) = tokio::join!(
        assess::assess_due(db, &tariffs, now),
        assess::assess_due(db, &tariffs, now)
    );
    assert_eq!(first.unwrap() + second.unwrap(), 4);
    let status: String = sqlx::query_scalar("SELECT status FROM assessments WHERE id = $1")
        .bind(lost.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        status, "pending",
        "the lost claim is protected by its lease"
    );

    // After a restart, once the lease has run out, the lost task is answered.
    let later = now + LEASE + chrono::Duration::seconds(1);
    assert_eq!(assess::assess_due(db, &tariffs, later).await.unwrap(), 1);
    assert_eq!(assess::assess_due(db, &tariffs, later).await.unwrap(), 0);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM assessment_versions").await,
        5
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM assessments WHERE status = 'answered' AND version = 1")
            .await,
        5
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'assessed'")
            .await,
        1
    );
    let state: String = sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(&id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(state, "assessed");
}

#[tokio::test]
async fn an_operator_sees_only_its_own_part_and_late_answers_are_flagged() {
    let app = spawn_app_with(|config| {
        config.run_workers = false;
        config.assessment_due_working_days = 0;
    })
    .await;
    let (namur, _) = app.file_ok(&marie()).await;
    let namur_id = app.request_id(&namur).await;
    // A request without water does not involve SWDE.
    let (mons, _) = app
        .file_ok(&with(&marie(), &[("postcode", "7000"), ("water", "")]))
        .await;
    let mons_id = app.request_id(&mons).await;

    // Nothing answered yet and the deadline has passed: the case officer sees it.
    let julien = app.signed_in("julien@ores.demo").await;
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains("opérateur en retard"));

    assess::assess_due(&app.state.db, &app.state.tariffs(), app.now())
        .await
        .unwrap();

    let swde = app.signed_in("eau@swde.demo").await;
    let own = text_of(&swde, app.url("/operator")).await;
    assert!(own.contains(&namur));
    assert!(
        !own.contains(&mons),
        "a request without water is not SWDE's"
    );
    let detail = text_of(&swde, app.url(&format!("/backoffice/requests/{namur_id}"))).await;
    assert!(detail.contains("Certificat CertIBEau"), "its own part");
    assert!(detail.contains("Droit d&#39;inscription de la demande de raccordement"));
    assert!(
        !detail.contains("Raccordement électrique basse tension"),
        "never ORES's prices"
    );
    assert!(
        !detail.contains("Plan de situation"),
        "never ORES electricity's part"
    );
    assert!(
        !detail.contains("Raccordement standard gratuit"),
        "never a telecom operator's answer"
    );
    let response = swde
        .get(app.url(&format!("/backoffice/requests/{mons_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404, "404, not 403");
}

#[tokio::test]
async fn operator_staff_change_only_their_own_answer_and_bad_changes_are_refused() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let water: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'water'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let swde = app.signed_in("eau@swde.demo").await;
    let detail_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&swde, &detail_url).await;
    let csrf = hidden(&page, "csrf_token");
    let post = |client: reqwest::Client, fields: Vec<(&'static str, String)>| {
        let url = app.url(&format!("/operator/assessments/{water}"));
        async move { client.post(url).form(&fields).send().await.unwrap() }
    };
    let version = || async {
        sqlx::query_scalar::<_, i64>("SELECT version FROM assessments WHERE id = $1")
            .bind(&water)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
    };

    // Mark the CertIBEau certificate received.
    let response = post(
        swde.clone(),
        vec![
            ("csrf_token", csrf.clone()),
            ("version", "1".into()),
            ("action", "prerequisite_met".into()),
            ("code", "certibeau".into()),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("?saved=1#assessment-{water}")));
    let page = text_of(&swde, app.url(&location)).await;
    assert!(page.contains("Votre réponse est enregistrée."));
    assert_eq!(version().await, 2);

    // B-4.4: a refusal without its written reason is refused and changes nothing.
    let response = post(
        swde.clone(),
        vec![
            ("csrf_token", csrf.clone()),
            ("version", "2".into()),
            ("action", "refuse".into()),
            ("text", "  ".into()),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Un refus doit être motivé par écrit (règle B-4.4)")
    );
    // A change based on an old version, or on another operator's prerequisite, neither.
    for (fields, message) in [
        (
            vec![("version", "1"), ("action", "note"), ("text", "Vu")],
            "modifiée entre-temps",
        ),
        (
            vec![
                ("version", "2"),
                ("action", "prerequisite_met"),
                ("code", "situation_plan"),
            ],
            "ne fait pas partie de votre réponse",
        ),
    ] {
        let mut form: Vec<(&'static str, String)> = vec![("csrf_token", csrf.clone())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
        let response = post(swde.clone(), form).await;
        assert_eq!(response.status().as_u16(), 422);
        assert!(response.text().await.unwrap().contains(message));
    }
    assert_eq!(version().await, 2);

    // Another operator cannot touch SWDE's answer: it does not exist for them.
    let proximus = app.signed_in("raccordement@proximus.demo").await;
    let page = text_of(&proximus, &detail_url).await;
    assert!(
        !page.contains("Préalable rempli"),
        "SWDE's events are SWDE's"
    );
    let response = post(
        proximus,
        vec![
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", "2".into()),
            ("action", "refuse".into()),
            ("text", "Non".into()),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 404);

    // A reasoned refusal reaches the case officer with its reason.
    let response = post(
        swde,
        vec![
            ("csrf_token", csrf),
            ("version", "2".into()),
            ("action", "refuse".into()),
            (
                "text",
                "Conduite principale à 80 m : extension nécessaire".into(),
            ),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &detail_url).await;
    assert!(page.contains("Conduite principale à 80 m : extension nécessaire"));
    assert!(
        page.contains("Refus motivé d&#39;un opérateur")
            || page.contains("Refus motivé d'un opérateur")
    );
    assert!(page.contains("version 3"));
}

#[tokio::test]
async fn an_operator_corrects_its_lines_with_a_reason_and_the_officer_sees_the_new_price() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let water: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'water'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let csrf = hidden(&page, "csrf_token");
    let send = |fields: Vec<(&'static str, &'static str)>| {
        let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf.clone())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
        let request = swde
            .post(app.url(&format!("/operator/assessments/{water}")))
            .form(&form);
        async move { request.send().await.unwrap() }
    };

    let refused = send(vec![
        ("version", "1"),
        ("action", "add_line"),
        ("label", "Traversée de voirie"),
        ("quantity", "-2"),
        ("unit_price", "75"),
        ("text", "Métré"),
    ])
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("ne peut pas être négatif")
    );

    let added = send(vec![
        ("version", "1"),
        ("action", "add_line"),
        ("label", "Traversée de voirie régionale"),
        ("quantity", "2"),
        ("unit_price", "1234,5"),
        ("vat", "standard"),
        ("text", "Métré du 20/11 : traversée de la N4"),
    ])
    .await;
    assert_eq!(added.status().as_u16(), 303);

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("Traversée de voirie régionale"));
    assert!(page.contains("2\u{202f}469,00 €"));
    assert!(page.contains("Métré du 20/11 : traversée de la N4"));
    assert!(page.contains("Lignes modifiées par un opérateur"));
}

#[tokio::test]
async fn a_line_beyond_the_bounds_is_refused_in_the_reader_language_and_nothing_changes() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let water: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'water'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let csrf = hidden(&page, "csrf_token");
    // The price made the amount overflow: the handler panicked and the connection was dropped.
    for (quantity, unit_price, message) in [
        (
            "2",
            "79228162514264337593543950335",
            "Un prix unitaire est au plus 10\u{202f}000\u{202f}000,00 €. Rien n&#39;a été modifié.",
        ),
        (
            "1000000,01",
            "75",
            "Une quantité est au plus 1000000. Rien n&#39;a été modifié.",
        ),
    ] {
        let response = swde
            .post(app.url(&format!("/operator/assessments/{water}")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("version", "1"),
                ("action", "add_line"),
                ("label", "Traversée de voirie"),
                ("quantity", quantity),
                ("unit_price", unit_price),
                ("text", "Métré"),
            ])
            .send()
            .await
            .expect("the server answers instead of dropping the connection");
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{message} not in {body}");
    }
    let version: i64 = sqlx::query_scalar("SELECT version FROM assessments WHERE id = $1")
        .bind(&water)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(version, 1, "nothing was changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_answering_the_last_tasks_of_a_request_at_once_move_it_on() {
    // Several instances' workers at once (PostgreSQL is where they really meet): the two that
    // record the last two answers of a request must not each see the other's task still open.
    let app = spawn_app_with(|config| config.run_workers = false).await;
    for n in 0..12 {
        let email = format!("client{n}@example.be");
        app.file_ok(&with(&marie(), &[("email", email.as_str())]))
            .await;
    }
    let now = app.now();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (db, tariffs) = (app.state.db.clone(), app.state.tariffs());
            tokio::spawn(async move { assess::assess_due(&db, &tariffs, now).await })
        })
        .collect();
    let mut answered = 0;
    for worker in workers {
        answered += worker.await.unwrap().unwrap();
    }
    assert_eq!(answered, 60);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests WHERE state = 'assessed'")
            .await,
        12
    );
}
