//! The platform administrator's construction holidays: every period by year, and the form to
//! add, change or remove one. A refused period keeps what was typed and says why, field by
//! field; a period that falls on booked joint days says which requests it flagged.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{
    backoffice::Notice,
    error::PageError,
    extract::{CsrfForm, Staff},
    views::{Frame, local_datetime_in, warned_frame},
};
use crate::{
    domain::HolidayId,
    http::extract::IdPath,
    i18n::Tr,
    scheduling::{
        HolidayPeriod, PeriodError, Province,
        calendar::{is_public_holiday, is_weekend},
    },
    services::holidays::{self, EditError},
    state::AppState,
};

const LIST: &str = "/admin/construction-holidays";
/// Longer than any name the sector gives a period.
const MAX_NAME_CHARS: usize = 120;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list).post(add))
        .route("/admin/construction-holidays/{id}", get(edit).post(change))
        .route("/admin/construction-holidays/{id}/remove", post(remove))
}

fn require_admin(staff: &Staff) -> Result<(), PageError> {
    if holidays::may_edit(&staff.user) {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

pub struct PeriodView {
    pub id: HolidayId,
    pub name: String,
    pub first_day: String,
    pub last_day: String,
    pub provinces: String,
    /// Weekdays that are not public holidays: the days civil-works crews lose.
    pub working_days: usize,
    /// Who changed it last and when; `None` for the periods shipped with the product.
    pub changed: Option<String>,
}

pub struct YearView {
    pub year: i32,
    pub periods: Vec<PeriodView>,
}

/// The add or change form, as typed, with the refusals of the last attempt.
pub struct FormView {
    pub action: String,
    pub name: String,
    pub first_day: String,
    pub last_day: String,
    /// Code, translated name, ticked.
    pub provinces: Vec<(&'static str, String, bool)>,
    pub errors: Vec<(&'static str, String)>,
}

impl FormView {
    fn new(tr: Tr, action: String, form: &PeriodForm) -> Self {
        FormView {
            action,
            name: form.name.clone(),
            first_day: form.first_day.clone(),
            last_day: form.last_day.clone(),
            provinces: Province::ALL
                .into_iter()
                .map(|p| {
                    (
                        p.code(),
                        tr.keyed("province", p.code()),
                        form.provinces.iter().any(|c| c == p.code()),
                    )
                })
                .collect(),
            errors: Vec::new(),
        }
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/construction_holidays.html")]
struct ListPage {
    tr: Tr,
    page: Frame,
    years: Vec<YearView>,
    notice: Option<Notice>,
    form: FormView,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/construction_holiday.html")]
struct EditPage {
    tr: Tr,
    page: Frame,
    id: HolidayId,
    notice: Option<Notice>,
    form: FormView,
}

fn provinces_label(tr: Tr, period: &HolidayPeriod) -> String {
    if period.provinces.is_empty() {
        return tr.t("holidays.all_wallonia").to_owned();
    }
    period
        .provinces
        .iter()
        .map(|p| tr.keyed("province", p.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn working_days(period: &HolidayPeriod) -> usize {
    period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .filter(|d| !is_weekend(*d) && !is_public_holiday(*d))
        .count()
}

fn year_views(tr: Tr, rows: &[holidays::ListedPeriod]) -> Vec<YearView> {
    let mut years: Vec<YearView> = Vec::new();
    for row in rows {
        let period = &row.period;
        let view = PeriodView {
            id: row.id,
            name: period.name.clone(),
            first_day: tr.numeric_date(period.from),
            last_day: tr.numeric_date(period.to),
            provinces: provinces_label(tr, period),
            working_days: working_days(period),
            changed: row
                .updated_by_name
                .as_ref()
                .map(|who| format!("{who}, {}", local_datetime_in(tr, row.updated_at))),
        };
        match years.iter_mut().find(|y| y.year == period.from.year()) {
            Some(year) => year.periods.push(view),
            None => years.push(YearView {
                year: period.from.year(),
                periods: vec![view],
            }),
        }
    }
    // The coming year first: it is the one administrators enter.
    years.sort_by_key(|y| std::cmp::Reverse(y.year));
    years
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PeriodForm {
    name: String,
    first_day: String,
    last_day: String,
    provinces: Vec<String>,
}

impl PeriodForm {
    fn of(period: &HolidayPeriod) -> Self {
        let provinces = if period.provinces.is_empty() {
            Province::ALL.to_vec()
        } else {
            period.provinces.clone()
        };
        PeriodForm {
            name: period.name.clone(),
            first_day: period.from.to_string(),
            last_day: period.to.to_string(),
            provinces: provinces.iter().map(|p| p.code().to_owned()).collect(),
        }
    }

    /// The period typed, or each field's refusal in the reader's language.
    fn parse(&self, tr: Tr) -> Result<HolidayPeriod, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(("name", tr.t("holidays.error.name_empty").to_owned()));
        } else if name.chars().count() > MAX_NAME_CHARS {
            let max = MAX_NAME_CHARS.to_string();
            errors.push((
                "name",
                tr.f("holidays.error.name_long", [("max", max.as_str())]),
            ));
        }
        let mut date = |field: &'static str, text: &str| {
            let parsed = parse_day(text);
            if parsed.is_none() {
                errors.push((field, tr.t("holidays.error.not_a_date").to_owned()));
            }
            parsed
        };
        let from = date("first_day", &self.first_day);
        let to = date("last_day", &self.last_day);
        let mut provinces = Vec::new();
        for code in &self.provinces {
            match Province::from_code(code) {
                Some(province) => provinces.push(province),
                None => errors.push((
                    "provinces",
                    tr.t("holidays.error.unknown_province").to_owned(),
                )),
            }
        }
        if self.provinces.is_empty() {
            errors.push(("provinces", tr.t("holidays.error.no_province").to_owned()));
        }
        match (from, to) {
            (Some(from), Some(to)) if errors.is_empty() => Ok(HolidayPeriod {
                name: name.to_owned(),
                from,
                to,
                provinces,
            }),
            _ => Err(errors),
        }
    }
}

/// A day as a date field sends it (2027-07-12), or as typed where the browser has no date
/// picker (12/07/2027, 12.07.2027).
fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
        .into_iter()
        .find_map(|pattern| NaiveDate::parse_from_str(text, pattern).ok())
}

/// A refusal of the period as a whole: said under both dates ("period"), or on the name.
fn refusal(tr: Tr, error: &PeriodError) -> (&'static str, String) {
    match error {
        PeriodError::EmptyName => ("name", tr.t("holidays.error.name_empty").to_owned()),
        PeriodError::EndsBeforeStart { from, to } => (
            "period",
            tr.f(
                "holidays.error.ends_before_start",
                [
                    ("from", tr.numeric_date(from).as_str()),
                    ("to", tr.numeric_date(to).as_str()),
                ],
            ),
        ),
        PeriodError::TooLong { days, max } => (
            "period",
            tr.f(
                "holidays.error.too_long",
                [
                    ("days", days.to_string().as_str()),
                    ("max", max.to_string().as_str()),
                ],
            ),
        ),
        PeriodError::Overlap { other, province } => (
            "period",
            tr.f(
                "holidays.error.overlap",
                [
                    ("other", other.name.as_str()),
                    ("from", tr.numeric_date(other.from).as_str()),
                    ("to", tr.numeric_date(other.to).as_str()),
                    ("province", tr.keyed("province", province.code()).as_str()),
                ],
            ),
        ),
        PeriodError::Data(error) => ("name", error.to_string()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    saved: String,
    removed: String,
    flagged: String,
}

fn notice_of(tr: Tr, query: &ListQuery) -> Option<Notice> {
    let text = if !query.saved.is_empty() {
        let mut text = tr.f("holidays.saved", [("name", query.saved.as_str())]);
        if !query.flagged.is_empty() {
            text.push(' ');
            text.push_str(&tr.f(
                "holidays.flagged",
                [("references", query.flagged.replace(',', ", ").as_str())],
            ));
        }
        text
    } else if !query.removed.is_empty() {
        tr.f("holidays.removed", [("name", query.removed.as_str())])
    } else {
        return None;
    };
    Some(Notice { error: false, text })
}

async fn render_list(
    state: &AppState,
    staff: Staff,
    notice: Option<Notice>,
    form: FormView,
) -> Result<ListPage, PageError> {
    let stored = holidays::listed(state).await?;
    Ok(ListPage {
        years: year_views(staff.tr, &stored),
        tr: staff.tr,
        page: warned_frame(state, &staff).await?,
        notice,
        form,
    })
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<ListPage, PageError> {
    require_admin(&staff)?;
    let notice = notice_of(staff.tr, &query);
    let form = FormView::new(staff.tr, LIST.to_owned(), &PeriodForm::default());
    render_list(&state, staff, notice, form).await
}

fn refused_notice(tr: Tr) -> Option<Notice> {
    Some(Notice {
        error: true,
        text: tr.t("holidays.refused").to_owned(),
    })
}

fn saved_redirect(saved: &holidays::Saved) -> Result<Response, PageError> {
    let flagged = saved.flagged.join(",");
    let query = serde_urlencoded::to_string([
        ("saved", saved.period.name.as_str()),
        ("flagged", flagged.as_str()),
    ])
    .map_err(|_| PageError::Internal)?;
    Ok(Redirect::to(&format!("{LIST}?{query}")).into_response())
}

/// Saves the form's period (a new one when `id` is `None`); a refusal comes back as the
/// field errors to show.
async fn submit(
    state: &AppState,
    staff: &Staff,
    id: Option<HolidayId>,
    form: &PeriodForm,
) -> Result<Result<Response, Vec<(&'static str, String)>>, PageError> {
    let period = match form.parse(staff.tr) {
        Ok(period) => period,
        Err(errors) => return Ok(Err(errors)),
    };
    match holidays::save(state, &staff.user, id, period, state.clock.now()).await {
        Ok(saved) => Ok(Ok(saved_redirect(&saved)?)),
        Err(EditError::Invalid(error)) => Ok(Err(vec![refusal(staff.tr, &error)])),
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(EditError::Db(error)) => Err(error.into()),
    }
}

async fn add(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(form): CsrfForm<PeriodForm>,
) -> Result<Response, PageError> {
    require_admin(&staff)?;
    match submit(&state, &staff, None, &form).await? {
        Ok(done) => Ok(done),
        Err(errors) => {
            let mut view = FormView::new(staff.tr, LIST.to_owned(), &form);
            view.errors = errors;
            let notice = refused_notice(staff.tr);
            let page = render_list(&state, staff, notice, view).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

fn edit_action(id: HolidayId) -> String {
    format!("{LIST}/{id}")
}

async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<HolidayId>,
) -> Result<EditPage, PageError> {
    require_admin(&staff)?;
    let stored = holidays::listed(&state).await?;
    let row = stored
        .iter()
        .find(|r| r.id == id)
        .ok_or(PageError::NotFound)?;
    let form = PeriodForm::of(&row.period);
    Ok(EditPage {
        form: FormView::new(staff.tr, edit_action(id), &form),
        id,
        tr: staff.tr,
        page: staff.frame,
        notice: None,
    })
}

async fn change(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<HolidayId>,
    CsrfForm(form): CsrfForm<PeriodForm>,
) -> Result<Response, PageError> {
    require_admin(&staff)?;
    match submit(&state, &staff, Some(id), &form).await? {
        Ok(done) => Ok(done),
        Err(errors) => {
            let mut view = FormView::new(staff.tr, edit_action(id), &form);
            view.errors = errors;
            let page = EditPage {
                form: view,
                id,
                notice: refused_notice(staff.tr),
                tr: staff.tr,
                page: staff.frame,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The remove button sends nothing but its CSRF token.
#[derive(Debug, Deserialize)]
struct RemoveForm {}

async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    IdPath(id): IdPath<HolidayId>,
    CsrfForm(RemoveForm {}): CsrfForm<RemoveForm>,
) -> Result<Response, PageError> {
    require_admin(&staff)?;
    match holidays::remove(&state, id).await {
        Ok(period) => {
            let query = serde_urlencoded::to_string([("removed", period.name.as_str())])
                .map_err(|_| PageError::Internal)?;
            Ok(Redirect::to(&format!("{LIST}?{query}")).into_response())
        }
        Err(EditError::NotFound) => Err(PageError::NotFound),
        Err(EditError::Db(error)) => Err(error.into()),
        Err(EditError::Invalid(_)) => Err(PageError::Internal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_as_sent_by_a_date_field_or_as_typed() {
        let day = NaiveDate::from_ymd_opt(2027, 7, 12);
        assert_eq!(parse_day("2027-07-12"), day);
        assert_eq!(parse_day(" 12/07/2027 "), day);
        assert_eq!(parse_day("12.07.2027"), day);
        assert_eq!(parse_day("2027-13-01"), None);
        assert_eq!(parse_day("next monday"), None);
    }

    #[test]
    fn working_days_leave_out_weekends_and_public_holidays() {
        let period = HolidayPeriod {
            name: "Summer".into(),
            // Monday 14 July to Friday 1 August 2025, with 21 July (national day) inside.
            from: NaiveDate::from_ymd_opt(2025, 7, 14).unwrap(),
            to: NaiveDate::from_ymd_opt(2025, 8, 1).unwrap(),
            provinces: vec![Province::Namur],
        };
        assert_eq!(working_days(&period), 14);
    }
}
