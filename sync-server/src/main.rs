//! `brug-sync-server`: serve, seed the demo, manage users, devices and case
//! access. Exit codes: 0 done, 1 refused (the message says why), 2 usage.

/// Writes a line to standard output. A reader that went away (`| head`)
/// ends the output quietly instead of a panic ("failed printing to
/// stdout").
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use brug_shared::casedoc::EraseTarget;
use brug_sync_server::auth::Role;
use brug_sync_server::db::{self, Db};
use brug_sync_server::storage::postgres::PgDb;
use brug_sync_server::storage::{Assignment, PeopleStore, ServerStore};
use brug_sync_server::{
    TlsSource, admin, demo, enrolment, erase, import, reports, settings, subject,
};
use clap::{Parser, Subcommand};
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "brug-sync-server",
    version,
    about = "Brug sync server: merges case documents, enrols devices, decides who sees which case."
)]
struct Cli {
    /// Data directory (database, certificate) [default: ./brug-data, or
    /// `data` in the configuration file].
    #[arg(long, global = true, env = "BRUG_DATA")]
    data: Option<PathBuf>,
    /// A configuration file (TOML: [server], [limits], [metrics]; see
    /// docs/operations.md); environment variables and flags override it.
    #[arg(long, global = true, env = "BRUG_CONFIG")]
    config: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    /// How the log on standard error is written: lines for people (text)
    /// or one JSON object per line for a log collector (json).
    #[arg(long, global = true, env = "BRUG_LOG_FORMAT", value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// Keep cases, people and the feed in this PostgreSQL database
    /// (postgres://user@host:port/db), shared with other servers, instead
    /// of SQLite in the data folder: for `serve` and the user add/list,
    /// device enrol/revoke, case and audit commands. In BRUG_DATABASE_URL a password stays out
    /// of the shell history.
    #[arg(long, global = true, env = "BRUG_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// The CA certificate (PEM) the database's TLS certificate is checked
    /// against; without it a database offering TLS is refused.
    #[arg(long, global = true, env = "BRUG_DATABASE_CA")]
    database_ca: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTPS (self-signed certificate made on first start unless one is given).
    Serve(ServeArgs),
    /// The configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Seed demo team, users and cases (idempotent), print an enrolment QR code per demo user, then serve.
    Demo {
        /// How many of the demo's households to seed (0 to 40) [default: 40].
        #[arg(long, default_value_t = demo::HOUSEHOLDS, value_parser = households)]
        households: usize,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Users.
    #[command(subcommand)]
    User(UserCmd),
    /// Devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Case access.
    #[command(subcommand)]
    Case(CaseCmd),
    /// After restoring the server from a backup: let devices bring back
    /// changes of other devices the server lost, for a limited time.
    #[command(subcommand)]
    Recovery(RecoveryCmd),
    /// Back up the database, certificate and key into a new folder, also
    /// while the server runs (a consistent copy).
    Backup {
        /// The folder to write (new or empty).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into the data folder (new or empty; the server must
    /// not be running on it). Afterwards: `recovery open` lets devices bring
    /// back what the server lost since the backup.
    Restore {
        /// The backup folder.
        #[arg(long)]
        from: PathBuf,
    },
    /// Bring an existing caseload in from a CSV or XLSX sheet, one row per
    /// household member (columns: dossier, gezin, straat, nummer, bus,
    /// postcode, gemeente, telefoon, woonsituatie, voornaam, familienaam,
    /// geboortedatum, rijksregisternummer, rol, referentiewerker). Checks
    /// every row and changes nothing unless --apply; importing the same
    /// sheet again makes nothing new.
    Import(ImportArgs),
    /// What each action of the multi-year plan reached, per SDG: counts
    /// and sums only, from the report projection (brought up to date
    /// first). Printed as text; also as Excel with charts and as CSV.
    Report(ReportArgs),
    /// The multi-year plan reports count.
    #[command(subcommand)]
    Plan(PlanCmd),
    /// The server's certificate: which one is served and which one is
    /// next; stage the next one (devices learn it at their next sync) and
    /// switch to it, without enrolling any device again.
    #[command(subcommand)]
    Cert(CertCmd),
    /// GDPR erasure (docs/gdpr.md): erase members, records or fields of a
    /// case (a new generation without them and without the old history;
    /// devices replace their copy at their next sync, keeping their own
    /// unsynced work), or the whole case when nothing more is named. Asked
    /// by a supervisor of the case's team, with a reason; audited without
    /// the erased values.
    Erase(EraseArgs),
    /// A person's own data (GDPR art. 15 and 20): everything Brug holds
    /// about one household member across cases, with who changed it and
    /// when and which organisations received it on which consent, as a
    /// Dutch HTML page and JSON in a new folder. Other members' data is
    /// left out. Audited by case and member ids.
    SubjectExport(SubjectArgs),
    /// The last entries of the audit log.
    Audit {
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Copy a data folder's database into an empty PostgreSQL database
    /// (every table: users, devices' token hashes, cases, feed, access,
    /// sync states, audit, codes, quarantine, reports, photos, erasures) and
    /// check the copy: the same rows in every table and every case's heads.
    /// Changes nothing in the data folder. Then `serve --database URL`
    /// (docs/operations.md says what still needs SQLite).
    MigrateToPostgres {
        /// The data folder to copy.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database (postgres://user@host:port/db); in
        /// BRUG_DATABASE_URL a password stays out of the shell history.
        #[arg(long, env = "BRUG_DATABASE_URL", hide_env_values = true)]
        to: String,
        /// The CA certificate (PEM) the database's TLS certificate is
        /// checked against; without it a database offering TLS is refused.
        #[arg(long, env = "BRUG_DATABASE_CA")]
        database_ca: Option<PathBuf>,
    },
}

/// What `import` reads, for whom.
#[derive(clap::Args)]
struct ImportArgs {
    /// The team the cases belong to.
    #[arg(long)]
    team: String,
    /// The user every case is assigned to (a member of the team).
    #[arg(long = "assign-to")]
    assign_to: String,
    /// Make the cases (without it: a dry run).
    #[arg(long)]
    apply: bool,
    /// The sheet (.csv or .xlsx).
    file: PathBuf,
}

/// Whose data `subject-export` gathers, into which folder.
#[derive(clap::Args)]
struct SubjectArgs {
    /// The person's national register number: every case they are a
    /// member of.
    #[arg(long, conflicts_with_all = ["case", "member"])]
    national_number: Option<String>,
    /// Or one case ...
    #[arg(long, requires = "member")]
    case: Option<Uuid>,
    /// ... and the member in it.
    #[arg(long, requires = "case")]
    member: Option<Uuid>,
    /// The folder to write (made if missing).
    #[arg(long)]
    out: PathBuf,
    /// Who asks (for the audit log).
    #[arg(long, default_value = "admin")]
    by: String,
}

/// What `erase` erases, and who asks why.
#[derive(clap::Args)]
struct EraseArgs {
    /// The case id.
    #[arg(long)]
    case: Uuid,
    /// A household member to erase (repeatable).
    #[arg(long)]
    member: Vec<Uuid>,
    /// A record of any kind to erase, by its id (repeatable).
    #[arg(long)]
    record: Vec<Uuid>,
    /// A field to erase, by its path with `/` between keys
    /// (members/<id>/national_number; repeatable).
    #[arg(long)]
    field: Vec<String>,
    /// Erase the whole case (required when no member, record or field
    /// is named: nothing is erased by accident).
    #[arg(long)]
    whole_case: bool,
    /// Why (required; kept in the audit log).
    #[arg(long)]
    reason: String,
    /// The supervisor asking (a user id).
    #[arg(long)]
    by: String,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    from: chrono::NaiveDate,
    /// Last day (YYYY-MM-DD).
    #[arg(long)]
    to: chrono::NaiveDate,
    /// Only this team [default: every team].
    #[arg(long)]
    team: Option<String>,
    /// Break the figures down: none, quarter, month, worker, postcode or team.
    #[arg(long, default_value = "quarter", value_parser = parse_breakdown)]
    by: brug_shared::report::Breakdown,
    /// Also write the report as an Excel workbook with a chart per indicator.
    #[arg(long)]
    xlsx: Option<PathBuf>,
    /// Also write the report as CSV (rapport.csv) into this folder.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// For publication: counts below 5 as "<5", and what would reveal them hidden.
    #[arg(long)]
    public: bool,
    /// The plan file to count [default: the configuration's, else the plan built in].
    #[arg(long)]
    plan: Option<PathBuf>,
}

#[derive(Subcommand)]
enum CertCmd {
    /// The fingerprints: served now, and next (if staged).
    Show,
    /// Stage the next certificate: a new self-signed one, or the given
    /// PEM files. Every device trusts it from its next sync on.
    Next {
        /// The next certificate chain (PEM) [default: make a self-signed one].
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// Its private key (PEM).
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
    },
    /// Switch a self-signed server to the staged certificate (the old pair
    /// is kept as previous-*.pem); it is served from the next start. Do this
    /// once every device has synced since `cert next` (see `device list`).
    Rotate,
}

#[derive(Subcommand)]
enum PlanCmd {
    /// Checks a plan file and prints its SDGs, actions and indicators
    /// (exit code 1 with the reason when it does not hold together).
    Check {
        /// The plan file (TOML) [default: the plan built in].
        file: Option<PathBuf>,
    },
    /// Prints the plan built in (a start for the department's own file).
    Show,
}

fn parse_breakdown(code: &str) -> Result<brug_shared::report::Breakdown, String> {
    brug_shared::report::Breakdown::from_code(code)
        .ok_or_else(|| "none, quarter, month, worker, postcode of/or team".to_owned())
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Reads the configuration file, the environment and the defaults,
    /// checks every value, and prints the settings the server would run
    /// with (exit code 1 with the reason when something is wrong).
    Check,
}

/// A number of demo households: 0 to [`demo::HOUSEHOLDS`].
fn households(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n <= demo::HOUSEHOLDS => Ok(n),
        _ => Err(format!("0 tot {0} / 0 to {0}", demo::HOUSEHOLDS)),
    }
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Certificate chain (PEM); with --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM); with --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The URL devices reach this server at (default https://<listen>).
    #[arg(long)]
    public_url: Option<String>,
    /// How far ahead of this server's clock a change may be dated before it
    /// is refused (devices with a wrong clock), in hours [default: 168].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=8760))]
    max_clock_skew_hours: Option<u32>,
    /// A file holding the token with which `/metrics` may be read from
    /// another machine (`Authorization: Bearer TOKEN`); from this machine
    /// it may always be read. Without it, only from this machine.
    #[arg(long)]
    metrics_token_file: Option<PathBuf>,
    /// Most connections open at once from one address (raise it when many
    /// tablets reach the server through one office address) [default: 128].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    max_per_address: Option<u32>,
    /// The department's plan file the reports count (TOML; see
    /// `plan check`) [default: the plan built in].
    #[arg(long)]
    plan: Option<PathBuf>,
}

impl ServeArgs {
    fn overrides(&self, ctx: &Ctx) -> settings::Overrides {
        settings::Overrides {
            listen: self.listen,
            public_url: self.public_url.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            max_clock_skew_hours: self.max_clock_skew_hours,
            max_per_address: self.max_per_address.map(|n| n as usize),
            metrics_token_file: self.metrics_token_file.clone(),
            plan: self.plan.clone(),
            database_url: ctx.database.clone(),
            database_ca: ctx.database_ca.clone(),
        }
    }
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user.
    Add {
        /// Full name; the user id is made from it ("Ann Peeters" → ann.peeters).
        #[arg(long)]
        name: String,
        /// bridge-worker, housing-adviser, supervisor, admin or policy (every team's report figures, no cases).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Team (made if new).
        #[arg(long)]
        team: String,
    },
    /// List users.
    List,
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Make a one-time enrolment code (valid 15 minutes) for a user.
    Enrol {
        /// The user id.
        #[arg(long)]
        user: String,
        /// Also write the QR code as a PNG.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// List devices.
    List {
        /// Only this user's devices.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a device: its token is refused from now on and it wipes itself.
    Revoke {
        /// The device id.
        device: String,
    },
    /// Make a one-time unlock code (valid a day) for a device locked after
    /// too many wrong PINs; the worker types it with a new PIN.
    UnlockCode {
        /// The device id.
        device: String,
    },
}

#[derive(Subcommand)]
enum RecoveryCmd {
    /// Open a recovery window: until it ends, a device may relay changes made
    /// on a colleague's device (that device's own user, with access to the
    /// case); each is audited as relayed.
    Open {
        /// How long, in hours (1 to 168).
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Why (the restore it follows).
        #[arg(long)]
        reason: String,
        /// The administrator opening it (a user id with the admin role).
        #[arg(long)]
        by: String,
    },
    /// Close every open recovery window now.
    Close,
}

#[derive(Subcommand)]
enum CaseCmd {
    /// Give a user access to a case.
    Assign {
        /// The case id.
        case: Uuid,
        /// The user id.
        #[arg(long)]
        user: String,
    },
    /// Take a case away from a user.
    Unassign {
        /// The case id.
        case: Uuid,
        /// The user id.
        #[arg(long)]
        user: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_code(s)
        .ok_or_else(|| "kies bridge-worker, housing-adviser, supervisor, admin of policy".into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The file first: it may say where the data is and how to log.
    let file = match cli.config.as_deref().map(settings::load).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("Fout / error: {e}");
            return ExitCode::from(1);
        }
    };
    let log_format = cli
        .log_format
        .clone()
        .or_else(|| file.server.log_format.clone())
        .unwrap_or_else(|| "text".into());
    if log_format != "text" && log_format != "json" {
        eprintln!("Fout / error: log_format = {log_format}: kies text of json");
        return ExitCode::from(1);
    }
    let log = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BRUG_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    if log_format == "json" {
        log.json().init();
    } else {
        log.init();
    }
    let data = cli
        .data
        .clone()
        .or_else(|| file.server.data.clone())
        .unwrap_or_else(|| PathBuf::from("./brug-data"));
    let ctx = Ctx {
        data,
        file,
        log_format,
        database: cli.database.clone(),
        database_ca: cli.database_ca.clone(),
    };
    match execute(cli, &ctx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Fout / error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// The commands that work on the database, run on PostgreSQL: users,
/// devices, (un)assigning cases, recovery windows, reports, erasure,
/// import, a person's own data and the audit log; `backup` and `restore`
/// (the SQLite folder) refuse and point to `pg_dump`.
fn on_postgres(pg: &PgDb, ctx: &Ctx, json: bool, command: Command) -> Result<()> {
    match command {
        Command::User(UserCmd::Add { name, role, team }) => {
            let user = pg.add_user(&name, role, &team)?;
            pg.audit(
                Some("admin"),
                None,
                "user-add",
                &[],
                &format!(
                    "user {} ({}) added to team {} by the administrator",
                    user.id,
                    role.code(),
                    user.team
                ),
            )?;
            print_user_added(json, &user)
        }
        Command::User(UserCmd::List) => print_users(json, pg.users()?),
        Command::Device(DeviceCmd::Enrol { user, png }) => {
            let made =
                enrolment::new_enrolment_on(pg, &ctx.data, &TlsSource::SelfSigned, &user, None)?;
            print_enrolment(json, &user, made, png)
        }
        Command::Device(DeviceCmd::Revoke { device }) => {
            let user = pg
                .revoke_device(&device)?
                .with_context(|| format!("toestel {device} bestaat niet (zie: device list)"))?;
            pg.push_admin_event(&db::AdminEvent::Revoke {
                device: device.clone(),
            })?;
            pg.audit(
                Some("admin"),
                None,
                "revoke",
                &[],
                &format!("device {device} of {user} revoked by the administrator"),
            )?;
            print_revoked(json, &device)
        }
        Command::Case(cmd) => {
            let (case, user, assign) = match cmd {
                CaseCmd::Assign { case, user } => (case, user, true),
                CaseCmd::Unassign { case, user } => (case, user, false),
            };
            let changed = pg.set_assignment(&Assignment {
                case,
                user: &user,
                assign,
                note: &admin::Actor::Admin.note(),
            })?;
            print_assignment(json, case, &user, assign, changed)
        }
        Command::Audit { limit } => print_audit(json, pg.audit_tail(limit)?),
        Command::Device(DeviceCmd::UnlockCode { device }) => unlock_code(pg, json, &device),
        Command::Recovery(cmd) => recovery(pg, json, cmd),
        Command::Report(args) => report(pg, &ctx.file, json, args),
        Command::Erase(args) => erase_command(pg, json, args),
        Command::Import(args) => import_command(pg, json, args),
        Command::SubjectExport(args) => subject_command(pg, json, args),
        Command::Device(DeviceCmd::List { user }) => {
            print_devices(json, pg.devices(user.as_deref())?)
        }
        Command::Backup { .. } | Command::Restore { .. } => anyhow::bail!(
            "backup en restore zijn voor de SQLite-datamap; maak een back-up van PostgreSQL met zijn eigen gereedschap (pg_dump, zie docs/operations.md) / back PostgreSQL up with pg_dump"
        ),
        // `execute` runs the rest (serve, config, demo, migrate-to-postgres,
        // plan, cert) itself, without coming here.
        _ => anyhow::bail!(
            "dit commando loopt niet via --database / this command does not run through --database"
        ),
    }
}

/// `device unlock-code`, on either backend.
fn unlock_code(store: &dyn ServerStore, json: bool, device: &str) -> Result<()> {
    let code = admin::unlock_code(store, device, admin::Actor::Admin)?.with_context(|| {
        format!(
            "toestel {device} bestaat niet, is ingetrokken of werd ingeschreven voor ontgrendelcodes bestonden (zie: device list) / no such device, revoked, or enrolled before unlock codes"
        )
    })?;
    if json {
        print_json(&serde_json::json!({ "device": device, "code": code }))
    } else {
        println!(
            "Ontgrendelcode voor toestel {device}, één keer bruikbaar, 24 uur geldig:\n{code}"
        );
        Ok(())
    }
}

/// `recovery open|close`, on either backend.
fn recovery(store: &dyn ServerStore, json: bool, cmd: RecoveryCmd) -> Result<()> {
    match cmd {
        RecoveryCmd::Open { hours, reason, by } => {
            let admin = store
                .user(&by)?
                .with_context(|| format!("gebruiker '{by}' bestaat niet (zie: user list)"))?;
            if admin.role != Role::Admin {
                anyhow::bail!(
                    "{by} is geen beheerder; alleen een beheerder opent een herstelvenster / {by} is not an administrator"
                );
            }
            let until = store.open_recovery(hours, &admin.id, &reason)?;
            let until_text = chrono::DateTime::from_timestamp_millis(until)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            if json {
                print_json(&serde_json::json!({ "until": until, "by": admin.id }))
            } else {
                println!(
                    "Herstelvenster open tot {until_text} / recovery window open until {until_text}."
                );
                Ok(())
            }
        }
        RecoveryCmd::Close => {
            let closed = store.close_recovery()?;
            if json {
                print_json(&serde_json::json!({ "closed": closed }))
            } else {
                println!("{closed} herstelvenster(s) gesloten / recovery window(s) closed.");
                Ok(())
            }
        }
    }
}

fn print_user_added(json: bool, user: &db::User) -> Result<()> {
    if json {
        print_json(user)
    } else {
        println!(
            "Gebruiker {} toegevoegd ({}, team {}).",
            user.id,
            user.role.label(brug_shared::model::Lang::Nl),
            user.team
        );
        Ok(())
    }
}

fn print_users(json: bool, users: Vec<db::User>) -> Result<()> {
    if json {
        print_json(&users)
    } else {
        for u in users {
            println!(
                "{:<28} {:<24} {:<16} {}",
                u.id,
                u.name,
                u.role.code(),
                u.team
            );
        }
        Ok(())
    }
}

fn print_enrolment(
    json: bool,
    user: &str,
    (url, expires): (brug_shared::protocol::enrol::EnrolUrl, i64),
    png: Option<PathBuf>,
) -> Result<()> {
    let text = url.to_url();
    if let Some(path) = &png {
        enrolment::png(&text, path)?;
    }
    if json {
        print_json(
            &serde_json::json!({ "user": user, "url": text, "expires_at": expires, "png": png }),
        )
    } else {
        println!(
            "Inschrijvingscode voor {user}, 15 minuten geldig:\n{text}\n{}",
            enrolment::terminal(&text)?
        );
        if let Some(path) = png {
            println!("QR-code als afbeelding: {}", path.display());
        }
        Ok(())
    }
}

fn print_revoked(json: bool, device: &str) -> Result<()> {
    if json {
        print_json(&serde_json::json!({ "device": device, "revoked": true }))
    } else {
        println!("Toestel {device} ingetrokken.");
        Ok(())
    }
}

fn print_assignment(json: bool, case: Uuid, user: &str, assign: bool, changed: bool) -> Result<()> {
    if json {
        print_json(
            &serde_json::json!({ "case": case, "user": user, "assigned": assign, "changed": changed }),
        )
    } else {
        let verb = if assign {
            "toegewezen aan"
        } else {
            "weggenomen bij"
        };
        println!(
            "Dossier {case} {verb} {user}{}.",
            if changed { "" } else { " (was al zo)" }
        );
        Ok(())
    }
}

fn print_audit(json: bool, entries: Vec<db::AuditEntry>) -> Result<()> {
    if json {
        print_json(&entries)
    } else {
        for e in entries {
            let at = chrono::DateTime::from_timestamp_millis(e.at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            println!(
                "{at} {:<14} user={} device={} cases={} {}",
                e.action,
                e.user.unwrap_or_default(),
                e.device.unwrap_or_default(),
                e.cases,
                e.detail
            );
        }
        Ok(())
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// What every command knows: the data folder, the file's settings, the log
/// format.
struct Ctx {
    data: PathBuf,
    file: settings::FileConfig,
    log_format: String,
    database: Option<String>,
    database_ca: Option<PathBuf>,
}

impl Ctx {
    /// The PostgreSQL database the flags or the file name, connected (and
    /// its schema brought up to date); `None`: the data folder's SQLite.
    fn postgres(&self) -> Result<Option<PgDb>> {
        let Some(url) = self
            .database
            .clone()
            .or_else(|| self.file.database.url.clone())
        else {
            return Ok(None);
        };
        let ca = self
            .database_ca
            .clone()
            .or_else(|| self.file.database.ca.clone());
        Ok(Some(PgDb::connect_with_ca(&url, 2, ca.as_deref())?))
    }
}

fn execute(cli: Cli, ctx: &Ctx) -> Result<()> {
    let data = ctx.data.clone();
    if !matches!(
        cli.command,
        Command::Serve(_)
            | Command::Config(_)
            | Command::Demo { .. }
            | Command::MigrateToPostgres { .. }
            | Command::Plan(_)
            | Command::Cert(_)
    ) && let Some(pg) = ctx.postgres()?
    {
        return on_postgres(&pg, ctx, cli.json, cli.command);
    }
    match cli.command {
        Command::Serve(args) => serve(ctx, &args),
        Command::Config(ConfigCmd::Check) => {
            let serving = settings::resolve(&data, &ctx.file, &settings::Overrides::default())?;
            // A configured certificate must read.
            if let TlsSource::Files { .. } = &serving.config.tls {
                brug_sync_server::tls::current_fingerprint(&data, &serving.config.tls)?;
            }
            if cli.json {
                print_json(
                    &serde_json::json!({ "ok": true, "settings": settings::describe(&serving) }),
                )
            } else {
                println!("{}", settings::describe(&serving));
                println!("log_format = {}", ctx.log_format);
                println!("In orde.");
                Ok(())
            }
        }
        Command::Demo {
            households,
            serve: args,
        } => {
            if ctx.database.is_some() || ctx.file.database.url.is_some() {
                anyhow::bail!(
                    "de demo draait op SQLite in de datamap: --database (of BRUG_DATABASE_URL) hoort bij serve"
                );
            }
            let db = Db::open(&data)?;
            let users = demo::seed_as_of(
                &mut db.lock(),
                chrono::Local::now().date_naive(),
                households,
            )?;
            // The codes must carry the URL and certificate this run will use.
            let serving = settings::resolve(&data, &ctx.file, &args.overrides(ctx))?;
            let public = serving
                .config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("https://{}", serving.listen));
            std::fs::write(data.join(brug_sync_server::PUBLIC_URL_FILE), &public)?;
            let host = url::Url::parse(&public)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned));
            brug_sync_server::tls::ensure_files(&data, &serving.config.tls, host.as_slice())?;
            let mut codes = Vec::new();
            for user in users.iter().filter(|u| u.role != Role::Admin) {
                let (url, _) =
                    enrolment::new_enrolment(&db.lock(), &data, &serving.config.tls, &user.id)?;
                let png = data.join(format!("enrol-{}.png", user.id));
                enrolment::png(&url.to_url(), &png)?;
                codes.push(serde_json::json!({ "user": user.id, "role": user.role, "url": url.to_url(), "png": png }));
                if !cli.json {
                    println!(
                        "\n{} ({}) — inschrijvingscode, 15 minuten geldig:\n{}",
                        user.name,
                        user.role.label(brug_shared::model::Lang::Nl),
                        url.to_url()
                    );
                    println!("{}", enrolment::terminal(&url.to_url())?);
                    println!("QR-code als afbeelding: {}", png.display());
                }
            }
            if cli.json {
                print_json(&codes)?;
            }
            drop(db);
            serve(ctx, &args)
        }
        Command::User(cmd) => {
            let db = Db::open(&data)?;
            let conn = db.lock();
            match cmd {
                UserCmd::Add { name, role, team } => {
                    let user = admin::add_user(&conn, &name, role, &team, admin::Actor::Admin)?;
                    print_user_added(cli.json, &user)
                }
                UserCmd::List => print_users(cli.json, db::users(&conn)?),
            }
        }
        Command::Device(cmd) => device(&data, cli.json, cmd),
        Command::Case(cmd) => {
            let db = Db::open(&data)?;
            let conn = db.lock();
            let (case, user, assign) = match cmd {
                CaseCmd::Assign { case, user } => (case, user, true),
                CaseCmd::Unassign { case, user } => (case, user, false),
            };
            let changed = admin::set_assignment(&conn, case, &user, assign, admin::Actor::Admin)?;
            print_assignment(cli.json, case, &user, assign, changed)
        }
        Command::Erase(args) => erase_command(&Db::open(&data)?, cli.json, args),
        Command::SubjectExport(args) => subject_command(&Db::open(&data)?, cli.json, args),
        Command::Recovery(cmd) => recovery(&Db::open(&data)?, cli.json, cmd),
        Command::Backup { out } => {
            anyhow::ensure!(
                data.join(brug_sync_server::backup::DB_FILE).is_file(),
                "geen Brug-gegevens in {} / no Brug data in that folder",
                data.display()
            );
            let db = Db::open(&data)?;
            let bytes = brug_sync_server::backup::backup(&db.lock(), &data, &out)?;
            if cli.json {
                print_json(&serde_json::json!({ "out": out, "database_bytes": bytes }))
            } else {
                println!(
                    "Back-up gemaakt in {} ({bytes} bytes databank) / backup written.",
                    out.display()
                );
                Ok(())
            }
        }
        Command::Restore { from } => {
            brug_sync_server::backup::restore(&from, &data)?;
            if cli.json {
                print_json(&serde_json::json!({ "from": from, "data": data }))
            } else {
                println!(
                    "Hersteld in {} / restored. Start de server; open daarna een herstelvenster (recovery open) zodat toestellen verloren werk terugbrengen.",
                    data.display()
                );
                Ok(())
            }
        }
        Command::Import(args) => import_command(&Db::open(&data)?, cli.json, args),
        Command::Report(args) => report(&Db::open(&data)?, &ctx.file, cli.json, args),
        Command::Plan(PlanCmd::Show) => {
            print!("{}", brug_shared::report::plan::BUILTIN_PLAN);
            Ok(())
        }
        Command::Plan(PlanCmd::Check { file }) => {
            let plan = match file {
                Some(f) => reports::load_plan(&f)?,
                None => brug_shared::report::Plan::builtin(),
            };
            if cli.json {
                return print_json(&plan);
            }
            println!("{}\nversie / version {}", plan.title, plan.label());
            for sdg in &plan.sdgs {
                println!("SDG {} {}", sdg.number, sdg.nl);
                for a in plan.actions.iter().filter(|a| a.sdg == sdg.number) {
                    println!("  {} ({})", a.nl, a.code);
                    for i in &a.indicators {
                        println!(
                            "    {} [{}] ({})",
                            i.nl,
                            i.measure.unit(brug_shared::model::Lang::Nl),
                            i.code
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Cert(cmd) => {
            let serving = settings::resolve(&data, &ctx.file, &settings::Overrides::default())?;
            let tls = &serving.config.tls;
            let rotating = matches!(cmd, CertCmd::Rotate);
            let outcome = match cmd {
                CertCmd::Show => brug_sync_server::tls::Rotation {
                    served: brug_sync_server::tls::current_fingerprint(&data, tls)?,
                    next: brug_sync_server::tls::next_fingerprint(&data),
                },
                CertCmd::Next { cert, key } => {
                    let host = serving
                        .config
                        .public_url
                        .as_deref()
                        .and_then(|u| url::Url::parse(u).ok())
                        .and_then(|u| u.host_str().map(str::to_owned));
                    let given = cert.as_deref().zip(key.as_deref());
                    brug_sync_server::tls::stage_next(&data, tls, host.as_slice(), given)?
                }
                CertCmd::Rotate => {
                    anyhow::ensure!(
                        matches!(tls, TlsSource::SelfSigned),
                        "een ingesteld certificaat (--tls-cert) wissel je door de instelling naar de nieuwe bestanden te laten wijzen / a configured certificate is switched by pointing the configuration at the new files"
                    );
                    brug_sync_server::tls::rotate(&data, tls)?
                }
            };
            if cli.json {
                print_json(&outcome)
            } else {
                println!("Gebruikt / served: {}", outcome.served);
                match &outcome.next {
                    Some(next) => println!(
                        "Volgend / next:     {next}\nToestellen vertrouwen het volgende certificaat vanaf hun volgende synchronisatie. / Devices trust the next certificate from their next sync on."
                    ),
                    None => println!("Volgend / next:     (geen / none)"),
                }
                if rotating {
                    println!(
                        "Start de server opnieuw om het nieuwe certificaat te gebruiken. / Restart the server to serve the new certificate."
                    );
                }
                Ok(())
            }
        }
        Command::MigrateToPostgres {
            from,
            to,
            database_ca,
        } => {
            anyhow::ensure!(
                from.join(brug_sync_server::backup::DB_FILE).is_file(),
                "geen Brug-gegevens in {} / no Brug data in that folder",
                from.display()
            );
            let db = Db::open(&from)?;
            let pg = brug_sync_server::storage::postgres::PgDb::connect_with_ca(
                &to,
                2,
                database_ca.as_deref(),
            )?;
            let report = pg.copy_from_sqlite(&db)?;
            if cli.json {
                print_json(&serde_json::json!({
                    "tables": report.tables.iter().map(|(t, n)| (t.to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
                    "feed_seq": report.seq,
                    "cases_verified": report.verified,
                }))
            } else {
                for (table, rows) in &report.tables {
                    println!("{table:<18} {rows:>8} rijen / rows");
                }
                println!(
                    "Gekopieerd en nagekeken: {} dossiers met dezelfde heads, volgnummer {} / copied and checked.",
                    report.verified, report.seq
                );
                Ok(())
            }
        }
        Command::Audit { limit } => {
            let db = Db::open(&data)?;
            print_audit(cli.json, db::audit_tail(&db.lock(), limit)?)
        }
    }
}

fn import_command(store: &dyn ServerStore, json: bool, args: ImportArgs) -> Result<()> {
    let ImportArgs {
        team,
        assign_to,
        apply,
        file,
    } = args;
    let plan = import::Plan {
        team: &team,
        assign_to: &assign_to,
        apply,
        today: chrono::Local::now().date_naive(),
    };
    let outcome = import::import(store, &file, &plan)?;
    if json {
        return print_json(&outcome);
    }
    let rows = |rows: &[usize]| match (rows.first(), rows.last()) {
        (Some(a), Some(b)) if a != b => format!("rijen {a}-{b}"),
        (Some(a), _) => format!("rij {a}"),
        _ => String::new(),
    };
    println!(
        "{}",
        if apply {
            "Import / import:"
        } else {
            "Proefdraai, er verandert niets (--apply om aan te maken) / dry run, nothing changes:"
        }
    );
    for m in &outcome.made {
        println!(
            "  {} dossier {}: {} {} ({} leden) -> {}",
            rows(&m.rows),
            m.dossier,
            if apply { "aangemaakt" } else { "aan te maken" },
            m.name,
            m.members,
            m.assigned.join(", ")
        );
    }
    for r in &outcome.refused {
        println!(
            "  rij {} dossier {}{}: GEWEIGERD / refused: {}",
            r.row,
            r.dossier,
            r.column
                .as_deref()
                .map(|c| format!(", kolom {c}"))
                .unwrap_or_default(),
            r.reason
        );
    }
    for d in &outcome.not_made {
        println!(
            "  dossier {d}: niet aangemaakt, zie de geweigerde rij / not made, see the refused row"
        );
    }
    for d in &outcome.existing {
        println!("  dossier {d}: bestaat al / exists already");
    }
    println!(
        "Samen / total: {} {}, {} rijen geweigerd / rows refused, {} bestonden al / existed already.",
        outcome.made.len(),
        if apply {
            "aangemaakt / made"
        } else {
            "aan te maken / to make"
        },
        outcome.refused.len(),
        outcome.existing.len()
    );
    Ok(())
}

fn subject_command(store: &dyn ServerStore, json: bool, args: SubjectArgs) -> Result<()> {
    let SubjectArgs {
        national_number,
        case,
        member,
        out,
        by,
    } = args;
    let subject = match (national_number, case, member) {
        (Some(n), _, _) => subject::Subject::NationalNumber(n),
        (None, Some(case), Some(member)) => subject::Subject::Member { case, member },
        _ => anyhow::bail!(
            "geef --national-number, of --case en --member / give a national number, or a case and a member"
        ),
    };
    let mut last = 0;
    let (export, files) = subject::export(
        store,
        &subject,
        &by,
        &out,
        chrono::Utc::now(),
        &mut |done, total| {
            if total >= 500 && (done == total || done >= last + 500) {
                last = done;
                eprintln!("{done} van {total} dossiers doorzocht");
            }
        },
    )?;
    if json {
        print_json(&serde_json::json!({
            "cases": export.cases.iter().map(|c| c.case).collect::<Vec<_>>(),
            "files": files,
        }))
    } else {
        println!(
            "Gegevens uit {} dossier(s) geschreven naar:",
            export.cases.len()
        );
        for f in files {
            println!("  {}", f.display());
        }
        Ok(())
    }
}

fn print_devices(json: bool, devices: Vec<db::Device>) -> Result<()> {
    if json {
        return print_json(&devices);
    }
    for d in devices {
        let state = if d.revoked_at.is_some() {
            "ingetrokken"
        } else {
            "actief"
        };
        println!("{}  {:<24} {:<24} {state}", d.id, d.user, d.name);
    }
    Ok(())
}

fn erase_command(store: &dyn ServerStore, json: bool, args: EraseArgs) -> Result<()> {
    let EraseArgs {
        case,
        member,
        record,
        field,
        whole_case,
        reason,
        by,
    } = args;
    let mut targets: Vec<EraseTarget> = member.into_iter().map(EraseTarget::Member).collect();
    if !record.is_empty() {
        let Some(doc) = store.load(case)? else {
            anyhow::bail!("dossier {case} bestaat niet / no such case");
        };
        for id in record {
            let kind = doc.kind_of(id).ok_or_else(|| {
                anyhow::anyhow!("record {id} zit niet in dossier {case} / no such record")
            })?;
            targets.push(EraseTarget::Record(kind, id));
        }
    }
    targets.extend(
        field
            .iter()
            .map(|f| EraseTarget::Field(brug_shared::schema::FieldPath::slashed(f))),
    );
    if targets.is_empty() != whole_case {
        anyhow::bail!(
            "noem wat gewist wordt (--member, --record, --field) of --whole-case, niet beide / name what to erase, or --whole-case"
        );
    }
    let request = erase::EraseRequest {
        case,
        targets,
        reason,
        by,
    };
    let done = erase::erase(store, &request, chrono::Utc::now())?;
    if json {
        print_json(&serde_json::json!({
            "case": case,
            "generation": done.generation,
            "erased": done.erased,
            "attachments": done.attachments,
            "quarantine": done.quarantine,
            "log_emptied": done.log_emptied,
        }))
    } else {
        match done.generation {
            Some(g) => println!(
                "Gewist uit dossier {case}: {}. Nieuwe generatie {g}; de oude geschiedenis is weg. Toestellen vervangen hun kopie bij de volgende synchronisatie.",
                done.erased.join(", ")
            ),
            None => println!(
                "Dossier {case} is gewist. Toestellen verwijderen hun kopie bij de volgende synchronisatie."
            ),
        }
        if done.attachments > 0 {
            println!("{} bijlage(n) verwijderd.", done.attachments);
        }
        if !done.log_emptied {
            println!(
                "Let op: het logboek van de databank werd nog niet leeggemaakt (lezers bezig); de server doet het binnen het uur."
            );
        }
        Ok(())
    }
}

fn report(
    store: &dyn ServerStore,
    file: &settings::FileConfig,
    json: bool,
    args: ReportArgs,
) -> Result<()> {
    let plan = match args.plan.as_ref().or(file.reports.plan.as_ref()) {
        Some(path) => reports::load_plan(path)?,
        None => brug_shared::report::Plan::builtin(),
    };
    let query = brug_shared::report::Query {
        from: args.from,
        to: args.to,
        team: args.team,
        by: args.by,
        public: args.public,
    };
    query.check()?;
    let report = store.report(&plan, &query)?;
    store.audit(
        Some("admin"),
        None,
        "report",
        &[],
        &format!("{}..{} by command line", query.from, query.to),
    )?;
    if let Some(path) = &args.xlsx {
        std::fs::write(path, reports::xlsx(&report)?)
            .with_context(|| format!("{} schrijven / writing", path.display()))?;
        eprintln!("Excel: {}", path.display());
    }
    if let Some(dir) = &args.csv {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("rapport.csv");
        std::fs::write(&path, reports::csv(&report)?)
            .with_context(|| format!("{} schrijven / writing", path.display()))?;
        eprintln!("CSV: {}", path.display());
    }
    if json {
        return print_json(&report);
    }
    print!("{}", reports::text(&report));
    Ok(())
}

fn device(data: &Path, json: bool, cmd: DeviceCmd) -> Result<()> {
    let db = Db::open(data)?;
    let conn = db.lock();
    match cmd {
        DeviceCmd::Enrol { user, png } => {
            let made = enrolment::new_enrolment(&conn, data, &TlsSource::SelfSigned, &user)?;
            print_enrolment(json, &user, made, png)
        }
        DeviceCmd::List { user } => print_devices(json, db::devices(&conn, user.as_deref())?),
        DeviceCmd::Revoke { device } => {
            admin::revoke_device(&conn, &device, admin::Actor::Admin)?
                .with_context(|| format!("toestel {device} bestaat niet (zie: device list)"))?;
            print_revoked(json, &device)
        }
        DeviceCmd::UnlockCode { device } => {
            // The store takes the writer itself.
            drop(conn);
            unlock_code(&db, json, &device)
        }
    }
}

fn serve(ctx: &Ctx, args: &ServeArgs) -> Result<()> {
    let data = ctx.data.as_path();
    let log_format = ctx.log_format.as_str();
    let serving = settings::resolve(data, &ctx.file, &args.overrides(ctx))?;
    let listen = serving.listen;
    let config = serving.config;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = brug_sync_server::listen_on(listen)
            .with_context(|| format!("kan niet luisteren op {listen}"))?;
        let fp = brug_sync_server::tls::current_fingerprint(data, &config.tls)?;
        // For people; a log collector reads the same in the JSON log.
        if log_format == "text" {
            let at = listener.local_addr().unwrap_or(listen);
            eprintln!("brug-sync-server luistert op https://{at} (certificaat SHA-256 {fp})");
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        brug_sync_server::run(config, listener, shutdown).await?;
        Ok(())
    })
}
