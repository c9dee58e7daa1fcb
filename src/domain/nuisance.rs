//! Nuisance avoided by joint days (rule C-6: fewer road openings): pure figures from the
//! joint days of a commune (or of every commune a coordinator serves), per month and for a
//! period. Definitions, each shown to users as such:
//!
//! - *works days*: joint days whose works are all recorded done, on their day;
//! - *openings made*: done joint days with at least one civil-works crew (the road is opened
//!   once); *openings with separate appointments*: for each of those, one per involved
//!   operator; *openings avoided* = the difference (involved operators − 1 per joint day on
//!   which operators share the trench);
//! - *crew visits avoided* (**interpretation**): each operator would otherwise come to the
//!   site on its own day: involved operators − 1 per done joint day, road opened or not;
//! - *shared trench metres*: on joint days with an opening, the metres several operators lay
//!   in together (see [`crate::domain::permit::shared_trench_metres`]);
//! - *streets opened more than once within 12 months*: streets with an opening in the month
//!   (or period) that had another opening within the 12 months before it; a street counts
//!   once per month and once in the period total.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::permit::shared_trench_metres;

/// One operator's part of a joint day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorWork {
    pub service: String,
    pub civil_works: bool,
    pub trench_metres: Decimal,
}

/// One joint day: one site, one day, every involved operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointDayRecord {
    pub commune_nis: String,
    /// The street as typed; sites known only by a parcel have none.
    pub street: Option<String>,
    pub day: NaiveDate,
    pub operators: Vec<OperatorWork>,
    /// Every operator recorded its works done.
    pub done: bool,
}

impl JointDayRecord {
    fn opens_road(&self) -> bool {
        self.done && self.operators.iter().any(|o| o.civil_works)
    }

    /// Commune and street, case and spacing ignored.
    fn street_key(&self) -> Option<(String, String)> {
        street_key(&self.commune_nis, self.street.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub works_days: u32,
    pub openings_made: u32,
    pub openings_separate: u32,
    pub crew_visits_avoided: u32,
    pub shared_trench_metres: Decimal,
    pub streets_reopened: u32,
}

impl Figures {
    pub fn openings_avoided(&self) -> u32 {
        self.openings_separate - self.openings_made
    }

    fn add_day(&mut self, record: &JointDayRecord) {
        let operators = u32::try_from(record.operators.len()).unwrap_or(u32::MAX);
        self.works_days += 1;
        self.crew_visits_avoided += operators.saturating_sub(1);
        if record.opens_road() {
            self.openings_made += 1;
            self.openings_separate += operators;
            let lengths: Vec<Decimal> = record.operators.iter().map(|o| o.trench_metres).collect();
            self.shared_trench_metres += shared_trench_metres(&lengths);
        }
    }
}

/// The figures of one month (its first day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    pub month: NaiveDate,
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every month of the period, in order, empty ones included.
    pub months: Vec<MonthFigures>,
    pub total: Figures,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The figures of the done joint days in `[from, to]`. `records` may hold earlier days too:
/// they count only for the re-openings within 12 months.
pub fn report(records: &[JointDayRecord], from: NaiveDate, to: NaiveDate) -> Report {
    let mut months = months_of(from, to);
    let mut total = Figures::default();
    for record in records
        .iter()
        .filter(|r| r.done && r.day >= from && r.day <= to)
    {
        total.add_day(record);
        if let Some(figures) = months.get_mut(&first_of_month(record.day)) {
            figures.add_day(record);
        }
    }

    // Openings per street and day, in day order; each looks back 12 months for an earlier one
    // in its street.
    let mut openings: Openings = BTreeMap::new();
    for record in records.iter().filter(|r| r.opens_road()) {
        if let Some(key) = record.street_key() {
            *openings.entry((record.day, key)).or_default() += 1;
        }
    }
    with_reopened(from, to, months, total, &openings)
}

/// How many openings of the road each street had each day.
type Openings = BTreeMap<(NaiveDate, (String, String)), u32>;

/// An empty line for each month of `[from, to]`.
fn months_of(from: NaiveDate, to: NaiveDate) -> BTreeMap<NaiveDate, Figures> {
    let mut months = BTreeMap::new();
    let mut month = first_of_month(from);
    while month <= to {
        months.insert(month, Figures::default());
        month = month + Months::new(1);
    }
    months
}

/// The report with the streets reopened within 12 months counted, per month and in all. A day
/// with two openings of a street reopens it; else the latest earlier opening decides: in day
/// order, an earlier one within 12 months exists exactly when the latest does. One pass, not a
/// scan of every earlier opening for each (the coordinator's figures cover every commune).
fn with_reopened(
    from: NaiveDate,
    to: NaiveDate,
    mut months: BTreeMap<NaiveDate, Figures>,
    mut total: Figures,
    openings: &Openings,
) -> Report {
    let mut reopened_total = BTreeSet::new();
    let mut reopened_month: BTreeSet<(NaiveDate, (String, String))> = BTreeSet::new();
    let mut last_opened: HashMap<&(String, String), NaiveDate> = HashMap::new();
    for ((day, street), count) in openings {
        let earlier = last_opened.insert(street, *day);
        let again = *count > 1 || earlier.is_some_and(|earlier| earlier + Months::new(12) >= *day);
        if again && *day >= from && *day <= to {
            reopened_total.insert(street.clone());
            reopened_month.insert((first_of_month(*day), street.clone()));
        }
    }
    total.streets_reopened = u32::try_from(reopened_total.len()).unwrap_or(u32::MAX);
    for (month, _) in reopened_month {
        if let Some(figures) = months.get_mut(&month) {
            figures.streets_reopened += 1;
        }
    }
    Report {
        from,
        to,
        months: months
            .into_iter()
            .map(|(month, figures)| MonthFigures { month, figures })
            .collect(),
        total,
    }
}

/// The done joint days of one commune, street and day summed (a read model kept by the
/// writes): what [`report_of_days`] computes the figures from instead of every joint day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySummary {
    pub commune_nis: String,
    pub street: Option<String>,
    pub day: NaiveDate,
    /// Done joint days.
    pub works_days: u32,
    pub crew_visits_avoided: u32,
    /// Done joint days with civil works: each opens the road once.
    pub openings_made: u32,
    pub openings_separate: u32,
    pub shared_trench_metres: Decimal,
}

impl DaySummary {
    /// The summary of some done joint days of one commune, street and day.
    pub fn of(records: &[&JointDayRecord]) -> Option<Self> {
        let first = records.first()?;
        let mut figures = Figures::default();
        for record in records {
            figures.add_day(record);
        }
        Some(Self {
            commune_nis: first.commune_nis.clone(),
            street: first.street.clone(),
            day: first.day,
            works_days: figures.works_days,
            crew_visits_avoided: figures.crew_visits_avoided,
            openings_made: figures.openings_made,
            openings_separate: figures.openings_separate,
            shared_trench_metres: figures.shared_trench_metres,
        })
    }

