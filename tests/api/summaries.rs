//! The read models of the large pages follow the writes: the queue's counts per state and its
//! communes, per tenant, after filing, the operators' answers, an offer and its lapse; the
//! nuisance figures (C-6) after a joint day is reserved, cancelled, reserved again, its works
//! recorded done and a crew's kind of works changed. After each step the read models agree
//! with a recompute from the stored data (the migration's backfill).

use chrono::Duration as Days;

use crate::helpers::{
    Reserved, TestApp, app_with_crews, hidden, json_of, marie, reserved, send_offer_as, spawn_app,
    spawn_app_with, text_of, with,
};

/// The read models agree with the migration's backfill run on the stored data now.
async fn assert_consistent(app: &TestApp, step: &str) {
    let differences = connect_my_home::services::summaries::check(&app.state)
        .await
        .unwrap();
    assert!(
        differences.is_empty(),
        "{step}: the read models differ from a recompute:\n{}",
        differences.join("\n")
    );
}

/// The queue's total and counts per state as the JSON API gives them to `client`.
async fn counts(app: &TestApp, client: &reqwest::Client, query: &str) -> (String, String) {
    let response = client
        .get(app.url(&format!("/api/v1/requests{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (header("x-total-count"), header("x-state-counts"))
}

#[tokio::test]
async fn the_queue_counts_and_communes_follow_filing_answers_offer_and_lapse() {
    let app = spawn_app().await;
    let julien = app.signed_in("julien@ores.demo").await;
    assert_eq!(counts(&app, &julien, "").await, ("0".into(), "".into()));

    // Namur with VOO, Mons without: VOO is a party of the first only.
    let (namur, _) = app.file_ok(&marie()).await;
    let namur = app.request_id(&namur).await;
    app.advance(Days::days(1));
    let (mons, _) = app
        .file_ok(&with(
            &marie(),
            &[("postcode", "7000"), ("gas", ""), ("voo", "")],
        ))
        .await;
    let mons = app.request_id(&mons).await;
    app.wait_state(&namur, "assessed").await;
    app.wait_state(&mons, "assessed").await;
    assert_consistent(&app, "filed and answered").await;
    // Sessions last 12 hours: everyone signs in again after the clock moved on.
    let julien = app.signed_in("julien@ores.demo").await;

    let voo = app.signed_in("raccordement@voo.demo").await;
    assert_eq!(
        counts(&app, &julien, "").await,
        ("2".into(), "assessed=2".into())
    );
    assert_eq!(
        counts(&app, &voo, "").await,
        ("1".into(), "assessed=1".into())
    );
    let page = text_of(&julien, app.url("/backoffice")).await;
    assert!(
        page.contains("<option value=\"92094\" >Namur</option>"),
        "{page}"
    );
    assert!(page.contains("<option value=\"53053\" >Mons</option>"));
    let page = text_of(&voo, app.url("/backoffice")).await;
    assert!(page.contains("<option value=\"92094\" >Namur</option>"));
    assert!(
        !page.contains("<option value=\"53053\""),
        "VOO has nothing in Mons"
    );

    // The offer moves Namur's request on: for the coordinator and for VOO.
    send_offer_as(&app, &julien, &namur, "").await;
    assert_consistent(&app, "offer sent").await;
    assert_eq!(
        counts(&app, &julien, "").await,
        ("2".into(), "assessed=1, quoted=1".into())
    );
    assert_eq!(
        counts(&app, &voo, "").await,
        ("1".into(), "quoted=1".into())
    );
    assert_eq!(
        counts(&app, &julien, "?state=quoted").await,
        ("1".into(), "assessed=1, quoted=1".into())
    );

    // Six months on the offer lapses (V-8.1): a lapsed request is still in the open queue.
    app.advance(Days::days(200));
    let run = connect_my_home::services::offers::run_daily(&app.state, app.now())
        .await
        .unwrap();
    assert_eq!(run.lapsed, 1);
    assert_consistent(&app, "offer lapsed").await;
    let julien = app.signed_in("julien@ores.demo").await;
    let voo = app.signed_in("raccordement@voo.demo").await;
    assert_eq!(
        counts(&app, &julien, "").await,
        ("2".into(), "assessed=1, lapsed=1".into())
    );
    assert_eq!(
        counts(&app, &julien, "?state=lapsed").await,
        ("1".into(), "assessed=1, lapsed=1".into())
    );
    assert_eq!(
        counts(&app, &voo, "").await,
        ("1".into(), "lapsed=1".into())
    );
    // A filter the counts per state cannot answer is counted: Mons only.
    assert_eq!(
        counts(&app, &julien, "?commune=53053").await,
        ("1".into(), "assessed=1, lapsed=1".into())
    );
}

/// The figures' total for `client` over December 2026 to December 2027, as the JSON API
/// gives it: (works days, openings made, with separate appointments, avoided, crew visits
/// avoided, shared trench metres).
async fn total(app: &TestApp, client: &reqwest::Client, commune: &str) -> serde_json::Value {
    let figures = json_of(
        client,
        app.url(&format!(
            "/api/v1/figures?from=2026-12-01&to=2027-12-31{commune}"
        )),
        200,
    )
    .await;
    let t = &figures["total"];
    serde_json::json!([
        t["works_days"],
        t["openings_made"],
        t["openings_separate"],
        t["openings_avoided"],
        t["crew_visits_avoided"],
        t["shared_trench_metres"],
        t["streets_reopened"],
    ])
}

#[tokio::test]
async fn c_6_the_nuisance_figures_follow_the_joint_day_its_works_and_the_crews() {
    let app = app_with_crews().await;
    let water_and_voo = with(
        &marie(),
        &[
            ("electricity", ""),
            ("electricity_band", ""),
            ("gas", ""),
            ("proximus", ""),
        ],
    );
    let Reserved {
        id, julien, url, ..
    } = reserved(&app, &water_and_voo).await;
    assert_consistent(&app, "reserved").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let nothing = serde_json::json!([0, 0, 0, 0, 0, "0", 0]);
    assert_eq!(total(&app, &namur, "").await, nothing, "planned, not done");

    // Cancelled, then reserved again.
    let page = text_of(&julien, &url).await;
    let csrf = hidden(&page, "csrf_token");
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day/cancel")))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("reason", "Permis de voirie reporté".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_consistent(&app, "cancelled").await;
    let page = text_of(&julien, &url).await;
    let day = hidden(&page, "day");
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[("csrf_token", csrf), ("day", day.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_consistent(&app, "reserved again").await;

    // The day comes; SWDE records its works, then VOO.
    app.advance_to(day.parse().unwrap());
    let assessment_of = |slug: &'static str| {
        let pool = app.state.db.pool.clone();
        let id = id.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT a.id FROM assessments a JOIN organisations o ON o.id = a.organisation_id \
                 WHERE a.request_id = $1 AND o.slug = $2",
            )
            .bind(id)
            .bind(slug)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    for (email, slug) in [("eau@swde.demo", "swde"), ("raccordement@voo.demo", "voo")] {
        let client = app.signed_in(email).await;
        let csrf = hidden(&text_of(&client, &url).await, "csrf_token");
        let assessment = assessment_of(slug).await;
        let response = client
            .post(app.url(&format!("/operator/assessments/{assessment}/done")))
            .form(&[("csrf_token", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        assert_consistent(&app, slug).await;
        let namur = app.signed_in("travaux@namur.demo").await;
        if slug == "swde" {
            assert_eq!(
                total(&app, &namur, "").await,
                nothing,
                "VOO has not finished"
            );
        }
    }
    app.wait_state(&id, "done").await;

    // One day, one opening (SWDE's civil works) instead of two appointments, one crew visit
    // avoided, the 12 m of water trench shared with VOO's 15 m.
    let namur = app.signed_in("travaux@namur.demo").await;
    let julien = app.signed_in("julien@ores.demo").await;
    let done = serde_json::json!([1, 1, 2, 1, 1, "12", 0]);
    assert_eq!(total(&app, &namur, "").await, done);
    assert_eq!(total(&app, &julien, "").await, done);
    assert_eq!(total(&app, &julien, "&commune=92094").await, done);
    // No request of the coordinator in Mons: no figures to ask for there.
    json_of(
        &julien,
        app.url("/api/v1/figures?from=2026-12-01&to=2027-12-31&commune=53053"),
        404,
    )
    .await;

    // SWDE's crew no longer does civil works: the day opens no road any more.
    let swde = app.signed_in("eau@swde.demo").await;
    let crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN reservations v ON v.crew_id = c.id \
         WHERE v.request_id = $1 AND v.service = 'water'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let (name, capacity): (String, i64) =
        sqlx::query_as("SELECT name, daily_capacity FROM crews WHERE id = $1")
            .bind(&crew)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let page = text_of(&swde, app.url("/operator/crews")).await;
    let response = swde
        .post(app.url(&format!("/operator/crews/{crew}/edit")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("name", name),
            ("capacity", capacity.to_string()),
            ("postcodes", "5000".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_consistent(&app, "crew changed").await;
    assert_eq!(
        total(&app, &namur, "").await,
        serde_json::json!([1, 0, 0, 0, 1, "0", 0])
    );
}

#[tokio::test]
async fn the_migration_backfill_agrees_with_the_writes_of_the_demo_history() {
    // No workers: nothing moves on between the reads compared below.
    let app = spawn_app_with(|config| {
        config.seed_demo = true;
        config.run_workers = false;
    })
    .await;
    // Not an empty agreement: the demo history has requests and done joint days.
    assert!(app.count("SELECT COUNT(*) FROM queue_counts").await > 0);
    assert!(app.count("SELECT COUNT(*) FROM nuisance_ledger").await > 0);
    assert!(app.count("SELECT COUNT(*) FROM nuisance_days").await > 0);
    assert_consistent(&app, "demo history").await;

    // The pages read the same figures from the kept read models and from a rebuild.
    let julien = app.signed_in("julien@ores.demo").await;
    let csv = "/backoffice/nuisance.csv?from=2026-01-01&to=2026-11-30";
    let kept = text_of(&julien, app.url(csv)).await;
    let queue = text_of(&julien, app.url("/backoffice?state=all")).await;
    connect_my_home::services::summaries::rebuild(&app.state.db)
        .await
        .unwrap();
    assert_eq!(text_of(&julien, app.url(csv)).await, kept);
    assert_eq!(
        text_of(&julien, app.url("/backoffice?state=all")).await,
        queue
    );
}
