//! Construction holidays (rule V-8.2.2) kept by platform administrators: the scheduling reads
//! them from the database, an edit is checked against the other periods and refused field by
//! field, and a period put on a booked joint day flags that request for its case officer.

use chrono::NaiveDate;
use connect_my_home::{scheduling::Province, services::holidays};

use crate::helpers::{
    Reserved, TestApp, answer_of, app_with_crews, client, hidden, marie, reserved, spawn_app,
    text_of,
};

const ADMIN: &str = "admin@connect-my-home.demo";
const PAGE: &str = "/admin/construction-holidays";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Posts a period form; returns the status, the redirect target and the body.
async fn post_period(
    app: &TestApp,
    admin: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let page = text_of(admin, app.url(PAGE)).await;
    let mut form = vec![("csrf_token", hidden(&page, "csrf_token"))];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    answer_of(admin.post(app.url(path)).form(&form).send().await.unwrap()).await
}

async fn period_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM construction_holidays")
        .await
}

/// The fields of the period form.
fn period<'a>(
    name: &'a str,
    first_day: &'a str,
    last_day: &'a str,
    provinces: &[&'a str],
) -> Vec<(&'static str, &'a str)> {
    let mut fields = vec![
        ("name", name),
        ("first_day", first_day),
        ("last_day", last_day),
    ];
    fields.extend(provinces.iter().map(|p| ("provinces", *p)));
    fields
}

/// Posts a period the page must refuse, storing nothing; returns the page.
async fn refused(
    app: &TestApp,
    admin: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let before = period_count(app).await;
    let (status, _, body) = post_period(app, admin, path, fields).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("La période n&#39;a pas été enregistrée"));
    assert_eq!(period_count(app).await, before);
    body
}

#[tokio::test]
async fn v_8_2_2_the_shipped_periods_are_in_the_database() {
    let app = spawn_app().await;
    let data = holidays::load(&app.state.db.pool).await.unwrap();
    // FACTS: winter rest days 2026 (2 January, 15 May, 21-24 December) everywhere, and the
    // 2025 summer holidays by province.
    for province in Province::ALL {
        assert!(data.contains(province, d(2026, 1, 2)));
        assert!(data.contains(province, d(2026, 5, 15)));
        assert!(data.contains(province, d(2026, 12, 24)));
        assert!(!data.contains(province, d(2026, 12, 28)));
    }
    assert!(data.contains(Province::Hainaut, d(2025, 7, 7)));
    assert!(!data.contains(Province::Namur, d(2025, 7, 7)));
    assert!(data.contains(Province::Luxembourg, d(2025, 8, 8)));
    assert!(data.contains(Province::BrabantWallon, d(2025, 8, 1)));
    // 2027 (illustrative until the joint committee publishes it): the bridge after Ascension,
    // the week before Christmas, and the summer by province.
    for province in Province::ALL {
        assert!(data.contains(province, d(2027, 5, 7)));
        assert!(data.contains(province, d(2027, 12, 20)));
        assert!(!data.contains(province, d(2027, 12, 27)));
    }
    assert!(data.contains(Province::Namur, d(2027, 7, 12)));
    assert!(!data.contains(Province::Namur, d(2027, 7, 5)));
    assert!(data.contains(Province::Hainaut, d(2027, 7, 5)));
    assert!(data.contains(Province::Luxembourg, d(2027, 8, 6)));
}

