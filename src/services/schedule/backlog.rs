//! The backlog optimiser's proposal for every request waiting for a joint day.

use super::*;

/// One waiting request and what the backlog plan proposes for it.
pub struct BacklogLine {
    pub request: RequestRow,
    pub day: Option<NaiveDate>,
    pub not_planned: Option<crate::scheduling::backlog::live::NotPlanned>,
}

pub struct BacklogProposal {
    pub lines: Vec<BacklogLine>,
    pub served: usize,
    pub openings: usize,
}

/// The coordinator's requests waiting for their joint day, with each one's latest answers
/// (service, body) and when its lead times started, by request id; the crews with their
/// bookings over the planning horizon from today, and the construction holidays.
struct Backlog {
    requests: Vec<RequestRow>,
    answers: HashMap<RequestId, LatestAnswers>,
    starts: HashMap<RequestId, LeadTimeStarts>,
    crews: Vec<joint::Crew>,
    bookings: Bookings,
    construction: ConstructionHolidays,
}

/// Reads the backlog in one transaction and a fixed number of statements, whatever its size
/// (one per kind of fact instead of several per waiting request): the same facts as
/// [`lead_time_starts`] reads for one request, and the crews' capacity, in one view.
async fn read_backlog(
    state: &AppState,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Backlog, ScheduleError> {
    let mut tx = state.db.begin_large_read().await?;
    let construction = holidays::load(&mut *tx).await?;
    let to = today + chrono::Days::new(BACKLOG_HORIZON_DAYS as u64);
    let (crews, booked) = crews::everything(&mut tx, today, to).await?;
    let mut bookings = Bookings::new();
    for (crew, day, jobs) in booked {
        bookings.add(crew, day, jobs);
    }
    let requests = requests::waiting_for_day(&mut tx, scope).await?;
    let mut answers: HashMap<RequestId, Vec<(String, Option<Assessment>)>> = HashMap::new();
    let mut organisations: HashMap<RequestId, Vec<(String, OrganisationId)>> = HashMap::new();
    for row in assessments::latest_of_waiting(&mut tx, scope).await? {
        organisations
            .entry(row.request_id)
            .or_default()
            .push((row.service.clone(), row.organisation_id));
        answers
            .entry(row.request_id)
            .or_default()
            .push((row.service, row.answer));
    }
    // The latest offer of each request with its dues, each due with its own payments.
    let offers = offers::latest_of_waiting(&mut tx, scope).await?;
    let mut dues: HashMap<OfferId, Vec<offers::DueRow>> = HashMap::new();
    for due in offers::dues_of_waiting(&mut tx, scope).await? {
        dues.entry(due.offer_id).or_default().push(due);
    }
    let mut payments: HashMap<DueId, Vec<offers::DuePaymentRow>> = HashMap::new();
    for payment in offers::payments_of_waiting(&mut tx, scope).await? {
        payments.entry(payment.due_id).or_default().push(payment);
    }
    let mut latest_offers = HashMap::new();
    for offer in offers {
        let rows = dues.remove(&offer.id).unwrap_or_default();
        let paid: Vec<offers::DuePaymentRow> = rows
            .iter()
            .flat_map(|due| payments.remove(&due.id).unwrap_or_default())
            .collect();
        let offer_dues = crate::services::offers::dues_of(rows, &paid)?;
        latest_offers.insert(offer.request_id, (offer.status, offer_dues));
    }
    // Only requests whose commune is on the portal: the status of their current permit.
    let permits: HashMap<RequestId, Option<PermitStatus>> = db::permits::of_waiting(&mut tx, scope)
        .await?
        .into_iter()
        .collect();
    let answers: HashMap<RequestId, LatestAnswers> = answers
        .into_iter()
        .map(|(request, rows)| (request, LatestAnswers::of(rows)))
        .collect();
    let parsed: HashMap<RequestId, Vec<(&str, &Assessment)>> = answers
        .iter()
        .map(|(request, answers)| (*request, answers.starting()))
        .collect();
    let mut services: Vec<&str> = parsed
        .values()
        .flatten()
        .filter(|(_, answer)| starts_on_prerequisites(answer))
        .map(|(service, _)| *service)
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut histories: HashMap<(RequestId, String), Vec<assessments::AnswerVersion>> =
        HashMap::new();
    for row in assessments::histories_of_waiting(&mut tx, scope, &services).await? {
        histories
            .entry((row.request_id, row.service))
            .or_default()
            .push(row.version);
    }
    tx.rollback().await.map_err(DbError::from)?;
    let mut starts = HashMap::new();
    for request in &requests {
        let id = request.id;
        let parsed = parsed.get(&id).map_or(&[][..], Vec::as_slice);
        let latest = latest_offers.get(&id);
        let known = KnownParts {
            organisations: organisations.remove(&id).unwrap_or_default(),
            latest_offer: latest.map(|(status, dues)| (*status, dues.as_slice())),
            permit_status: None,
        };
        // As for one request: a commune on the portal decides first unless it granted (C-6).
        let permit_awaited = opens_public_domain(parsed)
            && permits
                .get(&id)
                .is_some_and(|status| !permit_granted(*status));
        let request_starts = starts_from(
            state.config.permit_decision_days,
            parsed,
            &known,
            permit_awaited,
            |service| {
                histories
                    .get(&(id, service.to_owned()))
                    .map_or(&[], Vec::as_slice)
            },
        );
        starts.insert(id, request_starts);
    }
    Ok(Backlog {
        requests,
        answers,
        starts,
        crews,
        bookings,
        construction,
    })
}

/// "Propose days for all": every request of the coordinator waiting for its day, planned at
/// once by the backlog optimiser on the crews' free capacity (C-4, C-6). Nothing is reserved.
pub async fn propose_for_all(
    state: &AppState,
    scope: &Scope,
    today: NaiveDate,
) -> Result<BacklogProposal, ScheduleError> {
    use crate::scheduling::backlog::live::{self, NotPlanned, WaitingRequest};
    let Backlog {
        requests: waiting_rows,
        mut answers,
        mut starts,
        crews,
        bookings,
        construction,
    } = read_backlog(state, scope, today).await?;
    let mut waiting = Vec::new();
    let mut lines = Vec::new();
    for request in waiting_rows {
        let answers = answers.remove(&request.id).unwrap_or_default();
        let starts = starts.remove(&request.id).unwrap_or_default();
        match plan_from(state, &request, &answers, &starts, today, &construction) {
            Ok(plan) => waiting.push(WaitingRequest {
                key: request.id,
                commune: plan.commune,
                province: plan.province,
                windows: plan.windows,
            }),
            Err(ScheduleError::Db(error)) => return Err(error.into()),
            Err(_) => {}
        }
        lines.push(BacklogLine {
            request,
            day: None,
            not_planned: Some(NotPlanned::NoCommonWindow),
        });
    }
    // The optimiser works for a second on two threads: off the request-handling threads.
    let plan = tokio::task::spawn_blocking(move || {
        live::plan_waiting(
            today,
            BACKLOG_HORIZON_DAYS,
            &waiting,
            &crews,
            &bookings,
            &construction,
        )
    })
    .await
    .map_err(|e| DbError::Corrupt(format!("planning task: {e}")))?
    .map_err(|e| DbError::Corrupt(format!("backlog instance: {e}")))?;
    for line in &mut lines {
        if let Some(day) = plan.days.get(&line.request.id) {
            line.day = Some(*day);
            line.not_planned = None;
        } else if let Some(why) = plan.not_planned.get(&line.request.id) {
            line.not_planned = Some(*why);
        }
    }
    lines.sort_by_key(|l| (l.day.is_none(), l.day, l.request.commune_name.clone()));
    Ok(BacklogProposal {
        served: plan.days.len(),
        openings: plan.openings,
        lines,
    })
}
