//! Reference data needed to run: the participating organisations, their coverage, crews and
//! first administrators. Every step is idempotent.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::domain::tenancy::OrganisationKind;
use crate::{
    db::{
        DbError, coverage,
        organisations::{self, NewOrganisation},
    },
    domain::{PostcodeDirectory, Service, ServiceCode, request::is_service_code},
    operators::generic::PartnerOffer,
    state::AppState,
};

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
    kind: OrganisationKind,
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
    /// Optional: Dutch readers see the French text without it.
    #[serde(default)]
    nl: Option<String>,
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
                if entry.kind != OrganisationKind::Operator
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
                kind: entry.kind,
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
            nl: referral.nl.as_deref(),
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
            role: crate::domain::tenancy::Role::OperatorAdmin,
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

/// The labels of every configured partner's service, by service code; a partner whose offer
/// no longer reads is left out.
pub async fn partner_labels(
    state: &AppState,
) -> Result<Vec<(String, crate::operators::generic::Labels)>, DbError> {
    // Partners join by configuration at start-up (C-8): kept briefly in memory.
    if let Some(kept) = state.reference.partner_labels.fresh() {
        return Ok(kept.as_ref().clone());
    }
    let mut labels = Vec::new();
    for organisation in organisations::partners(&state.db).await? {
        let (Some(code), Some(offer)) = (organisation.service, organisation.partner) else {
            continue;
        };
        if let Ok(offer) = PartnerOffer::from_json(&offer) {
            labels.push((code, offer.label));
        }
    }
    Ok(state.reference.partner_labels.keep(labels).as_ref().clone())
}
