//! The Report screen: what each action of the multi-year plan reached, per
//! SDG, with a chart per indicator drawn here as SVG from the figures (no
//! picture from the server), a period chooser and "download as Excel". The
//! figures are counts and sums only; a public report shows "<5".

use brug_device::shared::report::{Breakdown, Cell, IndicatorRow, Measure, Query, Report};
use chrono::NaiveDate;
use dioxus::prelude::*;

use super::TextBox;

use crate::format;
use crate::i18n::{Lang, Text, t};

/// A report as the screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownReport {
    /// The report.
    pub report: Report,
    /// When it was fetched, as a reader sees it.
    pub fetched: String,
    /// Why no fresh one came (then this is the last one, offline).
    pub problem: Option<String>,
}

/// The report screen.
#[component]
pub fn ReportScreen(
    lang: Lang,
    /// The query the chooser shows.
    query: Query,
    /// The report, once one came (fresh or kept).
    shown: Option<ShownReport>,
    /// A fetch runs.
    busy: bool,
    /// Whether the user may choose a non-public report (a supervisor).
    may_choose_public: bool,
    /// Where the last Excel file went, or why it did not.
    saved: Option<Result<String, String>>,
    /// A report could not be fetched and none is kept.
    error: Option<String>,
    on_fetch: EventHandler<Query>,
    on_xlsx: EventHandler<Query>,
) -> Element {
    let mut from = use_signal(|| format::date(query.from));
    let mut to = use_signal(|| format::date(query.to));
    let mut by = use_signal(|| query.by);
    let mut public = use_signal(|| query.public);
    let mut bad = use_signal(|| false);
    let chosen = move || -> Option<Query> {
        let (Some(f), Some(t)) = (format::parse_date(&from()), format::parse_date(&to())) else {
            return None;
        };
        (f <= t).then(|| Query {
            from: f,
            to: t,
            team: None,
            by: by(),
            public: public() || !may_choose_public,
        })
    };
    let mut ask = move |xlsx: bool| match chosen() {
        Some(q) => {
            bad.set(false);
            if xlsx {
                on_xlsx.call(q);
            } else {
                on_fetch.call(q);
            }
        }
        None => bad.set(true),
    };
    rsx! {
        section { class: "report",
            h1 { "{t(lang, Text::ReportTitle)}" }
            p { class: "intro", "{t(lang, Text::ReportIntro)}" }
            form { class: "report-query",
                onsubmit: move |e| {
                    e.prevent_default();
                    ask(false);
                },
                label { "{t(lang, Text::PeriodFrom)}"
                    TextBox { id: "report-from", inputmode: "numeric", text: from(), placeholder: "dd/mm/jjjj",
                        on_input: move |t| from.set(t) }
                }
                label { "{t(lang, Text::PeriodTo)}"
                    TextBox { id: "report-to", inputmode: "numeric", text: to(), placeholder: "dd/mm/jjjj",
                        on_input: move |t| to.set(t) }
                }
                label { "{t(lang, Text::BreakdownLabel)}"
                    select {
                        onchange: move |e| {
                            if let Some(b) = Breakdown::from_code(&e.value()) {
                                by.set(b);
                            }
                        },
                        for b in Breakdown::ALL.iter().copied().filter(|b| may_choose_public || *b != Breakdown::Worker) {
                            option { key: "{b.code()}", value: "{b.code()}", selected: b == by(), "{b.label(lang)}" }
                        }
                    }
                }
                if may_choose_public {
                    label { class: "check",
                        input { r#type: "checkbox", checked: public(),
                            onchange: move |e| public.set(e.checked()) }
                        "{t(lang, Text::PublicReport)}"
                    }
                }
                div { class: "actions",
                    button { class: "primary", r#type: "submit", disabled: busy, "{t(lang, Text::Refresh)}" }
                    button { r#type: "button", disabled: busy, onclick: move |_| ask(true),
                        "{t(lang, Text::DownloadExcel)}" }
                }
                if bad() {
                    p { class: "finding error", role: "alert", "{t(lang, Text::BadPeriod)}" }
                }
            }
            if busy {
                p { class: "muted", role: "status", "{t(lang, Text::Loading)}" }
            }
            match saved {
                Some(Ok(path)) => rsx! { p { class: "flash", role: "status", "{t(lang, Text::ExcelSavedTo)} {path}" } },
                Some(Err(why)) => rsx! { p { class: "flash bad", role: "alert", "{why}" } },
                None => rsx! {},
            }
            if let Some(e) = error {
                p { class: "flash bad", role: "alert", "{e}" }
            }
            if let Some(shown) = shown {
                ReportBody { lang, shown }
            } else if !busy {
                p { class: "muted", "{t(lang, Text::NoReportYet)}" }
            }
        }
    }
}

/// The figures: per SDG, per action, a card per indicator with its total
/// and, when broken down, its chart.
#[component]
fn ReportBody(lang: Lang, shown: ShownReport) -> Element {
    let report = &shown.report;
    let q = &report.query;
    let breakdown = q.by != Breakdown::None;
    rsx! {
        div { class: "report-meta",
            p {
                "{format::date(q.from)} – {format::date(q.to)} · {q.by.label(lang)} · "
                "{t(lang, Text::PlanVersion)} {report.plan} · {t(lang, Text::Fetched)} {shown.fetched}"
            }
            if q.public {
                p { class: "muted", "{t(lang, Text::PublicNote)}" }
            }
            if let Some(problem) = &shown.problem {
                p { class: "flash bad", role: "status", "{t(lang, Text::ReportOffline)} {problem}" }
            }
        }
        for sdg in report.sdgs.iter() {
            section { key: "{sdg.number}", class: "sdg", "data-sdg": "{sdg.number}",
                h2 { span { class: "sdg-badge", "SDG {sdg.number}" } " {sdg.name(lang)}" }
                for action in sdg.actions.iter() {
                    div { key: "{action.code}", class: "action",
                        h3 { "{action.name(lang)}" }
                        ul { class: "indicators",
                            for ind in action.indicators.iter() {
                                li { key: "{ind.code}", class: "indicator", "data-code": "{ind.code}",
                                    p { class: "indicator-name", "{ind.name(lang)}" }
                                    p { class: "indicator-total",
                                        "{ind.total.text(ind.measure)} "
                                        if !matches!(ind.measure, Measure::Count | Measure::Euro) {
                                            span { class: "muted", "{ind.measure.unit(lang)}" }
                                        }
                                    }
                                    if breakdown && !report.columns.is_empty() {
                                        {chart(lang, ind, &report.columns)}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

const CHART_W: f64 = 320.0;
const CHART_H: f64 = 150.0;
const LEFT: f64 = 8.0;
const TOP: f64 = 16.0;
const BARS_H: f64 = 96.0;

/// A bar per column, drawn from the figures; a "<5" or hidden cell gets
/// no bar, only its mark. Screen readers read the same figures.
fn chart(lang: Lang, ind: &IndicatorRow, columns: &[String]) -> Element {
    let values: Vec<f64> = ind
        .cells
        .iter()
        .map(|c| match c {
            Cell::Value(v) if ind.measure == Measure::Euro => *v as f64 / 100.0,
            Cell::Value(v) => *v as f64,
            _ => 0.0,
        })
        .collect();
    let max = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let n = columns.len().max(1) as f64;
    let slot = (CHART_W - 2.0 * LEFT) / n;
    let bar = (slot * 0.7).max(2.0);
    // Every label when they fit, else every k-th.
    let every = ((n * 64.0) / CHART_W).ceil().max(1.0) as usize;
    let described: Vec<String> = columns
        .iter()
        .zip(&ind.cells)
        .map(|(c, v)| format!("{c}: {}", v.text(ind.measure)))
        .collect();
    let label = format!("{}. {}", ind.name(lang), described.join(", "));
    rsx! {
        svg {
            class: "chart",
            role: "img",
            "aria-label": "{label}",
            view_box: "0 0 {CHART_W} {CHART_H}",
            width: "100%",
            line { x1: "{LEFT}", y1: "{TOP + BARS_H}", x2: "{CHART_W - LEFT}", y2: "{TOP + BARS_H}", class: "axis" }
            for (i, (col, cell)) in columns.iter().zip(&ind.cells).enumerate() {
                g { key: "{i}",
                    {
                        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                        let h = values[i] / max * BARS_H;
                        let y = TOP + BARS_H - h;
                        let mid = x + bar / 2.0;
                        let mark = match cell {
                            Cell::Value(_) if columns.len() <= 12 => cell.text(ind.measure),
                            Cell::Value(_) => String::new(),
                            other => other.text(ind.measure),
                        };
                        rsx! {
                            if matches!(cell, Cell::Value(_)) {
                                rect { class: "bar", x: "{x:.1}", y: "{y:.1}", width: "{bar:.1}", height: "{h:.1}" }
                            }
                            if !mark.is_empty() {
                                text { class: "value", x: "{mid:.1}", y: "{(y - 3.0).max(10.0):.1}", text_anchor: "middle", "{mark}" }
                            }
                            if i % every == 0 {
                                text { class: "tick", x: "{mid:.1}", y: "{TOP + BARS_H + 14.0}", text_anchor: "middle", "{short(col)}" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A column heading short enough for under a bar.
fn short(text: &str) -> String {
    let t: String = text.chars().take(9).collect();
    if text.chars().count() > 9 {
        format!("{t}…")
    } else {
        t
    }
}

/// The query a Report screen starts with: this year so far, by quarter.
pub fn default_query(today: NaiveDate, public: bool) -> Query {
    use chrono::Datelike;
    Query {
        from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        to: today,
        team: None,
        by: Breakdown::Quarter,
        public,
    }
}
