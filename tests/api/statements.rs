//! Issue 21: payments from bank statements. The coordinator uploads a CODA file; each credit
//! whose structured communication names a due is registered against it (V-8.2.1 full payment,
//! B-5.4 instalments), the others are listed to assign by hand; the same file uploaded again
//! registers nothing twice.

use chrono::NaiveDate;
use connect_my_home::demo as seed;
use reqwest::multipart::{Form, Part};

use crate::helpers::{
    TestApp, accept_offer_online, hidden, marie, other_coordinator, send_offer_as, spawn_app,
    text_of, with,
};

/// A request whose consolidated offer was sent and accepted online; its id.
pub(crate) async fn accepted(app: &TestApp, fields: &[(&'static str, String)]) -> String {
    let (_, id) = app.file_assessed(fields).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer_as(app, &julien, &id, "").await;
    let link = app.private_link(&id).await;
    assert_eq!(accept_offer_online(app, &link, &id).await.0, 303);
    id
}

/// ORES' due of request `id`: (due id, amount, communication, IBAN).
pub(crate) async fn ores_due(app: &TestApp, id: &str) -> (String, String, String, String) {
    sqlx::query_as(
        "SELECT d.id, d.amount, d.structured_communication, d.iban FROM offer_dues d \
         JOIN offers o ON o.id = d.offer_id \
         WHERE o.request_id = $1 AND d.party_name LIKE 'ORES%' \
            AND d.direction = 'applicant_to_operator'",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

/// The payments recorded against `due`: (amount, paid on, from a statement line).
pub(crate) async fn payments_of(app: &TestApp, due: &str) -> Vec<(String, String, bool)> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT amount, paid_on, statement_line_id FROM due_payments WHERE due_id = $1 \
         ORDER BY recorded_at, amount",
    )
    .bind(due)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(amount, on, line)| (amount, on, line.is_some()))
        .collect()
}

/// A CODA record: 128 characters, each piece at its 1-based position (Febelfin CODA 2.6).
fn record(pieces: &[(usize, &str)]) -> String {
    let mut line = vec![' '; 128];
    for (from, text) in pieces {
        for (i, c) in text.chars().enumerate() {
            line[from - 1 + i] = c;
        }
    }
    line.into_iter().collect()
}

/// A credit of `cents` with a structured communication (its 12 digits) or a free text.
pub(crate) struct Credit<'a> {
    pub(crate) cents: i64,
    pub(crate) structured: Option<&'a str>,
    pub(crate) free: &'a str,
    pub(crate) payer: &'a str,
}

fn ddmmyy(day: NaiveDate) -> String {
    day.format("%d%m%y").to_string()
}

/// One statement of `account` dated `day` (opening balance the day before) with `credits`.
pub(crate) fn coda(account: &str, day: NaiveDate, credits: &[Credit]) -> Vec<u8> {
    let mut lines = vec![
        record(&[(1, "00000"), (6, &ddmmyy(day)), (12, "00005"), (128, "2")]),
        record(&[
            (1, "12"),
            (3, "187"),
            (6, account),
            (40, "EUR"),
            (43, "0"),
            (44, "000000012345000"),
            (59, &ddmmyy(day.pred_opt().unwrap())),
            (65, "ORES ASSETS"),
            (126, "187"),
        ]),
    ];
    let mut total = 0;
    for (index, credit) in credits.iter().enumerate() {
        let sequence = format!("{:04}", index + 1);
        let (kind, communication) = match credit.structured {
            Some(digits) => ("1", format!("101{digits}")),
            None => ("0", credit.free.to_owned()),
        };
        lines.push(record(&[
            (1, "21"),
            (3, &sequence),
            (7, "0000"),
            (11, &format!("EBA{sequence}BKREF")),
            (32, "0"),
            (33, &format!("{:015}", credit.cents * 10)),
            (48, &ddmmyy(day)),
            (54, "00150000"),
            (62, kind),
            (63, &communication),
            (116, &ddmmyy(day)),
            (122, "187"),
            (125, "0"),
            (126, "1"),
            (128, "0"),
        ]));
        lines.push(record(&[
            (1, "23"),
            (3, &sequence),
            (7, "0000"),
            (11, "BE71096123456769"),
            (48, credit.payer),
            (126, "0"),
            (128, "0"),
        ]));
        total += credit.cents;
    }
    lines.push(record(&[
        (1, "8187"),
        (5, account),
        (42, "0"),
        (43, "000000012345000"),
        (58, &ddmmyy(day)),
    ]));
    lines.push(record(&[
        (1, "9"),
        (17, &format!("{:06}", lines.len() - 1)),
        (23, "000000000000000"),
        (38, &format!("{:015}", total * 10)),
        (128, "2"),
    ]));
    (lines.join("\r\n") + "\r\n").into_bytes()
}

