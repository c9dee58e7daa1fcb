//! No silent gap (V-5): a request dated after the last tariff book in force is never priced
//! at zero. Each operator's answer says which day has no book and which book ended before it,
//! the queue flags the request, the offer is refused with the reason, and the estimate (page and
//! API) names the day. The shipped books end on 2027-12-31: the app starts on 4 January 2028,
//! and on 31 December 2027 for the control.

use crate::helpers::{HandLine, TestApp, add_line, hidden, marie_from, spawn_app_at, text_of};

pub(crate) const GAP_DAY: &str = "2028-01-04T09:00:00Z";
const LAST_DAY: &str = "2027-12-31T09:00:00Z";

/// The text as an askama page writes it (apostrophes escaped).
pub(crate) fn html(text: &str) -> String {
    text.replace('\'', "&#39;")
}

/// What staff read on an answer without a book in force on 4 January 2028.
fn unpriced(operator: &str, last: &str) -> String {
    format!(
        "Aucun barème {operator} n'est en vigueur le 04/01/2028 (le dernier, {last}, a pris fin \
         le 31/12/2027) : cette part reste sans prix et l'offre ne peut pas être envoyée tant \
         qu'elle n'est pas chiffrée (règle V-5)."
    )
}

const ESTIMATE_QUERY: &str = "compute=1&building=house&dwelling_age=new&vat=private&postcode=5000\
    &electricity=on&band=3x25&current_band=&gas=on&gas_extra_m=\
    &water=on&water_distance_m=&water_inside_m=&proximus=on&voo=on";

fn case_json(date: &str) -> serde_json::Value {
    serde_json::json!({
        "request_date": date,
        "postcode": "5000",
        "electricity": { "band": "3x25" },
        "gas": { "extra_metres": 0 },
        "water": { "distance_to_main_m": 10, "inside_parcel_m": 1 },
        "proximus": true,
        "voo": true
    })
}

/// Marie's request filed on the app's day, answered by every operator.
pub(crate) async fn filed_and_assessed(app: &TestApp) -> (String, String) {
    let (reference, id) = app.file_assessed(&marie_from(app.today())).await;
    (reference, id)
}

/// Each answer's service and stored body, by service.
async fn answers(app: &TestApp, id: &str) -> Vec<(String, serde_json::Value)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.service, v.body FROM assessments a JOIN assessment_versions v \
         ON v.assessment_id = a.id AND v.version = a.version \
         WHERE a.request_id = $1 ORDER BY a.service",
    )
    .bind(id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(service, body)| (service, serde_json::from_str(&body).unwrap()))
        .collect()
}

/// The queue row of `reference` on a queue page.
pub(crate) fn queue_row<'a>(page: &'a str, reference: &str) -> &'a str {
    let at = page.find(reference).expect("the request is in the queue");
    let start = page[..at].rfind("<tr>").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    &page[start..end]
}

