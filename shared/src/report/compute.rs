//! A report: the plan's indicators counted over the projection's facts for
//! one period, one team or all, broken down by quarter, month, worker,
//! postcode or team. Counts and sums only; a public report shows small
//! numbers as "<5" and hides what would reveal them.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::facts::{Fact, FactKind};
use super::plan::{Indicator, Measure, Plan};
use super::series::{SeriesError, unpack};
use crate::model::Lang;

/// Below this, a public report shows "<5".
pub const SMALL_CELL: i64 = 5;

/// How a report's figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Breakdown {
    /// One figure for the whole period.
    #[default]
    None,
    /// Per calendar quarter.
    Quarter,
    /// Per calendar month.
    Month,
    /// Per worker who recorded it (team reports only, never public).
    Worker,
    /// Per postcode of the household.
    Postcode,
    /// Per team.
    Team,
}

impl Breakdown {
    /// Every breakdown, in the order a chooser shows them.
    pub const ALL: &'static [Breakdown] = &[
        Self::None,
        Self::Quarter,
        Self::Month,
        Self::Worker,
        Self::Postcode,
        Self::Team,
    ];

    /// Its code on the command line and in URLs.
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarter => "quarter",
            Self::Month => "month",
            Self::Worker => "worker",
            Self::Postcode => "postcode",
            Self::Team => "team",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|b| b.code() == code)
    }

    /// What a reader sees.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::None, Lang::Nl) => "hele periode",
            (Self::None, Lang::En) => "whole period",
            (Self::Quarter, Lang::Nl) => "per kwartaal",
            (Self::Quarter, Lang::En) => "by quarter",
            (Self::Month, Lang::Nl) => "per maand",
            (Self::Month, Lang::En) => "by month",
            (Self::Worker, Lang::Nl) => "per medewerker",
            (Self::Worker, Lang::En) => "by worker",
            (Self::Postcode, Lang::Nl) => "per postcode",
            (Self::Postcode, Lang::En) => "by postcode",
            (Self::Team, Lang::Nl) => "per team",
            (Self::Team, Lang::En) => "by team",
        }
    }

    /// Whether the columns are periods (charts draw them as a line in time).
    pub fn is_time(self) -> bool {
        matches!(self, Self::Quarter | Self::Month)
    }
}

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// First day counted.
    pub from: NaiveDate,
    /// Last day counted.
    pub to: NaiveDate,
    /// Only this team (`None`: every team).
    pub team: Option<String>,
    /// The breakdown.
    pub by: Breakdown,
    /// Small numbers shown as "<5" and what would reveal them hidden.
    pub public: bool,
}

/// Why a report cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The period ends before it starts.
    #[error("de periode eindigt voor ze begint / the period ends before it starts")]
    Period,
    /// A public report broken down by worker.
    #[error(
        "een publiek rapport wordt niet per medewerker opgesplitst / a public report is not broken down by worker"
    )]
    PublicByWorker,
}

impl Query {
    /// Checks the query makes sense.
    pub fn check(&self) -> Result<(), QueryError> {
        if self.to < self.from {
            return Err(QueryError::Period);
        }
        if self.public && self.by == Breakdown::Worker {
            return Err(QueryError::PublicByWorker);
        }
        Ok(())
    }
}

/// One fact as the projection holds it, with the team and postcode it
/// counts under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The fact.
    pub fact: Fact,
    /// The team whose case or activity it is.
    pub team: String,
    /// The household's postcode ("" for a collective activity).
    pub postcode: String,
}

/// One figure of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cell {
    /// The figure (euro cents for a euro measure).
    Value(i64),
    /// Between 1 and 4, shown as "<5" in a public report.
    Small,
    /// Hidden in a public report because it would reveal a small one.
    Hidden,
}

impl Cell {
    /// The figure, if shown.
    pub fn value(self) -> Option<i64> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The cell as text, Belgian style (`1.234`, `€ 1.234,56`, `<5`, `·`).
    pub fn text(self, measure: Measure) -> String {
        match self {
            Self::Value(v) if measure == Measure::Euro => euro(v),
            Self::Value(v) => thousands(v),
            Self::Small => "<5".into(),
            Self::Hidden => "·".into(),
        }
    }
}

