//! Demo data for trying the product: staff accounts, crews, requests at every stage and the
//! communes' history. Every step is idempotent.

pub mod history;

use std::sync::OnceLock;

use chrono::Duration;

use crate::domain::tenancy::Role;
use crate::{
    db::{
        organisations::{self},
        users::{self, NewUser},
    },
    domain::{FormKey, RequestInput, Service},
    services::{
        auth::hash_password,
        submit::{self, SubmitError},
    },
    state::AppState,
};

use crate::services::reference::SeedError;

/// The demo staff accounts all use this password; it is printed at start-up.
pub const DEMO_PASSWORD: &str = "demo-connect-2026";

/// One demo staff account: (organisation slug, email, name, role).
pub const DEMO_USERS: [(&str, &str, &str, Role); 12] = [
    (
        "ores",
        "julien@ores.demo",
        "Julien Lambert",
        Role::CaseOfficer,
    ),
    (
        "ores",
        "sophie@ores.demo",
        "Sophie Renard",
        Role::CaseOfficer,
    ),
    (
        "ores-electricity",
        "elec@ores.demo",
        "Equipe électricité ORES",
        Role::OperatorStaff,
    ),
    (
        "ores-electricity",
        "tarifs@ores.demo",
        "Administration tarifaire ORES",
        Role::OperatorAdmin,
    ),
    (
        "ores-gas",
        "gaz@ores.demo",
        "Equipe gaz ORES",
        Role::OperatorStaff,
    ),
    (
        "swde",
        "eau@swde.demo",
        "Equipe raccordements SWDE",
        Role::OperatorStaff,
    ),
    (
        "proximus",
        "raccordement@proximus.demo",
        "Equipe Proximus",
        Role::OperatorStaff,
    ),
    (
        "voo",
        "raccordement@voo.demo",
        "Equipe VOO",
        Role::OperatorStaff,
    ),
    (
        "mons",
        "travaux@mons.demo",
        "Service travaux de Mons",
        Role::Municipality,
    ),
    (
        "namur",
        "travaux@namur.demo",
        "Service travaux de Namur",
        Role::Municipality,
    ),
    (
        "charleroi",
        "travaux@charleroi.demo",
        "Service travaux de Charleroi",
        Role::Municipality,
    ),
    (
        "platform",
        "admin@connect-my-home.demo",
        "Administration",
        Role::PlatformAdmin,
    ),
];

/// The administrators of the coordinator and of the communes (issue 21: they manage their
/// organisation's API keys); an operator's is its `operator_admin`.
pub const DEMO_ADMINISTRATORS: [&str; 4] = [
    "julien@ores.demo",
    "travaux@mons.demo",
    "travaux@namur.demo",
    "travaux@charleroi.demo",
];

/// Hashing is slow on purpose; one hash serves every demo account of a process.
fn demo_password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(DEMO_PASSWORD))
}

pub async fn demo_users(state: &AppState) -> Result<(), SeedError> {
    let hash = tokio::task::spawn_blocking(demo_password_hash)
        .await
        .map_err(|e| SeedError::Demo("password".into(), e.to_string()))?;
    for (slug, email, name, role) in DEMO_USERS {
        let organisation = organisations::by_slug(&state.db, slug).await?;
        users::ensure(
            &state.db,
            &NewUser {
                organisation_id: organisation.id,
                email,
                display_name: name,
                role,
                password_hash: hash,
                language: "fr",
            },
            state.clock.now(),
        )
        .await?;
    }
    for email in DEMO_ADMINISTRATORS {
        users::make_administrator(&state.db, email).await?;
    }
    Ok(())
}

fn demo_request(key: &str, fields: &[(&str, &str)]) -> (FormKey, RequestInput) {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let encoded = serde_urlencoded::to_string(&pairs).expect("demo fields encode");
    let input: RequestInput = serde_urlencoded::from_str(&encoded).expect("demo fields decode");
    (FormKey::parse(key).expect("demo keys are valid"), input)
}

