//! Dynamic SQL with numbered placeholders.
//!
//! sqlx's `QueryBuilder` for the `Any` driver writes `?` placeholders, which PostgreSQL
//! refuses; `$1`, `$2`… are understood by both SQLite and PostgreSQL.

use std::fmt::Write;

use sqlx::{
    Any, Arguments, FromRow,
    any::{AnyArguments, AnyRow},
    query::{Query, QueryAs, QueryScalar},
};

use super::DbResult;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Bound {
    Text(String),
    Int(i64),
    /// A NULL text column.
    NoText,
    /// A NULL integer column (PostgreSQL refuses a text NULL there).
    NoInt,
}

impl From<Option<i64>> for Bound {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Bound::NoInt, Bound::Int)
    }
}

impl From<&Option<String>> for Bound {
    fn from(value: &Option<String>) -> Self {
        value.as_deref().map_or(Bound::NoText, Bound::from)
    }
}

impl From<Option<&str>> for Bound {
    fn from(value: Option<&str>) -> Self {
        value.map_or(Bound::NoText, Bound::from)
    }
}

impl From<bool> for Bound {
    fn from(value: bool) -> Self {
        Bound::Int(i64::from(value))
    }
}

impl From<Option<String>> for Bound {
    fn from(value: Option<String>) -> Self {
        value.map_or(Bound::NoText, Bound::Text)
    }
}

impl From<String> for Bound {
    fn from(value: String) -> Self {
        Bound::Text(value)
    }
}

impl From<&str> for Bound {
    fn from(value: &str) -> Self {
        Bound::Text(value.to_owned())
    }
}

/// Ids are bound as the text they are stored as.
macro_rules! bound_ids {
    ($($id:ident),*) => {$(
        impl From<crate::domain::$id> for Bound {
            fn from(value: crate::domain::$id) -> Self {
                Bound::Text(value.to_string())
            }
        }

        impl From<Option<crate::domain::$id>> for Bound {
            fn from(value: Option<crate::domain::$id>) -> Self {
                value.map_or(Bound::NoText, Bound::from)
            }
        }
    )*};
}

bound_ids!(
    RequestId,
    OrganisationId,
    UserId,
    OutboxId,
    EndpointId,
    DeliveryId
);

impl From<i64> for Bound {
    fn from(value: i64) -> Self {
        Bound::Int(value)
    }
}

