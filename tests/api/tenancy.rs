//! A tenant never reads another tenant's request, by page or by JSON.

use crate::helpers::{
    TestApp, hidden, json_of, marie, other_coordinator, spawn_app, text_of, with,
};

async fn status_of(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn another_coordinator_cannot_read_a_request_by_id() {
    let app = spawn_app().await;
    let (namur, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&namur).await;
    let resa = other_coordinator(&app).await;

    // Liège is RESA's: its request goes to RESA's queue, not ORES's.
    let (liege, _) = app.file_ok(&with(&marie(), &[("postcode", "4000")])).await;
    let liege_id = app.request_id(&liege).await;

    assert_eq!(
        status_of(&resa, app.url(&format!("/backoffice/requests/{id}"))).await,
        404
    );
    assert_eq!(
        status_of(&resa, app.url(&format!("/api/v1/requests/{id}"))).await,
        404
    );
    assert_eq!(
        status_of(&resa, app.url(&format!("/api/v1/requests/{liege_id}"))).await,
        200
    );
    let queue = text_of(&resa, app.url("/backoffice")).await;
    assert!(!queue.contains(&namur));
    assert!(queue.contains(&liege));
    let list: serde_json::Value = resa
        .get(app.url("/api/v1/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    let julien = app.signed_in("julien@ores.demo").await;
    assert_eq!(
        status_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await,
        200
    );
    assert_eq!(
        status_of(&julien, app.url(&format!("/api/v1/requests/{liege_id}"))).await,
        404
    );
    assert_eq!(
        status_of(
            &julien,
            app.url(&format!("/backoffice/requests/{liege_id}"))
        )
        .await,
        404
    );
    assert_eq!(
        status_of(&julien, app.url("/api/v1/requests/not-a-uuid")).await,
        404
    );
}

#[tokio::test]
async fn operators_and_communes_see_only_requests_that_involve_them() {
    let app = spawn_app().await;
    // Mons, without gas or VOO.
    let (mons, _) = app
        .file_ok(&with(
            &marie(),
            &[("postcode", "7000"), ("gas", ""), ("voo", "")],
        ))
        .await;
    let mons_id = app.request_id(&mons).await;
    let (namur, _) = app.file_ok(&marie()).await;
    let namur_id = app.request_id(&namur).await;

    let swde = app.signed_in("eau@swde.demo").await;
    assert_eq!(
        status_of(&swde, app.url(&format!("/api/v1/requests/{mons_id}"))).await,
        200
    );
    assert_eq!(
        status_of(&swde, app.url(&format!("/api/v1/requests/{namur_id}"))).await,
        200
    );

    let voo = app.signed_in("raccordement@voo.demo").await;
    assert_eq!(
        status_of(&voo, app.url(&format!("/api/v1/requests/{mons_id}"))).await,
        404
    );
    assert_eq!(
        status_of(&voo, app.url(&format!("/backoffice/requests/{mons_id}"))).await,
        404
    );
    assert_eq!(
        status_of(&voo, app.url(&format!("/api/v1/requests/{namur_id}"))).await,
        200
    );

    let commune_of_mons = app.signed_in("travaux@mons.demo").await;
    assert_eq!(
        status_of(
            &commune_of_mons,
            app.url(&format!("/api/v1/requests/{mons_id}"))
        )
        .await,
        200
    );
    assert_eq!(
        status_of(
            &commune_of_mons,
            app.url(&format!("/api/v1/requests/{namur_id}"))
        )
        .await,
        404
    );
    assert_eq!(
        status_of(
            &commune_of_mons,
            app.url(&format!("/backoffice/requests/{namur_id}"))
        )
        .await,
        404
    );
}

/// The notes in a request's JSON timeline as `client` reads them.
async fn timeline_details(app: &TestApp, client: &reqwest::Client, id: &str) -> Vec<String> {
    let body = json_of(client, app.url(&format!("/api/v1/requests/{id}")), 200).await;
    body["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|event| {
            format!(
                "{}|{}|{}",
                event["kind"].as_str().unwrap_or_default(),
                event["actor"].as_str().unwrap_or_default(),
                event["detail"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn an_operators_private_note_reaches_neither_other_operators_nor_the_commune() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&marie()).await;
    let water: String = sqlx::query_scalar(
        "SELECT a.id FROM assessments a JOIN organisations o ON o.id = a.organisation_id \
         WHERE a.request_id = $1 AND o.slug = 'swde'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = swde
        .post(app.url(&format!("/operator/assessments/{water}")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("version", "1".into()),
            ("action", "note".into()),
            ("text", "Compteur voisin fuyard, ne pas en parler".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let note = "operator_note|Equipe raccordements SWDE|Compteur voisin fuyard, ne pas en parler";

    // The operator who wrote it and the coordinator running the case read it.
    assert!(
        timeline_details(&app, &swde, &id)
            .await
            .contains(&note.to_owned())
    );
    let julien = app.signed_in("julien@ores.demo").await;
    assert!(
        timeline_details(&app, &julien, &id)
            .await
            .contains(&note.to_owned())
    );

    // Another operator on the same request, and the commune, do not: not the note, nor
    // any other operator's answer; each operator sees its own.
    for (email, own) in [
        ("elec@ores.demo", Some("operator_assessed||electricity")),
        (
            "raccordement@proximus.demo",
            Some("operator_assessed||proximus"),
        ),
        ("travaux@namur.demo", None),
    ] {
        let client = app.signed_in(email).await;
        let timeline = timeline_details(&app, &client, &id).await;
        let answers: Vec<&String> = timeline
            .iter()
            .filter(|e| e.starts_with("operator_"))
            .collect();
        assert_eq!(
            answers,
            own.map(str::to_owned).iter().collect::<Vec<_>>(),
            "{email} reads {timeline:?}"
        );
        let page = text_of(&client, app.url(&format!("/backoffice/requests/{id}"))).await;
        assert!(!page.contains("fuyard"), "{email}'s page shows the note");
    }
}

/// Text that is no id names nothing: the page says "not found" in the reader's language
/// and the API answers its `not_found`, as for an id of nobody's; never a 400 or 500.
#[tokio::test]
async fn text_that_is_no_id_is_not_found() {
    let app = spawn_app().await;
    let (namur, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&namur).await;
    let julien = app.signed_in("julien@ores.demo").await;
    for path in [
        "/backoffice/requests/CMH-2026-000001".to_owned(),
        "/backoffice/requests/0193a5b2-7c1d".to_owned(),
        format!("/backoffice/requests/{id}/documents/plan.pdf"),
        "/operator/assessments/CMH-2026-000001".to_owned(),
    ] {
        let response = julien.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert!(
            response.text().await.unwrap().contains("Page introuvable"),
            "{path}"
        );
    }
    let response = julien
        .get(app.url("/api/v1/requests/CMH-2026-000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert_eq!(body["title"], "Introuvable");
}
