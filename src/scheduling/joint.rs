//! The joint intervention day (rule C-4): the first days on which every operator of a request
//! has a crew serving its commune with free capacity, and why each earlier day is impossible.
//!
//! Pure: the web layer loads crews and bookings from the database, calls [`joint_days`], then
//! reserves one candidate atomically.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{
    calendar::{DayOff, WorkCalendar},
    holidays::{ConstructionHolidays, Province},
};
use crate::domain::{CrewId, ServiceCode};

/// One involved operator's dates: its earliest date (lead time, prerequisites) and latest date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorWindow {
    pub service: ServiceCode,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
}

/// A crew as the operator declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crew {
    pub id: CrewId,
    pub service: ServiceCode,
    /// NIS codes of the communes this crew serves.
    pub communes: Vec<String>,
    /// Jobs the crew can do in one day.
    pub daily_capacity: u32,
    pub absences: Vec<NaiveDate>,
    /// Civil-works crews stop during construction holidays; telecom crews do not.
    pub civil_works: bool,
}

impl Crew {
    pub fn serves(&self, commune: &str) -> bool {
        self.communes.iter().any(|c| c == commune)
    }
}

/// Jobs already booked per crew and day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookings {
    jobs: HashMap<(CrewId, NaiveDate), u32>,
}

impl Bookings {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `jobs` bookings (one row of a `GROUP BY crew, day` count, or one reservation).
    pub fn add(&mut self, crew: CrewId, date: NaiveDate, jobs: u32) {
        *self.jobs.entry((crew, date)).or_default() += jobs;
    }

    pub fn booked(&self, crew: CrewId, date: NaiveDate) -> u32 {
        self.jobs.get(&(crew, date)).copied().unwrap_or(0)
    }
}

/// Why an operator cannot come on a day, from the least to the most promising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Blocked {
    /// The offer is not sent yet: it must be sent, accepted and paid before the works
    /// (V-8.2.1, B-5.4).
    OfferNotSent,
    /// The offer is sent but not accepted yet (V-8.2.1).
    OfferNotAccepted,
    /// The operator's invoice is not paid in full yet: it is paid before its works (B-5.4,
    /// V-8.2.1).
    NotPaid,
    /// The commune decides on the joint road-works permit until `until` (C-6): the works come
    /// after its decision is due.
    AwaitingPermit {
        until: NaiveDate,
    },
    /// Before the operator's earliest date: the start of its lead time or the period the
    /// applicant wished for.
    BeforeEarliest,
    Weekend,
    PublicHoliday,
    /// No crew of the operator serves the commune at all.
    NoCrewInCommune,
    ConstructionHoliday,
    CrewAbsent,
    CrewFull,
}

impl From<DayOff> for Blocked {
    fn from(off: DayOff) -> Self {
        match off {
            DayOff::Weekend => Self::Weekend,
            DayOff::PublicHoliday => Self::PublicHoliday,
            DayOff::ConstructionHoliday => Self::ConstructionHoliday,
            DayOff::Absent => Self::CrewAbsent,
        }
    }
}

impl Blocked {
    /// The key suffix of the reason's text (`joint.blocked.<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Self::OfferNotSent => "OfferNotSent",
            Self::OfferNotAccepted => "OfferNotAccepted",
            Self::NotPaid => "NotPaid",
            Self::AwaitingPermit { .. } => "AwaitingPermit",
            Self::BeforeEarliest => "BeforeEarliest",
            Self::Weekend => "Weekend",
            Self::PublicHoliday => "PublicHoliday",
            Self::NoCrewInCommune => "NoCrewInCommune",
            Self::ConstructionHoliday => "ConstructionHoliday",
            Self::CrewAbsent => "CrewAbsent",
            Self::CrewFull => "CrewFull",
        }
    }
}

/// Something that must happen before the works, and the first day it leaves possible: the
/// offer accepted and paid (V-8.2.1, B-5.4), the commune's decision on the permit (C-6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// The operator it holds back; `None` for the whole request (the offer, the permit).
    pub service: Option<ServiceCode>,
    pub reason: Blocked,
    pub first_day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub service: ServiceCode,
    pub reason: Blocked,
}

