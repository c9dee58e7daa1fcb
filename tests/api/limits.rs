//! Throttles and quotas: guessed passwords, filings and their confirmations, uploads and
//! estimates are limited, and every refusal says which limit and when to try again
//! (429 with `Retry-After`), in the visitor's language on pages and as JSON in the API.

use std::num::NonZeroU32;

use chrono::Duration;
use reqwest::multipart::{Form, Part};

use crate::helpers::{PASSWORD, TestApp, client, hidden, marie, spawn_app_with, text_of, with};

fn n(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

/// The title and the text of an error page, unescaped.
fn error_page(html: &str) -> (String, String) {
    let between = |start: &str, end: &str| {
        let from = html
            .find(start)
            .unwrap_or_else(|| panic!("no {start} in {html}"))
            + start.len();
        let to = html[from..].find(end).unwrap() + from;
        html[from..to]
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    };
    (between("<h1>", "</h1>"), between("</h1>\n<p>", "</p>"))
}

/// The `Retry-After` of a refusal, in seconds.
fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A wait of `full` seconds counted from an instant a little earlier: the app's clock runs on.
fn about(seconds: u64, full: u64) {
    assert!(
        seconds <= full && seconds + 15 >= full,
        "Retry-After {seconds}, expected just under {full}"
    );
}

/// Posts the sign-in form with `client`'s cookies.
async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = hidden(&text_of(client, app.url("/login")).await, "csrf_token");
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap()
}

fn sets_session(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|cookie| cookie.to_str().unwrap().starts_with("cmh_session="))
}

const ACCOUNT_LOCKED_EN: &str = "Too many sign-in attempts failed on this account. For its \
    security it is locked for a while, whatever the password: try again in 15 minutes. If you \
    have forgotten your password, ask your organisation's administrator.";