/// A few requests so the queues tell a story on first run (journeys 1, 2, 5 and 6).
pub async fn demo_requests(state: &AppState) -> Result<(), SeedError> {
    let start = (state.clock.today() + Duration::days(45)).to_string();
    let end = (state.clock.today() + Duration::days(120)).to_string();
    let demo = [
        demo_request(
            "demo-request-namur-marie",
            &[
                ("applicant_kind", "natural"),
                ("name", "Marie Dupont"),
                ("email", "marie.dupont@example.be"),
                ("phone", "+32 81 23 45 67"),
                ("language", "fr"),
                ("street", "Rue des Tanneries"),
                ("house_number", "14"),
                ("postcode", "5000"),
                ("building", "house"),
                ("electricity", "on"),
                ("electricity_band", "3x25"),
                ("gas", "on"),
                ("water", "on"),
                ("proximus", "on"),
                ("voo", "on"),
                ("wished_from", &start),
                ("wished_to", &end),
                ("remarks", "Permis de bâtir obtenu, chantier démarré."),
            ],
        ),
        demo_request(
            "demo-request-tournai-lots",
            &[
                ("applicant_kind", "legal"),
                ("name", "Habitat Picard SA"),
                ("company_number", "0202.239.951"),
                ("email", "projets@habitat-picard.example.be"),
                ("phone", "069 12 34 56"),
                ("language", "fr"),
                ("vat", "vat_filer"),
                ("parcel_ref", "Tournai 5e div., section B, 412C"),
                ("postcode", "7500"),
                ("building", "building"),
                ("dwellings", "4"),
                ("electricity", "on"),
                ("electricity_band", "3x40"),
                ("water", "on"),
                ("proximus", "on"),
                // Journey 2: six lots, 120 m of frontage, 4 candelabras, 60 supply points and
                // plots for the two cabins.
                ("servicing_operation", "division"),
                ("servicing_frontage_m", "120"),
                ("servicing_parcels", "6"),
                ("servicing_candelabras", "4"),
                ("servicing_supply_points", "60"),
                ("servicing_cabin", "standard"),
            ],
        ),
        demo_request(
            "demo-request-mons-house",
            &[
                ("applicant_kind", "natural"),
                ("name", "Lucas Martin"),
                ("email", "lucas.martin@example.be"),
                ("phone", "0470 11 22 33"),
                ("language", "en"),
                ("street", "Rue de la Chaussée"),
                ("house_number", "8"),
                ("postcode", "7000"),
                ("building", "house"),
                ("electricity", "on"),
                ("electricity_band", "1x40"),
                ("water", "on"),
                ("voo", "on"),
            ],
        ),
        demo_request(
            "demo-request-charleroi-flats",
            &[
                ("applicant_kind", "natural"),
                ("name", "Nadia Benali"),
                ("email", "nadia.benali@example.be"),
                ("phone", "071 98 76 54"),
                ("language", "fr"),
                ("street", "Rue de Montigny"),
                ("house_number", "52"),
                ("postcode", "6000"),
                ("building", "building"),
                ("dwellings", "3"),
                ("electricity", "on"),
                ("electricity_band", "3x25"),
                ("gas", "on"),
                ("water", "on"),
                ("proximus", "on"),
            ],
        ),
        // Journey 5: an inheritance split; houses planned on two of the three parts (V-4.1c).
        demo_request(
            "demo-request-bastogne-heirs",
            &[
                ("applicant_kind", "natural"),
                ("name", "Famille Lambert (indivision)"),
                ("email", "heritiers.lambert@example.be"),
                ("phone", "061 21 43 65"),
                ("language", "fr"),
                ("parcel_ref", "Bastogne 1re div., section A, 512B"),
                ("postcode", "6600"),
                ("building", "house"),
                ("electricity", "on"),
                ("electricity_band", "1x40"),
                ("servicing_operation", "donation"),
                ("servicing_parcels", "3"),
                ("servicing_planned_frontages", "25; 12"),
            ],
        ),
    ];
    for (key, input) in demo {
        match submit::submit(state, &input, &key, state.clock.now()).await {
            Ok(_) => {}
            Err(SubmitError::Db(error)) => return Err(error.into()),
            Err(other) => return Err(SeedError::Demo(key.as_ref().to_owned(), other.to_string())),
        }
    }
    Ok(())
}

/// Demo crews: one per operator for the Hainaut demo communes and one for Namur, two jobs a
/// day each. Telecom crews lay their cable in the trench the others open: no civil works.
pub async fn demo_crews(state: &AppState) -> Result<(), SeedError> {
    let hainaut: Vec<String> = ["53053", "52011", "58001", "57081"]
        .map(String::from)
        .to_vec();
    let namur = vec!["92094".to_owned()];
    for (slug, service) in [
        ("ores-electricity", Service::Electricity),
        ("ores-gas", Service::Gas),
        ("swde", Service::Water),
        ("proximus", Service::Proximus),
        ("voo", Service::Voo),
    ] {
        let organisation = organisations::by_slug(&state.db, slug).await?;
        for (name, communes) in [("Équipe Hainaut", &hainaut), ("Équipe Namur", &namur)] {
            crate::db::crews::ensure(
                &state.db,
                &crate::db::crews::NewCrew {
                    organisation_id: organisation.id,
                    service: service.into(),
                    name,
                    daily_capacity: 2,
                    civil_works: !matches!(service, Service::Proximus | Service::Voo),
                    communes,
                },
                state.clock.now(),
            )
            .await?;
        }
    }
    Ok(())
}

/// Every piece of demo data, in order: staff, crews, requests, then the communes' history.
pub async fn seed_all(state: &AppState) -> Result<(), SeedError> {
    demo_users(state).await?;
    demo_crews(state).await?;
    demo_requests(state).await?;
    history::demo_history(state).await
}
