//! Preferences kept outside the encrypted store.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Preferences kept outside the encrypted store (the lock screen needs the
/// language before the PIN): language and lock timeout. No personal data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prefs {
    /// Language.
    pub lang: Lang,
    /// Minutes without use before the app locks.
    pub lock_minutes: u32,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            lang: Lang::Nl,
            lock_minutes: 5,
        }
    }
}

const PREFS_FILE: &str = "prefs.json";

/// Reads the preferences in `home` (defaults when missing or unreadable).
pub fn load_prefs(home: &std::path::Path) -> Prefs {
    std::fs::read_to_string(home.join(PREFS_FILE))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

pub fn save_prefs(home: &std::path::Path, prefs: &Prefs) {
    let _ = std::fs::create_dir_all(home);
    if let Ok(s) = serde_json::to_string_pretty(prefs) {
        let _ = std::fs::write(home.join(PREFS_FILE), s);
    }
}
