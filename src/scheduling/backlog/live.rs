//! "Propose days for all": the requests waiting for their joint day, the crews as declared
//! and the bookings already made, turned into an optimiser instance; the plan turned back
//! into dates.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::{BenchCrew, BenchRequest, Cover, Instance, InstanceError, Options, Weights, optimise};
use crate::scheduling::{
    ConstructionHolidays, Province, WorkCalendar,
    joint::{Bookings, Crew, OperatorWindow},
};

/// A request waiting for its day: its commune and each operator's window. `K` names the
/// request to the caller (its id).
#[derive(Debug, Clone)]
pub struct WaitingRequest<K = String> {
    pub key: K,
    pub commune: String,
    pub province: Province,
    pub windows: Vec<OperatorWindow>,
}

/// Why a waiting request gets no day from the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotPlanned {
    /// The operators' windows do not meet.
    NoCommonWindow,
    /// The common window ends before the first day of the horizon or starts after its end.
    OutsideHorizon,
    /// A window is open, but the crews' capacity went to other requests or no crew serves.
    NoCapacity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePlan<K = String> {
    /// Request key → proposed day.
    pub days: BTreeMap<K, NaiveDate>,
    pub not_planned: BTreeMap<K, NotPlanned>,
    /// Distinct (crew, day, commune) visits the plan needs.
    pub openings: usize,
}

