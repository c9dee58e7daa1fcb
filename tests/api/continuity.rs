//! Warned before the data runs out: from 60 days before an operator's last tariff book ends,
//! its administrators and the coordinator see it in their portal and get one email (rule V-5:
//! a day without a book cannot be priced); from 60 days before the year ends, the platform
//! administrators see that next year's construction holidays are missing and get one email
//! (V-8.2.2). The warnings go as soon as the next book or period is entered.

use chrono::NaiveDate;
use connect_my_home::{
    db::{
        organisations,
        users::{self, NewUser},
    },
    services::{
        auth::hash_password,
        continuity::{self, Sent},
    },
};

use crate::helpers::{PASSWORD, TestApp, hidden, spawn_app_at, spawn_app_at_with, text_of};

const ORES_ADMIN: &str = "tarifs@ores.demo";
const SWDE_ADMIN: &str = "admin@swde.demo";
const OFFICER: &str = "julien@ores.demo";
const PLATFORM_ADMIN: &str = "admin@connect-my-home.demo";
const HOLIDAYS: &str = "/admin/construction-holidays";

/// Two days before the warnings start (31 December 2027 - 60 days = 1 November 2027).
const BEFORE: &str = "2027-10-31T09:00:00Z";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The app at `start` without its background jobs: the test runs the daily job itself.
async fn app_at(start: &str) -> TestApp {
    spawn_app_at_with(start, |config| config.run_workers = false).await
}

/// SWDE's administrator (the demo accounts have ORES' only), who reads English.
async fn add_swde_admin(app: &TestApp) {
    let swde = organisations::by_slug(&app.state.db, "swde").await.unwrap();
    users::ensure(
        &app.state.db,
        &NewUser {
            organisation_id: swde.id,
            email: SWDE_ADMIN,
            display_name: "SWDE tariff administration",
            role: connect_my_home::domain::tenancy::Role::OperatorAdmin,
            password_hash: &hash_password(PASSWORD),
            language: "en",
        },
        app.now(),
    )
    .await
    .unwrap();
}

/// The warnings above a page, one per paragraph, as the reader reads them (HTML entities
/// decoded, link kept as `[label](href)`); empty when there is none.
fn warnings(page: &str) -> Vec<String> {
    let Some(start) = page.find("<div class=\"alert notice\" id=\"warnings\">") else {
        return Vec::new();
    };
    let block = &page[start..];
    let block = &block[..block.find("</div>").unwrap()];
    block
        .split("<p>")
        .skip(1)
        .map(|paragraph| {
            let text = paragraph.split("</p>").next().unwrap();
            let text = match text.split_once(" <a href=\"") {
                Some((text, link)) => {
                    let (href, label) = link.split_once("\">").unwrap();
                    let label = label.trim_end_matches("</a>");
                    format!("{text} [{label}]({href})")
                }
                None => text.to_owned(),
            };
            text.replace("&#39;", "'").replace("&amp;", "&")
        })
        .collect()
}

