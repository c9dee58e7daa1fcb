//! Continuity of the data the product cannot run without: each operator's tariff books (a day
//! without a book in force cannot be priced, rule V-5) and the construction holidays of each
//! year (joint days and works lead times skip them, rule V-8.2.2).
//!
//! From 60 days before an operator's last book ends, and after it ended, its administrators
//! and the coordinator see a warning in their portal; from 60 days before the year ends, the
//! platform administrators see one while the next year has no construction holiday. The pages
//! compute the warnings from the data each time (`concerns_for`), so they go as soon as the
//! next book or period is entered; the daily job (`run_daily`) emails each warning once for
//! the whole platform, recorded in the `notices` table.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::domain::tenancy::{OrganisationKind, Role};
use crate::{
    db::{
        DbError, notices,
        sessions::SessionUser,
        users::{self, Addressee},
    },
    i18n::Tr,
    mail::compose::{self, Composed},
    scheduling::ConstructionHolidays,
    services::{
        books::{self, operator_of_service},
        holidays,
    },
    state::AppState,
    tariff::{BookSet, Operator, TariffBook, gap::operator_name},
};

/// How long before the end the warning starts: a book ending on 31 December is warned from
/// 1 November.
pub const WARNING_DAYS: i64 = 60;

/// The notice of a book running out; its subject is the book's version.
pub const BOOK_NOTICE: &str = "tariff_book_ending";
/// The notice of a year without construction holidays; its subject is the year.
pub const HOLIDAYS_NOTICE: &str = "construction_holidays_missing";

/// An operator's last book, ending soon (or ended) with no book starting the day after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookEnding {
    pub operator: Operator,
    pub version: String,
    pub last_day: NaiveDate,
}

/// The operators whose books run out on `today`, in `Operator::ALL` order: from the book in
/// force today (else the last one that started: it ended since), each book followed by the
/// one starting the day after it ends; the last of that chain is warned from `WARNING_DAYS`
/// before its last day, and after it. An operator whose first book is still to come, or with
/// no book at all, is not warned.
pub fn books_running_out(books: &BookSet, today: NaiveDate) -> Vec<BookEnding> {
    let mut ending = Vec::new();
    for operator in Operator::ALL {
        // The set keeps each operator's books by start, without overlaps.
        let own: Vec<&TariffBook> = books
            .books()
            .iter()
            .filter(|b| b.operator() == operator)
            .collect();
        let Some(mut last) = own
            .iter()
            .rev()
            .find(|b| b.book.valid_from <= today)
            .copied()
        else {
            continue;
        };
        while let Some(next) = last
            .book
            .valid_until
            .succ_opt()
            .and_then(|day| own.iter().find(|b| b.book.valid_from == day))
        {
            last = next;
        }
        if today >= last.book.valid_until - Duration::days(WARNING_DAYS) {
            ending.push(BookEnding {
                operator,
                version: last.book.version.clone(),
                last_day: last.book.valid_until,
            });
        }
    }
    ending
}

/// The years whose construction holidays are missing on `today`: the current year when none
/// of its periods is entered, and the next one from `WARNING_DAYS` before 31 December. A
/// period belongs to the year it starts in, as the administration page lists them.
pub fn holiday_years_missing(holidays: &ConstructionHolidays, today: NaiveDate) -> Vec<i32> {
    let entered = |year: i32| holidays.periods().iter().any(|p| p.from.year() == year);
    let year = today.year();
    let mut missing = Vec::new();
    if !entered(year) {
        missing.push(year);
    }
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December exists");
    if today >= year_end - Duration::days(WARNING_DAYS) && !entered(year + 1) {
        missing.push(year + 1);
    }
    missing
}

/// One warning, as its reader must act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// To an administrator of the book's operator: upload the next book.
    BookForOperator(BookEnding),
    /// To the coordinator: ask the operator for its next book.
    BookForCoordinator(BookEnding),
    /// To a platform administrator: enter the year's construction holidays.
    HolidaysMissing(i32),
}

