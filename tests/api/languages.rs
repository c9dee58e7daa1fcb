//! German, the third language: East Belgium's communes (Eupen, Sankt Vith…) are served by
//! ORES, and their citizens file and follow their request in German. Dutch, the fourth
//! (issue 22, point 9): Dutch-speaking applicants in Wallonia and Flemish contractors read every
//! page, email, offer PDF and invitation in Belgian Dutch, never in French.

use crate::helpers::{
    accept_offer_online, client, hidden, latest_mail, marie, spawn_app, text_of, with,
};

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

/// Sofie's request for her new house in Namur (journey 1), in Dutch.
fn sofie() -> Vec<(&'static str, String)> {
    with(
        &marie(),
        &[
            ("name", "Sofie Peeters"),
            ("email", "sofie.peeters@example.be"),
            ("language", "nl"),
            ("remarks", "Werf gestart"),
        ],
    )
}

/// The `.ics` text as read: folded lines joined, escaped commas plain.
fn unfolded(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\\,", ",")
}

#[tokio::test]
async fn a_request_in_namur_is_filed_offered_paid_and_scheduled_in_dutch() {
    let app = spawn_app().await;
    connect_my_home::demo::demo_crews(&app.state).await.unwrap();

    // The language switch offers Dutch; the form then speaks Dutch and proposes it.
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("hreflang=\"nl\">Nederlands</a>"), "{home}");
    let switched = app.get("/lang/nl?next=/request/new").await;
    assert_eq!(switched.status().as_u16(), 303);
    let (_, form) = app.get_text("/request/new").await;
    assert!(form.contains("<html lang=\"nl\">"));
    assert!(form.contains("Mijn aanvraag voor aansluitingen"));
    assert!(form.contains("<option value=\"nl\" selected>Nederlands</option>"));
    for other in ["fr\">Français", "en\">English", "de\">Deutsch"] {
        assert!(form.contains(&format!("hreflang=\"{other}</a>")), "{other}");
    }
    assert!(!form.contains("hreflang=\"nl\""), "no switch to itself");

    let (reference, filed_url) = app.file_ok(&sofie()).await;
    let (_, filed) = app.get_text(&filed_url).await;
    assert!(filed.contains("Uw aanvraag is geregistreerd"), "{filed}");
    let id = app.request_id(&reference).await;
    let language: String = sqlx::query_scalar("SELECT language FROM requests WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(language, "nl");

    // The confirmation email is in Dutch.
    app.wait_outbox_idle().await;
    let (subject, html): (String, Option<String>) = sqlx::query_as(
        "SELECT subject, body_html FROM outbox WHERE request_id = $1 AND kind = 'request_filed'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        subject,
        format!("Uw aanvraag voor aansluitingen {reference} is geregistreerd")
    );
    let body = latest_mail(&app, &id, "request_filed").await;
    for expected in [
        "Beste Sofie Peeters,",
        &format!(
            "We hebben uw aanvraag voor aansluitingen goed ontvangen. De referentie is {reference}."
        ),
        "Werf:",
        "Rue des Tanneries 14, 5000 Namur",
        "Gevraagde aansluitingen:",
        "Elektriciteit (ORES)",
        "Aardgas (ORES)",
        "Water (SWDE)",
        "Volg uw aanvraag op elk moment op met deze persoonlijke link:",
        "Deze link is persoonlijk: stuur hem niet door.",
        "Het team van Connect my home — ORES, SWDE, Proximus en VOO",
    ] {
        assert!(body.contains(expected), "{expected} missing from:\n{body}");
    }
    assert!(
        !body.contains("Bonjour") && !body.contains("demande"),
        "{body}"
    );
    assert!(html.unwrap_or_default().contains("lang=\"nl\""));

    // The private link opens the status page in Dutch for a Dutch browser.
    app.wait_state(&id, "assessed").await;
    let link = app.private_link(&id).await;
    let dutch = client();
    let page = dutch
        .get(&link)
        .header("accept-language", "nl-BE,nl;q=0.9,fr;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    for expected in [
        "<html lang=\"nl\">",
        &reference,
        "Huidige stap:",
        "Bestudeerd door de operatoren",
        "Aanvraag ingediend",
        "Alle operatoren hebben uw aanvraag bestudeerd",
        // The timeline's dates in figures, the Belgian way.
        "02/12/2026",
    ] {
        assert!(page.contains(expected), "{expected} missing from the page");
    }
    assert!(!page.contains("Étudiée par les opérateurs"));
    // A browser stating no language of the product reads the status page in the request's
    // language; a reader who chose French with the switch reads French.
    let unstated = client()
        .get(&link)
        .header("accept-language", "es-ES")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(unstated.contains("<html lang=\"nl\">"), "{unstated}");
    assert!(unstated.contains("Huidige stap:"));
    let french = client();
    let switched = french.get(app.url("/lang/fr?next=/")).send().await.unwrap();
    assert_eq!(switched.status().as_u16(), 303);
    let chosen = text_of(&french, &link).await;
    assert!(chosen.contains("<html lang=\"fr\">"));
    assert!(chosen.contains("Étape actuelle :"), "{chosen}");

    // The offer: its email and its PDF in Dutch, amounts written € 1.754,50.
    let julien = app.signed_in("julien@ores.demo").await;
    crate::helpers::send_offer_as(&app, &julien, &id, "").await;
    app.wait_outbox_idle().await;
    let offer_subject: String =
        sqlx::query_scalar("SELECT subject FROM outbox WHERE request_id = $1 AND kind = 'offer'")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        offer_subject,
        format!("Uw offerte voor aansluitingen {reference} (versie 1)")
    );
    let offer_mail = latest_mail(&app, &id, "offer").await;
    for expected in [
        "Beste Sofie Peeters,",
        &format!(
            "Hier is de offerte voor al uw aansluitingen, samengebracht in één bericht. \
             De referentie is {reference}, versie 1."
        ),
        "UW OFFERTE IN HET KORT",
        "- ORES Assets (Elektriciteit, Aardgas): €\u{a0}1.754,50 inclusief btw",
        "- SWDE (Water): €\u{a0}1.452,00 inclusief btw",
        "Totaal inclusief btw: €\u{a0}3.206,50",
        "Gestructureerde mededeling: +++",
        "Niets te betalen aan Proximus.",
        "De volledige offerte zit als pdf in de bijlage van dit bericht: die is rechtsgeldig.",
    ] {
        assert!(
            offer_mail.contains(expected),
            "{expected} missing from:\n{offer_mail}"
        );
    }
    // Never the French way (`1 754,50 €`).
    assert!(
        !offer_mail.contains("0 €") && !offer_mail.contains('\u{202f}'),
        "French amounts in:\n{offer_mail}"
    );
    let pdf = julien
        .get(app.url(&format!("/backoffice/requests/{id}/offers/1.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    let bytes = pdf.bytes().await.unwrap();
    let pdf: String = pdf_extract::extract_text_from_mem(&bytes)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for expected in [
        "Offertevooruwaansluitingen",
        "Uwenigecontactpersoon",
        "Gestructureerdemededeling",
        "Totaalinclusiefbtw",
        "Voorwaarden",
    ] {
        assert!(pdf.contains(expected), "{expected} missing from:\n{pdf}");
    }
    for french in [
        "Offrederaccordements",
        "Communicationstructurée",
        "TVAcomprise",
    ] {
        assert!(!pdf.contains(french), "{french} in:\n{pdf}");
    }

    // Accepted online, paid per operator, the day picked and confirmed: the invitation and
    // its email are in Dutch.
    assert_eq!(accept_offer_online(&app, &link, &id).await.0, 303);
    let payees: Vec<(String, String)> = sqlx::query_as(
        "SELECT COALESCE(p.organisation_id, ''), p.amount FROM offer_dues p \
         JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator'",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let csrf = hidden(&text_of(&julien, &page_url).await, "csrf_token");
    for (organisation, amount) in &payees {
        let response = julien
            .post(app.url(&format!("/backoffice/requests/{id}/payments")))
            .form(&[
                ("csrf_token", csrf.clone()),
                ("organisation", organisation.clone()),
                ("amount", amount.clone()),
                ("paid_on", app.today().to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
    }
    let page = text_of(&dutch, &link).await;
    let response = dutch
        .post(format!("{link}/day"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", hidden(&page, "day")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let permit: String =
        sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1 AND status = 'pending'")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_page = text_of(&namur, app.url(&format!("/commune/permits/{permit}"))).await;
    let granted = namur
        .post(app.url(&format!("/commune/permits/{permit}/decision")))
        .form(&[
            ("csrf_token", hidden(&permit_page, "csrf_token")),
            ("action", "approve".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status().as_u16(), 303);
    let csrf = hidden(&text_of(&julien, &page_url).await, "csrf_token");
    let confirmed = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day/confirm")))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 303);
    let (mail_id, mail_subject): (String, String) = sqlx::query_as(
        "SELECT id, subject FROM outbox WHERE request_id = $1 AND kind = 'day_confirmed'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        mail_subject,
        format!("Dag van de werken bevestigd voor uw aanvraag {reference}")
    );
    let files = connect_my_home::db::outbox::attachments(&app.state.db, mail_id.parse().unwrap())
        .await
        .unwrap();
    let ics = unfolded(&String::from_utf8(files[0].content.clone()).unwrap());
    assert!(
        ics.contains(&format!(
            "SUMMARY:Aansluitingen Connect my home — {reference}\r\n"
        )),
        "{ics}"
    );
    assert!(
        ics.contains(
            "DESCRIPTION:Alle ploegen (elektriciteit, gas, water, telecom) komen die dag en \
             komen aan tussen 08:00 en 12:00. Wees aanwezig of laat u vertegenwoordigen.\r\n"
        ),
        "{ics}"
    );
    let day_mail = latest_mail(&app, &id, "day_confirmed").await;
    assert!(
        day_mail.contains("Alle ploegen komen op ")
            && day_mail.contains(": ze komen aan tussen 08:00 en 12:00."),
        "{day_mail}"
    );
}

#[tokio::test]
async fn a_dutch_browser_reads_dutch_and_a_refused_form_explains_itself_in_dutch() {
    let app = spawn_app().await;
    // A Dutch browser, no switch used: the page follows Accept-Language (nl-BE or plain nl).
    let browser = client();
    for header in ["nl-BE,nl;q=0.9,fr;q=0.5", "nl"] {
        let home = browser
            .get(app.url("/"))
            .header("accept-language", header)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("<html lang=\"nl\">"), "{header}");
        assert!(
            home.contains("Al uw aansluitingen in één aanvraag"),
            "{header}"
        );
    }
    let dutch = |url: String| browser.get(url).header("accept-language", "nl-BE");
    let form = dutch(app.url("/request/new"))
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
            .header("accept-language", "nl-BE")
            .form(&all)
            .send()
    };

    // A missing name and a malformed postcode are refused in Dutch; nothing is filed.
    let response = post(with(&sofie(), &[("name", ""), ("postcode", "50")]))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    for expected in [
        "Uw aanvraag werd niet verstuurd. Verbeter de volgende punten:",
        "Dit veld is verplicht.",
        "Een Belgische postcode telt 4 cijfers, bijvoorbeeld 5000.",
    ] {
        assert!(page.contains(expected), "{expected} missing from:\n{page}");
    }
    assert!(!page.contains("Ce champ est obligatoire."));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    // A building of 6 dwellings is referred to each operator, with its rule, in Dutch (C-1).
    let response = post(with(
        &sofie(),
        &[("building", "building"), ("dwellings", "6")],
    ))
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(
            "Een gebouw met 6 wooneenheden overschrijdt de grens van 4 wooneenheden van \
             Connect my home (regel C-1)."
        ),
        "{page}"
    );

    // A Flemish address (Gent): the referral to Fluvius is given in Dutch.
    let response = post(with(&sofie(), &[("postcode", "9000")])).await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(
            "Connect my home wordt alleen in Wallonië aangeboden. In Vlaanderen wendt u zich tot \
             Fluvius"
        ),
        "{page}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

#[tokio::test]
async fn v_3_1_a_dutch_developer_reads_the_dossier_fee_in_euros_the_belgian_dutch_way() {
    let app = spawn_app().await;
    let fields = with(
        &crate::servicing::division(),
        &[("language", "nl"), ("name", "Bouwbedrijf Peeters")],
    );
    let (reference, _) = app.file_ok(&fields).await;
    let id = app.request_id(&reference).await;
    let number = format!("DOS-{}", reference.trim_start_matches("CMH-"));
    // V-3.1: 250.00 + 21 % VAT = 302.50, due in 15 days (filed on 2 December 2026).
    let mail = latest_mail(&app, &id, "request_filed").await;
    for expected in [
        format!(
            "Dossierkosten (regel V-3.1): factuur {number} van €\u{a0}302,50 (€\u{a0}250,00 \
             excl. btw + €\u{a0}52,50 btw aan 21 %) wordt samen met uw aanvraag opgemaakt, vóór \
             de studie door ORES."
        ),
        "Gelieve €\u{a0}302,50 uiterlijk op 17/12/2026 te betalen aan".to_owned(),
        "met de gestructureerde mededeling +++".to_owned(),
        "ORES behoudt ze, ook als de offerte niet wordt aanvaard".to_owned(),
    ] {
        assert!(mail.contains(&expected), "{expected} missing from:\n{mail}");
    }
    // The status page shows it the same way.
    let link = app.private_link(&id).await;
    let page = text_of(&client(), &link).await;
    assert!(
        page.contains("Te betalen uiterlijk op 17/12/2026"),
        "{page}"
    );
    assert!(
        page.contains("€\u{a0}302,50") || page.contains("€&nbsp;302,50"),
        "{page}"
    );
}