/// `1234567` → `1.234.567`.
pub fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Cents as Belgian money: `123456` → `€ 1.234,56`.
pub fn euro(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!(
        "{sign}€ {},{:02}",
        thousands(i64::try_from(c / 100).unwrap_or(i64::MAX)),
        c % 100
    )
}

/// One indicator's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRow {
    /// Its code.
    pub code: String,
    /// Dutch name.
    pub nl: String,
    /// English name.
    pub en: String,
    /// How it counts.
    pub measure: Measure,
    /// The whole period (households counted once).
    pub total: Cell,
    /// One per column of the report.
    pub cells: Vec<Cell>,
}

impl IndicatorRow {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

/// One action's indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRow {
    /// The action's code.
    pub code: String,
    /// Dutch name.
    pub nl: String,
    /// English name.
    pub en: String,
    /// Its indicators, in the plan's order.
    pub indicators: Vec<IndicatorRow>,
}

impl ActionRow {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

/// One SDG's actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SdgRow {
    /// The UN number.
    pub number: u8,
    /// Dutch name.
    pub nl: String,
    /// English name.
    pub en: String,
    /// Its actions.
    pub actions: Vec<ActionRow>,
}

impl SdgRow {
    /// The name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

/// A report: what each action of the plan reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The plan's title.
    pub title: String,
    /// The plan's version and fingerprint.
    pub plan: String,
    /// What was asked.
    pub query: Query,
    /// The column headings (periods, workers, postcodes or teams).
    pub columns: Vec<String>,
    /// Per SDG, per action, per indicator.
    pub sdgs: Vec<SdgRow>,
}

impl Report {
    /// Every indicator row, with its SDG and action.
    pub fn indicators(&self) -> impl Iterator<Item = (&SdgRow, &ActionRow, &IndicatorRow)> {
        self.sdgs.iter().flat_map(|s| {
            s.actions
                .iter()
                .flat_map(move |a| a.indicators.iter().map(move |i| (s, a, i)))
        })
    }

    /// The indicator with `code`.
    pub fn indicator(&self, code: &str) -> Option<&IndicatorRow> {
        self.indicators()
            .map(|(_, _, i)| i)
            .find(|i| i.code == code)
    }
}

/// The column a period-broken report puts `day` in.
fn period_key(by: Breakdown, day: NaiveDate) -> String {
    match by {
        Breakdown::Quarter => format!("{} K{}", day.year(), (day.month0() / 3) + 1),
        Breakdown::Month => format!("{}-{:02}", day.year(), day.month()),
        _ => String::new(),
    }
}

/// Every period from `from` to `to`, so a chart over time has no gaps.
fn periods(by: Breakdown, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut day = from.with_day(1).unwrap_or(from);
    while day <= to {
        let key = period_key(by, day);
        if out.last() != Some(&key) {
            out.push(key);
        }
        day = day
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
    }
    out
}

/// One indicator's running tally for one column.
#[derive(Default, Clone, Copy)]
struct Tally {
    facts: i64,
    sum: i64,
    households: i64,
}

impl Tally {
    /// The figure, and how many facts stand behind it.
    fn figure(&self, measure: Measure) -> (i64, i64) {
        let v = match measure {
            Measure::Count => self.facts,
            Measure::Households => self.households,
            Measure::Euro | Measure::Participants => self.sum,
        };
        let people = match measure {
            Measure::Households => v,
            Measure::Participants => self.sum,
            _ => self.facts,
        };
        (v, people)
    }
}

fn cell(measure: Measure, tally: Option<&Tally>, public: bool) -> Cell {
    let (v, people) = tally.map(|t| t.figure(measure)).unwrap_or((0, 0));
    if public && people > 0 && people < SMALL_CELL {
        Cell::Small
    } else {
        Cell::Value(v)
    }
}

