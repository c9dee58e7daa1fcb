//! A part left unpriced for lack of a tariff book (V-5) is priced as soon as a book covering
//! its date is in force: uploaded in the operator portal, or found at the next start. The
//! system records a new version of the answer with the book's lines, keeps the lines staff
//! added by hand, and says in the timeline which book priced it; the parts of other operators
//! stay unpriced and still hold the offer back.

use connect_my_home::app::Application;

use crate::{
    helpers::{HandLine, TestApp, add_line, hidden, spawn_app_at, text_of},
    tariff_gap::{GAP_DAY, filed_and_assessed, html, queue_row, send_offer},
};

const ADMIN: &str = "tarifs@ores.demo";

/// The shipped ORES 2027 book moved to 2028 as ORES-2028.1, the 3x25 band at 1 540.00.
fn ores_2028() -> String {
    let book = include_str!("../../tariffs/ores-2027.toml")
        .replace("ORES-2027-demo.1", "ORES-2028.1")
        .replace("valid_from = 2027-01-01", "valid_from = 2028-01-01")
        .replace("valid_until = 2027-12-31", "valid_until = 2028-12-31");
    let band = "band = \"3x25\"\nprice = \"1495.00\"";
    assert_eq!(
        book.matches(band).count(),
        1,
        "the 3x25 band of the shipped book"
    );
    book.replace(band, "band = \"3x25\"\nprice = \"1540.00\"")
}

/// The latest version of each answer of the request, by service: (version, actor kind,
/// reason, body).
async fn latest(
    app: &TestApp,
    id: &str,
) -> Vec<(String, i64, String, Option<String>, serde_json::Value)> {
    let rows: Vec<(String, i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT a.service, v.version, v.actor_kind, v.reason, v.body FROM assessments a \
         JOIN assessment_versions v ON v.assessment_id = a.id AND v.version = a.version \
         WHERE a.request_id = $1 ORDER BY a.service",
    )
    .bind(id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(service, version, actor, reason, body)| {
            (
                service,
                version,
                actor,
                reason,
                serde_json::from_str(&body).unwrap(),
            )
        })
        .collect()
}

/// Posts `book` on the tariff page as `client`: the status.
async fn upload(app: &TestApp, client: &reqwest::Client, book: &str) -> u16 {
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
    response.status().as_u16()
}

/// Marie's request filed on the app's day and answered by every operator, all unpriced.
async fn unpriced_request(app: &TestApp) -> (String, String) {
    let (reference, id) = filed_and_assessed(app).await;
    for (service, version, actor, _, body) in latest(app, &id).await {
        assert_eq!((version, actor.as_str()), (1, "system"), "{service}");
        assert_eq!(body["unpriced"]["kind"], "no_book_in_force", "{service}");
    }
    (reference, id)
}