    fn street_key(&self) -> Option<(String, String)> {
        street_key(&self.commune_nis, self.street.as_deref())
    }
}

impl Figures {
    fn add_summary(&mut self, day: &DaySummary) {
        self.works_days += day.works_days;
        self.crew_visits_avoided += day.crew_visits_avoided;
        self.openings_made += day.openings_made;
        self.openings_separate += day.openings_separate;
        self.shared_trench_metres += day.shared_trench_metres;
    }
}

/// The same report as [`report`], from the done joint days summed per commune, street and day
/// (`days` may hold earlier days too, for the re-openings within 12 months).
pub fn report_of_days(days: &[DaySummary], from: NaiveDate, to: NaiveDate) -> Report {
    let mut months = months_of(from, to);
    let mut total = Figures::default();
    for day in days.iter().filter(|d| d.day >= from && d.day <= to) {
        total.add_summary(day);
        if let Some(figures) = months.get_mut(&first_of_month(day.day)) {
            figures.add_summary(day);
        }
    }
    let mut openings: Openings = BTreeMap::new();
    for day in days.iter().filter(|d| d.openings_made > 0) {
        if let Some(key) = day.street_key() {
            *openings.entry((day.day, key)).or_default() += day.openings_made;
        }
    }
    with_reopened(from, to, months, total, &openings)
}

/// Commune and street, case and spacing ignored.
fn street_key(commune_nis: &str, street: Option<&str>) -> Option<(String, String)> {
    let street = street?;
    let key = street
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!key.is_empty()).then(|| (commune_nis.to_owned(), key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn op(service: &str, civil_works: bool, metres: i64) -> OperatorWork {
        OperatorWork {
            service: service.into(),
            civil_works,
            trench_metres: Decimal::from(metres),
        }
    }

    fn day(street: Option<&str>, on: &str, operators: Vec<OperatorWork>) -> JointDayRecord {
        JointDayRecord {
            commune_nis: "92094".into(),
            street: street.map(str::to_owned),
            day: date(on),
            operators,
            done: true,
        }
    }

    /// Journey 1 and a few neighbours, by hand.
    fn dataset() -> Vec<JointDayRecord> {
        let five = || {
            vec![
                op("electricity", true, 15),
                op("gas", true, 15),
                op("water", true, 12),
                op("proximus", false, 15),
                op("voo", false, 15),
            ]
        };
        vec![
            // 2025: an opening of the Rue de Fer, before the period.
            day(
                Some("Rue de Fer"),
                "2025-06-10",
                vec![op("electricity", true, 10)],
            ),
            // January: Marie's five connections: 1 opening instead of 5, 15 m shared.
            day(Some("Rue des Tanneries"), "2026-01-14", five()),
            // January: the Rue de Fer again (within 12 months of June 2025), two operators.
            day(
                Some("rue  de fer"),
                "2026-01-20",
                vec![op("electricity", true, 20), op("voo", false, 8)],
            ),
            // February: telecom only, no road opened: one crew visit avoided, no opening.
            day(
                Some("Rue Haute"),
                "2026-02-03",
                vec![op("proximus", false, 15), op("voo", false, 15)],
            ),
            // March: a parcel without a street, water alone.
            day(None, "2026-03-09", vec![op("water", true, 30)]),
            // March: planned, not done yet: not counted.
            JointDayRecord {
                done: false,
                ..day(Some("Rue Haute"), "2026-03-20", five())
            },
            // After the period.
            day(Some("Rue de Fer"), "2026-05-04", five()),
        ]
    }

    #[test]
    fn c_6_figures_of_a_hand_made_quarter() {
        let report = report(&dataset(), date("2026-01-01"), date("2026-03-31"));
        let total = &report.total;
        assert_eq!(total.works_days, 4);
        assert_eq!(total.openings_made, 3);
        assert_eq!(total.openings_separate, 5 + 2 + 1);
        assert_eq!(total.openings_avoided(), 5);
        assert_eq!(total.crew_visits_avoided, 4 + 1 + 1);
        assert_eq!(total.shared_trench_metres, Decimal::from(15 + 8));
        assert_eq!(total.streets_reopened, 1, "Rue de Fer");

        assert_eq!(report.months.len(), 3);
        let january = &report.months[0].figures;
        assert_eq!(report.months[0].month, date("2026-01-01"));
        assert_eq!(
            (january.works_days, january.openings_avoided()),
            (2, 5),
            "4 avoided for Marie, 1 in the Rue de Fer"
        );
        assert_eq!(january.streets_reopened, 1);
        let february = &report.months[1].figures;
        assert_eq!(
            (
                february.openings_made,
                february.openings_avoided(),
                february.crew_visits_avoided
            ),
            (0, 0, 1)
        );
        let march = &report.months[2].figures;
        assert_eq!((march.works_days, march.openings_made), (1, 1));
        assert_eq!(march.openings_avoided(), 0);
        assert_eq!(march.shared_trench_metres, Decimal::ZERO);
    }

    #[test]
    fn a_street_opened_more_than_12_months_apart_is_not_a_reopening() {
        let records = vec![
            day(Some("Rue X"), "2025-01-10", vec![op("water", true, 10)]),
            day(Some("Rue X"), "2026-01-11", vec![op("water", true, 10)]),
            day(Some("Rue Y"), "2026-02-01", vec![op("water", true, 10)]),
            day(Some("Rue Y"), "2026-02-01", vec![op("gas", true, 10)]),
        ];
        let report = report(&records, date("2026-01-01"), date("2026-12-31"));
        assert_eq!(report.total.streets_reopened, 1, "only Rue Y");
        assert_eq!(report.months.len(), 12);
    }
}

#[cfg(test)]
mod reopening_tests {
    use proptest::prelude::*;

    use super::*;

    /// The rule as written: an opening counts again when any earlier opening of its street
    /// (same day included, in order) is within 12 months.
    fn reopened_by_scanning(
        records: &[JointDayRecord],
        from: NaiveDate,
        to: NaiveDate,
    ) -> (u32, Vec<u32>) {
        let mut openings: Vec<(NaiveDate, (String, String))> = records
            .iter()
            .filter(|r| r.opens_road())
            .filter_map(|r| Some((r.day, r.street_key()?)))
            .collect();
        openings.sort();
        let mut streets = BTreeSet::new();
        let mut by_month: BTreeMap<NaiveDate, BTreeSet<(String, String)>> = BTreeMap::new();
        let mut month = first_of_month(from);
        while month <= to {
            by_month.insert(month, BTreeSet::new());
            month = month + Months::new(1);
        }
        for (index, (day, street)) in openings.iter().enumerate() {
            let again = openings[..index]
                .iter()
                .any(|(earlier, other)| other == street && *earlier + Months::new(12) >= *day);
            if again && *day >= from && *day <= to {
                streets.insert(street.clone());
                if let Some(month) = by_month.get_mut(&first_of_month(*day)) {
                    month.insert(street.clone());
                }
            }
        }
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (
            count(streets.len()),
            by_month.values().map(|m| count(m.len())).collect(),
        )
    }

    fn record(street: u8, days: u32, civil_works: bool) -> JointDayRecord {
        JointDayRecord {
            commune_nis: "92094".into(),
            street: Some(format!("Rue {street}")),
            day: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(days.into()),
            operators: vec![OperatorWork {
                service: "water".into(),
                civil_works,
                trench_metres: Decimal::from(10),
            }],
            done: true,
        }
    }

    /// A joint day of one of three spellings of two streets (or none), with one to three
    /// operators, civil works or not, done or not, trench metres with 0 to 2 decimals.
    fn joint_day(
        street: u8,
        days: u32,
        operators: &[(bool, u16, u8)],
        done: bool,
    ) -> JointDayRecord {
        let street = match street {
            0 => None,
            1 => Some("Rue Haute".to_owned()),
            2 => Some("rue  haute".to_owned()),
            3 => Some("Rue Basse".to_owned()),
            _ => Some(" ".to_owned()),
        };
        JointDayRecord {
            commune_nis: "92094".into(),
            street,
            day: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(days.into()),
            operators: operators
                .iter()
                .enumerate()
                .map(|(index, (civil_works, metres, scale))| OperatorWork {
                    service: format!("s{index}"),
                    civil_works: *civil_works,
                    trench_metres: Decimal::new(i64::from(*metres), u32::from(*scale)),
                })
                .collect(),
            done,
        }
    }

    proptest! {
        #[test]
        fn the_figures_of_the_summed_days_are_those_of_the_joint_days(
            sites in proptest::collection::vec(
                (
                    0u8..5,
                    0u32..900,
                    proptest::collection::vec((any::<bool>(), 0u16..3000, 0u8..3), 1..4),
                    proptest::bool::weighted(0.8),
                ),
                0..50,
            ),
            from_days in 0u32..700,
            length in 0u32..400,
        ) {
            let records: Vec<_> = sites
                .iter()
                .map(|(street, days, operators, done)| joint_day(*street, *days, operators, *done))
                .collect();
            // Summed per commune, street as filed and day, done days only, as stored.
            let mut groups: BTreeMap<(String, Option<String>, NaiveDate), Vec<&JointDayRecord>> =
                BTreeMap::new();
            for record in records.iter().filter(|r| r.done) {
                groups
                    .entry((record.commune_nis.clone(), record.street.clone(), record.day))
                    .or_default()
                    .push(record);
            }
            let days: Vec<DaySummary> =
                groups.values().filter_map(|group| DaySummary::of(group)).collect();
            let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
            let from = start + chrono::Days::new(from_days.into());
            let to = from + chrono::Days::new(length.into());
            let since = from - Months::new(12);
            let window: Vec<DaySummary> =
                days.into_iter().filter(|d| d.day >= since && d.day <= to).collect();
            let expected: Vec<JointDayRecord> = records
                .iter()
                .filter(|r| r.day >= since && r.day <= to)
                .cloned()
                .collect();
            let summed = report_of_days(&window, from, to);
            let direct = report(&expected, from, to);
            prop_assert_eq!(&summed, &direct);
            prop_assert_eq!(
                summed.total.shared_trench_metres.to_string(),
                direct.total.shared_trench_metres.to_string()
            );
        }

        #[test]
        fn one_pass_counts_the_streets_reopened_like_the_rule(
            sites in proptest::collection::vec((0u8..6, 0u32..1100, any::<bool>()), 0..60),
            from_days in 0u32..800,
            length in 0u32..500,
        ) {
            let records: Vec<_> = sites.iter().map(|(s, d, c)| record(*s, *d, *c)).collect();
            let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
            let from = start + chrono::Days::new(from_days.into());
            let to = from + chrono::Days::new(length.into());
            let report = report(&records, from, to);
            let months: Vec<u32> =
                report.months.iter().map(|m| m.figures.streets_reopened).collect();
            prop_assert_eq!(
                (report.total.streets_reopened, months),
                reopened_by_scanning(&records, from, to)
            );
        }
    }
}
