//! The server's settings in layers: built-in defaults, then a TOML file
//! (`--config` / `BRUG_CONFIG`), then environment variables, then flags;
//! the later wins. `brug-sync-server config check` shows the result.
//!
//! ```toml
//! [server]
//! data = "/var/lib/brug"
//! listen = "0.0.0.0:8443"
//! public_url = "https://brug.harelbeke.be:8443"
//! # tls_cert = "/etc/brug/cert.pem"
//! # tls_key = "/etc/brug/key.pem"
//! max_clock_skew_hours = 168
//! log_format = "json"
//!
//! [limits]
//! max_connections = 1024
//! max_per_address = 128
//! handshake_secs = 10
//! header_read_secs = 10
//! send_secs = 30
//! request_secs = 30
//! hello_secs = 10
//! idle_secs = 120
//! enrol_attempts = 10
//! bad_token_attempts = 30
//! rate_window_secs = 60
//! rate_limit_loopback = false
//! cached_cases = 128
//!
//! [metrics]
//! token_file = "/etc/brug/metrics-token"
//! loopback = true
//!
//! [reports]
//! plan = "/etc/brug/meerjarenplan.toml"
//!
//! # Only for several servers on one PostgreSQL (docs/operations.md);
//! # without it the server keeps everything in SQLite in the data folder.
//! [database]
//! url = "postgres://brug@db.harelbeke.local/brug"
//! ca = "/etc/brug/database-ca.pem"
//! max_connections = 16
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::{Config, TlsSource};

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("het configuratiebestand {0} is niet leesbaar: {1}")]
    Unreadable(PathBuf, String),
    /// The file is not valid TOML, or names an unknown setting or a value of
    /// the wrong kind (the message says where).
    #[error("fout in het configuratiebestand {0}: {1}")]
    Invalid(PathBuf, String),
    /// A value out of its range, or settings that do not go together.
    #[error("{0}")]
    Value(String),
}

/// The configuration file as written; every setting optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `[server]`.
    #[serde(default)]
    pub server: ServerSection,
    /// `[limits]`.
    #[serde(default)]
    pub limits: LimitsSection,
    /// `[metrics]`.
    #[serde(default)]
    pub metrics: MetricsSection,
    /// `[reports]`.
    #[serde(default)]
    pub reports: ReportsSection,
    /// `[attachments]`: the limits on photos and PDFs (see
    /// `brug_shared::model::AttachmentLimits`; every key optional).
    #[serde(default)]
    pub attachments: Option<brug_shared::model::AttachmentLimits>,
    /// `[retention]`: the terms in days (see `crate::retention`; every key
    /// optional).
    #[serde(default)]
    pub retention: Option<crate::retention::Retention>,
    /// `[database]`: PostgreSQL instead of the SQLite database.
    #[serde(default)]
    pub database: DatabaseSection,
}

/// `[database]`.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DatabaseSection {
    pub url: Option<String>,
    pub ca: Option<PathBuf>,
    pub max_connections: Option<usize>,
}

impl std::fmt::Debug for DatabaseSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("DatabaseSection")
            .field("url", &self.url.as_ref().map(|_| "…"))
            .field("ca", &self.ca)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `[reports]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ReportsSection {
    /// The department's plan file (TOML; default: the plan built in).
    pub plan: Option<PathBuf>,
}

/// `[server]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ServerSection {
    pub data: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_clock_skew_hours: Option<u32>,
    pub log_format: Option<String>,
}

/// `[limits]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct LimitsSection {
    pub max_connections: Option<usize>,
    pub max_per_address: Option<usize>,
    pub handshake_secs: Option<u64>,
    pub header_read_secs: Option<u64>,
    pub send_secs: Option<u64>,
    pub request_secs: Option<u64>,
    pub hello_secs: Option<u64>,
    pub idle_secs: Option<u64>,
    pub enrol_attempts: Option<u32>,
    pub bad_token_attempts: Option<u32>,
    pub rate_window_secs: Option<u64>,
    pub rate_limit_loopback: Option<bool>,
    pub cached_cases: Option<usize>,
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MetricsSection {
    pub token_file: Option<PathBuf>,
    pub loopback: Option<bool>,
}

/// Reads and parses a configuration file.
pub fn load(path: &Path) -> Result<FileConfig, SettingsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SettingsError::Unreadable(path.to_owned(), e.to_string()))?;
    toml::from_str(&text).map_err(|e| SettingsError::Invalid(path.to_owned(), e.to_string()))
}

