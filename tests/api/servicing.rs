//! Servicing of land asked with a request (journey 2): the form collects what the servicing
//! engine needs, and ORES electricity's answer carries the V- lines (V-3.1, V-4.1b, V-4.3, V-8).

use crate::helpers::{marie, spawn_app, text_of, with};

/// A developer dividing land without an address into 4 lots: electricity and servicing.
fn division() -> Vec<(&'static str, String)> {
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
    let form = app.open_form().await;
    let fields = with(&division(), &[("electricity", ""), ("water", "on")]);
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("cochez l&#39;électricité")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}
