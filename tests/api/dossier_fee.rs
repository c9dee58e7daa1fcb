//! The servicing dossier-opening fee is invoiced when the request is filed (V-3.1, regulation
//! art. 3.1: "préalablement à l'intervention d'ORES [...] reste définitivement acquis à ORES"),
//! at 21 % VAT (V-6), once per applicant and land; never for a social project (V-3.2); and a
//! servicing invoiced without an offer keeps it on that invoice (V-7, art. 7). The offer sent
//! after ORES' study no longer charges it: its fee line is 0 € and names the invoice.

use chrono::Duration;
use connect_my_home::services::offers;

use crate::{
    helpers::{
        TestApp, client, hidden, json_of, latest_mail, record_study, send_offer_as, spawn_app,
        text_of, with,
    },
    servicing::{division, inheritance, tournai_lots},
};

/// The Belgian structured communication `+++ddd/dddd/ddddd+++` of a ten-digit base, its two
/// check digits computed here (base mod 97, 97 for 0), not by the code under test.
fn communication(base: u64) -> String {
    let check = match base % 97 {
        0 => 97,
        rest => rest,
    };
    let digits = format!("{base:010}{check:02}");
    format!("+++{}/{}/{}+++", &digits[..3], &digits[3..7], &digits[7..])
}

/// `CMH-2026-000007` → its dossier-fee invoice number and communication (year, number, 99).
fn expected_invoice(reference: &str) -> (String, String) {
    let number: u64 = reference.rsplit('-').next().unwrap().parse().unwrap();
    let base = 26 * 100_000_000 + number * 100 + 99;
    (
        format!("DOS-{}", reference.trim_start_matches("CMH-")),
        communication(base),
    )
}

async fn detail(app: &TestApp, officer: &reqwest::Client, id: &str) -> serde_json::Value {
    json_of(officer, app.url(&format!("/api/v1/requests/{id}")), 200).await
}

async fn invoices(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM dossier_invoices").await
}

/// The latest answer of ORES electricity, once assessed.
async fn electricity_answer(app: &TestApp, id: &str) -> serde_json::Value {
    let body: String = sqlx::query_scalar(
        "SELECT v.body FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id \
         WHERE a.request_id = $1 AND a.service = 'electricity' ORDER BY v.version DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    serde_json::from_str(&body).unwrap()
}

fn fee_line(answer: &serde_json::Value) -> serde_json::Value {
    answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "V-DOSSIER")
        .unwrap_or_else(|| panic!("V-DOSSIER in {answer}"))
        .clone()
}

