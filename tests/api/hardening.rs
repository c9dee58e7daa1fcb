//! What an attacker tries against the pages: sending a visitor to another site, forging a
//! form, reading a cached page.

use crate::helpers::{PASSWORD, client, hidden, spawn_app};

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
