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
    // The new address's account can be made administrator; the invitation held for SWDE's
    // address is no account here: nothing to change on it.
    let account: String =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'personne.nouvelle@example.be'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(user_id_on(&page, "personne.nouvelle@example.be"), account);
    assert!(
        !row_of(&page, "eau@swde.demo").contains("name=\"user\""),
        "{page}"
    );
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

/// The id of the account of `email` on a users page, from its administrator form.
fn user_id_on(page: &str, email: &str) -> String {
    let row = &page[page.find(&format!("<td>{email}</td>")).expect(email)..];
    let row = &row[..row.find("</tr>").unwrap()];
    hidden(row, "user")
}

/// The row of `email` on a users page.
fn row_of(page: &str, email: &str) -> String {
    let row = &page[page.find(&format!("<td>{email}</td>")).expect(email)..];
    row[..row.find("</tr>").unwrap()].to_owned()
}

/// Posts the administrator form of the users page as `admin`: the answer's status and body.
async fn set_administrator(
    app: &crate::helpers::TestApp,
    admin: &reqwest::Client,
    user: &str,
    administrator: &str,
) -> (u16, String) {
    // The sign-in's own page carries the CSRF token, whether or not the users page opens.
    let page = text_of(admin, app.url("/backoffice")).await;
    let response = admin
        .post(app.url("/organisation/users/administrator"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("user", user),
            ("administrator", administrator),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    (status, location.unwrap_or(body))
}

async fn status_of(app: &crate::helpers::TestApp, client: &reqwest::Client, path: &str) -> u16 {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_coordinators_administrator_makes_a_colleague_administrator_and_the_last_one_stays() {
    let app = spawn_app().await;
    let julien = app.signed_in("julien@ores.demo").await;
    let sophie = app.signed_in("sophie@ores.demo").await;

    // Sophie administers nothing yet: the keys and users pages are refused, no menu link.
    assert_eq!(
        status_of(&app, &sophie, "/organisation/api-keys").await,
        403
    );
    assert_eq!(status_of(&app, &sophie, "/organisation/users").await, 403);
    let home = text_of(&sophie, app.url("/backoffice")).await;
    assert!(!home.contains("href=\"/organisation/users\""));

    // Julien's page: the coordinator's users, who administers, last sign-in; nobody else's.
    let page = text_of(&julien, app.url("/organisation/users")).await;
    assert!(
        page.contains("href=\"/organisation/users\""),
        "the menu links it"
    );
    assert!(!page.contains("travaux@mons.demo") && !page.contains("elec@ores.demo"));
    let julien_row = row_of(&page, "julien@ores.demo");
    assert!(julien_row.contains("<td>oui</td>"), "{julien_row}");
    assert!(
        julien_row.contains("10:00"),
        "signed in at 10:00 Brussels: {julien_row}"
    );
    let sophie_row = row_of(&page, "sophie@ores.demo");
    assert!(sophie_row.contains("<td>non</td>"), "{sophie_row}");
    assert!(sophie_row.contains("Nommer administrateur"), "{sophie_row}");
    let sophie_id = user_id_on(&page, "sophie@ores.demo");
    let julien_id = user_id_on(&page, "julien@ores.demo");

    // A non-administrator changes nobody.
    let (status, _) = set_administrator(&app, &sophie, &sophie_id, "1").await;
    assert_eq!(status, 403);
    assert_eq!(
        status_of(&app, &sophie, "/organisation/api-keys").await,
        403
    );

    // Julien makes Sophie administrator: she now opens the keys page; the change is kept.
    let (status, location) = set_administrator(&app, &julien, &sophie_id, "1").await;
    assert_eq!((status, location.as_str()), (303, "/organisation/users"));
    assert_eq!(
        status_of(&app, &sophie, "/organisation/api-keys").await,
        200
    );
    let page = text_of(&sophie, app.url("/organisation/users")).await;
    assert!(row_of(&page, "sophie@ores.demo").contains("<td>oui</td>"));
    assert!(
        page.contains("Julien Lambert a nommé Sophie Renard administrateur"),
        "{page}"
    );

    // Sophie removes Julien; then she is the last one, and stays one, saying why.
    let (status, _) = set_administrator(&app, &sophie, &julien_id, "0").await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app, &julien, "/organisation/users").await, 403);
    let (status, page) = set_administrator(&app, &sophie, &sophie_id, "0").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("dernier administrateur de votre organisation"),
        "{page}"
    );
    assert!(page.contains("Nommez d"), "says what to do: {page}");
    assert_eq!(
        status_of(&app, &sophie, "/organisation/api-keys").await,
        200
    );
    let page = text_of(&sophie, app.url("/organisation/users")).await;
    assert!(page.contains("Sophie Renard a retiré l&#39;administration à Julien Lambert"));
    // A choice that is neither: refused, nothing changed.
    let (status, _) = set_administrator(&app, &sophie, &julien_id, "peut-être").await;
    assert_eq!(status, 422);
    assert_eq!(
        status_of(&app, &julien, "/organisation/api-keys").await,
        403
    );
}

