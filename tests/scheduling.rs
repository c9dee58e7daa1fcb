//! Scheduling: calendar (rule V-8.2.2), joint day (rule C-4) and backlog optimiser.

use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate};
use connect_my_home::scheduling::{
    ConstructionHolidays, DayOff, LeadTime, Province, WorkCalendar, lead_time_due_date,
};
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The periods shipped in the first release (the migration holds the same).
fn holidays() -> &'static ConstructionHolidays {
    static DATA: LazyLock<ConstructionHolidays> = LazyLock::new(|| {
        ConstructionHolidays::parse(include_str!("fixtures/construction-holidays.toml")).unwrap()
    });
    &DATA
}

#[test]
fn easter_monday_2026_is_not_a_working_day() {
    let cal = WorkCalendar::other_works(holidays(), Province::Namur);
    assert_eq!(cal.day_off(d(2026, 4, 6)), Some(DayOff::PublicHoliday));
    // Friday 3 April + 1 working day skips the weekend and Easter Monday.
    assert_eq!(cal.add_working_days(d(2026, 4, 3), 1), d(2026, 4, 7));
}

#[test]
fn whit_monday_2027_is_not_a_working_day() {
    let cal = WorkCalendar::other_works(holidays(), Province::Hainaut);
    assert_eq!(cal.day_off(d(2027, 5, 17)), Some(DayOff::PublicHoliday));
    assert_eq!(cal.working_days_between(d(2027, 5, 14), d(2027, 5, 18)), 1);
}

#[test]
fn construction_holidays_stop_civil_works_crews_only() {
    let civil = WorkCalendar::civil_works(holidays(), Province::Hainaut);
    let telecom = WorkCalendar::other_works(holidays(), Province::Hainaut);
    assert_eq!(
        civil.day_off(d(2025, 7, 8)),
        Some(DayOff::ConstructionHoliday)
    );
    assert!(telecom.is_working_day(d(2025, 7, 8)));
    // Winter rest day 2 January 2026.
    assert!(!civil.is_working_day(d(2026, 1, 2)));
    assert!(telecom.is_working_day(d(2026, 1, 2)));
}

#[test]
fn crew_absences_are_days_off() {
    let absences = [d(2026, 3, 10)];
    let cal = WorkCalendar::civil_works(holidays(), Province::Liege).with_absences(&absences);
    assert_eq!(cal.day_off(d(2026, 3, 10)), Some(DayOff::Absent));
    assert_eq!(cal.add_working_days(d(2026, 3, 9), 1), d(2026, 3, 11));
}

#[test]
fn v_8_2_2_lead_time_is_suspended_during_construction_holidays() {
    // Conditions met Friday 4 July 2025; 10 working days in Hainaut. The holidays run from
    // Monday 7 to Monday 28 July, and 21 July is a public holiday anyway: the count restarts on
    // Tuesday 29 July, so the 10th working day is Monday 11 August.
    let due = lead_time_due_date(
        holidays(),
        Province::Hainaut,
        d(2025, 7, 4),
        LeadTime::WorkingDays(10),
    );
    assert_eq!(due, d(2025, 8, 11));
    // In Namur (holidays 14 July to 1 August) the first week still counts.
    let due = lead_time_due_date(
        holidays(),
        Province::Namur,
        d(2025, 7, 4),
        LeadTime::WorkingDays(10),
    );
    // 7-11 July = 5 days, then 4-8 August = 5 days.
    assert_eq!(due, d(2025, 8, 8));
    // Without holidays in the way, 30 working days are six weeks minus public holidays.
    let due = lead_time_due_date(
        holidays(),
        Province::Namur,
        d(2026, 2, 2),
        LeadTime::WorkingDays(30),
    );
    assert_eq!(due, d(2026, 3, 16));
}

#[test]
fn v_8_2_2_calendar_day_lead_time_skips_construction_holidays() {
    // 30 calendar days from 20 December 2026 skip the four winter rest days 21-24 December.
    let due = lead_time_due_date(
        holidays(),
        Province::Luxembourg,
        d(2026, 12, 20),
        LeadTime::CalendarDays(30),
    );
    assert_eq!(due, d(2026, 12, 20) + Days::new(34));
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 2024-2032: covers the data file's years and years without data.
    (0u64..3300).prop_map(|n| d(2024, 1, 1) + Days::new(n))
}

fn any_province() -> impl Strategy<Value = Province> {
    (0usize..5).prop_map(|i| Province::ALL[i])
}

