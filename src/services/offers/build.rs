//! The offer's document and its dues, built from every operator's latest answer (C-3): each
//! part priced at the books in force (repriced on revision, V-8.3), its sections per document
//! and VAT regime, who pays whom (V-2.3, V-8.2), and the first common days to propose (C-4).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use super::{
    OfferError, PROPOSED_DAYS, UnpricedPart, VALIDITY_MONTHS, too_large, total, unpriced_parts,
};
use crate::domain::OrganisationId;
use crate::domain::assessment::AssessmentStatus;
use crate::{
    db::{
        self, DbError, Scope,
        assessments::{self, AssessmentRow},
        offers,
        requests::RequestRow,
        sessions::SessionUser,
    },
    domain::{
        Service,
        dues::{Direction, DueWhen},
        payment::StructuredCommunication,
    },
    i18n::Tr,
    operators::{
        self, Assessment, Feasibility, describe,
        pricing::{PricedLine, Unpriced},
    },
    quote::{
        self, Addressee, Contact, OfferDocument, OfferLine, OperatorSection, Payment, Supersedes,
        VatSummaryRow,
    },
    services::assess,
    state::AppState,
    tariff::{LineKind, VatRegime, money, round_cents},
};

pub(super) struct BuildOptions<'a> {
    pub(super) version: i64,
    pub(super) supersedes: Option<Supersedes>,
    pub(super) today: NaiveDate,
    pub(super) reprice_on: Option<NaiveDate>,
    pub(super) officer: &'a SessionUser,
}

/// One due of the version: who pays whom, how much, when (see `domain::dues`).
pub(super) struct DueOf {
    pub(super) organisation_id: OrganisationId,
    pub(super) direction: Direction,
    pub(super) party_name: String,
    pub(super) document: quote::DocumentKind,
    pub(super) scope: quote::DocumentScope,
    pub(super) iban: Option<String>,
    pub(super) bic: Option<String>,
    pub(super) amount: Decimal,
    pub(super) structured_communication: Option<String>,
    pub(super) when: DueWhen,
    pub(super) rule: String,
    pub(super) detail: Option<String>,
    /// V-2.3: who pays when not the applicant.
    pub(super) payer_name: Option<String>,
}

pub(super) struct Built {
    pub(super) document: OfferDocument,
    pub(super) dues: Vec<DueOf>,
}

/// One operator's answers for the request (an operator may serve several of its services).
pub(super) struct Part {
    pub(super) organisation_id: OrganisationId,
    pub(super) operator: String,
    pub(super) services: Vec<(Service, AssessmentRow, Assessment)>,
}

pub(super) async fn parts(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
) -> Result<Vec<Part>, OfferError> {
    let names: BTreeMap<OrganisationId, String> = db::organisations::all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut parts: Vec<Part> = Vec::new();
    let mut rows = assessments::for_request(&state.db, scope, request.id).await?;
    rows.sort_by_key(|row| {
        Service::ALL
            .iter()
            .position(|s| s.code() == row.service)
            .unwrap_or(usize::MAX)
    });
    for row in rows {
        if row.status != AssessmentStatus::Answered {
            return Err(OfferError::NotAssessed);
        }
        let version = assessments::latest_version(&state.db, scope, row.id)
            .await?
            .ok_or(OfferError::NotAssessed)?;
        let answer = version.answer;
        let service = row.service.parse::<Service>().ok();
        let index = match parts
            .iter()
            .position(|p| p.organisation_id == row.organisation_id)
        {
            Some(index) => index,
            None => {
                parts.push(Part {
                    organisation_id: row.organisation_id,
                    operator: names.get(&row.organisation_id).cloned().unwrap_or_default(),
                    services: Vec::new(),
                });
                parts.len() - 1
            }
        };
        // Partners joined by configuration have no `Service`; they keep their own label.
        let service = service.unwrap_or(Service::Proximus);
        parts[index].services.push((service, row, answer));
    }
    if parts.is_empty() {
        return Err(OfferError::NotAssessed);
    }
    Ok(parts)
}

/// A part the books no longer price on the day it is priced again (V-5).
pub(super) fn no_book(
    tariffs: &crate::tariff::Tariffs,
    service: Service,
    error: &crate::tariff::TariffError,
) -> OfferError {
    OfferError::NoBook(vec![UnpricedPart {
        service: service.code().to_owned(),
        unpriced: Some(Unpriced::of(tariffs, error)),
    }])
}

