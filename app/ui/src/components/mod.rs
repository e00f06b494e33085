//! The screens' building blocks: plain data and callbacks in, markup out.
//! None of them touches SQLite or automerge; the pages (`crate::pages`) wire
//! them to `brug-device`.

mod activities;
mod attachments;
mod case_list;
mod case_view;
mod catalogue;
mod conflicts;
mod enrol;
mod erase;
mod history;
mod lock;
mod queue;
mod report;
mod review;
mod settings;
mod sync_bar;
mod team;
mod text_box;

pub use activities::ActivitiesScreen;
pub use attachments::{
    AttachmentItem, AttachmentScreen, AttachmentStrip, attachments_on, data_url,
};
pub use case_list::CaseList;
pub use case_view::{CaseScreen, TimelineItem, timeline};
pub use catalogue::{CatalogueScreen, code_for};
pub use conflicts::{Choice, ConflictScreen};
pub use enrol::{EnrolRequest, EnrolScreen};
pub use erase::{ErasePick, EraseScreen};
pub use history::HistoryScreen;
pub use lock::{LockReason, LockScreen};
pub use queue::QueueScreen;
pub use report::{ReportScreen, ShownReport, default_query};
pub use review::{Decision, ReviewScreen};
pub use settings::SettingsScreen;
pub use sync_bar::SyncBar;
pub use team::{AssignScreen, TeamScreen};
pub use text_box::TextBox;
