//! Browser tests: headless Chromium, driven through chromedriver, walks journey 1 from the
//! citizen's form to the confirmed joint day (with the commune's permit and works map of
//! journey 8), journey 5's inheritance split, journey 7's plan for every waiting request and
//! a crew falling ill, journey 9's renovation, a Dutch-speaking household's filing, and a
//! platform administrator keeping the construction holidays; axe-core checks every page they
//! visit in the four languages.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test says so and passes,
//! unless CMH_BROWSER_TESTS=1 (as in CI), where their absence is a failure.

use std::{
    fmt::Display,
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use connect_my_home::{
    clock::Clock,
    config::Config,
    demo as seed,
    {app::Application, state::AppState},
};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element, wd::TimeoutConfiguration};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::Instant;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver may take to start and open a Chromium session.
const START: Duration = Duration::from_secs(30);
/// How long a page may take to show what a step waits for (and chromedriver to load a page or
/// run a script): generous, the pages here answer in well under a second.
const PAGE: Duration = Duration::from_secs(20);
/// The pause between two looks.
const POLL: Duration = Duration::from_millis(100);

/// Tries `attempt` until it gives `Ok`, for at most `limit` in all (a try that hangs is cut off
/// at the deadline), then panics saying what it waited for and what it saw last (the last `Err`).
async fn eventually<T, E, F, Fut>(what: &str, limit: Duration, mut attempt: F) -> T
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + limit;
    let mut last = String::from("no answer");
    loop {
        match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(found)) => return found,
            Ok(Err(seen)) => last = seen.to_string(),
            // A try still running at the deadline leaves what the one before it saw.
            Err(_cut_off) => {}
        }
        if Instant::now() + POLL >= deadline {
            panic!("gave up after {limit:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The element `css` once the page has it, for at most [`PAGE`]; `what` says what it shows.
async fn wait_for_element(client: &Client, css: &str, what: &str) -> Element {
    // fantoccini's own bound is checked between looks; the outer one stops a look that hangs.
    let wait = client.wait().at_most(PAGE).for_element(Locator::Css(css));
    let failure = match tokio::time::timeout(PAGE + Duration::from_secs(5), wait).await {
        Ok(Ok(element)) => return element,
        Ok(Err(error)) => error.to_string(),
        Err(_) => "no answer".to_owned(),
    };
    // What the page showed instead, for the failure to say.
    let shown = tokio::time::timeout(
        Duration::from_secs(5),
        client.execute(
            "return location.href + '\\n' + document.body.innerText;",
            vec![],
        ),
    )
    .await
    .map(|text| format!("{text:?}"))
    .unwrap_or_else(|_| "(the page did not answer)".to_owned());
    panic!("gave up after {PAGE:?} waiting for {what} ({css}): {failure}; the page: {shown}")
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_browser() -> Option<(Driver, Client)> {
    let required = std::env::var("CMH_BROWSER_TESTS").is_ok_and(|v| v == "1");
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            !required,
            "CMH_BROWSER_TESTS=1 but chromium/chromedriver are not installed"
        );
        eprintln!("skipping browser test: install chromium and chromium-driver to run it");
        return None;
    }
    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--lang=fr-BE", "--window-size=1280,2000"],
            // A Walloon household's browser asks for French pages.
            "prefs": { "intl.accept_languages": "fr-BE,fr" }
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let what = format!("chromedriver on {url} to open a Chromium session");
    let client = eventually(&what, START, || async {
        // chromedriver listens on plain HTTP on the loopback: no TLS stack needed.
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
    })
    .await;
    // A page load (chromedriver's default bound: five minutes) or a script (the PDF fetch)
    // gives up as a page condition does.
    client
        .update_timeouts(TimeoutConfiguration::new(
            Some(PAGE),
            Some(PAGE),
            Some(Duration::ZERO),
        ))
        .await
        .expect("set chromedriver's page-load and script timeouts");
    Some((driver, client))
}

async fn fill(client: &Client, id: &str, value: &str) {
    type_into(client, &format!("#{id}"), value).await;
}

/// Types `value` into the field `css` (for fields whose id carries a record's id).
async fn type_into(client: &Client, css: &str, value: &str) {
    let field = wait_for_element(client, css, "the field to type into").await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// The subject and text of the first filing confirmation written to the outbox.
async fn first_confirmation(state: &AppState) -> (String, String) {
    sqlx::query_as(
        "SELECT subject, body_text FROM outbox WHERE kind = 'request_filed' \
         ORDER BY created_at LIMIT 1",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap()
}

/// The private link to the status page that a mail's text gives.
fn private_link(body: &str, base: &str) -> String {
    let start = body.find(&format!("{base}/track/")).expect("private link");
    body[start..].split_whitespace().next().unwrap().to_owned()
}

/// Clicks `css` once the page shows it: after a form posts, the next page may still be loading.
async fn click(client: &Client, css: &str) {
    wait_for_element(client, css, "the element to click")
        .await
        .click()
        .await
        .unwrap_or_else(|error| panic!("clicking {css}: {error}"));
}

/// The page's text once it shows `needle`: a click that navigates returns before the new
/// page is there, and background work (an operator's answer) may land a moment later, so
/// `reload` asks for the page again while waiting.
async fn wait_text(client: &Client, needle: &str, reload: bool) -> String {
    let what = format!("the page to show {needle:?}");
    eventually(&what, PAGE, || async {
        let text = match client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await,
            Err(error) => Err(error),
        }
        .map_err(|error| format!("no page text ({error})"))?;
        if text.contains(needle) {
            return Ok(text);
        }
        if reload {
            let _ = client.refresh().await;
        }
        Err(text)
    })
    .await
}

/// The instant the app's clock starts at: the browser tests never read the machine's date.
const CLOCK_START: &str = "2026-12-02T09:00:00Z";

/// The app on a fresh SQLite file with the demo accounts (and crews), serving in the
/// background: the data directory, the state and the base URL.
async fn serve(with_crews: bool) -> (tempfile::TempDir, AppState, String) {
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = Config::local(data_dir.path().to_path_buf());
    config.seed_demo = false;
    let clock = Clock::starting_at(CLOCK_START.parse().unwrap());
    let app = Application::build_with_clock(config, clock).await.unwrap();
    seed::demo_users(app.state()).await.unwrap();
    if with_crews {
        seed::demo_crews(app.state()).await.unwrap();
    }
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (data_dir, state, base)
}

#[tokio::test]
async fn a_citizen_files_a_request_and_the_case_officer_finds_it() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, state, base) = serve(true).await;

    // The citizen starts from the home page.
    browser.goto(&base).await.unwrap();
    accessible_in_every_language(&browser, "the home page").await;
    click(&browser, "a.button").await;
    wait_text(&browser, "Ma demande de raccordements", false).await;
    accessible_in_every_language(&browser, "the request form").await;

    // A first try with a 6-flat building is refused with the reason; typed values stay.
    fill(&browser, "name", "Marie Dupont").await;
    fill(&browser, "email", "marie.dupont@example.be").await;
    fill(&browser, "phone", "081 23 45 67").await;
    fill(&browser, "street", "Rue des Tanneries").await;
    fill(&browser, "house_number", "14").await;
    fill(&browser, "postcode", "5000").await;
    click(&browser, "input[name=building][value=building]").await;
    fill(&browser, "dwellings", "6").await;
    browser
        .find(Locator::Css("#electricity_band option[value='3x25']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&browser, "input[name=water]").await;
    click(&browser, "input[name=proximus]").await;
    click(&browser, "#submit-request").await;
    wait_text(&browser, "règle C-1", false).await;
    // The answer to a post: its address cannot be opened again in another language.
    accessible(&browser, "the refused request form", "fr").await;
    let kept = browser
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Marie Dupont"));

    // She corrects it to a house and files.
    click(&browser, "input[name=building][value=house]").await;
    fill(&browser, "dwellings", "").await;
    click(&browser, "#submit-request").await;
    wait_text(&browser, "Votre demande est enregistrée", false).await;
    accessible_in_every_language(&browser, "the filing confirmation").await;
    let reference = browser
        .find(Locator::Css("strong.reference"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reference.starts_with("CMH-"));

    // The case officer signs in and finds it in the queue, then opens it.
    browser.goto(&format!("{base}/login")).await.unwrap();
    wait_text(&browser, "Espace professionnel", false).await;
    accessible_in_every_language(&browser, "the sign-in page").await;
    fill(&browser, "email", "julien@ores.demo").await;
    fill(&browser, "password", seed::DEMO_PASSWORD).await;
    click(&browser, "form.narrow button[type=submit]").await;
    let queue = wait_text(&browser, "File des demandes", false).await;
    assert!(queue.contains(&reference));
    accessible_in_every_language(&browser, "the officer's queue").await;
    // The bank statements the officer reconciles (issue 21).
    browser
        .goto(&format!("{base}/backoffice/statements"))
        .await
        .unwrap();
    wait_text(&browser, "Relevés bancaires", false).await;
    accessible_in_every_language(&browser, "the bank statements page").await;
    // The coordinator's users and administrators, for its administrator (issue 21).
    browser
        .goto(&format!("{base}/organisation/users"))
        .await
        .unwrap();
    wait_text(&browser, "Utilisateurs de mon organisation", false).await;
    accessible_in_every_language(&browser, "the organisation's users page").await;
    browser.goto(&format!("{base}/backoffice")).await.unwrap();
    wait_text(&browser, "File des demandes", false).await;
    browser
        .find(Locator::LinkText(&reference))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let detail = wait_text(&browser, "marie.dupont@example.be", false).await;
    accessible_in_every_language(&browser, "the officer's request page").await;
    assert!(detail.contains("Eau (SWDE)"));
    assert!(detail.contains("Demande introduite"));

    // SWDE's staff find it in their own queue, with the water part only.
    click(&browser, "header form.inline button").await;
    wait_text(&browser, "Espace professionnel", false).await;
    browser.goto(&format!("{base}/login")).await.unwrap();
    fill(&browser, "email", "eau@swde.demo").await;
    fill(&browser, "password", seed::DEMO_PASSWORD).await;
    click(&browser, "form.narrow button[type=submit]").await;
    wait_text(&browser, "Equipe raccordements SWDE", false).await;
    browser.goto(&format!("{base}/operator")).await.unwrap();
    let own_queue = wait_text(&browser, "Mes dossiers opérateur", false).await;
    assert!(own_queue.contains(&reference), "{own_queue}");
    accessible_in_every_language(&browser, "the operator's queue").await;
    browser
        .find(Locator::LinkText(&reference))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let water_part = wait_text(&browser, "Certificat CertIBEau", true).await;
    accessible_in_every_language(&browser, "the operator's part of the request").await;
    assert!(water_part.contains("B-5.5"), "{water_part}");
    assert!(!water_part.contains("Plan de situation"), "{water_part}");
    assert!(!water_part.contains("Raccordement standard gratuit"));

    // Journey 1 goes on: the case officer sends the one offer once every operator answered.
    sign_in(&browser, &base, "julien@ores.demo").await;
    open_from(
        &browser,
        &format!("{base}/backoffice"),
        "File des demandes",
        &reference,
    )
    .await;
    wait_text(&browser, "Envoyer l'offre", true).await;
    click(&browser, "#send-offer button[type=submit]").await;
    let sent = wait_text(&browser, "Version 1", false).await;
    assert!(sent.contains("envoyée"), "{sent}");

    // Marie opens her status page from the email's private link.
    let (_, body) = first_confirmation(&state).await;
    browser.goto(&private_link(&body, &base)).await.unwrap();
    let status = wait_text(&browser, "Votre offre", false).await;
    assert!(status.contains("Comment payer"), "{status}");
    accessible_in_every_language(&browser, "the status page with its offer").await;
    on_a_phone_nothing_is_cut_off(&browser, "#dues .code").await;

    // She downloads the PDF (fetched by the page itself, with the link it shows).
    let pdf = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('offer-pdf').href)
               .then(r => r.arrayBuffer().then(b => done([r.headers.get('content-type'),
                   String.fromCharCode(...new Uint8Array(b).slice(0, 5))])))
               .catch(e => done(['error', String(e)]));",
            vec![],
        )
        .await
        .unwrap_or_else(|error| panic!("the status page fetching the offer PDF: {error}"));
    assert_eq!(pdf, serde_json::json!(["application/pdf", "%PDF-"]));

    // She accepts with explicit consent, confirms with the code emailed to her, then picks
    // the joint day.
    click(&browser, "#consent").await;
    click(&browser, "#accept-offer button[type=submit]").await;
    wait_text(&browser, "Nous avons envoyé un code à 6 chiffres", false).await;
    accessible(&browser, "the acceptance code form", "fr").await;
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE kind = 'acceptance_code' \
         ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .expect("a six-digit code in the email")
        .to_owned();
    fill(&browser, "code", &code).await;
    click(&browser, "#confirm-offer button[type=submit]").await;
    let accepted = wait_text(&browser, "acceptée", false).await;
    assert!(accepted.contains("Choisissez le jour"), "{accepted}");
    click(&browser, "ul.candidates button[type=submit]").await;
    // The day she picked is proposed, not promised: "what happens next" tells her what is
    // left to do before it is confirmed.
    let proposed = wait_text(&browser, "Jour proposé : le", false).await;
    assert!(
        !proposed.contains("Toutes les équipes viendront le"),
        "{proposed}"
    );
    let next = browser
        .find(Locator::Css("#next-steps"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        next.contains("Ce qui vient ensuite, et ce que vous devez faire"),
        "{next}"
    );
    assert!(
        next.contains("à ORES Assets avant le jour des travaux"),
        "{next}"
    );
    assert!(
        next.contains("est proposé pour les travaux, à confirmer"),
        "{next}"
    );
    assert!(
        next.contains("posez la gaine à 1 m de profondeur"),
        "{next}"
    );

    // The sidewalk is opened: one joint road-works permit went to Namur (rule C-6). The officer
    // registers the payments, but the day cannot be confirmed while the commune decides.
    sign_in(&browser, &base, "julien@ores.demo").await;
    open_from(
        &browser,
        &format!("{base}/backoffice"),
        "File des demandes",
        &reference,
    )
    .await;
    let page = wait_text(&browser, "Permis de voirie conjoint", false).await;
    assert!(page.contains("la commune n'a pas encore décidé"), "{page}");
    let today = state.clock.today().to_string();
    // Counted on a loaded page only: while the next page loads there is no table, not zero
    // buttons, and a table parsed halfway shows fewer buttons than it has.
    let payment_buttons = || async {
        let ready = browser
            .execute("return document.readyState;", vec![])
            .await?;
        if ready != "complete" {
            return Err(fantoccini::error::CmdError::NotJson(format!(
                "the page is {ready}"
            )));
        }
        browser.find(Locator::Css("#payments")).await?;
        browser
            .find_all(Locator::Css("#payments form button"))
            .await
            .map(|found| found.len())
    };
    let mut left = eventually("the payments table", PAGE, payment_buttons).await;
    // Each turn registers one payment and waits for its button to go, or panics: at most one
    // turn per payment due.
    while left > 0 {
        browser
            .execute(
                "document.querySelector('#payments form input[name=paid_on]').value = arguments[0];",
                vec![serde_json::json!(today)],
            )
            .await
            .unwrap();
        click(&browser, "#payments form button").await;
        let before = left;
        let what = format!("the payment to be registered (fewer than {before} payment buttons)");
        left = eventually(&what, PAGE, || async {
            match payment_buttons().await {
                Ok(now) if now < before => Ok(now),
                Ok(now) => Err(format!("{now} payment buttons")),
                Err(error) => Err(format!("no payment buttons to count ({error})")),
            }
        })
        .await;
    }
    click(&browser, "#confirm-day button[type=submit]").await;
    let notice = wait_for_element(
        &browser,
        "p#notice.error",
        "the refusal of the confirmation, with its reason",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        notice.contains("pas encore décidé du permis de voirie"),
        "{notice}"
    );

    // The commune of Namur finds the permit on its dashboard and grants it.
    sign_in(&browser, &base, "travaux@namur.demo").await;
    browser.goto(&format!("{base}/commune")).await.unwrap();
    let dashboard = wait_text(&browser, "Permis de voirie à décider", false).await;
    assert!(dashboard.contains("45 jours restants"), "{dashboard}");
    accessible_in_every_language(&browser, "the commune's dashboard").await;
    browser
        .find(Locator::LinkText(&reference))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&browser, "Décision de la commune", false).await;
    accessible_in_every_language(&browser, "the commune's permit page").await;
    click(&browser, "#decision button[value=approve]").await;
    wait_text(&browser, "Décision enregistrée", false).await;
    accessible(&browser, "the commune's decision recorded", "fr").await;

    // Its works map lists the site and, with scripts, draws it with the vendored Leaflet
    // (no tiles here: there is no network, and the page does not mind).
    let day: String = sqlx::query_scalar("SELECT MIN(day) FROM reservations")
        .fetch_one(&state.db.pool)
        .await
        .unwrap();
    browser
        .goto(&format!("{base}/commune/map?month={}", &day[..7]))
        .await
        .unwrap();
    let map = wait_text(&browser, "Rue des Tanneries 14", false).await;
    assert!(map.contains(&reference));
    wait_for_element(
        &browser,
        "#works-map .leaflet-marker-icon",
        "the works map's marker for the site",
    )
    .await;
    accessible_in_every_language(&browser, "the commune's works map").await;
    // Journey 8: the month's calendar, the nuisance figures with their chart, and the CSV for
    // the council (semicolons and a byte-order mark, for a Belgian Excel).
    browser
        .goto(&format!("{base}/commune/calendar?month={}", &day[..7]))
        .await
        .unwrap();
    let calendar = wait_text(&browser, "Calendrier des travaux", false).await;
    assert!(calendar.contains(&reference), "{calendar}");
    accessible_in_every_language(&browser, "the commune's works calendar").await;
    browser
        .goto(&format!("{base}/commune/figures"))
        .await
        .unwrap();
    wait_text(&browser, "Nuisances évitées", false).await;
    wait_for_element(&browser, "svg[role=img]", "the figures' chart").await;
    accessible_in_every_language(&browser, "the commune's nuisance figures").await;
    let csv = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('csv-link').href)
               .then(r => r.arrayBuffer().then(b => done([r.headers.get('content-type'),
                   Array.from(new Uint8Array(b).slice(0, 3))])))
               .catch(e => done(['error', String(e)]));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        csv,
        serde_json::json!(["text/csv; charset=utf-8", [0xEF, 0xBB, 0xBF]]),
        "the CSV for the council"
    );

    // The officer now confirms the day.
    sign_in(&browser, &base, "julien@ores.demo").await;
    open_from(
        &browser,
        &format!("{base}/backoffice"),
        "File des demandes",
        &reference,
    )
    .await;
    let page = wait_text(&browser, "Permis de voirie conjoint", false).await;
    assert!(page.contains("accordé"), "{page}");
    click(&browser, "#confirm-day button[type=submit]").await;
    wait_text(&browser, "Jour des travaux confirmé", false).await;
    accessible(&browser, "the officer's page with the day confirmed", "fr").await;

    browser.close().await.unwrap();
}

