//! A tenant never reads another tenant's request, by page or by JSON.

use crate::helpers::{marie, other_coordinator, spawn_app, text_of, with};

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
