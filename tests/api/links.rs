//! Private links to the status page: they end six months after the request is finished, a
//! new one replaces every earlier one (from the status page or the "Lost your link?" page,
//! which answers the same for any address), and the link alone cannot accept the offer: a
//! one-time code emailed to the applicant confirms it.

use std::time::Duration as StdDuration;

use chrono::{Duration, Months};
use connect_my_home::{demo as seed, services::links};

use crate::helpers::{
    Reserved, TestApp, acceptance_code, app_with_crews, ask_acceptance_code, confirm_acceptance,
    hidden, latest_mail, link_in_mail, marie, reserved, spawn_app, spawn_app_with, text_of, with,
};

/// The status code and body of `url` read in `language`.
async fn read_in(app: &TestApp, url: &str, language: &str) -> (u16, String) {
    let response = app
        .client
        .get(url)
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn state_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn offer_status(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM offers WHERE request_id = $1 ORDER BY version DESC")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn mails_of_kind(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// Presses "Send me a new link" on the status page `link`.
async fn renew(app: &TestApp, link: &str) -> (u16, String) {
    let page = text_of(&app.client, link).await;
    let response = app
        .client
        .post(format!("{link}/link"))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Types `email` on the "Lost your link?" page.
async fn ask_lost_link(app: &TestApp, email: &str) -> (u16, String) {
    let page = text_of(&app.client, app.url("/link/lost")).await;
    let response = app
        .client
        .post(app.url("/link/lost"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("email", email.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Waits until the worker has handled every address typed on the "Lost your link?" page.
async fn wait_lost_links_handled(app: &TestApp) {
    for _ in 0..100 {
        if app.count("SELECT COUNT(*) FROM link_requests").await == 0 {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("addresses typed on the lost-link page were never handled");
}

#[tokio::test]
async fn a_link_works_until_six_months_after_the_request_is_finished_then_says_it_expired() {
    let app = app_with_crews().await;
    let water_and_voo = with(
        &marie(),
        &[
            ("electricity", ""),
            ("electricity_band", ""),
            ("gas", ""),
            ("proximus", ""),
        ],
    );
    let Reserved {
        id,
        reference,
        url,
        day,
        ..
    } = reserved(&app, &water_and_voo).await;
    let link = link_in_mail(&app, &id, "request_filed").await;

    // Each operator records its works on the day: the last one finishes the request.
    app.advance_to(day.parse().unwrap());
    for staff in ["eau@swde.demo", "raccordement@voo.demo"] {
        let client = app.signed_in(staff).await;
        let assessment: String = sqlx::query_scalar(
            "SELECT a.id FROM assessments a JOIN users u ON u.organisation_id = a.organisation_id \
             WHERE a.request_id = $1 AND u.email = $2",
        )
        .bind(&id)
        .bind(staff)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        let csrf = hidden(&text_of(&client, &url).await, "csrf_token");
        let response = client
            .post(app.url(&format!("/operator/assessments/{assessment}/done")))
            .form(&[("csrf_token", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{staff} records its works");
    }
    app.wait_state(&id, "done").await;
    let finished = app.now();

    // The day before the six months are over, the link still opens the request.
    let last_day = finished.checked_add_months(Months::new(6)).unwrap() - Duration::days(1);
    app.advance(last_day - app.now());
    let (status, page) = read_in(&app, &link, "fr").await;
    assert_eq!(status, 200);
    assert!(page.contains(&reference));
    assert!(page.contains("Les raccordements sont réalisés."));

    // The next day it says, in the visitor's language, that it expired and how to go on —
    // and shows nothing of the request.
    app.advance(Duration::days(1));
    let (status, page) = read_in(&app, &link, "fr").await;
    assert_eq!(status, 410);
    assert!(page.contains("<h1>Lien expiré</h1>"), "{page}");
    assert!(page.contains(
        "les liens de suivi cessent de fonctionner six mois après la clôture de la demande"
    ));
    assert!(page.contains("contactez le gestionnaire de dossier ORES"));
    assert!(page.contains("href=\"/link/lost\""));
    for hidden_data in [reference.as_str(), "Marie Dupont", "Tanneries"] {
        assert!(!page.contains(hidden_data), "{hidden_data} shown");
    }
    let (status, page) = read_in(&app, &link, "en").await;
    assert_eq!(status, 410);
    assert!(page.contains("<h1>Link expired</h1>"));
    assert!(page.contains("follow-up links stop working six months after the request is closed"));
    let (status, page) = read_in(&app, &link, "de").await;
    assert_eq!(status, 410);
    assert!(page.contains("<h1>Link abgelaufen</h1>"));
    // Its forms expired with it.
    let csrf = hidden(
        &text_of(&app.client, app.url("/link/lost")).await,
        "csrf_token",
    );
    let response = app
        .client
        .post(format!("{link}/link"))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 410);

    // Nor does the "Lost your link?" page bring it back: the request is past its links' life.
    let (status, _) = ask_lost_link(&app, "marie.dupont@example.be").await;
    assert_eq!(status, 200);
    wait_lost_links_handled(&app).await;
    assert_eq!(mails_of_kind(&app, "link_renewed").await, 0);
    assert_eq!(read_in(&app, &link, "fr").await.0, 410);
}

#[tokio::test]
async fn a_new_link_asked_on_the_status_page_replaces_every_earlier_one() {
    let app = spawn_app().await;
    let (reference, id) = app.file_assessed(&marie()).await;
    let filing_link = link_in_mail(&app, &id, "request_filed").await;
    // A later email carries its own link: the officer asks for the missing documents.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = julien
        .post(app.url(&format!("/backoffice/requests/{id}/missing")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("message", "Le plan cadastral suffit.".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let documents_link = link_in_mail(&app, &id, "missing_documents").await;
    assert_ne!(documents_link, filing_link);
    for link in [&filing_link, &documents_link] {
        let (status, page) = read_in(&app, link, "fr").await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"renew-link\""));
    }

    let (status, page) = renew(&app, &documents_link).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Nouveau lien envoyé</h1>"));
    assert!(
        page.contains("Un nouveau lien privé vers votre demande a été envoyé à m…t@example.be.")
    );
    assert!(page.contains("Le lien que vous venez d&#39;utiliser ne fonctionne plus"));

    // The new link goes by email to the applicant, in their language.
    let (recipient, subject): (String, String) = sqlx::query_as(
        "SELECT recipient, subject FROM outbox WHERE request_id = $1 AND kind = 'link_renewed'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(recipient, "marie.dupont@example.be");
    assert_eq!(
        subject,
        format!("Nouveau lien de suivi de votre demande {reference}")
    );
    let body = latest_mail(&app, &id, "link_renewed").await;
    assert!(body.contains("Les liens précédents de cette demande ne fonctionnent plus."));
    let new_link = link_in_mail(&app, &id, "link_renewed").await;
    assert!(new_link != filing_link && new_link != documents_link);

    // Every earlier link, the filing one included, is refused and says why; the new one works.
    for link in [&filing_link, &documents_link] {
        let (status, page) = read_in(&app, link, "fr").await;
        assert_eq!(status, 410);
        assert!(page.contains("<h1>Lien remplacé</h1>"));
        assert!(
            page.contains("Utilisez le lien du dernier e-mail reçu, ou demandez-en un nouveau.")
        );
        assert!(!page.contains(&reference));
        let (status, page) = read_in(&app, link, "en").await;
        assert_eq!(status, 410);
        assert!(page.contains("<h1>Link replaced</h1>"));
    }
    let (status, page) = read_in(&app, &new_link, "fr").await;
    assert_eq!(status, 200);
    assert!(page.contains(&reference));
    // The timeline tells the applicant a new link was asked for.
    assert!(
        page.contains(
            "Nouveau lien de suivi envoyé par e-mail (les précédents ne fonctionnent plus)"
        )
    );
    // An old link cannot act either.
    let response = app
        .client
        .post(format!("{filing_link}/link"))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 410);
    assert_eq!(mails_of_kind(&app, "link_renewed").await, 1);
}

#[tokio::test]
async fn the_lost_link_page_answers_the_same_for_any_address_and_mails_only_known_ones() {
    // No workers: the answer is given before anything about the address is looked up.
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let (french, _) = app.file_ok(&marie()).await;
    let (english, _) = app
        .file_ok(&with(
            &marie(),
            &[("email", "Marie.Dupont@Example.be"), ("language", "en")],
        ))
        .await;
    let (neighbour, _) = app
        .file_ok(&with(&marie(), &[("email", "voisin@example.be")]))
        .await;
    let ids = [
        app.request_id(&french).await,
        app.request_id(&english).await,
        app.request_id(&neighbour).await,
    ];
    let mut old_links = Vec::new();
    for id in &ids {
        old_links.push(link_in_mail(&app, id, "request_filed").await);
    }

    // The home page leads there.
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("href=\"/link/lost\""));
    let (status, form) = app.get_text("/link/lost").await;
    assert_eq!(status, 200);
    assert!(form.contains("Indiquez l&#39;adresse e-mail donnée lors de votre demande."));

    let known = "MARIE.DUPONT@example.be";
    let unknown = "personne@example.be";
    let (known_status, known_page) = ask_lost_link(&app, known).await;
    let (unknown_status, unknown_page) = ask_lost_link(&app, unknown).await;
    assert_eq!(known_status, 200);
    assert_eq!(unknown_status, 200);
    assert_eq!(
        known_page.replace(known, "ADDRESS"),
        unknown_page.replace(unknown, "ADDRESS"),
        "the same page whatever the address"
    );
    assert!(known_page.contains(&format!(
        "Si des demandes ont été introduites avec l&#39;adresse {known}, nous venons d&#39;y \
         envoyer un nouveau lien de suivi pour chacune."
    )));
    // Nothing was looked up nor sent while answering: both addresses wait alike.
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 2);
    assert_eq!(mails_of_kind(&app, "link_renewed").await, 0);

    // A malformed address is refused with why, and nothing is queued.
    let (status, page) = ask_lost_link(&app, "pas-une-adresse").await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"email-error\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 2);

    // The worker sends one new link per request of the known address, in its language;
    // nothing to the unknown one, nothing to the neighbour.
    assert_eq!(links::send_lost_links(&app.state).await.unwrap(), 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 0);
    let mails: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT request_id, recipient, subject FROM outbox WHERE kind = 'link_renewed' \
         ORDER BY subject",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        mails,
        vec![
            (
                ids[1].clone(),
                "Marie.Dupont@Example.be".to_owned(),
                format!("New link to follow your request {english}"),
            ),
            (
                ids[0].clone(),
                "marie.dupont@example.be".to_owned(),
                format!("Nouveau lien de suivi de votre demande {french}"),
            ),
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'personne@example.be'")
            .await,
        0
    );
    // Marie's earlier links are replaced by the new ones; the neighbour's still works.
    for (n, id) in ids[..2].iter().enumerate() {
        assert_eq!(read_in(&app, &old_links[n], "fr").await.0, 410);
        let new_link = link_in_mail(&app, id, "link_renewed").await;
        assert_eq!(read_in(&app, &new_link, "fr").await.0, 200);
    }
    assert_eq!(read_in(&app, &old_links[2], "fr").await.0, 200);
}

/// A request with the offer sent, and the applicant's private link.
async fn quoted(app: &TestApp) -> (String, String) {
    seed::demo_crews(&app.state).await.unwrap();
    let (_, id) = app.file_assessed(&marie()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
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
    let link = link_in_mail(app, &id, "offer").await;
    (id, link)
}

#[tokio::test]
async fn the_link_alone_does_not_accept_the_offer_the_code_emailed_to_the_applicant_does() {
    let app = spawn_app().await;
    let (id, link) = quoted(&app).await;
    let (_, page) = read_in(&app, &link, "fr").await;
    assert!(
        page.contains("Pour confirmer, nous vous enverrons un code à usage unique par e-mail.")
    );

    // Consent given through the link: a code is sent, nothing is accepted.
    let (status, confirm) = ask_acceptance_code(&app, &link, true).await;
    assert_eq!(status, 303);
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(confirm, format!("/track/{token}/offer/confirm?version=1"));
    assert_eq!(state_of(&app, &id).await, "quoted");
    assert_eq!(offer_status(&app, &id).await, "sent");
    let (status, page) = read_in(&app, &app.url(&confirm), "fr").await;
    assert_eq!(status, 200);
    assert!(page.contains(
        "Nous avons envoyé un code à 6 chiffres à m…t@example.be. Il est valable 15 minutes."
    ));

    // The code goes to the applicant's address, in their language, and is kept only hashed.
    let (recipient, subject): (String, String) = sqlx::query_as(
        "SELECT recipient, subject FROM outbox WHERE request_id = $1 AND kind = 'acceptance_code'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(recipient, "marie.dupont@example.be");
    assert!(subject.starts_with("Votre code pour accepter l'offre CMH-"));
    let code = acceptance_code(&app, &id).await;
    let body = latest_mail(&app, &id, "acceptance_code").await;
    assert!(body.contains(&format!(
        "saisissez ce code sur la page de confirmation : {code}. Il est valable 15 minutes"
    )));
    let stored: String = sqlx::query_scalar("SELECT code_hash FROM acceptance_codes")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&code));

    // No code, or a wrong one: refused with why, and nothing changes.
    let (status, page) = confirm_acceptance(&app, &confirm, "").await;
    assert_eq!(status, 422);
    assert!(page.contains("Saisissez le code à 6 chiffres reçu par e-mail."));
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (status, page) = confirm_acceptance(&app, &confirm, &wrong).await;
    assert_eq!(status, 422);
    assert!(page.contains(
        "Code incorrect : l&#39;offre n&#39;est pas acceptée. Il vous reste 4 essais avec ce code."
    ));
    assert_eq!(state_of(&app, &id).await, "quoted");
    assert_eq!(offer_status(&app, &id).await, "sent");

    // The right code accepts it, once.
    let (status, _) = confirm_acceptance(&app, &confirm, &code).await;
    assert_eq!(status, 303);
    assert_eq!(offer_status(&app, &id).await, "accepted");
    assert_eq!(state_of(&app, &id).await, "accepted");
    let (status, page) = confirm_acceptance(&app, &confirm, &code).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Cette version de l&#39;offre n&#39;est plus ouverte à l&#39;acceptation")
    );
}

#[tokio::test]
async fn an_expired_replaced_or_overtried_code_accepts_nothing() {
    let app = spawn_app().await;
    let (id, link) = quoted(&app).await;

    // Expired after 15 minutes.
    let (_, confirm) = ask_acceptance_code(&app, &link, true).await;
    let first = acceptance_code(&app, &id).await;
    app.advance(Duration::minutes(16));
    let (status, page) = confirm_acceptance(&app, &confirm, &first).await;
    assert_eq!(status, 422);
    assert!(page.contains(
        "Ce code a expiré : demandez-en un nouveau. L&#39;offre n&#39;est pas encore acceptée."
    ));
    assert_eq!(offer_status(&app, &id).await, "sent");

    // A new code (from the confirmation page) replaces the earlier one.
    let page = text_of(&app.client, app.url(&confirm)).await;
    assert!(page.contains("id=\"resend-code\""));
    let (status, _) = ask_acceptance_code(&app, &link, true).await;
    assert_eq!(status, 303);
    let second = acceptance_code(&app, &id).await;
    let (_, confirm) = ask_acceptance_code(&app, &link, true).await;
    let third = acceptance_code(&app, &id).await;
    if second != third {
        let (status, page) = confirm_acceptance(&app, &confirm, &second).await;
        assert_eq!(status, 422);
        assert!(page.contains("Code incorrect"), "{page}");
    }

    // Five wrong tries spend the code: even the right one is refused after them.
    let wrong = format!("{:06}", (third.parse::<u32>().unwrap() + 1) % 1_000_000);
    let tries_so_far = if second != third { 1 } else { 0 };
    for _ in tries_so_far..4 {
        let (status, _) = confirm_acceptance(&app, &confirm, &wrong).await;
        assert_eq!(status, 422);
    }
    let (status, page) = confirm_acceptance(&app, &confirm, &wrong).await;
    assert_eq!(status, 422);
    assert!(page.contains("ce code ne peut plus servir. Demandez-en un nouveau."));
    let (status, page) = confirm_acceptance(&app, &confirm, &third).await;
    assert_eq!(status, 422);
    assert!(page.contains("Ce code n&#39;est plus valable"));
    assert_eq!(offer_status(&app, &id).await, "sent");
    assert_eq!(state_of(&app, &id).await, "quoted");

    // A fresh code still works afterwards.
    let (_, confirm) = ask_acceptance_code(&app, &link, true).await;
    let fourth = acceptance_code(&app, &id).await;
    assert_eq!(confirm_acceptance(&app, &confirm, &fourth).await.0, 303);
    assert_eq!(offer_status(&app, &id).await, "accepted");
}
