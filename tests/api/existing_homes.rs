//! Existing homes and every payer's VAT position, asked by the request form and priced as the
//! rules say: 6% on works on a dwelling of 10 years or more (with its declaration), a power
//! increase priced as the difference of bands (V-4), reverse charge for a self-employed VAT
//! filer (V-6), an exemption applied once its proof is received (B-4.1), SWDE's subsidy for a
//! new individual dwelling only (B-5.2), a modification paying the extra cost (B-8) and a
//! renewal at SWDE's cost unless nothing was billed for 24 months (B-9).

use reqwest::multipart::{Form, Part};
use rust_decimal::Decimal;

use crate::{
    helpers::{self, HandLine, TestApp, hidden, marie, send_offer_as, spawn_app, text_of, with},
    water::{post_survey, water_request_with},
};

/// Every line of the sent offer version `version`, each as (label, regime, amount excl. VAT,
/// VAT), with the document's VAT mentions.
async fn offer_lines(
    app: &TestApp,
    id: &str,
    version: i64,
) -> (Vec<(String, String, Decimal, Decimal)>, serde_json::Value) {
    let text: String =
        sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let decimal = |v: &serde_json::Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
    let lines = document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|section| section["lines"].as_array().unwrap())
        .map(|line| {
            (
                line["label"].as_str().unwrap().to_owned(),
                line["vat_regime"].as_str().unwrap().to_owned(),
                decimal(&line["amount_excl_vat"]),
                decimal(&line["vat_amount"]),
            )
        })
        .collect();
    (lines, document)
}

fn line<'a>(
    lines: &'a [(String, String, Decimal, Decimal)],
    label: &str,
) -> &'a (String, String, Decimal, Decimal) {
    lines
        .iter()
        .find(|(l, ..)| l.contains(label))
        .unwrap_or_else(|| panic!("no line {label:?} in {lines:?}"))
}