/// One fact as a [`Counter`] takes it, borrowed from wherever it is read.
#[derive(Debug, Clone, Copy)]
pub struct FactRef<'a> {
    /// Its kind.
    pub kind: FactKind,
    /// Its detail code.
    pub detail: &'a str,
    /// Its outcome code.
    pub outcome: &'a str,
    /// The column it falls in ([`Counter::column_of`]).
    pub column: &'a str,
    /// The household, if any.
    pub case: Option<Uuid>,
    /// Amount in cents.
    pub amount_cents: i64,
    /// Participants.
    pub participants: i64,
}

/// One series of the projection as a [`Counter`] takes it
/// ([`super::series`]): its days still packed.
#[derive(Debug, Clone, Copy)]
pub struct SeriesRef<'a> {
    /// Its kind.
    pub kind: FactKind,
    /// Its detail code.
    pub detail: &'a str,
    /// Its outcome code.
    pub outcome: &'a str,
    /// The household, if any.
    pub case: Option<Uuid>,
    /// Who recorded it.
    pub worker: &'a str,
    /// The household's postcode.
    pub postcode: &'a str,
    /// The team.
    pub team: &'a str,
    /// The days, as [`super::series::Series::pack`] wrote them.
    pub days: &'a [u8],
}

/// The households of the household being counted: per households
/// indicator, whether it counts at all and in which columns.
#[derive(Default)]
struct Household {
    id: Option<u128>,
    /// Per indicator: a bit per column.
    columns: Vec<Vec<u64>>,
    /// Per indicator: counted in the total.
    counted: Vec<bool>,
    /// The indicators marked, to clear after.
    marked: Vec<usize>,
}

/// Counts the plan's indicators, fact by fact or series by series, so a
/// caller can stream them from its store without holding them all;
/// [`compute`] is the same over a slice of rows.
///
/// Households are counted without a set of ids: the facts (or series) of
/// one household must come together, one household after the other (the
/// projection reads them ordered by household; facts of no household may
/// come anywhere).
pub struct Counter<'p> {
    plan: &'p Plan,
    query: Query,
    indicators: Vec<&'p Indicator>,
    /// Which indicators a (kind, detail, outcome) counts for, learnt once
    /// (an index into `hit_lists`; looked up without allocating).
    selects: HashMap<FactKind, HashMap<String, HashMap<String, usize>>>,
    hit_lists: Vec<Vec<usize>>,
    columns: HashMap<String, usize>,
    column_names: Vec<String>,
    totals: Vec<Tally>,
    by_column: Vec<Vec<Tally>>,
    household: Household,
    /// The last household counted: they come in ascending order.
    last_household: Option<u128>,
    first_period: i64,
    from_day: i32,
    to_day: i32,
}

impl std::fmt::Debug for Counter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counter")
            .field("query", &self.query)
            .finish()
    }
}

/// A month as a number: year × 12 + month − 1.
fn month_number(day: NaiveDate) -> i64 {
    i64::from(day.year()) * 12 + i64::from(day.month0())
}

impl<'p> Counter<'p> {
    /// A counter for `query` over `plan`'s indicators.
    pub fn new(plan: &'p Plan, query: &Query) -> Self {
        let indicators: Vec<&Indicator> = plan
            .actions
            .iter()
            .flat_map(|a| a.indicators.iter())
            .collect();
        let first_period = match query.by {
            Breakdown::Month => month_number(query.from),
            Breakdown::Quarter => month_number(query.from) / 3,
            _ => 0,
        };
        let mut me = Self {
            plan,
            query: query.clone(),
            totals: vec![Tally::default(); indicators.len()],
            by_column: vec![Vec::new(); indicators.len()],
            household: Household {
                columns: vec![Vec::new(); indicators.len()],
                counted: vec![false; indicators.len()],
                ..Household::default()
            },
            indicators,
            selects: HashMap::new(),
            hit_lists: Vec::new(),
            columns: HashMap::new(),
            column_names: Vec::new(),
            last_household: None,
            first_period,
            from_day: query.from.num_days_from_ce(),
            to_day: query.to.num_days_from_ce(),
        };
        // Periods come in order and without gaps, even when empty.
        if query.by.is_time() {
            for p in periods(query.by, query.from, query.to) {
                me.column(&p);
            }
        } else if query.by == Breakdown::None {
            me.column("");
        }
        me
    }

