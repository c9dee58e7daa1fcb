//! The commune's works: the calendar (month or week), the map of a month and one site.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use serde::Deserialize;

use super::{Municipality, SiteView, site_view};
use crate::domain::{PermitId, RequestId};
use crate::http::extract::IdPath;
use crate::{
    http::error::PageError,
    i18n::Tr,
    scheduling::calendar::month_start,
    services::{self, permits::JointDay},
    state::AppState,
    web::{
        backoffice::day_label,
        views::{Frame, ServiceNames},
    },
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/commune/calendar", get(calendar))
        .route("/commune/map", get(map))
        .route("/commune/works/{id}", get(works_page))
}

/// One joint day as a line of the calendar, the map list and the works page.
pub struct WorksLine {
    pub request_id: RequestId,
    pub reference: String,
    pub site: String,
    pub day: String,
    pub done: bool,
    pub operators: Vec<String>,
    pub opens_road: bool,
    pub permit_id: Option<PermitId>,
    pub permit: String,
    pub latitude: String,
    pub longitude: String,
    pub approximate: bool,
}

fn works_line(tr: Tr, names: &ServiceNames, day: &JointDay) -> WorksLine {
    WorksLine {
        request_id: day.request_id,
        reference: day.reference.clone(),
        site: day.site(),
        day: day_label(day.day),
        done: day.done(),
        operators: day
            .operators
            .iter()
            .map(|(service, _, done, _)| {
                if *done {
                    format!("{} ({})", names.name(service), tr.t("works.done_short"))
                } else {
                    names.name(service)
                }
            })
            .collect(),
        opens_road: day.operators.iter().any(|(_, civil, _, _)| *civil),
        permit_id: day.permit_id,
        permit: day
            .permit_status
            .map(|s| tr.keyed("permit.status", s))
            .unwrap_or_else(|| tr.t("works.no_permit").to_owned()),
        latitude: day
            .point
            .map(|p| format!("{:.6}", p.latitude))
            .unwrap_or_default(),
        longitude: day
            .point
            .map(|p| format!("{:.6}", p.longitude))
            .unwrap_or_default(),
        approximate: day.approximate,
    }
}

fn parse_month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()
}

/// "2026-W20" → the Monday of that ISO week.
fn parse_week(text: &str) -> Option<NaiveDate> {
    let (year, week) = text.trim().split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)
}

