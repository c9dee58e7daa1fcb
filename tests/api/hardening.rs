//! What an attacker tries against the pages: sending a visitor to another site, forging a
//! form, reading a cached page.

use crate::helpers::{
    PASSWORD, TestApp, client, hidden, marie, spawn_app, spawn_app_with, text_of,
};

/// Where a response sends the browser.
fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_language_switch_never_sends_the_visitor_to_another_site() {
    let app = spawn_app().await;
    // A tab or a line break inside the path is dropped by browsers: `/\t/host` is `//host`.
    for next in [
        "/%09/127.0.0.1:8399/x",
        "/%0a/127.0.0.1:8399/x",
        "/%0d%0a/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example/",
    ] {
        let response = app.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(response.status().as_u16(), 303, "next={next}");
        assert_eq!(location(&response), "/", "next={next}");
    }
    let response = app.get("/lang/en?next=/estimate%3Fa%3D1").await;
    assert_eq!(location(&response), "/estimate?a=1");
}

#[tokio::test]
async fn signing_in_never_sends_the_user_to_another_site() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/\t/127.0.0.1:8399/x", "/backoffice"),
        ("/\n/evil.example", "/backoffice"),
        ("/backoffice/plan", "/backoffice/plan"),
    ] {
        let browser = client();
        let page = browser
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let response = browser
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token").as_str()),
                ("email", "julien@ores.demo"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "next={next:?}");
        assert_eq!(location(&response), expected, "next={next:?}");
    }
    // The sign-in form does not carry an unsafe `next` on either.
    let (status, page) = app.get_text("/login?next=/%09/evil.example").await;
    assert_eq!(status, 200);
    assert_eq!(hidden(&page, "next"), "/");
}

/// Signs `email` in without a cookie jar, as an attacker's page sees the victim's browser:
/// returns the session cookie's value.
async fn session_of(app: &TestApp, email: &str) -> String {
    let browser = client();
    let page = text_of(&browser, app.url("/login")).await;
    let response = browser
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("email", email),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    response
        .cookies()
        .find(|cookie| cookie.name() == "cmh_session")
        .expect("a session cookie")
        .value()
        .to_owned()
}

/// A filed request, once every operator answered, and SWDE's assessment of it.
async fn assessed_water(app: &TestApp) -> (String, String) {
    let (_, id) = app.file_assessed(&marie()).await;
    let water: String = sqlx::query_scalar(
        "SELECT a.id FROM assessments a JOIN organisations o ON o.id = a.organisation_id \
         WHERE a.request_id = $1 AND o.slug = 'swde'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    (id, water)
}

/// SWDE's note on its assessment `water`, posted by `client` with `token` and `headers`.
async fn post_note(
    app: &TestApp,
    client: &reqwest::Client,
    water: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client.post(app.url(&format!("/operator/assessments/{water}")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .form(&[
            ("csrf_token", token),
            ("version", "1"),
            ("action", "note"),
            ("text", "Vu sur place"),
        ])
        .send()
        .await
        .unwrap()
}

async fn notes_on(app: &TestApp, request_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND kind = 'operator_note'",
    )
    .bind(request_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_tossed_cookie_cannot_forge_a_signed_in_operators_form() {
    let app = spawn_app().await;
    let (id, water) = assessed_water(&app).await;
    let session = session_of(&app, "eau@swde.demo").await;
    // A same-site page (another port, a sibling subdomain) or a network attacker on HTTP
    // sets a CSRF cookie of its choosing and posts a form carrying the same value.
    let chosen = "attacker-chosen-value-0123456789abcdef";
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(&format!("/operator/assessments/{water}")))
        .header(
            "cookie",
            format!("cmh_session={session}; cmh_csrf={chosen}"),
        )
        .form(&[
            ("csrf_token", chosen),
            ("version", "1"),
            ("action", "note"),
            ("text", "Raccordement refusé, appelez le 0900 00 000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(forged.text().await.unwrap().contains("Formulaire expiré"));
    assert_eq!(notes_on(&app, &id).await, 0);

    // The token of the victim's own page, read by nobody else, works.
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let token = hidden(&page, "csrf_token");
    assert!(!token.is_empty());
    let response = post_note(&app, &swde, &water, &token, &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(notes_on(&app, &id).await, 1);
}

#[tokio::test]
async fn a_form_sent_from_another_site_is_refused_with_its_reason() {
    let app = spawn_app().await;
    let (id, water) = assessed_water(&app).await;
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let token = hidden(&page, "csrf_token");
    let own_origin = app.address.clone();
    for (header, value) in [
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://127.0.0.1:1"),
        ("origin", "null"),
    ] {
        let response = post_note(
            &app,
            &swde,
            &water,
            &token,
            &[(header, value), ("accept-language", "en")],
        )
        .await;
        assert_eq!(response.status().as_u16(), 403, "{header}: {value}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("it was sent from a site other than Connect my home"),
            "{header}: {value}"
        );
    }
    assert_eq!(notes_on(&app, &id).await, 0);
    // From the portal itself, as a browser says it.
    let response = post_note(
        &app,
        &swde,
        &water,
        &token,
        &[("sec-fetch-site", "same-origin"), ("origin", &own_origin)],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(notes_on(&app, &id).await, 1);
}

#[tokio::test]
async fn personal_pages_and_the_api_are_never_cached() {
    let app = spawn_app().await;
    let (reference, confirmation) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let julien = app.signed_in("julien@ores.demo").await;
    for path in [
        "/backoffice".to_owned(),
        format!("/backoffice/requests/{id}"),
        "/api/v1/requests".to_owned(),
        format!("/api/v1/requests/{id}"),
        confirmation,
    ] {
        let response = julien.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    // The stylesheet may be cached.
    let response = app.get("/static/app.css").await;
    assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
    // Plain HTTP (tests, local runs): no HSTS, cookies without Secure.
    let response = client().get(app.url("/")).send().await.unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn behind_tls_cookies_are_secure_and_browsers_keep_to_https() {
    let app = spawn_app_with(|config| config.secure_cookies = true).await;
    let response = app.get("/").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("cmh_csrf="), "{cookie}");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test]
async fn the_form_refuses_an_address_no_mail_could_reach() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let response = app
        .file(
            &form,
            &crate::helpers::with(
                &marie(),
                &[("email", "\"<script>alert(1)</script>\"@example.be")],
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Cette adresse électronique n&#39;est pas valide")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
}
