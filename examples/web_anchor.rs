//! The anchor of the web load benchmark (bench/web): a bare axum + sqlx server on the same
//! machine, database engine and pool settings as the product, doing the least a page can do.
//!
//! - `GET /plaintext`: a constant body, no database;
//! - `GET /rows/{key}`: one row by primary key, rendered as a short text;
//! - `POST /rows`: a urlencoded form parsed with serde, inserted in one statement.
//!
//! usage: `web_anchor --bind 127.0.0.1:18081 --database-url sqlite:///tmp/a.db?mode=rwc`
//! (or `postgres://…`). The table is created and seeded with `--rows` rows (keys `row-1` …).

use std::{net::SocketAddr, str::FromStr, time::Duration};

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use clap::Parser;
use serde::Deserialize;
use sqlx::{
    AnyPool,
    any::{AnyConnectOptions, AnyPoolOptions},
};

/// The product's allocator (src/main.rs), so that the two compare on the same footing.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:18081")]
    bind: SocketAddr,
    #[arg(long)]
    database_url: String,
    /// Rows seeded for the GET by key.
    #[arg(long, default_value_t = 10_000)]
    rows: i64,
}

/// The same pool as the product's `Db::connect` (src/db/mod.rs): 8 connections on SQLite with
/// WAL, synchronous NORMAL, foreign keys, a 15 s busy timeout, 256 MB mapped and 16 MB of
/// page cache per connection; 10 on PostgreSQL.
async fn connect(url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(if sqlite { 8 } else { 10 })
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if sqlite {
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000; \
                         PRAGMA mmap_size = 268435456; PRAGMA cache_size = -16384;",
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

async fn prepare(pool: &AnyPool, rows: i64) -> anyhow::Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS anchor_rows (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            postcode TEXT NOT NULL,
            remarks TEXT,
            created_at TEXT NOT NULL
        )",
    )
    .execute(pool)
    .await?;
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM anchor_rows")
        .fetch_one(pool)
        .await?;
    if existing == 0 {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO anchor_rows (key, name, email, postcode, remarks, created_at) \
             SELECT 'row-' || i, 'Marie Dupont ' || i, 'marie' || i || '@example.be', '5000', \
                    'Chantier démarré', '2026-12-01T08:00:00.000000Z' FROM n",
        )
        .bind(rows)
        .execute(pool)
        .await?;
    }
    Ok(())
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[derive(sqlx::FromRow)]
struct Row {
    key: String,
    name: String,
    email: String,
    postcode: String,
    remarks: Option<String>,
    created_at: String,
}

async fn get_row(State(pool): State<AnyPool>, Path(key): Path<String>) -> Response {
    let row: Result<Option<Row>, _> = sqlx::query_as(
        "SELECT key, name, email, postcode, remarks, created_at FROM anchor_rows WHERE key = $1",
    )
    .bind(&key)
    .fetch_optional(&pool)
    .await;
    match row {
        Ok(Some(row)) => format!(
            "{} {} <{}> {} {} {}",
            row.key,
            row.name,
            row.email,
            row.postcode,
            row.remarks.unwrap_or_default(),
            row.created_at
        )
        .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct NewRow {
    name: String,
    email: String,
    postcode: String,
    #[serde(default)]
    remarks: String,
}

#[expect(
    clippy::disallowed_methods,
    reason = "the anchor is a bare server with no clock of its own"
)]
async fn insert_row(State(pool): State<AnyPool>, Form(form): Form<NewRow>) -> Response {
    let key = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let inserted = sqlx::query(
        "INSERT INTO anchor_rows (key, name, email, postcode, remarks, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&key)
    .bind(form.name)
    .bind(form.email)
    .bind(form.postcode)
    .bind(form.remarks)
    .bind(now)
    .execute(&pool)
    .await;
    match inserted {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [("location", format!("/rows/{key}"))],
        )
            .into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pool = connect(&args.database_url).await?;
    prepare(&pool, args.rows).await?;
    let app = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/rows/{key}", get(get_row))
        .route("/rows", post(insert_row))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    println!("web anchor listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