fn servicing_document(offer: &serde_json::Value) -> serde_json::Value {
    offer["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["scope"] == "servicing")
        .unwrap_or_else(|| panic!("a servicing document in {offer}"))
        .clone()
}

#[tokio::test]
async fn v_3_1_v_6_journey_2_the_dossier_fee_is_invoiced_at_filing_and_the_offer_does_not_charge_it_again()
 {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&division()).await;
    let id = app.request_id(&reference).await;
    let (number, structured) = expected_invoice(&reference);

    // Issued with the filing, before ORES intervenes: in the filing's own transaction, so the
    // invoice's event is at the very instant of the filing.
    let (submitted_at, invoiced_at): (String, String) = sqlx::query_as(
        "SELECT r.submitted_at, e.at FROM requests r JOIN request_events e ON e.request_id = r.id \
         WHERE r.id = $1 AND e.kind = 'dossier_fee_invoiced'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(invoiced_at, submitted_at);

    let julien = app.signed_in("julien@ores.demo").await;
    let json = detail(&app, &julien, &id).await;
    let invoice = &json["dossier_invoice"];
    // V-3.1 / V-6: 250.00 from the 2026 book in force on the request date, + 21 % = 52.50.
    assert_eq!(invoice["number"], number.as_str(), "{invoice}");
    assert_eq!(invoice["rule"], "V-3.1");
    assert_eq!(invoice["amount_excl_vat"], "250.00");
    assert_eq!(invoice["vat_rate"], "21");
    assert_eq!(invoice["vat_amount"], "52.50");
    assert_eq!(invoice["amount"], "302.50");
    assert_eq!(invoice["book_version"], "ORES-2026-demo.1");
    // Filed on 2 December 2026, payable in 15 days.
    assert_eq!(invoice["issued_on"], "2026-12-02");
    assert_eq!(invoice["due_on"], "2026-12-17");
    assert_eq!(invoice["structured_communication"], structured.as_str());
    assert_eq!(invoice["status"], "due");
    assert_eq!(invoice["paid_on"], serde_json::Value::Null);
    let iban = invoice["iban"].as_str().unwrap().to_owned();
    assert!(!iban.is_empty(), "{invoice}");

    // The confirmation says it all: amount, where to pay, by when, and that it is kept.
    let mail = latest_mail(&app, &id, "request_filed").await;
    for expected in [
        number.as_str(),
        "302,50",
        "250,00",
        "52,50",
        iban.as_str(),
        structured.as_str(),
        "17/12/2026",
        "restent acquis à ORES même si l'offre n'est pas acceptée",
    ] {
        assert!(mail.contains(expected), "{expected} in {mail}");
    }

    // The status page shows it, unpaid, with no payment form for the applicant.
    let link = app.private_link(&id).await;
    let page = text_of(&client(), &link).await;
    let section = &page[page
        .find("id=\"dossier-fee\"")
        .expect("the fee on the status page")..];
    for expected in [
        number.as_str(),
        "302,50",
        structured.as_str(),
        "À payer au plus tard le 17/12/2026",
    ] {
        assert!(section.contains(expected), "{expected} in {section}");
    }
    assert!(!page.contains("dossier-fee/payment"));

    // ORES' study: the offer's fee line is 0 € and names the invoice.
    app.wait_state(&id, "assessed").await;
    let fee = fee_line(&electricity_answer(&app, &id).await);
    assert_eq!(fee["amount_excl_vat"], "0.00");
    assert_eq!(fee["rule"], "V-3.1");
    assert_eq!(fee["label_key"], "tariff.line.dossier_fee_invoiced");
    assert_eq!(fee["args"]["number"], number.as_str());
    assert_eq!(fee["args"]["date"], "02/12/2026");

    send_offer_as(&app, &julien, &id, "").await;
    let json = detail(&app, &julien, &id).await;
    let offer = &json["offers"][0];
    // Servicing, private applicant, all at 21 % (V-6), VAT on the document's sum:
    // before: 250.00 + 42.5 m × 95.00 = 4,037.50 + 2 × 1,650.00 = 3,300.00 → 7,587.50,
    //         VAT 1,593.375 → 1,593.38, total 9,180.88;
    // now:    4,037.50 + 3,300.00 = 7,337.50, VAT 1,540.875 → 1,540.88, total 8,878.38
    //         (9,180.88 − 302.50).
    let servicing = servicing_document(offer);
    assert_eq!(servicing["total_excl_vat"], "7337.50", "{offer}");
    assert_eq!(servicing["total_vat"], "1540.88");
    assert_eq!(servicing["total_incl_vat"], "8878.38");
    // The connection 3x25: 1,450.00 + 21 % = 1,754.50. The offer: 10,935.38 before, now
    // 10,632.88 (10,935.38 − 302.50).
    assert_eq!(offer["total_incl_vat"], "10632.88", "{offer}");
    let document: String = sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        document.contains(&format!("facture {number} du 02/12/2026")),
        "{document}"
    );

    // V-8.3: two lots added, a revised offer. It keeps the fee at 0 € naming the invoice; the
    // invoice is neither waived nor issued again.
    assert_eq!(
        record_study(&app, &id, &[("lots", "6"), ("text", "Deux lots ajoutés")]).await,
        303
    );
    let fee = fee_line(&electricity_answer(&app, &id).await);
    assert_eq!(fee["amount_excl_vat"], "0.00");
    assert_eq!(fee["label_key"], "tariff.line.dossier_fee_invoiced");
    send_offer_as(&app, &julien, &id, "Deux lots ajoutés").await;
    let json = detail(&app, &julien, &id).await;
    assert_eq!(json["offers"][0]["version"], 2);
    assert_eq!(
        servicing_document(&json["offers"][0])["total_excl_vat"],
        // 42.5 m × 95.00 + 2 × 1,650.00: the flat rate is per metre, not per lot.
        "7337.50"
    );
    assert_eq!(json["dossier_invoice"]["amount"], "302.50");
    assert_eq!(json["dossier_invoice"]["status"], "due");
    assert_eq!(invoices(&app).await, 1);
}

