//! Rule C-6 for communes: one joint road-works permit per site, decided by the commune within
//! its deadline, blocking the confirmation of the day until resolved; the works calendar and
//! map; the nuisance avoided with its CSV; and each commune sees its own territory only.

use connect_my_home::{demo::history as seed_history, services::permits};

use crate::helpers::{
    Reserved, TestApp, app_with_crews, hidden, json_of, marie, marie_from, reserved, text_of, with,
};

async fn permit_of(app: &TestApp, request_id: &str) -> (String, String) {
    sqlx::query_as("SELECT id, status FROM permits WHERE request_id = $1 AND status <> 'cancelled'")
        .bind(request_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn blocker(app: &TestApp, request_id: &str) -> Option<String> {
    let request = connect_my_home::db::requests::get_for_worker_db(
        &app.state.db,
        request_id.parse().unwrap(),
    )
    .await
    .unwrap();
    permits::confirmation_blocker(&app.state.db, &request.access)
        .await
        .unwrap()
}

/// Posts a form of `page_url` (its CSRF token) to `action` with `client`.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    page_url: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let page = text_of(client, page_url).await;
    let csrf = hidden(&page, "csrf_token");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn c_6_a_day_with_civil_works_requests_one_permit_for_every_operator() {
    let app = app_with_crews().await;
    let Reserved {
        id, julien, url, ..
    } = reserved(&app, &marie()).await;

    // One permit for the site, to the commune of Namur, covering the five operators.
    let (permit_id, status) = permit_of(&app, &id).await;
    assert_eq!(status, "pending");
    let municipality: String = sqlx::query_scalar(
        "SELECT o.slug FROM permits p JOIN organisations o ON o.id = p.municipality_id \
         WHERE p.id = $1",
    )
    .bind(&permit_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(municipality, "namur");
    let works: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT service, civil_works, trench_metres FROM permit_works WHERE permit_id = $1 \
         ORDER BY service",
    )
    .bind(&permit_id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let services: Vec<&str> = works.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(
        services,
        ["electricity", "gas", "proximus", "voo", "water"],
        "every operator's works"
    );
    // Telecom crews lay in the trench the others open; the standard lines carry no metres,
    // so the configured defaults apply.
    assert!(
        works
            .iter()
            .all(|(s, civil, _)| (*civil == 1) == !matches!(s.as_str(), "proximus" | "voo"))
    );
    assert!(works.iter().any(|(s, _, m)| s == "water" && m == "12"));
    assert!(
        works
            .iter()
            .any(|(s, _, m)| s == "electricity" && m == "15")
    );

    // The officer sees it, with what blocks the day; the timeline records it.
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Permis de voirie conjoint"));
    assert!(page.contains("en attente de décision"));
    assert!(
        page.contains("la commune n&#39;a pas encore décidé")
            || page.contains("la commune n'a pas encore décidé")
    );
    assert!(page.contains("Permis de voirie conjoint demandé à la commune"));
    assert!(page.contains("Tranchée commune"));
    assert_eq!(
        blocker(&app, &id).await.as_deref(),
        Some("permit.blocker.pending")
    );

    // Cancelling the day cancels the permit request in the same transaction.
    let (status, _) = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/day/cancel"),
        &[("reason", "Le demandeur change de date")],
    )
    .await;
    assert_eq!(status, 303);
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM permits WHERE request_id = $1")
            .bind(&id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(statuses, ["cancelled"]);
    assert_eq!(blocker(&app, &id).await, None);
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Demande de permis de voirie annulée avec le jour commun"));

    // A new day asks again: a new permit request.
    let page = text_of(&julien, &url).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", hidden(&page, "day")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(permit_of(&app, &id).await.1, "pending");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM permits").await,
        2,
        "the cancelled one is kept, with its history"
    );
}

#[tokio::test]
async fn c_6_telecom_only_works_need_no_permit() {
    let app = app_with_crews().await;
    let telecom = with(
        &marie(),
        &[
            ("electricity", ""),
            ("electricity_band", ""),
            ("gas", ""),
            ("water", ""),
        ],
    );
    let Reserved { id, .. } = reserved(&app, &telecom).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM permits").await, 0);
    assert_eq!(blocker(&app, &id).await, None, "nothing to wait for");
}

#[tokio::test]
async fn c_6_the_commune_decides_and_every_step_is_recorded_with_who_and_when() {
    let app = app_with_crews().await;
    let Reserved {
        id,
        reference,
        julien,
        url,
        ..
    } = reserved(&app, &marie()).await;
    let (permit_id, _) = permit_of(&app, &id).await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_url = app.url(&format!("/commune/permits/{permit_id}"));
    let decision = format!("/commune/permits/{permit_id}/decision");

    // The dashboard lists it with its 45-day countdown.
    let dashboard = text_of(&namur, app.url("/commune")).await;
    assert!(dashboard.contains(&reference));
    assert!(dashboard.contains("45 jours restants"), "{dashboard}");
    let page = text_of(&namur, &permit_url).await;
    assert!(page.contains("Rue des Tanneries 14"));
    assert!(page.contains("gaines posées à 1,00 m de profondeur"));

    // A question needs its text; nothing changes without it.
    let (status, body) = post(
        &app,
        &namur,
        &permit_url,
        &decision,
        &[("action", "request_information"), ("text", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Écrivez les conditions, la question ou le motif du refus"));
    assert_eq!(permit_of(&app, &id).await.1, "pending");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM permit_actions").await,
        1,
        "only the request itself"
    );

    let (status, _) = post(
        &app,
        &namur,
        &permit_url,
        &decision,
        &[
            ("action", "request_information"),
            ("text", "Par quel trottoir passe la tranchée ?"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(permit_of(&app, &id).await.1, "information_requested");
    let (actor, actor_name, at): (String, String, String) = sqlx::query_as(
        "SELECT actor_id, actor_name, at FROM permit_actions WHERE permit_id = $1 \
         AND action = 'information_requested'",
    )
    .bind(&permit_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let namur_user: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("travaux@namur.demo")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(actor, namur_user);
    assert_eq!(actor_name, "Service travaux de Namur");
    assert!(at.starts_with(&app.now().date_naive().to_string()));
    assert_eq!(
        blocker(&app, &id).await.as_deref(),
        Some("permit.blocker.information_requested")
    );

    // The question reaches the case officers by email (nobody has taken the request yet)...
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
    assert!(mails[0].1.contains("complément demandé"));
    assert!(mails[0].1.contains("Par quel trottoir passe la tranchée ?"));
    assert!(mails[0].1.contains(&format!("/backoffice/requests/{id}")));

    // ... in the queue and on the request page.
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains("permis : question de la commune"));
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Par quel trottoir passe la tranchée ?"));
    assert!(
        page.contains("La commune demande un complément d&#39;information")
            || page.contains("La commune demande un complément d'information")
    );
    let (status, _) = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/permit/answer"),
        &[("text", "Côté pair, 14 m le long de la façade.")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        permit_of(&app, &id).await.1,
        "pending",
        "the answer resumes it"
    );

    // A refusal says why, reaches the officer, and blocks the day.
    let (status, _) = post(
        &app,
        &namur,
        &permit_url,
        &decision,
        &[
            ("action", "refuse"),
            ("text", "Trottoir rénové en 2026 : passez par la chaussée."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        blocker(&app, &id).await.as_deref(),
        Some("permit.blocker.refused")
    );
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains("permis refusé"));
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Trottoir rénové en 2026"));
    assert!(page.contains("la commune a refusé le permis de voirie"));

    // The officer changes the site: the permit is asked again, with a new deadline.
    let (status, body) = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/permit/site"),
        &[
            ("road_type", "regional"),
            ("sidewalk_openings", "0"),
            ("road_openings", "99"),
            ("traffic_measures", ""),
            ("site_point", ""),
        ],
    )
    .await;
    assert_eq!(status, 422, "bad input saves nothing");
    assert!(body.contains("Indiquez un nombre entier de 0 à 20"));
    assert_eq!(permit_of(&app, &id).await.1, "refused");
    let (status, _) = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/permit/site"),
        &[
            ("road_type", "regional"),
            ("sidewalk_openings", "0"),
            ("road_openings", "1"),
            ("traffic_measures", "Circulation alternée par feux"),
            ("site_point", "185000, 128000"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(permit_of(&app, &id).await.1, "pending");
    let page = text_of(&namur, &permit_url).await;
    assert!(
        page.contains("gaines posées à 1,20 m de profondeur"),
        "V-8.5"
    );
    assert!(page.contains("Circulation alternée par feux"));
    let point: String =
        sqlx::query_scalar("SELECT site_point FROM permit_sites WHERE request_id = $1")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(
        point.starts_with("50.46"),
        "Lambert 72 stored as WGS 84: {point}"
    );

    // Approved with conditions: allowed once the officer acknowledged them.
    let (status, _) = post(
        &app,
        &namur,
        &permit_url,
        &decision,
        &[
            ("action", "approve_with_conditions"),
            ("text", "Travaux entre 9 h et 16 h."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        blocker(&app, &id).await.as_deref(),
        Some("permit.blocker.conditions")
    );
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains("permis : conditions à prendre en compte"));
    // Decided: the commune cannot decide again.
    let (status, body) = post(
        &app,
        &namur,
        &permit_url,
        &decision,
        &[("action", "approve")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("aucune décision n&#39;est plus possible")
            || body.contains("aucune décision n'est plus possible")
    );
    let (status, _) = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/permit/acknowledge"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(blocker(&app, &id).await, None);

    // The whole history, with who did what.
    let actions: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, actor_name FROM permit_actions WHERE permit_id = $1 ORDER BY at, id",
    )
    .bind(&permit_id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let steps: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        steps,
        [
            "requested",
            "information_requested",
            "information_given",
            "refused",
            "resubmitted",
            "approved_with_conditions",
            "conditions_acknowledged"
        ]
    );
    assert_eq!(actions[2].1.as_deref(), Some("Julien Lambert"));
    assert_eq!(actions[3].1.as_deref(), Some("Service travaux de Namur"));
    let page = text_of(&namur, &permit_url).await;
    assert!(page.contains("conditions prises en compte"));
}

#[tokio::test]
async fn c_6_an_approval_clears_the_block_at_once() {
    let app = app_with_crews().await;
    let Reserved { id, .. } = reserved(&app, &marie()).await;
    let (permit_id, _) = permit_of(&app, &id).await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_url = app.url(&format!("/commune/permits/{permit_id}"));
    assert!(blocker(&app, &id).await.is_some());
    let (status, _) = post(
        &app,
        &namur,
        &permit_url,
        &format!("/commune/permits/{permit_id}/decision"),
        &[("action", "approve")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(permit_of(&app, &id).await.1, "approved");
    assert_eq!(blocker(&app, &id).await, None);
    let page = text_of(&namur, &permit_url).await;
    assert!(
        page.contains("Décision enregistrée et transmise à l&#39;agent ORES")
            || page.contains("accordé")
    );
    let (decided_by, decided_at): (String, String) =
        sqlx::query_as("SELECT decided_by, decided_at FROM permits WHERE id = $1")
            .bind(&permit_id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let namur_user: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("travaux@namur.demo")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(decided_by, namur_user);
    assert!(decided_at.starts_with(&app.now().date_naive().to_string()));
}

#[tokio::test]
async fn c_6_the_deadline_counts_down_and_flags_overdue_permits() {
    let app = app_with_crews().await;
    let Reserved { id, reference, .. } = reserved(&app, &marie()).await;
    // The 45-day countdown runs on the app's clock: move it on, never the stored dates.
    let due: String = sqlx::query_scalar("SELECT due_on FROM permits WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let due: chrono::NaiveDate = due.parse().unwrap();
    assert_eq!(
        due,
        app.today() + chrono::Duration::days(45),
        "C-6: 45 days"
    );
    // Sessions last 12 hours: the clerk signs in again on each day.
    app.advance_to(due - chrono::Duration::days(10));
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune")).await;
    assert!(page.contains("10 jours restants"));
    assert!(!page.contains("délai dépassé"));

    app.advance_to(due);
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune")).await;
    assert!(page.contains("dernier jour"));

    app.advance_to(due + chrono::Duration::days(5));
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune")).await;
    assert!(page.contains("délai dépassé de 5 jours"));
    assert!(page.contains("class=\"overdue\""));
    let (permit_id, _) = permit_of(&app, &id).await;
    let detail = text_of(&namur, app.url(&format!("/commune/permits/{permit_id}"))).await;
    assert!(detail.contains("délai dépassé de 5 jours"));

    // Nearest deadline first: a second request due later comes after.
    let Reserved {
        reference: later, ..
    } = reserved(&app, &marie_from(app.today())).await;
    let page = text_of(&namur, app.url("/commune")).await;
    let first = page.find(&reference).unwrap();
    let second = page.find(&later).unwrap();
    assert!(first < second, "sorted by deadline");
}

#[tokio::test]
async fn a_commune_sees_only_its_territory() {
    let app = app_with_crews().await;
    let Reserved { id, reference, .. } = reserved(&app, &marie()).await;
    let (permit_id, _) = permit_of(&app, &id).await;
    let mons = app.signed_in("travaux@mons.demo").await;
    let get = |client: &reqwest::Client, path: String| {
        let request = client.get(app.url(&path));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };

    // Namur's permit, works and figures do not exist for Mons: pages and CSV.
    for path in [
        format!("/commune/permits/{permit_id}"),
        format!("/commune/works/{id}"),
        "/commune/figures?commune=92094".to_owned(),
        "/commune/figures.csv?commune=92094".to_owned(),
        format!("/backoffice/requests/{id}"),
        "/backoffice/nuisance".to_owned(),
        "/backoffice/nuisance.csv".to_owned(),
    ] {
        assert_eq!(get(&mons, path.clone()).await.0, 404, "{path}");
    }
    let (status, _) = post(
        &app,
        &mons,
        &app.url("/commune"),
        &format!("/commune/permits/{permit_id}/decision"),
        &[("action", "refuse"), ("text", "Pas chez nous")],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(permit_of(&app, &id).await.1, "pending", "nothing changed");

    // Mons's own pages do not show it.
    let month = text_of(&mons, app.url("/commune/calendar")).await;
    let day: String = sqlx::query_scalar("SELECT MIN(day) FROM reservations WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let month_of_day = &day[..7];
    for path in [
        "/commune".to_owned(),
        format!("/commune/calendar?month={month_of_day}"),
        format!("/commune/map?month={month_of_day}"),
    ] {
        let (status, body) = get(&mons, path.clone()).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains(&reference), "{path}");
    }
    assert!(!month.contains(&reference));

    // Namur sees it everywhere.
    let namur = app.signed_in("travaux@namur.demo").await;
    for path in [
        "/commune".to_owned(),
        format!("/commune/calendar?month={month_of_day}"),
        format!("/commune/map?month={month_of_day}"),
        format!("/commune/works/{id}"),
        format!("/commune/permits/{permit_id}"),
    ] {
        let (status, body) = get(&namur, path.clone()).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains(&reference), "{path}");
    }
    assert_eq!(
        get(&namur, "/commune/figures.csv?commune=92094".into())
            .await
            .0,
        200
    );

    // Staff of other kinds have no commune pages.
    for email in ["julien@ores.demo", "eau@swde.demo"] {
        let client = app.signed_in(email).await;
        assert_eq!(get(&client, "/commune".into()).await.0, 404, "{email}");
        assert_eq!(
            get(&client, format!("/commune/permits/{permit_id}"))
                .await
                .0,
            404
        );
    }
    let response = app.client.get(app.url("/commune")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "anonymous: sign in first");
}

#[tokio::test]
async fn c_6_the_figures_and_their_csv_tell_the_demo_history() {
    let app = app_with_crews().await;
    seed_history::demo_history(&app.state).await.unwrap();
    let requests = app.count("SELECT COUNT(*) FROM requests").await;
    seed_history::demo_history(&app.state).await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests").await,
        requests,
        "seeding twice changes nothing"
    );

    let namur = app.signed_in("travaux@namur.demo").await;
    let csv = text_of(
        &namur,
        app.url("/commune/figures.csv?from=2026-01-01&to=2026-07-31"),
    )
    .await;
    // By hand from the demo sites of Namur (services, trenches, streets), month by month:
    // works days, openings made, with separate appointments, avoided, crew visits avoided,
    // shared trench metres, streets opened again within 12 months.
    // For a Belgian Excel: a byte order mark, `;` between fields (issue 22 point 10).
    let expected = "\u{feff}\
Mois;jours de chantier;ouvertures de voirie faites;ouvertures avec des rendez-vous séparés;ouvertures de voirie évitées;passages d'équipes évités;Tranchée commune (m);rues ouvertes plus d'une fois en 12 mois
2026-01;1;1;5;4;4;15;0
2026-02;1;1;3;2;2;15;0
2026-03;1;1;3;2;2;15;0
2026-04;1;1;2;1;1;12;1
2026-05;1;1;5;4;4;15;0
2026-06;1;1;2;1;1;12;0
2026-07;1;0;0;0;1;0;0
Total;7;6;20;14;15;84;1
";
    assert_eq!(csv, expected);
    let page = text_of(
        &namur,
        app.url("/commune/figures?from=2026-01-01&to=2026-07-31"),
    )
    .await;
    assert!(
        page.contains("<title id=\"chart-title\">"),
        "accessible chart"
    );
    assert!(page.contains("6 ouvertures de voirie faites au lieu de 20"));
    assert!(page.contains("<th scope=\"row\">avril 2026</th>"));

    // The coordinator sees every commune, or one.
    let julien = app.signed_in("julien@ores.demo").await;
    let csv = text_of(
        &julien,
        app.url("/backoffice/nuisance.csv?from=2026-01-01&to=2026-01-31"),
    )
    .await;
    assert!(
        csv.contains("\n2026-01;2;2;10;8;8;30;0\n"),
        "Namur and Mons in January: {csv}"
    );
    let csv = text_of(
        &julien,
        app.url("/backoffice/nuisance.csv?from=2026-01-01&to=2026-01-31&commune=53053"),
    )
    .await;
    assert!(csv.contains("\n2026-01;1;1;5;4;4;15;0\n"), "{csv}");
    let page = text_of(&julien, app.url("/backoffice/nuisance")).await;
    assert!(page.contains("toutes les communes"));

    // The seeded coming permits: Mons has an overdue one; Charleroi's refusal is flagged.
    let mons = app.signed_in("travaux@mons.demo").await;
    let page = text_of(&mons, app.url("/commune")).await;
    assert!(page.contains("délai dépassé"));
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains("permis refusé"));
    assert!(queue.contains("permis : question de la commune"));

    // The same figures in JSON, for the commune's own tools; another commune's are 404.
    let json = json_of(
        &namur,
        app.url("/api/v1/figures?from=2026-01-01&to=2026-07-31"),
        200,
    )
    .await;
    assert_eq!(json["commune"], "92094");
    assert_eq!(json["months"].as_array().unwrap().len(), 7);
    assert_eq!(json["months"][3]["month"], "2026-04");
    assert_eq!(json["months"][3]["streets_reopened"], 1);
    assert_eq!(json["total"]["openings_made"], 6);
    assert_eq!(json["total"]["openings_separate"], 20);
    assert_eq!(json["total"]["openings_avoided"], 14);
    assert_eq!(json["total"]["crew_visits_avoided"], 15);
    assert_eq!(json["total"]["shared_trench_metres"], "84");
    json_of(&namur, app.url("/api/v1/figures?commune=53053"), 404).await;
    let json = json_of(
        &julien,
        app.url("/api/v1/figures?from=2026-01-01&to=2026-01-31"),
        200,
    )
    .await;
    assert_eq!(json["total"]["openings_separate"], 10, "Namur and Mons");
    let refused = namur
        .get(app.url("/api/v1/figures?from=2026-05-01&to=2026-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("antérieure à son début")
    );

    // The commune's permits in JSON: Mons' overdue one is to decide; nobody else reads them.
    let json = json_of(&mons, app.url("/api/v1/permits"), 200).await;
    let to_decide = json["to_decide"].as_array().unwrap();
    assert!(!to_decide.is_empty());
    assert!(to_decide.iter().all(|p| p["commune"] == "Mons"));
    assert!(
        to_decide
            .iter()
            .any(|p| p["due_on"].as_str().unwrap() < app.today().to_string().as_str())
    );
    let namur_permits = json_of(&namur, app.url("/api/v1/permits"), 200).await;
    assert!(
        namur_permits["to_decide"]
            .as_array()
            .unwrap()
            .iter()
            .chain(namur_permits["decided"].as_array().unwrap())
            .all(|p| p["commune"] == "Namur")
    );
    json_of(&julien, app.url("/api/v1/permits"), 404).await;

    // A period that cannot be read is refused with the reason.
    let response = namur
        .get(app.url("/commune/figures?from=2026-05-01&to=2026-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("antérieure à son début")
    );
}

#[tokio::test]
async fn the_map_page_works_without_scripts_and_serves_vendored_leaflet() {
    let app = app_with_crews().await;
    seed_history::demo_history(&app.state).await.unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let response = namur
        .get(app.url("/commune/map?month=2026-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("img-src 'self' data: https://tile.openstreetmap.org"));
    let page = response.text().await.unwrap();
    // The list is server-rendered with each site's address and position.
    assert!(page.contains("Rue de Fer 12, 5000 Namur"));
    assert!(
        page.contains("data-latitude=\"50.466900\""),
        "commune centre"
    );
    assert!(page.contains("/static/vendor/leaflet/leaflet.js"));
    for (path, kind) in [
        ("/static/vendor/leaflet/leaflet.js", "text/javascript"),
        ("/static/vendor/leaflet/leaflet.css", "text/css"),
        ("/static/vendor/leaflet/images/marker-icon.png", "image/png"),
        ("/static/vendor/leaflet/LICENSE", "text/plain"),
        ("/static/commune-map.js", "text/javascript"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
    }
    assert_eq!(
        app.get("/static/vendor/leaflet/images/other.png")
            .await
            .status()
            .as_u16(),
        404
    );

    // Week and month views of the calendar.
    let page = text_of(&namur, app.url("/commune/calendar?view=week&week=2026-W04")).await;
    assert!(
        page.contains("Rue de Fer 12"),
        "20 January 2026 is in week 4"
    );
    assert!(page.contains("mardi 20/01/2026"));
    let page = text_of(&namur, app.url("/commune/calendar?month=2026-01")).await;
    assert!(page.contains("Travaux de janvier 2026"));
    assert!(page.contains("réalisé"));
}

#[tokio::test]
async fn without_a_tile_server_the_map_says_so_and_sites_at_the_commune_centre_are_approximate() {
    let app = crate::helpers::spawn_app_with(|config| config.map_tile_url = String::new()).await;
    connect_my_home::demo::demo_crews(&app.state).await.unwrap();
    seed_history::demo_history(&app.state).await.unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune/map?month=2026-01")).await;
    assert!(
        page.contains(
            "<p class=\"hint\" id=\"no-tiles\">Aucun fond de carte n&#39;est configuré : les \
             chantiers sont placés sur un fond gris, leurs positions sont listées ci-dessous.</p>"
        ),
        "{page}"
    );
    // A site with no point of its own stands at the commune's centre, listed as approximate.
    assert!(
        page.contains("50.466900, 4.867460 (centre de la commune)"),
        "{page}"
    );
    // With the default tile server the notice is not there.
    let app = app_with_crews().await;
    seed_history::demo_history(&app.state).await.unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune/map?month=2026-01")).await;
    assert!(!page.contains("id=\"no-tiles\""), "{page}");
}