impl Concern {
    /// The warning, in the reader's language, as of `today`.
    pub fn text(&self, tr: Tr, today: NaiveDate) -> String {
        match self {
            Concern::BookForOperator(book) | Concern::BookForCoordinator(book) => {
                let reader = match self {
                    Concern::BookForOperator(_) => "operator",
                    _ => "coordinator",
                };
                let when = if today > book.last_day {
                    "ended"
                } else {
                    "ending"
                };
                let date = tr.numeric_date(book.last_day);
                let next = book
                    .last_day
                    .succ_opt()
                    .map(|day| tr.numeric_date(day))
                    .unwrap_or_default();
                tr.f(
                    &format!("continuity.book.{reader}_{when}"),
                    [
                        ("version", book.version.as_str()),
                        ("operator", operator_name(book.operator)),
                        ("date", date.as_str()),
                        ("next", next.as_str()),
                    ],
                )
            }
            Concern::HolidaysMissing(year) => tr.f(
                "continuity.holidays.missing",
                [("year", year.to_string().as_str())],
            ),
        }
    }

    /// Where the reader acts, if on a page of the product: (path, label).
    pub fn action(&self, tr: Tr) -> Option<(String, String)> {
        match self {
            Concern::BookForOperator(_) => Some((
                "/operator/tariffs#upload".to_owned(),
                tr.t("continuity.book.action").to_owned(),
            )),
            Concern::BookForCoordinator(_) => None,
            Concern::HolidaysMissing(year) => Some((
                "/admin/construction-holidays#add".to_owned(),
                tr.f(
                    "continuity.holidays.action",
                    [("year", year.to_string().as_str())],
                ),
            )),
        }
    }

    /// The subject of its email.
    fn subject(&self, tr: Tr) -> String {
        match self {
            Concern::BookForOperator(book) | Concern::BookForCoordinator(book) => tr.f(
                "continuity.mail.book_subject",
                [
                    ("version", book.version.as_str()),
                    ("date", tr.numeric_date(book.last_day).as_str()),
                ],
            ),
            Concern::HolidaysMissing(year) => tr.f(
                "continuity.mail.holidays_subject",
                [("year", year.to_string().as_str())],
            ),
        }
    }
}

/// What `user` must be warned of on `today`: an operator administrator, their operator's book
/// running out; the coordinator's staff, every operator's; a platform administrator, the
/// construction holidays missing. Nobody else is warned.
pub async fn concerns_for(
    state: &AppState,
    user: &SessionUser,
    today: NaiveDate,
) -> Result<Vec<Concern>, DbError> {
    let mut concerns = Vec::new();
    if user.is_coordinator() {
        concerns.extend(
            books_running_out(&state.tariffs().books, today)
                .into_iter()
                .map(Concern::BookForCoordinator),
        );
    }
    if let Some(operator) = books::uploader_operator(&state.db, user).await? {
        concerns.extend(
            books_running_out(&state.tariffs().books, today)
                .into_iter()
                .filter(|book| book.operator == operator)
                .map(Concern::BookForOperator),
        );
    }
    if holidays::may_edit(user) {
        // Kept briefly in memory like every page's read of them (state::REFERENCE_TTL).
        let stored = holidays::current(state).await?;
        concerns.extend(
            holiday_years_missing(&stored, today)
                .into_iter()
                .map(Concern::HolidaysMissing),
        );
    }
    Ok(concerns)
}

#[derive(Debug, thiserror::Error)]
pub enum ContinuityError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("tariff books: {0}")]
    Books(#[from] books::LoadError),
    #[error("composing a notice: {0}")]
    Mail(#[from] askama::Error),
}

/// What one run queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Notices sent for the first time (a book, a year).
    pub notices: usize,
    /// Emails queued for them.
    pub emails: usize,
}

