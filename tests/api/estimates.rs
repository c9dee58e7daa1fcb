//! The instant estimate: JSON API and public page, priced by the tariff engines, nothing saved.

use connect_my_home::{
    i18n::euros,
    tariff::{self, EstimateCase, Tariffs},
};
use rust_decimal::Decimal;

use crate::helpers::spawn_app;

fn case_json(date: &str) -> serde_json::Value {
    serde_json::json!({
        "request_date": date,
        "postcode": "5000",
        "electricity": { "band": "3x25" },
        "gas": { "extra_metres": 4 },
        "water": { "distance_to_main_m": 14, "inside_parcel_m": 1.5 },
        "proximus": true,
        "voo": true
    })
}

#[tokio::test]
async fn the_api_prices_a_case_with_the_engines_and_saves_nothing() {
    let app = spawn_app().await;
    let today = app.today().to_string();
    let response = app
        .client
        .post(app.url("/api/v1/estimates"))
        .json(&case_json(&today))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();

    let case: EstimateCase = serde_json::from_value(case_json(&today)).unwrap();
    let expected = tariff::estimate(Tariffs::embedded(), &case).unwrap();
    assert_eq!(body, serde_json::to_value(&expected).unwrap());
    assert_eq!(body["illustrative"], true);
    let operators: Vec<&str> = body["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["operator"].as_str().unwrap())
        .collect();
    assert_eq!(operators, ["ores", "swde", "proximus", "voo"]);
    // Every line cites its rule and its book.
    for quote in body["quotes"].as_array().unwrap() {
        for line in quote["lines"].as_array().unwrap() {
            assert!(!line["rule"].as_str().unwrap().is_empty());
            assert!(!line["book_version"].as_str().unwrap().is_empty());
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

#[tokio::test]
async fn bad_cases_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let today = app.today().to_string();
    let mut negative = case_json(&today);
    negative["water"]["distance_to_main_m"] = serde_json::json!(-3);
    let before_books = case_json("1999-01-01");
    for (case, expected) in [
        (negative, "negative"),
        (
            before_books,
            "no ores tariff book is in force on 1999-01-01",
        ),
        (
            serde_json::json!({"request_date": today, "colour": "red"}),
            "unknown field",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/estimates"))
            .json(&case)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid");
        assert!(
            body["message"].as_str().unwrap().contains(expected),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_public_page_gives_the_same_total_as_the_api() {
    let app = spawn_app().await;
    let query = "compute=1&building=house&dwelling_age=new&vat=private&postcode=5000\
        &electricity=on&band=3x25&current_band=&gas=on&gas_extra_m=4\
        &water=on&water_distance_m=14&water_inside_m=1,5&proximus=on&voo=on";
    let (status, page) = app.get_text(&format!("/estimate?{query}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Estimation indicative, sans engagement."));
    assert!(page.contains("Valeurs de démonstration illustratives"));
    assert!(
        page.contains("SWDE — raccordement d&#39;eau")
            || page.contains("SWDE — raccordement d'eau")
    );

    let today = app.today().to_string();
    let case: EstimateCase = serde_json::from_value(case_json(&today)).unwrap();
    let expected = tariff::estimate(Tariffs::embedded(), &case).unwrap();
    let total: Decimal = expected.total_incl_vat.amount();
    assert!(total > Decimal::ZERO);
    let shown = euros(total).replace('\u{202f}', "&#8239;");
    assert!(
        page.contains(&euros(total)) || page.contains(&shown),
        "grand total {} missing",
        euros(total)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    // An English reader gets English amounts: €1,234.56.
    let english = app
        .client
        .get(app.url(&format!("/estimate?{query}")))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let total_en = connect_my_home::i18n::Tr(connect_my_home::domain::Language::En).money(total);
    assert!(total_en.starts_with('€') && total_en.contains('.'));
    assert!(english.contains(&total_en), "{total_en} missing");
}

#[tokio::test]
async fn the_page_explains_every_refused_field_in_french() {
    let app = spawn_app().await;
    let (status, page) = app
        .get_text("/estimate?compute=1&building=building&dwellings=7&water=on&water_distance_m=-2")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("L&#39;estimation n&#39;a pas pu être calculée")
            || page.contains("L'estimation n'a pas pu être calculée")
    );
    assert!(page.contains("règle C-1"));
    assert!(page.contains("Indiquez un nombre."));
    assert!(!page.contains("estimate-result"));
}

#[tokio::test]
async fn the_api_describes_itself_and_every_documented_path_answers() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        paths,
        [
            "/assessments",
            "/assessments/{id}",
            "/assessments/{id}/answer",
            "/assessments/{id}/study",
            "/assessments/{id}/survey",
            "/assessments/{id}/works-done",
            "/crews",
            "/crews/absences",
            "/crews/{id}",
            "/crews/{id}/retire",
            "/estimates",
            "/figures",
            "/permits",
            "/permits/{id}",
            "/permits/{id}/decision",
            "/requests",
            "/requests/{id}",
            "/requests/{id}/offer",
            "/requests/{id}/offers/{version}",
            "/requests/{id}/payments",
            "/reservations",
            "/statements"
        ]
    );
    // Each documented path is served (401 or 422 for an anonymous, empty call — never 404).
    for path in &paths {
        let url = app.url(&format!(
            "/api/v1{}",
            path.replace("{id}", "01a208e5-6e31-7569-8360-c786c4bf0be2")
                .replace("{version}", "1")
        ));
        let status = if document["paths"][path].get("post").is_some() {
            app.client
                .post(&url)
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
        } else {
            app.client.get(&url).send().await.unwrap().status()
        };
        assert!(
            [401, 422].contains(&status.as_u16()),
            "{path} answered {status}"
        );
    }
}

/// A servicing case as anyone may post it, with `frontage_m` as given.
fn division_with_frontage(date: &str, frontage_m: &str) -> serde_json::Value {
    serde_json::json!({
        "request_date": date,
        "servicing": { "operation": "division", "parcels": 2, "frontage_m": frontage_m }
    })
}

#[tokio::test]
async fn a_frontage_beyond_any_land_is_refused_naming_the_field_and_never_priced() {
    let app = spawn_app().await;
    let today = app.today().to_string();
    // The first made the pricing overflow (the connection was dropped); the second was priced.
    for frontage in [
        "79228162514264337593543950",
        "792281625142643375935",
        "10000.01",
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/estimates"))
            .json(&division_with_frontage(&today, frontage))
            .send()
            .await
            .expect("the server answers instead of dropping the connection");
        assert_eq!(response.status().as_u16(), 422, "{frontage}");
        let body: serde_json::Value = response.json().await.unwrap();
        let message = format!(
            "case: servicing.frontage_m: a length in metres cannot be more than 10000: {frontage}"
        );
        // A problem (RFC 9457), with the earlier `error` and `message` kept.
        assert_eq!(
            body,
            serde_json::json!({
                "type": "urn:connect-my-home:problem:invalid",
                "title": "Données refusées",
                "status": 422,
                "detail": message,
                "error": "invalid",
                "message": message,
            })
        );
    }
    // The longest frontage accepted is priced like any other: 10,000 m × 95 € (V-4.1a).
    let response = app
        .client
        .post(app.url("/api/v1/estimates"))
        .json(&division_with_frontage(&today, "10000"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let frontage = &body["quotes"][0]["lines"][1];
    assert_eq!(frontage["code"], "V-FRONTAGE");
    assert_eq!(frontage["amount_excl_vat"], "950000.00");
}

#[tokio::test]
async fn quantities_and_amounts_out_of_range_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let today = app.today().to_string();
    let servicing = |extra: serde_json::Value| {
        let mut case = division_with_frontage(&today, "40");
        for (key, value) in extra.as_object().unwrap() {
            case["servicing"][key] = value.clone();
        }
        case
    };
    let mut holder = case_json(&today);
    holder["water"]["earlier_holders"] = serde_json::json!([{
        "holder": "A. Dupont",
        "parcel": "B 112c",
        "section_cost": "79228162514264337593543950335",
        "months_since_payment": 14
    }]);
    let mut connections = case_json(&today);
    connections["water"]["connections"] = serde_json::json!(4_000_000_000u32);
    connections["water"]["extra_connections_granted"] = serde_json::json!(true);
    let mut gas = case_json(&today);
    gas["gas"]["extra_metres"] = serde_json::json!("-0.5");
    for (case, message) in [
        (
            servicing(
                serde_json::json!({ "special_demands_surcharge": "79228162514264337593543950" }),
            ),
            "servicing.special_demands_surcharge: cannot be more than 1000000 € (got \
             79228162514264337593543950.00)",
        ),
        (
            servicing(serde_json::json!({ "candelabras": 4_000_000_000u32 })),
            "servicing.candelabras: cannot be more than 1000 (got 4000000000)",
        ),
        (
            servicing(serde_json::json!({
                "cabin": { "surface_m2": "79228162514264337593543950", "existing_points_outside": 3 }
            })),
            "servicing.cabin.surface_m2: cannot be more than 500 m² (got \
             79228162514264337593543950)",
        ),
        (
            holder,
            "water.earlier_holders[0].section_cost: cannot be more than 1000000 € (got \
             79228162514264337593543950335.00)",
        ),
        (
            connections,
            "water.connections: cannot be more than 20 (got 4000000000)",
        ),
        (
            gas,
            "case: gas.extra_metres: a length in metres cannot be negative: -0.5",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/estimates"))
            .json(&case)
            .send()
            .await
            .expect("the server answers instead of dropping the connection");
        assert_eq!(response.status().as_u16(), 422, "{message}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "urn:connect-my-home:problem:invalid",
                "title": "Données refusées",
                "status": 422,
                "detail": message,
                "error": "invalid",
                "message": message,
            })
        );
    }
}
