//! Mail goes through the outbox and a real SMTP conversation with a server the test starts.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use connect_my_home::{
    config::MailTransportKind,
    jobs::{
        Shutdown,
        outbox::{MAX_ATTEMPTS, Worker},
    },
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::Mutex,
};

use crate::helpers::{hidden, marie, spawn_app_with, text_of, with};

#[derive(Debug, Clone)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A small SMTP server: accepts every message, except that it answers the first
/// `fail_first` DATA commands with a temporary failure.
#[derive(Clone)]
struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    async fn start(fail_first: usize) -> Self {
        Self::start_with(fail_first, 0).await
    }

    /// The same, except that the first `hang_first` connections are accepted and then never
    /// answered: a relay that hangs.
    async fn start_with(fail_first: usize, hang_first: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let hangs = Arc::new(AtomicUsize::new(hang_first));
        let sink = SmtpSink {
            port,
            received: received.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                if hangs
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    // Holds the connection open without a word, longer than any test runs.
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(600)).await;
                        drop(stream);
                    });
                    continue;
                }
                let received = received.clone();
                let failures = failures.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read);
                    write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                    let (mut from, mut to) = (String::new(), Vec::new());
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let command = line.trim_end().to_ascii_uppercase();
                        if command.starts_with("EHLO") || command.starts_with("HELO") {
                            write
                                .write_all(b"250-sink.test\r\n250 8BITMIME\r\n")
                                .await
                                .unwrap();
                        } else if command.starts_with("MAIL FROM:") {
                            from = line.trim_end()[10..].trim().to_owned();
                            to.clear();
                            write.write_all(b"250 OK\r\n").await.unwrap();
                        } else if command.starts_with("RCPT TO:") {
                            to.push(line.trim_end()[8..].trim().to_owned());
                            write.write_all(b"250 OK\r\n").await.unwrap();
                        } else if command == "DATA" {
                            if failures
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok()
                            {
                                write
                                    .write_all(b"451 4.3.0 try again later\r\n")
                                    .await
                                    .unwrap();
                                continue;
                            }
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(&line);
                            }
                            received.lock().await.push(Received {
                                from: from.clone(),
                                to: to.clone(),
                                data,
                            });
                            write.write_all(b"250 OK queued\r\n").await.unwrap();
                        } else if command == "RSET" || command == "NOOP" {
                            write.write_all(b"250 OK\r\n").await.unwrap();
                        } else if command == "QUIT" {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        } else {
                            write.write_all(b"502 not implemented\r\n").await.unwrap();
                        }
                    }
                });
            }
        });
        sink
    }

    async fn messages(&self) -> Vec<Received> {
        self.received.lock().await.clone()
    }

    async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..100 {
            let messages = self.messages().await;
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the SMTP server did not receive {count} message(s)");
    }
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes enough to search the body.
fn decode_qp(data: &str) -> String {
    let joined = data.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(value) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_confirmation_reaches_a_real_smtp_server() {
    let sink = SmtpSink::start(0).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
    })
    .await;
    let (reference, _) = app.file_ok(&marie()).await;
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.to, vec!["<marie.dupont@example.be>".to_owned()]);
    assert!(message.from.contains("no-reply@connect-my-home.be"));
    let body = decode_qp(&message.data);
    assert!(
        body.contains(&reference),
        "subject or body names the reference"
    );
    assert!(body.contains("Message-ID: <"), "stable message id");
    assert!(body.contains("text/plain") && body.contains("text/html"));
    assert!(body.contains(&app.url("/track/")));
    app.wait_outbox_idle().await;
    let (status, attempts): (String, i64) = sqlx::query_as("SELECT status, attempts FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 1));
}

#[tokio::test]
async fn a_refused_delivery_is_retried_later_and_sent_once() {
    let sink = SmtpSink::start(1).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
    })
    .await;
    app.file_ok(&marie()).await;

    // The first attempt fails: the message waits with a backoff, nothing is lost.
    for _ in 0..100 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE attempts = 1 AND last_error IS NOT NULL")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, next_attempt_at, error): (String, String, Option<String>) =
        sqlx::query_as("SELECT status, next_attempt_at, last_error FROM outbox")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "pending");
    assert!(error.unwrap().contains("try again later"));
    let next = connect_my_home::clock::parse_timestamp(&next_attempt_at).unwrap();
    let wait = next - app.now();
    assert!(
        wait > chrono::Duration::seconds(20) && wait <= chrono::Duration::seconds(30),
        "{wait}"
    );
    assert!(sink.messages().await.is_empty());

    // Once due (the app's clock moves past the backoff), two workers race for it: exactly
    // one sends it.
    app.advance(wait + chrono::Duration::seconds(1));
    let worker = Worker::new(&app.state, Duration::from_millis(200));
    let (_running, running) = Shutdown::new();
    let (a, b) = tokio::join!(worker.deliver_due(&running), worker.deliver_due(&running));
    // The background worker may also have taken it; in every case it was sent exactly once.
    assert!(a.unwrap() + b.unwrap() <= 1);
    app.wait_outbox_idle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().await.len(), 1);
    let (status, attempts): (String, i64) = sqlx::query_as("SELECT status, attempts FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 2));
}