proptest! {
    #[test]
    fn adding_working_days_lands_on_a_working_day_and_counts_back(
        from in any_date(),
        n in 1u32..200,
        province in any_province(),
        civil in any::<bool>(),
        absent in proptest::collection::vec(0u64..300, 0..20),
    ) {
        let absences: Vec<NaiveDate> = absent.iter().map(|k| from + Days::new(*k)).collect();
        let base = if civil {
            WorkCalendar::civil_works(holidays(), province)
        } else {
            WorkCalendar::other_works(holidays(), province)
        };
        let cal = base.with_absences(&absences);
        let to = cal.add_working_days(from, n);
        prop_assert!(cal.is_working_day(to));
        prop_assert!(to > from);
        prop_assert_eq!(cal.working_days_between(from, to), n);
        // One day earlier there is one working day fewer.
        prop_assert_eq!(cal.working_days_between(from, to.pred_opt().unwrap()), n - 1);
    }

    #[test]
    fn working_days_are_additive(
        a in any_date(),
        k in 0u32..100,
        m in 0u32..100,
        province in any_province(),
    ) {
        let cal = WorkCalendar::civil_works(holidays(), province);
        let b = cal.add_working_days(a, k);
        let c = cal.add_working_days(b, m);
        prop_assert_eq!(cal.add_working_days(a, k + m), c);
        prop_assert_eq!(cal.working_days_between(a, c), k + m);
    }

    #[test]
    fn suspended_lead_time_is_never_shorter_than_a_plain_one(
        from in any_date(),
        n in 0u32..120,
        province in any_province(),
    ) {
        let plain = WorkCalendar::other_works(holidays(), province).add_working_days(from, n);
        let suspended = lead_time_due_date(holidays(), province, from, LeadTime::WorkingDays(n));
        prop_assert!(suspended >= plain);
        let calendar = lead_time_due_date(holidays(), province, from, LeadTime::CalendarDays(n));
        prop_assert!(calendar >= from + Days::new(u64::from(n)));
    }
}

mod joint_day {
    use super::*;
    use connect_my_home::{
        domain::{CrewId, ServiceCode, request::Service},
        scheduling::{
            Blocked, Blocker, Bookings, Crew, JointDayError, JointDayQuery, OperatorWindow, Wait,
            first_day_after_payment, first_day_after_permit, is_public_holiday, joint_days,
        },
    };
    use uuid::Uuid;

    const MONS: &str = "53053";

    fn working(date: NaiveDate) -> bool {
        !matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
            && !is_public_holiday(date)
    }

    #[test]
    fn c_6_the_works_come_after_the_day_the_commune_decision_is_due() {
        // Asked on Wednesday 2 December 2026, decided within 45 days: by Saturday 16 January.
        assert_eq!(
            first_day_after_permit(d(2026, 12, 2), 45),
            (d(2027, 1, 16), d(2027, 1, 17))
        );
    }

    #[test]
    fn v_8_2_1_a_payment_still_to_make_leaves_the_second_working_day() {
        // Wednesday: paid Thursday at the earliest, works on Friday.
        assert_eq!(first_day_after_payment(d(2026, 12, 2)), d(2026, 12, 4));
        // Thursday 24 December: Friday 25 is Christmas, paid Monday 28, works Tuesday 29.
        assert_eq!(first_day_after_payment(d(2026, 12, 24)), d(2026, 12, 29));
    }