/// Plans every waiting request between `start` and `start + horizon_days - 1`, on the crews'
/// free capacity (their daily capacity less `bookings`), deterministic like the optimiser.
pub fn plan_waiting<K: Clone + Ord>(
    start: NaiveDate,
    horizon_days: usize,
    waiting: &[WaitingRequest<K>],
    crews: &[Crew],
    bookings: &Bookings,
    construction: &ConstructionHolidays,
) -> Result<LivePlan<K>, InstanceError> {
    let date = |d: usize| start + chrono::Days::new(d as u64);
    let index = |day: NaiveDate| (day - start).num_days();
    let mut communes: Vec<String> = waiting.iter().map(|w| w.commune.clone()).collect();
    communes.sort();
    communes.dedup();
    let commune_id = |nis: &str| communes.iter().position(|c| c == nis).unwrap_or(0) as u32;
    let province_of: HashMap<&str, Province> = waiting
        .iter()
        .map(|w| (w.commune.as_str(), w.province))
        .collect();

    let mut bench_crews = Vec::new();
    let mut cover: BTreeMap<(String, u32), Vec<u32>> = BTreeMap::new();
    for crew in crews {
        // Construction holidays are per province: a crew serving waiting sites in two
        // provinces is planned only on days that are working days in both, so that every
        // proposed day passes the reservation's own check for whichever site it goes to.
        let mut provinces: Vec<Province> = crew
            .communes
            .iter()
            .filter_map(|c| province_of.get(c.as_str()).copied())
            .collect();
        provinces.sort();
        provinces.dedup();
        if provinces.is_empty() {
            continue;
        }
        let calendars: Vec<WorkCalendar<'_>> = provinces
            .iter()
            .map(|&province| {
                if crew.civil_works {
                    WorkCalendar::civil_works(construction, province)
                } else {
                    WorkCalendar::other_works(construction, province)
                }
                .with_absences(&crew.absences)
            })
            .collect();
        let id = bench_crews.len() as u32;
        let capacity: Vec<u32> = (0..horizon_days)
            .map(|d| {
                let day = date(d);
                if calendars.iter().all(|c| c.is_working_day(day)) {
                    crew.daily_capacity
                        .saturating_sub(bookings.booked(crew.id, day))
                } else {
                    0
                }
            })
            .collect();
        bench_crews.push(BenchCrew {
            id,
            operator: crew.service.as_str().to_owned(),
            available: capacity.iter().map(|&c| c > 0).collect(),
            capacity: Some(capacity),
        });
        for commune in &crew.communes {
            if province_of.contains_key(commune.as_str()) {
                cover
                    .entry((crew.service.as_str().to_owned(), commune_id(commune)))
                    .or_default()
                    .push(id);
            }
        }
    }

    let mut not_planned = BTreeMap::new();
    let mut requests = Vec::new();
    let mut keys = Vec::new();
    for w in waiting {
        let from = w.windows.iter().map(|o| o.earliest).max();
        let to = w.windows.iter().map(|o| o.latest).min();
        let (Some(from), Some(to)) = (from, to) else {
            not_planned.insert(w.key.clone(), NotPlanned::NoCommonWindow);
            continue;
        };
        if to < from {
            not_planned.insert(w.key.clone(), NotPlanned::NoCommonWindow);
            continue;
        }
        let release = index(from).max(0);
        let deadline = index(to).min(horizon_days as i64 - 1);
        if deadline < release {
            not_planned.insert(w.key.clone(), NotPlanned::OutsideHorizon);
            continue;
        }
        let commune = commune_id(&w.commune);
        let operators: Vec<String> = w
            .windows
            .iter()
            .map(|o| o.service.as_str().to_owned())
            .collect();
        // No crew of an operator serves here: nothing the optimiser can do.
        if operators
            .iter()
            .any(|op| !cover.contains_key(&(op.clone(), commune)))
        {
            not_planned.insert(w.key.clone(), NotPlanned::NoCapacity);
            continue;
        }
        requests.push(BenchRequest {
            id: keys.len() as u32,
            commune,
            operators,
            release: release as usize,
            deadline: deadline as usize,
        });
        keys.push(w.key.clone());
    }

    let mut capacity_per_crew_day: BTreeMap<String, u32> = BTreeMap::new();
    for crew in &bench_crews {
        capacity_per_crew_day
            .entry(crew.operator.clone())
            .or_insert(1);
    }
    let instance = Instance {
        horizon_days,
        capacity_per_crew_day,
        weights: Weights::default(),
        communes: Vec::new(),
        crews: bench_crews,
        cover: cover
            .into_iter()
            .map(|((operator, commune), crews)| Cover {
                operator,
                commune,
                crews,
            })
            .collect(),
        requests,
    };
    let plan = optimise(&instance, &Options::default())?;
    let mut days = BTreeMap::new();
    let mut openings = std::collections::BTreeSet::new();
    for assignment in &plan.assignments {
        let key = &keys[assignment.request as usize];
        days.insert(key.clone(), date(assignment.day));
        let commune = instance.requests[assignment.request as usize].commune;
        for crew in assignment.crews.values() {
            openings.insert((*crew, assignment.day, commune));
        }
    }
    for key in keys {
        if !days.contains_key(&key) {
            not_planned.insert(key, NotPlanned::NoCapacity);
        }
    }
    Ok(LivePlan {
        days,
        not_planned,
        openings: openings.len(),
    })
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::{CrewId, Service, ServiceCode};

    /// The `n`th crew: ids that sort as `n` does.
    fn crew_id(n: u128) -> CrewId {
        Uuid::from_u128(n).to_string().parse().unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn holidays() -> ConstructionHolidays {
        ConstructionHolidays::parse(
            r#"
            [[period]]
            name = "Hainaut"
            from = 2026-07-06
            to = 2026-07-10
            provinces = ["Hainaut"]

            [[period]]
            name = "Namur"
            from = 2026-07-13
            to = 2026-07-17
            provinces = ["Namur"]
            "#,
        )
        .unwrap()
    }

    fn waiting(key: &str, commune: &str, province: Province) -> WaitingRequest {
        WaitingRequest {
            key: key.to_owned(),
            commune: commune.to_owned(),
            province,
            windows: vec![OperatorWindow {
                service: Service::Water.into(),
                earliest: d(2026, 7, 6),
                latest: d(2026, 7, 17),
            }],
        }
    }

    #[test]
    fn c_4_a_crew_across_two_provinces_is_planned_only_when_both_work() {
        // One civil-works crew serves Mons (Hainaut, off 6-10 July) and Namur (off 13-17
        // July): in those two weeks it has no day both provinces work.
        let crew = Crew {
            id: crew_id(1),
            service: ServiceCode::from(Service::Water),
            communes: vec!["53053".into(), "92094".into()],
            daily_capacity: 4,
            absences: vec![],
            civil_works: true,
        };
        let backlog = [
            waiting("mons", "53053", Province::Hainaut),
            waiting("namur", "92094", Province::Namur),
        ];
        let plan = plan_waiting(
            d(2026, 7, 6),
            10,
            &backlog,
            std::slice::from_ref(&crew),
            &Bookings::new(),
            &holidays(),
        )
        .unwrap();
        assert!(plan.days.is_empty(), "{plan:?}");
        assert_eq!(plan.not_planned.len(), 2);

        // A crew of the same operator for Namur alone works the Hainaut week there.
        let namur_only = Crew {
            id: crew_id(2),
            communes: vec!["92094".into()],
            ..crew.clone()
        };
        let plan = plan_waiting(
            d(2026, 7, 6),
            10,
            &backlog,
            &[crew, namur_only],
            &Bookings::new(),
            &holidays(),
        )
        .unwrap();
        assert_eq!(plan.days.get("namur"), Some(&d(2026, 7, 6)));
        assert!(!plan.days.contains_key("mons"));
    }

    #[test]
    fn c_8_a_partner_service_is_planned_with_its_own_crews() {
        let heat = ServiceCode::parse("heat").unwrap();
        let crews = [
            Crew {
                id: crew_id(1),
                service: Service::Water.into(),
                communes: vec!["53053".into()],
                daily_capacity: 2,
                absences: vec![],
                civil_works: true,
            },
            Crew {
                id: crew_id(2),
                service: heat.clone(),
                communes: vec!["53053".into()],
                daily_capacity: 1,
                absences: vec![d(2026, 9, 7)],
                civil_works: true,
            },
        ];
        let mut request = waiting("mons", "53053", Province::Hainaut);
        request.windows[0].earliest = d(2026, 9, 7);
        request.windows[0].latest = d(2026, 9, 30);
        request.windows.push(OperatorWindow {
            service: heat,
            earliest: d(2026, 9, 7),
            latest: d(2026, 9, 30),
        });
        let plan = plan_waiting(
            d(2026, 9, 7),
            20,
            &[request],
            &crews,
            &Bookings::new(),
            &holidays(),
        )
        .unwrap();
        // Monday 7 September the heat crew is away: Tuesday is the first day both come.
        assert_eq!(plan.days.get("mons"), Some(&d(2026, 9, 8)));
    }
}
