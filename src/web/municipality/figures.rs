//! The nuisance avoided (C-6): the figures per month with their chart and CSV, for the
//! commune (its own) and for the coordinator (across its communes or one of them).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{Datelike, NaiveDate};

use super::{Municipality, metres};
use crate::{
    domain::nuisance::{self, Report},
    http::{
        error::PageError,
        extract::Staff,
        query::{FiguresQuery, period},
    },
    i18n::Tr,
    services,
    state::AppState,
    web::views::Frame,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/commune/figures", get(commune_figures))
        .route("/commune/figures.csv", get(commune_figures_csv))
        .route("/backoffice/nuisance", get(backoffice_figures))
        .route("/backoffice/nuisance.csv", get(backoffice_figures_csv))
}

/// One row of figures, formatted.
pub struct FiguresLine {
    pub works_days: u32,
    pub openings_made: u32,
    pub openings_separate: u32,
    pub openings_avoided: u32,
    pub crew_visits_avoided: u32,
    pub shared_trench: String,
    pub shared_trench_plain: String,
    pub streets_reopened: u32,
}

impl FiguresLine {
    pub(super) fn of(figures: &nuisance::Figures) -> Self {
        Self {
            works_days: figures.works_days,
            openings_made: figures.openings_made,
            openings_separate: figures.openings_separate,
            openings_avoided: figures.openings_avoided(),
            crew_visits_avoided: figures.crew_visits_avoided,
            shared_trench: metres(figures.shared_trench_metres),
            shared_trench_plain: figures
                .shared_trench_metres
                .round_dp(1)
                .normalize()
                .to_string(),
            streets_reopened: figures.streets_reopened,
        }
    }
}

pub struct MonthLine {
    pub code: String,
    pub label: String,
    pub figures: FiguresLine,
}

/// A bar of the chart, in SVG user units.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub class: &'static str,
    pub title: String,
}

pub struct Tick {
    pub y: u32,
    pub label: u32,
}

pub struct AxisLabel {
    pub x: u32,
    pub text: String,
}

/// Grouped bars per month: openings with separate appointments beside the openings made.
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub baseline: u32,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub labels: Vec<AxisLabel>,
}

const CHART_HEIGHT: u32 = 220;
const CHART_TOP: u32 = 10;
const CHART_LEFT: u32 = 40;
const GROUP: u32 = 52;

/// The chart's geometry; pure, so its scale can be tested.
pub fn chart(tr: Tr, report: &Report) -> Chart {
    let baseline = CHART_HEIGHT - 30;
    let plot = baseline - CHART_TOP;
    let max = report
        .months
        .iter()
        .map(|m| m.figures.openings_separate)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |value: u32| value * plot / max;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (index, month) in report.months.iter().enumerate() {
        let x = CHART_LEFT + u32::try_from(index).unwrap_or(0) * GROUP + 4;
        let label = month_label(tr, month.month);
        for (offset, value, class, key) in [
            (
                0,
                month.figures.openings_separate,
                "separate",
                "nuisance.openings_separate",
            ),
            (
                21,
                month.figures.openings_made,
                "made",
                "nuisance.openings_made",
            ),
        ] {
            let height = scale(value);
            bars.push(Bar {
                x: x + offset,
                y: baseline - height,
                width: 20,
                height,
                class,
                title: format!("{label} — {} : {value}", tr.t(key)),
            });
        }
        labels.push(AxisLabel {
            x: x + 20,
            text: month.month.format("%m/%y").to_string(),
        });
    }
    let step = (max / 4).max(1);
    let ticks = (0..=max)
        .step_by(usize::try_from(step).unwrap_or(1))
        .map(|value| Tick {
            y: baseline - scale(value),
            label: value,
        })
        .collect();
    Chart {
        width: CHART_LEFT + u32::try_from(report.months.len()).unwrap_or(0) * GROUP + 10,
        height: CHART_HEIGHT,
        baseline,
        bars,
        ticks,
        labels,
    }
}

fn month_label(tr: Tr, month: NaiveDate) -> String {
    format!(
        "{} {}",
        tr.keyed("works.month_name", month.month()),
        month.year()
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "nuisance.html")]
struct FiguresPage {
    tr: Tr,
    page: Frame,
    /// The commune's name, or none for the coordinator's view across communes.
    commune: Option<String>,
    action: String,
    csv: String,
    from: String,
    to: String,
    /// Coordinator: the communes to choose from, and the chosen one.
    communes: Vec<(String, String)>,
    chosen: String,
    months: Vec<MonthLine>,
    total: FiguresLine,
    chart: Chart,
    problem: Option<String>,
}

/// Who asks for the figures: a commune (its name) or the coordinator (communes to choose).
struct FiguresAudience<'a> {
    commune: Option<String>,
    base: &'a str,
    communes: Vec<(String, String)>,
}