#[tokio::test]
async fn v_8_2_2_administrators_add_change_and_remove_periods_and_bad_ones_save_nothing() {
    let app = spawn_app().await;
    // Only platform administrators keep the holidays.
    let julien = app.signed_in("julien@ores.demo").await;
    let response = julien.get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let anonymous = client().get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);

    let admin = app.signed_in(ADMIN).await;
    let page = text_of(&admin, app.url(PAGE)).await;
    assert!(page.contains("Congés du bâtiment"));
    assert!(page.contains("Jours de repos d&#39;hiver 2026"));
    assert!(page.contains("Toute la Wallonie"));
    assert!(page.contains("Livrée avec le produit"));
    let shipped = period_count(&app).await;
    // 2025 summer and 2026 winter (FACTS), and the illustrative 2027 calendar.
    assert_eq!(shipped, 13);

    // Each field says what is wrong; nothing is stored.
    let body = refused(
        &app,
        &admin,
        PAGE,
        &period("  ", "demain", "2028-07-30", &[]),
    )
    .await;
    assert!(body.contains("Donnez un nom à la période."));
    assert!(body.contains("Indiquez une date, par exemple 12/07/2027."));
    assert!(body.contains("Cochez au moins une province."));
    // What was typed stays in the form.
    assert!(body.contains("value=\"demain\""));

    // A period on the winter rest days of Namur overlaps them.
    let body = refused(
        &app,
        &admin,
        PAGE,
        &period("Repos", "2026-12-23", "28/12/2026", &["namur"]),
    )
    .await;
    assert!(body.contains("chevauche"), "{body}");
    assert!(body.contains("(du 21/12/2026 au 24/12/2026) en province de Namur"));
    assert!(body.contains("value=\"28/12/2026\""));

    // The last day before the first, a length over 45 days, a forged province.
    let body = refused(
        &app,
        &admin,
        PAGE,
        &period("Été", "2028-07-30", "2028-07-12", &["namur"]),
    )
    .await;
    assert!(body.contains("Le dernier jour (12/07/2028) précède le premier jour (30/07/2028)."));
    let body = refused(
        &app,
        &admin,
        PAGE,
        &period("Été", "2028-07-01", "2028-09-01", &["namur"]),
    )
    .await;
    assert!(body.contains("63 jours, c&#39;est plus que les 45 jours"));
    let body = refused(
        &app,
        &admin,
        PAGE,
        &period("Été", "2028-07-12", "2028-07-30", &["bruxelles"]),
    )
    .await;
    assert!(body.contains("Seules les cinq provinces wallonnes"));

    // A valid period is saved and the scheduling sees it at once.
    let (status, location, _) = post_period(
        &app,
        &admin,
        PAGE,
        &period(
            "Congés d'été 2028",
            "2028-07-12",
            "2028-07-30",
            &["namur", "liege"],
        ),
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.starts_with(PAGE), "{location}");
    assert_eq!(period_count(&app).await, shipped + 1);
    let data = holidays::load(&app.state.db.pool).await.unwrap();
    assert!(data.contains(Province::Namur, d(2028, 7, 20)));
    assert!(data.contains(Province::Liege, d(2028, 7, 20)));
    assert!(!data.contains(Province::Hainaut, d(2028, 7, 20)));
    let page = text_of(&admin, app.url(&location)).await;
    assert!(
        page.contains("Période « Congés d&#39;été 2028 » enregistrée."),
        "{page}"
    );
    assert!(page.contains("id=\"year-2028\""));
    assert!(page.contains("Liège, Namur"));
    // 12 to 30 July 2028: 13 weekdays, less the national day (Friday 21 July).
    assert!(page.contains("<td class=\"num\">12</td>"));
    assert!(
        page.contains("Administration"),
        "the change names who made it"
    );

    // Changed: one more week, and Luxembourg.
    let id: String =
        sqlx::query_scalar("SELECT id FROM construction_holidays WHERE first_day = '2028-07-12'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let edit = text_of(&admin, app.url(&format!("{PAGE}/{id}"))).await;
    assert!(edit.contains("value=\"2028-07-30\""));
    assert!(edit.contains("value=\"namur\" checked"));
    assert!(!edit.contains("value=\"hainaut\" checked"));
    let (status, _, _) = post_period(
        &app,
        &admin,
        &format!("{PAGE}/{id}"),
        &period(
            "Congés d'été 2028",
            "2028-07-12",
            "2028-08-06",
            &["namur", "liege", "luxembourg"],
        ),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(period_count(&app).await, shipped + 1);
    let data = holidays::load(&app.state.db.pool).await.unwrap();
    assert!(data.contains(Province::Luxembourg, d(2028, 8, 6)));
    assert!(!data.contains(Province::Hainaut, d(2028, 8, 6)));

    // A refused change keeps the stored period as it was.
    let body = refused(
        &app,
        &admin,
        &format!("{PAGE}/{id}"),
        &period("Congés d'été 2028", "2028-07-12", "2028-07-01", &["namur"]),
    )
    .await;
    assert!(body.contains("Modifier une période de congés du bâtiment"));
    let data = holidays::load(&app.state.db.pool).await.unwrap();
    assert!(data.contains(Province::Luxembourg, d(2028, 8, 6)));

    // Removed: its days are working days again.
    let (status, location, _) =
        post_period(&app, &admin, &format!("{PAGE}/{id}/remove"), &[]).await;
    assert_eq!(status, 303);
    assert!(location.contains("removed="));
    assert_eq!(period_count(&app).await, shipped);
    let data = holidays::load(&app.state.db.pool).await.unwrap();
    assert!(!data.contains(Province::Namur, d(2028, 7, 20)));
    let gone = admin
        .get(app.url(&format!("{PAGE}/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 404);
}

#[tokio::test]
async fn v_8_2_2_a_period_put_on_a_booked_day_flags_the_request_and_moves_the_candidates() {
    let app = app_with_crews().await;
    let Reserved {
        reference,
        id,
        julien,
        url,
        day,
    } = reserved(&app, &marie()).await;
    let booked = NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap();
    let admin = app.signed_in(ADMIN).await;

    // A rest day in Hainaut does not touch a site in Namur.
    let (status, location, _) = post_period(
        &app,
        &admin,
        PAGE,
        &period("Repos Hainaut", &day, &day, &["hainaut"]),
    )
    .await;
    assert_eq!(status, 303);
    assert!(!location.contains(&reference), "{location}");
    let page = text_of(&julien, &url).await;
    assert!(!page.contains("id=\"construction-holiday\""));

    // In Namur it takes the civil-works crews' day away: the officer is told.
    let (status, location, _) = post_period(
        &app,
        &admin,
        PAGE,
        &period("Repos exceptionnel", &day, &day, &["namur"]),
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.contains(&reference), "{location}");
    let notice = text_of(&admin, app.url(&location)).await;
    assert!(notice.contains(&format!(
        "Elle tombe sur le jour commun réservé de {reference}"
    )));
    let page = text_of(&julien, &url).await;
    assert!(page.contains("id=\"construction-holiday\""), "{page}");
    assert!(page.contains("Les congés du bâtiment « Repos exceptionnel » tombent le"));
    assert!(page.contains("Des congés du bâtiment tombent désormais le jour commun réservé"));

    // Once the day is cancelled, the holiday is not among the candidates any more.
    let csrf = hidden(&page, "csrf_token");
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day/cancel")))
        .form(&[
            ("csrf_token", csrf),
            ("reason", "Congés du bâtiment".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(&julien, &url).await;
    let first = NaiveDate::parse_from_str(&hidden(&page, "day"), "%Y-%m-%d").unwrap();
    assert!(first > booked, "{first} after {booked}");
}