    #[test]
    fn c_6_v_8_2_1_no_candidate_before_what_must_come_first_and_each_earlier_day_says_why() {
        let crews = [
            crew(1, Service::Electricity, true),
            crew(2, Service::Water, true),
        ];
        let operators = [
            window(Service::Electricity, d(2026, 12, 2), d(2027, 3, 31)),
            window(Service::Water, d(2026, 12, 2), d(2027, 3, 31)),
        ];
        let (until, first_day) = first_day_after_permit(d(2026, 12, 2), 45);
        let waits = [
            Wait {
                service: Some(Service::Water.into()),
                reason: Blocked::NotPaid,
                first_day: first_day_after_payment(d(2026, 12, 2)),
            },
            Wait {
                service: None,
                reason: Blocked::AwaitingPermit { until },
                first_day,
            },
        ];
        let found = joint_days(
            JointDayQuery {
                commune: MONS,
                province: Province::Hainaut,
                operators: &operators,
                wanted: 1,
                waits: &waits,
                since: d(2026, 12, 2),
            },
            &crews,
            &Bookings::new(),
            holidays(),
        )
        .unwrap();
        assert_eq!(found.from, d(2027, 1, 17));
        assert_eq!(found.candidates[0].date, d(2027, 1, 18));
        let permit = Blocked::AwaitingPermit {
            until: d(2027, 1, 16),
        };
        // Wednesday and Thursday: the water invoice and the permit; then the permit alone.
        let first = &found.impossible[0];
        assert_eq!(first.date, d(2026, 12, 2));
        assert_eq!(first.waiting, [permit]);
        assert_eq!(
            first.blockers,
            [Blocker {
                service: Service::Water.into(),
                reason: Blocked::NotPaid
            }]
        );
        assert_eq!(found.impossible[1].date, d(2026, 12, 3));
        let third = &found.impossible[2];
        assert_eq!(
            (third.date, third.blockers.is_empty()),
            (d(2026, 12, 4), true)
        );
        assert_eq!(third.waiting, [permit]);
        // Every working day up to the decision is listed, none other.
        let listed: Vec<NaiveDate> = found
            .impossible
            .iter()
            .map(|i| i.date)
            .take_while(|day| *day < found.from)
            .collect();
        let expected: Vec<NaiveDate> = d(2026, 12, 2)
            .iter_days()
            .take_while(|day| *day < d(2027, 1, 17))
            .filter(|day| working(*day))
            .collect();
        assert_eq!(listed, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// V-8.2.1, B-5.4: a payment still to make leaves a later working day than the one it
        /// is credited, itself after today.
        #[test]
        fn v_8_2_1_after_payment_is_the_second_working_day(today in any_date()) {
            let first = first_day_after_payment(today);
            prop_assert!(first > today);
            prop_assert!(working(first));
            let between = today
                .iter_days()
                .skip(1)
                .take_while(|day| *day < first)
                .filter(|day| working(*day))
                .count();
            prop_assert_eq!(between, 1);
        }

        /// C-6, V-8.2.1: no candidate before the first day any wait leaves, and every working
        /// day from today to the window's start is impossible with at least one reason.
        #[test]
        fn c_6_no_candidate_before_a_wait_and_every_earlier_day_has_its_reason(
            today in any_date(),
            permit_days in 0u32..60,
            unpaid in proptest::bool::ANY,
            earliest in 0u64..40,
        ) {
            let services = [Service::Electricity, Service::Water, Service::Voo];
            let crews: Vec<Crew> = services
                .iter()
                .enumerate()
                .map(|(i, s)| crew(i as u128 + 1, *s, *s != Service::Voo))
                .collect();
            let operators: Vec<OperatorWindow> = services
                .iter()
                .map(|s| window(*s, today + Days::new(earliest), today + Days::new(400)))
                .collect();
            let (until, first_day) = first_day_after_permit(today, permit_days);
            let mut waits = vec![Wait {
                service: None,
                reason: Blocked::AwaitingPermit { until },
                first_day,
            }];
            if unpaid {
                waits.push(Wait {
                    service: Some(Service::Water.into()),
                    reason: Blocked::NotPaid,
                    first_day: first_day_after_payment(today),
                });
            }
            let found = joint_days(
                JointDayQuery {
                    commune: MONS,
                    province: Province::Hainaut,
                    operators: &operators,
                    wanted: 3,
                    waits: &waits,
                    since: today,
                },
                &crews,
                &Bookings::new(),
                holidays(),
            )
            .unwrap();
            for candidate in &found.candidates {
                prop_assert!(candidate.date > until);
                prop_assert!(candidate.date >= today + Days::new(earliest));
                if unpaid {
                    prop_assert!(candidate.date >= first_day_after_payment(today));
                }
            }
            for day in today.iter_days().take_while(|day| *day < found.from) {
                let listed = found.impossible.iter().find(|i| i.date == day);
                if working(day) {
                    let listed = listed.expect("every earlier working day is explained");
                    prop_assert!(!listed.waiting.is_empty() || !listed.blockers.is_empty());
                }
            }
        }
    }

    /// The `n`th crew: ids that sort as `n` does.
    fn crew_id(n: u128) -> CrewId {
        Uuid::from_u128(n).to_string().parse().unwrap()
    }

    fn crew(n: u128, service: Service, civil_works: bool) -> Crew {
        Crew {
            id: crew_id(n),
            service: service.into(),
            communes: vec![MONS.to_owned(), "53082".to_owned()],
            daily_capacity: 2,
            absences: vec![],
            civil_works,
        }
    }

    fn window(service: Service, earliest: NaiveDate, latest: NaiveDate) -> OperatorWindow {
        OperatorWindow {
            service: service.into(),
            earliest,
            latest,
        }
    }

    #[test]
    fn c_4_first_days_where_every_operator_can_come_with_reasons_for_the_others() {
        let mut elec = crew(1, Service::Electricity, true);
        elec.absences.push(d(2025, 7, 30));
        let mut water = crew(2, Service::Water, true);
        water.absences.push(d(2025, 7, 29));
        let voo = crew(3, Service::Voo, false);
        let crews = [elec, water, voo];
        let mut bookings = Bookings::new();
        bookings.add(crew_id(2), d(2025, 7, 31), 2); // water full on Thursday 31 July
        let operators = [
            window(Service::Electricity, d(2025, 7, 25), d(2025, 9, 30)),
            window(Service::Water, d(2025, 7, 1), d(2025, 8, 31)),
            window(Service::Voo, d(2025, 7, 28), d(2025, 12, 31)),
        ];
        let found = joint_days(
            JointDayQuery {
                commune: MONS,
                province: Province::Hainaut,
                operators: &operators,
                wanted: 2,
                waits: &[],
                since: d(2025, 7, 28),
            },
            &crews,
            &bookings,
            holidays(),
        )
        .unwrap();
        assert_eq!((found.from, found.to), (d(2025, 7, 28), d(2025, 8, 31)));
        // VOO's earliest date opens the window: the officer is told so.
        assert_eq!(found.from_set_by, vec![ServiceCode::from(Service::Voo)]);
        let dates: Vec<NaiveDate> = found.candidates.iter().map(|c| c.date).collect();
        assert_eq!(dates, [d(2025, 8, 1), d(2025, 8, 4)]);
        assert_eq!(found.candidates[0].crews.len(), 3);
        let why: Vec<(NaiveDate, Vec<Blocker>)> = found
            .impossible
            .iter()
            .map(|i| (i.date, i.blockers.clone()))
            .collect();
        let civil = |reason| {
            vec![
                Blocker {
                    service: Service::Electricity.into(),
                    reason,
                },
                Blocker {
                    service: Service::Water.into(),
                    reason,
                },
            ]
        };
        // Hainaut's construction holidays end on Monday 28 July 2025 (the telecom crew works).
        assert_eq!(
            why[0],
            (d(2025, 7, 28), civil(Blocked::ConstructionHoliday))
        );
        assert_eq!(
            why[1],
            (
                d(2025, 7, 29),
                vec![Blocker {
                    service: Service::Water.into(),
                    reason: Blocked::CrewAbsent
                }]
            )
        );
        assert_eq!(
            why[2],
            (
                d(2025, 7, 30),
                vec![Blocker {
                    service: Service::Electricity.into(),
                    reason: Blocked::CrewAbsent
                }]
            )
        );
        assert_eq!(
            why[3],
            (
                d(2025, 7, 31),
                vec![Blocker {
                    service: Service::Water.into(),
                    reason: Blocked::CrewFull
                }]
            )
        );
        // The weekend between the two candidates is reported for every operator.
        assert_eq!(why[4].0, d(2025, 8, 2));
        assert!(why[4].1.iter().all(|b| b.reason == Blocked::Weekend));
        assert_eq!(why.len(), 6);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// C-4: every proposed day is a working day for each crew offered, within the common
        /// window, and never beyond a crew's capacity.
        #[test]
        fn c_4_proposed_days_are_working_days_with_free_capacity(
            start in 0u32..700,
            length in 1u32..60,
            capacities in proptest::collection::vec(1u32..3, 3),
            absences in proptest::collection::vec(0u32..60, 0..8),
            booked in proptest::collection::vec((0usize..3, 0u32..60, 1u32..3), 0..20),
        ) {
            let first = d(2025, 1, 1) + Days::new(u64::from(start));
            let services = [Service::Electricity, Service::Water, Service::Voo];
            let crews: Vec<Crew> = services
                .iter()
                .enumerate()
                .map(|(i, service)| {
                    let mut c = crew(i as u128 + 1, *service, *service != Service::Voo);
                    c.daily_capacity = capacities[i];
                    c.absences = absences
                        .iter()
                        .filter(|offset| **offset % 3 == i as u32)
                        .map(|offset| first + Days::new(u64::from(*offset)))
                        .collect();
                    c
                })
                .collect();
            let mut bookings = Bookings::new();
            for (i, offset, jobs) in &booked {
                bookings.add(crews[*i].id, first + Days::new(u64::from(*offset)), *jobs);
            }
            let last = first + Days::new(u64::from(length));
            let operators: Vec<OperatorWindow> =
                services.iter().map(|s| window(*s, first, last)).collect();
            let found = joint_days(
                JointDayQuery {
                    commune: MONS,
                    province: Province::Hainaut,
                    operators: &operators,
                    wanted: 5,
                    waits: &[],
                    since: first,
                },
                &crews,
                &bookings,
                holidays(),
            )
            .unwrap();
            for candidate in &found.candidates {
                prop_assert!(candidate.date >= first && candidate.date <= last);
                prop_assert_eq!(candidate.crews.len(), services.len());
                for free in &candidate.crews {
                    prop_assert!(!free.crews.is_empty());
                    for id in &free.crews {
                        let crew = crews.iter().find(|c| c.id == *id).unwrap();
                        let calendar = if crew.civil_works {
                            WorkCalendar::civil_works(holidays(), Province::Hainaut)
                        } else {
                            WorkCalendar::other_works(holidays(), Province::Hainaut)
                        }
                        .with_absences(&crew.absences);
                        prop_assert!(calendar.is_working_day(candidate.date));
                        prop_assert!(bookings.booked(*id, candidate.date) < crew.daily_capacity);
                    }
                }
            }
        }
    }

    #[test]
    fn an_operator_without_crew_in_the_commune_blocks_every_day() {
        let crews = [crew(1, Service::Electricity, true)];
        let operators = [
            window(Service::Electricity, d(2026, 3, 2), d(2026, 3, 6)),
            window(Service::Gas, d(2026, 3, 2), d(2026, 3, 6)),
        ];
        let found = joint_days(
            JointDayQuery {
                commune: MONS,
                province: Province::Hainaut,
                operators: &operators,
                wanted: 3,
                waits: &[],
                since: d(2026, 3, 2),
            },
            &crews,
            &Bookings::new(),
            holidays(),
        )
        .unwrap();
        assert!(found.candidates.is_empty());
        assert_eq!(found.impossible.len(), 5);
        assert!(found.impossible.iter().all(|day| day.blockers
            == [Blocker {
                service: Service::Gas.into(),
                reason: Blocked::NoCrewInCommune
            }]));
    }

    #[test]
    fn windows_that_do_not_meet_are_an_error() {
        let operators = [
            window(Service::Electricity, d(2026, 3, 2), d(2026, 3, 6)),
            window(Service::Water, d(2026, 3, 9), d(2026, 3, 20)),
        ];
        let query = JointDayQuery {
            commune: MONS,
            province: Province::Hainaut,
            operators: &operators,
            wanted: 1,
            waits: &[],
            since: d(2026, 3, 2),
        };
        assert_eq!(
            joint_days(query, &[], &Bookings::new(), holidays()),
            Err(JointDayError::NoCommonWindow {
                from: d(2026, 3, 9),
                to: d(2026, 3, 6)
            })
        );
    }
}

mod backlog {
    use std::collections::BTreeMap;

