//! Offers true to the regulations: each document, each payee and each payment as the rules
//! say. The servicing of land is a document of its own (V-8, V-4); the cabin lease fee is paid
//! BY ORES at the deed, never deducted (V-9.2); quote-parts are paid by the applicant to the
//! earlier holders, not collected by SWDE (B-10); a due is paid when its payments reach it
//! (V-8.2.1, B-5.4). Read from what the applicant receives (the PDF) and from the API.

use connect_my_home::demo as seed;
use rust_decimal::Decimal;

use crate::{
    helpers::{
        HandLine, TestApp, accept_offer_online, add_line, hidden, json_of, marie, record_study,
        send_offer_as, spawn_app, text_of,
    },
    servicing::tournai_lots,
    water::{post_survey, water_request},
};

/// The text of version `version`'s PDF as the applicant received it, without spaces (amounts
/// are printed with narrow spaces between thousands).
async fn pdf_text(app: &TestApp, id: &str, version: i64) -> String {
    let julien = app.signed_in("julien@ores.demo").await;
    let response = julien
        .get(app.url(&format!("/backoffice/requests/{id}/offers/{version}.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.bytes().await.unwrap();
    pdf_extract::extract_text_from_mem(&bytes)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn find(
    items: &serde_json::Value,
    what: impl Fn(&serde_json::Value) -> bool,
) -> Vec<&serde_json::Value> {
    items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| what(i))
        .collect()
}

#[tokio::test]
async fn v_8_v_9_2_journey_2_servicing_is_its_own_document_and_ores_pays_the_lease_at_the_deed() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&tournai_lots()).await;
    // ORES' study: 20 existing supply points outside the land share the two cabins.
    assert_eq!(
        record_study(
            &app,
            &id,
            &[
                ("points_outside", "20"),
                ("text", "Réseau existant rue de la Citadelle"),
            ],
        )
        .await,
        303
    );
    app.wait_state(&id, "assessed").await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;

    let json = json_of(&julien, app.url(&format!("/api/v1/requests/{id}")), 200).await;
    let offer = &json["offers"][0];
    // Two ORES documents: the connection, and the servicing of the land with its own sums.
    let servicing = find(&offer["documents"], |d| d["scope"] == "servicing");
    assert_eq!(servicing.len(), 1, "{offer}");
    let servicing = servicing[0];
    assert_eq!(
        (
            &servicing["kind"],
            &servicing["operator"],
            &servicing["payee"]
        ),
        (
            &"offer".into(),
            &"ORES électricité".into(),
            &"ORES Assets".into()
        )
    );
    // 120 m × 95.00 + 4 candelabras × 1,650.00, both reverse charged for a VAT-registered
    // developer (V-6): 18,000.00, no VAT. The dossier fee (250.00 + 52.50 VAT, V-3.1, V-6) was
    // invoiced at filing: the offer's fee line is 0 € (it was 18,250.00 + 52.50 VAT).
    assert_eq!(servicing["total_excl_vat"], "18000.00");
    assert_eq!(servicing["total_vat"], "0.00");
    assert_eq!(servicing["total_incl_vat"], "18000.00");
    let connections = find(&offer["documents"], |d| {
        d["scope"] == "connections" && d["operator"] == "ORES électricité"
    });
    assert_eq!(connections.len(), 1, "{offer}");

    // Who pays whom: the developer pays ORES the whole servicing before the works; ORES pays
    // the developer the lease fee at the deed: 36 m² × 144 €/m² (Hainaut) × 20 / (20 + 60),
    // for each of the two cabins (V-9.2). Nothing is netted.
    let payees = &offer["payees"];
    let to_ores = find(payees, |p| {
        p["direction"] == "applicant_to_operator" && p["scope"] == "servicing"
    });
    assert_eq!(to_ores.len(), 1, "{payees}");
    assert_eq!(
        (
            &to_ores[0]["payer"],
            &to_ores[0]["payee"],
            &to_ores[0]["amount"],
            &to_ores[0]["due"]
        ),
        (
            &"Habitat Picard SA".into(),
            &"ORES Assets".into(),
            &"18000.00".into(),
            &"before_works".into()
        )
    );
    let lease = find(payees, |p| p["direction"] == "operator_to_applicant");
    assert_eq!(lease.len(), 1, "{payees}");
    assert_eq!(
        (
            &lease[0]["payer"],
            &lease[0]["payee"],
            &lease[0]["amount"],
            &lease[0]["due"],
            &lease[0]["rule"],
            &lease[0]["outstanding"]
        ),
        (
            &"ORES électricité".into(),
            &"Habitat Picard SA".into(),
            &"2592.00".into(),
            &"at_deed".into(),
            &"V-9.2".into(),
            &"2592.00".into()
        )
    );
    assert!(
        find(payees, |p| p["amount"] == "15408.00").is_empty(),
        "the lease is never deducted from what the developer pays: {payees}"
    );

    // The officer's page names both sides of each payment.
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("Habitat Picard SA → ORES Assets"), "{page}");
    assert!(
        page.contains("ORES électricité → Habitat Picard SA"),
        "{page}"
    );

    // The PDF the developer receives says the same.
    let pdf = pdf_text(&app, &id, 1).await;
    assert!(pdf.contains("Offre—Viabilisationduterrain"), "{pdf}");
    assert!(pdf.contains("18000,00"), "{pdf}");
    assert!(pdf.contains("2592,00"), "{pdf}");
    assert!(
        pdf.contains(&squeezed(
            "à la signature de l'acte authentique (règle V-9.2)"
        )),
        "{pdf}"
    );
}