#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    binds: Vec<Bound>,
    /// Placeholders sent as `?`, in order (SQLite).
    anonymous: bool,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            binds: Vec::new(),
            anonymous: false,
        }
    }

    /// The placeholders `engine` reads fastest: on SQLite, `?` in order. SQLite finds each
    /// `$N` by walking the statement's list of names, once as it prepares the statement and
    /// again as sqlx binds each value: a cost in the square of their number, which made a
    /// third of the writer's time when a group of filings was written in multi-row statements
    /// (some 1,500 values for 32 requests).
    pub fn for_engine(&mut self, engine: super::Engine) -> &mut Self {
        self.anonymous = engine == super::Engine::Sqlite;
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub fn push_bind(&mut self, value: impl Into<Bound>) -> &mut Self {
        self.binds.push(value.into());
        let _ = write!(self.text, "${}", self.binds.len());
        self
    }

    /// Remembers the value of the next placeholder when the text already holds it (a shared
    /// condition written with `$1`).
    pub fn bind_written(&mut self, value: impl Into<Bound>) -> &mut Self {
        self.binds.push(value.into());
        self
    }

    /// Appends a row count (`LIMIT`, `OFFSET`) as a number in the text, not a placeholder:
    /// PostgreSQL plans a prepared statement once for any value, and for an unknown `LIMIT` it
    /// expects a tenth of the rows, so a 50-line page of 100,000 requests started parallel
    /// workers (11 ms instead of 0.6). A number cannot carry anything else into the text.
    pub fn push_count(&mut self, count: u64) -> &mut Self {
        let _ = write!(self.text, "{count}");
        self
    }

    /// Appends `($1, $2, …)`, one placeholder per value, for an `IN` list (at least one).
    pub fn push_list<V: Into<Bound>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self.push(")")
    }

    /// Appends `(…), (…)` rows of placeholders for a multi-row `VALUES`.
    pub fn push_rows<T>(&mut self, rows: &[T], mut row: impl FnMut(&T) -> Vec<Bound>) -> &mut Self {
        for (index, item) in rows.iter().enumerate() {
            self.push(if index == 0 { "(" } else { ", (" });
            for (column, value) in row(item).into_iter().enumerate() {
                if column > 0 {
                    self.push(", ");
                }
                self.push_bind(value);
            }
            self.push(")");
        }
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text as sent: with `?` placeholders where asked and where every `$N` of the text
    /// is the next value's, in order (a text that names `$1` twice keeps its numbers).
    fn sent_text(&self) -> Option<String> {
        if !self.anonymous {
            return None;
        }
        let mut pieces = self.text.split('$');
        let mut sent = String::with_capacity(self.text.len());
        sent.push_str(pieces.next().unwrap_or_default());
        let mut next = 1;
        for piece in pieces {
            let digits = piece.len() - piece.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if piece[..digits].parse::<usize>().ok() != Some(next) {
                return None;
            }
            next += 1;
            sent.push('?');
            sent.push_str(&piece[digits..]);
        }
        (next == self.binds.len() + 1).then_some(sent)
    }

    fn arguments(self) -> DbResult<(String, AnyArguments)> {
        let text = self.sent_text().unwrap_or(self.text);
        let mut arguments = AnyArguments::default();
        for value in self.binds {
            match value {
                Bound::Text(text) => arguments.add(text),
                Bound::Int(int) => arguments.add(int),
                Bound::NoText => arguments.add(None::<String>),
                Bound::NoInt => arguments.add(None::<i64>),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok((text, arguments))
    }

    pub fn query(self) -> DbResult<Query<'static, Any, AnyArguments>> {
        let (text, arguments) = self.arguments()?;
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(text), arguments))
    }

    pub fn query_as<T>(self) -> DbResult<QueryAs<'static, Any, T, AnyArguments>>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        let (text, arguments) = self.arguments()?;
        Ok(sqlx::query_as_with(sqlx::AssertSqlSafe(text), arguments))
    }

    /// The query of one column, each row read as a `T`.
    pub fn query_scalar<T>(self) -> DbResult<QueryScalar<'static, Any, T, AnyArguments>>
    where
        (T,): for<'r> FromRow<'r, AnyRow>,
    {
        let (text, arguments) = self.arguments()?;
        Ok(sqlx::query_scalar_with(
            sqlx::AssertSqlSafe(text),
            arguments,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT * FROM t WHERE a = ");
        sql.push_bind("x").push(" AND b = ").push_bind(3_i64);
        sql.push(" AND (c, d) IN (VALUES ");
        sql.push_rows(&[1_i64, 2], |n| vec![Bound::Int(*n), Bound::from("y")]);
        sql.push(")");
        assert_eq!(
            sql.text(),
            "SELECT * FROM t WHERE a = $1 AND b = $2 AND (c, d) IN (VALUES ($3, $4), ($5, $6))"
        );
        sql.for_engine(crate::db::Engine::Sqlite);
        assert_eq!(
            sql.sent_text().as_deref(),
            Some("SELECT * FROM t WHERE a = ? AND b = ? AND (c, d) IN (VALUES (?, ?), (?, ?))")
        );
        sql.for_engine(crate::db::Engine::Postgres);
        assert_eq!(sql.sent_text(), None);
    }

    #[test]
    fn a_text_naming_a_value_twice_keeps_its_numbers_on_sqlite() {
        let mut sql = Sql::new("SELECT * FROM t WHERE a = $1 OR b = $1 AND c = ");
        sql.bind_written("x")
            .push_bind("y")
            .for_engine(crate::db::Engine::Sqlite);
        assert_eq!(sql.sent_text(), None);
        let mut sql = Sql::new("SELECT '$2' FROM t WHERE a = ");
        sql.push_bind("x").for_engine(crate::db::Engine::Sqlite);
        assert_eq!(sql.sent_text(), None);
    }
}