/// V-8.3: lines priced from a tariff book take the price of the book in force on `day`;
/// lines staff added by hand stay as written.
pub(super) fn reprice(
    tariffs: &crate::tariff::Tariffs,
    facts: &operators::RequestFacts,
    request: &RequestRow,
    service: Service,
    lines: &mut [PricedLine],
    day: NaiveDate,
) -> Result<(), OfferError> {
    let mut facts = facts.clone();
    facts.submitted_on = day;
    let fresh = operators::pricing::price(tariffs, service, &facts, &request.postcode)
        .map_err(|e| no_book(tariffs, service, &e))?;
    for line in lines.iter_mut() {
        // Matched by identity, not code alone: two quote-parts share a code (B-10).
        if let Some(current) = fresh.iter().find(|f| f.identity() == line.identity()) {
            line.unit_price = current.unit_price;
            line.vat_regime = current.vat_regime.clone();
            line.vat_rate = current.vat_rate;
            line.book_version = current.book_version.clone();
            line.amount_excl_vat =
                round_cents(money::mul(line.quantity, line.unit_price).map_err(too_large)?);
            line.vat_amount = round_cents(
                money::percent_of(line.amount_excl_vat, line.vat_rate).map_err(too_large)?,
            );
        }
    }
    Ok(())
}

/// B-4.1: a declared VAT exemption applies from the day its proof is received: the engine's
/// lines priced before then take the regime the engine gives them now, at their own tariffs.
pub(super) fn rerate(
    tariffs: &crate::tariff::Tariffs,
    facts: &operators::RequestFacts,
    request: &RequestRow,
    service: Service,
    lines: &mut [PricedLine],
) -> Result<(), OfferError> {
    let fresh = operators::pricing::price(tariffs, service, facts, &request.postcode)
        .map_err(|e| no_book(tariffs, service, &e))?;
    for line in lines.iter_mut() {
        if let Some(current) = fresh
            .iter()
            .find(|f| f.identity() == line.identity() && f.vat_regime != line.vat_regime)
        {
            line.vat_regime = current.vat_regime.clone();
            line.vat_rate = current.vat_rate;
            line.vat_amount = round_cents(
                money::percent_of(line.amount_excl_vat, line.vat_rate).map_err(too_large)?,
            );
        }
    }
    Ok(())
}

/// B-10: each quote-part as of the offer's date, from the day its holder paid the section
/// recorded in SWDE's survey, so a share shrinks each month and reaches 0 after 60; the
/// tariff date of the rest of the part does not move.
pub(super) fn shares_on(
    tariffs: &crate::tariff::Tariffs,
    request: &RequestRow,
    lines: &mut [PricedLine],
    day: NaiveDate,
) -> Result<(), OfferError> {
    let mut facts = assess::facts_of(request).map_err(|e| OfferError::Render(e.to_string()))?;
    let Some(survey) = facts.water_survey.as_mut() else {
        return Ok(());
    };
    if survey.holders.iter().all(|h| h.paid_on.is_none()) {
        return Ok(());
    }
    survey.shares_on(day);
    let fresh = operators::pricing::price(tariffs, Service::Water, &facts, &request.postcode)
        .map_err(|e| no_book(tariffs, Service::Water, &e))?;
    for line in lines
        .iter_mut()
        .filter(|l| l.kind() == LineKind::ThirdParty)
    {
        if let Some(current) = fresh.iter().find(|f| f.identity() == line.identity()) {
            *line = current.clone();
        }
    }
    Ok(())
}

/// The bare name of a service for the offer ("Électricité", the operator being the section):
/// a partner's service, without a catalogue entry, is named by its organisation.
pub(super) fn service_name(tr: Tr, code: &str, operator: &str) -> String {
    let label = tr.service(code);
    if label.starts_with("service.") {
        return operator.to_owned();
    }
    label
        .split(" (")
        .next()
        .unwrap_or(label.as_str())
        .to_owned()
}

pub(super) fn regime_of(code: &str) -> Option<VatRegime> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

pub(super) fn offer_line(tr: Tr, line: &PricedLine) -> OfferLine {
    OfferLine {
        label: line.label(tr),
        quantity: line.quantity.normalize(),
        unit: tr.keyed("tariff.unit", &line.unit),
        unit_price: line.unit_price,
        amount_excl_vat: line.amount_excl_vat,
        vat_label: tr.keyed("tariff.vat", &line.vat_regime),
        vat_regime: line.vat_regime.clone(),
        vat_amount: line.vat_amount,
        rule: line.rule.clone(),
        book_version: line.book_version.clone(),
    }
}

