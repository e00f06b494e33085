//! The sync status, always visible: online or offline, what waits to be
//! sent, a progress bar while syncing, the last sync, and "sync now".

use dioxus::prelude::*;

use crate::i18n::{Lang, Text, t};

/// The sync status bar.
#[component]
pub fn SyncBar(
    lang: Lang,
    online: bool,
    pending: i64,
    /// Cases done and to do while a sync runs.
    progress: Option<(usize, usize)>,
    /// The last successful sync, already formatted (dd/mm/jjjj uu:mm).
    last_sync: Option<String>,
    /// The last error, in plain words.
    error: Option<String>,
    on_sync: EventHandler<()>,
) -> Element {
    let state = if progress.is_some() {
        t(lang, Text::Syncing)
    } else if online {
        t(lang, Text::Online)
    } else {
        t(lang, Text::Offline)
    };
    let last = last_sync.unwrap_or_else(|| t(lang, Text::Never).to_owned());
    rsx! {
        div { class: "sync-bar", role: "status", "aria-live": "polite",
            span { class: if online { "state online" } else { "state offline" }, "{state}" }
            if pending > 0 {
                span { class: "pending", "{pending} {t(lang, Text::Pending)}" }
            }
            if let Some((done, total)) = progress {
                progress { max: "{total}", value: "{done}", "{done}/{total}" }
            }
            span { class: "last-sync", "{t(lang, Text::LastSync)}: {last}" }
            if let Some(e) = error {
                span { class: "error", role: "alert", "{e}" }
            }
            button { class: "sync-now", disabled: progress.is_some(), onclick: move |_| on_sync.call(()), "{t(lang, Text::SyncNow)}" }
        }
    }
}