/// The case officer adds a line at 0 € by hand to the gas part (it stays unpriced).
async fn gas_line_by_hand(app: &TestApp, officer: &reqwest::Client, id: &str) {
    let line = HandLine {
        service: "gas",
        label: "Gaine offerte",
        unit_price: "0",
        vat: "standard",
        reason: "Geste commercial",
    };
    let response = add_line(app, officer, id, line).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn v_5_an_uploaded_book_prices_the_parts_left_unpriced_on_its_dates() {
    let app = spawn_app_at(GAP_DAY).await;
    let (reference, id) = unpriced_request(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;
    gas_line_by_hand(&app, &julien, &id).await;

    let admin = app.signed_in(ADMIN).await;
    assert_eq!(upload(&app, &admin, &ores_2028()).await, 303);

    // ORES' two parts are priced with the new book, by the system, saying which book.
    let stored = latest(&app, &id).await;
    let services: Vec<&str> = stored.iter().map(|(s, ..)| s.as_str()).collect();
    assert_eq!(services, ["electricity", "gas", "proximus", "voo", "water"]);
    let (_, version, actor, reason, electricity) = &stored[0];
    assert_eq!(
        (*version, actor.as_str(), reason.as_deref()),
        (2, "system", Some("tariff_book_uploaded:ORES-2028.1"))
    );
    assert!(electricity.get("unpriced").is_none(), "{electricity}");
    let lines = electricity["lines"].as_array().unwrap();
    assert!(
        lines.iter().all(|l| l["book_version"] == "ORES-2028.1"),
        "{electricity}"
    );
    assert_eq!(lines[0]["code"], "E-BAND");
    assert_eq!(lines[0]["amount_excl_vat"], "1540.00");
    assert_eq!(lines[0]["vat_amount"], "323.40");
    assert_eq!(electricity["feasibility"], "feasible");

    // Gas: priced too, after the line added by hand (version 2), which it keeps.
    let (_, version, actor, reason, gas) = &stored[1];
    assert_eq!(
        (*version, actor.as_str(), reason.as_deref()),
        (3, "system", Some("tariff_book_uploaded:ORES-2028.1"))
    );
    assert!(gas.get("unpriced").is_none(), "{gas}");
    let lines = gas["lines"].as_array().unwrap();
    let (engine, by_hand) = lines.split_at(lines.len() - 1);
    assert!(!engine.is_empty());
    assert!(
        engine
            .iter()
            .all(|l| l["book_version"] == "ORES-2028.1"
                && l["code"].as_str().unwrap().starts_with("G-")),
        "{gas}"
    );
    assert_eq!(by_hand[0]["code"], "ADJ");
    assert_eq!(by_hand[0]["args"]["label"], "Gaine offerte");
    assert_eq!(by_hand[0]["amount_excl_vat"], "0");

    // The other operators' parts are untouched: no book of theirs covers 4 January 2028.
    for (service, version, _, _, body) in &stored[2..] {
        assert_eq!(*version, 1, "{service}");
        assert_eq!(body["unpriced"]["kind"], "no_book_in_force", "{service}");
    }

    // The case officer's page shows the ORES amounts, no ORES gap, and the timeline says it.
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(
        page.contains("1\u{202f}540,00 €") || page.contains("1&#8239;540,00 €"),
        "{page}"
    );
    assert!(!page.contains("Aucun barème ORES"), "{page}");
    assert!(page.contains("Aucun barème SWDE"));
    let event =
        html("Part sans tarif chiffrée avec le barème désormais en vigueur à sa date (règle V-5)");
    for part in ["Électricité (ORES)", "Gaz naturel (ORES)"] {
        assert!(
            page.contains(&format!(
                "<td>{event}</td>\n        <td>Système</td>\n        <td>{part} — ORES-2028.1</td>\n        <td>non</td>"
            )),
            "{part}: {page}"
        );
    }
    // Not said to the applicant.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM request_events WHERE kind = 'priced_with_book' AND public = 0"
        )
        .await,
        2
    );

    // ORES' own queue no longer flags it; the case officer's still does, for the others.
    let elec = app.signed_in("elec@ores.demo").await;
    let queue = text_of(&elec, app.url("/backoffice")).await;
    assert!(
        !queue_row(&queue, &reference).contains("no-tariff-flag"),
        "{queue}"
    );
    let queue = text_of(&julien, app.url("/backoffice")).await;
    assert!(queue_row(&queue, &reference).contains("no-tariff-flag"));
    let swde = app.signed_in("eau@swde.demo").await;
    let queue = text_of(&swde, app.url("/backoffice")).await;
    assert!(queue_row(&queue, &reference).contains("no-tariff-flag"));

    // The offer is still refused, for SWDE, Proximus and VOO only.
    let (status, body) = send_offer(&app, &julien, &id).await;
    assert_eq!(status, 422);
    let notice = &body[body.find("id=\"notice\"").unwrap()..];
    let notice = &notice[..notice.find("</p>").unwrap()];
    assert!(
        notice.contains(&html(
            "Eau (SWDE) — Aucun barème SWDE n'est en vigueur le 04/01/2028 (le dernier, \
             SWDE-2027-demo.1, a pris fin le 31/12/2027)."
        )),
        "{notice}"
    );
    assert!(notice.contains("Proximus — Aucun barème Proximus"));
    assert!(notice.contains("VOO — Aucun barème VOO"));
    assert!(!notice.contains("ORES"), "{notice}");
    assert_eq!(app.count("SELECT COUNT(*) FROM offers").await, 0);
}

#[tokio::test]
async fn v_5_a_book_not_covering_the_date_leaves_the_part_unpriced() {
    let app = spawn_app_at(GAP_DAY).await;
    let (_, id) = unpriced_request(&app).await;
    let admin = app.signed_in(ADMIN).await;
    // From 1 February 2028: 4 January still has no book.
    let later = ores_2028()
        .replace("ORES-2028.1", "ORES-2028.2")
        .replace("valid_from = 2028-01-01", "valid_from = 2028-02-01");
    assert_eq!(upload(&app, &admin, &later).await, 303);
    for (service, version, _, _, body) in latest(&app, &id).await {
        assert_eq!(version, 1, "{service}");
        assert_eq!(body["unpriced"]["kind"], "no_book_in_force", "{service}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'priced_with_book'")
            .await,
        0
    );
}

#[tokio::test]
async fn v_5_a_stored_book_prices_the_unpriced_parts_at_the_next_start() {
    let app = spawn_app_at(GAP_DAY).await;
    let (_, id) = unpriced_request(&app).await;
    // The book is stored by another way than this instance's upload (an instance stopped
    // right after storing it, say): copied as an upload would store it.
    let (user, organisation): (String, String) =
        sqlx::query_as("SELECT id, organisation_id FROM users WHERE email = $1")
            .bind(ADMIN)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO tariff_books (id, organisation_id, operator, version, valid_from, \
            valid_until, body, uploaded_by, uploaded_at) \
         VALUES ($1, $2, 'ores', 'ORES-2028.1', '2028-01-01', '2028-12-31', $3, $4, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(organisation)
    .bind(ores_2028())
    .bind(user)
    .bind("2028-01-04T09:05:00.000000Z")
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(latest(&app, &id).await[0].1, 1, "nothing priced yet");

    let restarted = Application::build(app.state.config.clone())
        .await
        .expect("app restarts");
    drop(restarted);
    let stored = latest(&app, &id).await;
    for (service, version, actor, reason, body) in &stored[..2] {
        assert_eq!(
            (*version, actor.as_str(), reason.as_deref()),
            (2, "system", Some("tariff_book_in_force:ORES-2028.1")),
            "{service}"
        );
        assert!(body.get("unpriced").is_none(), "{service}");
    }
    assert_eq!(stored[0].4["lines"][0]["amount_excl_vat"], "1540.00");
    for (service, version, ..) in &stored[2..] {
        assert_eq!(*version, 1, "{service}");
    }
}