/// A day in the common window on which not every operator can come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpossibleDay {
    pub date: NaiveDate,
    /// One entry per blocked operator, in the order of the query.
    pub blockers: Vec<Blocker>,
    /// What the whole request still waits for that day (the offer, the commune's decision).
    pub waiting: Vec<Blocked>,
}

/// The crews of one operator free on a candidate day, the freest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeCrews {
    pub service: ServiceCode,
    pub crews: Vec<CrewId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateDay {
    pub date: NaiveDate,
    /// One entry per operator, in the order of the query.
    pub crews: Vec<FreeCrews>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointDays {
    /// Intersection of the operators' windows.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The operators whose earliest date is `from`: no day before it is possible because of
    /// their lead time or prerequisites.
    pub from_set_by: Vec<ServiceCode>,
    /// Up to K candidate days, earliest first.
    pub candidates: Vec<CandidateDay>,
    /// Every non-candidate day of the window before the last candidate (the whole window
    /// when fewer than K candidates exist), earliest first.
    pub impossible: Vec<ImpossibleDay>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JointDayError {
    #[error("no operator is involved")]
    NoOperator,
    #[error("{0} is listed twice")]
    DuplicateOperator(ServiceCode),
    #[error(
        "the operators' windows do not meet: the latest start is {from}, the earliest end {to}"
    )]
    NoCommonWindow { from: NaiveDate, to: NaiveDate },
}

/// **Interpretation** of V-8.2.1 and B-5.4 (the offer accepted, each operator paid before
/// its works): what is not done yet is done today at the earliest (the offer sent, accepted
/// with its emailed code, the transfer ordered); a transfer is credited the next bank working
/// day (D+1), and the crews come on a later working day than the payment they wait for: the
/// first day is the second working day after today.
pub fn first_day_after_payment(today: NaiveDate) -> NaiveDate {
    let working =
        |d: &NaiveDate| !super::calendar::is_weekend(*d) && !super::calendar::is_public_holiday(*d);
    today
        .iter_days()
        .skip(1)
        .filter(working)
        .nth(1)
        .unwrap_or(today)
}

/// The joint permit asked today (C-6, in the reservation) is decided by the commune within
/// its decision period (45 days, FACTS): the works come after the day the decision is due.
/// Returns (the decision's due day, the first day after it).
pub fn first_day_after_permit(today: NaiveDate, decision_days: u32) -> (NaiveDate, NaiveDate) {
    let due = crate::domain::permit::due_on(today, decision_days);
    (due, due.succ_opt().unwrap_or(due))
}

/// What to look for.
#[derive(Debug, Clone, Copy)]
pub struct JointDayQuery<'a> {
    /// NIS code of the site's commune.
    pub commune: &'a str,
    /// The site's province, for its construction holidays.
    pub province: Province,
    pub operators: &'a [OperatorWindow],
    /// K: how many candidate days to return.
    pub wanted: usize,
    /// What must happen first, with the first day each leaves possible: no candidate before.
    pub waits: &'a [Wait],
    /// The first day to explain (today): each working day from it to the window's start is
    /// impossible with its reasons.
    pub since: NaiveDate,
}

