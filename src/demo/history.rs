//! Demo history for the communes' dashboards (journey 8): joint days done in 2026 in Namur,
//! Mons and Charleroi with their permits decided, and a few coming ones whose permit awaits
//! the commune (one overdue, one with a question, one refused). Written straight to the
//! tables, one transaction per site, skipped when already there: idempotent and quick.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use crate::domain::{OrganisationId, PermitId, RequestId, UserId};
use crate::{
    db::{
        DbError, Tx, crews, organisations,
        permits::{self, NewAction, NewPermit},
        requests::{self, NewEvent, NewRequestRecord},
    },
    domain::RequestState,
    domain::{
        Service,
        permit::{PermitStatus, due_on},
    },
    services::{
        auth::{new_token, token_hash},
        reference::SeedError,
    },
    state::AppState,
};

/// How the commune decided (or has not yet).
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Approved,
    Conditions(&'static str),
    Pending,
    Question(&'static str),
    Refused(&'static str),
}

struct Site {
    key: &'static str,
    commune: &'static str,
    street: &'static str,
    number: &'static str,
    applicant: &'static str,
    services: &'static [Service],
    /// A done joint day, or in this many days from now.
    when: When,
    outcome: Outcome,
    /// Water route measured by SWDE's survey (metres), else the default.
    water_metres: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
enum When {
    Done(&'static str),
    /// Planned that many days ahead; the permit was requested that many days ago.
    Coming {
        ahead: i64,
        requested_ago: i64,
    },
}

use Service::{Electricity as E, Gas as G, Proximus as P, Voo as V, Water as W};

const CONDITIONS: &str = "Travaux entre 9 h et 16 h ; trottoir remis en état à l'identique (pavés récupérés) ; riverains prévenus 48 h à l'avance.";

const SITES: &[Site] = &[
    // Namur
    site(
        "namur-1",
        "namur",
        "Rue de Fer",
        "12",
        "Claire Lambotte",
        &[E, G, W, P, V],
        When::Done("2026-01-20"),
        Outcome::Approved,
        Some(14),
    ),
    site(
        "namur-2",
        "namur",
        "Rue Godefroid",
        "5",
        "Yves Collard",
        &[E, W, V],
        When::Done("2026-02-17"),
        Outcome::Approved,
        None,
    ),
    site(
        "namur-3",
        "namur",
        "Chaussée de Louvain",
        "88",
        "Sarah Dumont",
        &[E, G, P],
        When::Done("2026-03-10"),
        Outcome::Conditions(CONDITIONS),
        None,
    ),
    site(
        "namur-4",
        "namur",
        "Rue de Fer",
        "40",
        "Marc Hublet",
        &[E, W],
        When::Done("2026-04-21"),
        Outcome::Approved,
        None,
    ),
    site(
        "namur-5",
        "namur",
        "Avenue Reine Astrid",
        "3",
        "Julie Marchal",
        &[E, G, W, P, V],
        When::Done("2026-05-19"),
        Outcome::Approved,
        Some(18),
    ),
    site(
        "namur-6",
        "namur",
        "Rue Lelièvre",
        "7",
        "Hugo Pirard",
        &[W, P],
        When::Done("2026-06-16"),
        Outcome::Approved,
        None,
    ),
    site(
        "namur-7",
        "namur",
        "Boulevard d'Herbatte",
        "21",
        "Anne Wauthier",
        &[E, G, V],
        When::Done("2026-09-15"),
        Outcome::Conditions(CONDITIONS),
        None,
    ),
    site(
        "namur-8",
        "namur",
        "Rue Saint-Nicolas",
        "9",
        "Luc Delvaux",
        &[E, G, W, P],
        When::Done("2026-10-13"),
        Outcome::Approved,
        None,
    ),
    // Telecom only, in sleeves already laid: no road opened, no permit needed.
    site(
        "namur-11",
        "namur",
        "Rue de l'Ange",
        "6",
        "Théo Gérard",
        &[P, V],
        When::Done("2026-07-07"),
        Outcome::Approved,
        None,
    ),
    site(
        "namur-9",
        "namur",
        "Rue des Brasseurs",
        "30",
        "Emma Lejeune",
        &[E, G, W, V],
        When::Coming {
            ahead: 24,
            requested_ago: 5,
        },
        Outcome::Pending,
        None,
    ),
    site(
        "namur-10",
        "namur",
        "Rue Basse Marcelle",
        "4",
        "Noah Jacquet",
        &[E, W, P],
        When::Coming {
            ahead: 38,
            requested_ago: 12,
        },
        Outcome::Question(
            "Pouvez-vous joindre le plan d'implantation de la tranchée côté trottoir ?",
        ),
        None,
    ),
    // Mons
    site(
        "mons-1",
        "mons",
        "Rue de Nimy",
        "15",
        "Pierre Dubois",
        &[E, G, W, P, V],
        When::Done("2026-01-27"),
        Outcome::Approved,
        None,
    ),
    site(
        "mons-2",
        "mons",
        "Rue d'Havré",
        "60",
        "Léa Gilson",
        &[E, G, W],
        When::Done("2026-03-03"),
        Outcome::Approved,
        Some(16),
    ),
    site(
        "mons-3",
        "mons",
        "Rue de Nimy",
        "42",
        "Tom Lecomte",
        &[E, W, V],
        When::Done("2026-04-14"),
        Outcome::Approved,
        None,
    ),
    site(
        "mons-4",
        "mons",
        "Avenue Frère-Orban",
        "11",
        "Inès Bertrand",
        &[E, G, P, V],
        When::Done("2026-06-09"),
        Outcome::Conditions(CONDITIONS),
        None,
    ),
    site(
        "mons-5",
        "mons",
        "Rue de la Chaussée",
        "2",
        "Adam Renard",
        &[W, V],
        When::Done("2026-08-25"),
        Outcome::Approved,
        None,
    ),
    site(
        "mons-6",
        "mons",
        "Boulevard Dolez",
        "18",
        "Zoé Laurent",
        &[E, G, W, P, V],
        When::Done("2026-10-06"),
        Outcome::Approved,
        None,
    ),
    site(
        "mons-9",
        "mons",
        "Rue des Capucins",
        "8",
        "Mila Gobert",
        &[P, V],
        When::Done("2026-05-26"),
        Outcome::Approved,
        None,
    ),
    site(
        "mons-7",
        "mons",
        "Rue des Fripiers",
        "3",
        "Louis Mathieu",
        &[E, G, W, P, V],
        When::Coming {
            ahead: 16,
            requested_ago: 50,
        },
        Outcome::Pending,
        None,
    ),
    site(
        "mons-8",
        "mons",
        "Rue de Bertaimont",
        "25",
        "Camille Denis",
        &[E, W],
        When::Coming {
            ahead: 40,
            requested_ago: 2,
        },
        Outcome::Pending,
        None,
    ),
    // Charleroi
    site(
        "charleroi-1",
        "charleroi",
        "Boulevard Tirou",
        "100",
        "Sofia Lambert",
        &[E, G, W, P],
        When::Done("2026-02-10"),
        Outcome::Approved,
        None,
    ),
    site(
        "charleroi-2",
        "charleroi",
        "Rue de Montigny",
        "80",
        "Jules Renson",
        &[E, G, W, P, V],
        When::Done("2026-03-24"),
        Outcome::Approved,
        Some(20),
    ),
    site(
        "charleroi-3",
        "charleroi",
        "Rue de Marcinelle",
        "14",
        "Alice Poncelet",
        &[E, W, V],
        When::Done("2026-05-05"),
        Outcome::Approved,
        None,
    ),
    site(
        "charleroi-4",
        "charleroi",
        "Quai de Brabant",
        "5",
        "Nathan Servais",
        &[E, G, P, V],
        When::Done("2026-09-08"),
        Outcome::Conditions(CONDITIONS),
        None,
    ),
    site(
        "charleroi-5",
        "charleroi",
        "Rue de Montigny",
        "120",
        "Lina Hanot",
        &[E, W],
        When::Done("2026-11-03"),
        Outcome::Approved,
        None,
    ),
    site(
        "charleroi-6",
        "charleroi",
        "Rue du Collège",
        "9",
        "Victor Mahy",
        &[E, G, W],
        When::Coming {
            ahead: 30,
            requested_ago: 20,
        },
        Outcome::Refused(
            "Voirie refaite en 2025 : pas d'ouverture de chaussée avant 2030. Passez par le trottoir côté impair, sans traversée.",
        ),
        None,
    ),
];

#[expect(clippy::too_many_arguments, reason = "a const table row")]
const fn site(
    key: &'static str,
    commune: &'static str,
    street: &'static str,
    number: &'static str,
    applicant: &'static str,
    services: &'static [Service],
    when: When,
    outcome: Outcome,
    water_metres: Option<u32>,
) -> Site {
    Site {
        key,
        commune,
        street,
        number,
        applicant,
        services,
        when,
        outcome,
        water_metres,
    }
}

/// (postcode, NIS code, crew name, the commune's demo account)
fn commune_facts(slug: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match slug {
        "namur" => ("5000", "92094", "Équipe Namur", "travaux@namur.demo"),
        "mons" => ("7000", "53053", "Équipe Hainaut", "travaux@mons.demo"),
        _ => ("6000", "52011", "Équipe Hainaut", "travaux@charleroi.demo"),
    }
}

fn operator_slug(service: Service) -> &'static str {
    match service {
        Service::Electricity => "ores-electricity",
        Service::Gas => "ores-gas",
        Service::Water => "swde",
        Service::Proximus => "proximus",
        Service::Voo => "voo",
    }
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

/// The next Tuesday on or after `day` (the demo crews' usual day in the communes).
fn tuesday_from(day: NaiveDate) -> NaiveDate {
    let mut day = day;
    while day.weekday() != Weekday::Tue {
        day += Duration::days(1);
    }
    day
}

pub async fn demo_history(state: &AppState) -> Result<(), SeedError> {
    let now = state.clock.now();
    for site in SITES {
        let key = format!("demo-history-{}", site.key);
        if requests::by_idempotency_key(&state.db, &key)
            .await?
            .is_some()
        {
            continue;
        }
        let mut tx = state.db.begin_write().await?;
        match add_site(state, &mut tx, site, &key, now).await {
            Ok(()) => tx.commit().await.map_err(DbError::from)?,
            Err(error) => {
                tx.rollback().await.map_err(DbError::from)?;
                return Err(error);
            }
        }
    }
    Ok(())
}

async fn add_site(
    state: &AppState,
    tx: &mut Tx,
    site: &Site,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    let missing = |what: &str| SeedError::Demo(key.to_owned(), format!("{what} missing"));
    let (postcode, nis, crew_name, _) = commune_facts(site.commune);
    let (day, requested_at, done) = match site.when {
        When::Done(text) => {
            let day = crate::clock::parse_day(text).ok_or_else(|| missing("day"))?;
            (day, at(day - Duration::days(30), 9), true)
        }
        When::Coming {
            ahead,
            requested_ago,
        } => {
            let requested_at = now - Duration::days(requested_ago);
            // A day that can really happen: after the day the commune's decision is due
            // (C-6), and a working day of the site's civil-works crews (no construction
            // holiday, V-8.2.2).
            let due = due_on(
                crate::clock::day_of(requested_at),
                state.config.permit_decision_days,
            );
            let construction = crate::services::holidays::load(&mut **tx).await?;
            let province = crate::services::holidays::province_of_commune(&state.directory, nis)
                .ok_or_else(|| missing("province"))?;
            let calendar = crate::scheduling::WorkCalendar::civil_works(&construction, province);
            let mut day = tuesday_from(
                (crate::clock::day_of(now) + Duration::days(ahead)).max(due + Duration::days(1)),
            );
            while !calendar.is_working_day(day) {
                day = tuesday_from(day + Duration::days(1));
            }
            (day, requested_at, false)
        }
    };
    let submitted_at = requested_at - Duration::days(45);
    let coordinator = organisations::by_slug(&state.db, "ores").await?;
    let municipality = organisations::by_slug(&state.db, site.commune).await?;
    let id = RequestId::generate();
    let number =
        requests::next_reference_number(tx, crate::clock::day_of(submitted_at).year()).await?;
    let reference = crate::domain::Reference {
        year: crate::clock::day_of(submitted_at).year(),
        number,
    }
    .to_string();
    let commune_name = state
        .directory
        .commune_by_nis(nis)
        .map_or_else(|| site.commune.to_owned(), |c| c.name.clone());
    requests::insert(
        tx,
        &NewRequestRecord {
            id,
            reference,
            idempotency_key: key.to_owned(),
            input_fingerprint: None,
            follow_token_hash: token_hash(&new_token()),
            coordinator_id: coordinator.id,
            state: "assessed".into(),
            applicant_kind: "natural".into(),
            applicant_name: site.applicant.into(),
            company_number: None,
            email: format!("{}@example.be", site.key),
            phone: "+32 81 00 00 00".into(),
            language: "fr".into(),
            street: Some(site.street.into()),
            house_number: Some(site.number.into()),
            locality: None,
            postcode: postcode.into(),
            commune_nis: nis.into(),
            commune_name: commune_name.clone(),
            map_point: None,
            parcel_ref: None,
            building: "house".into(),
            dwellings: 1,
            electricity_band: site
                .services
                .contains(&Service::Electricity)
                .then(|| "3x25".into()),
            wished_from: None,
            wished_to: None,
            remarks: None,
            submitted_at,
            servicing_operation: None,
            servicing_frontage_m: None,
            servicing_parcels: None,
            servicing_candelabras: None,
            servicing_planned_frontages: None,
            servicing_supply_points: None,
            servicing_cabin: None,
            servicing_social: None,
            servicing_t5387: None,
            servicing_existing_pole_lights: None,
            applicant_vat: None,
            dwelling_first_occupied_year: None,
            electricity_current_band: None,
            water_work: None,
            water_unbilled: false,
            servicing_payer_name: None,
            servicing_payer_address: None,
            servicing_payer_vat: None,
            servicing_payer_company_number: None,
        },
    )
    .await?;
    requests::insert_party(tx, id, coordinator.id, coordinator.kind).await?;
    requests::insert_party(tx, id, municipality.id, municipality.kind).await?;
    let system_event =
        |kind: &'static str, when: DateTime<Utc>, detail: Option<String>| (kind, when, detail);
    let mut events = vec![system_event("submitted", submitted_at, None)];
    let mut works = Vec::new();
    for service in site.services {
        let operator = organisations::by_slug(&state.db, operator_slug(*service)).await?;
        requests::insert_service(tx, id, service.code(), Some(operator.id)).await?;
        requests::insert_party(tx, id, operator.id, operator.kind).await?;
        let (crew, civil_works, capacity) = permits::crew_named(tx, operator.id, crew_name)
            .await?
            .ok_or_else(|| missing(crew_name))?;
        if !done {
            // Coming days take their place in the crews' capacity, as a reservation does.
            crews::take_capacity(tx, crew, day, u32::try_from(capacity).unwrap_or(2)).await?;
        }
        crews::record_reservation(tx, id, &(*service).into(), crew, day, requested_at).await?;
        if done {
            crews::mark_done(tx, id, service.code(), at(day, 15)).await?;
            events.push(system_event(
                "works_done",
                at(day, 15),
                Some(service.code().into()),
            ));
        }
        let metres = match (service, site.water_metres) {
            (Service::Water, Some(metres)) => rust_decimal::Decimal::from(metres),
            _ => state
                .config
                .permit_trench_defaults
                .for_service(service.code()),
        };
        works.push((*service, operator.id, civil_works != 0, metres));
    }
    events.push(system_event(
        "day_reserved",
        requested_at,
        Some(day.to_string()),
    ));

    if works.iter().any(|(_, _, civil, _)| *civil) {
        add_permit(
            state,
            tx,
            site,
            id,
            nis,
            &commune_name,
            &works,
            (day, requested_at, done),
            now,
            &mut events,
        )
        .await?;
    }
    if done {
        events.push(system_event("all_works_done", at(day, 16), None));
        requests::move_state(
            tx,
            id,
            RequestState::Assessed,
            RequestState::Done,
            at(day, 16),
        )
        .await?;
    }
    for (kind, when, detail) in events {
        requests::insert_event(
            tx,
            &NewEvent {
                request_id: id,
                at: when,
                kind,
                actor_kind: "system",
                actor_id: None,
                actor_name: None,
                organisation_id: None,
                detail: detail.as_deref(),
                public: !kind.starts_with("permit."),
            },
        )
        .await?;
    }
    Ok(())
}

type Event = (&'static str, DateTime<Utc>, Option<String>);

/// A permit action: (action, when, actor, actor's name, text).
type Step<'a> = (
    &'a str,
    DateTime<Utc>,
    Option<UserId>,
    Option<&'a str>,
    Option<&'a str>,
);

/// The permit, as the reservation requested it and the commune decided.
#[expect(clippy::too_many_arguments, reason = "the site's facts, one by one")]
async fn add_permit(
    state: &AppState,
    tx: &mut Tx,
    site: &Site,
    request_id: RequestId,
    nis: &str,
    commune_name: &str,
    works: &[(Service, OrganisationId, bool, rust_decimal::Decimal)],
    (day, requested_at, done): (NaiveDate, DateTime<Utc>, bool),
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) -> Result<(), SeedError> {
    let key = site.key;
    let missing = |what: &str| SeedError::Demo(key.to_owned(), format!("{what} missing"));
    let (_, _, _, decider_email) = commune_facts(site.commune);
    let municipality = organisations::by_slug(&state.db, site.commune).await?;
    let system_event =
        |kind: &'static str, when: DateTime<Utc>, detail: Option<String>| (kind, when, detail);
    let permit_id = PermitId::generate();
    let due = due_on(
        crate::clock::day_of(requested_at),
        state.config.permit_decision_days,
    );
    let (decider, decider_name) = permits::user_named(tx, decider_email)
        .await?
        .ok_or_else(|| missing(decider_email))?;
    permits::insert(
        tx,
        &NewPermit {
            id: permit_id,
            request_id,
            municipality_id: Some(municipality.id),
            commune_nis: nis,
            status: PermitStatus::Pending,
            day,
            requested_at,
            due_on: due,
        },
    )
    .await?;
    for (service, operator, civil, metres) in works {
        permits::insert_work(
            tx,
            permit_id,
            service.code(),
            Some(*operator),
            *civil,
            &metres.to_string(),
        )
        .await?;
    }
    let mut actions: Vec<Step<'_>> = vec![("requested", requested_at, None, None, None)];
    events.push(system_event(
        "permit.requested",
        requested_at,
        Some(format!("{commune_name} — {due}")),
    ));
    let decided_at = requested_at + Duration::days(12);
    let decision = match site.outcome {
        Outcome::Approved => Some((PermitStatus::Approved, None)),
        Outcome::Conditions(text) => Some((PermitStatus::ApprovedWithConditions, Some(text))),
        Outcome::Question(text) => Some((PermitStatus::InformationRequested, Some(text))),
        Outcome::Refused(text) => Some((PermitStatus::Refused, Some(text))),
        Outcome::Pending => None,
    };
    if let Some((status, text)) = decision {
        // Coming sites were decided a day ago at most.
        let decided_at = if done {
            decided_at
        } else {
            now - Duration::days(1)
        };
        permits::record_decision(
            tx,
            permit_id,
            PermitStatus::Pending,
            status,
            text,
            decider,
            decided_at,
        )
        .await?;
        actions.push((
            status.code(),
            decided_at,
            Some(decider),
            Some(decider_name.as_str()),
            text,
        ));
        let kind = match status {
            PermitStatus::Approved => "permit.approved",
            PermitStatus::ApprovedWithConditions => "permit.approved_with_conditions",
            PermitStatus::InformationRequested => "permit.information_requested",
            _ => "permit.refused",
        };
        events.push(system_event(
            kind,
            decided_at,
            Some(match text {
                Some(text) => format!("{} — {text}", municipality.name),
                None => municipality.name.clone(),
            }),
        ));
        if done && status == PermitStatus::ApprovedWithConditions {
            let acknowledged = decided_at + Duration::days(1);
            permits::acknowledge_conditions(tx, permit_id, acknowledged).await?;
            actions.push((
                "conditions_acknowledged",
                acknowledged,
                None,
                Some("Julien Lambert"),
                None,
            ));
            events.push(system_event(
                "permit.conditions_acknowledged",
                acknowledged,
                None,
            ));
        }
    }
    for (action, when, actor, name, text) in actions {
        permits::insert_action(
            tx,
            &NewAction {
                permit_id,
                at: when,
                action,
                actor_id: actor,
                actor_name: name,
                organisation_id: actor.map(|_| municipality.id),
                text,
            },
        )
        .await?;
    }
    Ok(())
}
