//! Issue 21: docs/API.md's shell examples run as written against a live app — each `curl` with
//! the variables the text names (`$CMH`, `$KEY`, `$ASSESSMENT`, …) set to a real key and real
//! records, and the signature check with `openssl` — so the guide cannot drift from the API.

use std::path::Path;

use serde_json::Value;

use crate::{
    api_writes::create_key,
    helpers::{TestApp, accept_offer_online, app_with_crews, marie, reserved, with},
    servicing::tournai_lots,
    statements::{Credit, coda, ores_due},
    webhooks::swde_admin,
};

/// The guide's shell blocks, in order.
fn blocks() -> Vec<String> {
    let guide = include_str!("../../docs/API.md");
    guide
        .split("```sh\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}

/// Runs `script` with bash in `dir` with `vars` set (the guide's `export` lines are the
/// reader's own: left out), bounded to 30 s; answers what it printed.
async fn run(dir: &Path, script: &str, vars: &[(&str, String)]) -> String {
    let script: String = script
        .lines()
        .filter(|line| !line.starts_with("export "))
        .collect::<Vec<_>>()
        .join("\n");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .kill_on_drop(true);
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), command.output())
        .await
        .expect("an example ran longer than 30 s")
        .expect("bash runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script}\nfailed: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

/// The example's answer as JSON, which must not be a refusal.
#[track_caller]
fn answered(script: &str, text: &str) -> Value {
    let body: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|error| panic!("{script}\nanswered no JSON ({error}): {text}"));
    assert!(
        !body["type"]
            .as_str()
            .is_some_and(|kind| kind.starts_with("urn:connect-my-home:problem")),
        "{script}\nwas refused: {body}"
    );
    body
}

async fn assessment_of(app: &TestApp, request_id: &str, service: &str) -> String {
    sqlx::query_scalar("SELECT id FROM assessments WHERE request_id = $1 AND service = $2")
        .bind(request_id)
        .bind(service)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_guides_examples_run_as_written() {
    let app = app_with_crews().await;
    let blocks = blocks();
    assert_eq!(
        blocks.len(),
        16,
        "a new example in docs/API.md needs its run here"
    );
    let dir = tempfile::tempdir().unwrap();
    let cmh = app.url("").trim_end_matches('/').to_owned();

    // Marie's request has its joint day (Namur, trenches: a permit asked of the commune);
    // Paul's and Anne's are answered by every operator; a servicing of lots in Tournai waits for its study.
    let (paul, _) = app
        .file_ok(&with(&marie(), &[("email", "paul.martin@example.be")]))
        .await;
    let (anne, _) = app
        .file_ok(&with(&marie(), &[("email", "anne.leroy@example.be")]))
        .await;
    let anne = app.request_id(&anne).await;
    app.wait_state(&anne, "assessed").await;
    let marie = reserved(&app, &marie()).await;
    let paul = app.request_id(&paul).await;
    app.wait_state(&paul, "assessed").await;
    let (_, lots) = app.file_assessed(&tournai_lots()).await;

    let ores = app.signed_in("tarifs@ores.demo").await;
    let ores_key = create_key(&app, &ores, "ERP", "read_write").await;
    let swde = swde_admin(&app).await;
    let swde_key = create_key(&app, &swde, "GMAO eau", "read_write").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let namur_key = create_key(&app, &namur, "Logiciel permis", "read_write").await;
    let julien = app.signed_in("julien@ores.demo").await;
    let coordinator_key = create_key(&app, &julien, "Back-office", "read_write").await;
    let operator = |assessment: &str| {
        vec![
            ("CMH", cmh.clone()),
            ("KEY", ores_key.clone()),
            ("ASSESSMENT", assessment.to_owned()),
        ]
    };
    let vars = |pairs: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut all = vec![("CMH", cmh.clone())];
        all.extend(pairs.iter().cloned());
        all
    };
    macro_rules! example {
        ($index:expr, $vars:expr) => {
            run(dir.path(), &blocks[$index], &$vars).await
        };
    }

    // 2. Poll: the open assessments, then the answered ones, then one part with its ETag.
    let electricity = assessment_of(&app, &marie.id, "electricity").await;
    let listed = answered(&blocks[0], &example!(0, operator(&electricity)));
    assert!(!listed["items"].as_array().unwrap().is_empty());
    answered(&blocks[1], &example!(1, operator(&electricity)));
    let part = example!(2, operator(&electricity));
    assert!(part.starts_with("HTTP/1.1 200"), "{part}");
    assert!(part.to_lowercase().contains("etag: \"1\""), "{part}");

    // 3. Answer: Anne's electricity part refused in writing, on the version read.
    let anne_electricity = assessment_of(&app, &anne, "electricity").await;
    let refused = answered(&blocks[3], &example!(3, operator(&anne_electricity)));
    assert_eq!(refused["version"], 2);
    assert_eq!(refused["answer"]["feasibility"], "refused");

    // SWDE's survey of Paul's water part; ORES' study of the lots in Tournai.
    let water = assessment_of(&app, &paul, "water").await;
    let surveyed = answered(
        &blocks[4],
        &example!(
            4,
            vars(&[("KEY", swde_key.clone()), ("ASSESSMENT", water.clone())])
        ),
    );
    assert_eq!(surveyed["version"], 2);
    let studied = answered(
        &blocks[5],
        &example!(
            5,
            operator(&assessment_of(&app, &lots, "electricity").await)
        ),
    );
    assert_eq!(studied["version"], 2);

    // Crews: absences of one, then a crew added, changed and retired.
    let crew: String = sqlx::query_scalar(
        "SELECT crew_id FROM reservations WHERE request_id = $1 AND service = 'electricity'",
    )
    .bind(&marie.id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let with_crew = |crew: &str| vars(&[("KEY", ores_key.clone()), ("CREW", crew.to_owned())]);
    let absences = answered(&blocks[7], &example!(7, with_crew(&crew)));
    assert_eq!(absences["absences"].as_array().unwrap().len(), 2);
    let added = answered(&blocks[8], &example!(8, with_crew("")));
    let condroz = added["id"].as_str().unwrap().to_owned();
    let changed = answered(&blocks[9], &example!(9, with_crew(&condroz)));
    assert_eq!(changed["daily_capacity"], 5);
    answered(&blocks[10], &example!(10, with_crew(&condroz)));
    answered(&blocks[11], &example!(11, with_crew(&condroz)));

    // The signature of a delivery, checked with openssl as the guide shows.
    std::fs::write(dir.path().join("body.json"), r#"{"id":"x","type":"ping"}"#).unwrap();
    let secret = "whsec_guide";
    let t = "1796202000";
    let printed = example!(12, vars(&[("SECRET", secret.into()), ("T", t.into())]));
    assert_eq!(
        printed.trim(),
        connect_my_home::domain::webhook::signature(
            secret,
            t.parse().unwrap(),
            r#"{"id":"x","type":"ping"}"#
        )
    );

    // 5. Namur's permit software reads the permit and asks a question.
    let permit: String = sqlx::query_scalar(
        "SELECT id FROM permits WHERE request_id = $1 AND status <> 'cancelled'",
    )
    .bind(&marie.id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let read_and_asked = example!(13, vars(&[("KEY", namur_key.clone()), ("PERMIT", permit)]));
    for answer in serde_json::Deserializer::from_str(&read_and_asked).into_iter::<Value>() {
        let answer = answer.unwrap();
        assert!(answer["type"].is_null(), "{answer}");
    }

    // The coordinator's back office: the offer of the lots' request, accepted online by its
    // applicant, then a payment against ORES' due; its bank software uploads a statement.
    let (offer_step, payment_step) = blocks[14].split_at(blocks[14].find("# A payment").unwrap());
    let coordinator = |due: &str| {
        vars(&[
            ("KEY", coordinator_key.clone()),
            ("REQUEST", paul.clone()),
            ("DUE", due.to_owned()),
        ])
    };
    answered(
        offer_step,
        &run(dir.path(), offer_step, &coordinator("")).await,
    );
    let link = app.private_link(&paul).await;
    assert_eq!(accept_offer_online(&app, &link, &paul).await.0, 303);
    let (due, _, _, iban) = ores_due(&app, &paul).await;
    answered(
        payment_step,
        &run(dir.path(), payment_step, &coordinator(&due)).await,
    );
    let account: String = iban.split_whitespace().collect();
    std::fs::write(
        dir.path().join("releve-187.cod"),
        coda(
            &account,
            app.today(),
            &[Credit {
                cents: 5_000,
                structured: None,
                free: "facture 2026-11",
                payer: "INCONNU",
            }],
        ),
    )
    .unwrap();
    let read = answered(
        &blocks[15],
        &example!(15, vars(&[("KEY", coordinator_key.clone())])),
    );
    assert_eq!(read["to_assign"], 1);

    // Last, as the clock moves to Marie's day: her electricity works recorded done.
    app.advance_to(marie.day.parse().unwrap());
    answered(&blocks[6], &example!(6, operator(&electricity)));
}