    /// The column a fact of `day`, `worker`, `postcode` and `team` falls in.
    pub fn column_of(
        by: Breakdown,
        day: NaiveDate,
        worker: &str,
        postcode: &str,
        team: &str,
    ) -> String {
        match by {
            Breakdown::None => String::new(),
            Breakdown::Quarter | Breakdown::Month => period_key(by, day),
            Breakdown::Worker => worker.to_owned(),
            Breakdown::Postcode => postcode.to_owned(),
            Breakdown::Team => team.to_owned(),
        }
    }

    fn column(&mut self, name: &str) -> usize {
        if let Some(i) = self.columns.get(name) {
            return *i;
        }
        let i = self.column_names.len();
        self.columns.insert(name.to_owned(), i);
        self.column_names.push(name.to_owned());
        for t in &mut self.by_column {
            t.push(Tally::default());
        }
        i
    }

    /// The period column of `day` (periods were made in order, without
    /// gaps, when the counter was made).
    fn period_column(&mut self, day: NaiveDate) -> usize {
        let n = match self.query.by {
            Breakdown::Month => month_number(day),
            _ => month_number(day) / 3,
        };
        match usize::try_from(n - self.first_period) {
            Ok(i) if i < self.column_names.len() => i,
            _ => self.column(&period_key(self.query.by, day)),
        }
    }

    /// Which indicators a fact of this kind, detail and outcome counts for.
    fn hits(&mut self, kind: FactKind, detail: &str, outcome: &str) -> usize {
        let known = self
            .selects
            .get(&kind)
            .and_then(|m| m.get(detail))
            .and_then(|m| m.get(outcome))
            .copied();
        if let Some(id) = known {
            return id;
        }
        let hits: Vec<usize> = self
            .indicators
            .iter()
            .enumerate()
            .filter(|(_, ind)| ind.selects(kind, detail, outcome))
            .map(|(n, _)| n)
            .collect();
        let id = self.hit_lists.len();
        self.hit_lists.push(hits);
        self.selects
            .entry(kind)
            .or_default()
            .entry(detail.to_owned())
            .or_default()
            .insert(outcome.to_owned(), id);
        id
    }

    /// Starts counting `case`, closing the household before.
    fn enter(&mut self, case: Option<Uuid>) {
        let Some(case) = case.map(|c| c.as_u128()) else {
            return;
        };
        if self.household.id != Some(case) {
            debug_assert!(
                self.last_household.is_none_or(|last| last < case),
                "households must come one after the other, in order"
            );
            self.last_household = Some(case);
            self.close_household();
            self.household.id = Some(case);
        }
    }

    /// Counts the household just finished once per indicator and column
    /// it reached.
    fn close_household(&mut self) {
        self.household.id = None;
        let h = &mut self.household;
        for n in h.marked.drain(..) {
            h.counted[n] = false;
            self.totals[n].households += 1;
            for (w, word) in h.columns[n].iter_mut().enumerate() {
                let mut bits = std::mem::take(word);
                while bits != 0 {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(t) = self.by_column[n].get_mut(w * 64 + b) {
                        t.households += 1;
                    }
                }
            }
        }
    }

    /// Adds `facts` facts adding up to `sum` in column `col` for the
    /// indicators of `hits`, of the household being counted (if `counts_household`).
    fn add_at(&mut self, hits: usize, col: usize, counts_household: bool, facts: i64, sum: i64) {
        let Self {
            hit_lists,
            indicators,
            totals,
            by_column,
            household,
            ..
        } = self;
        for &n in &hit_lists[hits] {
            totals[n].facts += facts;
            totals[n].sum += sum;
            let t = &mut by_column[n][col];
            t.facts += facts;
            t.sum += sum;
            if counts_household && indicators[n].measure == Measure::Households {
                if !household.counted[n] {
                    household.counted[n] = true;
                    household.marked.push(n);
                }
                let words = &mut household.columns[n];
                if words.len() <= col / 64 {
                    words.resize(col / 64 + 1, 0);
                }
                words[col / 64] |= 1 << (col % 64);
            }
        }
    }

