//! Issue 21: an operator's planning system adds, changes and retires its crews through the API
//! with a read-write key, through the crews page's services: the same checks, the same
//! refusals (a booked joint day stays honoured, C-4), and what it does shows on the page.

use connect_my_home::{
    db::{organisations, users},
    services::auth::hash_password,
};
use serde_json::{Value, json};

use crate::{
    api_keys::problem,
    api_writes::{create_key, get, post_json},
    helpers::{PASSWORD, Reserved, TestApp, app_with_crews, hidden, marie, reserved, text_of},
};

/// VOO has no administrator in the demo: one, to create VOO's key.
async fn voo_admin(app: &TestApp) -> reqwest::Client {
    let voo = organisations::by_slug(&app.state.db, "voo").await.unwrap();
    users::ensure(
        &app.state.db,
        &users::NewUser {
            organisation_id: voo.id,
            email: "admin@voo.test",
            display_name: "Administration VOO",
            role: connect_my_home::domain::tenancy::Role::OperatorAdmin,
            password_hash: &hash_password(PASSWORD),
            language: "fr",
        },
        app.now(),
    )
    .await
    .unwrap();
    app.signed_in("admin@voo.test").await
}

async fn crews_of(app: &TestApp, key: &str) -> Vec<Value> {
    let response = get(app, key, "/api/v1/crews").await;
    assert_eq!(response.status().as_u16(), 200);
    let crews: Value = response.json().await.unwrap();
    crews.as_array().unwrap().clone()
}

/// The crew called `name` on the crews page's table, as its row reads, if listed.
fn page_row(html: &str, name: &str) -> Option<String> {
    html.split("<tr>")
        .find(|row| row.contains(&format!("<td>{name}")))
        .map(|row| row.split("<details>").next().unwrap_or(row).to_owned())
}

