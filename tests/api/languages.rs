//! German, the third language: East Belgium's communes (Eupen, Sankt Vith…) are served by
//! ORES, and their citizens file and follow their request in German.

use crate::helpers::{client, hidden, spawn_app, text_of, with};

/// Lukas's request for his new house in Eupen, in German.
fn lukas() -> Vec<(&'static str, String)> {
    let start = crate::helpers::start_day() + chrono::Duration::days(40);
    let end = start + chrono::Duration::days(60);
    vec![
        ("applicant_kind", "natural".into()),
        ("name", "Lukas Schmitz".into()),
        ("email", "lukas.schmitz@example.be".into()),
        ("phone", "+32 87 59 18 00".into()),
        ("language", "de".into()),
        ("street", "Hookstraße".into()),
        ("house_number", "12".into()),
        ("postcode", "4700".into()),
        ("building", "house".into()),
        ("electricity", "on".into()),
        ("electricity_band", "3x25".into()),
        ("water", "on".into()),
        ("proximus", "on".into()),
        ("wished_from", start.to_string()),
        ("wished_to", end.to_string()),
    ]
}

#[tokio::test]
async fn a_request_in_eupen_is_filed_confirmed_and_followed_in_german() {
    let app = spawn_app().await;

    // The language switch offers German; the form then speaks German and proposes it.
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("hreflang=\"de\">Deutsch</a>"), "{home}");
    let switched = app.get("/lang/de?next=/request/new").await;
    assert_eq!(switched.status().as_u16(), 303);
    let (_, form) = app.get_text("/request/new").await;
    assert!(form.contains("<html lang=\"de\">"));
    assert!(form.contains("Mein Antrag auf Anschlüsse"));
    assert!(form.contains("<option value=\"de\" selected>Deutsch</option>"));
    assert!(form.contains("hreflang=\"fr\">Français</a>"));
    assert!(form.contains("hreflang=\"en\">English</a>"));
    assert!(!form.contains("hreflang=\"de\""), "no switch to itself");

    let (reference, filed_url) = app.file_ok(&lukas()).await;
    let (_, filed) = app.get_text(&filed_url).await;
    assert!(filed.contains("Ihr Antrag ist registriert"), "{filed}");
    let language: String = sqlx::query_scalar("SELECT language FROM requests WHERE reference = $1")
        .bind(&reference)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(language, "de");

    // The confirmation email is in German.
    app.wait_outbox_idle().await;
    let (subject, body, html): (String, String, Option<String>) = sqlx::query_as(
        "SELECT subject, body_text, body_html FROM outbox \
         WHERE recipient = 'lukas.schmitz@example.be'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        subject,
        format!("Ihr Antrag auf Anschlüsse {reference} ist registriert")
    );
    for expected in [
        "Guten Tag Lukas Schmitz,",
        "Baustelle:",
        "Hookstraße 12, 4700 Eupen",
        "Strom (ORES)",
        "Wasser (SWDE)",
        "Verfolgen Sie Ihren Antrag jederzeit über diesen privaten Link:",
    ] {
        assert!(body.contains(expected), "{expected} missing from:\n{body}");
    }
    assert!(!body.contains("Bonjour"), "{body}");
    assert!(html.unwrap_or_default().contains("lang=\"de\""));

    // The private link opens the status page in German for a German browser.
    let start = body.find(&app.url("/track/")).expect("private link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();
    app.wait_state(&app.request_id(&reference).await, "assessed")
        .await;
    let page = client()
        .get(&link)
        .header("accept-language", "de-BE,de;q=0.9,fr;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    for expected in [
        "<html lang=\"de\">",
        &reference,
        "Aktueller Schritt:",
        "Von den Netzbetreibern geprüft",
        "Antrag gestellt",
        "Alle Netzbetreiber haben Ihren Antrag geprüft",
        "Hookstraße 12, 4700 Eupen",
    ] {
        assert!(page.contains(expected), "{expected} missing from the page");
    }
    assert!(!page.contains("Étudiée par les opérateurs"));
    // The timeline's dates are written the German way.
    assert!(
        page.contains("02.12.2026"),
        "the filing day missing from the page"
    );

    // A case officer reading in German gets the queue's dates the German way too.
    let julien = app.signed_in("julien@ores.demo").await;
    let switched = julien
        .get(app.url("/lang/de?next=/backoffice"))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status().as_u16(), 303);
    let queue = crate::helpers::text_of(&julien, app.url("/backoffice")).await;
    assert!(queue.contains("<html lang=\"de\">"));
    assert!(
        queue.contains("02.12.2026"),
        "the filing day missing from the queue"
    );
}

#[tokio::test]
async fn a_refused_form_explains_itself_in_german() {
    let app = spawn_app().await;
    // A German browser, no switch used: the page follows Accept-Language.
    let browser = client();
    let german = |url: String| {
        browser
            .get(url)
            .header("accept-language", "de-BE,de;q=0.9,en;q=0.5")
    };
    let home = german(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Alle Ihre Anschlüsse mit einem einzigen Antrag"));
    let form = german(app.url("/request/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let mut all: Vec<(&str, String)> = vec![
            ("csrf_token", hidden(&form, "csrf_token")),
            ("idempotency_key", hidden(&form, "idempotency_key")),
        ];
        all.extend(fields);
        browser
            .post(app.url("/request"))
            .header("accept-language", "de-BE,de;q=0.9,en;q=0.5")
            .form(&all)
            .send()
    };

    // A missing name and a malformed postcode are refused in German; nothing is filed.
    let response = post(with(&lukas(), &[("name", ""), ("postcode", "47")]))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    for expected in [
        "Ihr Antrag wurde nicht gesendet. Bitte korrigieren Sie folgende Punkte:",
        "Dieses Feld ist ein Pflichtfeld.",
        "Eine belgische Postleitzahl hat 4 Ziffern, zum Beispiel 4700.",
    ] {
        assert!(page.contains(expected), "{expected} missing from:\n{page}");
    }
    assert!(!page.contains("Ce champ est obligatoire."));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    // Outside Wallonia, the referral is given in German too.
    let response = post(with(&lukas(), &[("postcode", "9000")])).await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Connect my home wird nur in der Wallonie angeboten. In Flandern"),
        "{page}"
    );
}

#[tokio::test]
async fn a_colleague_is_invited_in_german() {
    let app = spawn_app().await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let page = text_of(&admin, app.url("/operator/users")).await;
    assert!(page.contains("<option value=\"de\" lang=\"de\""));
    assert!(page.contains(">Deutsch</option>"));
    let response = admin
        .post(app.url("/operator/users"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("email", "anna.kessler@ores.demo"),
            ("name", "Anna Kessler"),
            ("role", "operator_staff"),
            ("language", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let (subject, body): (String, String) = sqlx::query_as(
        "SELECT subject, body_text FROM outbox WHERE recipient = 'anna.kessler@ores.demo'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(subject, "Ihr Zugang zu Connect my home");
    assert!(body.contains("Wählen Sie Ihr Passwort über diesen persönlichen Link:"));
}
