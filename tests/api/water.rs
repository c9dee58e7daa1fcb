//! SWDE's survey (B-5.1) prices the water part from the measured route: the extension beyond
//! 50 m (B-4.2, B-11, journey 6) and the quote-parts due to earlier holders (B-10, journey 3).

use crate::helpers::{TestApp, hidden, marie_from, spawn_app, spawn_app_at, text_of, with};

/// A water connection only, assessed, with SWDE signed in on its request page.
pub(crate) struct Surveyed {
    pub id: String,
    pub assessment_id: String,
    pub version: i64,
    pub swde: reqwest::Client,
    pub page_url: String,
}

pub(crate) async fn water_request(app: &TestApp) -> Surveyed {
    water_request_with(app, &[]).await
}

/// [`water_request`] with fields of the form changed (an existing home, say).
pub(crate) async fn water_request_with(
    app: &TestApp,
    changes: &[(&'static str, &str)],
) -> Surveyed {
    let mut changes_and_water_only = vec![
        ("electricity", ""),
        ("gas", ""),
        ("proximus", ""),
        ("voo", ""),
    ];
    changes_and_water_only.extend_from_slice(changes);
    let fields = with(&marie_from(app.today()), &changes_and_water_only);
    let (_, id) = app.file_assessed(&fields).await;
    let (assessment_id, version): (String, i64) =
        sqlx::query_as("SELECT id, version FROM assessments WHERE request_id = $1")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    Surveyed {
        page_url: app.url(&format!("/backoffice/requests/{id}")),
        swde: app.signed_in("eau@swde.demo").await,
        id,
        assessment_id,
        version,
    }
}

pub(crate) async fn post_survey(
    app: &TestApp,
    s: &Surveyed,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let page = text_of(&s.swde, &s.page_url).await;
    let mut form = vec![
        ("csrf_token", hidden(&page, "csrf_token")),
        ("version", s.version.to_string()),
        ("action", "water_survey".to_owned()),
    ];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let response = s
        .swde
        .post(app.url(&format!("/operator/assessments/{}", s.assessment_id)))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn latest_water_answer(app: &TestApp, id: &str) -> serde_json::Value {
    let body: String = sqlx::query_scalar(
        "SELECT v.body FROM assessment_versions v JOIN assessments a ON a.id = v.assessment_id \
         WHERE a.request_id = $1 AND a.service = 'water' ORDER BY v.version DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn b_10_journey_3_the_third_house_pays_two_quote_parts_to_the_neighbours() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    let page = text_of(&s.swde, &s.page_url).await;
    assert!(page.contains("Métré (SWDE)"));
    let before = latest_water_answer(&app, &s.id).await;

    // A bad figure is refused, naming the field; nothing changes.
    let (status, body) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "soixante"),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Distance à la conduite (m) Indiquez une longueur"),
        "{body}"
    );
    assert_eq!(latest_water_answer(&app, &s.id).await, before);

    // 62 m to the main: the extension comes with the connection; two neighbours financed
    // the sections 14 and 5 months ago.
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
            ("holder_name", ""),
            ("holder_parcel", ""),
            ("holder_cost", ""),
            ("holder_months", ""),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let answer = latest_water_answer(&app, &s.id).await;
    assert_eq!(answer["feasibility"], "feasible_with_extension");
    let reasons = answer["reasons"].as_array().unwrap();
    assert!(
        reasons.contains(&"water_extension_needed".into()),
        "{answer}"
    );
    assert!(!reasons.contains(&"distance_to_main_to_survey".into()));
    let survey = answer["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "survey")
        .unwrap();
    assert_eq!(survey["met"], true);
    let lines = answer["lines"].as_array().unwrap();
    let extension = lines.iter().find(|l| l["code"] == "B-EXTENSION").unwrap();
    assert_eq!(extension["quantity"], "62");
    // B-10, 3rd connection: C/3 × (60 − 14)/60 to the first holder, C'/2 × (60 − 5)/60 to
    // the second.
    let parts: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["code"] == "B-QUOTE-PART")
        .map(|l| {
            (
                l["args"]["holder"].as_str().unwrap(),
                l["amount_excl_vat"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("Famille Dubois", "2146.67"),
            ("M. et Mme Leroy", "1650.00")
        ]
    );
    assert!(
        answer["mentions"]
            .as_array()
            .unwrap()
            .contains(&"tariff.mention.water_quote_parts".into())
    );

    // The case officer reads them with the formula's figures.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, &s.page_url).await;
    assert!(
        page.contains("Quote-part d&#39;extension due à Famille Dubois (parcelle Section A 12)"),
        "{page}"
    );
    assert!(page.contains("3e raccordement"));
    assert!(page.contains("Conduite à plus de 50 m"));
}

#[tokio::test]
async fn b_4_2_a_main_close_by_needs_no_extension_and_only_swde_surveys() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    // B-5.1: 3 m inside the parcel is more than the rules allow: said, nothing saved.
    let before = latest_water_answer(&app, &s.id).await;
    let (status, body) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "12"),
            ("inside_parcel_m", "3"),
            ("text", "Métré"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Le tracé dans la parcelle mesure 3 m"),
        "{body}"
    );
    assert!(body.contains("cochez « non réalisable »"), "{body}");
    assert_eq!(latest_water_answer(&app, &s.id).await, before);
    let stored: Option<String> =
        sqlx::query_scalar("SELECT water_survey FROM requests WHERE id = $1")
            .bind(&s.id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, None);

    let (status, _) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "12"),
            ("inside_parcel_m", "1,5"),
            ("text", "Métré"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let answer = latest_water_answer(&app, &s.id).await;
    assert_eq!(answer["feasibility"], "feasible");
    assert!(
        !answer["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == "B-EXTENSION")
    );
    // Another operator cannot reach SWDE's answer.
    let elec = app.signed_in("elec@ores.demo").await;
    let page = text_of(&elec, app.url("/operator")).await;
    let response = elec
        .post(app.url(&format!("/operator/assessments/{}", s.assessment_id)))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", "2".to_owned()),
            ("action", "water_survey".to_owned()),
            ("distance_to_main_m", "80".to_owned()),
            ("text", "x".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

/// V-5: a request dated after SWDE's last book has no water price; a survey cannot price it
/// either: refused with the date and the last book, nothing saved (never an error page).
#[tokio::test]
async fn v_5_a_survey_without_a_book_in_force_is_refused_and_saves_nothing() {
    let app = spawn_app_at("2028-01-04T09:00:00Z").await;
    let s = water_request(&app).await;
    let before = latest_water_answer(&app, &s.id).await;
    assert!(before["lines"].as_array().unwrap().is_empty());
    let (status, body) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "12"),
            ("inside_parcel_m", "1,5"),
            ("text", "Métré"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains(
            "Aucun barème SWDE n&#39;est en vigueur le 04/01/2028 (le dernier, SWDE-2027-demo.1, \
             a pris fin le 31/12/2027) : rien n&#39;est enregistré, la part ne peut pas être \
             chiffrée à nouveau sans barème en vigueur à sa date (règle V-5)."
        ),
        "{body}"
    );
    assert_eq!(latest_water_answer(&app, &s.id).await, before);
    let stored: Option<String> =
        sqlx::query_scalar("SELECT water_survey FROM requests WHERE id = $1")
            .bind(&s.id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, None);
}
