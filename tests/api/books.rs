//! Tariff books uploaded in the operator portal: validated like the shipped ones, refused with
//! the exact error and nothing saved, and from then on the book in force on the request date
//! prices the case (V-5), also after a restart.

use chrono::NaiveDate;
use connect_my_home::{app::Application, tariff::Operator};

use crate::helpers::{TestApp, answer_of, hidden, spawn_app, text_of};

const ADMIN: &str = "tarifs@ores.demo";

/// The shipped ORES 2027 book moved to 2028 under its own version.
fn ores_2028() -> String {
    include_str!("../../tariffs/ores-2027.toml")
        .replace("ORES-2027-demo.1", "ORES-2028.1")
        .replace("valid_from = 2027-01-01", "valid_from = 2028-01-01")
        .replace("valid_until = 2027-12-31", "valid_until = 2028-12-31")
}

fn electricity_case(date: &str) -> serde_json::Value {
    serde_json::json!({
        "request_date": date,
        "postcode": "5000",
        "electricity": { "band": "3x25" }
    })
}

/// `POST /api/v1/estimates` for a 3x25 connection on `date`: status and body.
async fn estimate(app: &TestApp, date: &str) -> (u16, serde_json::Value) {
    let response = app
        .client
        .post(app.url("/api/v1/estimates"))
        .json(&electricity_case(date))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Posts `book` on the tariff page as `client`, with the page's CSRF token.
async fn upload(app: &TestApp, client: &reqwest::Client, book: &str) -> (u16, String, String) {
    let page = text_of(client, app.url("/operator/tariffs")).await;
    let response = client
        .post(app.url("/operator/tariffs"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("book", book.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    answer_of(response).await
}

async fn stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM tariff_books").await
}

#[tokio::test]
async fn v_5_an_uploaded_book_prices_requests_of_its_period_also_after_a_restart() {
    let app = spawn_app().await;
    let (status, body) = estimate(&app, "2028-03-01").await;
    assert_eq!(status, 422);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("no ores tariff book is in force on 2028-03-01"),
        "{message}"
    );

    let admin = app.signed_in(ADMIN).await;
    let queue = text_of(&admin, app.url("/operator")).await;
    assert!(
        queue.contains("href=\"/operator/tariffs\""),
        "linked from the queue"
    );
    let (status, location, body) = upload(&app, &admin, &ores_2028()).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/operator/tariffs?saved=ORES-2028.1");
    let page = text_of(&admin, app.url(&location)).await;
    assert!(
        page.contains("Le barème ORES-2028.1 est enregistré"),
        "{page}"
    );
    let uploads = &page[page.find("id=\"uploads\"").unwrap()..];
    assert!(uploads.contains("ORES-2028.1"));
    assert!(uploads.contains("01/01/2028") && uploads.contains("31/12/2028"));
    assert!(uploads.contains("Administration tarifaire ORES"));

    let (status, body) = estimate(&app, "2028-03-01").await;
    assert_eq!(status, 200, "{body}");
    let lines = body["quotes"][0]["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["book_version"] == "ORES-2028.1"));
    // 2027 still uses its own book.
    let (_, body) = estimate(&app, "2027-12-31").await;
    assert_eq!(
        body["quotes"][0]["lines"][0]["book_version"],
        "ORES-2027-demo.1"
    );

    // The same version twice is refused: every line names its book.
    let (status, _, body) = upload(&app, &admin, &ores_2028()).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("a tariff book ORES-2028.1 already exists"),
        "{body}"
    );
    assert_eq!(stored(&app).await, 1);

    // Another instance started on the same database loads the stored book with the shipped ones.
    let restarted = Application::build(app.state.config.clone())
        .await
        .expect("app restarts");
    let day = NaiveDate::from_ymd_opt(2028, 3, 1).unwrap();
    assert_eq!(
        restarted
            .state()
            .tariffs()
            .books
            .in_force(Operator::Ores, day)
            .unwrap()
            .version(),
        "ORES-2028.1"
    );
}

#[tokio::test]
async fn a_refused_book_shows_the_exact_error_keeps_the_text_and_saves_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN).await;

    // Overlapping the shipped 2027 book from July (V-5: one book per day).
    let overlapping = ores_2028()
        .replace("ORES-2028.1", "ORES-2027.2")
        .replace("valid_from = 2028-01-01", "valid_from = 2027-07-01");
    let (status, _, body) = upload(&app, &admin, &overlapping).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Ce barème est refusé et rien n&#39;a été enregistré"),
        "{body}"
    );
    assert!(
        body.contains(
            "tariff books ORES-2027-demo.1 and ORES-2027.2 of ores overlap: both are in force \
             on 2027-07-01"
        ),
        "{body}"
    );
    // The text stays in the form, to be corrected.
    let textarea = &body[body.find("<textarea").unwrap()..];
    assert!(textarea.contains("valid_from = 2027-07-01"));

    let negative = ores_2028().replace("per_metre = \"98.00\"", "per_metre = \"-98.00\"");
    let (status, _, body) = upload(&app, &admin, &negative).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("tariff book ORES-2028.1: `servicing.per_metre` is negative (-98.00)"),
        "{body}"
    );

    let water = include_str!("../../tariffs/swde-2027.toml")
        .replace("SWDE-2027-demo.1", "SWDE-2028.1")
        .replace("valid_from = 2027-01-01", "valid_from = 2028-01-01")
        .replace("valid_until = 2027-12-31", "valid_until = 2028-12-31");
    let (status, _, body) = upload(&app, &admin, &water).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("you can only upload books of ores; this book is of swde"),
        "{body}"
    );

    let (status, _, body) = upload(&app, &admin, "[book]\noperator = \"ores\"\n").await;
    assert_eq!(status, 422);
    assert!(body.contains("tariff book upload:"), "{body}");

    assert_eq!(stored(&app).await, 0);
    let (status, _) = estimate(&app, "2028-03-01").await;
    assert_eq!(status, 422, "nothing was put in force");
}

