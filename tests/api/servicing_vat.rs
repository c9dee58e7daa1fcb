//! The servicing offer's VAT as the regulation says (V-6, art. 6.1 to 6.4) and what the flat
//! rate per candelabra leaves out (V-4.3, art. 4.3.1): filed through the form, sent by the case
//! officer, read from the offer as sent. Amounts are worked out by hand from the ORES 2026 book:
//! dossier fee 250.00, 95.00 per metre of frontage, 1,650.00 per candelabra.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::{
    helpers::{TestApp, client, hidden, json_of, send_offer_as, spawn_app, text_of, with},
    servicing::{division, tournai_lots},
};

/// Files `fields`, lets the operators answer, sends the offer as the case officer and returns
/// the request's id and the offer's first version as sent.
async fn sent_offer(
    app: &TestApp,
    fields: &[(&'static str, String)],
) -> (String, serde_json::Value) {
    let (_, id) = app.file_assessed(fields).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(app, &julien, &id, "").await;
    let document = json_of(
        &julien,
        app.url(&format!("/api/v1/requests/{id}/offers/1")),
        200,
    )
    .await;
    (id, document)
}

/// The servicing document of the offer (V-8: its own document).
fn servicing(document: &serde_json::Value) -> &serde_json::Value {
    let found: Vec<&serde_json::Value> = document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["scope"] == "servicing")
        .collect();
    assert_eq!(found.len(), 1, "{document}");
    found[0]
}

/// The one line of the servicing document priced under `rule`.
fn line<'a>(section: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    let found: Vec<&serde_json::Value> = section["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rule"] == rule)
        .collect();
    assert_eq!(found.len(), 1, "{rule} in {section}");
    found[0]
}

fn amount(value: &serde_json::Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("an amount: {value}")),
    )
    .unwrap()
}