/// What the command line (flags, or their environment variables) says,
/// over the file.
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_clock_skew_hours: Option<u32>,
    pub max_per_address: Option<usize>,
    pub metrics_token_file: Option<PathBuf>,
    pub plan: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_ca: Option<PathBuf>,
}

/// The settings a server runs with.
#[derive(Debug, Clone)]
pub struct Serving {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Everything else.
    pub config: Config,
    /// Where the metrics token came from, if any (for `config check`).
    pub token_file: Option<PathBuf>,
}

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8443";

fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<T, SettingsError> {
    if v < lo || v > hi {
        Err(SettingsError::Value(format!(
            "{name} = {v} valt buiten {lo}..{hi}"
        )))
    } else {
        Ok(v)
    }
}

/// Defaults, then the file, then the overrides; checked.
pub fn resolve(data: &Path, file: &FileConfig, o: &Overrides) -> Result<Serving, SettingsError> {
    let mut config = Config::new(data);
    let s = &file.server;
    let listen = match o.listen.or(s.listen) {
        Some(l) => l,
        None => DEFAULT_LISTEN
            .parse()
            .map_err(|_| SettingsError::Value("listen".into()))?,
    };
    config.public_url = o.public_url.clone().or_else(|| s.public_url.clone());
    if let Some(url) = &config.public_url
        && !url.starts_with("https://")
    {
        return Err(SettingsError::Value(format!(
            "public_url = {url}: de toestellen spreken de server aan over https://"
        )));
    }
    let cert = o.tls_cert.clone().or_else(|| s.tls_cert.clone());
    let key = o.tls_key.clone().or_else(|| s.tls_key.clone());
    config.tls = match (cert, key) {
        (Some(cert), Some(key)) => TlsSource::Files { cert, key },
        (None, None) => TlsSource::SelfSigned,
        _ => {
            return Err(SettingsError::Value(
                "tls_cert en tls_key gaan samen: geef beide of geen van beide".into(),
            ));
        }
    };
    let skew = in_range(
        "max_clock_skew_hours",
        o.max_clock_skew_hours
            .or(s.max_clock_skew_hours)
            .unwrap_or(168),
        1,
        8760,
    )?;
    config.max_future_ms = i64::from(skew) * 3_600_000;

    let l = &file.limits;
    let d = config.limits;
    config.limits.max_connections = in_range(
        "max_connections",
        l.max_connections.unwrap_or(d.max_connections),
        1,
        1_000_000,
    )?;
    config.limits.max_per_address = in_range(
        "max_per_address",
        o.max_per_address
            .or(l.max_per_address)
            .unwrap_or(d.max_per_address),
        1,
        65_536,
    )?;
    let secs = |name: &str, v: Option<u64>, default: Duration| -> Result<Duration, SettingsError> {
        Ok(Duration::from_secs(in_range(
            name,
            v.unwrap_or(default.as_secs()),
            1,
            3_600,
        )?))
    };
    config.limits.handshake = secs("handshake_secs", l.handshake_secs, d.handshake)?;
    config.limits.header_read = secs("header_read_secs", l.header_read_secs, d.header_read)?;
    config.limits.send = secs("send_secs", l.send_secs, d.send)?;
    config.limits.request = secs("request_secs", l.request_secs, d.request)?;
    config.limits.hello = secs("hello_secs", l.hello_secs, d.hello)?;
    config.limits.idle = Duration::from_secs(in_range(
        "idle_secs",
        l.idle_secs.unwrap_or(d.idle.as_secs()),
        30,
        3_600,
    )?);
    config.limits.rate_window = secs("rate_window_secs", l.rate_window_secs, d.rate_window)?;
    config.limits.enrol_attempts = in_range(
        "enrol_attempts",
        l.enrol_attempts.unwrap_or(d.enrol_attempts),
        1,
        100_000,
    )?;
    config.limits.bad_token_attempts = in_range(
        "bad_token_attempts",
        l.bad_token_attempts.unwrap_or(d.bad_token_attempts),
        1,
        100_000,
    )?;
    config.limits.rate_limit_loopback = l.rate_limit_loopback.unwrap_or(d.rate_limit_loopback);
    config.cached_docs = in_range(
        "cached_cases",
        l.cached_cases.unwrap_or(config.cached_docs),
        1,
        1_000_000,
    )?;

    let token_file = o
        .metrics_token_file
        .clone()
        .or_else(|| file.metrics.token_file.clone());
    if let Some(path) = &token_file {
        let token = std::fs::read_to_string(path).map_err(|e| {
            SettingsError::Value(format!(
                "het metrics-token in {} is niet leesbaar: {e}",
                path.display()
            ))
        })?;
        let token = token.trim().to_owned();
        if token.len() < 16 {
            return Err(SettingsError::Value(format!(
                "het metrics-token in {} is te kort (minstens 16 tekens)",
                path.display()
            )));
        }
        config.metrics_access.token = Some(token);
    }
    config.metrics_access.loopback = file.metrics.loopback.unwrap_or(true);
    if let Some(limits) = &file.attachments {
        config.attachments = limits.clone();
    }
    if let Some(terms) = file.retention {
        config.retention = Some(terms);
    }
    if let Some(path) = o.plan.as_ref().or(file.reports.plan.as_ref()) {
        let plan = crate::reports::load_plan(path)
            .map_err(|e| SettingsError::Value(format!("plan = {}: {e}", path.display())))?;
        config.plan = std::sync::Arc::new(plan);
    }
    let d = &file.database;
    if let Some(url) = o.database_url.clone().or_else(|| d.url.clone()) {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(SettingsError::Value(
                "database.url moet met postgres:// beginnen".into(),
            ));
        }
        config.database = Some(crate::Database {
            url,
            ca: o.database_ca.clone().or_else(|| d.ca.clone()),
            max_connections: in_range(
                "database.max_connections",
                d.max_connections
                    .unwrap_or(crate::DEFAULT_DATABASE_CONNECTIONS),
                1,
                1_000,
            )?,
        });
    }
    Ok(Serving {
        listen,
        config,
        token_file,
    })
}

