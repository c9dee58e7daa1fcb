//! Tariff books at run time: the embedded books plus those operator administrators uploaded,
//! and the upload itself. An upload is validated like the embedded books (schema, no negative
//! price, no overlapping validity: V-5 must find one book per date) and refused with the
//! exact error, nothing saved.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::tenancy::{OrganisationKind, Role};
use crate::{
    db::{
        Db, DbError, Scope, organisations,
        sessions::SessionUser,
        tariff_books::{self, NewBook},
    },
    domain::Service,
    state::AppState,
    tariff::{Operator, TariffBook, TariffError, Tariffs, parse_book},
};

/// The tariff operator behind an organisation's service: ORES runs electricity and gas.
/// Partners joined by configuration have no tariff book (their offer is in their file).
pub fn operator_of_service(service: &str) -> Option<Operator> {
    match service.parse::<Service>().ok()? {
        Service::Electricity | Service::Gas => Some(Operator::Ores),
        Service::Water => Some(Operator::Swde),
        Service::Proximus => Some(Operator::Proximus),
        Service::Voo => Some(Operator::Voo),
    }
}

/// The operator whose books `user` may upload, if any: an operator administrator, for the
/// operator of their own organisation.
pub async fn uploader_operator(db: &Db, user: &SessionUser) -> Result<Option<Operator>, DbError> {
    if user.role != Role::OperatorAdmin || user.organisation_kind != OrganisationKind::Operator {
        return Ok(None);
    }
    let organisation = organisations::own(db, &user.scope()).await?;
    Ok(organisation
        .service
        .as_deref()
        .and_then(operator_of_service))
}

/// The operator whose books the signed-in user administers, if any (see `uploader_operator`).
pub async fn administered_operator(
    state: &AppState,
    user: &SessionUser,
) -> Result<Option<Operator>, DbError> {
    uploader_operator(&state.db, user).await
}

/// A version the caller's organisation uploaded, as its tariff page lists it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub version: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub uploaded_by_name: String,
    pub uploaded_at: DateTime<Utc>,
}