/// The daily job: emails each warning once, to everyone it concerns in their language. Which
/// instance runs it, and how often, does not matter: a notice already recorded sends nothing.
/// The books are read from the database, so a book uploaded through another instance counts.
pub async fn run_daily(state: &AppState, now: DateTime<Utc>) -> Result<Sent, ContinuityError> {
    let today = crate::clock::day_of(now);
    let mut sent = Sent::default();
    let tariffs = books::load(&state.db).await?;
    let ending = books_running_out(&tariffs.books, today);
    if !ending.is_empty() {
        let admins = users::active_with_role(&state.db, Role::OperatorAdmin).await?;
        // The coordinator's emails go to its case officers: the coordinator has no
        // administrator role of its own, and its contact is the phone line given to citizens,
        // not a mailbox.
        let officers: Vec<Addressee> = users::active_with_role(&state.db, Role::CaseOfficer)
            .await?
            .into_iter()
            .filter(|officer| officer.organisation_kind == OrganisationKind::Coordinator)
            .collect();
        for book in ending {
            let mut mails = Vec::new();
            for admin in admins.iter().filter(|admin| {
                admin.organisation_kind == OrganisationKind::Operator
                    && admin.service.as_deref().and_then(operator_of_service) == Some(book.operator)
            }) {
                let concern = Concern::BookForOperator(book.clone());
                mails.push(compose_for(state, admin, &concern, today)?);
            }
            for officer in &officers {
                let concern = Concern::BookForCoordinator(book.clone());
                mails.push(compose_for(state, officer, &concern, today)?);
            }
            send_once(state, BOOK_NOTICE, &book.version, &mails, now, &mut sent).await?;
        }
    }
    let missing = holiday_years_missing(&holidays::load(&state.db.pool).await?, today);
    if !missing.is_empty() {
        let admins = users::active_with_role(&state.db, Role::PlatformAdmin).await?;
        for year in missing {
            let concern = Concern::HolidaysMissing(year);
            let mails = admins
                .iter()
                .map(|admin| compose_for(state, admin, &concern, today))
                .collect::<Result<Vec<_>, _>>()?;
            send_once(
                state,
                HOLIDAYS_NOTICE,
                &year.to_string(),
                &mails,
                now,
                &mut sent,
            )
            .await?;
        }
    }
    if sent.emails > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(sent)
}

/// One email: the recipient's address and the message in their language.
struct Mail {
    to: String,
    message: Composed,
}

fn compose_for(
    state: &AppState,
    addressee: &Addressee,
    concern: &Concern,
    today: NaiveDate,
) -> Result<Mail, askama::Error> {
    let tr = Tr(addressee.language.parse().unwrap_or_default());
    let mut paragraphs = vec![concern.text(tr, today)];
    if let Some((path, label)) = concern.action(tr) {
        let url = format!("{}{path}", state.base_url);
        paragraphs.push(tr.f(
            "continuity.mail.link",
            [("label", label.as_str()), ("url", url.as_str())],
        ));
    }
    let message = compose::notice(
        tr,
        &compose::Notice {
            subject: concern.subject(tr),
            name: addressee.display_name.clone(),
            paragraphs,
            link: None,
        },
    )?;
    Ok(Mail {
        to: addressee.email.clone(),
        message,
    })
}