#[tokio::test]
async fn v_3_1_the_offer_lapses_the_dossier_fee_stays_due_and_the_officer_records_its_payment() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&division()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;

    // Never accepted: valid until 2 June 2027 (V-8.1), lapsed the day after.
    app.advance_to(chrono::NaiveDate::from_ymd_opt(2027, 6, 3).unwrap());
    assert_eq!(
        offers::run_daily(&app.state, app.now())
            .await
            .unwrap()
            .lapsed,
        1
    );
    let julien = app.signed_in("julien@ores.demo").await;
    let json = detail(&app, &julien, &id).await;
    assert_eq!(json["state"], "lapsed");
    // "Reste définitivement acquis à ORES": still due, and late since 17 December 2026.
    assert_eq!(json["dossier_invoice"]["amount"], "302.50");
    assert_eq!(json["dossier_invoice"]["status"], "overdue");
    let link = app.private_link(&id).await;
    let page = text_of(&client(), &link).await;
    assert!(
        page.contains("En retard : échue le 17/12/2026"),
        "the applicant sees it"
    );

    // The officer records its payment: in full, not in the future, as the offer's dues.
    let url = app.url(&format!("/backoffice/requests/{id}"));
    let pay = |amount: &'static str, paid_on: String| {
        let julien = julien.clone();
        let url = url.clone();
        async move {
            let page = text_of(&julien, &url).await;
            assert!(page.contains("id=\"dossier-fee-payment\""), "the form");
            let response = julien
                .post(format!("{url}/dossier-fee/payment"))
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("amount", amount.to_owned()),
                    ("paid_on", paid_on),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (status, body) = pay("100.00", app.today().to_string()).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("en une fois, pour leur montant : 302,50"),
        "{body}"
    );
    assert!(body.contains("(règle V-3.1)"), "{body}");
    let tomorrow = (app.today() + Duration::days(1)).to_string();
    let (status, _) = pay("302.50", tomorrow).await;
    assert_eq!(status, 422, "a payment dated in the future is refused");
    let (status, _) = pay("302.50", "2026-12-01".to_owned()).await;
    assert_eq!(status, 422, "a payment dated before the invoice is refused");
    assert_eq!(
        detail(&app, &julien, &id).await["dossier_invoice"]["status"],
        "overdue",
        "nothing recorded"
    );
    let (status, _) = pay("302,50", "2027-01-10".to_owned()).await;
    assert_eq!(status, 303);
    let invoice = detail(&app, &julien, &id).await["dossier_invoice"].clone();
    assert_eq!(invoice["status"], "paid");
    assert_eq!(invoice["paid_on"], "2027-01-10");
    assert_eq!(invoice["paid_amount"], "302.50");
    let page = text_of(&client(), &link).await;
    assert!(
        page.contains("Payée le 10/01/2027"),
        "the applicant sees it paid"
    );
    let page = text_of(&julien, &url).await;
    assert!(
        !page.contains("id=\"dossier-fee-payment\""),
        "paid: no form"
    );
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM request_events WHERE request_id = $1 AND kind = 'payment_registered'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
}

