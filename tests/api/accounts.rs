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
