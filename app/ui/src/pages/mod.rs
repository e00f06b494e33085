//! One component per screen: each reads its data from the app's state
//! ([`crate::state::Ui`]), asks the device service to read it again when
//! what it shows may have changed, and turns the screen's callbacks into
//! commands. The markup itself lives in [`crate::components`] and
//! [`crate::forms`].

mod case;
mod cases;
mod form;
mod report;
mod start;
mod team;

pub use case::{AttachmentPage, CasePage, ConflictsPage, ErasePage, HistoryPage, ReviewPage};
pub use cases::{CasesPage, QueuePage};
pub use form::FormPage;
pub use report::{ActivitiesPage, ReportPage};
pub use start::{EnrolPage, LockPage};
pub use team::{AssignPage, CataloguePage, SettingsPage, SyncBarPage, TeamPage};

use dioxus::prelude::*;

use crate::i18n::{Lang, Text, t};

/// Shown while a screen's data is on its way.
fn loading(lang: Lang) -> Element {
    rsx! { p { class: "muted", role: "status", "{t(lang, Text::Loading)}" } }
}

/// Shown when a screen's data could not be read.
fn failed(message: &str) -> Element {
    rsx! { p { class: "flash bad", role: "alert", "{message}" } }
}