/// The first K days on which every involved operator has a crew serving the commune, working
/// that day and with free capacity (rule C-4), and the reasons the earlier days are impossible.
pub fn joint_days(
    query: JointDayQuery<'_>,
    crews: &[Crew],
    bookings: &Bookings,
    construction: &ConstructionHolidays,
) -> Result<JointDays, JointDayError> {
    let first = query.operators.first().ok_or(JointDayError::NoOperator)?;
    for (i, op) in query.operators.iter().enumerate() {
        if query.operators[..i].iter().any(|o| o.service == op.service) {
            return Err(JointDayError::DuplicateOperator(op.service.clone()));
        }
    }
    let earliest_of = |op: &OperatorWindow| {
        query
            .waits
            .iter()
            .filter(|w| w.service.as_ref().is_none_or(|s| *s == op.service))
            .map(|w| w.first_day)
            .fold(op.earliest, Ord::max)
    };
    let from = query
        .operators
        .iter()
        .map(earliest_of)
        .fold(first.earliest, Ord::max);
    let to = query
        .operators
        .iter()
        .map(|o| o.latest)
        .fold(first.latest, Ord::min);
    if to < from {
        return Err(JointDayError::NoCommonWindow { from, to });
    }
    let local: Vec<Vec<(&Crew, WorkCalendar<'_>)>> = query
        .operators
        .iter()
        .map(|op| {
            crews
                .iter()
                .filter(|c| c.service == op.service && c.serves(query.commune))
                .map(|c| {
                    let cal = if c.civil_works {
                        WorkCalendar::civil_works(construction, query.province)
                    } else {
                        WorkCalendar::other_works(construction, query.province)
                    };
                    (c, cal.with_absences(&c.absences))
                })
                .collect()
        })
        .collect();

    let from_set_by = query
        .operators
        .iter()
        .filter(|o| o.earliest == from)
        .map(|o| o.service.clone())
        .collect();
    let mut result = JointDays {
        from,
        to,
        from_set_by,
        candidates: Vec::new(),
        impossible: Vec::new(),
    };
    if query.wanted == 0 {
        return Ok(result);
    }
    // The working days before the window: each keeps what it waits for.
    let plain = WorkCalendar::other_works(construction, query.province);
    for date in query
        .since
        .iter_days()
        .take_while(|d| *d < from)
        .filter(|d| plain.is_working_day(*d))
    {
        let binding = |service: Option<&ServiceCode>| {
            query
                .waits
                .iter()
                .filter(|w| w.service.as_ref() == service && w.first_day > date)
                .map(|w| w.reason)
                .collect::<Vec<_>>()
        };
        let waiting = binding(None);
        let mut blockers = Vec::new();
        for op in query.operators {
            let own = binding(Some(&op.service));
            if own.is_empty() && op.earliest > date && waiting.is_empty() {
                blockers.push(Blocker {
                    service: op.service.clone(),
                    reason: Blocked::BeforeEarliest,
                });
            }
            blockers.extend(own.into_iter().map(|reason| Blocker {
                service: op.service.clone(),
                reason,
            }));
        }
        result.impossible.push(ImpossibleDay {
            date,
            blockers,
            waiting,
        });
    }
    for date in from.iter_days().take_while(|d| *d <= to) {
        let mut free = Vec::with_capacity(query.operators.len());
        let mut blockers = Vec::new();
        for (op, crews) in query.operators.iter().zip(&local) {
            let mut open: Vec<(u32, CrewId)> = Vec::new();
            let mut best_reason: Option<Blocked> = None;
            for (crew, cal) in crews {
                let reason = match cal.day_off(date) {
                    Some(off) => Blocked::from(off),
                    None => {
                        let left = crew
                            .daily_capacity
                            .saturating_sub(bookings.booked(crew.id, date));
                        if left > 0 {
                            open.push((left, crew.id));
                            continue;
                        }
                        Blocked::CrewFull
                    }
                };
                best_reason = best_reason.max(Some(reason));
            }
            if open.is_empty() {
                blockers.push(Blocker {
                    service: op.service.clone(),
                    reason: best_reason.unwrap_or(Blocked::NoCrewInCommune),
                });
            } else {
                // Freest crew first, then by id for a stable order.
                open.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                free.push(FreeCrews {
                    service: op.service.clone(),
                    crews: open.into_iter().map(|(_, id)| id).collect(),
                });
            }
        }
        if blockers.is_empty() {
            result.candidates.push(CandidateDay { date, crews: free });
            if result.candidates.len() == query.wanted {
                break;
            }
        } else {
            result.impossible.push(ImpossibleDay {
                date,
                blockers,
                waiting: Vec::new(),
            });
        }
    }
    Ok(result)
}
