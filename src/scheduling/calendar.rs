//! Working days: weekdays minus Belgian public holidays, minus construction holidays for
//! civil-works crews, minus crew absences; and the lead-time arithmetic of rule V-8.2.2.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::holidays::{ConstructionHolidays, Province};

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// The ten Belgian legal public holidays of `year`, in date order.
pub fn public_holidays(year: i32) -> [NaiveDate; 10] {
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("fixed holiday exists");
    let easter = easter_sunday(year);
    let after_easter = |n| easter + Days::new(n);
    [
        fixed(1, 1),
        after_easter(1), // Easter Monday
        fixed(5, 1),
        after_easter(39), // Ascension Thursday
        after_easter(50), // Whit Monday
        fixed(7, 21),
        fixed(8, 15),
        fixed(11, 1),
        fixed(11, 11),
        fixed(12, 25),
    ]
}

pub fn is_public_holiday(date: NaiveDate) -> bool {
    public_holidays(date.year()).contains(&date)
}

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Why a date is not a working day, in the order it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayOff {
    Weekend,
    PublicHoliday,
    ConstructionHoliday,
    Absent,
}

/// The working calendar of one crew, or of one lead time (no absences).
#[derive(Debug, Clone, Copy)]
pub struct WorkCalendar<'a> {
    construction: &'a ConstructionHolidays,
    province: Province,
    civil_works: bool,
    absences: &'a [NaiveDate],
}

impl<'a> WorkCalendar<'a> {
    /// A civil-works calendar for sites in `province`: construction holidays are days off.
    pub fn civil_works(construction: &'a ConstructionHolidays, province: Province) -> Self {
        Self {
            construction,
            province,
            civil_works: true,
            absences: &[],
        }
    }

    /// A calendar ignoring construction holidays (telecom crews are not in CP 124).
    pub fn other_works(construction: &'a ConstructionHolidays, province: Province) -> Self {
        Self {
            civil_works: false,
            ..Self::civil_works(construction, province)
        }
    }

    /// The same calendar minus a crew's absences (any order, duplicates allowed).
    pub fn with_absences(self, absences: &'a [NaiveDate]) -> Self {
        Self { absences, ..self }
    }

    pub fn day_off(&self, date: NaiveDate) -> Option<DayOff> {
        if is_weekend(date) {
            Some(DayOff::Weekend)
        } else if is_public_holiday(date) {
            Some(DayOff::PublicHoliday)
        } else if self.civil_works && self.construction.contains(self.province, date) {
            Some(DayOff::ConstructionHoliday)
        } else if self.absences.contains(&date) {
            Some(DayOff::Absent)
        } else {
            None
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_off(date).is_none()
    }

    /// The `n`-th working day after `from` (`from` itself when `n` is 0).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut date = from;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().expect("date within chrono's range");
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days in `(from, to]`: 0 when `to <= from`. Inverse of [`Self::add_working_days`].
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }

    /// `date` if it is a working day, else the next one.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        date.iter_days()
            .find(|d| self.is_working_day(*d))
            .expect("a working day follows any date")
    }
}

/// A lead time as operators state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadTime {
    /// Working days (ORES works, rule V-8.2.2; gas: 30 or 60).
    WorkingDays(u32),
    /// Calendar days (ORES low-voltage connection: 30).
    CalendarDays(u32),
    /// Calendar months (water: "dans un délai maximal d'un mois à partir de la date de
    /// paiement", B-5.5).
    CalendarMonths(u32),
}

