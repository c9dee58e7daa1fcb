//! Issue 21, an operator's own system does what its staff do in the portal: SWDE's survey and
//! ORES' servicing study recorded through the request page's services, and the joint days its
//! crews are booked on.

use connect_my_home::{
    db::{organisations, users},
    services::auth::hash_password,
};
use serde_json::{Value, json};

use crate::{
    api_keys::problem,
    api_writes::{create_key, events_of, get, post_json},
    helpers::{
        PASSWORD, Reserved, TestApp, app_with_crews, marie, reserved, spawn_app, text_of, with,
    },
    servicing::tournai_lots,
    water::{post_survey, water_request, water_request_with},
    webhooks::swde_admin,
};

/// An administrator of the organisation `slug`, signed in, to create its keys.
async fn admin_of(app: &TestApp, slug: &str, email: &str) -> reqwest::Client {
    let organisation = organisations::by_slug(&app.state.db, slug).await.unwrap();
    users::ensure(
        &app.state.db,
        &users::NewUser {
            organisation_id: organisation.id,
            email,
            display_name: "Administration",
            role: connect_my_home::domain::tenancy::Role::OperatorAdmin,
            password_hash: &hash_password(PASSWORD),
            language: "fr",
        },
        app.now(),
    )
    .await
    .unwrap();
    app.signed_in(email).await
}