fn figures_page(
    tr: Tr,
    frame: Frame,
    audience: FiguresAudience<'_>,
    query: &FiguresQuery,
    (from, to): (NaiveDate, NaiveDate),
    report: &Report,
    problem: Option<String>,
) -> FiguresPage {
    let FiguresAudience {
        commune,
        base,
        communes,
    } = audience;
    let mut csv_query = vec![("from", from.to_string()), ("to", to.to_string())];
    if !query.commune.is_empty() {
        csv_query.push(("commune", query.commune.clone()));
    }
    FiguresPage {
        tr,
        page: frame,
        commune,
        action: base.to_owned(),
        csv: format!(
            "{base}.csv?{}",
            serde_urlencoded::to_string(&csv_query).unwrap_or_default()
        ),
        from: from.to_string(),
        to: to.to_string(),
        communes,
        chosen: query.commune.clone(),
        months: report
            .months
            .iter()
            .map(|m| MonthLine {
                code: m.month.format("%Y-%m").to_string(),
                label: month_label(tr, m.month),
                figures: FiguresLine::of(&m.figures),
            })
            .collect(),
        total: FiguresLine::of(&report.total),
        chart: chart(tr, report),
        problem,
    }
}

/// A municipality asking for another commune's figures gets 404, like any other of its data.
fn own_commune(commune: &Municipality, query: &FiguresQuery) -> Result<(), PageError> {
    if query.commune.is_empty() || query.commune == commune.nis {
        Ok(())
    } else {
        Err(PageError::NotFound)
    }
}

async fn commune_figures(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    own_commune(&commune, &query)?;
    let tr = commune.tr;
    let (range, problem) = match period(tr, &query, state.clock.today()) {
        Ok(range) => (range, None),
        Err(problem) => (
            period(tr, &FiguresQuery::default(), state.clock.today())
                .map_err(|_| PageError::Internal)?,
            Some(problem),
        ),
    };
    let report =
        services::commune::figures(&state, &commune.user, Some(&commune.nis), range.0, range.1)
            .await?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = figures_page(
        tr,
        commune.frame,
        FiguresAudience {
            commune: Some(commune.name),
            base: "/commune/figures",
            communes: Vec::new(),
        },
        &query,
        range,
        &report,
        problem,
    );
    Ok((status, page).into_response())
}

async fn commune_figures_csv(
    State(state): State<AppState>,
    commune: Municipality,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    own_commune(&commune, &query)?;
    let (from, to) =
        period(commune.tr, &query, state.clock.today()).map_err(PageError::BadRequest)?;
    let report =
        services::commune::figures(&state, &commune.user, Some(&commune.nis), from, to).await?;
    csv_response(commune.tr, &commune.nis, &report)
}

/// The communes of the coordinator's requests; a commune asked for outside them is 404, and
/// so is the page for anybody but the coordinator's staff.
async fn coordinated_communes(
    state: &AppState,
    staff: &Staff,
    query: &FiguresQuery,
) -> Result<Vec<(String, String)>, PageError> {
    staff.require_coordinator()?;
    let communes = services::commune::coordinated_communes(state, &staff.user).await?;
    if !query.commune.is_empty() && !communes.iter().any(|(nis, _)| *nis == query.commune) {
        return Err(PageError::NotFound);
    }
    Ok(communes)
}

async fn backoffice_figures(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    let tr = staff.tr;
    let communes = coordinated_communes(&state, &staff, &query).await?;
    let (range, problem) = match period(tr, &query, state.clock.today()) {
        Ok(range) => (range, None),
        Err(problem) => (
            period(tr, &FiguresQuery::default(), state.clock.today())
                .map_err(|_| PageError::Internal)?,
            Some(problem),
        ),
    };
    let commune = Some(query.commune.as_str()).filter(|c| !c.is_empty());
    let report = services::commune::figures(&state, &staff.user, commune, range.0, range.1).await?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = figures_page(
        tr,
        staff.frame,
        FiguresAudience {
            commune: None,
            base: "/backoffice/nuisance",
            communes,
        },
        &query,
        range,
        &report,
        problem,
    );
    Ok((status, page).into_response())
}