    /// Counts one fact (already within the query's period and team).
    pub fn add(&mut self, f: FactRef<'_>) {
        let hits = self.hits(f.kind, f.detail, f.outcome);
        if self.hit_lists[hits].is_empty() {
            return;
        }
        self.enter(f.case);
        let col = self.column(f.column);
        self.add_at(
            hits,
            col,
            f.case.is_some(),
            1,
            f.amount_cents + f.participants,
        );
    }

    /// Counts one series of the projection (already of the query's team):
    /// its days within the query's period.
    pub fn add_series(&mut self, s: SeriesRef<'_>) -> Result<(), SeriesError> {
        let hits = self.hits(s.kind, s.detail, s.outcome);
        if self.hit_lists[hits].is_empty() {
            return Ok(());
        }
        self.enter(s.case);
        let fixed = match self.query.by {
            Breakdown::None => Some(0),
            Breakdown::Quarter | Breakdown::Month => None,
            Breakdown::Worker => Some(self.column(s.worker)),
            Breakdown::Postcode => Some(self.column(s.postcode)),
            Breakdown::Team => Some(self.column(s.team)),
        };
        for d in unpack(s.days) {
            let d = d?;
            let day = d.day.num_days_from_ce();
            if day < self.from_day || day > self.to_day {
                continue;
            }
            let col = match fixed {
                Some(c) => c,
                None => self.period_column(d.day),
            };
            self.add_at(hits, col, s.case.is_some(), d.facts, d.sum);
        }
        Ok(())
    }