/// A payee's structured communication: the request's year and number and the payee's place,
/// so a bank statement line names its request and operator (`+++260/0004/20102+++`).
pub fn communication_for(reference: &str, payee_index: usize) -> Result<String, OfferError> {
    let parsed: crate::domain::Reference = reference.parse().map_err(OfferError::Invalid)?;
    let base = u64::try_from(parsed.year.rem_euclid(100)).unwrap_or(0) * 100_000_000
        + u64::try_from(parsed.number).unwrap_or(0) % 1_000_000 * 100
        + (payee_index as u64 + 1) % 100;
    // Two digits of year, six of number, two of payee: always within the ten digits allowed.
    Ok(StructuredCommunication::from_base(base)
        .map_err(|e| OfferError::Render(e.to_string()))?
        .to_string())
}

/// An empty document of `operator` for `scope`.
pub(super) fn empty_section(operator: &str, scope: quote::DocumentScope) -> OperatorSection {
    OperatorSection {
        operator: operator.to_owned(),
        services: Vec::new(),
        lines: Vec::new(),
        subtotal_excl_vat: Decimal::ZERO,
        subtotal_vat: Decimal::ZERO,
        subtotal_incl_vat: Decimal::ZERO,
        prerequisites: Vec::new(),
        lead_time: String::new(),
        notes: Vec::new(),
        refusals: Vec::new(),
        payment: None,
        document: quote::DocumentKind::Offer,
        scope,
        vat: Vec::new(),
        holders: Vec::new(),
        credits: Vec::new(),
        payer: None,
    }
}

/// The documents of one operator's part: its connections, and — for ORES electricity on land
/// to service — the servicing as a document of its own, an offer or an invoice (V-8, V-2.3,
/// V-7). Amounts that do not go from the applicant to the operator leave the document's lines
/// and sums: the cabin lease fee ORES pays the applicant at the deed (V-9.2) and the
/// quote-parts the applicant pays earlier holders directly (B-10).
pub(super) fn part_sections(tr: Tr, part: &Part) -> Result<Vec<OperatorSection>, OfferError> {
    let mut connections = empty_section(&part.operator, quote::DocumentScope::Connections);
    let mut servicing: Option<OperatorSection> = None;
    let mut lead_times = Vec::new();
    for (_, row, answer) in &part.services {
        connections
            .services
            .push(service_name(tr, &row.service, &part.operator));
        // A refused part says why, with its rule, in the applicant's language (B-4.4).
        if answer.feasibility == Feasibility::Refused {
            let service = service_name(tr, &row.service, &part.operator);
            connections.refusals.extend(
                answer
                    .refusals()
                    .iter()
                    .map(|r| format!("{service} — {}", r.text(tr))),
            );
            continue;
        }
        for line in &answer.lines {
            let section = match line.servicing() {
                Some(kind) => servicing.get_or_insert_with(|| {
                    let mut section =
                        empty_section(&part.operator, quote::DocumentScope::Servicing);
                    section.document = kind.into();
                    section
                        .services
                        .push(tr.t("offer.scope.servicing").to_owned());
                    section
                }),
                None => &mut connections,
            };
            match line.kind() {
                LineKind::Credit => section.credits.push(quote::Credit {
                    payer: part.operator.clone(),
                    label: line.label(tr),
                    amount: line.amount_excl_vat.abs(),
                    when: tr.t("offer.credit.at_deed").to_owned(),
                    rule: line.rule.clone(),
                }),
                // A share down to 0 € after 60 months is not printed (B-10).
                LineKind::ThirdParty if line.amount_excl_vat.is_zero() => {}
                LineKind::ThirdParty => {
                    let holder = line
                        .payee
                        .clone()
                        .or_else(|| line.args.get("holder").cloned())
                        .unwrap_or_default();
                    let arg = |key: &str| line.args.get(key).cloned().unwrap_or_default();
                    let amount = tr.money(line.amount_excl_vat);
                    section.holders.push(quote::HolderShare {
                        formula: tr.f(
                            "offer.holder_formula",
                            [
                                ("cost", arg("cost").as_str()),
                                ("k", arg("k").as_str()),
                                ("j", arg("j").as_str()),
                                ("months", arg("months").as_str()),
                                ("amount", amount.as_str()),
                            ],
                        ),
                        holder,
                        parcel: arg("parcel"),
                        amount: line.amount_excl_vat,
                        rule: line.rule.clone(),
                    });
                }
                LineKind::Charge | LineKind::Subsidy => {
                    section.lines.push(offer_line(tr, line));
                }
            }
        }
        // The servicing document carries the texts of its rules (V-), the connections the
        // rest of the part's.
        let target = servicing.as_mut().unwrap_or(&mut connections);
        target.notes.extend(describe::part_notes(tr, answer));
        connections.prerequisites.extend(
            answer
                .prerequisites
                .iter()
                .filter(|p| !p.met)
                .map(|p| describe::prerequisite_line(tr, p)),
        );
        lead_times.push(describe::lead_time_text(tr, answer));
        connections.notes.extend(
            answer
                .reasons
                .iter()
                .map(|r| tr.keyed("assessment.reason", r)),
        );
        if let Some(note) = &answer.note {
            connections.notes.push(note.clone());
        }
        let own: Vec<&PricedLine> = answer
            .lines
            .iter()
            .filter(|l| l.servicing().is_none())
            .collect();
        if !own.is_empty() && own.iter().all(|l| l.amount_excl_vat.is_zero()) {
            connections.notes.push(tr.f(
                "offer.free_service",
                [("service", tr.service(&row.service).as_str())],
            ));
        }
    }
    lead_times.dedup();
    connections.lead_time = lead_times.join(" ; ");
    // Each share's signed receipt is a prerequisite the operator checks (B-10).
    let receipts: Vec<String> = connections
        .holders
        .iter()
        .map(|h| {
            tr.f(
                "offer.holder_receipt",
                [("holder", h.holder.as_str()), ("rule", h.rule.as_str())],
            )
        })
        .collect();
    connections.prerequisites.extend(receipts);
    let mut sections = Vec::new();
    let servicing_only = servicing.is_some()
        && connections.lines.is_empty()
        && connections.holders.is_empty()
        && connections.credits.is_empty();
    if let Some(mut servicing) = servicing {
        servicing.lead_time = connections.lead_time.clone();
        if servicing_only {
            // Land serviced without a connection: the part's texts are the servicing's.
            servicing
                .prerequisites
                .append(&mut connections.prerequisites);
            servicing.notes.append(&mut connections.notes);
            sections.push(servicing);
            return Ok(sections);
        }
        sections.push(connections);
        sections.push(servicing);
    } else {
        sections.push(connections);
    }
    Ok(sections)
}

