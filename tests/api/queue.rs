//! The queue pages through a tenant's requests, newest first or most urgent first, keeps its
//! filters from page to page and says how many requests there are in all and per state.

use chrono::Duration as Days;

use crate::helpers::{TestApp, marie, spawn_app_with, text_of, with};

/// Files five requests a day apart (Namur, Mons, Namur, Mons, Namur) and returns their
/// references, oldest first. Mons' requests have neither gas nor VOO.
async fn five_requests(app: &TestApp) -> Vec<String> {
    let mut references = Vec::new();
    for index in 0..5 {
        let fields = if index % 2 == 1 {
            with(&marie(), &[("postcode", "7000"), ("gas", ""), ("voo", "")])
        } else {
            marie()
        };
        let (reference, _) = app.file_ok(&fields).await;
        references.push(reference);
        app.advance(Days::days(1));
    }
    references
}

async fn set_state(app: &TestApp, reference: &str, state: &str) {
    sqlx::query("UPDATE requests SET state = $1 WHERE reference = $2")
        .bind(state)
        .bind(reference)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    // Written behind the product's back: its read models are recomputed, as after a bulk load.
    connect_my_home::services::summaries::rebuild(&app.state.db)
        .await
        .unwrap();
}

/// The references of a page's lines, in order.
fn references_in(html: &str, all: &[String]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = all
        .iter()
        .filter_map(|r| {
            html.find(&format!(">{r}</a>"))
                .map(|position| (position, r.clone()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, r)| r).collect()
}

async fn api(client: &reqwest::Client, url: String) -> (reqwest::header::HeaderMap, Vec<String>) {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    let body: serde_json::Value = response.json().await.unwrap();
    let references = body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["reference"].as_str().unwrap().to_owned())
        .collect();
    (headers, references)
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_queue_pages_newest_first_and_keeps_its_filters() {
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let refs = five_requests(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;

    // Newest first by default, two per page: page 2 holds the third and second filed.
    let first = text_of(&julien, app.url("/backoffice?per_page=2")).await;
    assert_eq!(
        references_in(&first, &refs),
        [refs[4].as_str(), refs[3].as_str()]
    );
    assert!(first.contains("5 demandes ; 1 à 2 affichées"), "{first}");
    assert!(first.contains("Page 1 sur 3"));
    assert!(first.contains("href=\"/backoffice?per_page=2&#38;page=2\" rel=\"next\""));
    assert!(!first.contains("rel=\"prev\""));
    let second = text_of(&julien, app.url("/backoffice?per_page=2&page=2")).await;
    assert_eq!(
        references_in(&second, &refs),
        [refs[2].as_str(), refs[1].as_str()]
    );
    assert!(second.contains("5 demandes ; 3 à 4 affichées"));
    assert!(second.contains("href=\"/backoffice?per_page=2&#38;page=1\" rel=\"prev\""));
    assert!(second.contains("href=\"/backoffice?per_page=2&#38;page=3\" rel=\"next\""));
    let last = text_of(&julien, app.url("/backoffice?per_page=2&page=3")).await;
    assert_eq!(references_in(&last, &refs), [refs[0].as_str()]);
    assert!(!last.contains("rel=\"next\""));

    // The filters, the order and the page size travel with the links.
    let namur = text_of(
        &julien,
        app.url("/backoffice?commune=92094&order=urgent&per_page=1"),
    )
    .await;
    assert_eq!(references_in(&namur, &refs), [refs[0].as_str()]);
    assert!(namur.contains("3 demandes ; 1 à 1 affichées"));
    assert!(namur.contains(
        "href=\"/backoffice?commune=92094&#38;order=urgent&#38;per_page=1&#38;page=2\" rel=\"next\""
    ));
    assert!(namur.contains("<option value=\"urgent\" selected>"));
    assert!(namur.contains("<input type=\"hidden\" name=\"per_page\" value=\"1\">"));
    // Another order starts again from the first page, with the same filters.
    assert!(
        namur.contains(
            "href=\"/backoffice?commune=92094&#38;order=newest&#38;per_page=1&#38;page=1\""
        )
    );

    // The counts per state are the whole queue's, whatever the filter.
    assert!(namur.contains("Reçue <strong>5</strong>"), "{namur}");

    // The JSON twin: the same page, the totals in headers.
    let (headers, page) = api(&julien, app.url("/api/v1/requests?per_page=2&page=2")).await;
    assert_eq!(page, [refs[2].clone(), refs[1].clone()]);
    assert_eq!(header(&headers, "x-total-count"), "5");
    assert_eq!(header(&headers, "x-page"), "2");
    assert_eq!(header(&headers, "x-per-page"), "2");
    assert_eq!(header(&headers, "x-page-count"), "3");
    assert_eq!(header(&headers, "x-state-counts"), "submitted=5");
    assert_eq!(
        header(&headers, "link"),
        "</api/v1/requests?per_page=2&page=3>; rel=\"next\", \
         </api/v1/requests?per_page=2&page=1>; rel=\"prev\""
    );
    // Without paging parameters: every request, newest first (50 per page).
    let (headers, all) = api(&julien, app.url("/api/v1/requests")).await;
    let newest_first: Vec<String> = refs.iter().rev().cloned().collect();
    assert_eq!(all, newest_first);
    assert_eq!(header(&headers, "x-per-page"), "50");
    assert_eq!(header(&headers, "link"), "");
}

#[tokio::test]
async fn the_most_urgent_come_first_and_finished_ones_last() {
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let refs = five_requests(&app).await;
    // The oldest was withdrawn and the third is done: nothing is left to do on them.
    set_state(&app, refs[0].as_str(), "withdrawn").await;
    set_state(&app, refs[2].as_str(), "done").await;
    set_state(&app, refs[3].as_str(), "quoted").await;
    let julien = app.signed_in("julien@ores.demo").await;

    // The queue opens on the work to do: the withdrawn request is not in it (issue 22,
    // point 6); the one whose works are done may still await a payment after them.
    let open = text_of(&julien, app.url("/backoffice")).await;
    assert_eq!(
        references_in(&open, &refs),
        [
            refs[4].as_str(),
            refs[3].as_str(),
            refs[2].as_str(),
            refs[1].as_str()
        ]
    );
    assert!(open.contains("4 demandes ; 1 à 4 affichées"), "{open}");
    assert!(
        open.contains("<option value=\"\">À traiter (sauf clôturées, retirées, refusées)</option>")
    );
    // The commune filter offers the communes of the queue's requests, by name.
    let mons = open.find("<option value=\"53053\" >Mons</option>");
    let namur = open.find("<option value=\"92094\" >Namur</option>");
    assert!(
        matches!((mons, namur), (Some(mons), Some(namur)) if mons < namur),
        "{open}"
    );
    let urgent = text_of(&julien, app.url("/backoffice?order=urgent")).await;
    assert_eq!(
        references_in(&urgent, &refs),
        [
            refs[1].as_str(),
            refs[3].as_str(),
            refs[4].as_str(),
            refs[2].as_str()
        ]
    );
    // Every request on asking.
    let newest = text_of(&julien, app.url("/backoffice?state=all")).await;
    assert_eq!(
        references_in(&newest, &refs),
        [
            refs[4].as_str(),
            refs[3].as_str(),
            refs[2].as_str(),
            refs[1].as_str(),
            refs[0].as_str()
        ]
    );
    assert!(newest.contains("<option value=\"all\" selected>Toutes</option>"));
    let urgent = text_of(&julien, app.url("/backoffice?order=urgent&state=all")).await;
    assert_eq!(
        references_in(&urgent, &refs),
        [
            refs[1].as_str(),
            refs[3].as_str(),
            refs[4].as_str(),
            refs[0].as_str(),
            refs[2].as_str()
        ],
        "in progress, the longest waiting first; then the finished ones"
    );
    let (headers, page) = api(
        &julien,
        app.url("/api/v1/requests?order=urgent&per_page=2&page=2"),
    )
    .await;
    assert_eq!(page, [refs[4].clone(), refs[0].clone()]);
    assert_eq!(header(&headers, "x-total-count"), "5");
    assert_eq!(
        header(&headers, "x-state-counts"),
        "done=1, quoted=1, submitted=2, withdrawn=1"
    );

    // A filter counts only what it keeps; the counts per state stay the queue's.
    let (headers, page) = api(&julien, app.url("/api/v1/requests?state=submitted")).await;
    assert_eq!(page, [refs[4].clone(), refs[1].clone()]);
    assert_eq!(header(&headers, "x-total-count"), "2");
    assert_eq!(
        header(&headers, "x-state-counts"),
        "done=1, quoted=1, submitted=2, withdrawn=1"
    );
}

#[tokio::test]
async fn an_operator_pages_through_its_own_requests_only() {
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let refs = five_requests(&app).await;
    // VOO is party to Namur's three requests only (Mons' ask for no VOO).
    let voo = app.signed_in("raccordement@voo.demo").await;
    let (headers, page) = api(&voo, app.url("/api/v1/requests?per_page=2")).await;
    assert_eq!(page, [refs[4].clone(), refs[2].clone()]);
    assert_eq!(header(&headers, "x-total-count"), "3");
    assert_eq!(header(&headers, "x-state-counts"), "submitted=3");
    let (_, second) = api(&voo, app.url("/api/v1/requests?per_page=2&page=2")).await;
    assert_eq!(second, [refs[0].clone()]);
    let html = text_of(&voo, app.url("/backoffice?per_page=2&page=2")).await;
    assert_eq!(references_in(&html, &refs), [refs[0].as_str()]);
    assert!(html.contains("3 demandes ; 3 à 3 affichées"));
    assert!(!html.contains(refs[1].as_str()) && !html.contains(refs[3].as_str()));
    // Asking for Mons' commune does not reveal them.
    let (headers, none) = api(&voo, app.url("/api/v1/requests?commune=53053")).await;
    assert!(none.is_empty());
    assert_eq!(header(&headers, "x-total-count"), "0");
    // A page past the end is empty, with the totals still right.
    let (headers, past) = api(&voo, app.url("/api/v1/requests?per_page=2&page=9")).await;
    assert!(past.is_empty());
    assert_eq!(header(&headers, "x-total-count"), "3");
}