#[tokio::test]
async fn an_operators_system_adds_changes_and_retires_its_crews_as_the_crews_page_does() {
    let app = app_with_crews().await;
    let Reserved { id, reference, .. } = reserved(&app, &marie()).await;
    // The crew keeping Marie's joint day (read only: the reservation was made by the officer).
    let booked: String = sqlx::query_scalar(
        "SELECT crew_id FROM reservations WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let writer = create_key(&app, &ores_admin, "Planification", "read_write").await;
    let reader = create_key(&app, &ores_admin, "Tableau de bord", "read").await;
    let elec = app.signed_in("elec@ores.demo").await;
    let before = crews_of(&app, &reader).await.len();

    let body = json!({
        "name": "Équipe Condroz",
        "daily_capacity": 3,
        "civil_works": true,
        "communes": ["92094", "53053"],
    });
    // A read key writes nothing; neither does a signed-in session.
    let (status, refused) =
        problem(post_json(&app, &reader, "/api/v1/crews", None, &body).await).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("read_only"))
    );
    let response = elec
        .post(app.url("/api/v1/crews"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    // Bad input: each field named, in the key owner's language (French), nothing saved.
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            "/api/v1/crews",
            None,
            &json!({"name": " ", "daily_capacity": 21, "communes": ["92094", "99999"]}),
        )
        .await,
    )
    .await;
    assert_eq!((status, refused["error"].as_str()), (422, Some("invalid")));
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.starts_with("name: "), "{detail}");
    assert!(
        detail.contains("daily_capacity: Le nombre de chantiers par jour va de 1 à 20."),
        "{detail}"
    );
    assert!(
        detail.contains("communes[1]: 99999 n'est le code INS d'aucune commune belge."),
        "{detail}"
    );
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            "/api/v1/crews",
            None,
            &json!({"name": "Équipe vide", "daily_capacity": 2, "communes": []}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        refused["detail"],
        "communes: Indiquez au moins une commune desservie (son code INS)."
    );
    let (status, refused) =
        problem(post_json(&app, &writer, "/api/v1/crews", None, &json!({"name": 7})).await).await;
    assert_eq!(status, 422);
    assert!(refused["detail"].as_str().unwrap().starts_with("body: "));
    assert_eq!(crews_of(&app, &reader).await.len(), before);

    // Added once under one Idempotency-Key, whatever the retries.
    let response = post_json(&app, &writer, "/api/v1/crews", Some("crew-1"), &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.unwrap();
    let crew = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({
            "id": crew,
            "name": "Équipe Condroz",
            "service": "electricity",
            "daily_capacity": 3,
            "civil_works": true,
            "communes": ["53053", "92094"],
            "absences": [],
        })
    );
    let again = post_json(&app, &writer, "/api/v1/crews", Some("crew-1"), &body).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), created);
    let listed = crews_of(&app, &reader).await;
    assert_eq!(listed.len(), before + 1);
    assert!(listed.contains(&created));
    // Sent again without the key: the name is taken, nothing is added.
    let (status, refused) =
        problem(post_json(&app, &writer, "/api/v1/crews", None, &body).await).await;
    assert_eq!((status, refused["error"].as_str()), (422, Some("refused")));
    assert_eq!(
        refused["detail"],
        "name: Votre organisation a déjà une équipe nommée Équipe Condroz (en service ou retirée)."
    );
    assert_eq!(crews_of(&app, &reader).await.len(), before + 1);

    // The crews page of ORES' electricity staff lists it with its communes.
    let page = text_of(&elec, app.url("/operator/crews")).await;
    let row = page_row(&page, "Équipe Condroz").expect("the new crew is listed");
    assert!(row.contains("<td>Mons, Namur</td>"), "{row}");
    assert!(row.contains("<td class=\"num\">3</td>"), "{row}");

    // A change: only the capacity given changes.
    let response = post_json(
        &app,
        &writer,
        &format!("/api/v1/crews/{crew}"),
        Some("crew-1-capacity"),
        &json!({"daily_capacity": 5}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["daily_capacity"], 5);
    assert_eq!(changed["name"], "Équipe Condroz");
    assert_eq!(changed["communes"], json!(["53053", "92094"]));
    let page = text_of(&elec, app.url("/operator/crews")).await;
    let row = page_row(&page, "Équipe Condroz").unwrap();
    assert!(row.contains("<td class=\"num\">5</td>"), "{row}");
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            &format!("/api/v1/crews/{crew}"),
            None,
            &json!({"daily_capacity": 0}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        refused["detail"],
        "daily_capacity: Le nombre de chantiers par jour va de 1 à 20."
    );

    // The crew keeping Marie's day in Namur can neither drop Namur nor be retired (C-4), as on
    // the page.
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            &format!("/api/v1/crews/{booked}"),
            None,
            &json!({"communes": ["53053"]}),
        )
        .await,
    )
    .await;
    assert_eq!((status, refused["rule"].as_str()), (422, Some("C-4")));
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("La demande {reference} est réservée le ")),
        "{refused}"
    );
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            &format!("/api/v1/crews/{booked}/retire"),
            Some("retire-booked"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str(), refused["rule"].as_str()),
        (422, Some("refused"), Some("C-4"))
    );
    let detail = refused["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(&reference), "{detail}");
    let page = text_of(&elec, app.url("/operator/crews")).await;
    let on_page = elec
        .post(app.url(&format!("/operator/crews/{booked}/retire")))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(on_page.status().as_u16(), 422);
    let html = on_page.text().await.unwrap();
    assert!(
        html.contains(&detail.replace('\'', "&#39;")) || html.contains(&detail),
        "the page refuses it the same way: {detail}"
    );
    assert!(
        crews_of(&app, &reader)
            .await
            .iter()
            .any(|c| c["id"] == booked.as_str())
    );

    // Another operator's key: ORES' crews do not exist for it.
    let voo = voo_admin(&app).await;
    let voo_key = create_key(&app, &voo, "Planning VOO", "read_write").await;
    for path in [
        format!("/api/v1/crews/{crew}"),
        format!("/api/v1/crews/{crew}/retire"),
    ] {
        let (status, refused) =
            problem(post_json(&app, &voo_key, &path, None, &json!({"daily_capacity": 1})).await)
                .await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    assert!(
        crews_of(&app, &voo_key)
            .await
            .iter()
            .all(|c| c["id"] != crew.as_str())
    );

    // Retired: gone from the API's list and from the page; retiring it again finds nothing.
    let response = post_json(
        &app,
        &writer,
        &format!("/api/v1/crews/{crew}/retire"),
        Some("retire-1"),
        &json!({}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let retired: Value = response.json().await.unwrap();
    assert_eq!(retired["id"], crew.as_str());
    assert_eq!(retired["daily_capacity"], 5);
    let listed = crews_of(&app, &reader).await;
    assert_eq!(listed.len(), before);
    assert!(listed.iter().all(|c| c["id"] != crew.as_str()));
    let page = text_of(&elec, app.url("/operator/crews")).await;
    assert!(page_row(&page, "Équipe Condroz").is_none());
    let (status, _) = problem(
        post_json(
            &app,
            &writer,
            &format!("/api/v1/crews/{crew}/retire"),
            None,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    // Its name stays taken: another crew cannot take it.
    let hainaut = listed
        .iter()
        .find(|c| c["name"] == "Équipe Hainaut")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .unwrap();
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            &format!("/api/v1/crews/{hainaut}"),
            None,
            &json!({"name": "Équipe Condroz"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, refused["error"].as_str()), (422, Some("refused")));
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("name: Votre organisation a déjà une équipe nommée Équipe Condroz")
    );
    // The crews page refuses the same rename with the same words (not as a change made by
    // somebody else at the same moment).
    let page = text_of(&elec, app.url("/operator/crews")).await;
    let on_page = elec
        .post(app.url(&format!("/operator/crews/{hainaut}/edit")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("name", "Équipe Condroz"),
            ("capacity", "2"),
            ("postcodes", "7000 6000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(on_page.status().as_u16(), 422);
    let html = on_page.text().await.unwrap();
    assert!(
        html.contains("Votre organisation a déjà une équipe nommée Équipe Condroz"),
        "{html}"
    );
    // Nor can the page add a new crew by that name: refused, not silently ignored.
    let page = text_of(&elec, app.url("/operator/crews")).await;
    let on_page = elec
        .post(app.url("/operator/crews/new"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
            ("name", "Équipe Condroz"),
            ("capacity", "2"),
            ("postcodes", "5000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(on_page.status().as_u16(), 422);
    assert!(
        on_page
            .text()
            .await
            .unwrap()
            .contains("Votre organisation a déjà une équipe nommée Équipe Condroz")
    );
    assert!(
        crews_of(&app, &reader)
            .await
            .iter()
            .any(|c| c["name"] == "Équipe Hainaut")
    );
}

/// Text that is no crew's id names no crew: the crews page says "not found" and the API
/// answers its `not_found`, as for a crew of nobody's; never a 500. In an absences body it is
/// refused like another operator's crew.
#[tokio::test]
async fn text_that_is_no_crew_id_is_not_found() {
    let app = app_with_crews().await;
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let writer = create_key(&app, &ores_admin, "Planification", "read_write").await;
    let elec = app.signed_in("elec@ores.demo").await;
    let before = crews_of(&app, &writer).await;

    for path in [
        "/api/v1/crews/CMH-2026-000001",
        "/api/v1/crews/0193a5b2-7c1d",
        "/api/v1/crews/Équipe%20Namur/retire",
    ] {
        let (status, refused) =
            problem(post_json(&app, &writer, path, None, &json!({"daily_capacity": 1})).await)
                .await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (status, refused) = problem(
        post_json(
            &app,
            &writer,
            "/api/v1/crews/absences",
            None,
            &json!({"absences": [{"crew": "Équipe Namur", "day": "2027-03-01"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, refused["detail"].as_str()),
        (422, Some("absences[0].crew: none of the operator's crews"))
    );

    let page = text_of(&elec, app.url("/operator/crews")).await;
    let csrf = hidden(&page, "csrf_token");
    for (path, form) in [
        (
            "/operator/crews/CMH-2026-000001/edit",
            vec![
                ("name", "Équipe Namur"),
                ("capacity", "2"),
                ("postcodes", "5000"),
            ],
        ),
        ("/operator/crews/0193a5b2-7c1d/retire", vec![]),
        (
            "/operator/crews/absence",
            vec![("crew", "Équipe Namur"), ("day", "2027-03-01")],
        ),
    ] {
        let response = elec
            .post(app.url(path))
            .form(&[vec![("csrf_token", csrf.as_str())], form].concat())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert!(
            response.text().await.unwrap().contains("Page introuvable"),
            "{path}"
        );
    }
    assert_eq!(crews_of(&app, &writer).await, before);
    assert_eq!(app.count("SELECT COUNT(*) FROM crew_absences").await, 0);
}
