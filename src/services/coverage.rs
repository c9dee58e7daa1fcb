//! An operator's coverage: the communes its organisation serves (rule C-7: coverage is data).
//! Changes apply to requests filed from then on.

use crate::{
    db::{DbError, coverage},
    domain::tenancy::Scope,
    state::AppState,
};

/// The NIS codes of the communes the caller's organisation serves, in code order.
pub async fn communes(state: &AppState, scope: &Scope) -> Result<Vec<String>, DbError> {
    coverage::own(&state.db, scope).await
}

/// Adds communes (NIS codes) to the caller's organisation's coverage; those already served
/// stay as they are.
pub async fn add(state: &AppState, scope: &Scope, communes: &[String]) -> Result<(), DbError> {
    let codes: Vec<&str> = communes.iter().map(String::as_str).collect();
    coverage::add(&state.db, scope.organisation_id(), &codes).await
}

/// Removes communes (NIS codes) from the caller's organisation's coverage; returns how many
/// were served.
pub async fn remove(state: &AppState, scope: &Scope, communes: &[String]) -> Result<u64, DbError> {
    coverage::remove_own(&state.db, scope, communes).await
}
