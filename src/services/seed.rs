//! Seeding: the participating organisations and their coverage (reference data needed to
//! run), then demo users and requests for trying the product. Every step is idempotent.

use std::{collections::BTreeSet, sync::OnceLock};

use chrono::Duration;
use serde::Deserialize;

use crate::{
    app::AppState,
    db::{
        DbError, coverage,
        organisations::{self, NewOrganisation},
        users::{self, NewUser},
    },
    domain::{
        IdempotencyKey, PostcodeDirectory, RequestInput, Service, ServiceCode,
        request::is_service_code,
    },
    operators::generic::PartnerOffer,
    services::{
        auth::hash_password,
        submit::{self, SubmitError},
    },
};

/// The demo staff accounts all use this password; it is printed at start-up.
pub const DEMO_PASSWORD: &str = "demo-connect-2026";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("organisations file: {0}")]
    File(#[from] toml::de::Error),
    #[error("partners file {0}: {1}")]
    PartnersFile(String, String),
    #[error("organisation {0}: {1}")]
    Partner(String, String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("demo request {0}: {1}")]
    Demo(String, String),
}

#[derive(Debug, Deserialize)]
struct OrganisationsFile {
    organisation: Vec<OrganisationEntry>,
    #[serde(default)]
    referral: Vec<ReferralEntry>,
}