fn euros(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn filed(app: &TestApp, fields: &[(&'static str, String)]) -> String {
    let (_, id) = app.file_assessed(fields).await;
    id
}

/// A 15-year-old house in Namur: a power increase and water.
fn renovation() -> Vec<(&'static str, String)> {
    with(
        &marie(),
        &[
            ("dwelling", "existing"),
            ("dwelling_first_occupied_year", "2011"),
            ("electricity_band", "3x25"),
            ("electricity_current_band", "1x40"),
            ("gas", ""),
            ("proximus", ""),
            ("voo", ""),
        ],
    )
}

#[tokio::test]
async fn v_4_b_5_2_a_15_year_old_house_pays_the_band_difference_at_6_percent_with_its_declaration()
{
    let app = spawn_app().await;
    let id = filed(&app, &renovation()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    // The officer reads what the applicant declared, and the declaration the rate requires.
    assert!(
        page.contains("Logement existant, occupé depuis 2011 (14 ans révolus)"),
        "{page}"
    );
    assert!(
        page.contains("1 × 40 A (9,2 kVA) → 3 × 25 A (17,3 kVA)"),
        "{page}"
    );
    assert!(
        page.contains("Attestation TVA 6 % (logement de 10 ans et plus, habitation privée)"),
        "{page}"
    );
    send_offer_as(&app, &julien, &id, "").await;
    let (lines, document) = offer_lines(&app, &id, 1).await;
    // ORES: 1,450.00 (3 × 25 A) − 1,050.00 (1 × 40 A) = 400.00, at 6%: 24.00.
    let increase = line(&lines, "Augmentation de puissance de 1 × 40 A");
    assert_eq!(
        (increase.1.as_str(), increase.2, increase.3),
        ("reduced", euros("400.00"), euros("24.00"))
    );
    // SWDE, standard case before its survey: 50.00 + 480.00 + 440.00 + 25% of 920.00 =
    // 1,200.00 at 6%: 72.00. No new-dwelling subsidy is possible for this house.
    let water: Vec<_> = lines
        .iter()
        .filter(|(label, ..)| {
            ["Droit d'inscription", "raccordement d'eau", "Majoration"]
                .iter()
                .any(|l| label.contains(l))
        })
        .collect();
    assert_eq!(water.len(), 4, "{lines:?}");
    assert!(water.iter().all(|(_, regime, ..)| regime == "reduced"));
    let base: Decimal = water.iter().map(|(_, _, amount, _)| *amount).sum();
    let vat: Decimal = water.iter().map(|(.., vat)| *vat).sum();
    assert_eq!((base, vat), (euros("1200.00"), euros("72.00")));
    assert!(!lines.iter().any(|(label, ..)| label.contains("Subside")));
    // The reduced rate's mention is on the offer, and nothing else is charged: 1,696.00.
    assert!(
        document["vat_mentions"]
            .to_string()
            .contains("Taux réduit de 6 %"),
        "{document}"
    );
    assert_eq!(
        document["total_incl_vat"].as_str().unwrap(),
        "1696.00",
        "{document}"
    );
}

#[tokio::test]
async fn a_house_first_occupied_9_years_ago_pays_21_percent_and_a_new_build_no_increase() {
    let app = spawn_app().await;
    // First occupied in 2017: at most 9 full years on 2 December 2026.
    let young = with(&renovation(), &[("dwelling_first_occupied_year", "2017")]);
    let id = filed(&app, &young).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;
    let (lines, _) = offer_lines(&app, &id, 1).await;
    let increase = line(&lines, "Augmentation de puissance");
    assert_eq!(
        (increase.1.as_str(), increase.2, increase.3),
        ("standard", euros("400.00"), euros("84.00"))
    );
}

#[tokio::test]
async fn v_6_a_self_employed_vat_filer_is_reverse_charged_and_gives_its_number() {
    let app = spawn_app().await;
    let filer = with(
        &marie(),
        &[
            ("vat", "vat_filer"),
            ("gas", ""),
            ("water", ""),
            ("proximus", ""),
            ("voo", ""),
        ],
    );
    // Without its enterprise number the request is refused, the field named; nothing saved.
    let form = app.open_form().await;
    let response = app.file(&form, &filer).await;
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Numéro d&#39;entreprise : Un assujetti à la TVA indique son numéro de TVA"),
        "{body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    let filer = with(&filer, &[("company_number", "0403.170.701")]);
    let id = filed(&app, &filer).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &id, "").await;
    let (lines, document) = offer_lines(&app, &id, 1).await;
    let band = line(&lines, "Raccordement électrique basse tension 3 × 25 A");
    assert_eq!(
        (band.1.as_str(), band.2, band.3),
        ("reverse_charge", euros("1450.00"), euros("0.00"))
    );
    assert!(
        document["vat_mentions"]
            .to_string()
            .contains("Autoliquidation — article 51, §2, 5° du Code de la TVA"),
        "{document}"
    );
}

/// Posts a document through the status page, as the applicant does.
async fn upload(app: &TestApp, link: &str, kind: &str) {
    let page = text_of(&app.client, link).await;
    let form = Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .text("kind", kind.to_owned())
        .part(
            "file",
            Part::bytes(b"%PDF-1.7\nexemption".to_vec())
                .file_name("exoneration.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let response = app
        .client
        .post(format!("{link}/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn b_4_1_an_exempt_body_pays_21_percent_until_its_proof_is_received_then_0() {
    let app = spawn_app().await;
    let association = with(
        &marie(),
        &[
            ("applicant_kind", "legal"),
            ("name", "ASBL Les Tanneries"),
            ("company_number", "0403.170.701"),
            ("vat", "exempt"),
            ("gas", ""),
            ("proximus", ""),
            ("voo", ""),
        ],
    );
    let id = filed(&app, &association).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&julien, &page_url).await;
    assert!(
        page.contains(
            "Exonération de TVA déclarée — preuve attendue : taux normal d&#39;ici là (B-4.1)"
        ),
        "{page}"
    );
    assert!(page.contains("Preuve d&#39;exonération de TVA"), "{page}");

    // Before the proof: SWDE's standard case at 21%, with the note saying why.
    send_offer_as(&app, &julien, &id, "").await;
    let (lines, document) = offer_lines(&app, &id, 1).await;
    let registration = line(&lines, "Droit d'inscription");
    assert_eq!(
        (registration.1.as_str(), registration.3),
        ("standard", euros("10.50"))
    );
    assert!(
        document
            .to_string()
            .contains("Exonération de TVA déclarée : elle s'applique dès réception de sa preuve"),
        "{document}"
    );

    // The proof arrives; the revised offer exempts SWDE's works, not ORES' (B-4.1 is SWDE's).
    let link = app.private_link(&id).await;
    upload(&app, &link, "vat_exemption_proof").await;
    send_offer_as(&app, &julien, &id, "Preuve d'exonération reçue").await;
    let (lines, document) = offer_lines(&app, &id, 2).await;
    for label in [
        "Droit d'inscription",
        "Fournitures du raccordement d'eau standard",
        "Main-d'œuvre du raccordement d'eau standard",
        "Majoration",
    ] {
        let water = line(&lines, label);
        assert_eq!((water.1.as_str(), water.3), ("exempt", euros("0.00")));
    }
    let band = line(&lines, "Raccordement électrique basse tension 3 × 25 A");
    assert_eq!((band.1.as_str(), band.3), ("standard", euros("304.50")));
    assert!(!document.to_string().contains("dès réception de sa preuve"));
    assert!(
        document["vat_mentions"]
            .to_string()
            .contains("Demandeur exonéré de TVA"),
        "{document}"
    );
}

#[tokio::test]
async fn b_5_2_swde_s_extension_subsidy_goes_to_a_new_individual_dwelling_only() {
    let app = spawn_app().await;
    let survey = [
        ("distance_to_main_m", "60"),
        ("inside_parcel_m", "2"),
        ("text", "Métré du 2 décembre"),
    ];
    // A new house: 60 m of extension, 100 € of subsidy per metre, proved by its permit.
    let new_house = water_request_with(&app, &[]).await;
    assert_eq!(post_survey(&app, &new_house, &survey).await.0, 303);
    // An existing house, the same survey: no subsidy, no proof asked.
    let old_house = water_request_with(
        &app,
        &[
            ("email", "jean.lambert@example.be"),
            ("house_number", "16"),
            ("dwelling", "existing"),
            ("dwelling_first_occupied_year", "1990"),
            ("water_work", "modification"),
        ],
    )
    .await;
    assert_eq!(post_survey(&app, &old_house, &survey).await.0, 303);

    let julien = app.signed_in("julien@ores.demo").await;
    for (house, subsidy) in [(&new_house, true), (&old_house, false)] {
        let page = text_of(
            &julien,
            app.url(&format!("/backoffice/requests/{}", house.id)),
        )
        .await;
        assert_eq!(
            page.contains("Subside SWDE par mètre d&#39;extension"),
            subsidy,
            "{page}"
        );
        assert_eq!(
            page.contains("<tr><td>Copie du permis</td>"),
            subsidy,
            "{page}"
        );
        send_offer_as(&app, &julien, &house.id, "").await;
    }
    let (lines, _) = offer_lines(&app, &new_house.id, 1).await;
    let subsidy = line(&lines, "Subside SWDE par mètre d'extension");
    assert_eq!(
        (subsidy.1.as_str(), subsidy.2),
        ("not_subject", euros("-6000.00"))
    );
    // B-8: the modification pays what goes beyond a first connection: not the standard parts
    // and labour (the 2 m of route are within the 10 m included), but the registration fee
    // (50.00) and the extension (60 × 210.00 = 12,600.00): 12,650.00 at 6% (1990): 759.00.
    let (lines, document) = offer_lines(&app, &old_house.id, 1).await;
    assert!(!lines.iter().any(|(label, ..)| label.contains("Subside")));
    assert!(
        !lines
            .iter()
            .any(|(label, ..)| label.contains("raccordement d'eau standard")),
        "{lines:?}"
    );
    let base: Decimal = lines.iter().map(|(_, _, amount, _)| *amount).sum();
    assert_eq!(base, euros("12650.00"), "{lines:?}");
    assert!(lines.iter().all(|(_, regime, ..)| regime == "reduced"));
    assert_eq!(document["total_vat"].as_str().unwrap(), "759.00");
}

#[tokio::test]
async fn b_9_a_renewal_is_at_swde_s_cost_unless_no_water_was_billed_for_24_months() {
    let app = spawn_app().await;
    let renewal = [
        ("dwelling", "existing"),
        ("dwelling_first_occupied_year", "1990"),
        ("water_work", "renewal"),
    ];
    let free = water_request_with(&app, &renewal).await;
    let mut unbilled = renewal.to_vec();
    unbilled.extend([
        ("water_unbilled", "on"),
        ("email", "jean.lambert@example.be"),
        ("house_number", "16"),
    ]);
    let paid = water_request_with(&app, &unbilled).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &free.id, "").await;
    let (lines, document) = offer_lines(&app, &free.id, 1).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].2, euros("0.00"));
    assert_eq!(document["total_incl_vat"].as_str().unwrap(), "0.00");
    // No consumption billed for 24 months: priced as a first connection, 1,200.00 at 6%.
    send_offer_as(&app, &julien, &paid.id, "").await;
    let (_, document) = offer_lines(&app, &paid.id, 1).await;
    assert_eq!(document["total_incl_vat"].as_str().unwrap(), "1272.00");
    assert!(
        document
            .to_string()
            .contains("Aucune consommation facturée depuis 24 mois"),
        "{document}"
    );
}

#[tokio::test]
async fn the_form_refuses_what_does_not_fit_an_existing_home_naming_the_field_and_saves_nothing() {
    let app = spawn_app().await;
    let cases: [(&[(&'static str, &str)], &str); 5] = [
        (
            &[
                ("dwelling", "existing"),
                ("dwelling_first_occupied_year", ""),
            ],
            "Année de première occupation : Indiquez l&#39;année de première occupation du logement, 4 chiffres",
        ),
        (
            &[
                ("dwelling", "existing"),
                ("dwelling_first_occupied_year", "2031"),
            ],
            "ne peut pas dépasser l&#39;année en cours (2026)",
        ),
        (
            &[("electricity_current_band", "1x40")],
            "Puissance actuelle : Une augmentation de puissance, une modification ou un renouvellement concerne un raccordement existant",
        ),
        (
            &[
                ("dwelling", "existing"),
                ("dwelling_first_occupied_year", "2011"),
                ("electricity_current_band", "3x40"),
            ],
            "Puissance actuelle : La puissance actuelle doit être inférieure à la puissance demandée.",
        ),
        (
            &[("water_work", "modification")],
            "Travaux d&#39;eau demandés : Une augmentation de puissance",
        ),
    ];
    for (changes, message) in cases {
        let form = app.open_form().await;
        let response = app.file(&form, &with(&marie(), changes)).await;
        assert_eq!(response.status().as_u16(), 422);
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{message}\n{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

/// Adds a 200.00 € line to the electricity part; the status and the page answered.
async fn add_line(app: &TestApp, staff: &reqwest::Client, id: &str, vat: &str) -> (u16, String) {
    let line = HandLine {
        service: "electricity",
        label: "Coffret déplacé",
        unit_price: "200",
        vat,
        reason: "Demandé au métré",
    };
    let response = helpers::add_line(app, staff, id, line).await;
    let status = response.status().as_u16();
    let body = if status == 303 {
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        text_of(staff, app.url(&location)).await
    } else {
        response.text().await.unwrap()
    };
    (status, body)
}

#[tokio::test]
async fn v_6_staff_lines_take_the_regimes_the_payer_s_position_allows() {
    let app = spawn_app().await;
    let filer = with(
        &marie(),
        &[
            ("vat", "vat_filer"),
            ("company_number", "0403.170.701"),
            ("gas", ""),
            ("water", ""),
            ("proximus", ""),
            ("voo", ""),
        ],
    );
    let filer = filed(&app, &filer).await;
    let private = filed(
        &app,
        &with(
            &marie(),
            &[("email", "jean.lambert@example.be"), ("house_number", "16")],
        ),
    )
    .await;
    let elec = app.signed_in("elec@ores.demo").await;
    // The form offers reverse charge to the filer's part only.
    let page = text_of(&elec, app.url(&format!("/backoffice/requests/{filer}"))).await;
    assert!(page.contains("<option value=\"reverse_charge\">"), "{page}");
    let page = text_of(&elec, app.url(&format!("/backoffice/requests/{private}"))).await;
    assert!(!page.contains("<option value=\"reverse_charge\">"));
    assert!(!page.contains("<option value=\"reduced\">"));

    let (status, _) = add_line(&app, &elec, &filer, "reverse_charge").await;
    assert_eq!(status, 303);
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(&app, &julien, &filer, "").await;
    let (lines, _) = offer_lines(&app, &filer, 1).await;
    let added = line(&lines, "Coffret déplacé");
    assert_eq!(
        (added.1.as_str(), added.2, added.3),
        ("reverse_charge", euros("200.00"), euros("0.00"))
    );
    // A private new build's part: neither reverse charge nor 6%, said with the rule.
    for regime in ["reverse_charge", "reduced"] {
        let (status, body) = add_line(&app, &elec, &private, regime).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("La position TVA du demandeur n&#39;autorise pas"),
            "{body}"
        );
        assert!(body.contains("(règle B-4.1)"), "{body}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'operator_lines_changed'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_estimate_offers_the_same_choices_as_the_form() {
    let app = spawn_app().await;
    let (status, page) = app
        .get_text(
            "/estimate?compute=1&building=house&dwelling=existing&dwelling_first_occupied_year=2011\
             &vat=private&postcode=5000&electricity=on&band=3x25&current_band=1x40\
             &water=on&water_distance_m=&water_inside_m=&water_work=renewal",
        )
        .await;
    assert_eq!(status, 200);
    // 400.00 at 6% for the increase; the renewal at SWDE's cost: 424.00 in all.
    assert!(
        page.contains("Augmentation de puissance de 1 × 40 A (9,2 kVA) à 3 × 25 A (17,3 kVA)"),
        "{page}"
    );
    assert!(page.contains("424,00"), "{page}");
    let (status, page) = app
        .get_text(
            "/estimate?compute=1&building=house&dwelling=new&vat=private&postcode=5000\
             &electricity=on&band=3x25&current_band=1x40",
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("concerne un raccordement existant"), "{page}");
}
