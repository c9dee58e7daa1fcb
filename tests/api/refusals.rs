//! Refusals that help (journey 6): a part refused by SWDE's survey (B-5.1) or by operator staff
//! reaches the applicant (status page, offer email and PDF) and staff (request page, API) with
//! its rule and its written reason (B-4.4), in the reader's language.

use connect_my_home::demo as seed;
use serde_json::json;

use crate::helpers::{
    TestApp, hidden, json_of, latest_mail, link_in_mail, marie, spawn_app, text_of, with,
};

/// A filed request every operator answered, with its water assessment and SWDE signed in.
struct Answered {
    id: String,
    water: String,
    swde: reqwest::Client,
    julien: reqwest::Client,
    page_url: String,
}

async fn answered(app: &TestApp, fields: &[(&'static str, String)]) -> Answered {
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app.file_assessed(fields).await;
    let water: String = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE request_id = $1 AND service = 'water'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    Answered {
        page_url: app.url(&format!("/backoffice/requests/{id}")),
        swde: app.signed_in("eau@swde.demo").await,
        julien: app.signed_in("julien@ores.demo").await,
        id,
        water,
    }
}

/// SWDE posts a change of its water answer at `version`; returns the status and the page.
async fn swde_posts(
    app: &TestApp,
    a: &Answered,
    version: i64,
    fields: &[(&'static str, &str)],
) -> (u16, String) {
    let page = text_of(&a.swde, &a.page_url).await;
    let mut form = vec![
        ("csrf_token", hidden(&page, "csrf_token")),
        ("version", version.to_string()),
    ];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let response = a
        .swde
        .post(app.url(&format!("/operator/assessments/{}", a.water)))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn water_version(app: &TestApp, a: &Answered) -> i64 {
    sqlx::query_scalar("SELECT version FROM assessments WHERE id = $1")
        .bind(&a.water)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// The officer sends the offer; returns the email's text and its PDF's text, on one line.
async fn send_offer(app: &TestApp, a: &Answered) -> (String, String) {
    let page = text_of(&a.julien, &a.page_url).await;
    let response = a
        .julien
        .post(app.url(&format!("/backoffice/requests/{}/offer", a.id)))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let mail = latest_mail(app, &a.id, "offer").await;
    let mail_id: String =
        sqlx::query_scalar("SELECT id FROM outbox WHERE request_id = $1 AND kind = 'offer'")
            .bind(&a.id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let attachments =
        connect_my_home::db::outbox::attachments(&app.state.db, mail_id.parse().unwrap())
            .await
            .unwrap();
    let pdf = pdf_extract::extract_text_from_mem(&attachments[0].content).unwrap();
    (mail, one_line(&pdf))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The API's parts of the request as `client` reads them: (service, feasibility, refusals).
async fn api_parts(app: &TestApp, client: &reqwest::Client, id: &str) -> Vec<serde_json::Value> {
    let detail = json_of(client, app.url(&format!("/api/v1/requests/{id}")), 200).await;
    detail["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["service"], p["feasibility"], p["refusals"]]))
        .collect()
}

#[tokio::test]
async fn b_5_1_a_survey_concluding_not_feasible_refuses_the_water_part_with_its_rule_everywhere() {
    let app = spawn_app().await;
    let a = answered(&app, &marie()).await;
    let link = link_in_mail(&app, &a.id, "request_filed").await;
    let survey = [
        ("action", "water_survey"),
        ("distance_to_main_m", "12"),
        ("inside_parcel_m", "3"),
        ("text", "Métré du 03/12 : compteur à 3 m de la limite"),
    ];
    // Without the conclusion, a route the rules refuse is not recorded: a typo is not a refusal.
    let (status, page) = swde_posts(&app, &a, 1, &survey).await;
    assert_eq!(status, 422);
    assert!(page.contains("cochez « non réalisable »"), "{page}");
    assert_eq!(water_version(&app, &a).await, 1);

    // The survey concludes "not feasible" (B-5.1): the part is refused with the rules' reason.
    let mut concluded = survey.to_vec();
    concluded.push(("not_feasible", "on"));
    let (status, _) = swde_posts(&app, &a, 1, &concluded).await;
    assert_eq!(status, 303);
    let refusal = "Non réalisable — Le tracé dans la parcelle mesure 3 m : il ne peut dépasser \
                   2 m (règle B-5.1)";

    // The applicant's status page says which connection and why, with the rule.
    let status_page = text_of(&app.client, &link).await;
    assert!(
        status_page.contains(&format!("Eau (SWDE) — {refusal}")),
        "{status_page}"
    );
    // Staff read it on the request page.
    let officer_page = text_of(&a.julien, &a.page_url).await;
    assert!(officer_page.contains(refusal), "{officer_page}");

    // The API gives the rule, the reason's key and arguments, and the reason in English.
    let refused = json!([{
        "rule": "B-5.1",
        "reason": {
            "kind": "keyed",
            "key": "tariff.refusal.water_inside_parcel",
            "args": { "max": "2", "metres": "3" }
        },
        "text": "The route inside the parcel is 3 m long: it may not exceed 2 m."
    }]);
    let parts = api_parts(&app, &a.julien, &a.id).await;
    assert_eq!(parts.len(), 5);
    assert!(
        parts.contains(&json!(["water", "refused", refused])),
        "{parts:?}"
    );
    assert!(parts.contains(&json!(["gas", "feasible", []])), "{parts:?}");
    // SWDE reads its own part only.
    assert_eq!(
        api_parts(&app, &a.swde, &a.id).await,
        [json!(["water", "refused", refused])]
    );

    // The offer carries it in writing: in the email and in its PDF.
    let (mail, pdf) = send_offer(&app, &a).await;
    assert!(mail.contains("CE QUI NE PEUT PAS ÊTRE RÉALISÉ"), "{mail}");
    assert!(
        mail.contains(&format!("- SWDE : Eau — {refusal}")),
        "{mail}"
    );
    assert!(pdf.contains(&format!("Eau — {refusal}")), "{pdf}");
}

#[tokio::test]
async fn b_4_4_a_staff_refusal_keeps_its_rule_and_written_reason_in_the_applicants_language() {
    let app = spawn_app().await;
    let a = answered(&app, &with(&marie(), &[("language", "en")])).await;
    let link = link_in_mail(&app, &a.id, "request_filed").await;
    let reason = "The copy of the title deed is not legalised.";
    let (status, _) = swde_posts(
        &app,
        &a,
        1,
        &[("action", "refuse"), ("code", "B-4.1"), ("text", reason)],
    )
    .await;
    assert_eq!(status, 303);

    let english = app
        .client
        .get(&link)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        english.contains(
            "Water (SWDE) — Not feasible — The copy of the title deed is not legalised (rule B-4.1)"
        ),
        "{english}"
    );
    let officer_page = text_of(&a.julien, &a.page_url).await;
    assert!(
        officer_page
            .contains("Non réalisable — The copy of the title deed is not legalised (règle B-4.1)"),
        "{officer_page}"
    );
    let parts = api_parts(&app, &a.julien, &a.id).await;
    assert!(
        parts.contains(&json!([
            "water",
            "refused",
            [{
                "rule": "B-4.1",
                "reason": { "kind": "written", "text": reason },
                "text": reason
            }]
        ])),
        "{parts:?}"
    );

    // The offer, in the applicant's language.
    let (mail, pdf) = send_offer(&app, &a).await;
    let line = "Water — Not feasible — The copy of the title deed is not legalised (rule B-4.1)";
    assert!(mail.contains("WHAT CANNOT BE DONE"), "{mail}");
    assert!(mail.contains(&format!("- SWDE: {line}")), "{mail}");
    assert!(pdf.contains(line), "{pdf}");
}

#[tokio::test]
async fn b_4_4_a_staff_refusal_without_its_written_reason_is_refused_saying_so() {
    let app = spawn_app().await;
    let a = answered(&app, &marie()).await;
    for blank in ["", "   "] {
        let (status, page) =
            swde_posts(&app, &a, 1, &[("action", "refuse"), ("text", blank)]).await;
        assert_eq!(status, 422);
        assert!(
            page.contains(
                "Un refus doit être motivé par écrit (règle B-4.4) : écrivez le motif dans le \
                 champ « Motif ou note ». Rien n&#39;a été modifié."
            ),
            "{page}"
        );
    }
    assert_eq!(water_version(&app, &a).await, 1);
    let parts = api_parts(&app, &a.swde, &a.id).await;
    assert_eq!(parts, [json!(["water", "feasible", []])]);
}

#[tokio::test]
async fn b_5_1_a_survey_not_feasible_for_a_reason_the_rules_do_not_word_keeps_swdes_words() {
    let app = spawn_app().await;
    let a = answered(&app, &marie()).await;
    let link = link_in_mail(&app, &a.id, "request_filed").await;
    let reason = "Nappe phréatique affleurante : aucune tranchée possible";
    let (status, _) = swde_posts(
        &app,
        &a,
        1,
        &[
            ("action", "water_survey"),
            ("distance_to_main_m", "12"),
            ("inside_parcel_m", "1"),
            ("not_feasible", "on"),
            ("text", reason),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let status_page = text_of(&app.client, &link).await;
    assert!(
        status_page.contains(&format!(
            "Eau (SWDE) — Non réalisable — {reason} (règle B-5.1)"
        )),
        "{status_page}"
    );
    assert_eq!(
        api_parts(&app, &a.swde, &a.id).await,
        [json!([
            "water",
            "refused",
            [{ "rule": "B-5.1", "reason": { "kind": "written", "text": reason }, "text": reason }]
        ])]
    );
}

#[tokio::test]
async fn c_4_a_part_refused_by_the_survey_sends_no_crew_on_the_joint_day() {
    let app = spawn_app().await;
    let a = answered(&app, &marie()).await;
    let link = link_in_mail(&app, &a.id, "request_filed").await;
    let (status, _) = swde_posts(
        &app,
        &a,
        1,
        &[
            ("action", "water_survey"),
            ("distance_to_main_m", "12"),
            ("inside_parcel_m", "3"),
            ("not_feasible", "on"),
            ("text", "Métré du 03/12 : compteur à 3 m de la limite"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    // The offer without water is sent, accepted and paid in full.
    let page = text_of(&a.julien, &a.page_url).await;
    let response = a
        .julien
        .post(format!("{}/offer", a.page_url))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        crate::helpers::accept_offer_online(&app, &link, &a.id)
            .await
            .0,
        303
    );
    let dues: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.id, p.amount FROM offer_dues p JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator'",
    )
    .bind(&a.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    for (due, amount) in dues {
        let page = text_of(&a.julien, &a.page_url).await;
        let response = a
            .julien
            .post(format!("{}/payments", a.page_url))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token")),
                ("payee", due),
                ("amount", amount),
                ("paid_on", app.today().to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
    }
    // The applicant picks the first day offered: every crew but SWDE's is booked (C-4).
    let page = text_of(&app.client, &link).await;
    let response = app
        .client
        .post(format!("{link}/day"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("day", hidden(&page, "day")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let mut services: Vec<String> =
        sqlx::query_scalar("SELECT service FROM reservations WHERE request_id = $1")
            .bind(&a.id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    services.sort();
    assert_eq!(services, ["electricity", "gas", "proximus", "voo"]);
}
