//! The read models of the large pages (the queue's counts and communes, the nuisance figures
//! of C-6): rebuilt from the stored data after a bulk load, and checked against such a
//! rebuild.

use crate::{
    db::{Db, DbError, summaries},
    state::AppState,
};

/// Recomputes every read model from the stored data, in one transaction.
pub async fn rebuild(db: &Db) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    summaries::hold_still(&mut tx).await?;
    summaries::rebuild(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// What the read models hold and a rebuild from the stored data would not, and the other way
/// round (`-` kept, `+` recomputed); empty when they agree. Nothing is changed: the rebuild is
/// rolled back.
pub async fn check(state: &AppState) -> Result<Vec<String>, DbError> {
    let mut tx = state.db.begin_write().await?;
    summaries::hold_still(&mut tx).await?;
    let kept = summaries::snapshot(&mut tx).await?;
    summaries::rebuild(&mut tx).await?;
    let recomputed = summaries::snapshot(&mut tx).await?;
    tx.rollback().await?;
    let mut differences: Vec<String> = kept
        .iter()
        .filter(|row| !recomputed.contains(row))
        .map(|row| format!("- {row}"))
        .collect();
    differences.extend(
        recomputed
            .iter()
            .filter(|row| !kept.contains(row))
            .map(|row| format!("+ {row}")),
    );
    Ok(differences)
}