#[tokio::test]
async fn after_repeated_failures_an_account_refuses_even_the_right_password_until_the_window_passes()
 {
    let app = spawn_app_with(|config| {
        config.limits.sign_in_failures_per_account = n(3);
        config.limits.sign_in_window_minutes = n(15);
    })
    .await;
    let browser = client();
    text_of(&browser, app.url("/lang/en")).await;
    for _ in 0..3 {
        let response = sign_in(&app, &browser, "julien@ores.demo", "guess").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    // The right password now: refused unchecked, like a wrong one, with no session.
    let right = sign_in(&app, &browser, "Julien@ores.demo ", PASSWORD).await;
    assert_eq!(right.status().as_u16(), 429);
    about(retry_after(&right), 900);
    assert!(!sets_session(&right));
    let right_page = right.text().await.unwrap();
    assert_eq!(
        error_page(&right_page),
        ("Too many attempts".to_owned(), ACCOUNT_LOCKED_EN.to_owned())
    );
    let wrong = sign_in(&app, &browser, "julien@ores.demo", "guess").await;
    assert_eq!(wrong.status().as_u16(), 429);
    assert_eq!(
        wrong.text().await.unwrap(),
        right_page,
        "nothing tells them apart"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    let queue = browser.get(app.url("/backoffice")).send().await.unwrap();
    assert_eq!(queue.status().as_u16(), 303, "not signed in");

    // An address that is no account locks the same way: a lockout tells no account exists.
    for _ in 0..3 {
        let response = sign_in(&app, &browser, "nobody@ores.demo", "guess").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let unknown = sign_in(&app, &browser, "nobody@ores.demo", "guess").await;
    assert_eq!(unknown.status().as_u16(), 429);
    assert_eq!(
        error_page(&unknown.text().await.unwrap()).1,
        ACCOUNT_LOCKED_EN
    );

    // Other accounts are not held back.
    let sophie = sign_in(&app, &client(), "sophie@ores.demo", PASSWORD).await;
    assert_eq!(sophie.status().as_u16(), 303);

    // Once the window has passed, the right password opens a session again.
    app.advance(Duration::minutes(15));
    let response = sign_in(&app, &browser, "julien@ores.demo", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    assert!(sets_session(&response));
    // A success forgets the failures: a new mistake does not lock at once.
    let response = sign_in(&app, &client(), "julien@ores.demo", "guess").await;
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn one_address_gets_so_many_sign_in_attempts_whatever_the_accounts() {
    let app = spawn_app_with(|config| {
        config.limits.sign_in_attempts_per_address = n(4);
        config.limits.sign_in_window_minutes = n(15);
    })
    .await;
    let browser = client();
    for email in ["a@ores.demo", "b@ores.demo", "c@ores.demo"] {
        let response = sign_in(&app, &browser, email, "guess").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let response = sign_in(&app, &browser, "julien@ores.demo", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    // The fifth attempt from this address, right password or not.
    let response = sign_in(&app, &client(), "sophie@ores.demo", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 429);
    // Four attempts per 15 minutes: one more every 3 min 45 s.
    about(retry_after(&response), 225);
    assert!(!sets_session(&response));
    assert_eq!(
        error_page(&response.text().await.unwrap()),
        (
            "Trop de tentatives".to_owned(),
            "Trop de tentatives de connexion viennent de votre connexion internet. Pour la \
             sécurité des comptes, la connexion est suspendue : réessayez dans 4 minutes."
                .to_owned()
        )
    );
    app.advance(Duration::minutes(4));
    let response = sign_in(&app, &client(), "sophie@ores.demo", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
    let spoofed = |app: &TestApp, client: &str| {
        let request = app
            .client
            .get(app.url("/estimate?compute=1&electricity=on&band=1x40"))
            .header("x-forwarded-for", client);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // By default the header is the client's own say: ignored.
    let app = spawn_app_with(|config| config.limits.estimates_per_address_per_minute = n(1)).await;
    assert_eq!(spoofed(&app, "203.0.113.1").await, 200);
    assert_eq!(spoofed(&app, "203.0.113.2").await, 429);
    // Behind a trusted proxy (here, the test itself), each forwarded client has its count.
    let app = spawn_app_with(|config| {
        config.limits.estimates_per_address_per_minute = n(1);
        config.limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(spoofed(&app, "203.0.113.1").await, 200);
    assert_eq!(spoofed(&app, "203.0.113.2").await, 200);
    assert_eq!(spoofed(&app, "203.0.113.1").await, 429);
}

/// Marie's request with another email address.
fn filing_for(email: &str) -> Vec<(&'static str, String)> {
    with(&marie(), &[("email", email)])
}

/// Files with the app's client (its cookies and language); the response, not followed.
async fn file(app: &TestApp, fields: &[(&'static str, String)]) -> reqwest::Response {
    let form = app.open_form().await;
    app.file(&form, fields).await
}

/// The messages written to the file outbox once the worker has sent every queued one.
async fn sent_mails(app: &TestApp) -> usize {
    app.wait_outbox_idle().await;
    std::fs::read_dir(app.data_dir.join("outbox"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn filings_past_the_hourly_limit_of_an_address_are_refused_in_the_visitors_language() {
    let app = spawn_app_with(|config| config.limits.filings_per_address_per_hour = n(2)).await;
    app.get("/lang/de").await;
    for email in ["a@example.be", "b@example.be"] {
        assert_eq!(file(&app, &filing_for(email)).await.status().as_u16(), 303);
    }
    let response = file(&app, &filing_for("victim@example.be")).await;
    assert_eq!(response.status().as_u16(), 429);
    // Two an hour: one more every 30 minutes.
    about(retry_after(&response), 1800);
    assert_eq!(
        error_page(&response.text().await.unwrap()),
        (
            "Zu viele Versuche".to_owned(),
            "Von Ihrem Internetanschluss wurden in der letzten Stunde zu viele Anträge gestellt. \
             Es wurde nichts gespeichert: Versuchen Sie es in 30 Minuten erneut."
                .to_owned()
        )
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'victim@example.be'")
            .await,
        0
    );
    assert_eq!(sent_mails(&app).await, 2);

    app.advance(Duration::minutes(30));
    let response = file(&app, &filing_for("victim@example.be")).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn the_form_sends_one_mailbox_so_many_confirmations_a_day() {
    let app =
        spawn_app_with(|config| config.limits.filing_mails_per_recipient_per_day = n(2)).await;
    for email in ["marie.dupont@example.be", "marie.dupont+travaux@example.be"] {
        assert_eq!(file(&app, &filing_for(email)).await.status().as_u16(), 303);
    }
    // The same mailbox however it is written.
    let response = file(&app, &filing_for("Marie.Dupont+encore@Example.BE")).await;
    assert_eq!(response.status().as_u16(), 429);
    about(retry_after(&response), 24 * 3600);
    assert_eq!(
        error_page(&response.text().await.unwrap()),
        (
            "Trop de tentatives".to_owned(),
            "Cette adresse électronique a déjà reçu plusieurs confirmations de demande au cours \
             des dernières 24 heures. Rien n'a été enregistré : réessayez dans 24 heures ou \
             indiquez une autre adresse."
                .to_owned()
        )
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 2);
    assert_eq!(sent_mails(&app).await, 2);
    // Another mailbox is served as usual.
    let response = file(&app, &filing_for("lucas.martin@example.be")).await;
    assert_eq!(response.status().as_u16(), 303);

    app.advance(Duration::hours(24));
    let response = file(&app, &filing_for("marie.dupont@example.be")).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(sent_mails(&app).await, 4);
}

/// A PDF of `size` bytes.
fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size.max(bytes.len()), b'x');
    bytes
}

/// Every file under the uploads directory.
fn stored_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| {
                let path = entry.path();
                if path.is_dir() { walk(&path) } else { 1 }
            })
            .sum()
    }
    walk(&app.data_dir.join("uploads"))
}

/// Files Marie's request; its id and private link.
async fn filed(app: &TestApp) -> (String, String) {
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let link = app.private_link(&id).await;
    (id, link)
}

/// Posts the upload form of the page at `page_url` to `action` with `client`.
async fn upload(
    client: &reqwest::Client,
    page_url: &str,
    action: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let page = text_of(client, page_url).await;
    let form = Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .text("kind", "other")
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    client.post(action).multipart(form).send().await.unwrap()
}

/// The refusal shown in the documents section of a page.
fn upload_notice(html: &str) -> String {
    let marker = "Rien n&#39;a été enregistré.";
    let end = html
        .find(marker)
        .unwrap_or_else(|| panic!("no refusal in {html}"))
        + marker.len();
    let start = html[..end].rfind('>').unwrap() + 1;
    html[start..end].replace("&#39;", "'")
}

#[tokio::test]
async fn a_request_holds_so_many_documents_through_the_private_link_and_for_staff() {
    let app = spawn_app_with(|config| config.limits.upload_max_files_per_request = n(2)).await;
    let (id, link) = filed(&app).await;
    let action = format!("{link}/documents");
    for name in ["un.pdf", "deux.pdf"] {
        let response = upload(&app.client, &link, &action, name, pdf(2000)).await;
        assert_eq!(response.status().as_u16(), 303);
    }
    let response = upload(&app.client, &link, &action, "trois.pdf", pdf(2000)).await;
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(
        upload_notice(&response.text().await.unwrap()),
        "Cette demande compte déjà 2 documents, le maximum pour une demande. Rien n'a été \
         enregistré."
    );
    // The case officer adding one received by post meets the same limit.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = app.url(&format!("/backoffice/requests/{id}"));
    let response = upload(
        &julien,
        &page,
        &format!("{page}/documents"),
        "poste.pdf",
        pdf(2000),
    )
    .await;
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(
        upload_notice(&response.text().await.unwrap()),
        "Cette demande compte déjà 2 documents, le maximum pour une demande. Rien n'a été \
         enregistré."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 2);
    assert_eq!(stored_files(&app), 2);
}

#[tokio::test]
async fn a_request_holds_so_many_bytes_of_documents_together() {
    let app = spawn_app_with(|config| {
        config.limits.upload_max_bytes_per_request = 1024 * 1024;
    })
    .await;
    let (id, link) = filed(&app).await;
    let action = format!("{link}/documents");
    let response = upload(&app.client, &link, &action, "plan.pdf", pdf(600 * 1024)).await;
    assert_eq!(response.status().as_u16(), 303);
    let response = upload(&app.client, &link, &action, "plan2.pdf", pdf(600 * 1024)).await;
    assert_eq!(response.status().as_u16(), 422);
    let refusal = "Ensemble, les documents d'une demande ne peuvent dépasser 1 Mo, et ce fichier \
                   irait au-delà. Rien n'a été enregistré.";
    assert_eq!(upload_notice(&response.text().await.unwrap()), refusal);
    let julien = app.signed_in("julien@ores.demo").await;
    let page = app.url(&format!("/backoffice/requests/{id}"));
    let response = upload(
        &julien,
        &page,
        &format!("{page}/documents"),
        "poste.pdf",
        pdf(600 * 1024),
    )
    .await;
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(upload_notice(&response.text().await.unwrap()), refusal);
    // What still fits is taken.
    let response = upload(&app.client, &link, &action, "petit.pdf", pdf(400 * 1024)).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 2);
    assert_eq!(stored_files(&app), 2);
}

#[tokio::test]
async fn estimates_past_the_limit_of_an_address_answer_429_json_and_the_page_too() {
    let app = spawn_app_with(|config| config.limits.estimates_per_address_per_minute = n(3)).await;
    let case = serde_json::json!({
        "request_date": app.today().to_string(),
        "postcode": "5000",
        "electricity": { "band": "3x25" }
    });
    let estimate = || {
        app.client
            .post(app.url("/api/v1/estimates"))
            .json(&case)
            .send()
    };
    for _ in 0..2 {
        assert_eq!(estimate().await.unwrap().status().as_u16(), 200);
    }
    // The page counts with the API; the empty form does not count.
    let (status, _) = app.get_text("/estimate").await;
    assert_eq!(status, 200);
    let (status, _) = app
        .get_text("/estimate?compute=1&electricity=on&band=1x40")
        .await;
    assert_eq!(status, 200);

    let response = estimate().await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    // Three a minute: one more every 20 seconds.
    let wait = retry_after(&response);
    about(wait, 20);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "type": "urn:connect-my-home:problem:too_many_requests",
            "title": "Trop de demandes",
            "status": 429,
            "detail": format!("Too many estimates from your address. Try again in {wait} seconds."),
            "error": "too_many_requests",
            "message": format!("Too many estimates from your address. Try again in {wait} seconds."),
            "retry_after_seconds": wait,
        })
    );
    let page = app
        .client
        .get(app.url("/estimate?compute=1&electricity=on&band=1x40"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 429);
    let wait = retry_after(&page);
    about(wait, 20);
    assert_eq!(
        error_page(&page.text().await.unwrap()),
        (
            "Too many attempts".to_owned(),
            format!(
                "Too many estimates were asked from your internet connection. Try again in \
                 {wait} seconds."
            )
        )
    );
    let (status, _) = app.get_text("/estimate").await;
    assert_eq!(status, 200);

    app.advance(Duration::seconds(20));
    assert_eq!(estimate().await.unwrap().status().as_u16(), 200);
}

#[tokio::test]
async fn new_private_links_are_asked_only_so_often_from_one_address() {
    let app = spawn_app_with(|config| config.limits.link_mails_per_address_per_hour = n(2)).await;
    // The workers would take the queued asks at once: count what the page let through.
    let asked = || async {
        let (_, page) = app.get_text("/link/lost").await;
        app.client
            .post(app.url("/link/lost"))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token")),
                ("email", "marie.dupont@example.be".to_owned()),
            ])
            .send()
            .await
            .unwrap()
    };
    for _ in 0..2 {
        assert_eq!(asked().await.status().as_u16(), 200);
    }
    let response = asked().await;
    assert_eq!(response.status().as_u16(), 429);
    about(retry_after(&response), 1800);
    assert_eq!(
        error_page(&response.text().await.unwrap()),
        (
            "Trop de tentatives".to_owned(),
            "Trop de nouveaux liens privés ont été demandés depuis votre connexion internet \
             durant la dernière heure. Rien n'a été envoyé : réessayez dans 30 minutes."
                .to_owned()
        )
    );
    app.advance(Duration::minutes(30));
    assert_eq!(asked().await.status().as_u16(), 200);
}