/// Records the notice and queues its emails in one transaction, unless it was sent already.
async fn send_once(
    state: &AppState,
    kind: &str,
    subject: &str,
    mails: &[Mail],
    now: DateTime<Utc>,
    sent: &mut Sent,
) -> Result<(), DbError> {
    let mut tx = state.db.begin_write().await?;
    if !notices::record(&mut tx, kind, subject, now).await? {
        tx.rollback().await?;
        return Ok(());
    }
    for mail in mails {
        crate::services::outbox::enqueue_mail(
            &mut tx,
            kind,
            None,
            &mail.to,
            &mail.message,
            &[],
            now,
        )
        .await?;
    }
    tx.commit().await?;
    sent.notices += 1;
    sent.emails += mails.len();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scheduling::HolidayPeriod, tariff::parse_book};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The 2026 demo books of every operator, moved to `year` (version included).
    fn books_of(year: i32) -> [TariffBook; 4] {
        [
            include_str!("../../tariffs/ores-2026.toml"),
            include_str!("../../tariffs/swde-2026.toml"),
            include_str!("../../tariffs/proximus-2026.toml"),
            include_str!("../../tariffs/voo-2026.toml"),
        ]
        .map(|text| parse_book("t", &text.replace("2026", &year.to_string())).unwrap())
    }

    /// Every operator's books of 2026 and 2027, one after the other.
    fn two_years() -> BookSet {
        let mut set = BookSet::default();
        for book in books_of(2026).into_iter().chain(books_of(2027)) {
            set.insert(book).unwrap();
        }
        set
    }

    /// The ORES 2026 book moved to `from..until` under `version`.
    fn ores(version: &str, from: &str, until: &str) -> TariffBook {
        let text = include_str!("../../tariffs/ores-2026.toml")
            .replace("ORES-2026-demo.1", version)
            .replace("valid_from = 2026-01-01", &format!("valid_from = {from}"))
            .replace(
                "valid_until = 2026-12-31",
                &format!("valid_until = {until}"),
            );
        parse_book(version, &text).unwrap()
    }

    fn ending(operator: Operator, version: &str, last_day: NaiveDate) -> BookEnding {
        BookEnding {
            operator,
            version: version.into(),
            last_day,
        }
    }

    #[test]
    fn the_last_books_are_warned_from_60_days_before_their_end() {
        let books = two_years();
        assert_eq!(books_running_out(&books, day(2027, 10, 31)), []);
        // 31 December 2027 - 60 days = 1 November 2027.
        let last = day(2027, 12, 31);
        let all = vec![
            ending(Operator::Ores, "ORES-2027-demo.1", last),
            ending(Operator::Swde, "SWDE-2027-demo.1", last),
            ending(Operator::Proximus, "PROXIMUS-2027-demo.1", last),
            ending(Operator::Voo, "VOO-2027-demo.1", last),
        ];
        assert_eq!(books_running_out(&books, day(2027, 11, 1)), all);
        assert_eq!(books_running_out(&books, last), all);
        // And after the end, until a book is there.
        assert_eq!(books_running_out(&books, day(2028, 2, 1)), all);
        // A year earlier, the 2027 books follow the 2026 ones the day after.
        assert_eq!(books_running_out(&books, day(2026, 12, 2)), []);
    }

    #[test]
    fn a_successor_starting_the_day_after_clears_the_warning_and_is_warned_in_turn() {
        let mut books = two_years();
        books
            .insert(ores("ORES-2028.1", "2028-01-01", "2028-06-30"))
            .unwrap();
        let warned = books_running_out(&books, day(2027, 11, 2));
        assert!(
            warned.iter().all(|b| b.operator != Operator::Ores),
            "{warned:?}"
        );
        assert_eq!(warned.len(), 3);
        // A half-year book: warned from 1 May 2028, named itself.
        assert!(
            !books_running_out(&books, day(2028, 4, 30))
                .iter()
                .any(|b| b.operator == Operator::Ores)
        );
        assert_eq!(
            books_running_out(&books, day(2028, 5, 1))[0],
            ending(Operator::Ores, "ORES-2028.1", day(2028, 6, 30))
        );
    }

    #[test]
    fn a_book_starting_later_than_the_day_after_is_no_successor() {
        let mut books = two_years();
        books
            .insert(ores("ORES-2028.1", "2028-02-01", "2028-12-31"))
            .unwrap();
        let warned = books_running_out(&books, day(2027, 11, 2));
        assert_eq!(
            warned[0],
            ending(Operator::Ores, "ORES-2027-demo.1", day(2027, 12, 31))
        );
        // Once the later book is in force, it is the one that counts.
        assert!(
            !books_running_out(&books, day(2028, 2, 1))
                .iter()
                .any(|b| b.operator == Operator::Ores)
        );
    }

    #[test]
    fn an_operator_without_books_or_before_its_first_one_is_not_warned() {
        let mut books = BookSet::default();
        assert_eq!(books_running_out(&books, day(2027, 11, 2)), []);
        books
            .insert(ores("ORES-2028.1", "2028-01-01", "2028-12-31"))
            .unwrap();
        assert_eq!(books_running_out(&books, day(2027, 11, 2)), []);
    }

    fn periods(starts: &[NaiveDate]) -> ConstructionHolidays {
        ConstructionHolidays::new(
            starts
                .iter()
                .map(|from| HolidayPeriod {
                    name: format!("Congés {from}"),
                    from: *from,
                    to: *from,
                    provinces: Vec::new(),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn next_years_holidays_are_missing_from_60_days_before_the_year_ends() {
        let holidays = periods(&[day(2027, 5, 7), day(2027, 12, 20)]);
        assert_eq!(
            holiday_years_missing(&holidays, day(2027, 10, 31)),
            [] as [i32; 0]
        );
        assert_eq!(holiday_years_missing(&holidays, day(2027, 11, 1)), [2028]);
        assert_eq!(holiday_years_missing(&holidays, day(2027, 12, 31)), [2028]);
        // The year under way without any period is missing too.
        assert_eq!(holiday_years_missing(&holidays, day(2028, 1, 3)), [2028]);
        // A period of the year, whichever, is enough.
        let entered = periods(&[day(2027, 5, 7), day(2028, 7, 10)]);
        assert_eq!(
            holiday_years_missing(&entered, day(2027, 11, 2)),
            [] as [i32; 0]
        );
        // A period starting in December belongs to that year, not the next.
        let december = periods(&[day(2027, 5, 7), day(2027, 12, 27)]);
        assert_eq!(holiday_years_missing(&december, day(2027, 11, 2)), [2028]);
    }

    #[test]
    fn the_warnings_say_the_book_its_last_day_and_what_to_do() {
        let book = ending(Operator::Ores, "ORES-2027-demo.1", day(2027, 12, 31));
        let fr = Tr(crate::domain::Language::Fr);
        let before = day(2027, 11, 2);
        let operator = Concern::BookForOperator(book.clone());
        assert_eq!(
            operator.text(fr, before),
            "ORES : le barème ORES-2027-demo.1 se termine le 31/12/2027 et aucun barème ne \
             prend le relais le 01/01/2028. Déposez dès maintenant le barème suivant ; sans \
             lui, les demandes datées après le 31/12/2027 ne pourront pas être chiffrées \
             (règle V-5)."
        );
        assert!(
            operator
                .text(fr, day(2028, 1, 2))
                .starts_with("ORES : le barème ORES-2027-demo.1 s'est terminé le 31/12/2027")
        );
        let de = Tr(crate::domain::Language::De);
        assert!(operator.text(de, before).contains("31.12.2027"));
        let nl = Tr(crate::domain::Language::Nl);
        assert_eq!(
            operator.text(nl, before),
            "ORES: tarieflijst ORES-2027-demo.1 loopt af op 31/12/2027 en geen enkele \
             tarieflijst neemt het over op 01/01/2028. Laad nu al de volgende tarieflijst op; \
             zonder die lijst kunnen aanvragen gedateerd na 31/12/2027 niet worden berekend \
             (regel V-5)."
        );
        assert_eq!(
            Concern::HolidaysMissing(2028).action(fr),
            Some((
                "/admin/construction-holidays#add".to_owned(),
                "Encoder les congés du bâtiment 2028".to_owned()
            ))
        );
    }
}