/// The document's sums and VAT: per rate on the document's sum, rounded once, each line
/// showing its share (V-6, B-5.2) — whatever staff edited or a re-issue re-priced.
pub(super) fn document_vat(
    tr: Tr,
    section: &mut OperatorSection,
    regimes: &mut Vec<VatRegime>,
) -> Result<(), OfferError> {
    let mut amounts = Vec::with_capacity(section.lines.len());
    for line in &section.lines {
        let regime = regime_of(&line.vat_regime).ok_or_else(|| {
            OfferError::Render(format!("unknown VAT regime {:?}", line.vat_regime))
        })?;
        amounts.push((
            regime,
            crate::domain::money::Money::from_decimal(line.amount_excl_vat),
        ));
        if !regimes.contains(&regime) {
            regimes.push(regime);
        }
    }
    let (rows, shares) =
        crate::tariff::share_vat(&amounts).map_err(|e| OfferError::Render(e.to_string()))?;
    for (line, share) in section.lines.iter_mut().zip(shares) {
        line.vat_amount = share.amount();
    }
    section.subtotal_excl_vat =
        money::sum(section.lines.iter().map(|l| l.amount_excl_vat)).map_err(too_large)?;
    section.subtotal_vat = money::sum(rows.iter().map(|r| r.vat.amount())).map_err(too_large)?;
    section.vat = rows
        .into_iter()
        .map(|row| VatSummaryRow {
            label: tr.keyed("tariff.vat", row.regime.code()),
            base: row.base.amount(),
            vat: row.vat.amount(),
        })
        .collect();
    Ok(())
}