    /// The report.
    pub fn finish(mut self) -> Report {
        self.close_household();
        let by = self.query.by;
        // Columns other than periods: those that hold something, sorted.
        let mut order: Vec<usize> = (0..self.column_names.len()).collect();
        if !by.is_time() && by != Breakdown::None {
            order.retain(|c| self.by_column.iter().any(|t| t[*c].facts > 0));
            order.sort_by(|a, b| self.column_names[*a].cmp(&self.column_names[*b]));
        }
        let columns: Vec<String> = order
            .iter()
            .map(|c| self.column_names[*c].clone())
            .collect();
        let public = self.query.public;
        let mut rows = Vec::new();
        for (n, ind) in self.indicators.iter().enumerate() {
            let tallies: Vec<&Tally> = order.iter().map(|c| &self.by_column[n][*c]).collect();
            rows.push(row_of(ind, &self.totals[n], &tallies, public));
        }
        let mut rows = rows.into_iter();
        let plan = self.plan;
        // The flat list follows the plan's actions; SDG sections regroup them.
        let mut by_action: Vec<(String, Vec<IndicatorRow>)> = plan
            .actions
            .iter()
            .map(|a| {
                (
                    a.code.clone(),
                    rows.by_ref().take(a.indicators.len()).collect(),
                )
            })
            .collect();
        let sdgs = plan
            .sdgs
            .iter()
            .map(|s| SdgRow {
                number: s.number,
                nl: s.nl.clone(),
                en: s.en.clone(),
                actions: plan
                    .actions
                    .iter()
                    .filter(|a| a.sdg == s.number)
                    .map(|a| ActionRow {
                        code: a.code.clone(),
                        nl: a.nl.clone(),
                        en: a.en.clone(),
                        indicators: by_action
                            .iter_mut()
                            .find(|(code, _)| *code == a.code)
                            .map(|(_, r)| std::mem::take(r))
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        Report {
            title: plan.title.clone(),
            plan: plan.label(),
            query: self.query,
            columns,
            sdgs,
        }
    }
}

/// Counts the plan's indicators over the projection's rows. Rows outside
/// the query's period or team are left out here, so callers may pass more.
pub fn compute(plan: &Plan, query: &Query, rows: &[Row]) -> Report {
    let mut counter = Counter::new(plan, query);
    // Household by household (see Counter).
    let mut order: Vec<&Row> = rows.iter().collect();
    order.sort_by_key(|r| r.fact.case);
    for row in order {
        let f = &row.fact;
        if f.day < query.from
            || f.day > query.to
            || query.team.as_ref().is_some_and(|t| *t != row.team)
        {
            continue;
        }
        let column = Counter::column_of(query.by, f.day, &f.worker, &row.postcode, &row.team);
        counter.add(FactRef {
            kind: f.kind,
            detail: &f.detail,
            outcome: &f.outcome,
            column: &column,
            case: f.case,
            amount_cents: f.amount_cents,
            participants: f.participants,
        });
    }
    counter.finish()
}

fn row_of(ind: &Indicator, total: &Tally, tallies: &[&Tally], public: bool) -> IndicatorRow {
    let mut cells: Vec<Cell> = tallies
        .iter()
        .map(|t| cell(ind.measure, Some(t), public))
        .collect();
    // A small cell beside figures that add up to a shown total would be
    // revealed by subtraction: hide the row's other cells.
    if cells.contains(&Cell::Small) {
        for c in &mut cells {
            if *c != Cell::Small {
                *c = Cell::Hidden;
            }
        }
    }
    IndicatorRow {
        code: ind.code.clone(),
        nl: ind.nl.clone(),
        en: ind.en.clone(),
        measure: ind.measure,
        total: cell(ind.measure, Some(total), public),
        cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belgian_figures() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1.234.567");
        assert_eq!(euro(123456), "€ 1.234,56");
        assert_eq!(euro(5), "€ 0,05");
    }

    fn visit(case: u128, day: NaiveDate, postcode: &str) -> Row {
        Row {
            fact: Fact {
                kind: super::super::FactKind::Visit,
                day,
                detail: "family-visit".into(),
                outcome: "done".into(),
                worker: "ann".into(),
                case: Some(Uuid::from_u128(case)),
                amount_cents: 0,
                participants: 0,
            },
            team: "harelbeke".into(),
            postcode: postcode.into(),
        }
    }

    #[test]
    fn a_public_report_shows_a_small_postcode_as_under_five_and_nothing_that_reveals_it() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
        let mut rows = Vec::new();
        for c in 0..3 {
            rows.push(visit(c, d, "8531"));
        }
        for c in 10..22 {
            rows.push(visit(c, d, "8530"));
        }
        for c in 30..37 {
            rows.push(visit(c, d, "8520"));
        }
        let plan = Plan::builtin();
        let query = |public| Query {
            from: d,
            to: d,
            team: None,
            by: Breakdown::Postcode,
            public,
        };
        let open = compute(&plan, &query(false), &rows);
        let reached = open.indicator("households-reached").expect("indicator");
        assert_eq!(open.columns, vec!["8520", "8530", "8531"]);
        assert_eq!(
            reached.cells,
            vec![Cell::Value(7), Cell::Value(12), Cell::Value(3)]
        );
        assert_eq!(reached.total, Cell::Value(22));

        let public = compute(&plan, &query(true), &rows);
        let reached = public.indicator("households-reached").expect("indicator");
        assert_eq!(reached.cells[2], Cell::Small);
        assert_eq!(reached.cells[2].text(Measure::Households), "<5");
        // The total stays; no other postcode shows a figure, so nothing
        // subtracted from the total gives the 3 away.
        assert_eq!(reached.total, Cell::Value(22));
        assert!(reached.cells.iter().all(|c| c.value().is_none()));
        // A row without a small cell keeps its figures.
        let not_home = public.indicator("visits-not-at-home").expect("indicator");
        assert!(not_home.cells.iter().all(|c| *c == Cell::Value(0)));
        // And a public report by worker is refused.
        let by_worker = Query {
            by: Breakdown::Worker,
            ..query(true)
        };
        assert_eq!(by_worker.check(), Err(QueryError::PublicByWorker));
    }

    #[test]
    fn periods_cover_the_query_without_gaps() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(
            periods(Breakdown::Quarter, d(2024, 11, 15), d(2025, 4, 1)),
            vec!["2024 K4", "2025 K1", "2025 K2"]
        );
        assert_eq!(
            periods(Breakdown::Month, d(2025, 1, 31), d(2025, 3, 1)),
            vec!["2025-01", "2025-02", "2025-03"]
        );
    }
}
