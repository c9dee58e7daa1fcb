//! The revisions that tell a kept view (`services::kept`) from a stale one (migration
//! `20261220000100_case_file_revisions`): `requests.revision` moves with every write to the
//! request or to a row that hangs off it, `shared_revision` with every write to what every case
//! file also reads. Both move by triggers, so that no write path — the product's, an
//! administrator's SQL, a bulk load — can change a case file without the reader seeing it.
//!
//! `organisation_revisions` moves with every write to what an organisation's large pages read
//! (migration `20261220000200_organisation_revisions`).
//!
//! On PostgreSQL, a session ended or an account changed is also told to every instance
//! (`NOTIFY`), which forgets the sessions it keeps (`db::sessions`).
//!
//! A request being filed ([`BEING_FILED`]) has no reader yet: the rows its filing writes beside
//! it do not move its revision, which would rewrite its row once for each of them.
//!
//! Trigger syntax differs between the engines, so the triggers are installed here after the
//! migrations, from one list, and replaced at every start (a changed list takes effect on the
//! next start).

use super::{Db, DbResult, Engine, Scope};

/// The revision of a request while its filing's transaction writes it and what hangs off it
/// (`db::requests::insert_being_filed`); the filing sets it to 0 once its rows are written.
pub const BEING_FILED: i64 = -1;

/// How a table's row names the request it belongs to, as an SQL expression over the row
/// alias (`NEW` or `OLD`).
struct RequestTable {
    table: &'static str,
    request_of: fn(&str) -> String,
}

fn direct(row: &str) -> String {
    format!("{row}.request_id")
}

fn via_assessment(row: &str) -> String {
    format!("(SELECT a.request_id FROM assessments a WHERE a.id = {row}.assessment_id)")
}

fn via_offer(row: &str) -> String {
    format!("(SELECT o.request_id FROM offers o WHERE o.id = {row}.offer_id)")
}

fn via_due(row: &str) -> String {
    format!(
        "(SELECT o.request_id FROM offer_dues d JOIN offers o ON o.id = d.offer_id \
         WHERE d.id = {row}.due_id)"
    )
}

fn via_permit(row: &str) -> String {
    format!("(SELECT p.request_id FROM permits p WHERE p.id = {row}.permit_id)")
}

/// Every table a case file reads of one request, besides `requests` itself.
const REQUEST_TABLES: &[RequestTable] = &[
    RequestTable {
        table: "request_services",
        request_of: direct,
    },
    RequestTable {
        table: "request_parties",
        request_of: direct,
    },
    RequestTable {
        table: "request_events",
        request_of: direct,
    },
    RequestTable {
        table: "assessments",
        request_of: direct,
    },
    RequestTable {
        table: "assessment_versions",
        request_of: via_assessment,
    },
    RequestTable {
        table: "reservations",
        request_of: direct,
    },
    RequestTable {
        table: "documents",
        request_of: direct,
    },
    RequestTable {
        table: "offers",
        request_of: direct,
    },
    RequestTable {
        table: "offer_dues",
        request_of: via_offer,
    },
    RequestTable {
        table: "due_payments",
        request_of: via_due,
    },
    RequestTable {
        table: "permit_sites",
        request_of: direct,
    },
    RequestTable {
        table: "permits",
        request_of: direct,
    },
    RequestTable {
        table: "permit_works",
        request_of: via_permit,
    },
    RequestTable {
        table: "permit_actions",
        request_of: via_permit,
    },
    RequestTable {
        table: "dossier_invoices",
        request_of: direct,
    },
    RequestTable {
        table: "acceptance_codes",
        request_of: direct,
    },
];

/// What every case file may also read: operators and their names and coverage, the users
/// (case officers), crews, their communes, absences and bookings (the joint-day candidates),
/// construction holidays, referral texts and tariff books.
const SHARED_TABLES: &[&str] = &[
    "organisations",
    "users",
    "coverage",
    "referrals",
    "tariff_books",
    "crews",
    "crew_communes",
    "crew_absences",
    "crew_days",
    "reservations",
    "construction_holidays",
];

