//! Reports on the multi-year plan, made on the server from the report
//! projection (`db::reports`): as data (the app's route), as an Excel
//! workbook with native charts, as CSV and as text for the command line.

use std::path::Path;
use std::time::Duration;

use brug_shared::model::Lang;
use brug_shared::report::{
    self, Breakdown, Cell, IndicatorRow, Measure, Plan, PlanError, Query, Report,
};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Chart, ChartType, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};

use crate::db::{self, DbError};
use crate::storage::Backend;

/// Reads and checks a plan file.
pub fn load_plan(path: &Path) -> Result<Plan, PlanError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| PlanError::Syntax(format!("{}: {e}", path.display())))?;
    Plan::parse(&text)
}

/// Makes a report: the projection catches up with every change stored
/// before, then the plan's indicators are counted over it.
pub fn make(
    conn: &mut rusqlite::Connection,
    plan: &Plan,
    query: &Query,
) -> Result<Report, DbError> {
    db::project_pending(conn)?;
    let mut counter = report::Counter::new(plan, query);
    db::count_facts(conn, query, &mut counter)?;
    Ok(counter.finish())
}

/// Keeps the projection close behind the stored changes, so a report has
/// little to catch up: looks every `every` for sources marked out of date
/// and projects them a few at a time. Sync sessions come first: it works
/// only once no sync frame was handled for [`QUIET`] (re-checked between
/// every few cases), unless it has waited [`MAX_WAIT`] already. A report
/// never depends on it: asked for, a report catches up itself first.
pub async fn project_in_background(
    backend: Backend,
    every: Duration,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        let since = std::time::Instant::now();
        // A few cases per turn of the database, so a long catch-up (after
        // an import, an upgrade) never holds sync sessions up for long.
        loop {
            while !may_project(metrics.since_last_frame(), since.elapsed()) {
                tokio::select! {
                    _ = tokio::time::sleep(QUIET / 2) => {}
                    _ = shutdown.changed() => return,
                }
            }
            match backend.with(|store| store.project_reports(4)).await {
                Ok(0) => break,
                Ok(n) => tracing::debug!(sources = n, "report projection caught up a little"),
                Err(e) => {
                    tracing::warn!(error = %e, "report projection failed; retried later");
                    break;
                }
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}

/// How long no sync frame must have been handled before the background
/// projection works.
pub const QUIET: Duration = Duration::from_millis(500);

/// The longest the background projection waits for a quiet moment.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// Whether the background projection may work now: the last sync frame was
/// handled `since_frame` ago, and it has waited `waited`.
fn may_project(since_frame: Duration, waited: Duration) -> bool {
    since_frame >= QUIET || waited >= MAX_WAIT
}

fn date_text(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The report as text for a terminal: per SDG and action, each indicator's
/// total and its cells.
pub fn text(report: &Report) -> String {
    let q = &report.query;
    let mut out = format!(
        "{}\nPeriode / period: {} – {}   Team: {}   Plan: {}{}\n",
        report.title,
        date_text(q.from),
        date_text(q.to),
        q.team.as_deref().unwrap_or("alle teams / all teams"),
        report.plan,
        if q.public {
            "   publiek: aantallen onder 5 als <5 / public: counts below 5 as <5"
        } else {
            ""
        }
    );
    let breakdown = q.by != Breakdown::None;
    for sdg in &report.sdgs {
        out.push_str(&format!("\nSDG {} {}\n", sdg.number, sdg.nl));
        for action in &sdg.actions {
            out.push_str(&format!("  {}\n", action.nl));
            for ind in &action.indicators {
                out.push_str(&format!(
                    "    {:<70} {:>12}\n",
                    ind.nl,
                    ind.total.text(ind.measure)
                ));
                if breakdown {
                    let cells: Vec<String> = report
                        .columns
                        .iter()
                        .zip(&ind.cells)
                        .map(|(c, v)| format!("{c}: {}", v.text(ind.measure)))
                        .collect();
                    out.push_str(&format!("      {}\n", cells.join("  ")));
                }
            }
        }
    }
    out
}

/// The report as CSV (`;`-separated, decimal comma, as Belgian Excel
/// opens it): one line per indicator and column.
pub fn csv(report: &Report) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    w.write_record([
        "periode_van",
        "periode_tot",
        "planversie",
        "team",
        "sdg",
        "actie",
        "indicator",
        "eenheid",
        "kolom",
        "waarde",
    ])?;
    let q = &report.query;
    let team = q.team.clone().unwrap_or_default();
    for (sdg, action, ind) in report.indicators() {
        let mut line = |column: &str, cell: Cell| {
            w.write_record([
                date_text(q.from).as_str(),
                date_text(q.to).as_str(),
                report.plan.as_str(),
                team.as_str(),
                sdg.number.to_string().as_str(),
                action.code.as_str(),
                ind.code.as_str(),
                ind.measure.unit(Lang::Nl),
                column,
                csv_value(cell, ind.measure).as_str(),
            ])
        };
        line("totaal", ind.total)?;
        if q.by != Breakdown::None {
            for (c, v) in report.columns.iter().zip(&ind.cells) {
                line(c, *v)?;
            }
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn csv_value(cell: Cell, measure: Measure) -> String {
    match cell {
        Cell::Value(v) if measure == Measure::Euro => {
            format!(
                "{}{},{:02}",
                if v < 0 { "-" } else { "" },
                v.abs() / 100,
                v.abs() % 100
            )
        }
        Cell::Value(v) => v.to_string(),
        Cell::Small => "<5".into(),
        Cell::Hidden => String::new(),
    }
}

/// Excel's own number formats, in the nl-BE locale (`[$-813]`): Excel shows
/// `1.234` and `€ 1.234,56` whatever the reader's settings.
const COUNT_FORMAT: &str = "[$-813]#,##0";
const EURO_FORMAT: &str = "[$€-813] #,##0.00";
const DATE_FORMAT: &str = "dd/mm/yyyy";

struct Formats {
    title: Format,
    header: Format,
    count: Format,
    euro: Format,
    date: Format,
    mark: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new().set_bold().set_background_color("#DCE6F1"),
            count: Format::new().set_num_format(COUNT_FORMAT),
            euro: Format::new().set_num_format(EURO_FORMAT),
            date: Format::new()
                .set_num_format(DATE_FORMAT)
                .set_align(FormatAlign::Left),
            mark: Format::new().set_align(FormatAlign::Right),
        }
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(text: &str) -> String {
    text.chars()
        .filter(|c| !"[]:*?/\\'".contains(*c))
        .take(31)
        .collect()
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let (m, day) = (u8::try_from(d.month()), u8::try_from(d.day()));
    match (u16::try_from(d.year()), m, day) {
        (Ok(y), Ok(m), Ok(day)) => ExcelDateTime::from_ymd(y, m, day),
        _ => Err(XlsxError::ParameterError(format!("date {d}"))),
    }
}

/// The rows every sheet starts with: title, period, plan version, team.
/// Returns the first free row.
fn sheet_head(
    sheet: &mut Worksheet,
    report: &Report,
    heading: &str,
    f: &Formats,
) -> Result<u32, XlsxError> {
    let q = &report.query;
    sheet.write_string_with_format(0, 0, heading, &f.title)?;
    sheet.write_string(1, 0, "Periode van")?;
    sheet.write_date_with_format(1, 1, excel_date(q.from)?, &f.date)?;
    sheet.write_string(1, 2, "tot en met")?;
    sheet.write_date_with_format(1, 3, excel_date(q.to)?, &f.date)?;
    sheet.write_string(2, 0, "Planversie")?;
    sheet.write_string(2, 1, &report.plan)?;
    sheet.write_string(3, 0, "Team")?;
    sheet.write_string(3, 1, q.team.as_deref().unwrap_or("alle teams"))?;
    if q.public {
        sheet.write_string(
            4,
            0,
            "Publiek rapport: aantallen onder 5 staan als <5, wat ze zou verraden als ·",
        )?;
    }
    Ok(6)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: Cell,
    measure: Measure,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        #[allow(clippy::cast_precision_loss)] // cents of a report stay far below 2^53
        Cell::Value(v) if measure == Measure::Euro => {
            sheet.write_number_with_format(row, col, v as f64 / 100.0, &f.euro)?;
        }
        #[allow(clippy::cast_precision_loss)]
        Cell::Value(v) => {
            sheet.write_number_with_format(row, col, v as f64, &f.count)?;
        }
        Cell::Small => {
            sheet.write_string_with_format(row, col, "<5", &f.mark)?;
        }
        Cell::Hidden => {
            sheet.write_string_with_format(row, col, "·", &f.mark)?;
        }
    }
    Ok(())
}

/// The report as an Excel workbook: per SDG a summary sheet (each action's
/// indicators with their totals), per action a sheet with its indicators
/// by column and one native chart per indicator; every sheet names the
/// period and the plan's version.
pub fn xlsx(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut book = Workbook::new();
    let column_heading = match report.query.by {
        Breakdown::None => "Hele periode".to_owned(),
        by => by.label(Lang::Nl).to_owned(),
    };
    for sdg in &report.sdgs {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&format!("SDG {} {}", sdg.number, sdg.nl)))?;
        let mut row = sheet_head(
            sheet,
            report,
            &format!("SDG {} – {}", sdg.number, sdg.nl),
            &f,
        )?;
        for (c, h) in ["Actie", "Indicator", "Eenheid", "Totaal"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(row, c as u16, *h, &f.header)?;
        }
        row += 1;
        for action in &sdg.actions {
            for ind in &action.indicators {
                sheet.write_string(row, 0, &action.nl)?;
                sheet.write_string(row, 1, &ind.nl)?;
                sheet.write_string(row, 2, ind.measure.unit(Lang::Nl))?;
                write_cell(sheet, row, 3, ind.total, ind.measure, &f)?;
                row += 1;
            }
        }
        sheet.set_column_width(0, 45)?;
        sheet.set_column_width(1, 70)?;
        sheet.set_column_width(2, 12)?;
        sheet.set_column_width(3, 14)?;
    }
    let mut names = std::collections::BTreeSet::new();
    for sdg in &report.sdgs {
        for action in &sdg.actions {
            let sheet = book.add_worksheet();
            let mut name = sheet_name(&format!("{} {}", sdg.number, action.nl));
            // Two actions whose names start alike: number the second.
            let mut n = 2;
            while !names.insert(name.to_lowercase()) {
                let base: String = name.chars().take(27).collect();
                name = format!("{base} ~{n}");
                n += 1;
            }
            sheet.set_name(&name)?;
            action_sheet(sheet, &name, report, action, &column_heading, &f)?;
        }
    }
    book.save_to_buffer()
}

fn action_sheet(
    sheet: &mut Worksheet,
    name: &str,
    report: &Report,
    action: &brug_shared::report::ActionRow,
    column_heading: &str,
    f: &Formats,
) -> Result<(), XlsxError> {
    let mut row = sheet_head(sheet, report, &action.nl, f)?;
    sheet.write_string_with_format(row, 0, "Indicator", &f.header)?;
    sheet.write_string_with_format(row, 1, "Eenheid", &f.header)?;
    sheet.write_string_with_format(row, 2, "Totaal", &f.header)?;
    let columns: Vec<String> = if report.query.by == Breakdown::None {
        vec![column_heading.to_owned()]
    } else {
        report.columns.clone()
    };
    for (c, h) in columns.iter().enumerate() {
        sheet.write_string_with_format(row, 3 + c as u16, h, &f.header)?;
    }
    let header = row;
    row += 1;
    let first = row;
    for ind in &action.indicators {
        sheet.write_string(row, 0, &ind.nl)?;
        sheet.write_string(row, 1, ind.measure.unit(Lang::Nl))?;
        write_cell(sheet, row, 2, ind.total, ind.measure, f)?;
        let cells: Vec<Cell> = if report.query.by == Breakdown::None {
            vec![ind.total]
        } else {
            ind.cells.clone()
        };
        for (c, v) in cells.iter().enumerate() {
            write_cell(sheet, row, 3 + c as u16, *v, ind.measure, f)?;
        }
        row += 1;
    }
    sheet.set_column_width(0, 60)?;
    sheet.set_column_width(1, 12)?;
    sheet.set_freeze_panes(header + 1, 3)?;
    // One chart per indicator, below the table, two side by side.
    let last_col = 3 + columns.len().saturating_sub(1) as u16;
    let chart_top = row + 2;
    for (n, ind) in action.indicators.iter().enumerate() {
        let data_row = first + n as u32;
        let chart = indicator_chart(name, ind, report, header, data_row, last_col);
        let at_row = chart_top + (n as u32 / 2) * 16;
        let at_col = if n % 2 == 0 { 0 } else { 2 };
        sheet.insert_chart(at_row, at_col, &chart)?;
    }
    Ok(())
}

fn indicator_chart(
    sheet: &str,
    ind: &IndicatorRow,
    report: &Report,
    header: u32,
    data_row: u32,
    last_col: u16,
) -> Chart {
    let mut chart = Chart::new(if report.query.by.is_time() {
        ChartType::Line
    } else {
        ChartType::Column
    });
    chart
        .add_series()
        .set_name(ind.nl.as_str())
        .set_categories((sheet, header, 3, header, last_col))
        .set_values((sheet, data_row, 3, data_row, last_col));
    chart.title().set_name(ind.nl.as_str());
    chart.legend().set_hidden();
    chart
        .y_axis()
        .set_name(ind.measure.unit(Lang::Nl))
        .set_num_format(if ind.measure == Measure::Euro {
            EURO_FORMAT
        } else {
            COUNT_FORMAT
        });
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_background_projection_waits_for_quiet_but_not_forever() {
        // Frames arriving: it waits.
        assert!(!may_project(Duration::from_millis(10), Duration::ZERO));
        assert!(!may_project(
            Duration::ZERO,
            MAX_WAIT - Duration::from_millis(1)
        ));
        // Quiet: it works at once.
        assert!(may_project(QUIET, Duration::ZERO));
        // Never quiet: it works once it has waited long enough.
        assert!(may_project(Duration::ZERO, MAX_WAIT));
    }

    #[test]
    fn sheet_names_are_what_excel_accepts() {
        assert_eq!(
            sheet_name("1 Energiearmoede: budgetmeter/Fluvius"),
            "1 Energiearmoede budgetmeterFlu"
        );
        assert!(sheet_name(&"x".repeat(40)).len() <= 31);
    }

    #[test]
    fn csv_money_has_a_decimal_comma() {
        assert_eq!(csv_value(Cell::Value(123456), Measure::Euro), "1234,56");
        assert_eq!(csv_value(Cell::Small, Measure::Count), "<5");
    }
}