async fn backoffice_figures_csv(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, PageError> {
    coordinated_communes(&state, &staff, &query).await?;
    let (from, to) =
        period(staff.tr, &query, state.clock.today()).map_err(PageError::BadRequest)?;
    let commune = Some(query.commune.as_str()).filter(|c| !c.is_empty());
    let report = services::commune::figures(&state, &staff.user, commune, from, to).await?;
    csv_response(staff.tr, commune.unwrap_or("all"), &report)
}

/// The same figures as the page, one row per month and a total row, for a Belgian Excel
/// (see [`excel_csv`]): lengths with a decimal comma.
pub fn figures_csv(tr: Tr, report: &Report) -> Result<String, csv::Error> {
    let mut records = vec![
        [
            tr.t("nuisance.csv.month"),
            tr.t("nuisance.works_days"),
            tr.t("nuisance.openings_made"),
            tr.t("nuisance.openings_separate"),
            tr.t("nuisance.openings_avoided"),
            tr.t("nuisance.crew_visits_avoided"),
            tr.t("nuisance.csv.shared_trench_metres"),
            tr.t("nuisance.streets_reopened"),
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let row = |label: String, f: &nuisance::Figures| {
        vec![
            label,
            f.works_days.to_string(),
            f.openings_made.to_string(),
            f.openings_separate.to_string(),
            f.openings_avoided().to_string(),
            f.crew_visits_avoided.to_string(),
            decimal_comma(f.shared_trench_metres.round_dp(1)),
            f.streets_reopened.to_string(),
        ]
    };
    for month in &report.months {
        records.push(row(month.month.format("%Y-%m").to_string(), &month.figures));
    }
    records.push(row(tr.t("nuisance.total").to_owned(), &report.total));
    excel_csv(records)
}

/// A number as a Belgian spreadsheet reads it: `12,5`.
fn decimal_comma(value: rust_decimal::Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

/// CSV as Excel opens it in Belgium: a UTF-8 byte order mark (else accents break), `;`
/// between fields (the comma is the decimal sign there), and a field quoted when it holds a
/// `;`, a quote or a line break (its quotes doubled).
pub fn excel_csv<R, F>(records: R) -> Result<String, csv::Error>
where
    R: IntoIterator<Item = Vec<F>>,
    F: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(&record)?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

fn csv_response(tr: Tr, scope_label: &str, report: &Report) -> Result<Response, PageError> {
    let body = figures_csv(tr, report).map_err(|_| PageError::Internal)?;
    let filename = format!(
        "nuisances-evitees-{scope_label}-{}-{}.csv",
        report.from, report.to
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .map_err(|_| PageError::Internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Language,
        nuisance::{JointDayRecord, OperatorWork},
    };
    use rust_decimal::Decimal;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn report() -> Report {
        let day = |on: &str, n: usize| JointDayRecord {
            commune_nis: "92094".into(),
            street: Some("Rue".into()),
            day: date(on),
            operators: (0..n)
                .map(|_| OperatorWork {
                    service: "water".into(),
                    civil_works: true,
                    trench_metres: Decimal::from(10),
                })
                .collect(),
            done: true,
        };
        nuisance::report(
            &[day("2026-01-05", 5), day("2026-02-05", 2)],
            date("2026-01-01"),
            date("2026-03-31"),
        )
    }

    #[test]
    fn the_chart_scales_bars_to_the_largest_month() {
        let chart = chart(Tr(Language::Fr), &report());
        assert_eq!(chart.bars.len(), 6, "two bars for each of three months");
        let tallest = chart.bars.iter().map(|b| b.height).max().unwrap();
        assert_eq!(tallest, chart.baseline - CHART_TOP);
        // February: 2 separate openings of a scale of 5.
        assert_eq!(chart.bars[2].height, 2 * (chart.baseline - CHART_TOP) / 5);
        assert!(chart.bars.iter().all(|b| b.y + b.height == chart.baseline));
        assert!(chart.bars[0].title.contains('5'));
    }

    #[test]
    fn the_csv_carries_the_figures_and_a_total_for_a_belgian_excel() {
        let csv = figures_csv(Tr(Language::En), &report()).unwrap();
        let csv = csv
            .strip_prefix('\u{feff}')
            .expect("a UTF-8 byte order mark");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 3 + 1);
        assert_eq!(lines[1], "2026-01;1;1;5;4;4;10;0");
        assert_eq!(lines[2], "2026-02;1;1;2;1;1;10;1");
        assert!(lines[4].ends_with(";2;2;7;5;5;20;1"), "{}", lines[4]);
    }

    #[test]
    fn excel_csv_quotes_a_field_holding_a_semicolon_or_a_quote() {
        let csv = excel_csv([
            vec!["Rue", "Longueur (m)"],
            vec!["Rue de Fer; Namur", "12,5"],
            vec!["Dit \"le Pont\"", "3"],
        ])
        .unwrap();
        assert_eq!(
            csv,
            "\u{feff}Rue;Longueur (m)\n\"Rue de Fer; Namur\";12,5\n\"Dit \"\"le Pont\"\"\";3\n"
        );
        assert_eq!(decimal_comma(rust_decimal::Decimal::new(125, 1)), "12,5");
    }
}
