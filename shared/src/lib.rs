//! brug-shared: everything the Brug field app and the sync server agree on.
//!
//! # Layout
//!
//! - [`model`]: the domain types (case, member, visit, meter check, energy
//!   scan, renovation advice, referral, review). No I/O.
//! - [`rules`]: every rule and threshold of DOMAIN.md as pure functions
//!   returning findings (error, warning, flag), and validated value types.
//! - [`casedoc`]: one household case as one automerge document: create,
//!   edit, merge, sync, conflicts, history, changes since approval.
//! - [`store`]: the SQLite document store both sides build on (snapshot +
//!   incremental chunks + heads, compaction, migrations).
//! - [`schema`]: the case schema in one place: every field's path, labels,
//!   input, whether it is required, prose or a collection; blank records.
//! - [`policy`]: who may change what in a case, checked change by change
//!   on the server before anything is stored and on the device before it
//!   writes.
//! - [`protocol`]: sync wire frames, their encoding and their limits.
//! - [`teamdoc`]: a team's referral catalogue and collective activities as
//!   automerge documents synced with every device of the team.
//! - [`report`]: the multi-year plan as data and the reports counted over
//!   the facts records yield.

pub mod casedoc;
pub mod caseload;
pub mod model;
pub mod policy;
pub mod protocol;
pub mod report;
pub mod rules;
pub mod schema;
pub mod store;
pub mod teamdoc;