    use connect_my_home::scheduling::backlog::{
        Assignment, BenchCrew, BenchRequest, Cover, Instance, InstanceError, Options, Plan,
        Weights, evaluate, optimise,
    };
    use proptest::prelude::*;

    const OPS: [&str; 3] = ["elec", "water", "tel1"];

    /// A small instance: `communes` communes split into two service areas per operator, two
    /// crews per area, random absences and windows.
    fn instance(seed: u64, requests: usize, horizon: usize) -> Instance {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let communes = 6u32;
        let mut crews = Vec::new();
        let mut cover = Vec::new();
        for op in OPS {
            for area in 0..2u32 {
                let first = crews.len() as u32;
                for _ in 0..2 {
                    let available = (0..horizon).map(|d| d % 7 < 5 && next(10) > 0).collect();
                    // Some crews have their own size and partly booked days (a live backlog).
                    let capacity =
                        (next(3) == 0).then(|| (0..horizon).map(|_| next(4) as u32).collect());
                    crews.push(BenchCrew {
                        id: crews.len() as u32,
                        operator: op.to_owned(),
                        available,
                        capacity,
                    });
                }
                for commune in (0..communes).filter(|c| c % 2 == area) {
                    cover.push(Cover {
                        operator: op.to_owned(),
                        commune,
                        crews: vec![first, first + 1],
                    });
                }
            }
        }
        let requests = (0..requests as u32)
            .map(|id| {
                let release = next(horizon as u64 / 2) as usize;
                let mut operators = vec!["elec".to_owned()];
                operators.extend(
                    OPS[1..]
                        .iter()
                        .filter(|_| next(3) > 0)
                        .map(|o| (*o).to_owned()),
                );
                BenchRequest {
                    id,
                    commune: next(u64::from(communes)) as u32,
                    operators,
                    release,
                    deadline: (release + 3 + next(horizon as u64) as usize).min(horizon - 1),
                }
            })
            .collect();
        Instance {
            horizon_days: horizon,
            capacity_per_crew_day: OPS.iter().map(|o| ((*o).to_owned(), 2)).collect(),
            weights: Weights::default(),
            communes: vec![],
            crews,
            cover,
            requests,
        }
    }

