//! The case officer is told what just happened, with its facts (issue 22, point 6): the offer
//! sent to whom for how much, the acceptance and what remains to pay, each payment and what
//! remains due, the day confirmed; a payment dated in the future says what today is. SWDE's
//! survey form keeps what was typed when it is refused (point 8, B-5.1).

use crate::helpers::{TestApp, app_with_crews, hidden, spawn_app, text_of};
use crate::water::{post_survey, water_request};

/// Follows the 303 a form answered, as a browser does; the page it lands on.
async fn landed(client: &reqwest::Client, app: &TestApp, response: reqwest::Response) -> String {
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap()
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    // The redirect carries a code (and a due's id), never the facts the page states.
    assert!(
        !location.contains('@') && !location.contains("total"),
        "{location}"
    );
    text_of(client, app.url(&location)).await
}

/// The confirmation shown on a request page.
fn notice(page: &str) -> &str {
    let start = page.find("id=\"notice\"").expect("a notice");
    let start = page[start..].find('>').unwrap() + start + 1;
    let end = page[start..].find("</p>").unwrap() + start;
    &page[start..end]
}

/// Posts a form of the request page `path` starts with (`/backoffice/requests/{id}/…`).
async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page_path: String = path.split('/').take(4).collect::<Vec<_>>().join("/");
    let page = text_of(client, app.url(&page_path)).await;
    let mut form = vec![("csrf_token".to_owned(), hidden(&page, "csrf_token"))];
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

// Water only, 2026 book, new build: registration fee 50,00 + standard connection
// (480,00 + 440,00) × 1,25 = 1 150,00, i.e. 1 200,00 excl. VAT; 21 % VAT: 1 452,00 €.
const TOTAL: &str = "1\u{202f}452,00 €";