async fn versions_of(app: &TestApp, assessment_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM assessment_versions WHERE assessment_id = $1")
        .bind(assessment_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

fn lines_of(part: &Value) -> Vec<(String, String, String)> {
    part["answer"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["code"].as_str().unwrap().to_owned(),
                l["quantity"].as_str().unwrap().to_owned(),
                l["amount_excl_vat"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn swdes_system_records_its_survey_once_on_the_version_it_read_as_the_page_does() {
    let app = spawn_app().await;
    let s = water_request(&app).await;
    let typed = water_request_with(&app, &[("house_number", "16")]).await;
    let swde = swde_admin(&app).await;
    let key = create_key(&app, &swde, "Métrés SWDE", "read_write").await;
    let reader = create_key(&app, &swde, "Tableau de bord", "read").await;
    let proximus = admin_of(&app, "proximus", "admin@proximus.test").await;
    let proximus_key = create_key(&app, &proximus, "Raccordements", "read_write").await;
    let part_url = format!("/api/v1/assessments/{}", s.assessment_id);
    let url = format!("{part_url}/survey");
    let before: Value = get(&app, &key, &part_url).await.json().await.unwrap();
    let survey = json!({
        "version": s.version,
        "distance_to_main_m": 80,
        "inside_parcel_m": "1,5",
        "text": "Métré du 2 décembre",
    });

    // Another operator's key: no such part; a read key does not write.
    let (status, _) =
        problem(post_json(&app, &proximus_key, &url, Some("p-1"), &survey).await).await;
    assert_eq!(status, 404);
    let (status, body) = problem(post_json(&app, &reader, &url, None, &survey).await).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("read_only")));
    // A bad figure and no reason: each field named, in the key owner's language.
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &url,
            None,
            &json!({"version": s.version, "distance_to_main_m": "soixante"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid")));
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("distance_to_main_m: Distance à la conduite (m) Indiquez une longueur"),
        "{detail}"
    );
    assert!(detail.contains("text: Motif"), "{detail}");
    // A holder's row is named by its place in `holders`; the page's three rows at most.
    let holder =
        json!({"name": "Famille Dubois", "parcel": "Section A 12", "cost": 0, "months": 14});
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &url,
            None,
            &json!({"version": s.version, "distance_to_main_m": 62, "holders": [holder], "text": "Métré"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["detail"].as_str().unwrap().starts_with("holders[0]: "),
        "{body}"
    );
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &url,
            None,
            &json!({"version": s.version, "distance_to_main_m": 62, "holders": [holder, holder, holder, holder], "text": "Métré"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (422, Some("holders: 3 sections at most"))
    );
    // B-5.1: 3 m inside the parcel is refused with the rule, nothing saved.
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &url,
            None,
            &json!({"version": s.version, "distance_to_main_m": 12, "inside_parcel_m": 3, "text": "Métré"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["rule"].as_str()), (422, Some("B-5.1")));
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("inside_parcel_m: Non réalisable — Le tracé dans la parcelle mesure 3 m"),
        "{body}"
    );
    // A study is ORES electricity's: a water part takes none (V-2.1).
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &format!("{part_url}/study"),
            None,
            &json!({"version": s.version, "points_outside": 10, "text": "Étude"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["rule"].as_str()), (422, Some("V-2.1")));
    assert_eq!(
        body["detail"],
        "Cette réponse ne chiffre pas de viabilisation."
    );
    // A stale version: 409, nothing changed.
    let mut stale = survey.clone();
    stale["version"] = json!(s.version + 1);
    let (status, body) = problem(post_json(&app, &key, &url, Some("stale"), &stale).await).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("stale")));
    let now: Value = get(&app, &key, &part_url).await.json().await.unwrap();
    assert_eq!(now, before);
    assert_eq!(versions_of(&app, &s.assessment_id).await, 1);

    // Recorded once under its Idempotency-Key, the history naming the key.
    let first = post_json(&app, &key, &url, Some("metre-4711"), &survey).await;
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let first: Value = first.json().await.unwrap();
    let again = post_json(&app, &key, &url, Some("metre-4711"), &survey).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(versions_of(&app, &s.assessment_id).await, 2);
    assert_eq!(
        events_of(&app, &s.id, "water_survey").await,
        [("api_key".to_owned(), "Métrés SWDE".to_owned())]
    );
    assert_eq!(first["version"], 2);
    assert_eq!(first["answer"]["feasibility"], "feasible_with_extension");
    let survey_met = first["answer"]["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "survey" && p["met"] == true);
    assert!(survey_met, "{first}");
    // B-4.2, B-11: 80 m to the main, the extension and its subsidy priced with the
    // connection (B-5.2: 25 % markup on parts and labour).
    let lines = lines_of(&first);
    let expected = [
        ("B-REGISTRATION", "1", "50.00"),
        ("B-PARTS", "1", "480.00"),
        ("B-LABOUR", "1", "440.00"),
        ("B-MARKUP", "920.00", "230.00"),
        ("B-EXTENSION", "80", "16800.00"),
        ("B-EXTENSION-SUBSIDY", "80", "-8000.00"),
    ]
    .map(|(code, quantity, amount)| (code.to_owned(), quantity.to_owned(), amount.to_owned()));
    assert_eq!(lines, expected);

    // The same survey typed in the page on the neighbour's request: the same answer.
    let (status, _) = post_survey(
        &app,
        &typed,
        &[
            ("distance_to_main_m", "80"),
            ("inside_parcel_m", "1,5"),
            ("text", "Métré du 2 décembre"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let by_page: Value = get(
        &app,
        &key,
        &format!("/api/v1/assessments/{}", typed.assessment_id),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(lines_of(&by_page), lines);
    assert_eq!(
        by_page["answer"]["feasibility"],
        first["answer"]["feasibility"]
    );
    // The case officer's request page shows the part as if typed there: the same lines and
    // total as the survey typed in the page.
    let julien = app.signed_in("julien@ores.demo").await;
    let quote_of = |page: String| {
        let start = page
            .find("<table class=\"quote\">")
            .expect("the part's lines");
        let end = page[start..].find("</table>").unwrap() + start;
        page[start..end].replace(['\u{202f}', '\u{a0}'], " ")
    };
    let by_key = quote_of(text_of(&julien, &s.page_url).await);
    assert_eq!(by_key, quote_of(text_of(&julien, &typed.page_url).await));
    assert!(
        by_key.contains("<td class=\"num\">80 m</td><td class=\"num\">210,00 €</td><td class=\"num\">16 800,00 €</td>"),
        "{by_key}"
    );
    assert!(
        by_key.contains("Total HTVA de cette partie</th><td class=\"num\">10 000,00 €</td>"),
        "{by_key}"
    );
}

#[tokio::test]
async fn ores_system_records_its_servicing_study_as_the_page_does() {
    let app = spawn_app().await;
    let (_, id) = app.file_assessed(&tournai_lots()).await;
    let (assessment_id, version): (String, i64) = sqlx::query_as(
        "SELECT id, version FROM assessments WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let ores_admin = app.signed_in("tarifs@ores.demo").await;
    let key = create_key(&app, &ores_admin, "ERP viabilisation", "read_write").await;
    let part_url = format!("/api/v1/assessments/{assessment_id}");
    let url = format!("{part_url}/study");

    // A bad figure, an exclusion that is none, no reason: each named, nothing saved.
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &url,
            None,
            &json!({"version": version, "points_outside": "beaucoup", "exclusions": ["roof"]}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid")));
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "points_outside: Points de fourniture existants hors du terrain (PFext) Indiquez un nombre."
        ),
        "{detail}"
    );
    assert!(detail.contains(" exclusions: "), "{detail}");
    assert!(detail.contains(" text: Motif"), "{detail}");
    // Only the water part takes a survey (B-5.1).
    let (status, body) = problem(
        post_json(
            &app,
            &key,
            &format!("{part_url}/survey"),
            None,
            &json!({"version": version, "distance_to_main_m": 10, "text": "Métré"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["rule"].as_str()), (422, Some("B-5.1")));
    assert_eq!(versions_of(&app, &assessment_id).await, 1);

    // V-9.2: 20 existing supply points outside the land share the two cabins, whose finishes
    // are not standard: the version given as If-Match.
    let response = reqwest::Client::new()
        .post(app.url(&url))
        .bearer_auth(&key)
        .header("if-match", format!("\"{version}\""))
        .header("idempotency-key", "etude-tournai")
        .json(&json!({
            "points_outside": 20,
            "exclusions": ["non_standard_cabin"],
            "text": "Réseau existant rue de la Citadelle",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let part: Value = response.json().await.unwrap();
    assert_eq!(part["version"], version + 1);
    let answer = &part["answer"];
    let lease = answer["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "V-LEASE")
        .unwrap();
    assert_eq!(lease["quantity"], "2");
    assert_eq!(lease["args"]["pf_ext"], "20");
    assert_eq!(lease["args"]["pf_int"], "60");
    assert_eq!(lease["amount_excl_vat"], "-2592.00");
    assert!(
        answer["separately_quoted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "V-X-CABIN"),
        "{answer}"
    );
    assert_eq!(
        answer["lines"].as_array().unwrap().last().unwrap()["code"],
        "E-BAND"
    );
    assert_eq!(
        events_of(&app, &id, "servicing_study").await,
        [("api_key".to_owned(), "ERP viabilisation".to_owned())]
    );
    // The study again on the version read before: stale, nothing changed.
    let (status, _) = problem(
        post_json(
            &app,
            &key,
            &url,
            None,
            &json!({"version": version, "points_outside": 30, "text": "Autre"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(versions_of(&app, &assessment_id).await, 2);
}

#[tokio::test]
async fn an_operators_system_lists_the_joint_days_of_its_own_crews_only() {
    let app = app_with_crews().await;
    let Reserved { id, day, .. } = reserved(&app, &marie()).await;
    // An electricity connection only, next door: SWDE is no party to it.
    let electricity_only = with(
        &marie(),
        &[
            ("house_number", "16"),
            ("gas", ""),
            ("water", ""),
            ("proximus", ""),
            ("voo", ""),
        ],
    );
    let second = reserved(&app, &electricity_only).await;
    let crew_of = |service: &'static str, request: String| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT c.name FROM reservations v JOIN crews c ON c.id = v.crew_id \
                 WHERE v.request_id = $1 AND v.service = $2",
            )
            .bind(request)
            .bind(service)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
        }
    };
    let ores_crew = crew_of("electricity", id.clone()).await;
    let swde_crew = crew_of("water", id.clone()).await;
    let ores = create_key(
        &app,
        &app.signed_in("tarifs@ores.demo").await,
        "Planification",
        "read",
    )
    .await;
    let swde = create_key(&app, &swde_admin(&app).await, "Planning SWDE", "read").await;
    let coordinator = create_key(
        &app,
        &app.signed_in("julien@ores.demo").await,
        "Back office",
        "read",
    )
    .await;
    let namur = create_key(
        &app,
        &app.signed_in("travaux@namur.demo").await,
        "Logiciel permis",
        "read",
    )
    .await;

    // ORES electricity: both days, its own crew on each, the site as its day sheet says.
    let page: Value = get(&app, &ores, "/api/v1/reservations")
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    let first = items
        .iter()
        .find(|i| i["request_id"] == id.as_str())
        .unwrap();
    assert_eq!(first["day"], day.as_str());
    assert_eq!(first["state"], "reserved");
    assert_eq!(first["commune"], "Namur");
    assert_eq!(first["address"], "Rue des Tanneries 14, 5000 Namur");
    assert_eq!(
        first["crews"],
        json!([{"service": "electricity", "crew": ores_crew, "works_done_at": null}])
    );
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["request_id"] == second.id.as_str()));
    // The fields the schema names, exactly.
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let named: Vec<&String> = document["components"]["schemas"]["Reservation"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let served: Vec<&String> = first.as_object().unwrap().keys().collect();
    let (mut named, mut served) = (named, served);
    named.sort();
    served.sort();
    assert_eq!(named, served);

    // SWDE: Marie's day with its own crew, never ORES'; nothing of the electricity-only one.
    let page: Value = get(&app, &swde, "/api/v1/reservations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["request_id"], id.as_str());
    assert_eq!(
        page["items"][0]["crews"],
        json!([{"service": "water", "crew": swde_crew, "works_done_at": null}])
    );
    assert!(!page.to_string().contains(&second.id), "{page}");

    // The coordinator: every crew of its requests; a commune has no reservations.
    let page: Value = get(&app, &coordinator, "/api/v1/reservations")
        .await
        .json()
        .await
        .unwrap();
    let marie_day = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["request_id"] == id.as_str())
        .unwrap();
    let services: Vec<&str> = marie_day["crews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["electricity", "gas", "proximus", "voo", "water"]);
    let (status, _) = problem(get(&app, &namur, "/api/v1/reservations").await).await;
    assert_eq!(status, 404);

    // A page at a time, earliest first, the Link header leading to the next page.
    let response = get(&app, &ores, "/api/v1/reservations?limit=1").await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    assert!(link.contains(&format!("cursor={cursor}")), "{link}");
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    let rest: Value = get(&app, &ores, &next).await.json().await.unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_ne!(
        rest["items"][0]["request_id"],
        page["items"][0]["request_id"]
    );
    // The days filter: none before Marie's day, a date unreadable refused.
    let before =
        (day.parse::<chrono::NaiveDate>().unwrap() - chrono::Duration::days(1)).to_string();
    let page: Value = get(&app, &ores, &format!("/api/v1/reservations?to={before}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"], json!([]));
    let page: Value = get(
        &app,
        &ores,
        &format!("/api/v1/reservations?from={day}&to={day}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["request_id"] == id.as_str())
    );
    let (status, _) = problem(get(&app, &ores, "/api/v1/reservations?from=demain").await).await;
    assert_eq!(status, 422);
}