fn cents(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// (amount excl. VAT, VAT regime, VAT) of a line.
fn priced(line: &serde_json::Value) -> (Decimal, String, Decimal) {
    (
        amount(&line["amount_excl_vat"]),
        line["vat_regime"].as_str().unwrap().to_owned(),
        amount(&line["vat_amount"]),
    )
}

fn totals(section: &serde_json::Value) -> (Decimal, Decimal, Decimal) {
    (
        amount(&section["subtotal_excl_vat"]),
        amount(&section["subtotal_vat"]),
        amount(&section["subtotal_incl_vat"]),
    )
}

fn mentions(document: &serde_json::Value) -> Vec<String> {
    document["vat_mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

fn notes(section: &serde_json::Value) -> Vec<String> {
    section["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

const OUTSIDE_SCOPE_MENTION: &str = "Réseau sans raccordement hors du champ d'application de la TVA : \
     conditions de la décision T.5387 remplies.";

#[tokio::test]
async fn v_6_art_6_3_a_division_meeting_t5387_sends_its_network_outside_vat_with_the_mention() {
    let app = spawn_app().await;
    // Marie (no VAT returns) divides 42.5 m of frontage into 4 lots, 2 candelabras.
    let (id, document) = sent_offer(&app, &with(&division(), &[("servicing_t5387", "on")])).await;
    let section = servicing(&document);
    // Art. 6.1: the dossier fee is at 21 % on the invoice issued at filing (250.00 + 52.50,
    // art. 3); the offer names it without charging it again.
    assert_eq!(
        priced(line(section, "V-3.1")),
        (cents("0.00"), "standard".into(), cents("0.00"))
    );
    // Art. 6.3: the network 42.5 m × 95.00 = 4,037.50, outside the scope of VAT.
    assert_eq!(
        priced(line(section, "V-4.1b")),
        (cents("4037.50"), "outside_scope".into(), cents("0.00"))
    );
    // Art. 6.2: public lighting 2 × 1,650.00 = 3,300.00 at 21 % for a private payer: 693.00.
    assert_eq!(
        priced(line(section, "V-4.3")),
        (cents("3300.00"), "standard".into(), cents("693.00"))
    );
    // 4,037.50 + 3,300.00 = 7,337.50; VAT 3,300.00 × 21 % = 693.00.
    assert_eq!(
        totals(section),
        (cents("7337.50"), cents("693.00"), cents("8030.50"))
    );
    assert!(
        mentions(&document).contains(&OUTSIDE_SCOPE_MENTION.to_owned()),
        "{document}"
    );
    // The API says the same sums for the servicing document.
    let julien = app.signed_in("julien@ores.demo").await;
    let json = json_of(&julien, app.url(&format!("/api/v1/requests/{id}")), 200).await;
    let documents = json["offers"][0]["documents"].as_array().unwrap();
    let api = documents
        .iter()
        .find(|d| d["scope"] == "servicing")
        .unwrap();
    assert_eq!(
        (
            amount(&api["total_excl_vat"]),
            amount(&api["total_vat"]),
            amount(&api["total_incl_vat"])
        ),
        (cents("7337.50"), cents("693.00"), cents("8030.50"))
    );
    // The officer reads the applicant's answer with the servicing facts.
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(
        page.contains("<dt>Décision T.5387 (selon le demandeur)</dt><dd>oui</dd>"),
        "{page}"
    );

    // The same division without the conditions met: 21 % on the network too.
    let app = spawn_app().await;
    let (id, document) = sent_offer(&app, &division()).await;
    let section = servicing(&document);
    // 4,037.50 × 21 % = 847.875, shared on the document's 21 % VAT.
    assert_eq!(line(section, "V-4.1b")["vat_regime"], "standard");
    assert_eq!(line(section, "V-3.1")["vat_regime"], "standard");
    // VAT on 7,337.50 × 21 % = 1,540.875 → 1,540.88, rounded once on the document.
    assert_eq!(
        totals(section),
        (cents("7337.50"), cents("1540.88"), cents("8878.38"))
    );
    assert!(!mentions(&document).contains(&OUTSIDE_SCOPE_MENTION.to_owned()));
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("<dt>Décision T.5387 (selon le demandeur)</dt><dd>non</dd>"));
}

#[tokio::test]
async fn v_6_art_6_4_grouped_housing_meeting_t5387_is_refused_in_the_applicant_language() {
    let app = spawn_app().await;
    let grouped = with(
        &division(),
        &[
            ("servicing_operation", "grouped_housing"),
            ("servicing_t5387", "on"),
        ],
    );
    let form = app.open_form().await;
    let response = app.file(&form, &grouped).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    // The field is named in the summary, the rule in the message; the box stays ticked.
    assert!(
        html.contains(
            "Conditions de la décision T.5387 remplies : Un réseau pour un habitat groupé"
        ),
        "{html}"
    );
    assert!(html.contains("jamais hors du champ de la TVA (règle V-6)"));
    assert!(html.contains(r#"id="servicing_t5387-error""#));
    assert!(html.contains(r#"value="on" aria-describedby="servicing_t5387-hint" checked"#));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    // In the language the applicant's browser reads.
    for (language, expected) in [
        (
            "en-GB,en;q=0.9",
            "Conditions of Decision T.5387 met : A network for grouped housing with later \
             connections is never outside the scope of VAT (rule V-6)",
        ),
        (
            "de-BE,de;q=0.9",
            "Bedingungen der Entscheidung T.5387 erfüllt : Ein Netz für Gruppenwohnungen mit \
             späteren Anschlüssen liegt nie außerhalb des Anwendungsbereichs der MwSt. (Regel V-6)",
        ),
    ] {
        let browser = client();
        let page = browser
            .get(app.url("/request/new"))
            .header("accept-language", language)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut fields: Vec<(&str, String)> = vec![
            ("csrf_token", hidden(&page, "csrf_token")),
            ("idempotency_key", hidden(&page, "idempotency_key")),
        ];
        fields.extend(grouped.iter().cloned());
        let response = browser
            .post(app.url("/request"))
            .header("accept-language", language)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422);
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "{expected} in {html}");
        assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
    }
}

#[tokio::test]
async fn v_6_art_6_4_grouped_housing_by_a_vat_filer_is_reverse_charged_never_outside_vat() {
    let app = spawn_app().await;
    // Habitat Picard SA (VAT filer) groups 6 dwellings along 120 m, 4 candelabras.
    let fields = with(
        &tournai_lots(),
        &[
            ("servicing_operation", "grouped_housing"),
            ("servicing_supply_points", ""),
            ("servicing_cabin", ""),
        ],
    );
    let (_, document) = sent_offer(&app, &fields).await;
    let section = servicing(&document);
    // V-2.3: grouped housing is invoiced to its author.
    assert_eq!(section["document"], "invoice", "{section}");
    assert_eq!(
        priced(line(section, "V-3.1")),
        (cents("250.00"), "standard".into(), cents("52.50"))
    );
    // 120 m × 95.00 = 11,400.00 and 4 × 1,650.00 = 6,600.00, both reverse charged.
    assert_eq!(
        priced(line(section, "V-4.1b")),
        (cents("11400.00"), "reverse_charge".into(), cents("0.00"))
    );
    assert_eq!(
        priced(line(section, "V-4.3")),
        (cents("6600.00"), "reverse_charge".into(), cents("0.00"))
    );
    assert_eq!(
        totals(section),
        (cents("18250.00"), cents("52.50"), cents("18302.50"))
    );
    let said = mentions(&document);
    assert!(
        said.iter().any(|m| m.starts_with("Autoliquidation")),
        "{said:?}"
    );
    assert!(
        !said.contains(&OUTSIDE_SCOPE_MENTION.to_owned()),
        "{said:?}"
    );

    // The engine itself ignores the flag for grouped housing (a case posted to the API may
    // carry it): reverse charge for the filer, 21 % for a private payer — never outside VAT.
    for (vat, regime, network_vat) in [
        ("vat_filer", "reverse_charge", "0.00"),
        // 11,400.00 × 21 % = 2,394.00.
        ("private", "standard", "2394.00"),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/estimates"))
            .json(&serde_json::json!({
                "request_date": app.today().to_string(),
                "applicant_vat": vat,
                "servicing": {
                    "operation": "grouped_housing",
                    "parcels": 6,
                    "frontage_m": "120",
                    "t5387_conditions_met": true
                }
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        let frontage = body["quotes"][0]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == "V-FRONTAGE")
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(frontage["vat_regime"], regime, "{vat}: {body}");
        assert_eq!(amount(&frontage["vat_amount"]), cents(network_vat), "{vat}");
    }
}

const FITTING: &str = "À chiffrer séparément : Main-d'œuvre de pose de l'armature d'éclairage \
     public sur les candélabres (règle V-4.3).";
const EXISTING: &str = "À chiffrer séparément : Points lumineux ajoutés sur des poteaux ou le \
     câble d'éclairage public existants (règle V-4.3).";

#[tokio::test]
async fn v_4_3_the_offer_quotes_apart_the_luminaire_fitting_and_lights_on_existing_poles() {
    let app = spawn_app().await;
    // A count that is not a whole number is refused with its field named, nothing saved.
    let form = app.open_form().await;
    let response = app
        .file(
            &form,
            &with(&division(), &[("servicing_existing_pole_lights", "2,5")]),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Points lumineux sur poteaux existants : Indiquez un nombre."),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    // 2 candelabras placed and 3 light points added on existing poles.
    let (id, document) = sent_offer(
        &app,
        &with(&division(), &[("servicing_existing_pole_lights", "3")]),
    )
    .await;
    let section = servicing(&document);
    let said = notes(section);
    for expected in [FITTING, EXISTING] {
        assert!(
            said.contains(&expected.to_owned()),
            "{expected} in {said:?}"
        );
    }
    // The flat rate counts the 2 candelabras only: 2 × 1,650.00 = 3,300.00.
    let ep = line(section, "V-4.3");
    assert_eq!(amount(&ep["quantity"]), Decimal::from(2));
    assert_eq!(amount(&ep["amount_excl_vat"]), cents("3300.00"));
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(
        page.contains("<dt>Points lumineux sur poteaux existants</dt><dd>3</dd>"),
        "{page}"
    );

    // Without lights on existing poles, the fitting alone; the materials as before.
    let app = spawn_app().await;
    let (_, document) = sent_offer(&app, &division()).await;
    let said = notes(servicing(&document));
    assert!(said.contains(&FITTING.to_owned()), "{said:?}");
    assert!(!said.contains(&EXISTING.to_owned()), "{said:?}");
    assert!(
        said.iter()
            .any(|n| n.starts_with("À chiffrer séparément : Matériel d'éclairage public")),
        "{said:?}"
    );
}

const PAYER_LINE: &str = "Adressée à et payable par : Lotissements Meuse SA, Rue de Fer 12, \
     5000 Namur, n° d'entreprise BE 0403.170.701 (titulaire de l'obligation de paiement de la \
     viabilisation)";

/// Marie files the division; Lotissements Meuse SA, which divided the land and files periodic
/// VAT returns, holds the obligation to pay its servicing.
fn division_paid_by_a_developer() -> Vec<(&'static str, String)> {
    with(
        &division(),
        &[
            ("servicing_payer_name", "Lotissements Meuse SA"),
            ("servicing_payer_address", "Rue de Fer 12, 5000 Namur"),
            ("servicing_payer_vat", "vat_filer"),
            ("servicing_payer_company_number", "BE 0403 170 701"),
        ],
    )
}

#[tokio::test]
async fn v_2_3_the_servicing_is_addressed_to_and_priced_for_its_payer_not_the_applicant() {
    let app = spawn_app().await;
    let (id, document) = sent_offer(&app, &division_paid_by_a_developer()).await;
    // The offer goes to Marie, who filed (art. 4: "offre soumise au demandeur") ...
    assert_eq!(document["applicant"]["name"], "Marie Dupont");
    let section = servicing(&document);
    // ... its servicing document names its payer (art. 2.2, 6.2, 6.4).
    assert_eq!(
        section["payer"],
        serde_json::json!({
            "name": "Lotissements Meuse SA",
            "address": "Rue de Fer 12, 5000 Namur",
            "vat_number": "0403.170.701"
        })
    );
    // V-6 for a VAT filer: network 42.5 m × 95.00 = 4,037.50 and lighting 2 × 1,650.00 =
    // 3,300.00 reverse charged (Marie alone would pay 21 % on both: 8,878.38, test above).
    assert_eq!(
        priced(line(section, "V-4.1b")),
        (cents("4037.50"), "reverse_charge".into(), cents("0.00"))
    );
    assert_eq!(
        priced(line(section, "V-4.3")),
        (cents("3300.00"), "reverse_charge".into(), cents("0.00"))
    );
    assert_eq!(
        totals(section),
        (cents("7337.50"), cents("0.00"), cents("7337.50"))
    );
    // Marie's own connection stays hers, at 21 %: no payer, no reverse charge.
    let connections: Vec<&serde_json::Value> = document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["scope"] == "connections")
        .collect();
    assert_eq!(connections.len(), 1, "{document}");
    assert!(connections[0].get("payer").is_none(), "{document}");
    for line in connections[0]["lines"].as_array().unwrap() {
        assert_ne!(line["vat_regime"], "reverse_charge", "{line}");
    }

    // The officer reads who pays, and who owes which document.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(
        page.contains(
            "<dd id=\"servicing-payer\">Lotissements Meuse SA, Rue de Fer 12, 5000 Namur — \
             Numéro d&#39;entreprise 0403.170.701 — Assujetti déposant des déclarations TVA \
             périodiques (autoliquidation)</dd>"
        ),
        "{page}"
    );
    assert!(page.contains("Lotissements Meuse SA → ORES"), "{page}");
    assert!(page.contains("Marie Dupont → ORES"), "{page}");
    // The offer as the applicant reads it, and its email, say it too.
    let link = app.private_link(&id).await;
    let status = text_of(&client(), &link).await;
    assert!(
        status.contains(&PAYER_LINE.replace('\'', "&#39;")),
        "{status}"
    );
    assert!(status.contains("Lotissements Meuse SA → ORES"), "{status}");
    app.wait_outbox_idle().await;
    let mail = crate::helpers::latest_mail(&app, &id, "offer").await;
    assert!(mail.contains(PAYER_LINE), "{mail}");

    // Art. 3 and 6.1: the dossier fee invoiced at filing is addressed to the payer too, at
    // 21 % whoever pays: 250.00 + 52.50 = 302.50.
    let addressed = "Adressée à et payable par Lotissements Meuse SA, titulaire de \
                     l'obligation de paiement de la viabilisation.";
    let filed = crate::helpers::latest_mail(&app, &id, "request_filed").await;
    assert!(filed.contains(addressed), "{filed}");
    assert!(filed.contains("302,50"), "{filed}");
    assert!(
        status.contains(&addressed.replace('\'', "&#39;")),
        "{status}"
    );
}

#[tokio::test]
async fn v_2_3_a_payer_is_refused_without_servicing_or_a_vat_filer_without_its_number() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    // A VAT filer gives the number it self-assesses under.
    let response = app
        .file(
            &form,
            &with(
                &division_paid_by_a_developer(),
                &[("servicing_payer_company_number", "")],
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Numéro d&#39;entreprise de celui qui paie la viabilisation : Un assujetti"),
        "{html}"
    );
    // What was typed stays, and the payer's block is open.
    assert!(html.contains(r#"value="Lotissements Meuse SA""#), "{html}");
    assert!(html.contains(r#"<details id="servicing-choice" class="choice" open>"#));
    // A payer with a name but no address cannot be invoiced.
    let response = app
        .file(
            &form,
            &with(
                &division_paid_by_a_developer(),
                &[("servicing_payer_address", " ")],
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Adresse de celui qui paie la viabilisation : "),
        "{html}"
    );
    // Another payer is the servicing's: a household asking connections only pays them itself.
    let response = app
        .file(
            &form,
            &with(
                &crate::helpers::marie(),
                &[("servicing_payer_name", "Lotissements Meuse SA")],
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            "Qui paie la viabilisation : nom ou dénomination : Un autre payeur ne vaut que pour \
             la viabilisation d&#39;un terrain (règle V-2.3)"
        ),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}
