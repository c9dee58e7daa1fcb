//! Rule C-6 seen from the commune (issue 22, points 1 and 10): told by email of each joint
//! road-works permit requested, in each clerk's language, once per request; landing on its
//! dashboard, where the most urgent permit comes first; its CSV opens in a Belgian Excel.

use chrono::NaiveDate;
use connect_my_home::{
    db::{
        organisations,
        users::{self, NewUser},
    },
    services::auth::hash_password,
    web::municipality::excel_csv,
};

use crate::helpers::{
    Reserved, TestApp, app_with_crews, hidden, marie, marie_from, reserved, text_of, with,
};

/// Every candidate day the request page offers to reserve, earliest first.
fn candidate_days(page: &str) -> Vec<String> {
    page.split("name=\"day\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// The officer reserves `day` for request `id` through the request page's form; the status.
async fn reserve(app: &TestApp, officer: &reqwest::Client, id: &str, day: &str) -> u16 {
    let page = text_of(officer, app.url(&format!("/backoffice/requests/{id}"))).await;
    officer
        .post(app.url(&format!("/backoffice/requests/{id}/day")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", day.to_owned()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The permit requests mailed about request `id`: (recipient, subject, text), by recipient
/// then time.
async fn permit_mails(app: &TestApp, id: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT recipient, subject, body_text FROM outbox \
         WHERE request_id = $1 AND kind = 'permit_requested' ORDER BY recipient, created_at",
    )
    .bind(id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

async fn open_permit(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1 AND status <> 'cancelled'")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONATE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// A day written out by hand, as a French reader reads it: `16 janvier 2027`, `1er mars 2027`.
fn french(day: &str) -> String {
    let (y, m, d) = ymd(day);
    let d = if d == 1 { "1er".into() } else { d.to_string() };
    format!("{d} {} {y}", MOIS[m - 1])
}

/// The same in German: `16. Januar 2027`.
fn german(day: &str) -> String {
    let (y, m, d) = ymd(day);
    format!("{d}. {} {y}", MONATE[m - 1])
}

fn ymd(day: &str) -> (i32, usize, u32) {
    let mut parts = day.split('-');
    (
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().parse().unwrap(),
    )
}

#[tokio::test]
async fn c_6_the_commune_is_mailed_each_permit_request_once_per_clerk_in_their_language() {
    let app = app_with_crews().await;
    // A second clerk of Namur reads German; a clerk of Mons hears nothing of Namur's works.
    let namur = organisations::by_slug(&app.state.db, "namur")
        .await
        .unwrap();
    users::ensure(
        &app.state.db,
        &NewUser {
            organisation_id: namur.id,
            email: "schmitt@namur.test",
            display_name: "Anna Schmitt",
            role: connect_my_home::domain::tenancy::Role::Municipality,
            password_hash: &hash_password("ein-langes-passwort-2026"),
            language: "de",
        },
        app.now(),
    )
    .await
    .unwrap();

    let Reserved {
        id,
        reference,
        julien,
        url,
        day,
    } = reserved(&app, &marie()).await;
    let permit = open_permit(&app, &id).await;
    let link = app.url(&format!("/commune/permits/{permit}"));
    // Requested on 02/12/2026: the commune decides within 45 days, by 16/01/2027.
    let mails = permit_mails(&app, &id).await;
    let recipients: Vec<&str> = mails.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(
        recipients,
        ["schmitt@namur.test", "travaux@namur.demo"],
        "one mail to each clerk of the commune, none elsewhere"
    );

    let (_, subject, text) = &mails[1];
    assert_eq!(
        subject,
        &format!(
            "Permis de voirie conjoint demandé — demande {reference}, décision attendue le 16 janvier 2027"
        )
    );
    assert!(text.contains("Bonjour Service travaux de Namur,"), "{text}");
    assert!(text.contains(&reference));
    assert!(
        text.contains("Adresse du chantier : Rue des Tanneries 14, 5000 Namur"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Jour des travaux : {}", french(&day))),
        "{text}"
    );
    assert!(
        text.contains("Électricité (ORES) : tranchée de 15 m"),
        "{text}"
    );
    assert!(text.contains("Eau (SWDE) : tranchée de 12 m"), "{text}");
    assert!(
        text.contains("Proximus : pose dans la tranchée commune"),
        "{text}"
    );
    assert!(
        text.contains("Votre décision est attendue au plus tard le 16 janvier 2027."),
        "{text}"
    );
    assert!(text.contains(&link), "{text}");

    let (_, subject, text) = &mails[0];
    assert_eq!(
        subject,
        &format!(
            "Gemeinsame Straßenbaugenehmigung beantragt — Antrag {reference}, Entscheidung bis 16. Januar 2027"
        )
    );
    assert!(
        text.contains(&format!("Tag der Arbeiten: {}", german(&day))),
        "{text}"
    );
    assert!(text.contains("Strom (ORES): Graben von 15 m"), "{text}");
    assert!(text.contains("Wasser (SWDE): Graben von 12 m"), "{text}");
    assert!(text.contains("spätestens am 16. Januar 2027"), "{text}");
    assert!(text.contains(&link), "{text}");
    assert!(!text.contains("Adresse du chantier"), "German only: {text}");

    // The same reservation again (a second click, a reload): the day is taken, nothing more
    // is sent.
    let status = reserve(&app, &julien, &id, &day).await;
    assert!(status < 500, "{status}");
    assert_eq!(permit_mails(&app, &id).await.len(), 2, "not sent twice");
    assert_eq!(open_permit(&app, &id).await, permit);

    // A cancelled day and a new one: a new permit request, told again with its own link.
    let page = text_of(&julien, &url).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day/cancel")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("reason", "Le demandeur change de date".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(&julien, &url).await;
    assert_eq!(
        reserve(&app, &julien, &id, &hidden(&page, "day")).await,
        303
    );
    let again = open_permit(&app, &id).await;
    assert_ne!(again, permit);
    let mails = permit_mails(&app, &id).await;
    assert_eq!(mails.len(), 4, "one more to each clerk");
    let new_link = app.url(&format!("/commune/permits/{again}"));
    assert_eq!(
        mails
            .iter()
            .filter(|(_, _, text)| text.contains(&new_link))
            .count(),
        2
    );
}

/// Posts a form of `page_url` (its CSRF token) to `action` with `client`; the status.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    page_url: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> u16 {
    let page = text_of(client, page_url).await;
    let csrf = hidden(&page, "csrf_token");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn c_6_a_refused_permit_asked_again_is_mailed_again_with_its_new_deadline() {
    let app = app_with_crews().await;
    let Reserved { id, url, .. } = reserved(&app, &marie()).await;
    let permit = open_permit(&app, &id).await;
    let permit_url = app.url(&format!("/commune/permits/{permit}"));

    // On 10/12/2026 the commune refuses; the officer states the site again the same day.
    app.advance_to(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap());
    let namur = app.signed_in("travaux@namur.demo").await;
    let status = post(
        &app,
        &namur,
        &permit_url,
        &format!("/commune/permits/{permit}/decision"),
        &[("action", "refuse"), ("text", "Chaussée refaite en 2026")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        permit_mails(&app, &id).await.len(),
        1,
        "a decision mails no clerk"
    );
    let julien = app.signed_in("julien@ores.demo").await;
    let status = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/permit/site"),
        &[
            ("road_type", "communal"),
            ("sidewalk_openings", "1"),
            ("road_openings", "0"),
            ("traffic_measures", "Trottoir seulement"),
            ("site_point", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);

    // Asked again: 45 days from 10/12/2026 is 24/01/2027, on the same permit's page.
    let mails = permit_mails(&app, &id).await;
    assert_eq!(mails.len(), 2);
    let (recipient, subject, text) = &mails[1];
    assert_eq!(recipient, "travaux@namur.demo");
    assert!(
        subject.ends_with("décision attendue le 24 janvier 2027"),
        "{subject}"
    );
    assert!(text.contains(&permit_url), "{text}");
    assert!(
        text.contains("Électricité (ORES) : tranchée de 15 m"),
        "{text}"
    );

    // Changing the details of a permit still pending is no new request.
    let status = post(
        &app,
        &julien,
        &url,
        &format!("/backoffice/requests/{id}/permit/site"),
        &[
            ("road_type", "communal"),
            ("sidewalk_openings", "2"),
            ("road_openings", "0"),
            ("traffic_measures", "Trottoir seulement"),
            ("site_point", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(permit_mails(&app, &id).await.len(), 2);
}

#[tokio::test]
async fn c_6_a_clerk_lands_on_the_commune_dashboard_after_signing_in() {
    let app = app_with_crews().await;
    let sign_in = |email: &'static str, next: &'static str| {
        let app = &app;
        async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap();
            let page = text_of(&client, app.url("/login")).await;
            let response = client
                .post(app.url("/login"))
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token").as_str()),
                    ("email", email),
                    ("password", "demo-connect-2026"),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 303, "{email}");
            response.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(sign_in("travaux@namur.demo", "/").await, "/commune");
    assert_eq!(sign_in("travaux@charleroi.demo", "/").await, "/commune");
    // A page asked for before signing in still wins; the case officer's home is the queue.
    assert_eq!(
        sign_in("travaux@mons.demo", "/commune/calendar").await,
        "/commune/calendar"
    );
    assert_eq!(sign_in("julien@ores.demo", "/").await, "/backoffice");
}

#[tokio::test]
async fn c_6_the_permit_whose_works_come_first_is_listed_first() {
    // Works come after the day their permit's decision is due (C-6), until a refused permit
    // is asked again with a new deadline while its day stays: then the works may come first.
    let app = app_with_crews().await;
    let julien = app.signed_in("julien@ores.demo").await;

    // A: asked on 02/12/2026 (due 16/01/2027), works on the first day proposed.
    let (reference_a, id_a) = app.file_assessed(&marie()).await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id_a}"))).await;
    let day_a = hidden(&page, "day");
    assert_eq!(
        day_a, "2027-01-18",
        "the first working day after 16/01/2027"
    );
    assert_eq!(reserve(&app, &julien, &id_a, &day_a).await, 303);

    // B: asked on 07/12/2026 (due 21/01/2027) for works wished from the spring, on the
    // latest day proposed.
    app.advance_to(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
    let julien = app.signed_in("julien@ores.demo").await;
    let later = marie_from(app.today() + chrono::Duration::days(60));
    let later = with(
        &later,
        &[
            ("name", "Luc Martin"),
            ("email", "luc.martin@example.be"),
            ("house_number", "30"),
        ],
    );
    let (reference_b, id_b) = app.file_assessed(&later).await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id_b}"))).await;
    let day_b = candidate_days(&page).last().unwrap().clone();
    assert_eq!(reserve(&app, &julien, &id_b, &day_b).await, 303);

    // On 10/12 Namur refuses A's permit; the officer changes the site and it is asked again:
    // due 24/01/2027, its works still on 18/01.
    app.advance_to(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap());
    let julien = app.signed_in("julien@ores.demo").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_a: String = sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1")
        .bind(&id_a)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let page = text_of(&namur, app.url(&format!("/commune/permits/{permit_a}"))).await;
    let response = namur
        .post(app.url(&format!("/commune/permits/{permit_a}/decision")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("action", "refuse".to_owned()),
            (
                "text",
                "Trottoir rénové en 2026 : passez par la chaussée.".to_owned(),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id_a}"))).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id_a}/permit/site")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("road_type", "communal".to_owned()),
            ("sidewalk_openings", "0".to_owned()),
            ("road_openings", "1".to_owned()),
            ("traffic_measures", String::new()),
            ("site_point", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    let due = |id: String| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT due_on FROM permits WHERE request_id = $1 AND status = 'pending'",
            )
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(due(id_b.clone()).await, "2027-01-21");
    assert_eq!(due(id_a.clone()).await, "2027-01-24");
    // What makes A the more urgent: its works come before B's deadline, B's after it.
    assert!(day_a.as_str() < "2027-01-21", "A's works on {day_a}");
    assert!(day_b.as_str() > "2027-01-21", "B's works on {day_b}");

    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&namur, app.url("/commune")).await;
    let a = page.find(&reference_a).expect("A listed");
    let b = page.find(&reference_b).expect("B listed");
    assert!(a < b, "the works of {reference_a} come first");
    let json = crate::helpers::json_of(&namur, app.url("/api/v1/permits"), 200).await;
    let order: Vec<&str> = json["to_decide"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["reference"].as_str().unwrap())
        .collect();
    assert_eq!(order, [reference_a.as_str(), reference_b.as_str()]);
}

#[tokio::test]
async fn the_commune_csv_opens_in_a_belgian_excel() {
    let app = app_with_crews().await;
    connect_my_home::demo::history::demo_history(&app.state)
        .await
        .unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let bytes = namur
        .get(app.url("/commune/figures.csv?from=2026-04-01&to=2026-04-30"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "a UTF-8 byte order mark first"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    // By hand from Namur's demo site of April 2026: one day, one opening instead of two,
    // 12 m of shared trench, a street opened again within 12 months. Headers unchanged.
    assert_eq!(
        text,
        "Mois;jours de chantier;ouvertures de voirie faites;ouvertures avec des rendez-vous séparés;ouvertures de voirie évitées;passages d'équipes évités;Tranchée commune (m);rues ouvertes plus d'une fois en 12 mois\n\
         2026-04;1;1;2;1;1;12;1\n\
         Total;1;1;2;1;1;12;1\n"
    );
    let julien = app.signed_in("julien@ores.demo").await;
    let bytes = julien
        .get(app.url("/backoffice/nuisance.csv?from=2026-01-01&to=2026-01-31"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with("\u{feff}Mois;".as_bytes()));

    // A field holding the separator or a quote is quoted, its quotes doubled; a length has a
    // decimal comma.
    let csv = excel_csv([
        vec!["Rue".to_owned(), "Tranchée commune (m)".to_owned()],
        vec!["Rue de Fer; Namur".to_owned(), "12,5".to_owned()],
        vec!["Dit \"le Pont\"".to_owned(), "3".to_owned()],
    ])
    .unwrap();
    assert_eq!(
        csv,
        "\u{feff}Rue;Tranchée commune (m)\n\"Rue de Fer; Namur\";12,5\n\"Dit \"\"le Pont\"\"\";3\n"
    );
}
