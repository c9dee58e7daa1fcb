//! Servicing of land asked with a request (journeys 2 and 5): the form collects what the servicing
//! engine needs, and ORES electricity's answer carries the V- lines (V-3.1, V-4.1b, V-4.3, V-8).

use crate::helpers::{hidden, marie, spawn_app, text_of, with};

/// A developer dividing land without an address into 4 lots: electricity and servicing.
pub(crate) fn division() -> Vec<(&'static str, String)> {
    with(
        &marie(),
        &[
            ("street", ""),
            ("house_number", ""),
            ("parcel_ref", "Namur 12e div. section B 345a"),
            ("gas", ""),
            ("water", ""),
            ("proximus", ""),
            ("voo", ""),
            ("servicing_operation", "division"),
            ("servicing_frontage_m", "42,5"),
            ("servicing_parcels", "4"),
            ("servicing_candelabras", "2"),
        ],
    )
}

#[tokio::test]
async fn v_4_1b_a_division_filed_with_its_frontage_gets_ores_servicing_lines() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&division()).await;
    let id = app.request_id(&reference).await;
    let stored: (Option<String>, Option<String>, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT servicing_operation, servicing_frontage_m, servicing_parcels, servicing_candelabras \
         FROM requests WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        (
            Some("division".into()),
            Some("42.5".into()),
            Some(4),
            Some(2)
        )
    );
    app.wait_state(&id, "assessed").await;

    let body: String = sqlx::query_scalar(
        "SELECT v.body FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id \
         WHERE a.request_id = $1 AND a.service = 'electricity' AND v.version = 1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let lines = answer["lines"].as_array().unwrap();
    let line = |code: &str| {
        lines
            .iter()
            .find(|l| l["code"] == code)
            .unwrap_or_else(|| panic!("{code} in {body}"))
    };
    // The connection line stays; the servicing lines come beside it.
    assert!(
        lines
            .iter()
            .any(|l| l["code"].as_str().unwrap().starts_with("E-"))
    );
    assert_eq!(line("V-DOSSIER")["rule"], "V-3.1");
    assert_eq!(line("V-FRONTAGE")["rule"], "V-4.1b");
    assert_eq!(line("V-FRONTAGE")["quantity"], "42.5");
    assert_eq!(line("V-EP")["rule"], "V-4.3");
    // V-8: servicing is its own offer, said as a reason; no "may be needed" flag.
    let reasons: Vec<&str> = answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert_eq!(reasons, ["servicing.own_offer"]);

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    for expected in [
        "Viabilisation : forfait par mètre de façade du terrain avant division (4 lots)",
        "Frais d&#39;ouverture de dossier",
        "sa propre offre (règle V-8)",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }
}