/// Waits (bounded) until `sql` counts `expected`.
async fn wait_count(app: &crate::helpers::TestApp, sql: &'static str, expected: i64) {
    for _ in 0..200 {
        if app.count(sql).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never counted {expected}: {sql}");
}

#[tokio::test]
async fn a_hung_relay_fails_that_attempt_and_the_next_mail_still_goes_out() {
    // The relay accepts the first connection and never answers it.
    let sink = SmtpSink::start_with(0, 1).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
        config.mail_send_timeout_secs = 1;
    })
    .await;
    app.file_ok(&marie()).await;
    app.file_ok(&with(&marie(), &[("email", "paul.martin@example.be")]))
        .await;

    // The hung attempt fails within the send timeout; the other mail is not held behind it.
    // Both may be claimed in one batch and sent concurrently, so either connection may be
    // the one the relay leaves hanging.
    let messages = sink.wait_for(1).await;
    let (delivered, hung) = if messages[0].to == vec!["<paul.martin@example.be>".to_owned()] {
        ("paul.martin@example.be", "marie.dupont@example.be")
    } else {
        assert_eq!(messages[0].to, vec!["<marie.dupont@example.be>".to_owned()]);
        ("marie.dupont@example.be", "paul.martin@example.be")
    };
    wait_count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 1 \
         AND last_error = 'no answer from the mail relay within 1 s'",
        1,
    )
    .await;

    // Retried like any failure once its backoff has passed, and delivered once.
    app.advance(chrono::Duration::seconds(31));
    let messages = sink.wait_for(2).await;
    assert_eq!(messages[1].to, vec![format!("<{hung}>")]);
    app.wait_outbox_idle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().await.len(), 2, "no message sent twice");
    // The retried attempt carries the Message-ID of its outbox row, as every attempt does.
    let hung_id: String = sqlx::query_scalar("SELECT id FROM outbox WHERE recipient = $1")
        .bind(hung)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        messages[1]
            .data
            .contains(&format!("Message-ID: <{hung_id}@connect-my-home.be>\r\n")),
        "{}",
        messages[1].data
    );
    let mut rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT recipient, status, attempts FROM outbox")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    rows.sort();
    let mut expected = vec![
        (hung.to_owned(), "sent".to_owned(), 2),
        (delivered.to_owned(), "sent".to_owned(), 1),
    ];
    expected.sort();
    assert_eq!(rows, expected);
}

/// The one outbox row sent to `recipient`: (status, attempts, last error, claimed until).
async fn row_to(
    app: &crate::helpers::TestApp,
    recipient: &str,
) -> (String, i64, Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT status, attempts, last_error, locked_until FROM outbox WHERE recipient = $1",
    )
    .bind(recipient)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_hung_delivery_does_not_hold_up_the_mail_behind_it() {
    // The relay hangs on the first connection; the send timeout is far longer than the wait
    // for the second mail: it must not queue behind the hung one.
    let sink = SmtpSink::start_with(0, 1).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
        config.mail_send_timeout_secs = 30;
    })
    .await;
    app.file_ok(&marie()).await;
    wait_count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE attempts = 1 AND locked_until IS NOT NULL",
        1,
    )
    .await;
    app.file_ok(&with(&marie(), &[("email", "paul.martin@example.be")]))
        .await;

    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, vec!["<paul.martin@example.be>".to_owned()]);
    // Marie's delivery is still in flight, neither failed nor sent.
    let (status, attempts, error, claimed) = row_to(&app, "marie.dupont@example.be").await;
    assert_eq!((status.as_str(), attempts, error), ("pending", 1, None));
    assert!(claimed.is_some());
}