/// `from` plus `months` calendar months, on the same day of the month or, when that month is
/// shorter, on its last day: paid 31 January, due 28 (29) February; paid 15 March, due 15 April.
pub fn add_calendar_months(from: NaiveDate, months: u32) -> NaiveDate {
    from.checked_add_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The date by which works are due: `lead` counted from `conditions_met` (the latest of permits
/// obtained, full payment and trenches available), suspended during the construction holidays
/// of the site's province (rule V-8.2.2). Crew absences never extend a lead time.
///
/// **Interpretation:** the suspension also applies to calendar-day and calendar-month lead
/// times: the days of a construction holiday are not counted.
pub fn lead_time_due_date(
    construction: &ConstructionHolidays,
    province: Province,
    conditions_met: NaiveDate,
    lead: LeadTime,
) -> NaiveDate {
    let skipping_construction = |from: NaiveDate, days: u64| {
        let mut date = from;
        let mut left = days;
        while left > 0 {
            date = date.succ_opt().expect("date within chrono's range");
            if !construction.contains(province, date) {
                left -= 1;
            }
        }
        date
    };
    match lead {
        LeadTime::WorkingDays(n) => {
            WorkCalendar::civil_works(construction, province).add_working_days(conditions_met, n)
        }
        LeadTime::CalendarDays(n) => skipping_construction(conditions_met, u64::from(n)),
        LeadTime::CalendarMonths(n) => {
            let plain = add_calendar_months(conditions_met, n);
            let days = u64::try_from((plain - conditions_met).num_days()).unwrap_or(0);
            skipping_construction(conditions_met, days)
        }
    }
}

/// The date by which works are due when the rule knows no construction-holiday suspension
/// (B-5.5 for water): weekends and public holidays only for working days.
pub fn lead_time_due_date_unsuspended(start: NaiveDate, lead: LeadTime) -> NaiveDate {
    match lead {
        LeadTime::WorkingDays(n) => {
            let mut date = start;
            let mut left = n;
            while left > 0 {
                date = date.succ_opt().expect("date within chrono's range");
                if !is_weekend(date) && !is_public_holiday(date) {
                    left -= 1;
                }
            }
            date
        }
        LeadTime::CalendarDays(n) => start
            .checked_add_days(Days::new(u64::from(n)))
            .unwrap_or(NaiveDate::MAX),
        LeadTime::CalendarMonths(n) => add_calendar_months(start, n),
    }
}

/// Office working days (weekdays minus Belgian public holidays), for answer deadlines.
pub fn add_office_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut day = from;
    let mut left = days;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if !is_weekend(day) && !is_public_holiday(day) {
            left -= 1;
        }
    }
    day
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        let friday = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(
            add_office_days(friday, 1),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(
            add_office_days(friday, 5),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        );
    }

    #[test]
    fn answer_deadlines_skip_public_holidays() {
        // Tuesday 10 November 2026: 11 November (Armistice Day) is not a working day.
        let tuesday = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        assert_eq!(
            add_office_days(tuesday, 2),
            NaiveDate::from_ymd_opt(2026, 11, 13).unwrap()
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn b_5_5_one_month_after_a_payment_ends_on_the_same_day_or_the_month_end() {
        assert_eq!(add_calendar_months(d(2027, 1, 31), 1), d(2027, 2, 28));
        assert_eq!(add_calendar_months(d(2028, 1, 31), 1), d(2028, 2, 29));
        assert_eq!(add_calendar_months(d(2027, 3, 15), 1), d(2027, 4, 15));
        assert_eq!(add_calendar_months(d(2027, 12, 31), 2), d(2028, 2, 29));
        assert_eq!(add_calendar_months(d(2027, 8, 31), 6), d(2028, 2, 29));
    }

    proptest::proptest! {
        #[test]
        fn b_5_5_calendar_months_land_on_the_month_n_later_clamped_to_its_end(
            days in 0i64..40_000,
            n in 0u32..36,
        ) {
            let from = d(2000, 1, 1) + chrono::Duration::days(days);
            let due = add_calendar_months(from, n);
            let months = |date: NaiveDate| date.year() * 12 + date.month0() as i32;
            proptest::prop_assert_eq!(months(due) - months(from), n as i32);
            let last_day = month_start(add_calendar_months(month_start(due), 1)).pred_opt().unwrap();
            proptest::prop_assert_eq!(due.day(), from.day().min(last_day.day()));
            // Never earlier than n times the shortest month, never later than n longest ones.
            proptest::prop_assert!(due >= from + Days::new(28 * u64::from(n)));
            proptest::prop_assert!(due <= from + Days::new(31 * u64::from(n)));
            // Without a construction-holiday suspension a month is a month (B-5.5).
            proptest::prop_assert_eq!(
                lead_time_due_date_unsuspended(from, LeadTime::CalendarMonths(n)),
                due
            );
        }
    }

    #[test]
    fn easter_known_years() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25)); // latest possible
        assert_eq!(easter_sunday(2285), d(2285, 3, 22)); // earliest possible
    }

    #[test]
    fn easter_based_holidays_2026_and_2027() {
        let h26 = public_holidays(2026);
        assert!(h26.contains(&d(2026, 4, 6)));
        assert!(h26.contains(&d(2026, 5, 14)));
        assert!(h26.contains(&d(2026, 5, 25)));
        let h27 = public_holidays(2027);
        assert!(h27.contains(&d(2027, 3, 29)));
        assert!(h27.contains(&d(2027, 5, 6)));
        assert!(h27.contains(&d(2027, 5, 17)));
        assert!(is_public_holiday(d(2027, 7, 21)));
        assert!(!is_public_holiday(d(2027, 7, 22)));
    }
}
