//! Rule C-4: one day for every crew — candidates, an all-or-nothing reservation, and no
//! double booking under concurrency.

use crate::helpers::{Reserved, app_with_crews, hidden, marie, reserved, text_of, with};

/// The first day offered by a page's day picker.
pub(crate) fn first_candidate(page: &str) -> String {
    hidden(page, "day")
}

#[tokio::test]
async fn c_4_the_officer_reserves_one_day_for_every_crew() {
    let app = app_with_crews().await;
    let (_, id) = app.file_assessed(&marie()).await;

    let julien = app.signed_in("julien@ores.demo").await;
    let url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Jour commun des travaux"));
    assert!(page.contains("Réserver ce jour"));
    // Why no earlier day: the commune decides on the joint permit first (C-6).
    assert!(
        plain(&page).contains("attendue au plus tard le 16/01/2027"),
        "{page}"
    );
    let day = first_candidate(&page);
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", day.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    // Every operator's crew comes that day: five reservations, one job each.
    let days: Vec<String> =
        sqlx::query_scalar("SELECT day FROM reservations WHERE request_id = $1")
            .bind(&id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(days.len(), 5);
    assert!(days.iter().all(|d| *d == day));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM crew_days WHERE booked = 1")
            .await,
        5
    );
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Jour commun réservé pour toutes les équipes"));

    // A second reservation is refused with the reason and changes nothing.
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[("csrf_token", hidden(&page, "csrf_token")), ("day", day)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("déjà réservé"));
    assert_eq!(app.count("SELECT COUNT(*) FROM reservations").await, 5);

    // Cancelling needs a reason; then every crew gets its capacity back and the day can be
    // reserved again.
    let page = text_of(&julien, &url).await;
    let csrf = hidden(&page, "csrf_token");
    let cancel_url = app.url(&format!("/backoffice/requests/{id}/day/cancel"));
    let response = julien
        .post(&cancel_url)
        .form(&[("csrf_token", csrf.clone()), ("reason", " ".to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("Indiquez pourquoi"));
    assert_eq!(app.count("SELECT COUNT(*) FROM reservations").await, 5);
    let response = julien
        .post(&cancel_url)
        .form(&[
            ("csrf_token", csrf.clone()),
            ("reason", "Permis de voirie reporté".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM reservations").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM crew_days WHERE booked = 0")
            .await,
        5
    );
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Jour commun des travaux annulé"));
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[("csrf_token", csrf), ("day", first_candidate(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    // Operators do not reserve: the day is the case officer's (C-2).
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, &url).await;
    assert!(!page.contains("Réserver ce jour"));
}

#[tokio::test]
async fn c_4_fifty_concurrent_reservations_of_the_last_place_let_exactly_one_through() {
    let app = app_with_crews().await;
    let water_only = with(
        &marie(),
        &[
            ("electricity", ""),
            ("electricity_band", ""),
            ("gas", ""),
            ("proximus", ""),
            ("voo", ""),
        ],
    );
    let mut ids = Vec::new();
    for _ in 0..51 {
        let (reference, _) = app.file_ok(&water_only).await;
        ids.push(app.request_id(&reference).await);
    }
    for id in &ids {
        app.wait_state(id, "assessed").await;
    }
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(
        &julien,
        app.url(&format!("/backoffice/requests/{}", ids[0])),
    )
    .await;
    let csrf = hidden(&page, "csrf_token");
    let day = first_candidate(&page);
    // The Namur SWDE crew does two jobs a day: the first takes one, one place is left.
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{}/day", ids[0])))
        .form(&[("csrf_token", csrf.clone()), ("day", day.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    let attempts = ids[1..].iter().map(|id| {
        let request = julien
            .post(app.url(&format!("/backoffice/requests/{id}/day")))
            .form(&[("csrf_token", csrf.clone()), ("day", day.clone())]);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let won = outcomes.iter().filter(|(status, _)| *status == 303).count();
    assert_eq!(won, 1, "exactly one reservation gets the last place");
    for (status, body) in outcomes.iter().filter(|(status, _)| *status != 303) {
        assert_eq!(*status, 422);
        assert!(body.contains("vient d&#39;être pris") || body.contains("vient d'être pris"));
        assert!(body.contains("Jours encore possibles"));
    }
    let booked: i64 = sqlx::query_scalar("SELECT booked FROM crew_days WHERE day = $1")
        .bind(&day)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(booked, 2, "never over capacity");
    assert_eq!(app.count("SELECT COUNT(*) FROM reservations").await, 2);
}

#[tokio::test]
async fn c_4_the_applicant_picks_the_day_on_the_status_page() {
    let app = app_with_crews().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let body: String = sqlx::query_scalar("SELECT body_text FROM outbox WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let start = body.find(&app.url("/track/")).expect("private link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();

    let page = text_of(&app.client, &link).await;
    assert!(page.contains("Choisissez le jour où toutes les équipes viendront ensemble"));
    let day = first_candidate(&page);
    let csrf = hidden(&page, "csrf_token");
    let response = app
        .client
        .post(format!("{link}/day"))
        .form(&[("csrf_token", csrf.clone()), ("day", day)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    // Picked, the day is proposed until the case officer confirms it.
    let page = text_of(&app.client, &link).await;
    assert!(
        page.contains("Jour proposé : le 18/01/2027, à confirmer."),
        "{page}"
    );
    assert!(!page.contains("Toutes les équipes viendront le"));
    assert!(page.contains("Jour commun des travaux réservé"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reservations").await,
        5,
        "one crew of each operator"
    );

    // A made-up day is refused with the reason.
    let response = app
        .client
        .post(format!("{link}/day"))
        .form(&[("csrf_token", csrf), ("day", "2020-01-01".to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("déjà réservé"));
}

#[tokio::test]
async fn an_absence_on_a_reserved_day_is_flagged_to_the_officer() {
    let app = app_with_crews().await;
    let Reserved {
        reference,
        julien,
        url,
        day,
        ..
    } = reserved(&app, &marie()).await;

    let swde = app.signed_in("eau@swde.demo").await;
    let crews_page = text_of(&swde, app.url("/operator/crews")).await;
    assert!(crews_page.contains("Équipe Namur"));
    let namur_crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
         WHERE o.slug = 'swde' AND c.name = 'Équipe Namur'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let csrf = hidden(&crews_page, "csrf_token");

    // A malformed day is refused; another operator's crew does not exist for SWDE.
    let response = swde
        .post(app.url("/operator/crews/absence"))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("crew", namur_crew.clone()),
            ("day", "demain".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let voo_crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
         WHERE o.slug = 'voo' AND c.name = 'Équipe Namur'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let response = swde
        .post(app.url("/operator/crews/absence"))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("crew", voo_crew),
            ("day", day.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM crew_absences").await, 0);

    let response = swde
        .post(app.url("/operator/crews/absence"))
        .form(&[("csrf_token", csrf), ("crew", namur_crew), ("day", day)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains(&reference));

    let page = text_of(&julien, &url).await;
    assert!(page.contains("Une équipe réservée est absente ce jour-là"));
    assert!(page.contains("Équipe absente le jour commun réservé"));
}

#[tokio::test]
async fn operator_staff_add_a_crew_and_bad_input_saves_nothing() {
    let app = app_with_crews().await;
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url("/operator/crews")).await;
    let csrf = hidden(&page, "csrf_token");
    let before = app.count("SELECT COUNT(*) FROM crews").await;

    let response = swde
        .post(app.url("/operator/crews/new"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Équipe Tournai"),
            ("capacity", "0"),
            ("postcodes", "7500, 1234x, 9999"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("de 1 à 20"));
    assert!(
        page.contains("Le code postal 9999 n&#39;existe pas")
            || page.contains("Le code postal 9999 n'existe pas")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM crews").await, before);

    let response = swde
        .post(app.url("/operator/crews/new"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Équipe Tournai"),
            ("capacity", "3"),
            ("postcodes", "7500"),
            ("civil_works", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(&swde, app.url("/operator/crews")).await;
    assert!(page.contains("Équipe Tournai"));
    let communes: Vec<String> = sqlx::query_scalar(
        "SELECT cc.commune_nis FROM crew_communes cc JOIN crews c ON c.id = cc.crew_id \
         WHERE c.name = 'Équipe Tournai'",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(communes, ["57081"]);
}

#[tokio::test]
async fn each_operator_records_its_works_and_the_last_one_completes_the_request() {
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
    let Reserved { id, url, day, .. } = reserved(&app, &water_and_voo).await;

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
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, &url).await;
    assert!(
        page.contains("Jour commun réservé"),
        "operators see the day"
    );
    assert!(
        !page.contains("Annuler ce jour"),
        "only the case officer changes it"
    );
    let csrf = hidden(&page, "csrf_token");
    let water = assessment_of("swde").await;
    let done = |client: reqwest::Client, assessment: String, csrf: String| {
        let url = app.url(&format!("/operator/assessments/{assessment}/done"));
        async move {
            client
                .post(url)
                .form(&[("csrf_token", csrf)])
                .send()
                .await
                .unwrap()
        }
    };

    // Not before the day.
    let response = done(swde.clone(), water.clone(), csrf.clone()).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("partir du jour commun, et une seule fois")
    );

    // The day has come (sessions last 12 hours: everyone signs in again that day).
    app.advance_to(day.parse().unwrap());
    let swde = app.signed_in("eau@swde.demo").await;
    let csrf = hidden(&text_of(&swde, &url).await, "csrf_token");
    assert_eq!(
        done(swde.clone(), water.clone(), csrf.clone())
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        done(swde.clone(), water, csrf).await.status().as_u16(),
        422,
        "once"
    );
    let state: String = sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "assessed", "VOO has not finished");

    // SWDE cannot record VOO's works.
    let voo_assessment = assessment_of("voo").await;
    let page = text_of(&swde, &url).await;
    let response = done(
        swde.clone(),
        voo_assessment.clone(),
        hidden(&page, "csrf_token"),
    )
    .await;
    assert_eq!(response.status().as_u16(), 404);

    let voo = app.signed_in("raccordement@voo.demo").await;
    let page = text_of(&voo, &url).await;
    let response = done(voo, voo_assessment, hidden(&page, "csrf_token")).await;
    assert_eq!(response.status().as_u16(), 303);
    app.wait_state(&id, "done").await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &url).await;
    assert!(page.contains("Tous les raccordements sont réalisés"));
}

#[tokio::test]
async fn c_4_propose_days_for_all_plans_the_backlog_and_reserves_the_days_kept() {
    let app = app_with_crews().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let email = format!("voisin{n}@example.be");
        let (reference, _) = app
            .file_ok(&with(&marie(), &[("email", email.as_str())]))
            .await;
        ids.push(app.request_id(&reference).await);
    }
    for id in &ids {
        app.wait_state(id, "assessed").await;
    }
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url("/backoffice/plan")).await;
    assert!(
        page.contains("6 demandes sur 6 reçoivent un jour"),
        "{page}"
    );
    // The officer keeps all but the last proposal.
    let picks: Vec<String> = page
        .match_indices("name=\"pick\" value=\"")
        .map(|(at, marker)| {
            let start = at + marker.len();
            page[start..start + page[start..].find('"').unwrap()].to_owned()
        })
        .collect();
    assert_eq!(picks.len(), 6);
    let mut form = vec![("csrf_token".to_owned(), hidden(&page, "csrf_token"))];
    form.extend(picks[..5].iter().map(|p| ("pick".to_owned(), p.clone())));
    let response = julien
        .post(app.url("/backoffice/plan"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let after = response.text().await.unwrap();
    assert!(after.contains("5 jours réservés"), "{after}");
    // Every kept request has its day for each of its five operators, on the proposed date.
    for pick in &picks[..5] {
        let (id, day) = pick.split_once('|').unwrap();
        let days: Vec<String> =
            sqlx::query_scalar("SELECT day FROM reservations WHERE request_id = $1")
                .bind(id)
                .fetch_all(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(days.len(), 5);
        assert!(days.iter().all(|d| d == day));
    }
    // The one left out is still waiting and proposed again; no crew is over capacity.
    assert!(after.contains("1 demande sur 1 reçoit un jour"), "{after}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM crew_days d JOIN crews c ON c.id = d.crew_id \
             WHERE d.booked > c.daily_capacity"
        )
        .await,
        0
    );
    // Operators do not plan the coordinator's backlog.
    let swde = app.signed_in("eau@swde.demo").await;
    let response = swde.get(app.url("/backoffice/plan")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn c_4_operators_change_or_retire_crews_without_breaking_booked_days() {
    let app = app_with_crews().await;
    let booked = reserved(&app, &marie()).await;
    let swde = app.signed_in("eau@swde.demo").await;
    let crew_of = |name: &'static str| {
        let pool = app.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
                 WHERE o.slug = 'swde' AND c.name = $1",
            )
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let namur = crew_of("Équipe Namur").await;
    let hainaut = crew_of("Équipe Hainaut").await;
    let page = text_of(&swde, app.url("/operator/crews")).await;
    let csrf = hidden(&page, "csrf_token");
    let edit = |crew: String, capacity: &'static str, postcodes: &'static str| {
        swde.post(app.url(&format!("/operator/crews/{crew}/edit")))
            .form(&[
                ("csrf_token", csrf.clone()),
                ("name", "Équipe Namur".to_owned()),
                ("capacity", capacity.to_owned()),
                ("postcodes", postcodes.to_owned()),
                ("civil_works", "on".to_owned()),
            ])
            .send()
    };

    // Namur's crew is booked on the joint day there: it keeps Namur and cannot be retired.
    let refused = edit(namur.clone(), "3", "7000").await.unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains(&booked.reference), "{text}");
    let retire = swde
        .post(app.url(&format!("/operator/crews/{namur}/retire")))
        .form(&[("csrf_token", csrf.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(retire.status().as_u16(), 422);
    assert!(retire.text().await.unwrap().contains(&booked.day));
    let communes: Vec<String> =
        sqlx::query_scalar("SELECT commune_nis FROM crew_communes WHERE crew_id = $1")
            .bind(&namur)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(communes, vec!["92094".to_owned()]);

    // A bigger crew that also covers Mons is fine.
    let changed = edit(namur.clone(), "3", "5000, 7000").await.unwrap();
    assert_eq!(changed.status().as_u16(), 303);
    let capacity: i64 = sqlx::query_scalar("SELECT daily_capacity FROM crews WHERE id = $1")
        .bind(&namur)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(capacity, 3);

    // The Hainaut crew has nothing booked: retired, it is no longer listed nor offered.
    let retire = swde
        .post(app.url(&format!("/operator/crews/{hainaut}/retire")))
        .form(&[("csrf_token", csrf.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(retire.status().as_u16(), 303);
    let page = text_of(&swde, app.url("/operator/crews")).await;
    assert!(!page.contains("Équipe Hainaut"));

    // Another operator's crew does not exist for SWDE.
    let voo_crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
         WHERE o.slug = 'voo' LIMIT 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let other = edit(voo_crew, "3", "5000").await.unwrap();
    assert_eq!(other.status().as_u16(), 404);
}

#[tokio::test]
async fn c_4_journey_7_a_crew_ill_for_a_week_flags_the_booked_day_in_one_go() {
    let app = app_with_crews().await;
    let Reserved {
        reference,
        julien,
        url,
        day,
        ..
    } = reserved(&app, &marie()).await;
    let booked = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap();
    let first = (booked - chrono::Days::new(2)).to_string();
    let last = (booked + chrono::Days::new(2)).to_string();

    let elec = app.signed_in("elec@ores.demo").await;
    let crews_page = text_of(&elec, app.url("/operator/crews")).await;
    let crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
         WHERE o.slug = 'ores-electricity' AND c.name = 'Équipe Namur'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let csrf = hidden(&crews_page, "csrf_token");
    let post = |first: &str, last: &str| {
        elec.post(app.url("/operator/crews/absence")).form(&[
            ("csrf_token", csrf.clone()),
            ("crew", crew.clone()),
            ("day", first.to_owned()),
            ("until", last.to_owned()),
        ])
    };
    // The last day before the first, or more than a month at once: refused, nothing saved.
    let response = post(&last, &first).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let far = (booked + chrono::Days::new(40)).to_string();
    let response = post(&first, &far).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("31 jours au plus"));
    assert_eq!(app.count("SELECT COUNT(*) FROM crew_absences").await, 0);

    let response = post(&first, &last).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let notice = response.text().await.unwrap();
    assert!(notice.contains("Absence enregistrée du"), "{notice}");
    assert!(notice.contains(&reference));
    assert_eq!(app.count("SELECT COUNT(*) FROM crew_absences").await, 5);

    let page = text_of(&julien, &url).await;
    assert!(page.contains("Une équipe réservée est absente ce jour-là"));
}

/// The page's text with the entities askama writes for quotes and ampersands read back.
fn plain(page: &str) -> String {
    page.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// One row of the "why not earlier?" table: the days and their reasons.
fn why_row(days: &str, why: &str) -> String {
    format!("<tr><td>{days}</td><td>{why}</td></tr>")
}

#[tokio::test]
async fn c_6_no_day_is_proposed_before_the_commune_decides_on_the_permit() {
    // Namur is on the portal: the joint permit asked with the reservation (C-6) is decided
    // within 45 days, by 16/01/2027 for a reservation on Wednesday 2 December 2026.
    let app = app_with_crews().await;
    let (reference, id) = app.file_assessed(&marie()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let url = app.url(&format!("/backoffice/requests/{id}"));
    let page = plain(&text_of(&julien, &url).await);
    // Saturday 16 January is the decision's last day: Monday 18 January is the first day.
    assert_eq!(first_candidate(&page), "2027-01-18");
    let permit = "en attente de la décision de la commune sur l'autorisation de voirie, \
                  attendue au plus tard le 16/01/2027";
    assert!(
        page.contains(&why_row(
            "02/12/2026 – 03/12/2026",
            &format!(
                "l'offre n'est pas encore envoyée (elle est acceptée et payée avant les \
                 travaux) ; {permit}"
            )
        )),
        "{page}"
    );
    assert!(
        page.contains(&why_row("04/12/2026 – 15/01/2027", permit)),
        "{page}"
    );

    // The applicant's picker proposes the same first day.
    let link = app.private_link(&id).await;
    let track = plain(&text_of(&app.client, &link).await);
    assert_eq!(hidden(&track, "day"), "2027-01-18");

    // A day before the decision is refused, server side, with its reason: nothing is booked
    // and no permit is asked.
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", "2027-01-15".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body = plain(&response.text().await.unwrap());
    assert!(
        body.contains(&format!(
            "Le 15/01/2027 n'est pas possible pour cette demande : {permit}. Choisissez un des \
             jours proposés."
        )),
        "{body}"
    );
    let response = app
        .client
        .post(format!("{link}/day"))
        .form(&[
            ("csrf_token", hidden(&track, "csrf_token")),
            ("day", "2026-12-03".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(plain(&response.text().await.unwrap()).contains(&format!(
        "Le 03/12/2026 n'est pas possible pour cette demande : l'offre n'est pas encore \
         envoyée (elle est acceptée et payée avant les travaux) ; {permit}. Choisissez un des \
         jours proposés."
    )));
    assert_eq!(app.count("SELECT COUNT(*) FROM reservations").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM permits").await, 0);

    // The backlog plan proposes no earlier day either.
    let plan = plain(&text_of(&julien, app.url("/backoffice/plan")).await);
    assert!(plan.contains(&reference), "{plan}");
    assert!(plan.contains("18/01/2027"), "{plan}");
    assert!(!plan.contains("/12/2026"), "{plan}");
}

#[tokio::test]
async fn v_8_2_1_no_day_is_proposed_before_the_offer_can_be_accepted_and_paid() {
    // A telecom crew opens no road (no permit to wait for, C-6): a connection whose offer is
    // not sent yet is accepted and paid at the earliest tomorrow (a transfer ordered today),
    // and the crew comes the working day after.
    let app = app_with_crews().await;
    let fields = with(
        &marie(),
        &[
            ("electricity", ""),
            ("electricity_band", ""),
            ("gas", ""),
            ("water", ""),
            ("voo", ""),
            ("wished_from", ""),
            ("wished_to", ""),
        ],
    );
    let (_, id) = app.file_assessed(&fields).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let url = app.url(&format!("/backoffice/requests/{id}"));
    let page = plain(&text_of(&julien, &url).await);
    // Filed on Wednesday 2 December: Friday 4 December is the first day.
    assert_eq!(first_candidate(&page), "2026-12-04");
    assert!(
        page.contains(&why_row(
            "02/12/2026 – 03/12/2026",
            "l'offre n'est pas encore envoyée (elle est acceptée et payée avant les travaux)"
        )),
        "{page}"
    );
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", "2026-12-02".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(plain(&response.text().await.unwrap()).contains(
        "Le 02/12/2026 n'est pas possible pour cette demande : l'offre n'est pas encore \
         envoyée (elle est acceptée et payée avant les travaux). Choisissez un des jours \
         proposés."
    ));
    assert_eq!(app.count("SELECT COUNT(*) FROM reservations").await, 0);
}

#[tokio::test]
async fn c_6_no_demo_day_falls_in_a_construction_holiday_or_before_its_permit_is_due() {
    // Seeded on Wednesday 2 December 2026: a site planned 16 days ahead lands on Tuesday 22
    // December, in the winter rest days (21-24 December), unless the demo looks.
    let app = crate::helpers::spawn_app_with_demo().await;
    let coming: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT DISTINCT r.day, p.due_on, p.status, q.commune_nis FROM reservations r \
         JOIN permits p ON p.request_id = r.request_id AND p.status <> 'cancelled' \
         JOIN requests q ON q.id = r.request_id WHERE r.day >= $1",
    )
    .bind(app.today().to_string())
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(coming.len() >= 5, "{coming:?}");
    let construction = connect_my_home::services::holidays::load(&app.state.db.pool)
        .await
        .unwrap();
    for (day, due, status, nis) in &coming {
        let province =
            connect_my_home::services::holidays::province_of_commune(&app.state.directory, nis)
                .unwrap();
        let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        assert!(
            connect_my_home::scheduling::WorkCalendar::civil_works(&construction, province)
                .is_working_day(date),
            "{day} ({status}) is not a civil-works working day"
        );
        assert!(
            day > due,
            "works on {day} before the permit is due on {due} ({status})"
        );
    }
}