fn week_code(monday: NaiveDate) -> String {
    let week = monday.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CalendarQuery {
    view: String,
    month: String,
    week: String,
}

pub struct CalendarDay {
    pub date: NaiveDate,
    pub label: String,
    pub in_month: bool,
    pub works: Vec<WorksLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/calendar.html")]
struct CalendarPage {
    tr: Tr,
    page: Frame,
    commune: String,
    week_view: bool,
    title: String,
    /// Month view: weeks of seven days; week view: one week.
    weeks: Vec<Vec<CalendarDay>>,
    previous: String,
    next: String,
    other_view: String,
    count: usize,
}

async fn calendar(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<CalendarQuery>,
) -> Result<CalendarPage, PageError> {
    let tr = commune.tr;
    let today = state.clock.today();
    let week_view = query.view == "week" || !query.week.is_empty();
    let (from, to, title, previous, next, other_view) = if week_view {
        let monday = parse_week(&query.week).unwrap_or_else(|| {
            today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        });
        let sunday = monday + Duration::days(6);
        (
            monday,
            sunday,
            tr.f(
                "works.week_title",
                [
                    ("week", monday.iso_week().week().to_string().as_str()),
                    ("from", day_label(monday).as_str()),
                    ("to", day_label(sunday).as_str()),
                ],
            ),
            format!(
                "/commune/calendar?view=week&week={}",
                week_code(monday - Duration::days(7))
            ),
            format!(
                "/commune/calendar?view=week&week={}",
                week_code(monday + Duration::days(7))
            ),
            format!(
                "/commune/calendar?view=month&month={}",
                monday.format("%Y-%m")
            ),
        )
    } else {
        let first = parse_month(&query.month).unwrap_or_else(|| month_start(today));
        let last = first + Months::new(1) - Duration::days(1);
        // Whole weeks around the month.
        let from = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
        let to = last + Duration::days(i64::from(6 - last.weekday().num_days_from_monday()));
        let this_week = if today >= first && today <= last {
            today
        } else {
            first
        };
        (
            from,
            to,
            tr.f(
                "works.month_title",
                [(
                    "month",
                    format!(
                        "{} {}",
                        tr.keyed("works.month_name", first.month()),
                        first.year()
                    )
                    .as_str(),
                )],
            ),
            format!(
                "/commune/calendar?view=month&month={}",
                (first - Months::new(1)).format("%Y-%m")
            ),
            format!(
                "/commune/calendar?view=month&month={}",
                (first + Months::new(1)).format("%Y-%m")
            ),
            format!(
                "/commune/calendar?view=week&week={}",
                week_code(
                    this_week
                        - Duration::days(i64::from(this_week.weekday().num_days_from_monday()))
                )
            ),
        )
    };
    let names = ServiceNames::load(&state, tr).await?;
    let days =
        services::commune::joint_days(&state, &commune.user, Some(&commune.nis), from, to).await?;
    let month = if week_view {
        None
    } else {
        Some(
            parse_month(&query.month)
                .unwrap_or_else(|| month_start(today))
                .month(),
        )
    };
    let mut weeks = Vec::new();
    let mut date = from;
    let mut count = 0;
    while date <= to {
        let mut week = Vec::new();
        for _ in 0..7 {
            let works: Vec<WorksLine> = days
                .iter()
                .filter(|d| d.day == date)
                .map(|d| works_line(tr, &names, d))
                .collect();
            if month.is_none_or(|m| date.month() == m) {
                count += works.len();
            }
            week.push(CalendarDay {
                date,
                label: format!(
                    "{} {}",
                    tr.keyed("works.weekday", date.weekday().num_days_from_monday()),
                    day_label(date)
                ),
                in_month: month.is_none_or(|m| date.month() == m),
                works,
            });
            date += Duration::days(1);
        }
        weeks.push(week);
    }
    Ok(CalendarPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        week_view,
        title,
        weeks,
        previous,
        next,
        other_view,
        count,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MonthQuery {
    month: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/map.html")]
struct MapPage {
    tr: Tr,
    page: Frame,
    commune: String,
    title: String,
    works: Vec<WorksLine>,
    previous: String,
    next: String,
    tiles: String,
    attribution: String,
    centre_latitude: String,
    centre_longitude: String,
}

async fn map(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<MonthQuery>,
) -> Result<Response, PageError> {
    let tr = commune.tr;
    let first = parse_month(&query.month).unwrap_or_else(|| month_start(state.clock.today()));
    let last = first + Months::new(1) - Duration::days(1);
    let names = ServiceNames::load(&state, tr).await?;
    let works =
        services::commune::joint_days(&state, &commune.user, Some(&commune.nis), first, last)
            .await?
            .iter()
            .map(|d| works_line(tr, &names, d))
            .collect();
    let centre = crate::domain::centres::commune_centre(&commune.nis);
    let page = MapPage {
        tr,
        page: commune.frame,
        title: tr.f(
            "works.map_title",
            [(
                "month",
                format!(
                    "{} {}",
                    tr.keyed("works.month_name", first.month()),
                    first.year()
                )
                .as_str(),
            )],
        ),
        commune: commune.name,
        works,
        previous: (first - Months::new(1)).format("%Y-%m").to_string(),
        next: (first + Months::new(1)).format("%Y-%m").to_string(),
        tiles: state.config.map_tile_url.clone(),
        attribution: state.config.map_tile_attribution.clone(),
        centre_latitude: centre
            .map(|c| format!("{:.5}", c.latitude))
            .unwrap_or_default(),
        centre_longitude: centre
            .map(|c| format!("{:.5}", c.longitude))
            .unwrap_or_default(),
    };
    let mut response = page.into_response();
    // The tiles come from the configured server: only this page lets images load from it.
    if let Ok(policy) = HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data: {}; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        tile_origin(&state.config.map_tile_url)
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

/// The origin of a tile URL template for the page's content policy (`{s}` subdomains become
/// a wildcard); nothing when it is not an http(s) URL.
pub fn tile_origin(template: &str) -> String {
    let Some((scheme, rest)) = template.split_once("://") else {
        return String::new();
    };
    if scheme != "https" && scheme != "http" {
        return String::new();
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '{' | '}'))
    {
        return String::new();
    }
    format!("{scheme}://{}", host.replace("{s}", "*"))
}

#[derive(Template, WebTemplate)]
#[template(path = "commune/works.html")]
struct WorksPage {
    tr: Tr,
    page: Frame,
    commune: String,
    works: Vec<WorksLine>,
    reference: String,
    site: String,
    details: SiteView,
}

async fn works_page(
    State(state): State<AppState>,
    commune: Municipality,
    IdPath(id): IdPath<RequestId>,
) -> Result<WorksPage, PageError> {
    let tr = commune.tr;
    let site = services::commune::works_site(&state, &commune.user, &commune.commune(), id).await?;
    let names = ServiceNames::load(&state, tr).await?;
    Ok(WorksPage {
        tr,
        page: commune.frame,
        commune: commune.name,
        works: site
            .days
            .iter()
            .map(|d| works_line(tr, &names, d))
            .collect(),
        reference: site.reference,
        site: site.site,
        details: site_view(tr, &site.details),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_origin_is_allowed_and_nothing_else() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            "https://tile.openstreetmap.org"
        );
        assert_eq!(
            tile_origin("https://{s}.tiles.example.be/{z}/{x}/{y}.png"),
            "https://*.tiles.example.be"
        );
        assert_eq!(tile_origin("javascript:alert(1)"), "");
        assert_eq!(tile_origin("https://evil.example; script-src *"), "");
    }
}