/// The versions the caller's organisation uploaded, newest validity first.
pub async fn uploads(state: &AppState, scope: &Scope) -> Result<Vec<Upload>, DbError> {
    Ok(tariff_books::for_organisation(&state.db, scope)
        .await?
        .into_iter()
        .map(|row| Upload {
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            uploaded_at: row.uploaded_at,
            version: row.version,
            uploaded_by_name: row.uploaded_by_name,
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// A stored book no longer fits, e.g. a new release embeds a book overlapping it.
    #[error("stored {0}")]
    Book(#[from] TariffError),
}

/// The embedded books plus the stored ones, checked together as at upload.
fn with_stored(stored: &[(String, String)]) -> Result<Tariffs, TariffError> {
    let mut tariffs = Tariffs::embedded().clone();
    for (version, body) in stored {
        tariffs.books.insert(parse_book(version, body)?)?;
    }
    Ok(tariffs)
}

/// Every book in use: the embedded ones and all uploaded ones, of every organisation.
pub async fn load(db: &Db) -> Result<Tariffs, LoadError> {
    let stored = tariff_books::all_bodies(&db.pool).await?;
    Ok(with_stored(&stored)?)
}

/// The books in force now, whichever instance took the last upload: one count of the stored
/// books per call tells whether this instance's copy is behind (books are only ever added),
/// and a copy behind is reloaded before pricing. Every instance on one database prices with
/// the same books from the moment an upload commits.
pub async fn current(state: &AppState) -> Result<Arc<Tariffs>, DbError> {
    let stored = tariff_books::count(&state.db).await?;
    let loaded = state.tariffs();
    if uploaded_in(&loaded) == stored {
        return Ok(loaded);
    }
    let fresh = Arc::new(load(&state.db).await.map_err(|error| match error {
        LoadError::Db(error) => error,
        LoadError::Book(error) => DbError::Corrupt(format!("stored {error}")),
    })?);
    // Swapping the Arc cannot leave a half-written set, so a poisoned lock is still sound.
    *state
        .tariffs
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh.clone();
    Ok(fresh)
}

/// How many of a book set's books were uploaded (the others are shipped in the binary).
fn uploaded_in(tariffs: &Tariffs) -> i64 {
    let all = tariffs.books.books().len();
    let shipped = Tariffs::embedded().books.books().len();
    i64::try_from(all.saturating_sub(shipped)).unwrap_or(i64::MAX)
}

/// The cause named in the reason of an answer priced again after an upload.
pub const UPLOADED_CAUSE: &str = "tariff_book_uploaded";
/// The cause named when a start finds books (uploaded or shipped) covering unpriced parts.
pub const IN_FORCE_CAUSE: &str = "tariff_book_in_force";

/// At start: prices every part left without a book that the books in use now cover (V-5) —
/// those an upload did not reach (another instance, a stop in between, a new shipped book).
/// A failure is logged, never a reason not to start.
pub async fn price_unpriced_at_start(state: &AppState) {
    let tariffs = state.tariffs();
    for operator in Operator::ALL {
        let done = crate::services::assess::price_unpriced(
            &state.db,
            &tariffs,
            operator,
            IN_FORCE_CAUSE,
            state.clock.now(),
        )
        .await;
        match done {
            Ok(0) => {}
            Ok(priced) => tracing::info!(%operator, priced, "unpriced parts priced at start"),
            Err(error) => tracing::error!(%operator, %error, "pricing unpriced parts at start"),
        }
    }
}

/// Why an upload is refused. The messages are the validator's own (English, exact); pages
/// put a translated sentence before them.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Invalid(#[from] TariffError),
    #[error("you can only upload books of {own}; this book is of {book}")]
    WrongOperator { own: Operator, book: Operator },
    #[error(
        "your organisation runs {service}: the [{section}] prices of this book must stay those \
         of {reference}; only the administrators of that service's operator may change them"
    )]
    ForeignSection {
        service: &'static str,
        section: &'static str,
        reference: String,
    },
    #[error("a tariff book {0} already exists; give the new book its own version")]
    DuplicateVersion(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Validates `text` as a book of `own`, stores it for the user's organisation and puts the
/// new book set in force at once. On refusal nothing is stored and the set is unchanged.
pub async fn upload(
    state: &AppState,
    user: &SessionUser,
    own: Operator,
    text: &str,
    now: DateTime<Utc>,
) -> Result<TariffBook, UploadError> {
    let book = parse_book("upload", text)?;
    if book.operator() != own {
        return Err(UploadError::WrongOperator {
            own,
            book: book.operator(),
        });
    }
    let service = organisations::own(&state.db, &user.scope())
        .await?
        .service
        .and_then(|code| code.parse::<Service>().ok());
    // Checked against the stored books, not this instance's copy: another instance may have
    // taken an upload since this one started.
    let mut tx = tariff_books::begin_upload(&state.db).await?;
    let stored = tariff_books::all_bodies(&mut *tx).await?;
    let mut tariffs = with_stored(&stored).map_err(|e| DbError::Corrupt(format!("stored {e}")))?;
    if tariffs
        .books
        .books()
        .iter()
        .any(|b| b.version() == book.version())
    {
        return Err(UploadError::DuplicateVersion(book.version().to_owned()));
    }
    if let Some(service) = service {
        keeps_other_services_prices(&book, service, tariffs.books.books())?;
    }
    tariffs.books.insert(book.clone())?;
    let header = &book.book;
    tariff_books::insert(
        &mut tx,
        &user.scope(),
        &NewBook {
            operator: header.operator.code(),
            version: &header.version,
            valid_from: header.valid_from,
            valid_until: header.valid_until,
            body: text,
            uploaded_by: user.user_id,
        },
        now,
    )
    .await
    .map_err(|error| match error {
        DbError::Conflict(_) => UploadError::DuplicateVersion(header.version.clone()),
        other => UploadError::Db(other),
    })?;
    tx.commit().await.map_err(DbError::from)?;
    let tariffs = Arc::new(tariffs);
    // Swapping the Arc cannot leave a half-written set, so a poisoned lock is still sound.
    *state
        .tariffs
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&tariffs);
    // The parts of this operator left unpriced for lack of a book are priced now that one
    // covers their date (V-5). The book is stored: a failure here leaves them to the next start.
    match crate::services::assess::price_unpriced(&state.db, &tariffs, own, UPLOADED_CAUSE, now)
        .await
    {
        Ok(priced) => tracing::info!(book = %book.version(), priced, "unpriced parts priced"),
        Err(error) => tracing::error!(book = %book.version(), %error, "pricing unpriced parts"),
    }
    Ok(book)
}

/// ORES runs electricity and gas from two organisations with one book: each organisation's
/// administrators set the sections of their own service (electricity with the servicing of
/// land, or gas); the other sections of an uploaded book must equal those of the book it
/// follows (the one in force on its first day, else the latest one before it).
fn keeps_other_services_prices(
    book: &TariffBook,
    service: Service,
    books: &[TariffBook],
) -> Result<(), UploadError> {
    let starts = book.book.valid_from;
    let same_operator = || books.iter().filter(|b| b.operator() == book.operator());
    let reference = same_operator().find(|b| b.in_force_on(starts)).or_else(|| {
        same_operator()
            .filter(|b| b.book.valid_from < starts)
            .max_by_key(|b| b.book.valid_from)
    });
    let Some(reference) = reference else {
        return Ok(());
    };
    let foreign = |section: &'static str| UploadError::ForeignSection {
        service: service.code(),
        section,
        reference: reference.version().to_owned(),
    };
    match service {
        Service::Electricity if book.gas != reference.gas => Err(foreign("gas")),
        Service::Gas if book.electricity != reference.electricity => Err(foreign("electricity")),
        Service::Gas if book.servicing != reference.servicing => Err(foreign("servicing")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_maps_to_the_operator_of_its_books() {
        assert_eq!(operator_of_service("electricity"), Some(Operator::Ores));
        assert_eq!(operator_of_service("gas"), Some(Operator::Ores));
        assert_eq!(operator_of_service("water"), Some(Operator::Swde));
        assert_eq!(operator_of_service("proximus"), Some(Operator::Proximus));
        assert_eq!(operator_of_service("voo"), Some(Operator::Voo));
        assert_eq!(operator_of_service("fibre-wallonie"), None);
    }

    #[test]
    fn stored_books_join_the_embedded_ones_and_overlaps_are_refused() {
        let next = include_str!("../../tariffs/ores-2027.toml")
            .replace("ORES-2027-demo.1", "ORES-2028.1")
            .replace("2027-01-01", "2028-01-01")
            .replace("2027-12-31", "2028-12-31");
        let tariffs = with_stored(&[("ORES-2028.1".into(), next.clone())]).unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2028, 3, 1).unwrap();
        assert_eq!(
            tariffs
                .books
                .in_force(Operator::Ores, day)
                .unwrap()
                .version(),
            "ORES-2028.1"
        );
        let overlapping = next.replace("2028-01-01", "2027-12-01");
        assert!(matches!(
            with_stored(&[("x".into(), overlapping)]),
            Err(TariffError::OverlappingBooks { .. })
        ));
    }
}