#[tokio::test]
async fn a_claim_is_renewed_while_its_delivery_runs_and_no_second_sender_takes_it() {
    // A one-second claim, a delivery that hangs for five: without renewal the worker itself
    // would take the message again after a second and send a copy over a new connection.
    let sink = SmtpSink::start_with(0, 1).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
        config.mail_send_timeout_secs = 5;
        config.mail_claim_secs = 1;
    })
    .await;
    app.file_ok(&marie()).await;
    wait_count(&app, "SELECT COUNT(*) FROM outbox WHERE attempts = 1", 1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, attempts, error, claimed) = row_to(&app, "marie.dupont@example.be").await;
    assert_eq!((status.as_str(), attempts, error), ("pending", 1, None));
    let claimed =
        connect_my_home::clock::parse_timestamp(&claimed.expect("still claimed")).unwrap();
    assert!(claimed > app.now(), "the claim was pushed forward");
    assert!(sink.messages().await.is_empty(), "no second sender");
    // Nor another instance's worker.
    let (_running, running) = Shutdown::new();
    let other = Worker::new(&app.state, Duration::from_millis(50));
    assert_eq!(other.deliver_due(&running).await.unwrap(), 0);
    assert!(sink.messages().await.is_empty(), "no second sender");

    // The attempt times out; the renewal stops with it (the claim stays released).
    wait_count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE locked_until IS NULL \
         AND last_error = 'no answer from the mail relay within 5 s'",
        1,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, attempts, _, claimed) = row_to(&app, "marie.dupont@example.be").await;
    assert_eq!((attempts, claimed), (1, None));
}

#[tokio::test]
async fn a_claim_run_out_under_its_own_worker_is_not_sent_a_second_time() {
    // The clock jumps past the claim while the delivery hangs: the worker finds the message
    // due again, but it is its own send in flight.
    let sink = SmtpSink::start_with(0, 1).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
        config.mail_send_timeout_secs = 30;
    })
    .await;
    app.file_ok(&marie()).await;
    wait_count(&app, "SELECT COUNT(*) FROM outbox WHERE attempts = 1", 1).await;
    app.advance(chrono::Duration::minutes(5));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(sink.messages().await.is_empty(), "no second copy");
}

#[tokio::test]
async fn once_stopping_the_worker_finishes_the_send_in_flight_and_claims_no_more() {
    // No background worker: this test runs the rounds. One send at a time; the relay hangs
    // on the first connection.
    let sink = SmtpSink::start_with(0, 1).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
        config.mail_send_timeout_secs = 2;
        config.mail_concurrency = 1;
        config.run_workers = false;
    })
    .await;
    for email in [
        "marie.dupont@example.be",
        "paul.martin@example.be",
        "anne.leroy@example.be",
    ] {
        app.file_ok(&with(&marie(), &[("email", email)])).await;
    }
    let worker = Worker::new(&app.state, Duration::from_millis(50));
    let (stop, shutdown) = Shutdown::new();
    let round = tokio::spawn(async move { worker.deliver_due(&shutdown).await });
    wait_count(&app, "SELECT COUNT(*) FROM outbox WHERE attempts = 1", 1).await;
    stop.send(true).unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(10), round)
        .await
        .expect("the round ends once its send has")
        .unwrap()
        .unwrap();
    assert_eq!(sent, 0);
    // The send in flight ran to its end (timed out, recorded); the other two wait untouched.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM outbox WHERE attempts = 1 AND locked_until IS NULL \
             AND last_error = 'no answer from the mail relay within 2 s'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE attempts = 0 AND status = 'pending'")
            .await,
        2
    );
    assert!(sink.messages().await.is_empty());
}

#[tokio::test]
async fn an_unreachable_server_leaves_mail_pending_not_lost() {
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = port;
    })
    .await;
    app.file_ok(&marie()).await;
    for _ in 0..100 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE attempts >= 1")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 1")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests").await,
        1,
        "the filing stands"
    );
}

