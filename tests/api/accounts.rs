//! An operator administrator invites a colleague, who sets their own password.

use crate::helpers::{client, hidden, spawn_app, text_of};

#[tokio::test]
async fn an_invited_colleague_sets_a_password_once_and_signs_in() {
    let app = spawn_app().await;
    let staff = app.signed_in("elec@ores.demo").await;
    let response = staff.get(app.url("/operator/users")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403, "only administrators");

    let admin = app.signed_in("tarifs@ores.demo").await;
    let page = text_of(&admin, app.url("/operator/users")).await;
    assert!(page.contains("Equipe électricité ORES"), "its own users");
    assert!(
        !page.contains("Equipe raccordements SWDE"),
        "never another's"
    );
    let csrf = hidden(&page, "csrf_token");

    // Refused input names each field; a taken address says so; nothing is created.
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    for (fields, message) in [
        (
            [
                ("email", "pas-une-adresse"),
                ("name", ""),
                ("role", "operator_staff"),
            ],
            "Ce champ est obligatoire.",
        ),
        (
            [
                ("email", "elec@ores.demo"),
                ("name", "Doublon"),
                ("role", "operator_staff"),
            ],
            "déjà un compte",
        ),
    ] {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str()), ("language", "fr")];
        form.extend(fields);
        let response = admin
            .post(app.url("/operator/users"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422);
        assert!(response.text().await.unwrap().contains(message));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);

    let response = admin
        .post(app.url("/operator/users"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "Nadia.Peeters@ores.demo"),
            ("name", "Nadia Peeters"),
            ("role", "operator_staff"),
            ("language", "fr"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE recipient = 'Nadia.Peeters@ores.demo'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let start = body
        .find(&app.url("/welcome/"))
        .expect("link in the invitation");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();

    // Before choosing a password the account cannot sign in.
    let visitor = client();
    let login = text_of(&visitor, app.url("/login")).await;
    let response = visitor
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", hidden(&login, "csrf_token").as_str()),
            ("email", "nadia.peeters@ores.demo"),
            ("password", "!"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(response.status().as_u16(), 303);

    let welcome = text_of(&visitor, &link).await;
    assert!(welcome.contains("Bienvenue Nadia Peeters"));
    let token = hidden(&welcome, "csrf_token");
    let response = visitor
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", "court"),
            ("confirmation", "court"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("au moins 12 caractères")
    );
    let response = visitor
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", "pylône-Namur-2026"),
            ("confirmation", "pylône-Namur-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    // The link works once.
    assert_eq!(
        visitor.get(&link).send().await.unwrap().status().as_u16(),
        404
    );

    let login = text_of(&visitor, app.url("/login")).await;
    let response = visitor
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", hidden(&login, "csrf_token").as_str()),
            ("email", "nadia.peeters@ores.demo"),
            ("password", "pylône-Namur-2026"),
            ("next", "/operator"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let queue = text_of(&visitor, app.url("/operator")).await;
    assert!(queue.contains("Mes dossiers opérateur"));
}

/// Invites `email` as ORES electricity's administrator: the answer's status and location.
async fn invite(
    app: &crate::helpers::TestApp,
    admin: &reqwest::Client,
    email: &str,
) -> (u16, String) {
    let page = text_of(admin, app.url("/operator/users")).await;
    let response = admin
        .post(app.url("/operator/users"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("email", email),
            ("name", "Personne Invitée"),
            ("role", "operator_staff"),
            ("language", "fr"),
        ])
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

#[tokio::test]
async fn inviting_does_not_tell_whether_an_address_has_an_account_elsewhere() {
    let app = spawn_app().await;
    let admin = app.signed_in("tarifs@ores.demo").await;
    let users_before = app.count("SELECT COUNT(*) FROM users").await;

    // An address nobody uses, and one with an account at SWDE: the same answer.
    let unknown = invite(&app, &admin, "personne.nouvelle@example.be").await;
    let elsewhere = invite(&app, &admin, "eau@swde.demo").await;
    assert_eq!(unknown, (303, "/operator/users".to_owned()));
    assert_eq!(elsewhere, unknown);
    // Both listed as invited.
    let page = text_of(&admin, app.url("/operator/users")).await;
    for email in ["personne.nouvelle@example.be", "eau@swde.demo"] {
        let row = &page[page.find(email).expect(email)..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("invitation envoyée"), "{row}");
    }
    // Inviting either again: the same refusal.
    for email in ["personne.nouvelle@example.be", "eau@swde.demo"] {
        let page = text_of(&admin, app.url("/operator/users")).await;
        let response = admin
            .post(app.url("/operator/users"))
            .form(&[
                ("csrf_token", hidden(&page, "csrf_token").as_str()),
                ("email", email),
                ("name", "Personne Invitée"),
                ("role", "operator_staff"),
                ("language", "fr"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422, "{email}");
        assert!(response.text().await.unwrap().contains("déjà un compte"));
    }

    // Only the new address got an account; SWDE's stays SWDE's and can still sign in, and
    // its owner is told that nothing was opened.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        users_before + 1
    );
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url("/backoffice")).await;
    assert!(page.contains("Equipe raccordements SWDE"));
    let body: String =
        sqlx::query_scalar("SELECT body_text FROM outbox WHERE recipient = 'eau@swde.demo'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(body.contains("Cette adresse a déjà un compte pour une autre organisation"));
    assert!(
        !body.contains("/welcome/"),
        "no link that could open anything"
    );
}
