//! The one source of "now" and "today". Nothing else reads the system time: what a request,
//! an offer or a deadline is dated with comes from the clock in the application's state, so a
//! test can start the product at any instant and move it on (an offer lapsing after six months,
//! a permit running late, the joint day arriving) without sleeping or rewriting stored dates.
//!
//! Calendar days are Belgian days: a request filed at 23:30 UTC on 31 December is filed on
//! 1 January in Brussels, and priced with that year's books (rule V-5).

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};

#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System,
    /// Starts at a chosen instant and runs with the machine from then on (so timestamps still
    /// order events); `advance` jumps ahead.
    Set(Mutex<SetTime>),
}

struct SetTime {
    at: DateTime<Utc>,
    since: Instant,
}

impl Clock {
    /// The machine's clock: production.
    pub fn system() -> Self {
        Clock(Arc::new(Source::System))
    }

    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Clock(Arc::new(Source::Set(Mutex::new(SetTime {
            at: start,
            since: Instant::now(),
        }))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            // The one place that reads the machine's time (clippy.toml forbids it elsewhere).
            #[allow(clippy::disallowed_methods)]
            Source::System => Utc::now(),
            Source::Set(time) => {
                let time = time.lock().unwrap_or_else(PoisonError::into_inner);
                time.at + Duration::from_std(time.since.elapsed()).unwrap_or(Duration::zero())
            }
        }
    }

    /// Today in Brussels.
    pub fn today(&self) -> NaiveDate {
        day_of(self.now())
    }

    /// Moves a set clock ahead. The system clock cannot be moved: that call is a mistake in a
    /// test harness, so it panics.
    pub fn advance(&self, by: Duration) {
        match &*self.0 {
            Source::System => panic!("the system clock cannot be advanced"),
            Source::Set(time) => {
                let mut time = time.lock().unwrap_or_else(PoisonError::into_inner);
                time.at += by;
            }
        }
    }

    /// Sets a set clock to `at` (it runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        match &*self.0 {
            Source::System => panic!("the system clock cannot be set"),
            Source::Set(time) => {
                let mut time = time.lock().unwrap_or_else(PoisonError::into_inner);
                time.at = at;
                time.since = Instant::now();
            }
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Set(_) => write!(f, "Clock::starting_at(.. now {})", self.now()),
        }
    }
}

/// The Brussels day of an instant: the calendar day a request, an offer or a decision is dated
/// with.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    brussels(at).date()
}

/// The instant a Brussels day starts (its midnight, 23:00 or 22:00 UTC the day before).
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN).and_utc();
    // The offset at midnight UTC is the offset at Brussels midnight: the clocks change at
    // 01:00 UTC, never between the two.
    midnight - (brussels(midnight) - midnight.naive_utc())
}

/// A timestamp as the product stores and exchanges it (RFC 3339, UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A calendar day as the product stores and exchanges it (`YYYY-MM-DD`).
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Last Sunday of a month, for the EU summer-time rule.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid month");
    let mut day = first_next.pred_opt().expect("valid day");
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().expect("valid day");
    }
    day
}

/// Belgian local time: UTC+1, UTC+2 from the last Sunday of March to the last Sunday of
/// October at 01:00 UTC (EU rule).
pub fn brussels(at: DateTime<Utc>) -> NaiveDateTime {
    let year = at.year();
    let summer_start = last_sunday(year, 3)
        .and_hms_opt(1, 0, 0)
        .expect("valid time");
    let summer_end = last_sunday(year, 10)
        .and_hms_opt(1, 0, 0)
        .expect("valid time");
    let naive = at.naive_utc();
    let offset = if naive >= summer_start && naive < summer_end {
        2
    } else {
        1
    };
    naive + Duration::hours(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_brussels_day_starts_at_its_midnight_in_winter_and_in_summer() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(day_start(day(2027, 1, 1)), utc("2026-12-31T23:00:00Z"));
        assert_eq!(day_start(day(2027, 7, 14)), utc("2027-07-13T22:00:00Z"));
        // The days the clocks change start at the midnight before the change.
        assert_eq!(day_start(day(2027, 3, 28)), utc("2027-03-27T23:00:00Z"));
        assert_eq!(day_start(day(2027, 3, 29)), utc("2027-03-28T22:00:00Z"));
        assert_eq!(day_start(day(2027, 10, 31)), utc("2027-10-30T22:00:00Z"));
        assert_eq!(day_start(day(2027, 11, 1)), utc("2027-10-31T23:00:00Z"));
    }

    #[test]
    fn today_is_the_brussels_day_around_midnight() {
        // 23:30 UTC on 31 December is already 1 January in Brussels (UTC+1 in winter).
        let clock = Clock::starting_at(utc("2026-12-31T23:30:00Z"));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        // 22:30 UTC on a summer day is 00:30 the next day in Brussels (UTC+2).
        clock.set(utc("2027-06-30T22:30:00Z"));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 7, 1).unwrap());
        clock.set(utc("2027-06-30T21:59:00Z"));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 6, 30).unwrap());
    }

    #[test]
    fn a_set_clock_runs_on_and_advances_without_sleeping() {
        let start = utc("2027-01-04T08:00:00Z");
        let clock = Clock::starting_at(start);
        let first = clock.now();
        assert!(first >= start && first < start + Duration::seconds(5));
        clock.advance(Duration::days(183));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 7, 6).unwrap());
        assert!(clock.now() >= first + Duration::days(183));
    }
}