async fn upload(app: &TestApp, officer: &reqwest::Client, bytes: Vec<u8>) -> (u16, String) {
    let page = text_of(officer, app.url("/backoffice/statements")).await;
    let form = Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .part(
            "file",
            Part::bytes(bytes)
                .file_name("CODA_20261202.cod")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let response = officer
        .post(app.url("/backoffice/statements"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

pub(crate) fn cents(amount: &str) -> i64 {
    let (euros, cents) = amount.split_once('.').unwrap();
    euros.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

/// An amount in cents as a language writes it: thousands grouped by `group`, `decimal` before
/// the cents.
fn euros(cents: i64, group: char, decimal: char) -> String {
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    format!("{grouped}{decimal}{:02}", cents % 100)
}

pub(crate) fn digits(communication: &str) -> String {
    communication.chars().filter(char::is_ascii_digit).collect()
}

#[tokio::test]
async fn v_8_2_1_a_statement_pays_one_due_in_full_one_in_part_and_leaves_one_credit_to_assign() {
    let app = spawn_app().await;
    seed::demo_crews(&app.state).await.unwrap();
    let marie_id = accepted(&app, &marie()).await;
    let paul_id = accepted(
        &app,
        &with(&marie(), &[("email", "paul.martin@example.be")]),
    )
    .await;
    let (marie_due, marie_amount, marie_communication, iban) = ores_due(&app, &marie_id).await;
    let (paul_due, paul_amount, paul_communication, _) = ores_due(&app, &paul_id).await;
    let account: String = iban.split_whitespace().collect();
    let today = app.today();
    let julien = app.signed_in("julien@ores.demo").await;

    // A refused file registers nothing and says why, with the line.
    let (status, page) = upload(
        &app,
        &julien,
        b"Date;Montant\n02/12/2026;1210,00\n".to_vec(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(
            "Ligne 1 : type d&#39;enregistrement inconnu ; ce fichier n&#39;est pas un relevé CODA."
        ),
        "{page}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_statements").await, 0);

    // Marie pays ORES exactly; Paul pays 100.00 € of his, then 42.50 € with a mistyped
    // communication.
    let paul_part = 10_000;
    let mistyped = format!("{}00", &digits(&paul_communication)[..10]);
    let statement = coda(
        &account,
        today,
        &[
            Credit {
                cents: cents(&marie_amount),
                structured: Some(&digits(&marie_communication)),
                free: "",
                payer: "DUPONT MARIE",
            },
            Credit {
                cents: paul_part,
                structured: None,
                free: &format!("acompte {paul_communication}"),
                payer: "MARTIN PAUL",
            },
            // Paul again, his communication mistyped: check digits 00 are never valid.
            Credit {
                cents: 4_250,
                structured: Some(&mistyped),
                free: "",
                payer: "MARTIN PAUL",
            },
        ],
    );
    let (status, page) = upload(&app, &julien, statement.clone()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("1 relevé lu"), "{page}");
    assert!(page.contains("1 paiement complet enregistré"), "{page}");
    assert!(page.contains("1 paiement partiel enregistré"), "{page}");
    assert!(page.contains("1 crédit à attribuer"), "{page}");

    // Registered against the dues, dated the day the money arrived, the statement as source.
    assert_eq!(
        payments_of(&app, &marie_due).await,
        vec![(marie_amount.clone(), today.to_string(), true)]
    );
    assert_eq!(
        payments_of(&app, &paul_due).await,
        vec![("100.00".to_owned(), today.to_string(), true)]
    );
    // The timeline names the statement, in each reader's language (issue 22: amounts and
    // statements are not stored in the words of whoever recorded them).
    let paul_left = cents(&paul_amount) - paul_part;
    let left = euros(paul_left, '\u{202f}', ',');
    let opened = today.pred_opt().unwrap().format("%d/%m/%Y").to_string();
    let printed_account = {
        let a: Vec<char> = account.chars().collect();
        a.chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let paul_page = app.url(&format!("/backoffice/requests/{paul_id}"));
    let page = text_of(&julien, &paul_page).await;
    let expected =
        format!("100,00 € — reste dû : {left} € — relevé n° 187 du {opened} ({printed_account})");
    assert!(page.contains(&expected), "{expected}\n{page}");
    let english = julien
        .get(&paul_page)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let left_en = euros(paul_left, ',', '.');
    let expected = format!(
        "€100.00 — still due: €{left_en} — statement no. 187 of {opened} ({printed_account})"
    );
    assert!(english.contains(&expected), "{expected}\n{english}");

    // The mistyped credit waits on the page with its reason.
    let page = text_of(&julien, app.url("/backoffice/statements")).await;
    assert!(page.contains("id=\"lines-to-assign\""), "{page}");
    assert!(page.contains(&mistyped), "{page}");
    assert!(
        page.contains("communication structurée erronée (chiffres de contrôle faux)"),
        "{page}"
    );
    assert!(page.contains("MARTIN PAUL"), "{page}");

    // Uploading the same file again registers nothing twice.
    let (status, page) = upload(&app, &julien, statement).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("3 crédits déjà lus lors d&#39;un chargement précédent"),
        "{page}"
    );
    assert!(page.contains("0 paiement complet enregistré"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM due_payments").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bank_statement_lines").await,
        3
    );

    // Another coordinator sees none of it and cannot assign it.
    let line: String =
        sqlx::query_scalar("SELECT id FROM bank_statement_lines WHERE outcome = 'to_assign'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let resa = other_coordinator(&app).await;
    let page = text_of(&resa, app.url("/backoffice/statements")).await;
    assert!(!page.contains(&mistyped));
    let response = resa
        .post(app.url(&format!("/backoffice/statements/lines/{line}/assign")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("reference", "CMH-2026-000002".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    // Text that is no line's or statement's id is not found, as an unknown id is; never a 500.
    let page = text_of(&julien, app.url("/backoffice/statements")).await;
    for id in ["CMH-2026-000001", "0193a5b2-7c1d", "line-1"] {
        for action in ["assign", "set-aside"] {
            let response = julien
                .post(app.url(&format!("/backoffice/statements/lines/{id}/{action}")))
                .form(&[
                    ("csrf_token", hidden(&page, "csrf_token")),
                    ("reference", "CMH-2026-000002".to_owned()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 404, "{id} {action}");
            assert!(
                response.text().await.unwrap().contains("Page introuvable"),
                "{id} {action}"
            );
        }
        let response = julien
            .get(app.url(&format!("/backoffice/statements/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{id}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bank_statement_lines WHERE outcome = 'to_assign'")
            .await,
        1
    );
    // An operator's staff do not have the coordinator's statements.
    let swde = app.signed_in("eau@swde.demo").await;
    let response = swde
        .get(app.url("/backoffice/statements"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    // The officer assigns the line to Paul's request: it has several payees, so the page
    // asks which one; ORES chosen, the payment is registered as if matched.
    let paul_reference: String = sqlx::query_scalar("SELECT reference FROM requests WHERE id = $1")
        .bind(&paul_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let page = text_of(&julien, app.url("/backoffice/statements")).await;
    let csrf = hidden(&page, "csrf_token");
    let response = julien
        .post(app.url(&format!("/backoffice/statements/lines/{line}/assign")))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("reference", "CMH-2026-999999".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Aucune demande ne porte cette référence")
    );
    let response = julien
        .post(app.url(&format!("/backoffice/statements/lines/{line}/assign")))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("reference", paul_reference.to_lowercase()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "Pour quel bénéficiaire de la demande {paul_reference} ?"
        )),
        "{page}"
    );
    assert!(page.contains(&format!("value=\"{paul_due}\"")), "{page}");
    let response = julien
        .post(app.url(&format!("/backoffice/statements/lines/{line}/assign")))
        .form(&[
            ("csrf_token", csrf.clone()),
            ("reference", paul_reference.clone()),
            ("due", paul_due.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        payments_of(&app, &paul_due).await,
        vec![
            ("100.00".to_owned(), today.to_string(), true),
            ("42.50".to_owned(), today.to_string(), true),
        ]
    );
    let page = text_of(&julien, app.url("/backoffice/statements?done=partial")).await;
    assert!(page.contains("Paiement partiel enregistré."), "{page}");
    assert!(page.contains("Aucun crédit à attribuer."), "{page}");
    // Assigned once: the line is no longer to assign.
    let response = julien
        .post(app.url(&format!("/backoffice/statements/lines/{line}/assign")))
        .form(&[("csrf_token", csrf), ("reference", paul_reference)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM due_payments").await, 3);
}

/// `party`'s due of request `id`: (due id, amount, communication, IBAN).
async fn due_of(app: &TestApp, id: &str, party: &str) -> (String, String, String, String) {
    sqlx::query_as(
        "SELECT d.id, d.amount, d.structured_communication, d.iban FROM offer_dues d \
         JOIN offers o ON o.id = d.offer_id \
         WHERE o.request_id = $1 AND d.party_name = $2",
    )
    .bind(id)
    .bind(party)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

async fn upload_to(
    app: &TestApp,
    staff: &reqwest::Client,
    base: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let page = text_of(staff, app.url(base)).await;
    let form = Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .part("file", Part::bytes(bytes).file_name("swde.cod"));
    let response = staff
        .post(app.url(base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn an_operator_reads_its_own_account_and_only_its_own_dues() {
    let app = spawn_app().await;
    seed::demo_crews(&app.state).await.unwrap();
    let id = accepted(&app, &marie()).await;
    let (swde_due, swde_amount, swde_communication, swde_iban) =
        due_of(&app, &id, "Société wallonne des eaux (SWDE)").await;
    let (ores_due, ores_amount, ores_communication, _) = ores_due(&app, &id).await;
    let account: String = swde_iban.split_whitespace().collect();
    let today = app.today();
    // SWDE's statement: its own due paid, and a credit with ORES' communication (paid to the
    // wrong operator): unknown to SWDE, which learns nothing of ORES' due.
    let statement = coda(
        &account,
        today,
        &[
            Credit {
                cents: cents(&swde_amount),
                structured: Some(&digits(&swde_communication)),
                free: "",
                payer: "DUPONT MARIE",
            },
            Credit {
                cents: cents(&ores_amount),
                structured: Some(&digits(&ores_communication)),
                free: "",
                payer: "DUPONT MARIE",
            },
        ],
    );
    let swde = app.signed_in("eau@swde.demo").await;
    let (status, page) = upload_to(&app, &swde, "/operator/statements", statement).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("1 paiement complet enregistré"), "{page}");
    assert!(page.contains("1 crédit à attribuer"), "{page}");
    assert!(page.contains("communication structurée inconnue"), "{page}");
    let reference: String = sqlx::query_scalar("SELECT reference FROM requests WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(!page.contains(&reference), "no request named: {page}");
    assert_eq!(
        payments_of(&app, &swde_due).await,
        vec![(swde_amount, today.to_string(), true)]
    );
    assert!(payments_of(&app, &ores_due).await.is_empty());
    // Nor can SWDE assign it to ORES' due by hand: the request pays SWDE only its own.
    let line: String =
        sqlx::query_scalar("SELECT id FROM bank_statement_lines WHERE outcome = 'to_assign'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let page = text_of(&swde, app.url("/operator/statements")).await;
    let response = swde
        .post(app.url(&format!("/operator/statements/lines/{line}/assign")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("reference", reference),
            ("due", ores_due.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(payments_of(&app, &ores_due).await.is_empty());
    // The coordinator's statements are another page: SWDE's lines are not in it.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url("/backoffice/statements")).await;
    assert!(page.contains("Aucun relevé chargé."), "{page}");
    let response = julien
        .get(app.url("/operator/statements"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}