    fn quick() -> Options {
        Options {
            effort: 4.0,
            polish: 8.0,
            ..Options::default()
        }
    }

    #[test]
    fn c_4_every_request_gets_all_its_operators_on_one_day_within_capacity() {
        let inst = instance(7, 150, 28);
        let plan = optimise(&inst, &quick()).unwrap();
        let score = evaluate(&inst, &plan).unwrap();
        assert!(score.served > 0);
        // The demand exceeds the capacity: some requests stay unplanned, none is split.
        assert!(score.served < 150);
        for a in &plan.assignments {
            let r = &inst.requests[a.request as usize];
            assert_eq!(a.crews.len(), r.operators.len());
        }
    }

    #[test]
    fn the_same_instance_gives_the_same_plan() {
        let inst = instance(3, 120, 28);
        let one = optimise(&inst, &quick()).unwrap();
        let two = optimise(&inst, &quick()).unwrap();
        assert_eq!(one, two);
        let single = Options {
            threads: 1,
            ..quick()
        };
        assert_eq!(
            optimise(&inst, &single).unwrap(),
            optimise(&inst, &single).unwrap()
        );
    }

    #[test]
    fn serves_everything_when_capacity_is_ample() {
        let inst = instance(11, 20, 28);
        let plan = optimise(&inst, &quick()).unwrap();
        let score = evaluate(&inst, &plan).unwrap();
        let possible = inst
            .requests
            .iter()
            .filter(|r| {
                (r.release..=r.deadline).any(|d| {
                    r.operators.iter().all(|o| {
                        inst.cover
                            .iter()
                            .find(|c| &c.operator == o && c.commune == r.commune)
                            .is_some_and(|c| {
                                c.crews.iter().any(|&k| inst.crews[k as usize].available[d])
                            })
                    })
                })
            })
            .count();
        assert_eq!(score.served, possible);
    }