#[tokio::test]
async fn c_3_the_offer_reaches_a_real_smtp_server_with_its_pdf() {
    let sink = SmtpSink::start(0).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
    })
    .await;
    connect_my_home::demo::demo_crews(&app.state).await.unwrap();
    let (reference, id) = app.file_assessed(&marie()).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page_url = app.url(&format!("/backoffice/requests/{id}"));
    let page = crate::helpers::text_of(&julien, &page_url).await;
    let response = julien
        .post(format!("{page_url}/offer"))
        .form(&[
            ("csrf_token", crate::helpers::hidden(&page, "csrf_token")),
            ("key", crate::helpers::hidden(&page, "key")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let messages = sink.wait_for(2).await;
    let offer = messages
        .iter()
        .find(|m| m.data.contains("application/pdf"))
        .expect("the offer with its PDF");
    assert_eq!(offer.to, vec!["<marie.dupont@example.be>".to_owned()]);
    assert!(offer.data.contains("multipart/mixed"));
    assert!(offer.data.contains("text/plain") && offer.data.contains("text/html"));
    assert!(offer.data.contains(&format!("{reference}-offre-v1.pdf")));
    // The attachment is the PDF itself, base64-encoded ("%PDF" → "JVBER").
    assert!(offer.data.contains("JVBER"));
}

/// Files Marie's request with a relay that refuses every automatic attempt, moving the clock
/// past each backoff, until her confirmation is failed. Returns the message id.
async fn confirmation_failed_for_good(app: &crate::helpers::TestApp) -> String {
    app.file_ok(&marie()).await;
    for attempt in 1..=MAX_ATTEMPTS {
        let mut settled = false;
        for _ in 0..200 {
            let (attempts, locked): (i64, Option<String>) =
                sqlx::query_as("SELECT attempts, locked_until FROM outbox")
                    .fetch_one(&app.state.db.pool)
                    .await
                    .unwrap();
            if attempts == attempt && locked.is_none() {
                settled = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(settled, "attempt {attempt} never ended");
        if attempt < MAX_ATTEMPTS {
            app.advance(chrono::Duration::seconds(3600));
        }
    }
    let (id, status, error, next): (String, String, String, String) =
        sqlx::query_as("SELECT id, status, last_error, next_attempt_at FROM outbox")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("try again later"), "{error}");
    // The applicant's only copy of their link is still tried again by itself, hourly.
    let wait = connect_my_home::clock::parse_timestamp(&next).unwrap() - app.now();
    assert!(
        wait > chrono::Duration::minutes(59) && wait <= chrono::Duration::minutes(60),
        "{wait}"
    );
    id
}

#[tokio::test]
async fn a_failed_mail_is_shown_to_the_administrator_who_retries_it_and_it_goes_once() {
    let sink = SmtpSink::start(MAX_ATTEMPTS as usize).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
    })
    .await;
    let id = confirmation_failed_for_good(&app).await;
    let error: String = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();

    let admin = app.signed_in("admin@connect-my-home.demo").await;
    let page = text_of(&admin, app.url("/admin/outbox")).await;
    // Its state, attempts, error and next automatic attempt (an hour after the eighth, made
    // at 17:00 Brussels time), with a retry button; and the alert above.
    assert!(
        page.contains(&format!(
            "<td>Échec</td>\n      <td>8</td>\n      <td>{error}</td>\n      \
             <td>02/12/2026 18:00</td>\n      \
             <td><form method=\"post\" action=\"/admin/outbox/{id}/retry\">"
        )),
        "{page}"
    );
    assert!(
        page.contains(
            "1 e-mail n&#39;a pas pu être envoyé après toutes les tentatives automatiques."
        )
    );
    assert!(page.contains("action=\"/admin/outbox/retry\""));
    assert!(sink.messages().await.is_empty());

    // The relay is back (it refused only the automatic attempts): the administrator retries.
    let response = admin
        .post(app.url(&format!("/admin/outbox/{id}/retry")))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/admin/outbox");
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, vec!["<marie.dupont@example.be>".to_owned()]);
    app.wait_outbox_idle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().await.len(), 1, "delivered once");
    let (status, attempts): (String, i64) = sqlx::query_as("SELECT status, attempts FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 1));
    let page = text_of(&admin, app.url("/admin/outbox")).await;
    assert!(!page.contains("pas pu être envoyés"), "the alert is gone");
    assert!(!page.contains("action=\"/admin/outbox/retry\""));

    // Text that is no message's id is not found, to open as to retry; never a 500.
    for id in ["CMH-2026-000001", "0193a5b2-7c1d"] {
        let response = admin
            .get(app.url(&format!("/admin/outbox/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{id}");
        let response = admin
            .post(app.url(&format!("/admin/outbox/{id}/retry")))
            .form(&[("csrf_token", hidden(&page, "csrf_token"))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{id}");
        assert!(response.text().await.unwrap().contains("Page introuvable"));
    }
}

#[tokio::test]
async fn a_failed_confirmation_is_still_tried_again_hourly_by_itself() {
    let sink = SmtpSink::start(MAX_ATTEMPTS as usize).await;
    let app = spawn_app_with(|config| {
        config.mail_transport = MailTransportKind::Smtp;
        config.smtp_port = sink.port;
    })
    .await;
    confirmation_failed_for_good(&app).await;
    app.advance(chrono::Duration::seconds(3601));
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, vec!["<marie.dupont@example.be>".to_owned()]);
    app.wait_outbox_idle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().await.len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        1
    );
}