#[tokio::test]
async fn only_an_operator_administrator_reaches_the_tariff_page() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN).await;
    let (status, _, _) = upload(&app, &admin, &ores_2028()).await;
    assert_eq!(status, 303);

    // Operator staff of the same organisation: neither the link nor the page nor the upload.
    let elec = app.signed_in("elec@ores.demo").await;
    let queue = text_of(&elec, app.url("/operator")).await;
    assert!(!queue.contains("/operator/tariffs"));
    let response = elec.get(app.url("/operator/tariffs")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let csrf = hidden(&text_of(&elec, app.url("/operator")).await, "csrf_token");
    let next_year = ores_2028()
        .replace("ORES-2028.1", "ORES-2029.1")
        .replace("2028-", "2029-");
    let response = elec
        .post(app.url("/operator/tariffs"))
        .form(&[("csrf_token", csrf), ("book", next_year)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    // Refused for the role, not for the form's token.
    assert!(response.text().await.unwrap().contains("Accès refusé"));
    assert_eq!(stored(&app).await, 1);

    // Another operator's staff and the coordinator do not see ORES' uploads.
    for email in ["eau@swde.demo", "julien@ores.demo"] {
        let client = app.signed_in(email).await;
        let response = client
            .get(app.url("/operator/tariffs"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{email}");
        assert!(!response.text().await.unwrap().contains("ORES-2028.1"));
    }
    // Signed out: to the sign-in form.
    let response = app.get("/operator/tariffs").await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn an_ores_electricity_administrator_cannot_change_ores_gas_prices() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN).await;
    // The 2028 book with the gas prices of another service's hand.
    let gas_changed = ores_2028().replace(
        "standard_existing_dwelling = \"875.00\"",
        "standard_existing_dwelling = \"1.00\"",
    );
    assert_ne!(gas_changed, ores_2028());
    let (status, _, body) = upload(&app, &admin, &gas_changed).await;
    assert_eq!(status, 422);
    assert!(
        body.contains(
            "your organisation runs electricity: the [gas] prices of this book must stay those \
             of ORES-2027-demo.1; only the administrators of that service&#39;s operator may \
             change them"
        ),
        "{body}"
    );
    assert_eq!(stored(&app).await, 0);

    // Its own electricity prices it sets.
    let electricity_changed = ores_2028().replace("price = \"1495.00\"", "price = \"1500.00\"");
    assert_ne!(electricity_changed, ores_2028());
    let (status, location, _) = upload(&app, &admin, &electricity_changed).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/operator/tariffs?saved=ORES-2028.1");
    assert_eq!(stored(&app).await, 1);
}

#[tokio::test]
async fn a_price_beyond_any_tariff_is_refused_at_upload_naming_the_key_and_its_line() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN).await;
    let huge = "79228162514264337593543950335";
    for (book, message) in [
        (
            ores_2028().replace("per_metre = \"98.00\"", &format!("per_metre = \"{huge}\"")),
            format!(
                "tariff book upload: `servicing.per_metre` (line 27): a price cannot be more \
                 than 10000000: {huge}"
            ),
        ),
        (
            // The 3x25 band, the 8th of the list.
            ores_2028().replace("price = \"1495.00\"       ", "price = \"10000000.01\""),
            "tariff book upload: `electricity.bands[7].price` (line 57): a price cannot be \
             more than 10000000: 10000000.01"
                .to_owned(),
        ),
    ] {
        let (status, _, body) = upload(&app, &admin, &book).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("Ce barème est refusé et rien n&#39;a été enregistré"),
            "{body}"
        );
        assert!(body.contains(&message), "{message} not in {body}");
    }
    assert_eq!(stored(&app).await, 0);
    // Nothing was put in force: the estimate of 2028 is still refused, not priced.
    let (status, body) = estimate(&app, "2028-03-01").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no ores tariff book is in force on 2028-03-01"),
        "{body}"
    );
}

#[tokio::test]
async fn every_instance_on_the_database_prices_with_an_upload_at_once() {
    let app = spawn_app().await;
    // A second instance on the same database, started before the upload.
    let other = app.another_instance().await;
    let other_url = other.address.clone();
    let estimate_on_other = || async {
        let response = reqwest::Client::new()
            .post(format!("{other_url}/api/v1/estimates"))
            .json(&electricity_case("2028-03-01"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(estimate_on_other().await.0, 422, "no 2028 book yet");

    let admin = app.signed_in(ADMIN).await;
    let (status, _, body) = upload(&app, &admin, &ores_2028()).await;
    assert_eq!(status, 303, "{body}");

    // The instance that did not take the upload prices with it on its next call.
    let (status, body) = estimate_on_other().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quotes"][0]["lines"][0]["book_version"], "ORES-2028.1");
}