#[derive(Debug, Deserialize)]
struct OrganisationEntry {
    slug: String,
    name: String,
    kind: String,
    service: Option<String>,
    contact: Option<String>,
    commune: Option<String>,
    #[serde(default)]
    provinces: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    communes: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    /// A partner joined by configuration (C-8): its offer, answered by the generic module.
    partner: Option<PartnerOffer>,
    /// A partner's crews (C-8), created once by name: they come on the joint day like the
    /// operators' (C-4). Their staff change them afterwards in the operator portal.
    #[serde(default)]
    crew: Vec<CrewEntry>,
    /// The organisation's first administrator, invited by email at the first start: they
    /// then invite their colleagues and manage crews in the operator portal.
    admin: Option<AdminEntry>,
    /// How the operator is paid: each operator is its own payee on the offer.
    payee: Option<String>,
    iban: Option<String>,
    bic: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrewEntry {
    name: String,
    /// Jobs per day.
    capacity: u32,
    /// NIS codes; all the communes the organisation serves when left out.
    #[serde(default)]
    communes: Vec<String>,
    /// Whether the crew opens the public domain; the partner offer's `civil_works` otherwise.
    civil_works: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminEntry {
    email: String,
    name: String,
    #[serde(default = "french")]
    language: String,
}

fn french() -> String {
    "fr".to_owned()
}

#[derive(Debug, Deserialize)]
struct ReferralEntry {
    area: String,
    fr: String,
    en: String,
    /// Optional: German readers see the French text without it.
    #[serde(default)]
    de: Option<String>,
}

impl OrganisationEntry {
    /// The NIS codes this organisation serves, expanded from provinces and regions.
    fn covered(&self, directory: &PostcodeDirectory) -> BTreeSet<String> {
        let mut covered: BTreeSet<String> = directory
            .all_communes()
            .into_iter()
            .filter(|c| {
                c.province
                    .as_ref()
                    .is_some_and(|p| self.provinces.contains(p))
                    || self.regions.iter().any(|r| r == c.region.code())
            })
            .map(|c| c.nis_code.clone())
            .collect();
        covered.extend(self.communes.iter().cloned());
        for nis in &self.except {
            covered.remove(nis);
        }
        covered
    }
}

/// The organisations, their coverage and the referrals for uncovered areas.
pub async fn reference_data(state: &AppState) -> Result<(), SeedError> {
    let file: OrganisationsFile =
        toml::from_str(include_str!("../../reference/organisations.toml"))?;
    add_organisations(state, &file).await?;
    // More partners, joined by configuration only (rule C-8).
    if let Some(path) = &state.config.partners_file {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SeedError::PartnersFile(shown.clone(), e.to_string()))?;
        let partners: OrganisationsFile =
            toml::from_str(&text).map_err(|e| SeedError::PartnersFile(shown, e.to_string()))?;
        add_organisations(state, &partners).await?;
    }
    Ok(())
}

async fn add_organisations(state: &AppState, file: &OrganisationsFile) -> Result<(), SeedError> {
    for entry in &file.organisation {
        let partner = match &entry.partner {
            Some(offer) => {
                let invalid = |e: String| SeedError::Partner(entry.slug.clone(), e);
                offer.validate().map_err(|e| invalid(e.to_string()))?;
                let code = entry.service.as_deref().unwrap_or_default();
                if entry.kind != "operator"
                    || !is_service_code(code)
                    || code.parse::<Service>().is_ok()
                {
                    return Err(invalid(
                        "a partner is an operator with its own service code (a-z, 0-9, _ or -)"
                            .into(),
                    ));
                }
                Some(serde_json::to_string(offer).map_err(|e| invalid(e.to_string()))?)
            }
            None => None,
        };
        let organisation = organisations::ensure(
            &state.db,
            &NewOrganisation {
                slug: &entry.slug,
                name: &entry.name,
                kind: &entry.kind,
                service: entry.service.as_deref(),
                commune_nis: entry.commune.as_deref(),
                contact: entry.contact.as_deref(),
                partner: partner.as_deref(),
            },
            state.clock.now(),
        )
        .await?;
        if let (Some(payee), Some(iban)) = (&entry.payee, &entry.iban) {
            let iban = crate::domain::payment::Iban::parse(iban)
                .map_err(|_| SeedError::Demo(entry.slug.clone(), format!("IBAN {iban}")))?;
            crate::db::offers::ensure_payee(
                &state.db,
                organisation.id,
                payee,
                iban.electronic(),
                entry.bic.as_deref(),
            )
            .await?;
        }
        let covered = entry.covered(&state.directory);
        let communes: Vec<&str> = covered.iter().map(String::as_str).collect();
        if !communes.is_empty() {
            coverage::add(&state.db, organisation.id, &communes).await?;
        }
        add_crews(state, entry, &organisation, &covered).await?;
        if let Some(admin) = &entry.admin {
            invite_admin(state, entry, &organisation, admin).await?;
        }
    }
    for referral in &file.referral {
        let texts = coverage::ReferralTexts {
            fr: &referral.fr,
            en: &referral.en,
            de: referral.de.as_deref(),
        };
        coverage::set_referral(&state.db, &referral.area, texts).await?;
    }
    Ok(())
}

async fn add_crews(
    state: &AppState,
    entry: &OrganisationEntry,
    organisation: &organisations::Organisation,
    covered: &BTreeSet<String>,
) -> Result<(), SeedError> {
    if entry.crew.is_empty() {
        return Ok(());
    }
    let invalid = |e: String| SeedError::Partner(entry.slug.clone(), e);
    let service = entry
        .service
        .as_deref()
        .and_then(|code| ServiceCode::parse(code).ok())
        .ok_or_else(|| invalid("crews belong to an operator with a service code".into()))?;
    let offer_civil_works = entry.partner.as_ref().is_none_or(|offer| offer.civil_works);
    for crew in &entry.crew {
        if crew.name.trim().is_empty() || !(1..=50).contains(&crew.capacity) {
            return Err(invalid(format!(
                "crew {:?}: a name and between 1 and 50 jobs a day are needed",
                crew.name
            )));
        }
        let communes: Vec<String> = if crew.communes.is_empty() {
            covered.iter().cloned().collect()
        } else {
            crew.communes.clone()
        };
        if let Some(outside) = communes.iter().find(|nis| !covered.contains(*nis)) {
            return Err(invalid(format!(
                "crew {:?}: commune {outside} is not served by the organisation",
                crew.name
            )));
        }
        crate::db::crews::ensure(
            &state.db,
            &crate::db::crews::NewCrew {
                organisation_id: organisation.id,
                service: service.clone(),
                name: crew.name.trim(),
                daily_capacity: crew.capacity,
                civil_works: crew.civil_works.unwrap_or(offer_civil_works),
                communes: &communes,
            },
            state.clock.now(),
        )
        .await?;
    }
    Ok(())
}

/// Invites the administrator named in the configuration, once: an email that already has an
/// account (invited earlier, or signed up since) is left alone.
async fn invite_admin(
    state: &AppState,
    entry: &OrganisationEntry,
    organisation: &organisations::Organisation,
    admin: &AdminEntry,
) -> Result<(), SeedError> {
    use crate::domain::{EmailAddress, Language, PersonName};
    use crate::services::accounts::{self, AccountError, Invitee, Inviter};
    let invalid = |what: &str| SeedError::Partner(entry.slug.clone(), format!("admin: {what}"));
    let email = EmailAddress::parse(&admin.email).map_err(|_| invalid("email"))?;
    let name = PersonName::parse(&admin.name).map_err(|_| invalid("name"))?;
    let language = admin
        .language
        .parse::<Language>()
        .map_err(|_| invalid("language (fr or en)"))?;
    let sent = accounts::send_invitation(
        state,
        &Inviter {
            organisation_id: organisation.id,
            organisation_name: &organisation.name,
            name: "Connect my home",
        },
        &Invitee {
            email: &email,
            name: &name,
            role: "operator_admin",
            language,
        },
        state.clock.now(),
    )
    .await;
    match sent {
        Ok(()) | Err(AccountError::EmailTaken) => Ok(()),
        Err(AccountError::Db(error)) => Err(error.into()),
        Err(AccountError::Invalid(_)) => Err(invalid("account")),
    }
}

/// One demo staff account: (organisation slug, email, name, role).
pub const DEMO_USERS: [(&str, &str, &str, &str); 12] = [
    ("ores", "julien@ores.demo", "Julien Lambert", "case_officer"),
    ("ores", "sophie@ores.demo", "Sophie Renard", "case_officer"),
    (
        "ores-electricity",
        "elec@ores.demo",
        "Equipe électricité ORES",
        "operator_staff",
    ),
    (
        "ores-electricity",
        "tarifs@ores.demo",
        "Administration tarifaire ORES",
        "operator_admin",
    ),
    (
        "ores-gas",
        "gaz@ores.demo",
        "Equipe gaz ORES",
        "operator_staff",
    ),
    (
        "swde",
        "eau@swde.demo",
        "Equipe raccordements SWDE",
        "operator_staff",
    ),
    (
        "proximus",
        "raccordement@proximus.demo",
        "Equipe Proximus",
        "operator_staff",
    ),
    (
        "voo",
        "raccordement@voo.demo",
        "Equipe VOO",
        "operator_staff",
    ),
    (
        "mons",
        "travaux@mons.demo",
        "Service travaux de Mons",
        "municipality",
    ),
    (
        "namur",
        "travaux@namur.demo",
        "Service travaux de Namur",
        "municipality",
    ),
    (
        "charleroi",
        "travaux@charleroi.demo",
        "Service travaux de Charleroi",
        "municipality",
    ),
    (
        "platform",
        "admin@connect-my-home.demo",
        "Administration",
        "platform_admin",
    ),
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
    Ok(())
}

fn demo_request(key: &str, fields: &[(&str, &str)]) -> (IdempotencyKey, RequestInput) {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let encoded = serde_urlencoded::to_string(&pairs).expect("demo fields encode");
    let input: RequestInput = serde_urlencoded::from_str(&encoded).expect("demo fields decode");
    (
        IdempotencyKey::parse(key).expect("demo keys are valid"),
        input,
    )
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
