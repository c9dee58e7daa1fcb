//! The status page tells the applicant what happens next and what they must do, by when, at
//! each stage; the day they pick stays proposed until the case officer confirms it; the
//! confirmation carries the crews' arrival window and the closing mail what comes after.

use crate::helpers::{
    TestApp, accept_offer_online, app_with_crews, hidden, marie, send_offer_as, text_of,
};

/// The applicant's "what happens next" list, item by item, entities read back.
fn next_steps(page: &str) -> Vec<String> {
    let Some(start) = page.find(r#"<section id="next-steps">"#) else {
        return Vec::new();
    };
    let section = &page[start..];
    let section = &section[..section.find("</section>").unwrap()];
    section
        .split("<li>")
        .skip(1)
        .map(|item| {
            item[..item.find("</li>").unwrap()]
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
        })
        .collect()
}

async fn steps_of(app: &TestApp, link: &str) -> Vec<String> {
    next_steps(&text_of(&app.client, link).await)
}

#[tokio::test]
async fn the_status_page_says_what_to_do_next_at_each_stage() {
    let app = app_with_crews().await;
    let (reference, id) = app.file_assessed(&marie()).await;
    let link = app.private_link(&id).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));

    let documents = [
        "Envoyez-nous ce document, dans la partie « Documents » ci-dessous : Plan de situation \
         (1/10 000 ou 1/5 000) — avant l'offre.",
        "Envoyez-nous ce document, dans la partie « Documents » ci-dessous : Titre de propriété \
         ou droit sur la parcelle (copie) — avant l'offre.",
        "Envoyez-nous ce document, dans la partie « Documents » ci-dessous : Copie du permis — \
         15 jours avant les travaux.",
        "Envoyez-nous ce document, dans la partie « Documents » ci-dessous : Certificat \
         CertIBEau — avant les travaux.",
    ];
    let choose = "Choisissez ci-dessous le jour des travaux : toutes les équipes viendront \
                  ensemble ce jour-là.";
    let trench = "Avant le jour des travaux, creusez la tranchée sur votre terrain et posez la \
                  gaine à 1 m de profondeur, comme le décrit l'offre.";
    let pay = |amount: &str, payee: &str, when: &str| {
        format!(
            "Payez {amount} à {payee} {when} (compte et communication structurée dans le \
             tableau de paiement ci-dessous)."
        )
    };
    let (ores, swde) = ("1\u{202f}754,50 €", "1\u{202f}452,00 €");
    let swde_name = "Société wallonne des eaux (SWDE)";
    let steps = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    // Filed and assessed: the documents still asked, by when; the day to choose; the trench.
    let mut expected = steps(&documents);
    expected.extend(steps(&[choose, trench]));
    assert_eq!(steps_of(&app, &link).await, expected);
    // No rule code reaches the applicant's list.
    assert!(
        expected
            .iter()
            .all(|s| !s.contains("V-") && !s.contains("B-") && !s.contains("C-"))
    );

    // The offer sent: accept it by its date; each payee, its amount, before the works.
    send_offer_as(&app, &julien, &id, "").await;
    let mut expected = steps(&documents);
    expected.push(
        "Acceptez l'offre ci-dessous au plus tard le 2 juin 2027. Une fois l'offre acceptée, \
         vous choisirez ici le jour des travaux."
            .to_owned(),
    );
    expected.push(pay(ores, "ORES Assets", "avant les travaux"));
    expected.push(pay(swde, swde_name, "avant les travaux"));
    expected.push(trench.to_owned());
    assert_eq!(steps_of(&app, &link).await, expected);

    // Accepted, not paid: still to pay; the day can be chosen.
    assert_eq!(accept_offer_online(&app, &link, &id).await.0, 303);
    let mut expected = steps(&documents);
    expected.push(pay(ores, "ORES Assets", "avant les travaux"));
    expected.push(pay(swde, swde_name, "avant les travaux"));
    expected.extend(steps(&[choose, trench]));
    assert_eq!(steps_of(&app, &link).await, expected);

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
    // The day picked is proposed, to be confirmed: not "every crew comes on…".
    let page = text_of(&app.client, &link).await;
    let proposed = "Le 18 janvier 2027 est proposé pour les travaux, à confirmer : nous le \
                    confirmons une fois l'offre acceptée, les paiements reçus et l'autorisation \
                    de la commune obtenue. Prévoyez d'être présent ce jour-là.";
    let mut expected = steps(&documents);
    expected.push(pay(
        ores,
        "ORES Assets",
        "avant le jour des travaux, le 18 janvier 2027",
    ));
    expected.push(pay(
        swde,
        swde_name,
        "avant le jour des travaux, le 18 janvier 2027",
    ));
    expected.extend(steps(&[trench, proposed]));
    assert_eq!(next_steps(&page), expected);
    assert!(page.contains(
        "<p class=\"alert\" id=\"day-proposed\">Jour proposé : le 18/01/2027, à confirmer. \
         Nous vous le confirmerons par courriel quand tout ce qui doit précéder les travaux \
         sera fait.</p>"
    ));
    assert!(!page.contains("Toutes les équipes viendront le"));

    // Every operator is paid; the commune grants the permit; the officer confirms the day.
    let payees: Vec<(String, String)> = sqlx::query_as(
        "SELECT COALESCE(p.organisation_id, ''), p.amount FROM offer_dues p \
         JOIN offers o ON o.id = p.offer_id \
         WHERE o.request_id = $1 AND p.direction = 'applicant_to_operator'",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let csrf = hidden(&text_of(&julien, &page_url).await, "csrf_token");
    for (organisation, amount) in &payees {
        let response = julien
            .post(app.url(&format!("/backoffice/requests/{id}/payments")))
            .form(&[
                ("csrf_token", csrf.clone()),
                ("organisation", organisation.clone()),
                ("amount", amount.clone()),
                ("paid_on", app.today().to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
    }
    let mut expected = steps(&documents);
    expected.extend(steps(&[trench, proposed]));
    assert_eq!(steps_of(&app, &link).await, expected);
    let permit: String = sqlx::query_scalar("SELECT id FROM permits WHERE request_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let namur = app.signed_in("travaux@namur.demo").await;
    let permit_page = text_of(&namur, app.url(&format!("/commune/permits/{permit}"))).await;
    let granted = namur
        .post(app.url(&format!("/commune/permits/{permit}/decision")))
        .form(&[
            ("csrf_token", hidden(&permit_page, "csrf_token")),
            ("action", "approve".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status().as_u16(), 303);
    let page = text_of(&julien, &page_url).await;
    let confirmed = julien
        .post(app.url(&format!("/backoffice/requests/{id}/day/confirm")))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 303);
    // Confirmed: be there on the day; the mail gives the crews' arrival window.
    let page = text_of(&app.client, &link).await;
    let mut expected = steps(&documents);
    expected.extend(steps(&[
        trench,
        "Soyez présent le 18 janvier 2027 pour accueillir les équipes et leur donner accès au \
         terrain.",
    ]));
    assert_eq!(next_steps(&page), expected);
    assert!(page.contains("Toutes les équipes viendront le 18/01/2027."));
    assert!(!page.contains(r#"id="day-proposed""#));
    let mail: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE kind = 'day_confirmed' AND request_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert!(
        mail.contains(
            "Toutes les équipes viendront le 18 janvier 2027 : elles arrivent entre 08:00 et \
             12:00. L'invitation pour votre agenda est jointe."
        ),
        "{mail}"
    );

    // On the day every operator records its works: the request is done and paid, and the
    // closing mail says what comes next.
    app.advance_to(chrono::NaiveDate::from_ymd_opt(2027, 1, 18).unwrap());
    for (slug, email) in [
        ("ores-electricity", "elec@ores.demo"),
        ("ores-gas", "gaz@ores.demo"),
        ("swde", "eau@swde.demo"),
        ("proximus", "raccordement@proximus.demo"),
        ("voo", "raccordement@voo.demo"),
    ] {
        let staff = app.signed_in(email).await;
        let assessment: String = sqlx::query_scalar(
            "SELECT a.id FROM assessments a JOIN organisations o ON o.id = a.organisation_id \
             WHERE a.request_id = $1 AND o.slug = $2",
        )
        .bind(&id)
        .bind(slug)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        let page = text_of(&staff, &page_url).await;
        let response = staff
            .post(app.url(&format!("/operator/assessments/{assessment}/done")))
            .form(&[("csrf_token", hidden(&page, "csrf_token"))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{slug}");
    }
    let closing: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE kind = 'closed' AND request_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let reference_line = format!(
        "Tous les raccordements de votre demande {reference} sont réalisés et payés : la \
         demande est clôturée. Merci d'avoir fait vos raccordements avec Connect my home."
    );
    for line in [
        reference_line.as_str(),
        "Et maintenant ?",
        "Électricité : votre point de fourniture a un code EAN (18 chiffres commençant par 54). \
         ORES vous le communique ; il figure aussi sur les documents de votre raccordement.",
        "Gaz : votre point de fourniture a son propre code EAN (18 chiffres commençant par 54), \
         communiqué par ORES.",
        "Choisissez un fournisseur d'énergie et donnez-lui ce code EAN : c'est lui qui vous \
         fournit l'électricité et le gaz, ORES n'en vend pas. Vous pouvez comparer les offres \
         sur le site du régulateur wallon, la CWaPE.",
        "Eau : la fourniture d'eau se règle avec votre distributeur d'eau, qui vous envoie le \
         contrat d'abonnement.",
    ] {
        assert!(closing.contains(line), "{line} in {closing}");
    }
    // Nothing left to do: the list is gone.
    assert!(
        steps_of(&app, &link)
            .await
            .iter()
            .all(|s| !s.contains("Soyez présent"))
    );
}

#[tokio::test]
async fn the_next_steps_speak_english_and_german_without_rule_codes() {
    let app = app_with_crews().await;
    for (language, choose, trench) in [
        (
            "en",
            "Choose the works day below: every crew comes together that day.",
            "Before the works day, dig the trench on your land and lay the sleeve 1 m deep, as \
             the offer describes.",
        ),
        (
            "de",
            "Wählen Sie unten den Tag der Arbeiten: Alle Teams kommen an diesem Tag gemeinsam.",
            "Heben Sie vor dem Tag der Arbeiten den Graben auf Ihrem Grundstück aus und verlegen \
             Sie das Schutzrohr in 1 m Tiefe, wie im Angebot beschrieben.",
        ),
    ] {
        let fields = crate::helpers::with(&marie(), &[("language", language)]);
        let (_, id) = app.file_assessed(&fields).await;
        let link = app.private_link(&id).await;
        let page = app
            .client
            .get(&link)
            .header("accept-language", language)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let steps = next_steps(&page);
        assert_eq!(steps.len(), 6, "{steps:?}");
        assert_eq!(steps[4], choose);
        assert_eq!(steps[5], trench);
        assert!(
            steps
                .iter()
                .all(|s| !s.contains("V-") && !s.contains("B-") && !s.contains("C-")),
            "{steps:?}"
        );
    }
}
