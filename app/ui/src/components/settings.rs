//! Settings: language, lock timeout, and who and where this device is.

use brug_device::device::{DeviceInfo, Lease};
use dioxus::prelude::*;

use crate::i18n::{self, Lang, Text, t};

/// The settings screen.
#[component]
pub fn SettingsScreen(
    lang: Lang,
    info: DeviceInfo,
    lease: Lease,
    lock_minutes: u32,
    on_lang: EventHandler<Lang>,
    on_lock_minutes: EventHandler<u32>,
    on_lock_now: EventHandler<()>,
) -> Element {
    rsx! {
        section { class: "settings",
            h1 { "{t(lang, Text::Settings)}" }
            label { r#for: "set-lang", "{t(lang, Text::Language)}" }
            select { id: "set-lang", onchange: move |e| on_lang.call(if e.value() == "en" { Lang::En } else { Lang::Nl }),
                option { value: "nl", selected: lang == Lang::Nl, "Nederlands" }
                option { value: "en", selected: lang == Lang::En, "English" }
            }
            label { r#for: "set-lock", "{t(lang, Text::LockAfter)}" }
            select { id: "set-lock", onchange: move |e| on_lock_minutes.call(e.value().parse().unwrap_or(5)),
                for m in [1u32, 2, 5, 10, 15, 30] {
                    option { value: "{m}", selected: m == lock_minutes, "{m}" }
                }
            }
            button { r#type: "button", onclick: move |_| on_lock_now.call(()), "{t(lang, Text::LockNow)}" }
            h2 { "{t(lang, Text::DeviceTitle)}" }
            dl {
                dt { "{t(lang, Text::User)}" } dd { "{info.user_name} ({info.user})" }
                dt { "{t(lang, Text::Role)}" } dd { "{i18n::role(lang, &info.role)}" }
                dt { "{t(lang, Text::Team)}" } dd { "{info.team}" }
                dt { "{t(lang, Text::Server)}" } dd { "{info.server}" }
                dt { "{t(lang, Text::Fingerprint)}" } dd { class: "mono", "{info.fingerprint}" }
                dt { "{t(lang, Text::DeviceId)}" } dd { class: "mono", "{info.device_id}" }
                dt { "{t(lang, Text::KeyProtection)}" }
                dd { id: "key-protection",
                    if info.key_protection.is_empty() {
                        "{t(lang, Text::PinOnly)}"
                    } else {
                        "{t(lang, Text::PinAnd)} {info.key_protection}"
                    }
                }
                dt { "{t(lang, Text::Lease)}" } dd { "{lease.since_sync_days} / {lease.days} {t(lang, Text::Days)}" }
                dt { "Brug" } dd { "{env!(\"CARGO_PKG_VERSION\")}" }
            }
        }
    }
}
