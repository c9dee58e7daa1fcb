//! Rule C-7: coverage is data an operator administrator changes; new requests follow it.

use crate::helpers::{hidden, marie, spawn_app, text_of};

#[tokio::test]
async fn an_operator_administrator_changes_the_communes_served() {
    let app = spawn_app().await;
    let staff = app.signed_in("elec@ores.demo").await;
    let response = staff
        .get(app.url("/operator/coverage"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        403,
        "staff do not change coverage"
    );

    let admin = app.signed_in("tarifs@ores.demo").await;
    let page = text_of(&admin, app.url("/operator/coverage")).await;
    assert!(page.contains("Namur"));
    let csrf = hidden(&page, "csrf_token");
    let served = || async {
        app.count(
            "SELECT COUNT(*) FROM coverage c JOIN organisations o ON o.id = c.organisation_id \
             WHERE o.slug = 'ores-electricity'",
        )
        .await
    };
    let before = served().await;

    let response = admin
        .post(app.url("/operator/coverage"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "remove"),
            ("postcodes", "5000, 99x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("99x"));
    assert_eq!(served().await, before, "nothing changed");

    let response = admin
        .post(app.url("/operator/coverage"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "remove"),
            ("postcodes", "5000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(served().await, before - 1);

    // A request filed in Namur now has no electricity operator and no electricity assessment.
    let (reference, _) = app.file_ok(&marie()).await;
    let id = app.request_id(&reference).await;
    let operator: Option<String> = sqlx::query_scalar(
        "SELECT operator_id FROM request_services WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(operator, None);

    let response = admin
        .post(app.url("/operator/coverage"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "add"),
            ("postcodes", "5000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(served().await, before);
}