/// The settings in words, one per line, as `config check` prints them
/// (the metrics token itself is never shown).
pub fn describe(s: &Serving) -> String {
    let c = &s.config;
    let tls = match &c.tls {
        TlsSource::SelfSigned => "zelfondertekend (in <data>/tls/)".to_owned(),
        TlsSource::Files { cert, key } => format!("{} + {}", cert.display(), key.display()),
    };
    let l = &c.limits;
    [
        format!("data = {}", c.data_dir.display()),
        format!("listen = {}", s.listen),
        format!(
            "public_url = {}",
            c.public_url
                .clone()
                .unwrap_or_else(|| format!("https://{}", s.listen))
        ),
        format!("tls = {tls}"),
        format!("max_clock_skew_hours = {}", c.max_future_ms / 3_600_000),
        format!("max_connections = {}", l.max_connections),
        format!("max_per_address = {}", l.max_per_address),
        format!("handshake_secs = {}", l.handshake.as_secs()),
        format!("header_read_secs = {}", l.header_read.as_secs()),
        format!("send_secs = {}", l.send.as_secs()),
        format!("request_secs = {}", l.request.as_secs()),
        format!("hello_secs = {}", l.hello.as_secs()),
        format!("idle_secs = {}", l.idle.as_secs()),
        format!("enrol_attempts = {}", l.enrol_attempts),
        format!("bad_token_attempts = {}", l.bad_token_attempts),
        format!("rate_window_secs = {}", l.rate_window.as_secs()),
        format!("rate_limit_loopback = {}", l.rate_limit_loopback),
        format!("cached_cases = {}", c.cached_docs),
        format!("metrics.loopback = {}", c.metrics_access.loopback),
        format!(
            "metrics.token = {}",
            match &s.token_file {
                Some(p) => format!("uit {} (niet getoond)", p.display()),
                None => "geen".to_owned(),
            }
        ),
        format!("reports.plan = {} ({})", c.plan.label(), c.plan.title),
        match &c.database {
            None => "database = sqlite (in de datamap)".to_owned(),
            Some(d) => format!(
                "database = postgres (URL niet getoond; ca = {}, max_connections = {})",
                d.ca.as_ref()
                    .map_or_else(|| "geen".to_owned(), |p| p.display().to_string()),
                d.max_connections
            ),
        },
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may panic on what they set up
    use super::*;

    #[test]
    fn the_database_comes_from_the_file_or_the_flag_and_its_url_is_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brug.toml");
        let secret = "postgres://brug:geheim@db.example/brug";
        std::fs::write(
            &path,
            format!(
                "[database]\nurl = \"{secret}\"\nca = \"/etc/brug/ca.pem\"\nmax_connections = 8\n"
            ),
        )
        .unwrap();
        let file = load(&path).unwrap();
        let serving = resolve(dir.path(), &file, &Overrides::default()).unwrap();
        let db = serving.config.database.clone().unwrap();
        assert_eq!((db.url.as_str(), db.max_connections), (secret, 8));
        assert_eq!(db.ca.as_deref(), Some(Path::new("/etc/brug/ca.pem")));
        // Neither `config check` nor a debug log shows the password.
        for shown in [
            describe(&serving),
            format!("{:?}", serving.config),
            format!("{file:?}"),
        ] {
            assert!(!shown.contains("geheim"), "{shown}");
        }
        assert!(describe(&serving).contains("database = postgres"));
        // The flag wins; without either, SQLite.
        let flag = Overrides {
            database_url: Some("postgresql://other@db/brug".into()),
            ..Overrides::default()
        };
        let serving = resolve(dir.path(), &file, &flag).unwrap();
        assert_eq!(
            serving.config.database.unwrap().url,
            "postgresql://other@db/brug"
        );
        let plain = resolve(dir.path(), &FileConfig::default(), &Overrides::default()).unwrap();
        assert!(plain.config.database.is_none());
        assert!(describe(&plain).contains("database = sqlite"));
        // Not a PostgreSQL URL, or no connections: refused with the setting.
        for bad in [
            "[database]\nurl = \"mysql://db/brug\"\n",
            "[database]\nurl = \"postgres://db/brug\"\nmax_connections = 0\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            let err =
                resolve(dir.path(), &load(&path).unwrap(), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("database."), "{err}");
        }
        std::fs::write(&path, "[database]\nadres = \"x\"\n").unwrap();
        assert!(load(&path).is_err(), "a misspelt key is an error");
    }

    #[test]
    fn the_attachment_limits_come_from_the_file_with_the_defaults_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brug.toml");
        std::fs::write(
            &path,
            "[attachments]\nmax_case_bytes = 50000000\nmax_device_day_bytes = 100000000\n",
        )
        .unwrap();
        let file = load(&path).unwrap();
        let serving = resolve(dir.path(), &file, &Overrides::default()).unwrap();
        let limits = &serving.config.attachments;
        assert_eq!(limits.max_case_bytes, 50_000_000);
        assert_eq!(limits.max_device_day_bytes, 100_000_000);
        assert_eq!(limits.max_file_bytes, 15 * 1024 * 1024, "the default stays");
        std::fs::write(&path, "[attachments]\nmax_case_byte = 1\n").unwrap();
        assert!(load(&path).is_err(), "a misspelt key is an error");
    }

    #[test]
    fn the_retention_terms_come_from_the_file_with_the_defaults_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brug.toml");
        std::fs::write(
            &path,
            "[retention]\nclosed_case_days = 3650\naudit_days = 0\n",
        )
        .unwrap();
        let file = load(&path).unwrap();
        let serving = resolve(dir.path(), &file, &Overrides::default()).unwrap();
        let terms = serving.config.retention.unwrap();
        assert_eq!(terms.closed_case_days, 3650);
        assert_eq!(terms.audit_days, 0, "0 keeps for ever");
        assert_eq!(
            terms.safety_signal_days,
            crate::retention::Retention::default().safety_signal_days
        );
        std::fs::write(&path, "[retention]\nclosed_cases_days = 1\n").unwrap();
        assert!(load(&path).is_err(), "a misspelt key is an error");
    }

    #[test]
    fn the_cases_kept_in_memory_come_from_the_file_and_zero_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brug.toml");
        std::fs::write(&path, "[limits]\nmax_connections = 10\n").unwrap();
        let serving = resolve(dir.path(), &load(&path).unwrap(), &Overrides::default()).unwrap();
        assert_eq!(serving.config.cached_docs, 128, "the default");
        std::fs::write(&path, "[limits]\ncached_cases = 40\n").unwrap();
        let serving = resolve(dir.path(), &load(&path).unwrap(), &Overrides::default()).unwrap();
        assert_eq!(serving.config.cached_docs, 40);
        assert!(describe(&serving).contains("cached_cases = 40"));
        std::fs::write(&path, "[limits]\ncached_cases = 0\n").unwrap();
        let err = resolve(dir.path(), &load(&path).unwrap(), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("cached_cases"), "{err}");
    }
}