#[tokio::test]
async fn a_communes_administrator_cannot_touch_another_communes_users_nor_an_operator_its_role() {
    let app = spawn_app().await;
    let mons = app.signed_in("travaux@mons.demo").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let page = text_of(&mons, app.url("/organisation/users")).await;
    let mons_id = user_id_on(&page, "travaux@mons.demo");
    let page = text_of(&namur, app.url("/organisation/users")).await;
    assert!(!page.contains("travaux@mons.demo"));
    let namur_id = user_id_on(&page, "travaux@namur.demo");

    // Mons' account does not exist for Namur, whichever the change.
    for choice in ["0", "1"] {
        let (status, _) = set_administrator(&app, &namur, &mons_id, choice).await;
        assert_eq!(status, 404);
    }
    assert_eq!(status_of(&app, &mons, "/organisation/api-keys").await, 200);
    // Namur's sole administrator stays one.
    let (status, page) = set_administrator(&app, &namur, &namur_id, "0").await;
    assert_eq!(status, 422);
    assert!(page.contains("dernier administrateur"), "{page}");
    assert_eq!(status_of(&app, &namur, "/organisation/api-keys").await, 200);
    // An operator's administrator is one by role: no button, and removing is refused.
    let tarifs = app.signed_in("tarifs@ores.demo").await;
    let page = text_of(&tarifs, app.url("/organisation/users")).await;
    let row = row_of(&page, "tarifs@ores.demo");
    assert!(row.contains("oui (administrateur opérateur)") && !row.contains("<form"));
    // ORES electricity's staff member is made administrator by the flag; its administrator by
    // role cannot be removed, and the page says why.
    let elec_id = user_id_on(&page, "elec@ores.demo");
    let (status, _) = set_administrator(&app, &tarifs, &elec_id, "1").await;
    assert_eq!(status, 303);
    let (status, page) =
        set_administrator(&app, &tarifs, &row_id(&page, "tarifs@ores.demo"), "0").await;
    assert_eq!(status, 422);
    assert!(page.contains("administrateur par son rôle"), "{page}");
    let page = text_of(&tarifs, app.url("/operator/users")).await;
    assert!(row_of(&page, "elec@ores.demo").contains("<td>oui</td>"));
}

/// Text that is no account's id in the administrator form names no account of the
/// organisation: not found (404) as another organisation's account is, never a 500; nobody
/// changes.
#[tokio::test]
async fn an_administrator_form_naming_no_account_is_not_found() {
    let app = spawn_app().await;
    let julien = app.signed_in("julien@ores.demo").await;
    let sophie = app.signed_in("sophie@ores.demo").await;
    let changes = "SELECT COUNT(*) FROM administrator_changes";
    let before = app.count(changes).await;
    for user in [
        "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
        "sophie@ores.demo",
        "0193a5b2-7c1d",
        "",
    ] {
        for choice in ["0", "1"] {
            let (status, _) = set_administrator(&app, &julien, user, choice).await;
            assert_eq!(status, 404, "{user:?} {choice}");
        }
    }
    assert_eq!(
        status_of(&app, &sophie, "/organisation/api-keys").await,
        403
    );
    assert_eq!(
        status_of(&app, &julien, "/organisation/api-keys").await,
        200
    );
    assert_eq!(app.count(changes).await, before);
}

/// The id of the account of `email` on a users page, from its row's id.
fn row_id(page: &str, email: &str) -> String {
    let at = page.find(&format!("<td>{email}</td>")).expect(email);
    let start = page[..at].rfind("<tr id=\"user-").unwrap() + "<tr id=\"user-".len();
    page[start..].split('"').next().unwrap().to_owned()
}