#[tokio::test]
async fn a_bad_frontage_is_refused_the_values_stay_and_nothing_is_saved() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let fields = with(
        &division(),
        &[("servicing_frontage_m", "-12"), ("servicing_parcels", "1")],
    );
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("Indiquez une longueur en mètres supérieure à 0"));
    // V-2.1: a division makes at least two lots.
    assert!(html.contains("Une division crée au moins 2 lots (règle V-2.1)."));
    // The typed values are shown again.
    assert!(html.contains(
        r#"name="servicing_frontage_m" type="text" inputmode="decimal" maxlength="12" value="-12""#
    ));
    assert!(html.contains(r#"<option value="division" selected>"#));
    assert!(html.contains("Namur 12e div. section B 345a"));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    // Servicing without the electricity connection is refused too, with its reason.
    refused(
        &app,
        &with(&division(), &[("electricity", ""), ("water", "on")]),
        "cochez l&#39;électricité",
    )
    .await;
}

/// Files `fields`, which the form must refuse saying `expected`, with nothing saved.
async fn refused(app: &crate::helpers::TestApp, fields: &[(&'static str, String)], expected: &str) {
    let form = app.open_form().await;
    let response = app.file(&form, fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(expected), "{expected} in {html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

/// Journey 5: three heirs split a parcel in Bastogne; new houses are planned on two parts.
pub(crate) fn inheritance() -> Vec<(&'static str, String)> {
    with(
        &division(),
        &[
            ("postcode", "6600"),
            ("parcel_ref", "Bastogne 1re div. section A 12b"),
            ("servicing_operation", "donation"),
            ("servicing_frontage_m", ""),
            ("servicing_parcels", "3"),
            ("servicing_candelabras", ""),
            ("servicing_planned_frontages", "25 m ; 12 m"),
        ],
    )
}

#[tokio::test]
async fn v_4_1c_an_inheritance_split_counts_20_m_plus_12_m() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&inheritance()).await;
    let id = app.request_id(&reference).await;
    let stored: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT servicing_operation, servicing_frontage_m, servicing_planned_frontages \
         FROM requests WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        (
            Some("donation".into()),
            Some("37".into()),
            Some("25;12".into())
        )
    );
    app.wait_state(&id, "assessed").await;

    let body: String = sqlx::query_scalar(
        "SELECT v.body FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id \
         WHERE a.request_id = $1 AND a.service = 'electricity' AND v.version = 1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let frontage = answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "V-FRONTAGE")
        .unwrap_or_else(|| panic!("V-FRONTAGE in {body}"));
    // 25 m counts 20 m (the cap per parcel), 12 m counts 12 m.
    assert_eq!(frontage["rule"], "V-4.1c");
    assert_eq!(frontage["quantity"], "32");

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(
        page.contains("façades prévues 25 + 12 m, plafonnées à 20 m par parcelle"),
        "{page}"
    );
}

#[tokio::test]
async fn v_4_1c_planned_frontages_refused_say_why_and_nothing_is_saved() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    // Three planned parts for two lots.
    let fields = with(
        &inheritance(),
        &[
            ("servicing_parcels", "2"),
            ("servicing_planned_frontages", "25; 12; 8"),
        ],
    );
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("plus de parties avec un bâtiment prévu que les 2 lots"));
    assert!(html.contains(r#"value="25; 12; 8""#));
    assert!(html.contains(r#"<option value="donation" selected>"#));

    // Planned frontages with a division by sale: not the operation they belong to.
    let form = app.open_form().await;
    let fields = with(&division(), &[("servicing_planned_frontages", "25; 12")]);
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("ne valent que pour une division par donation")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

/// Journey 2: a VAT-registered developer divides land in Tournai into 6 lots, 120 m of
/// frontage, 4 candelabras, 60 supply points, and provides plots for the cabins.
pub(crate) fn tournai_lots() -> Vec<(&'static str, String)> {
    with(
        &division(),
        &[
            ("applicant_kind", "legal"),
            ("name", "Habitat Picard SA"),
            ("company_number", "0202.239.951"),
            ("vat", "vat_filer"),
            ("postcode", "7500"),
            ("parcel_ref", "Tournai 5e div., section B, 412C"),
            ("servicing_frontage_m", "120"),
            ("servicing_parcels", "6"),
            ("servicing_candelabras", "4"),
            ("servicing_supply_points", "60"),
            ("servicing_cabin", "standard"),
        ],
    )
}

/// The latest answer of `service` for a request, once assessed.
async fn answer_of(app: &crate::helpers::TestApp, id: &str, service: &str) -> serde_json::Value {
    app.wait_state(id, "assessed").await;
    latest_answer(app, id, service).await
}

/// The latest answer of `service`, whatever step the request is at.
async fn latest_answer(
    app: &crate::helpers::TestApp,
    id: &str,
    service: &str,
) -> serde_json::Value {
    let body: String = sqlx::query_scalar(
        "SELECT v.body FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id \
         WHERE a.request_id = $1 AND a.service = $2 ORDER BY v.version DESC LIMIT 1",
    )
    .bind(id)
    .bind(service)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    serde_json::from_str(&body).unwrap()
}

fn line<'a>(answer: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {answer}"))
}

#[tokio::test]
async fn v_9_2_journey_2_two_cabins_and_works_reverse_charged_for_a_vat_filer() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&tournai_lots()).await;
    let id = app.request_id(&reference).await;
    let stored: (Option<i64>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT servicing_supply_points, servicing_cabin, applicant_vat FROM requests WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        (Some(60), Some("standard".into()), Some("vat_filer".into()))
    );
    let answer = answer_of(&app, &id, "electricity").await;
    // The dossier fee keeps 21 % VAT; works on immovable property are reverse charged.
    assert_eq!(line(&answer, "V-DOSSIER")["vat_regime"], "standard");
    assert_eq!(line(&answer, "V-DOSSIER")["vat_rate"], "21");
    assert_eq!(line(&answer, "V-FRONTAGE")["quantity"], "120");
    assert_eq!(line(&answer, "V-FRONTAGE")["vat_regime"], "reverse_charge");
    assert_eq!(line(&answer, "V-EP")["quantity"], "4");
    assert_eq!(line(&answer, "V-EP")["vat_regime"], "reverse_charge");
    // 60 supply points: two cabins of 50 (V-9.2).
    assert_eq!(line(&answer, "V-CABIN")["quantity"], "2");
    assert_eq!(line(&answer, "V-CABIN")["rule"], "V-9.2");
    // What is not in the flat rates is said, and the servicing offer's texts travel with it.
    assert_eq!(
        answer["separately_quoted"][0]["code"], "V-X-EP-MATERIALS",
        "{answer}"
    );
    let mentions = answer["mentions"].as_array().unwrap();
    assert!(mentions.contains(&"tariff.mention.cabin_lease".into()));
    assert!(mentions.contains(&"tariff.mention.dossier_fee_kept".into()));
    // V-3.1: the fee was invoiced at filing: the offer names that invoice, at 0 €.
    assert_eq!(line(&answer, "V-DOSSIER")["amount_excl_vat"], "0.00");
    assert_eq!(
        line(&answer, "V-DOSSIER")["label_key"],
        "tariff.line.dossier_fee_invoiced"
    );

    // ORES' study: 20 existing supply points outside the land share the cabins, whose
    // finishes are not standard. A bad figure is refused and changes nothing.
    let (assessment_id, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let elec = app.signed_in("elec@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&elec, &page_url).await;
    assert!(page.contains("Étude de viabilisation (ORES)"));
    let study = |points: &str, reason: &str| {
        vec![
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", version.to_string()),
            ("action", "servicing_study".to_owned()),
            ("points_outside", points.to_owned()),
            ("cabin_surface_m2", String::new()),
            ("surcharge", String::new()),
            ("exclusions", "non_standard_cabin".to_owned()),
            ("text", reason.to_owned()),
        ]
    };
    let study_url = app.url(&format!("/operator/assessments/{assessment_id}"));
    let response = elec
        .post(&study_url)
        .form(&study("beaucoup", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Points de fourniture existants hors du terrain (PFext) Indiquez un nombre."),
        "{body}"
    );
    assert!(body.contains("Motif"), "the missing reason is said too");
    assert_eq!(answer_of(&app, &id, "electricity").await, answer);
    let response = elec
        .post(&study_url)
        .form(&study("20", "Réseau existant rue de la Citadelle"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let answer = answer_of(&app, &id, "electricity").await;
    // V-9.2: canon = S × Y × PFext / (PFext + PFint), per cabin, paid by ORES.
    let lease = line(&answer, "V-LEASE");
    assert_eq!(lease["quantity"], "2");
    assert!(
        lease["amount_excl_vat"].as_str().unwrap().starts_with('-'),
        "{lease}"
    );
    assert_eq!(lease["args"]["pf_ext"], "20");
    assert_eq!(lease["args"]["pf_int"], "60");
    let separately: Vec<&str> = answer["separately_quoted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert!(separately.contains(&"V-X-CABIN"), "{separately:?}");
    // The connection line is still there, after the servicing lines.
    assert_eq!(
        answer["lines"].as_array().unwrap().last().unwrap()["code"],
        "E-BAND"
    );

    // The officer sends the one offer: the ORES section says it all, VAT reverse charged.
    let julien = app.signed_in("julien@ores.demo").await;
    let url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&julien, &url).await;
    assert!(page.contains("À chiffrer séparément : Matériel d&#39;éclairage public"));
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/offer")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let document: String = sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    // The servicing is ORES' second document, after the connection, and carries its texts.
    let ores = &document["sections"][1];
    assert_eq!(ores["scope"], "servicing", "{document}");
    let notes: Vec<&str> = ores["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    for expected in [
        "À chiffrer séparément : Matériel d'éclairage public",
        "bail emphytéotique de 99 ans",
        "Les frais d'ouverture de dossier restent acquis à ORES",
    ] {
        assert!(
            notes.iter().any(|n| n.contains(expected)),
            "{expected} in {notes:?}"
        );
    }
    assert!(
        document["vat_mentions"][0]
            .as_str()
            .unwrap()
            .starts_with("Autoliquidation"),
        "{document}"
    );

    // The developer adds two lots to this request: ORES records the change, priced at today's
    // tariffs (V-8.3). The revised offer is the same dossier's offer: its fee, invoiced at
    // filing, stays charged once (V-3.1; art. 8.3 "sans préjudice de l'article 3.1"): the
    // line names that invoice at 0 €, neither waived nor charged again.
    let fee = line(&answer, "V-DOSSIER")["amount_excl_vat"].clone();
    assert_eq!(fee, "0.00");
    let version: i64 = sqlx::query_scalar("SELECT version FROM assessments WHERE id = $1")
        .bind(&assessment_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let page = text_of(&elec, &page_url).await;
    let response = elec
        .post(&study_url)
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", version.to_string()),
            ("action", "servicing_study".to_owned()),
            ("points_outside", "20".to_owned()),
            ("lots", "8".to_owned()),
            ("text", "Deux lots ajoutés par le promoteur".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let answer = latest_answer(&app, &id, "electricity").await;
    assert_eq!(line(&answer, "V-DOSSIER")["amount_excl_vat"], fee);
    assert_eq!(
        line(&answer, "V-DOSSIER")["label_key"],
        "tariff.line.dossier_fee_invoiced"
    );
    assert_eq!(line(&answer, "V-FRONTAGE")["args"]["parcels"], "8");
    let page = text_of(&julien, &url).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/offer")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", "Deux lots ajoutés".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let revised: String = sqlx::query_scalar(
        "SELECT document FROM offers WHERE request_id = $1 AND status = 'sent' AND version = 2",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert!(
        !revised.contains("déjà perçus") && !revised.contains("déjà portés en compte"),
        "{revised}"
    );
    assert!(
        revised.contains("Frais d'ouverture de dossier : facturés au dépôt de la demande"),
        "{revised}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossier_invoices").await,
        1,
        "one invoice"
    );
}

/// Sends the consolidated offer of request `id` as the case officer.
async fn send_offer(app: &crate::helpers::TestApp, id: &str) {
    let julien = app.signed_in("julien@ores.demo").await;
    crate::helpers::send_offer_as(app, &julien, id, "").await;
}

#[tokio::test]
async fn v_3_1_journey_2_the_developer_filing_again_for_the_same_land_pays_no_second_dossier_fee() {
    let app = spawn_app().await;
    let (first, _) = app.file_ok(&tournai_lots()).await;
    let first_id = app.request_id(&first).await;
    // The first request's fee was invoiced at filing: its offer names that invoice at 0 €.
    let first_fee = line(
        &answer_of(&app, &first_id, "electricity").await,
        "V-DOSSIER",
    )
    .clone();
    assert_eq!(first_fee["amount_excl_vat"], "0.00");
    assert_eq!(first_fee["label_key"], "tariff.line.dossier_fee_invoiced");
    // The offer is sent and never accepted: the fee stays ORES' (V-3.1).
    send_offer(&app, &first_id).await;

    // The same company files again from another mailbox for the same parcel, spelt its own
    // way, with two lots more.
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
    let answer = answer_of(&app, &second_id, "electricity").await;
    let dossier = line(&answer, "V-DOSSIER");
    assert_eq!(dossier["amount_excl_vat"], "0.00");
    assert_eq!(dossier["rule"], "V-3.1");
    assert_eq!(
        dossier["label_key"],
        "tariff.line.dossier_fee_already_charged"
    );
    assert_eq!(dossier["args"]["reference"], first.as_str());
    assert_eq!(line(&answer, "V-FRONTAGE")["args"]["parcels"], "8");
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(
        &julien,
        app.url(&format!("/backoffice/requests/{second_id}")),
    )
    .await;
    assert!(
        page.contains(&format!(
            "avec la demande {first} (une seule fois par demandeur"
        )),
        "{page}"
    );

    // Once the second offer is sent too, a lot change on the first request still names the
    // first request's invoice: a later request never waives the dossier it follows from.
    send_offer(&app, &second_id).await;
    assert_eq!(
        crate::helpers::record_study(&app, &first_id, &[("lots", "7"), ("text", "Un lot ajouté")])
            .await,
        303
    );
    let answer = latest_answer(&app, &first_id, "electricity").await;
    assert_eq!(line(&answer, "V-FRONTAGE")["args"]["parcels"], "7");
    assert_eq!(line(&answer, "V-DOSSIER"), &first_fee);

    // Another applicant for the same land opens a dossier of its own: invoiced at its filing
    // (V-3.1), its offer naming that invoice.
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
    let answer = answer_of(&app, &third_id, "electricity").await;
    assert_eq!(line(&answer, "V-DOSSIER")["amount_excl_vat"], "0.00");
    assert_eq!(
        line(&answer, "V-DOSSIER")["label_key"],
        "tariff.line.dossier_fee_invoiced"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dossier_invoices").await,
        2,
        "the first applicant's and the neighbour's"
    );
}

#[tokio::test]
async fn v_8_6_land_under_overhead_lines_takes_six_months_more_on_the_offer_and_for_staff() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&tournai_lots()).await;
    let id = app.request_id(&reference).await;
    answer_of(&app, &id, "electricity").await;
    let (assessment_id, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let elec = app.signed_in("elec@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = text_of(&elec, &page_url).await;
    let response = elec
        .post(app.url(&format!("/operator/assessments/{assessment_id}")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", version.to_string()),
            ("action", "servicing_study".to_owned()),
            ("under_overhead_lines", "on".to_owned()),
            ("text", "Ligne BT au-dessus des lots 2 et 3".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let answer = latest_answer(&app, &id, "electricity").await;
    assert_eq!(
        answer["lead_time"]["start"],
        "latest_of_permits_payment_trenches"
    );
    assert_eq!(answer["lead_time"]["extra"]["months"], 6);
    assert_eq!(answer["lead_time"]["extra"]["source"], "V-8.6");
    // The study form shows the box ticked.
    let page = text_of(&elec, &page_url).await;
    assert!(page.contains(r#"name="under_overhead_lines" value="on" checked"#));

    // Staff see ORES' latest day: nothing paid and the permit not asked yet, so counted from
    // the earliest day the works can be: after the commune's decision is due (C-6: asked
    // today, due 16 January 2027), 17 January: 30 days, 16 February; plus six months
    // (V-8.6): 16 August 2027.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &page_url).await;
    let start = page
        .find(r#"<ul id="deadlines">"#)
        .expect("deadlines listed");
    let list = &page[start..];
    let ores = list
        .split("<li>")
        .find(|item| item.contains("V-8.6"))
        .unwrap_or_else(|| panic!("V-8.6 in {list}"));
    assert!(ores.contains("au plus tard le 16/08/2027"), "{ores}");
    assert!(ores.contains("plus 6 mois (V-8.6)"), "{ores}");

    // The offer's lead time says it with the rule.
    send_offer(&app, &id).await;
    let document: String = sqlx::query_scalar("SELECT document FROM offers WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let lead_time = document["sections"][0]["lead_time"].as_str().unwrap();
    assert!(lead_time.contains("plus 6 mois (V-8.6)"), "{lead_time}");
    assert!(
        lead_time.contains("le dernier des permis obtenus"),
        "{lead_time}"
    );
}

#[tokio::test]
async fn v_2_4_journey_4_a_social_project_pays_no_dossier_fee_nor_servicing() {
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
    let answer = answer_of(&app, &id, "electricity").await;
    assert_eq!(line(&answer, "V-DOSSIER")["amount_excl_vat"], "0.00");
    assert_eq!(line(&answer, "V-DOSSIER")["rule"], "V-3.2");
    assert_eq!(line(&answer, "V-FRONTAGE")["amount_excl_vat"], "0.00");
    assert_eq!(line(&answer, "V-FRONTAGE")["rule"], "V-4.2");
    // Public lighting of a social project goes on a separate offer (V-4.3).
    assert!(
        !answer["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == "V-EP")
    );
}

#[tokio::test]
async fn social_projects_are_companies_and_vat_filers_give_their_vat_number() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let fields = with(
        &division(),
        &[
            ("vat", "vat_filer"),
            ("servicing_social", "swl"),
            ("servicing_supply_points", "0"),
        ],
    );
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    // A person may file VAT returns (self-employed): the number goes on the invoice (V-6).
    assert!(
        html.contains("Un assujetti à la TVA indique son numéro de TVA (numéro d&#39;entreprise)"),
        "{html}"
    );
    // No supply point at all is not a number of supply points.
    assert!(
        html.contains(
            r#"<p class="field-error" id="servicing_supply_points-error">Indiquez un nombre."#
        ),
        "{html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
    refused(
        &app,
        &with(&division(), &[("servicing_social", "swl")]),
        "Un projet social est porté par la SWL",
    )
    .await;
}

#[tokio::test]
async fn only_ores_electricity_records_a_servicing_study_and_only_for_a_servicing() {
    let app = spawn_app().await;
    // Marie's house: no servicing.
    let (_, id) = app.file_assessed(&marie()).await;
    let (assessment_id, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let study = |page: &str| {
        vec![
            ("csrf_token", hidden(page, "csrf_token")),
            ("version", version.to_string()),
            ("action", "servicing_study".to_owned()),
            ("points_outside", "10".to_owned()),
            ("text", "Étude".to_owned()),
        ]
    };
    let url = app.url(&format!("/operator/assessments/{assessment_id}"));
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let elec = app.signed_in("elec@ores.demo").await;
    let page = text_of(&elec, &page_url).await;
    assert!(!page.contains("Étude de viabilisation (ORES)"));
    let response = elec.post(&url).form(&study(&page)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Cette réponse ne chiffre pas de viabilisation.")
    );
    // Another operator cannot reach ORES' answer at all.
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, &page_url).await;
    let response = swde.post(&url).form(&study(&page)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let versions = app
        .count("SELECT COUNT(*) FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id WHERE a.service = 'electricity'")
        .await;
    assert_eq!(versions, 1);
}

#[tokio::test]
async fn v_8_2_2_v_8_4_the_servicing_lead_time_runs_from_the_latest_of_payment_permit_trenches_and_coordinators()
 {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&tournai_lots()).await;
    let id = app.request_id(&reference).await;
    answer_of(&app, &id, "electricity").await;
    send_offer(&app, &id).await;
    let link = crate::helpers::link_in_mail(&app, &id, "request_filed").await;
    assert_eq!(
        crate::helpers::accept_offer_online(&app, &link, &id)
            .await
            .0,
        303
    );
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let assessment_id: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    // ORES marks a prerequisite met, on the app's day.
    let mark_met = |code: &'static str| {
        let app = &app;
        let (page_url, assessment_id) = (&page_url, &assessment_id);
        async move {
            let elec = app.signed_in("elec@ores.demo").await;
            let page = text_of(&elec, page_url).await;
            let version: i64 = sqlx::query_scalar("SELECT version FROM assessments WHERE id = $1")
                .bind(assessment_id)
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
            let response = elec
                .post(app.url(&format!("/operator/assessments/{assessment_id}")))
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("version", version.to_string()),
                    ("action", "prerequisite_met".to_owned()),
                    ("code", code.to_owned()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 303, "{code}");
        }
    };
    let ores_deadline = || async {
        let julien = app.signed_in("julien@ores.demo").await;
        let page = text_of(&julien, &page_url).await;
        let start = page
            .find(r#"<ul id="deadlines">"#)
            .expect("deadlines listed");
        page[start..]
            .split("<li>")
            .find(|item| item.contains("V-8.2.2"))
            .unwrap_or_else(|| panic!("V-8.2.2 in {page}"))
            .to_owned()
    };

    // The permit copy on Wednesday 2 December, the trenches on the 4th; ORES is paid on the 3rd.
    mark_met("permit_copy").await;
    app.advance(chrono::Duration::days(2));
    mark_met("trench_and_sleeve").await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &page_url).await;
    let (ores, amount): (String, String) = sqlx::query_as(
        "SELECT p.id, p.amount FROM offer_dues p JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.scope = 'servicing' \
         AND p.direction = 'applicant_to_operator'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/payments")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("payee", ores),
            ("amount", amount),
            ("paid_on", "2026-12-03".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    // Without the coordinators' details (V-8.4) the lead time has not started.
    let waiting = ores_deadline().await;
    assert!(waiting.contains("pas encore atteint"), "{waiting}");

    // They reach ORES on Wednesday 9 December: the latest event starts the lead time, which
    // stops during the winter rest days of 21-24 December (V-8.2.2): 30 days, 12 January.
    app.advance(chrono::Duration::days(5));
    mark_met("site_coordinators").await;
    let started = ores_deadline().await;
    assert!(started.contains("compté depuis le 09/12/2026"), "{started}");
    assert!(started.contains("au plus tard le 12/01/2027"), "{started}");
}