async fn warnings_on(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<String> {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    warnings(&response.text().await.unwrap())
}

/// What an operator administrator reads (French page).
fn operator_warning(operator: &str, version: &str) -> String {
    format!(
        "{operator} : le barème {version} se termine le 31/12/2027 et aucun barème ne prend le \
         relais le 01/01/2028. Déposez dès maintenant le barème suivant ; sans lui, les \
         demandes datées après le 31/12/2027 ne pourront pas être chiffrées (règle V-5). \
         [Déposer le barème suivant](/operator/tariffs#upload)"
    )
}

/// What the coordinator reads (French page).
fn coordinator_warning(operator: &str, version: &str) -> String {
    format!(
        "{operator} : le barème {version} se termine le 31/12/2027 et aucun barème ne prend le \
         relais le 01/01/2028. Sans barème suivant, la part {operator} des demandes datées \
         après le 31/12/2027 ne pourra pas être chiffrée (règle V-5) : demandez à {operator} \
         de le déposer."
    )
}

const HOLIDAYS_WARNING: &str = "Aucune période de congés du bâtiment n'est encodée pour 2028. \
    Encodez les périodes 2028 dès que le secteur les publie : d'ici là, les jours communs et \
    les délais de travaux de 2028 n'en tiennent pas compte (règle V-8.2.2). \
    [Encoder les congés du bâtiment 2028](/admin/construction-holidays#add)";

/// The continuity emails queued: (kind, recipient, subject), in that order.
async fn queued(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT kind, recipient, subject FROM outbox \
         WHERE kind IN ('tariff_book_ending', 'construction_holidays_missing') \
         ORDER BY kind, recipient, subject",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

async fn body_of(app: &TestApp, recipient: &str, subject: &str) -> String {
    sqlx::query_scalar("SELECT body_text FROM outbox WHERE recipient = $1 AND subject = $2")
        .bind(recipient)
        .bind(subject)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// The shipped ORES 2027 book moved to 2028 under its own version.
fn ores_2028() -> String {
    include_str!("../../tariffs/ores-2027.toml")
        .replace("ORES-2027-demo.1", "ORES-2028.1")
        .replace("valid_from = 2027-01-01", "valid_from = 2028-01-01")
        .replace("valid_until = 2027-12-31", "valid_until = 2028-12-31")
}

#[tokio::test]
async fn v_5_a_last_book_ending_within_60_days_is_warned_to_its_operator_and_the_coordinator_and_emailed_once()
 {
    let app = app_at(BEFORE).await;
    add_swde_admin(&app).await;

    // 31 October 2027: the 2027 books end in 61 days; nothing is warned, nothing sent.
    let ores_admin = app.signed_in(ORES_ADMIN).await;
    let officer = app.signed_in(OFFICER).await;
    let platform = app.signed_in(PLATFORM_ADMIN).await;
    for (client, path) in [
        (&ores_admin, "/operator/tariffs"),
        (&ores_admin, "/operator"),
        (&officer, "/backoffice"),
        (&platform, HOLIDAYS),
        (&platform, "/backoffice"),
    ] {
        assert_eq!(
            warnings_on(&app, client, path).await,
            [] as [String; 0],
            "{path}"
        );
    }
    let sent = continuity::run_daily(&app.state, app.now()).await.unwrap();
    assert_eq!(sent, Sent::default());
    assert!(queued(&app).await.is_empty());

    // 2 November 2027: every operator's last book ends on 31 December with nothing after it.
    app.advance_to(d(2027, 11, 2));
    let ores_admin = app.signed_in(ORES_ADMIN).await;
    let swde_admin = app.signed_in(SWDE_ADMIN).await;
    let officer = app.signed_in(OFFICER).await;
    let ores = operator_warning("ORES", "ORES-2027-demo.1");
    for path in ["/operator/tariffs", "/operator"] {
        assert_eq!(
            warnings_on(&app, &ores_admin, path).await,
            std::slice::from_ref(&ores),
            "{path}"
        );
    }
    assert_eq!(
        warnings_on(&app, &swde_admin, "/operator/tariffs").await,
        [operator_warning("SWDE", "SWDE-2027-demo.1")]
    );
    let all_four = [
        coordinator_warning("ORES", "ORES-2027-demo.1"),
        coordinator_warning("SWDE", "SWDE-2027-demo.1"),
        coordinator_warning("Proximus", "PROXIMUS-2027-demo.1"),
        coordinator_warning("VOO", "VOO-2027-demo.1"),
    ];
    assert_eq!(warnings_on(&app, &officer, "/backoffice").await, all_four);
    // In the reader's language: German dates are written 31.12.2027.
    let german = ores_admin
        .get(app.url("/operator/tariffs"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        warnings(&german),
        [
            "ORES: Die Tarifliste ORES-2027-demo.1 endet am 31.12.2027, und ab dem 01.01.2028 gilt \
          keine weitere Tarifliste. Laden Sie jetzt die nächste Tarifliste hoch; ohne sie \
          können Anträge mit Datum nach dem 31.12.2027 nicht berechnet werden (Regel V-5). \
          [Die nächste Tarifliste hochladen](/operator/tariffs#upload)"
        ]
    );
    // Operator staff who upload no book are not warned: SWDE's, nor ORES' own.
    for email in ["eau@swde.demo", "elec@ores.demo", "raccordement@voo.demo"] {
        let staff = app.signed_in(email).await;
        assert_eq!(
            warnings_on(&app, &staff, "/operator").await,
            [] as [String; 0],
            "{email}"
        );
    }

    // The daily job, twice: one email per recipient and book, in the recipient's language.
    let first = continuity::run_daily(&app.state, app.now()).await.unwrap();
    let second = continuity::run_daily(&app.state, app.now()).await.unwrap();
    // Four books and the 2028 construction holidays.
    assert_eq!(
        first,
        Sent {
            notices: 5,
            emails: 11
        }
    );
    assert_eq!(second, Sent::default());
    let subject = |version: &str| format!("Barème {version} : aucun barème après le 31/12/2027");
    let row = |kind: &str, to: &str, subject: String| (kind.to_owned(), to.to_owned(), subject);
    let book = "tariff_book_ending";
    assert_eq!(
        queued(&app).await,
        [
            row(
                "construction_holidays_missing",
                PLATFORM_ADMIN,
                "Congés du bâtiment 2028 à encoder".into()
            ),
            row(
                book,
                SWDE_ADMIN,
                "Tariff book SWDE-2027-demo.1: no book after 31/12/2027".into()
            ),
            row(book, OFFICER, subject("ORES-2027-demo.1")),
            row(book, OFFICER, subject("PROXIMUS-2027-demo.1")),
            row(book, OFFICER, subject("SWDE-2027-demo.1")),
            row(book, OFFICER, subject("VOO-2027-demo.1")),
            row(book, "sophie@ores.demo", subject("ORES-2027-demo.1")),
            row(book, "sophie@ores.demo", subject("PROXIMUS-2027-demo.1")),
            row(book, "sophie@ores.demo", subject("SWDE-2027-demo.1")),
            row(book, "sophie@ores.demo", subject("VOO-2027-demo.1")),
            row(book, ORES_ADMIN, subject("ORES-2027-demo.1")),
        ]
    );
    let base = &app.state.base_url;
    assert_eq!(
        body_of(&app, ORES_ADMIN, &subject("ORES-2027-demo.1")).await,
        format!(
            "Bonjour Administration tarifaire ORES,\n\n\
             ORES : le barème ORES-2027-demo.1 se termine le 31/12/2027 et aucun barème ne \
             prend le relais le 01/01/2028. Déposez dès maintenant le barème suivant ; sans \
             lui, les demandes datées après le 31/12/2027 ne pourront pas être chiffrées \
             (règle V-5).\n\n\
             Déposer le barème suivant : {base}/operator/tariffs#upload\n\n\
             L'équipe Connect my home — ORES, SWDE, Proximus et VOO"
        )
    );
    assert_eq!(
        body_of(&app, OFFICER, &subject("VOO-2027-demo.1")).await,
        "Bonjour Julien Lambert,\n\n\
         VOO : le barème VOO-2027-demo.1 se termine le 31/12/2027 et aucun barème ne prend le \
         relais le 01/01/2028. Sans barème suivant, la part VOO des demandes datées après le \
         31/12/2027 ne pourra pas être chiffrée (règle V-5) : demandez à VOO de le déposer.\n\n\
         L'équipe Connect my home — ORES, SWDE, Proximus et VOO"
    );
    assert_eq!(
        body_of(
            &app,
            SWDE_ADMIN,
            "Tariff book SWDE-2027-demo.1: no book after 31/12/2027"
        )
        .await,
        format!(
            "Hello SWDE tariff administration,\n\n\
             SWDE: tariff book SWDE-2027-demo.1 ends on 31/12/2027 and no book takes over on \
             01/01/2028. Upload the next book now; without it, requests dated after 31/12/2027 \
             cannot be priced (rule V-5).\n\n\
             Upload the next book: {base}/operator/tariffs#upload\n\n\
             The Connect my home team — ORES, SWDE, Proximus and VOO"
        )
    );

    // ORES uploads its 2028 book: its warning goes, everywhere; SWDE's stays.
    let page = text_of(&ores_admin, app.url("/operator/tariffs")).await;
    let response = ores_admin
        .post(app.url("/operator/tariffs"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("book", ores_2028()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    for path in ["/operator/tariffs", "/operator"] {
        assert_eq!(
            warnings_on(&app, &ores_admin, path).await,
            [] as [String; 0],
            "{path}"
        );
    }
    assert_eq!(
        warnings_on(&app, &officer, "/backoffice").await,
        all_four[1..]
    );
    assert_eq!(
        warnings_on(&app, &swde_admin, "/operator/tariffs").await,
        [operator_warning("SWDE", "SWDE-2027-demo.1")]
    );
    // Nothing more is sent, the next day either.
    app.advance_to(d(2027, 11, 3));
    let sent = continuity::run_daily(&app.state, app.now()).await.unwrap();
    assert_eq!(sent, Sent::default());
    assert_eq!(queued(&app).await.len(), 11);
}

#[tokio::test]
async fn v_8_2_2_next_years_construction_holidays_missing_are_warned_to_the_platform_admin_until_entered()
 {
    let app = app_at("2027-11-02T09:00:00Z").await;
    let platform = app.signed_in(PLATFORM_ADMIN).await;
    // On the holidays page, on the page an administrator lands on, and on the outbox.
    for path in [HOLIDAYS, "/backoffice", "/admin/outbox"] {
        assert_eq!(
            warnings_on(&app, &platform, path).await,
            [HOLIDAYS_WARNING],
            "{path}"
        );
    }
    // The coordinator is warned of the books only.
    let officer = app.signed_in(OFFICER).await;
    let seen = warnings_on(&app, &officer, "/backoffice").await;
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|w| !w.contains("congés")), "{seen:?}");

    continuity::run_daily(&app.state, app.now()).await.unwrap();
    continuity::run_daily(&app.state, app.now()).await.unwrap();
    let holidays: Vec<_> = queued(&app)
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "construction_holidays_missing")
        .collect();
    assert_eq!(
        holidays,
        [(
            "construction_holidays_missing".to_owned(),
            PLATFORM_ADMIN.to_owned(),
            "Congés du bâtiment 2028 à encoder".to_owned()
        )]
    );
    assert_eq!(
        body_of(&app, PLATFORM_ADMIN, "Congés du bâtiment 2028 à encoder").await,
        format!(
            "Bonjour Administration,\n\n\
             Aucune période de congés du bâtiment n'est encodée pour 2028. Encodez les périodes \
             2028 dès que le secteur les publie : d'ici là, les jours communs et les délais de \
             travaux de 2028 n'en tiennent pas compte (règle V-8.2.2).\n\n\
             Encoder les congés du bâtiment 2028 : {}/admin/construction-holidays#add\n\n\
             L'équipe Connect my home — ORES, SWDE, Proximus et VOO",
            app.state.base_url
        )
    );

    // A 2028 period entered on the page: the warning goes.
    let page = text_of(&platform, app.url(HOLIDAYS)).await;
    let response = platform
        .post(app.url(HOLIDAYS))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("name", "Jour de repos d'hiver 2028"),
            ("first_day", "2028-05-26"),
            ("last_day", "2028-05-26"),
            ("provinces", "brabant_wallon"),
            ("provinces", "hainaut"),
            ("provinces", "liege"),
            ("provinces", "luxembourg"),
            ("provinces", "namur"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    for path in [HOLIDAYS, "/backoffice", "/admin/outbox"] {
        assert_eq!(
            warnings_on(&app, &platform, path).await,
            [] as [String; 0],
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_hourly_job_sends_the_notices_at_start() {
    let app = spawn_app_at("2027-11-02T09:00:00Z").await;
    for _ in 0..100 {
        if app.count("SELECT COUNT(*) FROM notices").await == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notices WHERE kind = 'tariff_book_ending'")
            .await,
        4
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM notices \
             WHERE kind = 'construction_holidays_missing' AND subject = '2028'"
        )
        .await,
        1
    );
    // The job run again by hand finds them sent.
    let sent = continuity::run_daily(&app.state, app.now()).await.unwrap();
    assert_eq!(sent, Sent::default());
}

#[tokio::test]
async fn two_instances_running_the_job_at_once_send_each_notice_once() {
    let app = app_at("2027-11-02T09:00:00Z").await;
    let other = app.another_instance().await;
    let now = app.now();
    let (one, two) = tokio::join!(
        continuity::run_daily(&app.state, now),
        continuity::run_daily(&other.state, now)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.notices + two.notices, 5, "{one:?} {two:?}");
    // Without SWDE's administrator: ORES', two case officers per book, the platform's.
    assert_eq!(one.emails + two.emails, 10, "{one:?} {two:?}");
    assert_eq!(queued(&app).await.len(), 10);
}