    #[test]
    fn evaluate_rejects_an_overbooked_crew_and_a_wrong_day() {
        let inst = instance(5, 10, 14);
        let day = (0..14).find(|&d| inst.crews[0].available[d]).unwrap();
        let mut plan = Plan::default();
        for id in 0..3u32 {
            plan.assignments.push(Assignment {
                request: id,
                day,
                crews: BTreeMap::from([("elec".to_owned(), 0)]),
            });
        }
        assert!(evaluate(&inst, &plan).is_err());
        let r = &inst.requests[0];
        let crews = r.operators.iter().map(|o| (o.clone(), 0)).collect();
        let early = Plan {
            assignments: vec![Assignment {
                request: 0,
                day: r.deadline + 1,
                crews,
            }],
        };
        assert!(evaluate(&inst, &early).is_err());
    }

    #[test]
    fn malformed_instances_are_refused_with_the_reason() {
        let mut inst = instance(1, 5, 14);
        inst.crews[2].available.pop();
        assert_eq!(
            optimise(&inst, &quick()),
            Err(InstanceError::Availability {
                crew: 2,
                got: 13,
                horizon: 14
            })
        );
        let mut inst = instance(1, 5, 14);
        inst.cover[0].crews.push(99);
        assert!(matches!(
            optimise(&inst, &quick()),
            Err(InstanceError::Cover { crew: 99, .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn plans_are_always_valid(seed in 0u64..10_000, n in 1usize..80, horizon in 7usize..40) {
            let inst = instance(seed, n, horizon);
            let plan = optimise(&inst, &quick()).unwrap();
            prop_assert!(evaluate(&inst, &plan).is_ok());
        }
    }
}
