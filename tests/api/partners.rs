//! Rule C-8: a sixth partner joins with configuration only — organisation, service,
//! coverage and offer — and a request can include it.

use connect_my_home::{app::Application, config::Config, demo as seed, services::reference};

use crate::helpers::{
    Reserved, TestApp, client, hidden, marie, reserved, spawn_app_with, text_of, with,
};

const HEAT_NETWORK: &str = r#"
[[organisation]]
slug = "chaleur-mons"
name = "Réseau de chaleur de Mons"
kind = "operator"
service = "heat"
contact = "Réseau de chaleur de Mons, 065 00 00 00"
communes = ["53053"]

[organisation.partner]
label = { fr = "Chaleur (réseau urbain)", en = "District heating" }
skill = "heat"
hours = 6
civil_works = true
lead_time = { unit = "working_days", count = 40 }
lead_time_start = "payment"

[[organisation.partner.lines]]
code = "HEAT-STD"
label = { fr = "Raccordement au réseau de chaleur", en = "District heating connection" }
unit_price = "2499.50"
vat = "reduced"

[[organisation.partner.prerequisites]]
code = "plant_room"
label = { fr = "Local technique pour la sous-station", en = "Plant room for the substation" }
deadline = { kind = "days_before_works", days = 10 }
rule = "C-8"
"#;

/// The app started with `partners` as its partners file (kept while the app runs).
async fn app_with_partners(partners: &str) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partners.toml");
    std::fs::write(&file, partners).unwrap();
    let app = spawn_app_with(|config| config.partners_file = Some(file)).await;
    (app, dir)
}

#[tokio::test]
async fn c_8_a_partner_added_by_configuration_is_offered_filed_and_assessed() {
    let (app, _partners) = app_with_partners(HEAT_NETWORK).await;

    let (status, form) = app.get_text("/request/new").await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"name="partner" value="heat""#));
    assert!(form.contains("Chaleur (réseau urbain)"));

    // In Mons, which the partner serves, the request includes it.
    let mut fields = with(&marie(), &[("postcode", "7000")]);
    fields.push(("partner", "heat".into()));
    let (_, id) = app.file_assessed(&fields).await;
    let heat: (String, i64) = sqlx::query_as(
        "SELECT a.status, a.version FROM assessments a JOIN organisations o \
         ON o.id = a.organisation_id WHERE a.request_id = $1 AND o.slug = 'chaleur-mons'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(heat, ("answered".to_owned(), 1));

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("Chaleur (réseau urbain) — Réseau de chaleur de Mons"));
    assert!(page.contains("Local technique pour la sous-station"));
    assert!(page.contains("Raccordement au réseau de chaleur"));
    assert!(page.contains("2\u{202f}499,50 €"));
    assert!(page.contains("10 jours avant les travaux"));
    assert!(page.contains("travaux dans les 40 jours ouvrables à compter de : le paiement"));

    // In Namur, which it does not serve, the refusal names the service and the commune.
    let mut fields = marie();
    fields.push(("partner", "heat".into()));
    let form = app.open_form().await;
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Chaleur (réseau urbain) n&#39;est pas proposé dans la commune de Namur")
            || page.contains("Chaleur (réseau urbain) n'est pas proposé dans la commune de Namur")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests").await,
        1,
        "nothing filed"
    );
}

