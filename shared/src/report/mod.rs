//! Reporting on the multi-year plan: the plan as data ([`plan`]), the
//! facts the records yield ([`facts`]) and the report counted over them
//! ([`compute`]). No personal data leaves here: facts carry codes and
//! numbers, reports carry counts and sums.

pub mod compute;
pub mod facts;
pub mod plan;
pub mod series;

pub use compute::{
    ActionRow, Breakdown, Cell, Counter, FactRef, IndicatorRow, Query, QueryError, Report, Row,
    SdgRow, SeriesRef, compute,
};
pub use facts::{Fact, FactKind, activity_facts, case_facts};
pub use plan::{Measure, Plan, PlanError};
pub use series::{Series, SeriesError};