#[tokio::test]
async fn c_2_v_8_2_1_sending_accepting_paying_and_confirming_each_say_what_happened() {
    let app = app_with_crews().await;
    let s = water_request(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let base = format!("/backoffice/requests/{}", s.id);
    // A crafted link claims nothing: the facts are read from the request, and none happened.
    for query in [
        "done=offer_sent",
        "done=accepted",
        "done=day_confirmed",
        "done=payment&due=00000000-0000-0000-0000-000000000000",
        "done=%3Cscript%3E",
    ] {
        let page = text_of(&julien, app.url(&format!("{base}?{query}"))).await;
        assert!(!page.contains("id=\"notice\""), "{query}");
    }
    let page = text_of(&julien, app.url(&base)).await;

    // Send: which version, to whom, for how much.
    let key = hidden(&page, "key");
    let response = post(&julien, &app, &format!("{base}/offer"), &[("key", &key)]).await;
    let page = landed(&julien, &app, response).await;
    assert_eq!(
        notice(&page),
        format!("Offre v1 envoyée à marie.dupont@example.be (total {TOTAL}).")
    );
    assert!(!page.contains("Votre réponse est enregistrée."));

    // A written acceptance: what the applicant still pays before the works (V-8.2.1).
    let response = post(
        &julien,
        &app,
        &format!("{base}/offer/accept"),
        &[
            ("version", "1"),
            ("note", "Offre signée reçue par courrier"),
        ],
    )
    .await;
    let page = landed(&julien, &app, response).await;
    assert_eq!(
        notice(&page),
        format!(
            "Acceptation de l&#39;offre v1 enregistrée — reste à payer avant les travaux : {TOTAL}."
        )
    );

    // The date field offers no day after today (its `max`, the app's own today).
    assert!(
        page.contains(r#"<input type="date" name="paid_on" max="2026-12-02">"#),
        "{page}"
    );
    // A payment dated tomorrow, as the date field sends it or as people write it: refused as
    // a day in the future, saying what today is — not as a badly written date.
    let due = hidden(&page, "payee");
    for tomorrow in ["2026-12-03", "03/12/2026"] {
        let response = post(
            &julien,
            &app,
            &format!("{base}/payments"),
            &[
                ("payee", &due),
                ("amount", "1000"),
                ("paid_on", tomorrow),
                ("key", "k0"),
            ],
        )
        .await;
        assert_eq!(response.status().as_u16(), 422);
        let page = response.text().await.unwrap();
        assert_eq!(
            notice(&page),
            "Un paiement ne peut pas être daté dans le futur : nous sommes le 02/12/2026.",
            "{tomorrow}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM due_payments").await, 0);

    // A first instalment (B-5.4): 1 452,00 − 1 000,00 = 452,00 € still due.
    let response = post(
        &julien,
        &app,
        &format!("{base}/payments"),
        &[
            ("payee", &due),
            ("amount", "1000"),
            ("paid_on", "01/12/2026"),
            ("key", "k1"),
        ],
    )
    .await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "dated before the offer was sent"
    );
    let response = post(
        &julien,
        &app,
        &format!("{base}/payments"),
        &[
            ("payee", &due),
            ("amount", "1000"),
            ("paid_on", "02/12/2026"),
            ("key", "k2"),
        ],
    )
    .await;
    let page = landed(&julien, &app, response).await;
    assert_eq!(
        notice(&page),
        "Paiement de 1\u{202f}000,00 € à Société wallonne des eaux (SWDE) enregistré, daté du 02/12/2026 — reste dû 452,00 €"
    );
    // The rest: nothing more is due.
    let response = post(
        &julien,
        &app,
        &format!("{base}/payments"),
        &[
            ("payee", &due),
            ("amount", "452"),
            ("paid_on", "2026-12-02"),
            ("key", "k3"),
        ],
    )
    .await;
    let page = landed(&julien, &app, response).await;
    assert_eq!(
        notice(&page),
        "Paiement de 452,00 € à Société wallonne des eaux (SWDE) enregistré, daté du 02/12/2026 — reste dû 0,00 €"
    );

    // The day: the applicant picks it, the commune grants the permit (C-6), the officer
    // confirms it.
    let link = app.private_link(&s.id).await;
    let track = text_of(&app.client, &link).await;
    let day = hidden(&track, "day");
    let response = app
        .client
        .post(format!("{link}/day"))
        .form(&[
            ("csrf_token", hidden(&track, "csrf_token")),
            ("day", day.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    if let Some(permit) = sqlx::query_scalar::<_, String>(
        "SELECT id FROM permits WHERE request_id = $1 AND status = 'pending'",
    )
    .bind(&s.id)
    .fetch_optional(&app.state.db.pool)
    .await
    .unwrap()
    {
        let namur = app.signed_in("travaux@namur.demo").await;
        let page = text_of(&namur, app.url(&format!("/commune/permits/{permit}"))).await;
        let granted = namur
            .post(app.url(&format!("/commune/permits/{permit}/decision")))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token")),
                ("action", "approve".to_owned()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(granted.status().as_u16(), 303);
    }
    let response = post(&julien, &app, &format!("{base}/day/confirm"), &[]).await;
    let page = landed(&julien, &app, response).await;
    let (y, m, d) = (&day[0..4], &day[5..7], &day[8..10]);
    assert_eq!(
        notice(&page),
        format!(
            "Jour commun du {d}/{m}/{y} confirmé : invitation envoyée à marie.dupont@example.be."
        )
    );
}

#[tokio::test]
async fn b_5_1_swde_survey_refused_keeps_what_was_typed_and_marks_the_field() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    let page = text_of(&s.swde, &s.page_url).await;
    // The page reads first: each edit form waits folded under its title (issue 22, point 6).
    for folded in [
        "<details class=\"panel\"><summary>Modifier les lignes</summary>",
        "<details class=\"panel\"><summary>Métré (SWDE)</summary>",
        "<details class=\"panel\"><summary>Modifier votre réponse</summary>",
    ] {
        assert!(page.contains(folded), "{folded}\n{page}");
    }
    // The hint says the route inside the parcel is at most 2 m (B-5.1).
    assert!(
        page.contains("Au plus 2 m dans la parcelle (règle B-5.1)"),
        "{page}"
    );

    // A distance typed wrong: the page keeps every value and says which field is wrong.
    let (status, body) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "62 mètres"),
            ("inside_parcel_m", "1,5"),
            ("extension_m", "12"),
            ("pressure_installation", "on"),
            ("holder_name", "Famille Dubois"),
            ("holder_parcel", "Section A 12"),
            ("holder_cost", "8400"),
            ("holder_months", "14"),
            ("holder_paid_on", ""),
            ("holder_name", "M. et Mme Leroy"),
            ("holder_parcel", "Section A 13"),
            ("holder_cost", "environ 3600"),
            ("holder_months", "5"),
            ("holder_paid_on", ""),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    // The refused form is shown open, where the refusal is.
    assert!(
        body.contains("<details class=\"panel\" open><summary>Métré (SWDE)</summary>"),
        "{body}"
    );
    let a = &s.assessment_id;
    for kept in [
        format!(
            "id=\"distance-{a}\" name=\"distance_to_main_m\" inputmode=\"decimal\" value=\"62 mètres\" aria-invalid=\"true\""
        ),
        format!("id=\"inside-{a}\" name=\"inside_parcel_m\" inputmode=\"decimal\" value=\"1,5\""),
        format!("id=\"extension-{a}\" name=\"extension_m\" inputmode=\"decimal\" value=\"12\""),
        "name=\"pressure_installation\" value=\"on\" checked".to_owned(),
        "name=\"holder_name\" maxlength=\"200\" value=\"Famille Dubois\"".to_owned(),
        "name=\"holder_parcel\" maxlength=\"200\" value=\"Section A 12\"".to_owned(),
        "name=\"holder_cost\" inputmode=\"decimal\" value=\"8400\"".to_owned(),
        "name=\"holder_months\" inputmode=\"numeric\" value=\"14\"".to_owned(),
        "name=\"holder_name\" maxlength=\"200\" value=\"M. et Mme Leroy\"".to_owned(),
        "name=\"holder_months\" inputmode=\"numeric\" value=\"5\"".to_owned(),
        ">Métré du 2 décembre</textarea>".to_owned(),
    ] {
        assert!(body.contains(&kept), "{kept}\n{body}");
    }
    // The message next to the refused field, tied to it.
    assert!(
        body.contains(&format!(
            "<p class=\"field-error\" id=\"distance-{a}-error\">Indiquez une longueur"
        )),
        "{body}"
    );
    assert!(body.contains(&format!("aria-describedby=\"distance-{a}-error\"")));
    // The second holder's cost is no amount: its row is marked and kept as typed.
    assert!(
        body.contains(&format!(
            "name=\"holder_cost\" inputmode=\"decimal\" value=\"environ 3600\" aria-label=\"Coût du tronçon TVAC (€) 2\" aria-invalid=\"true\" aria-describedby=\"holder-{a}-2-error\""
        )),
        "{body}"
    );
    assert!(body.contains(&format!(
        "<p class=\"field-error\" id=\"holder-{a}-2-error\">Tronçon 2 : "
    )));
    assert!(!body.contains(&format!("holder-{a}-1-error")));

    // 3 m inside the parcel: refused by the rules (B-5.1), the typed values kept, the field
    // marked.
    let (status, body) = post_survey(
        &app,
        &s,
        &[
            ("distance_to_main_m", "62"),
            ("inside_parcel_m", "3"),
            ("holder_name", "Famille Dubois"),
            ("holder_parcel", "Section A 12"),
            ("holder_cost", "8400"),
            ("holder_months", "14"),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    for kept in [
        format!(
            "id=\"distance-{a}\" name=\"distance_to_main_m\" inputmode=\"decimal\" value=\"62\""
        ),
        format!(
            "id=\"inside-{a}\" name=\"inside_parcel_m\" inputmode=\"decimal\" value=\"3\" aria-describedby=\"inside-hint-{a} inside-{a}-error\" aria-invalid=\"true\""
        ),
        "name=\"holder_name\" maxlength=\"200\" value=\"Famille Dubois\"".to_owned(),
    ] {
        assert!(body.contains(&kept), "{kept}\n{body}");
    }
}

#[tokio::test]
async fn v_8_2_1_recording_a_commune_paying_after_the_works_says_so_and_what_it_changes() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let base = format!("/backoffice/requests/{}", s.id);
    let response = post(
        &julien,
        &app,
        &format!("{base}/payer"),
        &[("after_works", "on")],
    )
    .await;
    let page = landed(&julien, &app, response).await;
    assert_eq!(
        notice(&page),
        "Enregistré : le demandeur est une commune maître d&#39;ouvrage, elle paie la \
         viabilisation après les travaux (V-8.2.1) ; la prochaine version de l&#39;offre \
         l&#39;indique et les travaux n&#39;attendent pas ce paiement."
    );
    let response = post(&julien, &app, &format!("{base}/payer"), &[]).await;
    let page = landed(&julien, &app, response).await;
    assert_eq!(
        notice(&page),
        "Enregistré : le demandeur paie avant les travaux ; la prochaine version de l&#39;offre \
         l&#39;indique."
    );
}

#[tokio::test]
async fn timelines_write_days_the_readers_way_never_as_stored() {
    let app = app_with_crews().await;
    let job = crate::helpers::reserved(&app, &crate::helpers::marie()).await;
    let day: chrono::NaiveDate = job.day.parse().unwrap();
    let written = day.format("%d/%m/%Y").to_string();
    let base = format!("/backoffice/requests/{}", job.id);
    let response = post(
        &job.julien,
        &app,
        &format!("{base}/day/cancel"),
        &[("reason", "Permis de voirie reporté")],
    )
    .await;
    let page = landed(&job.julien, &app, response).await;
    assert!(
        page.contains(&format!("<td>{written} — Permis de voirie reporté</td>")),
        "{page}"
    );
    assert!(!page.contains(&format!("{} — Permis", job.day)), "{page}");
    let link = app.private_link(&job.id).await;
    let status = text_of(&crate::helpers::client(), &link).await;
    assert!(
        status.contains(&format!(": {written} — Permis de voirie reporté</li>")),
        "{status}"
    );
}