/// Posts the request page's send form, as the case officer.
pub(crate) async fn send_offer(
    app: &TestApp,
    officer: &reqwest::Client,
    id: &str,
) -> (u16, String) {
    let page = text_of(officer, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = officer
        .post(app.url(&format!("/backoffice/requests/{id}/offer")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", String::new()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn v_5_a_request_after_the_last_book_is_said_unpriced_flagged_and_never_offered_at_zero() {
    let app = spawn_app_at(GAP_DAY).await;
    let (reference, id) = filed_and_assessed(&app).await;

    // Every answer stands without a single line, and keeps why: the day and the last book.
    let stored = answers(&app, &id).await;
    let services: Vec<&str> = stored.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services, ["electricity", "gas", "proximus", "voo", "water"]);
    for (service, body) in &stored {
        assert!(
            body["lines"].as_array().is_none_or(|l| l.is_empty()),
            "{service}: {body}"
        );
        assert_eq!(body["unpriced"]["kind"], "no_book_in_force", "{service}");
        assert_eq!(body["unpriced"]["date"], "2028-01-04", "{service}");
        assert_eq!(
            body["unpriced"]["previous_book"]["valid_until"], "2027-12-31",
            "{service}"
        );
        assert!(
            body["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r != "tariff_unavailable")
        );
    }
    assert_eq!(
        stored[0].1["unpriced"]["previous_book"]["version"],
        "ORES-2027-demo.1"
    );

    // The case officer's request page says it for each operator, in French.
    let julien = app.signed_in("julien@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&julien, &page_url).await;
    let ores = html(&unpriced("ORES", "ORES-2027-demo.1"));
    assert_eq!(
        page.matches(&ores).count(),
        2,
        "electricity and gas: {page}"
    );
    for (operator, last) in [
        ("SWDE", "SWDE-2027-demo.1"),
        ("Proximus", "PROXIMUS-2027-demo.1"),
        ("VOO", "VOO-2027-demo.1"),
    ] {
        assert_eq!(
            page.matches(&html(&unpriced(operator, last))).count(),
            1,
            "{operator}"
        );
    }
    assert!(
        !page.contains("<table class=\"quote\">"),
        "no priced line anywhere"
    );

    // Each operator reads it on its own answer, and only its own.
    let swde = app.signed_in("eau@swde.demo").await;
    let own = text_of(&swde, &page_url).await;
    assert!(own.contains(&html(&unpriced("SWDE", "SWDE-2027-demo.1"))));
    assert!(!own.contains("Aucun barème ORES"));
    let electricity = app.signed_in("elec@ores.demo").await;
    let own = text_of(&electricity, &page_url).await;
    assert_eq!(own.matches(&ores).count(), 1);
    assert!(!own.contains("Aucun barème SWDE"));

    // The queue flags the request at a glance, keeps it under the filter, and so does the API.
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(
        queue_row(&queue, &reference)
            .contains("<strong class=\"flag no-tariff-flag\">sans tarif en vigueur</strong>"),
        "{queue}"
    );
    let filtered = text_of(&julien, app.url("/backoffice?no_tariff=1")).await;
    assert!(filtered.contains(&reference));
    assert!(filtered.contains("name=\"no_tariff\" value=\"1\" checked"));
    let listed: serde_json::Value = julien
        .get(app.url("/api/v1/requests?no_tariff=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["reference"], reference.as_str());
    assert_eq!(listed[0]["no_tariff"], true);
    let queue = text_of(&swde, app.url("/backoffice")).await;
    assert!(queue_row(&queue, &reference).contains("no-tariff-flag"));

    // Sending the offer is refused with the day, the last books and the rule; nothing is sent.
    let parts = [
        ("Électricité (ORES)", "ORES", "ORES-2027-demo.1"),
        ("Gaz naturel (ORES)", "ORES", "ORES-2027-demo.1"),
        ("Eau (SWDE)", "SWDE", "SWDE-2027-demo.1"),
        ("Proximus", "Proximus", "PROXIMUS-2027-demo.1"),
        ("VOO", "VOO", "VOO-2027-demo.1"),
    ]
    .map(|(service, operator, last)| {
        format!(
            "{service} — Aucun barème {operator} n'est en vigueur le 04/01/2028 (le dernier, \
             {last}, a pris fin le 31/12/2027)."
        )
    });
    let refusal = format!(
        "L'offre ne peut pas être envoyée : aucune offre n'est envoyée avec une part sans prix, \
         ni à 0 € pour elle (règle V-5). {}",
        parts.join(" ")
    );
    let (status, body) = send_offer(&app, &julien, &id).await;
    assert_eq!(status, 422);
    assert!(
        body.contains(&format!(
            "id=\"notice\" role=\"alert\">{}</p>",
            html(&refusal)
        )),
        "{body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'offer'")
            .await,
        0
    );

    // A line at 0 € added by hand does not make the part priced: still refused for it.
    let line = HandLine {
        service: "electricity",
        label: "Raccordement",
        unit_price: "0",
        vat: "standard",
        reason: "Offert",
    };
    let response = add_line(&app, &julien, &id, line).await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, body) = send_offer(&app, &julien, &id).await;
    assert_eq!(status, 422);
    assert!(body.contains(&html(&parts[0])), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 0);

    // The estimate page names the day in the visitor's language; filing stays possible.
    let (status, page) = app.get_text(&format!("/estimate?{ESTIMATE_QUERY}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&html(
            "Aucun tarif n'est en vigueur le 4 janvier 2028 pour ORES, SWDE, Proximus, VOO : \
             l'estimation n'est pas disponible pour cette date. Vous pouvez tout de même \
             introduire votre demande."
        )),
        "{page}"
    );
    assert!(!page.contains("estimate-result"));
    let english = app
        .client
        .get(app.url(&format!("/estimate?{ESTIMATE_QUERY}")))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains(
        "No tariff is in force on 4 January 2028 for ORES, SWDE, Proximus, VOO: the estimate is \
         not available for this date. You can still file your request."
    ));

    // The API answers 422 naming the operator, the day and the last book.
    let response = app
        .client
        .post(app.url("/api/v1/estimates"))
        .json(&case_json("2028-01-04"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid");
    assert_eq!(
        body["message"],
        "no ores tariff book is in force on 2028-01-04: the last book, ORES-2027-demo.1, ended on \
         2027-12-31 and no later book exists yet (books cover: ORES-2025-demo.1 \
         2025-01-01..2025-12-31, ORES-2026-demo.1 2026-01-01..2026-12-31, ORES-2027-demo.1 \
         2027-01-01..2027-12-31) (rule V-5)"
    );
    let gap = |operator: &str, last: &str| {
        serde_json::json!({
            "operator": operator,
            "date": "2028-01-04",
            "previous_book": {
                "version": last,
                "valid_from": "2027-01-01",
                "valid_until": "2027-12-31"
            }
        })
    };
    assert_eq!(
        body["tariff_gaps"],
        serde_json::json!([
            gap("ores", "ORES-2027-demo.1"),
            gap("swde", "SWDE-2027-demo.1"),
            gap("proximus", "PROXIMUS-2027-demo.1"),
            gap("voo", "VOO-2027-demo.1"),
        ])
    );
}

#[tokio::test]
async fn v_5_the_same_request_on_the_last_day_of_the_books_is_priced_normally() {
    let app = spawn_app_at(LAST_DAY).await;
    let (reference, id) = filed_and_assessed(&app).await;

    let stored = answers(&app, &id).await;
    for (service, body) in &stored {
        assert!(body.get("unpriced").is_none(), "{service}: {body}");
        assert!(!body["lines"].as_array().unwrap().is_empty(), "{service}");
    }
    let electricity = &stored[0].1["lines"][0];
    assert_eq!(electricity["code"], "E-BAND");
    assert_eq!(electricity["amount_excl_vat"], "1495.00");
    assert_eq!(electricity["book_version"], "ORES-2027-demo.1");

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("1\u{202f}495,00 €") || page.contains("1&#8239;495,00 €"));
    assert!(!page.contains("Aucun barème"));
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(!queue_row(&queue, &reference).contains("no-tariff-flag"));
    let filtered = text_of(&julien, app.url("/backoffice?no_tariff=1")).await;
    assert!(!filtered.contains(&reference));
    assert!(filtered.contains("id=\"queue-empty\""));

    let (status, body) = send_offer(&app, &julien, &id).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 1);

    let (status, page) = app.get_text(&format!("/estimate?{ESTIMATE_QUERY}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("estimate-result"));
    assert!(!page.contains("Aucun tarif n&#39;est en vigueur"));
}
