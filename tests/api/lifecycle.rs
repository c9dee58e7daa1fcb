//! The process's life: it stops on SIGTERM without cutting a request in flight.

use crate::helpers::{fresh_postgres, postgres_server, spawn_app};
use connect_my_home::{app::Application, config::Config};
use sqlx::{Connection, Executor};

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// Starts the binary on a free port with a fresh SQLite database; returns it and its address.
fn start_binary(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_connect-my-home"))
        .arg("serve")
        .env("CMH_BIND", "127.0.0.1:0")
        .env("CMH_DATA_DIR", data_dir)
        .env("CMH_SEED_DEMO", "false")
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("CMH_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("Connect my home is running at http://") {
                let _ = tx.send(url.trim_end_matches('/').to_owned());
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the binary says where it listens");
    (child, address)
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_0() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, address) = start_binary(data.path());

    // A request whose body is still on its way when the signal comes.
    let body = "email=marie%40example.be&language=fr";
    let (first, rest) = body.split_at(10);
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /link/lost HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // It stops accepting at once...
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&address).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // ...but the request in flight gets its whole answer.
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status_line = response.lines().next().unwrap_or_default().to_owned();
    assert_eq!(status_line, "HTTP/1.1 403 Forbidden", "{response}");

    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn healthz_and_readyz_answer_anyone_and_are_never_cached() {
    let app = spawn_app().await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8",
            "{path}"
        );
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }
}

#[tokio::test]
async fn readyz_is_503_with_the_reason_when_the_database_is_gone() {
    let app = spawn_app().await;
    // The pool closed: what a lost database looks like from inside.
    app.state.db.pool.close().await;
    let health = reqwest::get(format!("{}/healthz", app.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let response = reqwest::get(format!("{}/readyz", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.text().await.unwrap(),
        "not ready: database unreachable: attempted to acquire a connection on a closed pool"
    );
}

#[tokio::test]
async fn the_port_accepts_connections_only_once_the_database_is_prepared() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = Config::local(data.path().to_path_buf());
    config.bind = format!("127.0.0.1:{port}").parse().unwrap();
    config.seed_demo = false;
    // Another process holds the database: preparing it waits (SQLite's busy timeout).
    let url = config.database_url();
    let mut holder = sqlx::SqliteConnection::connect(&url).await.unwrap();
    holder.execute("BEGIN EXCLUSIVE").await.unwrap();
    let building = tokio::spawn(Application::build(config));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !building.is_finished(),
        "preparing did not wait for the database"
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "the port accepted a connection before the database was prepared"
    );
    holder.execute("ROLLBACK").await.unwrap();
    drop(holder);
    let app = tokio::time::timeout(Duration::from_secs(60), building)
        .await
        .expect("prepared within a minute")
        .unwrap()
        .expect("app builds");
    assert_eq!(app.port(), port);
    tokio::spawn(app.run_until_stopped());
    let response = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn two_instances_starting_together_on_a_new_postgres_database_both_start() {
    // Only PostgreSQL lets two processes seed one new database at the same moment.
    let Some(server) = postgres_server() else {
        return;
    };
    let (url, name) = fresh_postgres(&server).await;
    let config = |dir: &std::path::Path| {
        let mut config = Config::local(dir.to_path_buf());
        config.database_url = Some(url.clone());
        config.seed_demo = true;
        config
    };
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, second) = tokio::time::timeout(
        Duration::from_secs(300),
        futures::future::join(
            Application::build(config(one.path())),
            Application::build(config(two.path())),
        ),
    )
    .await
    .expect("both prepared within five minutes");
    let first = first.expect("the first instance starts");
    let second = second.expect("the second instance starts");
    let users = |app: &Application| {
        let db = app.state().db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
                .fetch_one(&db.pool)
                .await
                .unwrap()
        }
    };
    let (seen_by_first, seen_by_second) = (users(&first).await, users(&second).await);
    assert_eq!(seen_by_first, seen_by_second);
    assert_eq!(
        seen_by_first,
        connect_my_home::demo::DEMO_USERS.len() as i64,
        "each demo account seeded once"
    );
    first.state().db.pool.close().await;
    second.state().db.pool.close().await;
    let admin = format!("{}/postgres", server.trim_end_matches('/'));
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .await
    .unwrap();
}