pub(super) async fn build(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
    options: BuildOptions<'_>,
) -> Result<Built, OfferError> {
    let language = request.language;
    let tr = Tr(language);
    let mut parts = parts(state, scope, request).await?;
    let unpriced = unpriced_parts(&parts);
    if !unpriced.is_empty() {
        return Err(OfferError::NoBook(unpriced));
    }
    let tariffs = crate::services::books::current(state).await?;
    // V-3.1: priced again with the dossier an earlier request opened, as when assessed; B-4.1:
    // with the VAT exemption its proof now establishes.
    let facts = {
        let mut connection = state.db.pool.acquire().await.map_err(DbError::from)?;
        assess::facts_with_dossiers(&mut connection, request)
            .await
            .map_err(|e| OfferError::Render(e.to_string()))?
    };
    for part in &mut parts {
        for (service, row, answer) in &mut part.services {
            let engine_priced = row.service.parse::<Service>().is_ok();
            if let Some(day) = options.reprice_on
                && engine_priced
            {
                reprice(&tariffs, &facts, request, *service, &mut answer.lines, day)?;
            } else if facts.exemption_proved && engine_priced {
                rerate(&tariffs, &facts, request, *service, &mut answer.lines)?;
            }
            if facts.exemption_proved {
                answer
                    .mentions
                    .retain(|m| m != operators::pricing::EXEMPTION_PENDING);
            }
            if *service == Service::Water && row.service == Service::Water.code() {
                shares_on(&tariffs, request, &mut answer.lines, options.today)?;
            }
        }
    }
    // Parts paid to the same payee (ORES' electricity and gas) are one document: its VAT is
    // computed on the document's sum (V-6), as the engine prices them.
    let mut payable: Vec<(offers::PayeeDetails, Part)> = Vec::new();
    for part in parts {
        let details = offers::payee_of(&state.db, part.organisation_id).await?;
        let same = payable.iter_mut().find(|(known, _)| {
            known.iban.is_some() && known.iban == details.iban && known.name == details.name
        });
        match same {
            Some((known, merged)) => {
                merged.operator = known.name.clone();
                merged.services.extend(part.services);
            }
            None => payable.push((details, part)),
        }
    }
    // V-2.3: the servicing document is addressed to, and paid by, its payer.
    let servicing_payer = facts
        .servicing
        .as_ref()
        .and_then(|servicing| servicing.payer.as_ref())
        .map(|payer| quote::Payer {
            name: payer.name.as_ref().to_owned(),
            address: payer.address.clone(),
            vat_number: payer.company_number.as_ref().map(|n| n.to_string()),
        });
    let mut sections: Vec<OperatorSection> = Vec::new();
    let mut dues = Vec::new();
    let mut regimes = Vec::new();
    for (details, part) in &payable {
        for mut section in part_sections(tr, part)? {
            if section.scope == quote::DocumentScope::Servicing {
                section.payer = servicing_payer.clone();
            }
            let payer_name = section.payer.as_ref().map(|payer| payer.name.clone());
            document_vat(tr, &mut section, &mut regimes)?;
            section.subtotal_incl_vat = total(section.subtotal_excl_vat, section.subtotal_vat)?;
            if section.subtotal_incl_vat > Decimal::ZERO {
                let index = sections.iter().filter(|s| s.payment.is_some()).count();
                let payment = Payment {
                    payee: details.name.clone(),
                    iban: details.iban.clone().unwrap_or_default(),
                    bic: details.bic.clone(),
                    amount: section.subtotal_incl_vat,
                    structured_communication: communication_for(&request.reference, index)?,
                    // A commune acting as project owner pays ORES' servicing after the works
                    // (V-8.2.1); every other document is paid before (B-5.4: in instalments
                    // if agreed, never after).
                    after_works: request.pays_after_works != 0
                        && section.scope == quote::DocumentScope::Servicing,
                };
                dues.push(DueOf {
                    organisation_id: part.organisation_id,
                    direction: Direction::ApplicantToOperator,
                    party_name: payment.payee.clone(),
                    document: section.document,
                    scope: section.scope,
                    iban: Some(payment.iban.clone()).filter(|i| !i.is_empty()),
                    bic: payment.bic.clone(),
                    amount: payment.amount,
                    structured_communication: Some(payment.structured_communication.clone()),
                    when: if payment.after_works {
                        DueWhen::AfterWorks
                    } else {
                        DueWhen::BeforeWorks
                    },
                    rule: match section.scope {
                        quote::DocumentScope::Servicing => "V-8.2.1",
                        quote::DocumentScope::Connections => "C-3",
                    }
                    .to_owned(),
                    detail: None,
                    payer_name: payer_name.clone(),
                });
                section.payment = Some(payment);
            }
            for share in section.holders.iter().filter(|h| !h.amount.is_zero()) {
                dues.push(DueOf {
                    organisation_id: part.organisation_id,
                    direction: Direction::ApplicantToHolder,
                    party_name: share.holder.clone(),
                    document: section.document,
                    scope: section.scope,
                    iban: None,
                    bic: None,
                    amount: share.amount,
                    structured_communication: None,
                    when: DueWhen::BeforeWorks,
                    rule: share.rule.clone(),
                    detail: Some(share.formula.clone()),
                    payer_name: payer_name.clone(),
                });
            }
            for credit in &section.credits {
                dues.push(DueOf {
                    organisation_id: part.organisation_id,
                    direction: Direction::OperatorToApplicant,
                    party_name: credit.payer.clone(),
                    document: section.document,
                    scope: section.scope,
                    iban: None,
                    bic: None,
                    amount: credit.amount,
                    structured_communication: None,
                    when: DueWhen::AtDeed,
                    rule: credit.rule.clone(),
                    detail: Some(credit.label.clone()),
                    // The cabin lease is paid to the land's owner, who files (V-9.2).
                    payer_name: None,
                });
            }
            sections.push(section);
        }
    }
    let total_excl_vat =
        money::sum(sections.iter().map(|s| s.subtotal_excl_vat)).map_err(too_large)?;
    let total_vat = money::sum(sections.iter().map(|s| s.subtotal_vat)).map_err(too_large)?;
    // The offer's VAT summary adds up the documents' rows, each rounded on its document.
    let mut vat_rows: Vec<VatSummaryRow> = Vec::new();
    for row in sections.iter().flat_map(|s| &s.vat) {
        match vat_rows.iter_mut().find(|r| r.label == row.label) {
            Some(merged) => {
                merged.base = total(merged.base, row.base)?;
                merged.vat = total(merged.vat, row.vat)?;
            }
            None => vat_rows.push(row.clone()),
        }
    }
    let vat_mentions = regimes
        .iter()
        .filter_map(|r| r.mention_key())
        .map(|key| tr.t(key).to_owned())
        .collect();
    let proposed_days = proposed_days(state, scope, request, options.today).await;
    let valid_until = options
        .today
        .checked_add_months(Months::new(VALIDITY_MONTHS))
        .unwrap_or(options.today);
    let mut address = Vec::new();
    if let (Some(street), Some(number)) = (&request.street, &request.house_number) {
        address.push(format!("{street} {number}"));
    }
    address.push(format!("{} {}", request.postcode, request.commune_name));
    let coordinator = db::organisations::own(&state.db, scope).await?;
    Ok(Built {
        document: OfferDocument {
            language,
            reference: request.reference.clone(),
            version: options.version as u32,
            supersedes: options.supersedes,
            issued_on: options.today,
            valid_until,
            applicant: Addressee {
                name: request.applicant_name.clone(),
                email: request.email.clone(),
                address,
            },
            site: request.site_line(),
            contact: Contact {
                organisation: coordinator.name,
                officer: options.officer.display_name.clone(),
                email: options.officer.email.clone(),
                phone: coordinator.contact.unwrap_or_default(),
            },
            sections,
            vat: vat_rows,
            vat_mentions,
            total_excl_vat,
            total_vat,
            total_incl_vat: total_excl_vat + total_vat,
            conditions: vec![
                tr.f(
                    "offer.condition.validity",
                    [("date", tr.date(valid_until).as_str())],
                ),
                tr.t("offer.condition.payment_before_works").to_owned(),
                tr.t("offer.condition.contract").to_owned(),
                tr.t("offer.condition.changes").to_owned(),
            ],
            proposed_days,
            status_url: String::new(),
        },
        dues,
    })
}

/// The first common days, when they can be computed; an offer without proposed days is still
/// an offer (the day is chosen after acceptance).
pub(super) async fn proposed_days(
    state: &AppState,
    scope: &Scope,
    request: &RequestRow,
    today: NaiveDate,
) -> Vec<NaiveDate> {
    match crate::services::schedule::candidates(state, scope, request, today).await {
        Ok(days) => days
            .candidates
            .iter()
            .take(PROPOSED_DAYS)
            .map(|c| c.date)
            .collect(),
        Err(error) => {
            tracing::info!(request = %request.reference, %error, "no day to propose");
            Vec::new()
        }
    }
}