/// axe-core 4.14 (vendored under tests/fixtures/axe, MPL-2.0), run in the page itself.
const AXE: &str = include_str!("fixtures/axe/axe.min.js");

/// axe-core finds no violation of WCAG 2.1 A and AA, nor of its best practices, on the page
/// shown, in each language of the product (switched with the page's own language links); the
/// page is left in French.
async fn accessible_in_every_language(browser: &Client, what: &str) {
    for language in ["fr", "en", "de", "nl"] {
        if language != "fr" {
            click(browser, &format!("li.lang a[hreflang={language}]")).await;
        }
        accessible(browser, what, language).await;
    }
    click(browser, "li.lang a[hreflang=fr]").await;
    in_language(browser, "fr").await;
}

/// axe-core finds no violation on the page shown, once it is in `language`.
async fn accessible(browser: &Client, what: &str, language: &str) {
    in_language(browser, language).await;
    browser.execute(AXE, vec![]).await.unwrap();
    let violations = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
               .then(r => done(r.violations.map(v => v.id + ': ' +
                   v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(violations, serde_json::json!([]), "{what} in {language}");
}

/// Waits for the page in `language` (its `<html lang>`), for at most [`PAGE`].
async fn in_language(browser: &Client, language: &str) {
    eventually(&format!("the page in {language}"), PAGE, || async {
        let shown: serde_json::Value = browser
            .execute("return document.documentElement.lang;", vec![])
            .await
            .map_err(|e| e.to_string())?;
        if shown == language {
            Ok(())
        } else {
            Err(format!("lang={shown}"))
        }
    })
    .await;
}

/// At 360 px wide (a small phone), the page is no wider than the screen and every element
/// matching `copied` (what a citizen copies into a banking app: IBAN, structured
/// communication) lies wholly within it; then the window is made wide again.
async fn on_a_phone_nothing_is_cut_off(browser: &Client, copied: &str) {
    browser.set_window_size(360, 740).await.unwrap();
    let measured = browser
        .execute(
            "const width = document.documentElement.clientWidth;
             const cut = [...document.querySelectorAll(arguments[0])]
               .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > width; })
               .map(e => e.textContent);
             return [document.documentElement.scrollWidth, width,
                     document.querySelectorAll(arguments[0]).length, cut];",
            vec![serde_json::json!(copied)],
        )
        .await
        .unwrap();
    browser.set_window_size(1280, 2000).await.unwrap();
    let [scroll, width, found, cut] = measured.as_array().unwrap().as_slice() else {
        panic!("{measured}");
    };
    let (scroll, width) = (scroll.as_u64().unwrap(), width.as_u64().unwrap());
    assert!(
        width <= 360,
        "the window did not become phone-sized: {width} px"
    );
    assert!(
        scroll <= width,
        "the page is {scroll} px wide on a {width} px screen"
    );
    assert!(found.as_u64().unwrap() >= 2, "nothing matches {copied}");
    assert_eq!(cut, &serde_json::json!([]), "cut off at {width} px");
}

async fn sign_in(browser: &Client, base: &str, email: &str) {
    if browser
        .find(Locator::Css("header form.inline button"))
        .await
        .is_ok()
    {
        click(browser, "header form.inline button").await;
        wait_text(browser, "Espace professionnel", false).await;
    }
    browser.goto(&format!("{base}/login")).await.unwrap();
    fill(browser, "email", email).await;
    fill(browser, "password", seed::DEMO_PASSWORD).await;
    click(browser, "form.narrow button[type=submit]").await;
    wait_text(browser, "Se déconnecter", false).await;
}

/// Sets a date field as its picker would: typing into one depends on the browser's locale.
async fn pick_date(client: &Client, id: &str, iso: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![id.into(), iso.into()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_platform_administrator_enters_next_summers_construction_holidays() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, _state, base) = serve(false).await;

    sign_in(&browser, &base, "admin@connect-my-home.demo").await;
    browser
        .find(Locator::LinkText("Congés du bâtiment"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = wait_text(&browser, "Ajouter une période", false).await;
    assert!(page.contains("Jours de repos d'hiver 2026"));
    accessible_in_every_language(&browser, "the construction holidays page").await;

    // No province ticked: refused, with what was typed kept.
    fill(&browser, "name", "Congés d'été 2028").await;
    pick_date(&browser, "first_day", "2028-07-12").await;
    pick_date(&browser, "last_day", "2028-07-30").await;
    click(&browser, "#add button[type=submit]").await;
    wait_text(&browser, "Cochez au moins une province.", false).await;
    accessible(&browser, "the refused construction holiday", "fr").await;
    let name = browser.find(Locator::Id("name")).await.unwrap();
    assert_eq!(
        name.prop("value").await.unwrap().as_deref(),
        Some("Congés d'été 2028")
    );

    click(&browser, "input[name=provinces][value=namur]").await;
    click(&browser, "input[name=provinces][value=liege]").await;
    click(&browser, "#add button[type=submit]").await;
    let list = wait_text(
        &browser,
        "Période « Congés d'été 2028 » enregistrée.",
        false,
    )
    .await;
    assert!(list.contains("Liège, Namur"), "{list}");
    assert!(list.contains("30/07/2028"));

    // One more week: changed from its own page.
    browser
        .find(Locator::Css("#year-2028 a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(
        &browser,
        "Modifier une période de congés du bâtiment",
        false,
    )
    .await;
    accessible_in_every_language(&browser, "a construction holiday's page").await;
    pick_date(&browser, "last_day", "2028-08-06").await;
    click(&browser, "form.adjust button[type=submit]").await;
    let list = wait_text(&browser, "enregistrée", false).await;
    assert!(list.contains("06/08/2028"), "{list}");
    assert!(!list.contains("30/07/2028"), "{list}");

    browser.close().await.unwrap();
}

/// Goes to the list at `url`, waits for `shown`, and opens the request `reference` from it.
async fn open_from(browser: &Client, url: &str, shown: &str, reference: &str) {
    browser.goto(url).await.unwrap();
    wait_text(browser, shown, false).await;
    browser
        .find(Locator::LinkText(reference))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Picks `value` in the select `id`.
async fn choose(client: &Client, id: &str, value: &str) {
    click(client, &format!("#{id} option[value='{value}']")).await;
}

#[tokio::test]
async fn heirs_in_bastogne_file_their_split_and_ores_counts_20_m_plus_12_m() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, _state, base) = serve(false).await;

    // Journey 5: three heirs split a parcel; houses are planned on two parts (V-4.1c).
    browser.goto(&format!("{base}/request/new")).await.unwrap();
    wait_text(&browser, "Ma demande de raccordements", false).await;
    fill(&browser, "name", "Famille Lambert (indivision)").await;
    fill(&browser, "email", "heritiers.lambert@example.be").await;
    fill(&browser, "phone", "061 21 43 65").await;
    fill(&browser, "parcel_ref", "Bastogne 1re div., section A, 512B").await;
    fill(&browser, "postcode", "6600").await;
    choose(&browser, "electricity_band", "1x40").await;
    // Electricity is asked by default; the land division is opened on purpose.
    click(&browser, "#servicing-choice summary").await;
    choose(&browser, "servicing_operation", "donation").await;
    fill(&browser, "servicing_parcels", "3").await;
    // A comma is a decimal comma: two lengths need a semicolon.
    fill(&browser, "servicing_planned_frontages", "25, 12").await;
    click(&browser, "#submit-request").await;
    wait_text(&browser, "séparées par des points-virgules", false).await;
    accessible(&browser, "the request form refusing a division", "fr").await;
    fill(&browser, "servicing_planned_frontages", "25 ; 12").await;
    click(&browser, "#submit-request").await;
    wait_text(&browser, "Votre demande est enregistrée", false).await;
    let reference = browser
        .find(Locator::Css("strong.reference"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // ORES electricity's answer counts 20 m (the cap) + 12 m.
    sign_in(&browser, &base, "julien@ores.demo").await;
    let search = format!("{base}/backoffice?q={reference}");
    open_from(&browser, &search, &reference, &reference).await;
    let page = wait_text(&browser, "façades prévues 25 + 12 m", true).await;
    assert!(page.contains("plafonnées à 20 m par parcelle"), "{page}");
    assert!(page.contains("32 m"), "{page}");

    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_family_renovating_a_15_year_old_house_asks_more_power_and_pays_6_percent() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, _state, base) = serve(false).await;

    // An existing house first occupied in 2011: a power increase 1 × 40 A → 3 × 25 A.
    browser.goto(&format!("{base}/request/new")).await.unwrap();
    wait_text(&browser, "Ma demande de raccordements", false).await;
    fill(&browser, "name", "Sophie Renard").await;
    fill(&browser, "email", "sophie.renard@example.be").await;
    fill(&browser, "phone", "081 22 33 44").await;
    fill(&browser, "street", "Rue de Fer").await;
    fill(&browser, "house_number", "12").await;
    fill(&browser, "postcode", "5000").await;
    click(&browser, "input[name=dwelling][value=existing]").await;
    choose(&browser, "electricity_band", "3x25").await;
    choose(&browser, "electricity_current_band", "1x40").await;
    // The year is forgotten first: refused, the field named, nothing lost.
    click(&browser, "#submit-request").await;
    let page = wait_text(&browser, "Année de première occupation", false).await;
    assert!(page.contains("4 chiffres, par exemple 2011"), "{page}");
    accessible(&browser, "the form refusing a missing year", "fr").await;
    fill(&browser, "dwelling_first_occupied_year", "2011").await;
    click(&browser, "#submit-request").await;
    wait_text(&browser, "Votre demande est enregistrée", false).await;
    let reference = browser
        .find(Locator::Css("strong.reference"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // ORES prices the difference of the two bands at 6%, and asks the declaration.
    sign_in(&browser, &base, "julien@ores.demo").await;
    let search = format!("{base}/backoffice?q={reference}");
    open_from(&browser, &search, &reference, &reference).await;
    let page = wait_text(&browser, "Augmentation de puissance de 1 × 40 A", true).await;
    accessible_in_every_language(&browser, "the officer's page of a renovation").await;
    assert!(
        page.contains("Logement existant, occupé depuis 2011"),
        "{page}"
    );
    assert!(page.contains("400,00"), "{page}");
    assert!(
        page.contains("TVA 6 % (logement de 10 ans ou plus)"),
        "{page}"
    );
    assert!(page.contains("Attestation TVA 6 %"), "{page}");

    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_dutch_speaking_household_files_reads_and_follows_its_request_in_dutch() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, state, base) = serve(false).await;

    // The household switches the form to Nederlands: the page, the language it chooses for
    // its mail, a refusal and the confirmation are Dutch.
    browser.goto(&format!("{base}/request/new")).await.unwrap();
    wait_text(&browser, "Ma demande de raccordements", false).await;
    click(&browser, "li.lang a[hreflang=nl]").await;
    wait_text(&browser, "Mijn aanvraag voor aansluitingen", false).await;
    let chosen = browser
        .find(Locator::Id("language"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(chosen.as_deref(), Some("nl"));
    fill(&browser, "name", "Lotte Peeters").await;
    fill(&browser, "email", "lotte.peeters@example.be").await;
    fill(&browser, "phone", "081 44 55 66").await;
    fill(&browser, "street", "Rue de Fer").await;
    fill(&browser, "house_number", "3").await;
    fill(&browser, "postcode", "9000").await;
    choose(&browser, "electricity_band", "3x25").await;
    click(&browser, "#submit-request").await;
    // Gent is served by Fluvius: said in Dutch, nothing filed.
    let refused = wait_text(&browser, "Fluvius", false).await;
    assert!(!refused.contains("Votre demande"), "{refused}");
    accessible(&browser, "the refused form in Dutch", "nl").await;
    fill(&browser, "postcode", "5000").await;
    click(&browser, "#submit-request").await;
    wait_text(&browser, "Uw aanvraag is geregistreerd", false).await;

    // Her status page opens in Dutch from the link in her Dutch email.
    let (subject, body) = first_confirmation(&state).await;
    assert!(
        body.starts_with("Beste Lotte Peeters,"),
        "{subject}\n{body}"
    );
    browser.goto(&private_link(&body, &base)).await.unwrap();
    let status = wait_text(&browser, "Wat er nu volgt, en wat u moet doen", false).await;
    assert!(status.contains("Uw aanvraag"), "{status}");
    assert!(!status.contains("Votre demande"), "{status}");
    accessible(&browser, "the status page in Dutch", "nl").await;

    browser.close().await.unwrap();
}

/// The value of the hidden input `name` of a page.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Files a household's request in Namur through the public form, as a browser without
/// scripts would post it.
async fn file_through_the_form(base: &str, email: &str) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{base}/request/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fields = [
        ("csrf_token", hidden_value(&form, "csrf_token")),
        ("idempotency_key", hidden_value(&form, "idempotency_key")),
        ("applicant_kind", "natural".into()),
        ("name", "Voisin de Marie".into()),
        ("email", email.into()),
        ("phone", "+32 81 23 45 67".into()),
        ("language", "fr".into()),
        ("street", "Rue des Tanneries".into()),
        ("house_number", "14".into()),
        ("postcode", "5000".into()),
        ("building", "house".into()),
        ("electricity", "on".into()),
        ("electricity_band", "3x25".into()),
        ("gas", "on".into()),
        ("water", "on".into()),
        ("proximus", "on".into()),
        ("voo", "on".into()),
    ];
    let response = http
        .post(format!("{base}/request"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "{email} filed");
}

#[tokio::test]
async fn journey_7_the_officer_plans_every_waiting_request_and_a_crew_falls_ill() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, state, base) = serve(true).await;

    // Six households of Namur wait for their day, every operator having answered.
    for n in 0..6 {
        file_through_the_form(&base, &format!("voisin{n}@example.be")).await;
    }
    eventually("six requests answered by every operator", PAGE, || async {
        let assessed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE state = 'assessed'")
                .fetch_one(&state.db.pool)
                .await
                .map_err(|e| e.to_string())?;
        if assessed == 6 {
            Ok(())
        } else {
            Err(format!("{assessed} assessed"))
        }
    })
    .await;

    // The officer asks for days for all at once, keeps every proposal and reserves them.
    sign_in(&browser, &base, "julien@ores.demo").await;
    browser
        .goto(&format!("{base}/backoffice/plan"))
        .await
        .unwrap();
    wait_text(&browser, "6 demandes sur 6 reçoivent un jour", false).await;
    accessible_in_every_language(&browser, "the plan for every waiting request").await;
    click(&browser, "#reserve-all").await;
    wait_text(&browser, "6 jours réservés", false).await;
    let (first, reference): (String, String) = sqlx::query_as(
        "SELECT v.day, r.reference FROM reservations v JOIN requests r ON r.id = v.request_id \
         ORDER BY v.day, r.reference LIMIT 1",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();

    // ORES' electricity crew of Namur falls ill for five days from the first booked day.
    sign_in(&browser, &base, "elec@ores.demo").await;
    browser
        .goto(&format!("{base}/operator/crews"))
        .await
        .unwrap();
    wait_text(&browser, "Équipe Namur", false).await;
    accessible_in_every_language(&browser, "the operator's crews").await;
    let crew: String = sqlx::query_scalar(
        "SELECT c.id FROM crews c JOIN organisations o ON o.id = c.organisation_id \
         WHERE o.slug = 'ores-electricity' AND c.name = 'Équipe Namur'",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();
    let last = (first.parse::<chrono::NaiveDate>().unwrap() + chrono::Days::new(4)).to_string();
    choose(&browser, "crew", &crew).await;
    pick_date(&browser, "day", &first).await;
    pick_date(&browser, "until", &last).await;
    click(
        &browser,
        "form[action='/operator/crews/absence'] button[type=submit]",
    )
    .await;
    let notice = wait_text(&browser, "Absence enregistrée du", false).await;
    assert!(notice.contains(&reference), "{notice}");

    // The officer finds the affected request flagged on its page.
    sign_in(&browser, &base, "julien@ores.demo").await;
    let search = format!("{base}/backoffice?q={reference}");
    open_from(&browser, &search, &reference, &reference).await;
    wait_text(
        &browser,
        "Une équipe réservée est absente ce jour-là",
        false,
    )
    .await;

    browser.close().await.unwrap();
}

#[tokio::test]
async fn journey_6_what_cannot_be_done_as_asked_is_said_in_writing_and_the_rest_goes_on() {
    let Some((_driver, browser)) = start_browser().await else {
        return;
    };
    let (_data_dir, state, base) = serve(true).await;

    // A house in Bastogne asks electricity, gas and water; there is no gas network there.
    browser.goto(&format!("{base}/request/new")).await.unwrap();
    wait_text(&browser, "Ma demande de raccordements", false).await;
    fill(&browser, "name", "Julie Lambert").await;
    fill(&browser, "email", "julie.lambert@example.be").await;
    fill(&browser, "phone", "061 21 43 65").await;
    fill(&browser, "street", "Rue du Vivier").await;
    fill(&browser, "house_number", "3").await;
    fill(&browser, "postcode", "6600").await;
    choose(&browser, "electricity_band", "3x25").await;
    click(&browser, "input[name=gas]").await;
    click(&browser, "input[name=water]").await;
    click(&browser, "#submit-request").await;
    let filed = wait_text(&browser, "Votre demande est enregistrée", false).await;
    let reference = filed
        .split_whitespace()
        .find(|word| word.starts_with("CMH-"))
        .expect("the reference")
        .to_owned();

    // Her status page says so in writing, with its rule; electricity and water go on.
    let (_, body) = first_confirmation(&state).await;
    browser.goto(&private_link(&body, &base)).await.unwrap();
    let status = wait_text(
        &browser,
        "Gaz naturel (ORES) — pas disponible ici : aucun réseau de cet opérateur à Bastogne (règle C-7)",
        false,
    )
    .await;
    assert!(status.contains("Eau (SWDE)"), "{status}");
    accessible_in_every_language(&browser, "the status page with a part not available").await;

    // SWDE measures 80 m to the main: the extension is quoted with its reason.
    sign_in(&browser, &base, "eau@swde.demo").await;
    open_from(
        &browser,
        &format!("{base}/operator"),
        "Mes dossiers opérateur",
        &reference,
    )
    .await;
    wait_text(&browser, "Certificat CertIBEau", true).await;
    click(&browser, "details.panel:has(form[id^=survey-]) > summary").await;
    type_into(
        &browser,
        "form[id^=survey-] input[name=distance_to_main_m]",
        "80",
    )
    .await;
    type_into(
        &browser,
        "form[id^=survey-] input[name=inside_parcel_m]",
        "2",
    )
    .await;
    type_into(
        &browser,
        "form[id^=survey-] [name=text]",
        "Métré du 2 décembre",
    )
    .await;
    click(&browser, "form[id^=survey-] button[value=water_survey]").await;
    let answered = wait_text(
        &browser,
        "Extension du réseau de distribution (conduite à plus de 50 m : 80 m)",
        false,
    )
    .await;
    assert!(answered.contains("B-4.2"), "{answered}");
    accessible_in_every_language(&browser, "the operator's part with its survey").await;

    browser.close().await.unwrap();
}
