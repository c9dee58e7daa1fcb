//! What people read never shows the product's insides (issue 22, point 5): no translation
//! key, no stored code of a service, no day written as stored (`2026-12-02`). Walks a request
//! from filing to its reserved day and reads every page of every audience it touches, and every
//! email sent, as text.

use std::collections::BTreeSet;

use crate::helpers::{app_with_crews, client, marie, reserved, send_offer_as, text_of, with};

/// The text a reader sees: tags (and their attributes), scripts and styles removed.
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let after = &rest[start..];
        let skip_to = ["<script", "<style"]
            .iter()
            .find(|open| after.starts_with(**open))
            .map(|open| format!("</{}", &open[1..]));
        rest = match skip_to {
            Some(close) => match after.find(&close) {
                Some(end) => &after[end..],
                None => "",
            },
            None => "",
        };
        if rest.is_empty() || !after.starts_with("<script") && !after.starts_with("<style") {
            rest = match after.find('>') {
                Some(end) => &after[end + 1..],
                None => "",
            };
        } else {
            rest = match rest.find('>') {
                Some(end) => &rest[end + 1..],
                None => "",
            };
        }
    }
    text.push_str(rest);
    text.replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

/// Every word of `text` that is a stored code or a day as stored. In English "gas", "water"
/// and "electricity" are words people write, and in Dutch "gas" and "water": only the other
/// codes count there.
fn insides(text: &str, keys: &BTreeSet<String>, language: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || "()[]«»,;:!?\"'/→—".contains(c)) {
        let word = word.trim_end_matches('.');
        if word.is_empty() {
            continue;
        }
        let iso_day =
            word.len() == 10 && chrono::NaiveDate::parse_from_str(word, "%Y-%m-%d").is_ok();
        let key = word.contains('.') && keys.contains(word);
        let code = matches!(
            word,
            "proximus"
                | "voo"
                | "legal_title"
                | "situation_plan"
                | "certibeau"
                | "permit_copy"
                | "road_plan"
                | "parcel_plan_lambert72"
        ) || match language {
            "en" => false,
            "nl" => word == "electricity",
            _ => matches!(word, "electricity" | "gas" | "water"),
        };
        if iso_day || key || code {
            found.push(word.to_owned());
        }
    }
    found
}

fn catalogue_keys() -> BTreeSet<String> {
    let french: toml::Table = toml::from_str(include_str!("../../locales/fr.toml")).unwrap();
    fn walk(table: &toml::Table, prefix: &str, keys: &mut BTreeSet<String>) {
        for (name, value) in table {
            let key = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match value {
                toml::Value::Table(inner) => walk(inner, &key, keys),
                _ => {
                    keys.insert(key);
                }
            }
        }
    }
    let mut keys = BTreeSet::new();
    walk(&french, "", &mut keys);
    keys
}

#[tokio::test]
async fn no_page_or_email_shows_a_key_a_code_or_a_stored_day() {
    walk_and_read(&marie(), "fr", &["fr", "en", "de", "nl"]).await;
}

/// A Dutch-speaking applicant (issue 22, point 9): every page in Dutch, and the emails sent
/// to her in Dutch, show no key, no code and no stored day either.
#[tokio::test]
async fn no_dutch_page_or_email_shows_a_key_a_code_or_a_stored_day() {
    let mails = walk_and_read(&with(&marie(), &[("language", "nl")]), "nl", &["nl"]).await;
    // The applicant's emails were written in Dutch, never in French.
    let to_her: Vec<&(String, String)> = mails
        .iter()
        .filter(|(kind, _)| ["request_filed", "offer"].contains(&kind.as_str()))
        .collect();
    assert_eq!(to_her.len(), 2, "{mails:?}");
    for (kind, body) in to_her {
        assert!(body.starts_with("Beste Marie Dupont,"), "{kind}: {body}");
        assert!(
            !body.contains("Bonjour") && !body.contains("Votre"),
            "{kind}: {body}"
        );
    }
}

/// Files `fields`, sends the offer, reserves then cancels the day, and reads every page of
/// every audience in each of `languages`, then every email (written in `mail_language`).
async fn walk_and_read(
    fields: &[(&'static str, String)],
    mail_language: &str,
    languages: &[&str],
) -> Vec<(String, String)> {
    let app = app_with_crews().await;
    let job = reserved(&app, fields).await;
    send_offer_as(&app, &job.julien, &job.id, "").await;
    // A day cancelled with its reason: the timeline tells which day.
    let page = text_of(&job.julien, &job.url).await;
    let response = job
        .julien
        .post(app.url(&format!("/backoffice/requests/{}/day/cancel", job.id)))
        .form(&[
            ("csrf_token", crate::helpers::hidden(&page, "csrf_token")),
            ("reason", "Permis reporté".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let keys = catalogue_keys();
    let mut read: Vec<(String, String)> = Vec::new();
    let link = app.private_link(&job.id).await;
    let applicant = client();
    let elec = app.signed_in("elec@ores.demo").await;
    let namur = app.signed_in("travaux@namur.demo").await;
    let request_page = format!("/backoffice/requests/{}", job.id);
    // Each reader switches language with the page frame's link, as people do.
    for language in languages {
        for reader in [&applicant, &job.julien, &elec, &namur] {
            let response = reader
                .get(app.url(&format!("/lang/{language}?next=/")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 303);
        }
        read.push((
            format!("{language} status page"),
            text_of(&applicant, &link).await,
        ));
        for path in ["/backoffice", request_page.as_str(), "/backoffice/plan"] {
            read.push((
                format!("{language} {path}"),
                text_of(&job.julien, app.url(path)).await,
            ));
        }
        for path in ["/operator", "/operator/work", request_page.as_str()] {
            read.push((
                format!("{language} operator {path}"),
                text_of(&elec, app.url(path)).await,
            ));
        }
        for path in [
            "/commune",
            "/commune/calendar",
            "/commune/map",
            "/commune/permits",
        ] {
            read.push((
                format!("{language} {path}"),
                text_of(&namur, app.url(path)).await,
            ));
        }
    }
    app.wait_outbox_idle().await;
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, body_text FROM outbox ORDER BY created_at, id")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert!(mails.len() >= 3, "{mails:?}");

    // The reader's text is there (the scan reads what people read).
    let status = visible_text(&read[0].1);
    assert!(status.contains("Permis reporté"), "{status}");
    assert!(!status.contains("<li"), "{status}");
    let mut shown = Vec::new();
    for (what, html) in &read {
        let language = what.split(' ').next().unwrap_or_default();
        for word in insides(&visible_text(html), &keys, language) {
            shown.push(format!("{what}: {word}"));
        }
    }
    for (kind, body) in &mails {
        for word in insides(body, &keys, mail_language) {
            shown.push(format!("mail {kind}: {word}"));
        }
    }
    assert!(shown.is_empty(), "{shown:#?}");
    mails
}