/// The advisory lock of the installation (any fixed key no other lock uses).
const REVISIONS_LOCK_KEY: i64 = 2_026_122_001;

/// What an organisation's large pages read (the nuisance figures, a commune's permits), with
/// the column naming the organisation: each write moves `organisation_revisions`.
const ORGANISATION_TABLES: &[(&str, &str)] = &[
    ("nuisance_days", "organisation_id"),
    ("permits", "municipality_id"),
];

const OPERATIONS: [&str; 3] = ["INSERT", "UPDATE", "DELETE"];

/// The statements that (re)create every trigger on `engine`, in order.
fn statements(engine: Engine) -> Vec<String> {
    let mut out = Vec::new();
    match engine {
        Engine::Sqlite => {
            // The guard stops the trigger's own update, and the children's (which move the
            // revision themselves), from counting twice.
            out.push("DROP TRIGGER IF EXISTS revision_requests".to_owned());
            out.push(
                "CREATE TRIGGER revision_requests AFTER UPDATE ON requests \
                 WHEN NEW.revision = OLD.revision \
                 BEGIN UPDATE requests SET revision = OLD.revision + 1 WHERE id = NEW.id; END"
                    .to_owned(),
            );
            for t in REQUEST_TABLES {
                for op in OPERATIONS {
                    let name = format!("revision_{}_{}", t.table, op.to_lowercase());
                    let row = if op == "DELETE" { "OLD" } else { "NEW" };
                    out.push(format!("DROP TRIGGER IF EXISTS {name}"));
                    out.push(format!(
                        "CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN \
                         UPDATE requests SET revision = revision + 1 \
                         WHERE id = {of} AND revision >= 0; END",
                        table = t.table,
                        of = (t.request_of)(row),
                    ));
                }
            }
            for table in SHARED_TABLES {
                for op in OPERATIONS {
                    let name = format!("shared_revision_{table}_{}", op.to_lowercase());
                    out.push(format!("DROP TRIGGER IF EXISTS {name}"));
                    out.push(format!(
                        "CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN \
                         UPDATE shared_revision SET revision = revision + 1 WHERE id = 1; END"
                    ));
                }
            }
            out.push("DROP TRIGGER IF EXISTS organisation_revision_row".to_owned());
            out.push(
                "CREATE TRIGGER organisation_revision_row AFTER INSERT ON organisations BEGIN \
                 INSERT INTO organisation_revisions (organisation_id, revision) \
                 VALUES (NEW.id, 0); END"
                    .to_owned(),
            );
            for (table, column) in ORGANISATION_TABLES {
                for op in OPERATIONS {
                    let name = format!("organisation_revision_{table}_{}", op.to_lowercase());
                    let organisations = match op {
                        "INSERT" => format!("NEW.{column}"),
                        "DELETE" => format!("OLD.{column}"),
                        _ => format!("OLD.{column}, NEW.{column}"),
                    };
                    out.push(format!("DROP TRIGGER IF EXISTS {name}"));
                    out.push(format!(
                        "CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN \
                         UPDATE organisation_revisions SET revision = revision + 1 \
                         WHERE organisation_id IN ({organisations}); END"
                    ));
                }
            }
        }
        Engine::Postgres => {
            out.push(
                "CREATE OR REPLACE FUNCTION revision_requests() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN NEW.revision := OLD.revision + 1; RETURN NEW; END $$"
                    .to_owned(),
            );
            out.push(
                "CREATE OR REPLACE TRIGGER revision_requests BEFORE UPDATE ON requests \
                 FOR EACH ROW WHEN (NEW.revision = OLD.revision) \
                 EXECUTE FUNCTION revision_requests()"
                    .to_owned(),
            );
            for t in REQUEST_TABLES {
                out.push(format!(
                    "CREATE OR REPLACE FUNCTION revision_{table}() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     IF TG_OP = 'DELETE' THEN \
                     UPDATE requests SET revision = revision + 1 \
                     WHERE id = {old} AND revision >= 0; RETURN OLD; \
                     END IF; \
                     UPDATE requests SET revision = revision + 1 \
                     WHERE id = {new} AND revision >= 0; RETURN NEW; \
                     END $$",
                    table = t.table,
                    old = (t.request_of)("OLD"),
                    new = (t.request_of)("NEW"),
                ));
                out.push(format!(
                    "CREATE OR REPLACE TRIGGER revision_{table} \
                     AFTER INSERT OR UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION revision_{table}()",
                    table = t.table,
                ));
            }
            out.push(
                "CREATE OR REPLACE FUNCTION shared_revision() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 UPDATE shared_revision SET revision = revision + 1 WHERE id = 1; RETURN NULL; \
                 END $$"
                    .to_owned(),
            );
            for table in SHARED_TABLES {
                out.push(format!(
                    "CREATE OR REPLACE TRIGGER shared_revision_{table} \
                     AFTER INSERT OR UPDATE OR DELETE ON {table} \
                     FOR EACH STATEMENT EXECUTE FUNCTION shared_revision()"
                ));
            }
            out.push(
                "CREATE OR REPLACE FUNCTION organisation_revision_row() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 INSERT INTO organisation_revisions (organisation_id, revision) \
                 VALUES (NEW.id, 0); RETURN NULL; END $$"
                    .to_owned(),
            );
            out.push(
                "CREATE OR REPLACE TRIGGER organisation_revision_row \
                 AFTER INSERT ON organisations \
                 FOR EACH ROW EXECUTE FUNCTION organisation_revision_row()"
                    .to_owned(),
            );
            for (table, column) in ORGANISATION_TABLES {
                out.push(format!(
                    "CREATE OR REPLACE FUNCTION organisation_revision_{table}() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     IF TG_OP <> 'INSERT' THEN UPDATE organisation_revisions \
                     SET revision = revision + 1 WHERE organisation_id = OLD.{column}; END IF; \
                     IF TG_OP <> 'DELETE' THEN UPDATE organisation_revisions \
                     SET revision = revision + 1 WHERE organisation_id = NEW.{column}; END IF; \
                     RETURN NULL; END $$"
                ));
                out.push(format!(
                    "CREATE OR REPLACE TRIGGER organisation_revision_{table} \
                     AFTER INSERT OR UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION organisation_revision_{table}()"
                ));
            }
            // Every instance hears of a session ended or an account changed, whoever wrote
            // it, and forgets the sessions it keeps (`sessions`). Delivered at commit.
            out.push(format!(
                "CREATE OR REPLACE FUNCTION sessions_changed() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('{channel}', ''); \
                 RETURN NULL; END $$",
                channel = super::sessions::CHANGED_CHANNEL,
            ));
            for table in ["sessions", "users", "organisations"] {
                out.push(format!(
                    "CREATE OR REPLACE TRIGGER sessions_changed_{table} \
                     AFTER UPDATE OR DELETE ON {table} \
                     FOR EACH STATEMENT EXECUTE FUNCTION sessions_changed()"
                ));
            }
        }
    }
    out
}

/// (Re)creates the triggers, in one transaction; on PostgreSQL under a lock, so that
/// instances starting together do not replace them under each other.
pub async fn install(db: &Db) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    if db.engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(REVISIONS_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
    }
    for statement in statements(db.engine) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The revision of the large pages of `scope`'s organisation (0 before any write).
pub async fn of_organisation(db: &Db, scope: &Scope) -> DbResult<i64> {
    let revision: Option<i64> = sqlx::query_scalar(
        "SELECT revision FROM organisation_revisions WHERE organisation_id = $1",
    )
    .bind(scope.organisation_id())
    .fetch_optional(&db.pool)
    .await?;
    Ok(revision.unwrap_or(0))
}