/// One module that fails must not hold up or undo the other operators' answers; its task is
/// tried again later.
#[tokio::test]
async fn a_partner_module_that_fails_leaves_the_other_answers_recorded_and_is_tried_again() {
    let (app, _partners) = app_with_partners(HEAT_NETWORK).await;
    let form = app.open_form().await;
    // The partner's offer no longer reads (damaged in the database: no flow writes it so).
    sqlx::query("UPDATE organisations SET partner = '{}' WHERE slug = 'chaleur-mons'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let mut fields = with(&marie(), &[("postcode", "7000")]);
    fields.push(("partner", "heat".into()));
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 303);
    let id: String = sqlx::query_scalar("SELECT id FROM requests")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();

    let answers = || async {
        sqlx::query_as::<_, (String, String, i64, i64, Option<String>)>(
            "SELECT a.service, a.status, a.version, a.attempts, a.last_error FROM assessments a \
             WHERE a.request_id = $1 ORDER BY a.service",
        )
        .bind(&id)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let answers = loop {
        let answers = answers().await;
        let settled = answers
            .iter()
            .all(|(_, status, _, _, error)| status == "answered" || error.is_some());
        if settled {
            break answers;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never settled: {answers:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let summary: Vec<(&str, &str, i64, i64)> = answers
        .iter()
        .map(|(service, status, version, attempts, _)| {
            (service.as_str(), status.as_str(), *version, *attempts)
        })
        .collect();
    // The five networks answered once; the partner's task waits for its retry.
    assert_eq!(
        summary,
        [
            ("electricity", "answered", 1, 1),
            ("gas", "answered", 1, 1),
            ("heat", "pending", 0, 1),
            ("proximus", "answered", 1, 1),
            ("voo", "answered", 1, 1),
            ("water", "answered", 1, 1),
        ]
    );
    let heat_error = answers[2].4.clone().unwrap();
    assert!(heat_error.contains("partner offer"), "{heat_error}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'operator_assessed'")
            .await,
        5
    );
    // Not every answer is in: the request waits.
    let state: String = sqlx::query_scalar("SELECT state FROM requests")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "submitted");
}

#[tokio::test]
async fn a_partner_configuration_with_a_mistake_stops_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partners.toml");
    std::fs::write(&file, HEAT_NETWORK.replace("hours = 6", "hours = 0")).unwrap();
    let mut config = Config::local(dir.path().to_path_buf());
    config.partners_file = Some(file);
    let error = Application::build(config).await.err().expect("refused");
    assert!(
        error.to_string().contains("chaleur-mons")
            && error.to_string().contains("between 1 and 24 hours"),
        "{error}"
    );
}

/// The example shipped for administrators: the heat network with its crew and first
/// administrator.
const EXAMPLE: &str = include_str!("../../reference/partners.example.toml");

#[tokio::test]
async fn c_4_c_8_a_partner_crew_comes_on_the_joint_day_and_its_administrator_records_the_works() {
    let (app, _partners) = app_with_partners(EXAMPLE).await;
    seed::demo_crews(&app.state).await.unwrap();

    // The crew is configured once, however often the product starts.
    reference::reference_data(&app.state).await.unwrap();
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM crews c JOIN organisations o ON o.id = c.organisation_id \
             WHERE o.slug = 'chaleur-mons' AND c.service = 'heat' AND c.civil_works = 1"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'staff_invitation'")
            .await,
        1,
        "one invitation, not one per start"
    );

    // A request with every operator and the heat network: six crews on one day.
    let mut fields = with(&marie(), &[("postcode", "7000")]);
    fields.push(("partner", "heat".into()));
    let Reserved {
        id,
        julien,
        url,
        day,
        ..
    } = reserved(&app, &fields).await;
    let services: Vec<(String, String)> = sqlx::query_as(
        "SELECT service, day FROM reservations WHERE request_id = $1 ORDER BY service",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let codes: Vec<&str> = services.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        codes,
        ["electricity", "gas", "heat", "proximus", "voo", "water"]
    );
    assert!(services.iter().all(|(_, d)| *d == day));

    // The heat crew does one job a day: a second request in Mons cannot have that day, and
    // the officer is told why.
    let mut fields = with(
        &marie(),
        &[("postcode", "7000"), ("email", "paul@example.be")],
    );
    fields.push(("partner", "heat".into()));
    let (_, second) = app.file_assessed(&fields).await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{second}"))).await;
    assert_ne!(hidden(&page, "day"), day);
    assert!(
        page.contains("Chaleur (réseau urbain) : équipe complète"),
        "the full partner crew is named"
    );

    // The administrator named in the configuration sets a password through the invitation,
    // sees the crew in the operator portal and records the works once the day has come.
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE recipient = 'exploitation@chaleur-mons.be'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert!(body.contains("Réseau de chaleur de Mons"));
    let start = body.find(&app.url("/welcome/")).expect("invitation link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();
    let visitor = client();
    let welcome = text_of(&visitor, &link).await;
    let response = visitor
        .post(&link)
        .form(&[
            ("csrf_token", hidden(&welcome, "csrf_token")),
            ("password", "sous-station-2026".to_owned()),
            ("confirmation", "sous-station-2026".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let claire = app
        .signed_in_with("exploitation@chaleur-mons.be", "sous-station-2026")
        .await;
    let crews = text_of(&claire, app.url("/operator/crews")).await;
    assert!(crews.contains("Équipe chaleur"));

    // The joint day comes (the session of the day before has lapsed: sign in again).
    app.advance_to(day.parse().unwrap());
    let claire = app
        .signed_in_with("exploitation@chaleur-mons.be", "sous-station-2026")
        .await;
    let heat: String = sqlx::query_scalar(
        "SELECT a.id FROM assessments a WHERE a.request_id = $1 AND a.service = 'heat'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let page = text_of(&claire, &url).await;
    let response = claire
        .post(app.url(&format!("/operator/assessments/{heat}/done")))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reservations WHERE service = 'heat' AND done_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_partner_crew_outside_the_partner_communes_stops_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partners.toml");
    let config_text = EXAMPLE.replace("capacity = 1", "capacity = 1\ncommunes = [\"92094\"]");
    std::fs::write(&file, config_text).unwrap();
    let mut config = Config::local(dir.path().to_path_buf());
    config.partners_file = Some(file);
    let error = Application::build(config).await.err().expect("refused");
    assert!(
        error.to_string().contains("chaleur-mons")
            && error.to_string().contains("commune 92094 is not served"),
        "{error}"
    );
}