#[tokio::test]
async fn v_3_1_ores_refusing_the_servicing_in_writing_leaves_the_dossier_fee_due() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&division()).await;
    // ORES refuses its part in writing (B-4.4): no offer will come; the fee paid for the
    // preliminary study stays ORES' ("même en cas de non viabilisation").
    let (assessment_id, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let elec = app.signed_in("elec@ores.demo").await;
    let page = text_of(&elec, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = elec
        .post(app.url(&format!("/operator/assessments/{assessment_id}")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", version.to_string()),
            ("action", "refuse".to_owned()),
            ("code", "B-4.4".to_owned()),
            (
                "text",
                "Réseau saturé, renforcement non planifié".to_owned(),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let julien = app.signed_in("julien@ores.demo").await;
    let json = detail(&app, &julien, &id).await;
    assert_eq!(json["dossier_invoice"]["status"], "due", "{json}");
    assert_eq!(json["dossier_invoice"]["amount"], "302.50");
    let page = text_of(&client(), &app.private_link(&id).await).await;
    assert!(page.contains("Réseau saturé"), "the refusal is shown");
    assert!(
        page.contains("À payer au plus tard le 17/12/2026"),
        "and the fee still due"
    );
}

#[tokio::test]
async fn v_3_1_one_invoice_per_applicant_and_land_whoever_files_again() {
    let app = spawn_app().await;
    let julien = app.signed_in("julien@ores.demo").await;
    let (first, _) = app.file_ok(&tournai_lots()).await;
    let first_id = app.request_id(&first).await;
    assert_eq!(invoices(&app).await, 1);

    // The same company, from another mailbox, the parcel spelt its own way, before any offer:
    // no second invoice; its offer names the first request (V-3.1).
    let again = with(
        &tournai_lots(),
        &[
            ("email", "lotissement@habitat-picard.be"),
            ("company_number", "BE 0202 239 951"),
            ("parcel_ref", "tournai 5e div section B 412 C"),
            ("servicing_parcels", "8"),
        ],
    );
    let (second, _) = app.file_ok(&again).await;
    let second_id = app.request_id(&second).await;
    assert_eq!(invoices(&app).await, 1);
    assert_eq!(
        detail(&app, &julien, &second_id).await["dossier_invoice"],
        serde_json::Value::Null
    );
    assert!(
        !latest_mail(&app, &second_id, "request_filed")
            .await
            .contains("DOS-"),
        "no fee in the second confirmation"
    );
    app.wait_state(&second_id, "assessed").await;
    let fee = fee_line(&electricity_answer(&app, &second_id).await);
    assert_eq!(fee["amount_excl_vat"], "0.00");
    assert_eq!(fee["label_key"], "tariff.line.dossier_fee_already_charged");
    assert_eq!(fee["args"]["reference"], first.as_str());
    // The first request's own offer names its own invoice.
    app.wait_state(&first_id, "assessed").await;
    let fee = fee_line(&electricity_answer(&app, &first_id).await);
    assert_eq!(fee["label_key"], "tariff.line.dossier_fee_invoiced");

    // The same private person by the same mailbox for the same land: once too.
    let (marie_first, _) = app.file_ok(&division()).await;
    assert_eq!(invoices(&app).await, 2);
    let (marie_again, _) = app
        .file_ok(&with(&division(), &[("servicing_parcels", "5")]))
        .await;
    assert_eq!(invoices(&app).await, 2);
    let marie_again = app.request_id(&marie_again).await;
    assert_eq!(
        detail(&app, &julien, &marie_again).await["dossier_invoice"],
        serde_json::Value::Null
    );
    let marie_first = app.request_id(&marie_first).await;
    assert_eq!(
        detail(&app, &julien, &marie_first).await["dossier_invoice"]["amount"],
        "302.50"
    );

    // Another applicant for the same land opens a dossier of its own: invoiced (V-3.1).
    let neighbour = with(
        &tournai_lots(),
        &[
            ("name", "Terrains du Hainaut SRL"),
            ("email", "contact@terrains-hainaut.be"),
            ("company_number", "0403.170.701"),
        ],
    );
    let (third, _) = app.file_ok(&neighbour).await;
    let third_id = app.request_id(&third).await;
    assert_eq!(invoices(&app).await, 3);
    let invoice = detail(&app, &julien, &third_id).await["dossier_invoice"].clone();
    // A VAT filer pays the fee's VAT too: 21 % (V-6), never reverse charged.
    assert_eq!(invoice["amount"], "302.50", "{invoice}");
    assert_eq!(invoice["vat_amount"], "52.50");
}

#[tokio::test]
async fn v_3_2_a_social_project_gets_no_dossier_fee_invoice() {
    let app = spawn_app().await;
    let fields = with(
        &tournai_lots(),
        &[
            ("name", "Le Foyer Tournaisien SCRL"),
            ("vat", ""),
            ("servicing_parcels", "12"),
            ("servicing_supply_points", ""),
            ("servicing_cabin", ""),
            ("servicing_social", "public_housing_company"),
        ],
    );
    let (reference, _) = app.file_ok(&fields).await;
    let id = app.request_id(&reference).await;
    assert_eq!(invoices(&app).await, 0);
    let julien = app.signed_in("julien@ores.demo").await;
    assert_eq!(
        detail(&app, &julien, &id).await["dossier_invoice"],
        serde_json::Value::Null
    );
    app.wait_state(&id, "assessed").await;
    let fee = fee_line(&electricity_answer(&app, &id).await);
    assert_eq!(fee["rule"], "V-3.2");
    assert_eq!(fee["amount_excl_vat"], "0.00");
}

#[tokio::test]
async fn v_7_a_servicing_invoiced_without_offer_keeps_the_fee_on_its_invoice() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&inheritance()).await;
    let id = app.request_id(&reference).await;
    // No separate invoice: art. 7 invoices "frais d'ouverture de dossier + viabilisation".
    assert_eq!(invoices(&app).await, 0);
    assert!(
        !latest_mail(&app, &id, "request_filed")
            .await
            .contains("DOS-")
    );
    app.wait_state(&id, "assessed").await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;
    let json = detail(&app, &julien, &id).await;
    assert_eq!(json["dossier_invoice"], serde_json::Value::Null);
    let servicing = servicing_document(&json["offers"][0]);
    // Dossier fee 250.00 and 20 m + 12 m × 95.00 = 3,040.00 (V-4.1c): 3,290.00 + 21 % 690.90.
    assert_eq!(servicing["kind"], "invoice");
    assert_eq!(servicing["total_excl_vat"], "3290.00");
    assert_eq!(servicing["total_vat"], "690.90");
    assert_eq!(servicing["total_incl_vat"], "3980.90");
    let fee = fee_line(&electricity_answer(&app, &id).await);
    assert_eq!(fee["amount_excl_vat"], "250.00");
}