#[tokio::test]
async fn b_10_journey_3_each_holder_is_a_payee_of_its_own_and_keeps_its_share_on_a_reissue() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    let (status, _) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "62"),
            ("inside_parcel_m", "2"),
            ("holder_name", "Famille Dubois"),
            ("holder_parcel", "Section A 12"),
            ("holder_cost", "8400"),
            ("holder_months", "14"),
            ("holder_name", "M. et Mme Leroy"),
            ("holder_parcel", "Section A 13"),
            ("holder_cost", "3600"),
            ("holder_months", "5"),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    app.wait_state(&s.id, "assessed").await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &s.id, "").await;
    // A re-issue (V-8.3) prices every line again: each share keeps its holder's amount.
    send_offer_as(&app, &julien, &s.id, "Nouvelle version demandée").await;

    let json = json_of(&julien, app.url(&format!("/api/v1/requests/{}", s.id)), 200).await;
    let offer = &json["offers"][0];
    assert_eq!(offer["version"], 2);
    let payees = &offer["payees"];
    let shares: Vec<(&str, &str, &str, &str)> =
        find(payees, |p| p["direction"] == "applicant_to_holder")
            .iter()
            .map(|p| {
                (
                    p["payer"].as_str().unwrap(),
                    p["payee"].as_str().unwrap(),
                    p["amount"].as_str().unwrap(),
                    p["rule"].as_str().unwrap(),
                )
            })
            .collect();
    // C/3 × (60 − 14)/60 = 8,400 / 3 × 46/60 and C'/2 × (60 − 5)/60 = 3,600 / 2 × 55/60.
    assert_eq!(
        shares,
        [
            ("Marie Dupont", "Famille Dubois", "2146.67", "B-10"),
            ("Marie Dupont", "M. et Mme Leroy", "1650.00", "B-10")
        ],
        "{payees}"
    );
    let formula = find(payees, |p| p["payee"] == "Famille Dubois")[0]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        squeezed(&formula).contains(&squeezed(
            "8400.00 € ÷ (3 − 1 + 1) × (60 − 14) ÷ 60 = 2 146,67"
        )),
        "{formula}"
    );
    // SWDE is paid its own document only: its QR and communication carry no share.
    let swde = find(payees, |p| p["direction"] == "applicant_to_operator");
    assert_eq!(swde.len(), 1, "{payees}");
    let water = find(&offer["documents"], |d| d["operator"] == "SWDE");
    assert_eq!(swde[0]["amount"], water[0]["total_incl_vat"]);
    let document: serde_json::Value = {
        let text: String =
            sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1 AND version = 2")
                .bind(&s.id)
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let section = &document["sections"][0];
    assert!(
        section["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| !l["label"].as_str().unwrap().contains("Quote-part")),
        "{section}"
    );
    let lines_incl: Decimal = section["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["amount_excl_vat"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap()
                + l["vat_amount"]
                    .as_str()
                    .unwrap()
                    .parse::<Decimal>()
                    .unwrap()
        })
        .sum();
    assert_eq!(
        swde[0]["amount"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        lines_incl
    );
    // SWDE checks each signed receipt before the works.
    let prerequisites = section["prerequisites"].to_string();
    assert!(
        prerequisites.contains("quittance signée de la quote-part payée à Famille Dubois"),
        "{prerequisites}"
    );

    let pdf = pdf_text(&app, &s.id, 2).await;
    assert!(
        pdf.contains(&squeezed("Famille Dubois (Section A 12)")),
        "{pdf}"
    );
    assert!(pdf.contains("2146,67") && pdf.contains("1650,00"), "{pdf}");
    assert!(pdf.contains(&squeezed("pas à SWDE")), "{pdf}");
}

/// Marie's five connections, assessed, with the officer signed in and her private link.
async fn assessed(app: &TestApp) -> (String, reqwest::Client, String) {
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    (id, app.signed_in("julien@ores.demo").await, link)
}

#[tokio::test]
async fn v_8_2_1_b_5_4_payments_add_up_to_the_amount_due_and_what_cannot_be_real_is_refused() {
    let app = spawn_app().await;
    let (id, julien, link) = assessed(&app).await;
    send_offer_as(&app, &julien, &id, "").await;
    let api = app.url(&format!("/api/v1/requests/{id}"));
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let dues = json_of(&julien, &api, 200).await["offers"][0]["payees"].clone();
    let ores = find(&dues, |p| p["payee"] == "ORES Assets")[0].clone();
    let swde = find(&dues, |p| p["payee"] == "Société wallonne des eaux (SWDE)")[0].clone();
    let ores_due: Decimal = ores["amount"].as_str().unwrap().parse().unwrap();
    let today = app.today();
    let pay = |organisation: &str, amount: &str, paid_on: String, key: &str| {
        let organisation = organisation.to_owned();
        let amount = amount.to_owned();
        let key = key.to_owned();
        let julien = julien.clone();
        let page_url = page_url.clone();
        async move {
            let csrf = hidden(&text_of(&julien, &page_url).await, "csrf_token");
            let response = julien
                .post(format!("{page_url}/payments"))
                .form(&[
                    ("csrf_token", csrf),
                    ("organisation", organisation),
                    ("amount", amount),
                    ("paid_on", paid_on),
                    ("key", key),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let organisation: String =
        sqlx::query_scalar("SELECT id FROM organisations WHERE slug = 'ores-electricity'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();

    // Before acceptance a payment of the offer is refused, with why.
    let (status, page) = pay(&organisation, "100", today.to_string(), "k1").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("L&#39;offre doit d&#39;abord être acceptée."),
        "{page}"
    );
    assert_eq!(accept_offer_online(&app, &link, &id).await.0, 303);

    // A payment dated tomorrow cannot have happened.
    let tomorrow = today.succ_opt().unwrap().to_string();
    let (status, page) = pay(&organisation, "100", tomorrow, "k2").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("ne peut pas être daté dans le futur"),
        "{page}"
    );

    // A first instalment: recorded, ORES is not paid yet, and the works wait.
    assert_eq!(
        pay(&organisation, "1000", today.to_string(), "k3").await.0,
        303
    );
    // The same form posted again records nothing more.
    assert_eq!(
        pay(&organisation, "1000", today.to_string(), "k3").await.0,
        303
    );
    let json = json_of(&julien, &api, 200).await;
    let ores = find(&json["offers"][0]["payees"], |p| {
        p["payee"] == "ORES Assets"
    })[0]
        .clone();
    assert_eq!(ores["paid"], "1000.00");
    assert_eq!(
        ores["outstanding"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        ores_due - Decimal::from(1000)
    );
    assert!(ores["paid_at"].is_null());
    assert_eq!(json["state"], "accepted");

    // The rest and 10 € too many: ORES is paid on that day, and the 10 € are a refund due.
    let rest = (ores_due - Decimal::from(1000) + Decimal::from(10)).to_string();
    assert_eq!(
        pay(&organisation, &rest, today.to_string(), "k4").await.0,
        303
    );
    let json = json_of(&julien, &api, 200).await;
    let ores = find(&json["offers"][0]["payees"], |p| {
        p["payee"] == "ORES Assets"
    })[0]
        .clone();
    assert_eq!(ores["refund"], "10.00");
    assert_eq!(ores["outstanding"], "0.00");
    assert_eq!(ores["paid_at"], today.to_string());
    assert_eq!(ores["payments"].as_array().unwrap().len(), 2);
    // A further payment of a due paid in full is refused.
    let (status, page) = pay(&organisation, "5", today.to_string(), "k5").await;
    assert_eq!(status, 422);
    assert!(page.contains("déjà payé en entier"), "{page}");
    assert_eq!(json["state"], "accepted", "SWDE is not paid yet");
    let page = text_of(&julien, &page_url).await;
    assert!(page.contains("à rembourser : 10,00"), "{page}");

    // SWDE in full: nothing more is due before the works.
    let swde_org: String = sqlx::query_scalar("SELECT id FROM organisations WHERE slug = 'swde'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        pay(
            &swde_org,
            swde["amount"].as_str().unwrap(),
            today.to_string(),
            "k6"
        )
        .await
        .0,
        303
    );
    assert_eq!(
        json_of(&julien, &api, 200).await["state"],
        "ready_for_works"
    );
}

#[tokio::test]
async fn b_10_each_share_follows_the_recorded_day_of_payment_at_the_offers_date_and_ends_after_60_months()
 {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    // The Dubois section was paid 2021-12-01: 60 whole months before the offer of 2026-12-02,
    // its share is gone. The Leroy section was paid 2026-07-02: 5 months.
    let (status, _) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "62"),
            ("inside_parcel_m", "2"),
            ("holder_name", "Famille Dubois"),
            ("holder_parcel", "Section A 12"),
            ("holder_cost", "8400"),
            ("holder_paid_on", "2021-12-01"),
            ("holder_months", ""),
            ("holder_name", "M. et Mme Leroy"),
            ("holder_parcel", "Section A 13"),
            ("holder_cost", "3600"),
            ("holder_paid_on", "2026-07-02"),
            ("holder_months", ""),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    app.wait_state(&s.id, "assessed").await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &s.id, "").await;
    let api = app.url(&format!("/api/v1/requests/{}", s.id));
    let shares = |json: serde_json::Value| -> Vec<(String, String)> {
        find(&json["offers"][0]["payees"], |p| {
            p["direction"] == "applicant_to_holder"
        })
        .iter()
        .map(|p| {
            (
                p["payee"].as_str().unwrap().to_owned(),
                p["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
    };
    // 3rd connection: C'/2 × (60 − 5)/60 = 3,600 / 2 × 55/60; no zero share printed.
    assert_eq!(
        shares(json_of(&julien, &api, 200).await),
        [("M. et Mme Leroy".to_owned(), "1650.00".to_owned())]
    );
    let pdf = pdf_text(&app, &s.id, 1).await;
    assert!(!pdf.contains("FamilleDubois"), "{pdf}");

    // Re-issued three months later (V-8.3): t = 8, 3,600 / 2 × 52/60.
    app.advance(chrono::Duration::days(90));
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &s.id, "Nouvelle version").await;
    assert_eq!(
        shares(json_of(&julien, &api, 200).await),
        [("M. et Mme Leroy".to_owned(), "1560.00".to_owned())]
    );
}

#[tokio::test]
async fn v_2_3_journey_5_an_inheritance_split_is_invoiced_without_prior_offer_and_its_payment_needs_no_acceptance()
 {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&crate::servicing::inheritance()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;
    let api = app.url(&format!("/api/v1/requests/{id}"));
    let json = json_of(&julien, &api, 200).await;
    let offer = &json["offers"][0];
    let servicing = find(&offer["documents"], |d| d["scope"] == "servicing");
    assert_eq!(servicing.len(), 1, "{offer}");
    // An invoice (V-2.3): dossier fee 250.00 and 20 m + 12 m × 95.00 (V-4.1c), 21 % for a
    // private author (V-6): 3,290.00 + 690.90.
    assert_eq!(servicing[0]["kind"], "invoice");
    assert_eq!(servicing[0]["total_excl_vat"], "3290.00");
    assert_eq!(servicing[0]["total_vat"], "690.90");
    assert_eq!(servicing[0]["total_incl_vat"], "3980.90");
    let connection = find(&offer["documents"], |d| d["scope"] == "connections");
    assert_eq!(connection[0]["kind"], "offer");
    let pdf = pdf_text(&app, &id, 1).await;
    assert!(
        pdf.contains(&squeezed("Facture — Viabilisation du terrain")),
        "{pdf}"
    );
    // V-7/V-2.3: the offer's article 8 does not apply to the invoice.
    assert!(
        !pdf.contains(&squeezed(
            "Chaque phase du projet fait l'objet de sa propre offre"
        )),
        "{pdf}"
    );

    // The invoice is due as sent: its payment is recorded before any acceptance.
    let due = find(&offer["payees"], |p| {
        p["scope"] == "servicing" && p["direction"] == "applicant_to_operator"
    })[0]
        .clone();
    assert_eq!(due["document"], "invoice");
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&julien, &page_url).await;
    let due_id: String = sqlx::query_scalar(
        "SELECT p.id FROM offer_dues p JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.scope = 'servicing' AND p.direction = 'applicant_to_operator'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let response = julien
        .post(format!("{page_url}/payments"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("payee", due_id),
            ("amount", "3980.90".to_owned()),
            ("paid_on", app.today().to_string()),
            ("key", "invoice-1".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let json = json_of(&julien, &api, 200).await;
    let due = find(&json["offers"][0]["payees"], |p| {
        p["scope"] == "servicing" && p["direction"] == "applicant_to_operator"
    })[0]
        .clone();
    assert_eq!(due["paid_at"], app.today().to_string());
    assert_eq!(json["offers"][0]["status"], "sent");
}

#[tokio::test]
async fn v_4_2_journey_4_a_social_project_pays_only_its_special_demand_and_lighting_is_quoted_apart()
 {
    let app = spawn_app().await;
    let fields = crate::helpers::with(
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
    let (_, id) = app.file_assessed(&fields).await;
    // ORES' study records the one special demand the company made (V-4.2).
    assert_eq!(
        record_study(
            &app,
            &id,
            &[
                ("points_outside", "0"),
                ("surcharge", "2500"),
                (
                    "text",
                    "Câbles enfouis sous la place, à la demande du Foyer",
                ),
            ],
        )
        .await,
        303
    );
    app.wait_state(&id, "assessed").await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;

    let json = json_of(&julien, app.url(&format!("/api/v1/requests/{id}")), 200).await;
    let offer = &json["offers"][0];
    let servicing = find(&offer["documents"], |d| d["scope"] == "servicing");
    // No dossier fee (V-3.2), servicing free (V-4.2), the special demand at 21 %.
    assert_eq!(servicing[0]["kind"], "offer");
    assert_eq!(servicing[0]["total_excl_vat"], "2500.00");
    assert_eq!(servicing[0]["total_vat"], "525.00");
    assert_eq!(servicing[0]["total_incl_vat"], "3025.00");
    let due = find(&offer["payees"], |p| {
        p["scope"] == "servicing" && p["direction"] == "applicant_to_operator"
    });
    assert_eq!(
        (&due[0]["payer"], &due[0]["payee"], &due[0]["amount"]),
        (
            &"Le Foyer Tournaisien SCRL".into(),
            &"ORES Assets".into(),
            &"3025.00".into()
        )
    );
    let pdf = pdf_text(&app, &id, 1).await;
    assert!(pdf.contains("3025,00"), "{pdf}");
    // Public lighting, works and materials, is quoted on a separate offer (V-4.3).
    assert!(pdf.contains(&squeezed("À chiffrer séparément")), "{pdf}");
    assert!(pdf.contains(&squeezed("éclairage public")), "{pdf}");
}

#[tokio::test]
async fn v_6_b_5_2_vat_is_rounded_once_on_the_documents_sum_whatever_staff_added() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;
    // Three small lines at 21 %: 0.0063 € of VAT each, 0.01 € rounded line by line, 0.03 € for
    // the three; on their sum, 0.0189 €.
    for n in 1..=3 {
        let label = format!("Bouchon de test {n}");
        let line = HandLine {
            service: "water",
            label: &label,
            unit_price: "0.03",
            vat: "standard",
            reason: "Pièces posées à la demande",
        };
        let response = add_line(&app, &julien, &s.id, line).await;
        assert_eq!(response.status().as_u16(), 303);
    }
    send_offer_as(&app, &julien, &s.id, "").await;
    let text: String = sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1")
        .bind(&s.id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let section = &document["sections"][0];
    // The VAT of the document, worked out here: per regime on the sum of its lines, rounded
    // once to the cent, half away from zero.
    let mut bases: std::collections::BTreeMap<String, Decimal> = Default::default();
    for line in section["lines"].as_array().unwrap() {
        *bases
            .entry(line["vat_regime"].as_str().unwrap().to_owned())
            .or_default() += line["amount_excl_vat"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap();
    }
    let expected: Decimal = bases
        .iter()
        .map(|(regime, base)| {
            let rate = match regime.as_str() {
                "standard" => Decimal::from(21),
                "reduced" => Decimal::from(6),
                _ => Decimal::ZERO,
            };
            (base * rate / Decimal::from(100))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        })
        .sum();
    assert!(bases.contains_key("standard"), "{section}");
    assert_eq!(
        section["subtotal_vat"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        expected,
        "{section}"
    );
    // Each line shows its share, and the shares add up to the document's VAT.
    let shares: Decimal = section["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["vat_amount"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(shares, expected);
}
