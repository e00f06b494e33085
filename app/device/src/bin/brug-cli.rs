//! `brug-cli`: the device core without a screen, for scripts, support,
//! imports and tests. Exit codes: 0 done, 1 refused (stderr says why and
//! what to do, in Dutch and English), 2 usage.

/// Writes a line to standard output. A reader that went away (`| head`)
/// ends the output quietly instead of a panic ("failed printing to
/// stdout").
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use brug_device::device::{Device, DeviceError};
use brug_device::index::CaseQuery;
use brug_device::sync::Progress;
use brug_shared::casedoc::ReviewAction;
use brug_shared::model::{BlobHash, Household, Lang, Record, RecordKind, examples};
use brug_shared::rules::{self, Finding, RuleContext, Severity};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "brug-cli",
    version,
    about = "Brug device core on the command line / de Brug-kern op de opdrachtregel"
)]
struct Cli {
    /// Device home (default: the platform data dir).
    #[arg(long, env = "BRUG_HOME")]
    home: Option<PathBuf>,
    /// Machine-readable output (put it before the command: brug-cli --json status).
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrol with a brug://enrol?... URL (PIN from BRUG_PIN), then pull the caseload.
    Enrol {
        /// The enrolment URL from the QR code.
        url: String,
        /// A name for this device.
        #[arg(long, default_value = "brug-cli")]
        name: String,
    },
    /// Open a device locked after too many wrong PINs: the one-time code
    /// from the administrator (`brug-sync-server device unlock-code`) and
    /// the new PIN from BRUG_PIN.
    Unlock {
        /// The unlock code.
        #[arg(long)]
        code: String,
    },
    /// Enrolment, last sync, pending changes, lease.
    Status,
    /// What waits: each record to review, each overdue action, each
    /// conflict, each safety signal, by reason, most urgent first.
    Queue,
    /// One sync session (progress on stderr), or stay connected.
    Sync {
        /// Stay connected; reconnect with backoff when the connection drops.
        #[arg(long)]
        watch: bool,
    },
    /// Cases.
    #[command(subcommand)]
    Case(CaseCmd),
    /// Records in a case.
    #[command(subcommand)]
    Record(RecordCmd),
    /// Review a record: approve or return (supervisor), submit (worker).
    Review {
        /// The case id.
        case: Uuid,
        /// The record id.
        record: String,
        /// What to do.
        action: ReviewArg,
        /// Comment (required when returning).
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Choose the value of a conflicting field (VALUE is JSON).
    Resolve {
        /// The case id.
        case: Uuid,
        /// The record id, or "household".
        record: String,
        /// The field (dotted path).
        field: String,
        /// The chosen value, as JSON.
        value: String,
    },
    /// Who changed what, when.
    History {
        /// The case id.
        case: Uuid,
        /// Only this record.
        record: Option<String>,
    },
    /// What changed in a record since it was approved.
    Changes {
        /// The case id.
        case: Uuid,
        /// The record id.
        record: String,
    },
    /// Attach a photo (JPEG, PNG) or PDF to a record, or to a defect or
    /// reading in one: photos are re-encoded without their metadata.
    /// Prints the attachment's hash.
    Attach {
        /// The case id.
        case: Uuid,
        /// The record id, or the id of a defect or reading.
        record: String,
        /// The file.
        file: std::path::PathBuf,
        /// What it shows.
        #[arg(long, default_value = "")]
        caption: String,
    },
    /// Attachments: get one's bytes, remove one from its record.
    #[command(subcommand)]
    Attachment(AttachmentCmd),
    /// Unsynced work handed over by devices that lost a case (supervisors).
    #[command(subcommand)]
    Quarantine(QuarantineCmd),
    /// Rule findings for a record, storing nothing.
    Validate {
        /// member, consent, visit, meter-check, energy-scan, renovation, referral, household.
        kind: String,
        /// The record as JSON (a file, or - for stdin).
        #[arg(long = "json", value_name = "FILE|-")]
        input: String,
    },
    /// A valid example record of a kind, as JSON.
    Schema {
        /// member, consent, visit, meter-check, energy-scan, renovation, referral, household.
        kind: String,
    },
}

#[derive(Subcommand)]
enum QuarantineCmd {
    /// What waits for the team's supervisor, undecided first.
    List,
    /// Merge an entry into its case (checked as its author's own sync).
    Merge {
        /// The entry's number.
        id: i64,
    },
    /// Discard an entry.
    Discard {
        /// The entry's number.
        id: i64,
    },
}

#[derive(Subcommand)]
enum AttachmentCmd {
    /// Write an attachment's bytes to a file (fetched from the server when
    /// this device does not hold them).
    Get {
        /// The attachment's hash.
        hash: String,
        /// Where to write it.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Only the thumbnail of a photo.
        #[arg(long)]
        thumb: bool,
    },
    /// Remove an attachment from its record (history keeps who did).
    Remove {
        /// The case id.
        case: Uuid,
        /// The attachment's id in the case (`case show` lists them).
        id: Uuid,
    },
}

#[derive(Subcommand)]
enum CaseCmd {
    /// Register a household; prints its id.
    New {
        /// The household as JSON (a file, or - for stdin).
        #[arg(long = "json", value_name = "FILE|-")]
        input: String,
    },
    /// List cases, sorted by next appointment.
    List {
        /// Words in name, address, postcode or school.
        #[arg(long)]
        query: Option<String>,
        /// A flag: safety-signal, self-disconnection-risk, unfit-dwelling, category-iii, overdue-follow-up, override, conflicts, returned, submitted.
        #[arg(long)]
        flag: Option<String>,
        /// A status: registered, active, on-hold, closed.
        #[arg(long)]
        status: Option<String>,
        /// A user who worked the case.
        #[arg(long)]
        worker: Option<String>,
    },
    /// The whole case: records, review states, flags, conflicts.
    Show {
        /// The case id.
        case: Uuid,
    },
}

#[derive(Subcommand)]
enum RecordCmd {
    /// Add a record; prints its id.
    Add {
        /// The case id.
        case: Uuid,
        /// member, consent, visit, meter-check, energy-scan, renovation, referral.
        kind: String,
        /// The record as JSON (a file, or - for stdin).
        #[arg(long = "json", value_name = "FILE|-")]
        input: String,
    },
    /// Change one field (VALUE is JSON).
    Set {
        /// The case id.
        case: Uuid,
        /// The record id, or "household".
        record: String,
        /// The field (dotted path).
        field: String,
        /// The new value, as JSON.
        value: String,
    },
    /// Remove a record.
    Remove {
        /// The case id.
        case: Uuid,
        /// The record id.
        record: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReviewArg {
    Submit,
    Approve,
    Return,
}

/// A refusal that reaches the user: exit code 1.
struct Refusal(String);

impl<E: std::fmt::Display> From<E> for Refusal {
    fn from(e: E) -> Self {
        Refusal(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Fout / error: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Refusal(message)) => {
            eprintln!("Fout / error: {message}");
            ExitCode::from(1)
        }
    }
}

fn pin() -> Result<String, Refusal> {
    std::env::var("BRUG_PIN")
        .map_err(|_| Refusal("zet de pincode in BRUG_PIN / set the PIN in BRUG_PIN".into()))
}

fn read_json(input: &str) -> Result<serde_json::Value, Refusal> {
    let mut text = String::new();
    if input == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(input).map_err(|e| Refusal(format!("{input}: {e}")))?;
    }
    serde_json::from_str(&text)
        .map_err(|e| Refusal(format!("geen geldige JSON / not valid JSON: {e}")))
}

fn kind(code: &str) -> Result<RecordKind, Refusal> {
    RecordKind::from_code(code).ok_or_else(|| {
        Refusal(format!(
            "onbekende soort '{code}' / unknown kind; kies / choose: {}",
            RecordKind::ALL
                .iter()
                .map(|k| k.code())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

fn print<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce() -> String,
) -> Result<(), Refusal> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", human());
    }
    Ok(())
}

fn warn(findings: &[Finding]) {
    for f in findings.iter().filter(|f| f.severity != Severity::Error) {
        let label = if f.severity == Severity::Flag {
            "Signaal / flag"
        } else {
            "Let op / warning"
        };
        eprintln!("{label}: [{}] {} / {}", f.code, f.nl, f.en);
    }
}

fn value(text: &str) -> Result<serde_json::Value, Refusal> {
    serde_json::from_str(text).map_err(|_| Refusal(format!("de waarde moet JSON zijn, bv. '\"tekst\"' of 12 / the value must be JSON, e.g. '\"text\"' or 12 (got {text})")))
}

fn progress_line(p: Progress) {
    eprint!(
        "\rSynchroniseren / syncing: {}/{} dossiers, {} kB ontvangen, {} kB verzonden   ",
        p.done,
        p.total,
        p.bytes_in / 1024,
        p.bytes_out / 1024
    );
}

async fn execute(cli: Cli) -> Result<(), Refusal> {
    let home = cli.home.clone().unwrap_or_else(brug_device::default_home);
    let json = cli.json;
    match cli.command {
        Command::Schema { kind: k } => {
            let value = if k == "household" {
                serde_json::to_value(examples::household())?
            } else {
                examples::example(kind(&k)?).to_json()
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(())
        }
        Command::Validate { kind: k, input } => {
            let input = read_json(&input)?;
            let ctx = RuleContext::at(chrono::Local::now().naive_local());
            let findings = if k == "household" {
                let h: Household = serde_json::from_value(input)
                    .map_err(|e| Refusal(format!("ongeldig / invalid: {e}")))?;
                rules::check_household(&h, None, &ctx)
            } else {
                let record = Record::from_json(kind(&k)?, input)
                    .map_err(|e| Refusal(format!("ongeldig / invalid: {e}")))?;
                let mut case =
                    serde_json::from_value::<brug_shared::model::Case>(serde_json::json!({
                        "id": Uuid::nil(), "schema": 1, "household": examples::household()
                    }))?;
                if let Record::Member(_) = record {
                } else if let Record::Member(m) = examples::example(RecordKind::Member) {
                    case.members.insert(Uuid::nil(), m);
                }
                rules::check_record(&case, Uuid::now_v7(), &record, None, &ctx)
            };
            print(json, &findings, || {
                if findings.is_empty() {
                    "Geen opmerkingen / no findings".into()
                } else {
                    findings
                        .iter()
                        .map(|f| {
                            format!(
                                "{:?} [{}] {}: {} / {}",
                                f.severity, f.code, f.field, f.nl, f.en
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            })?;
            if rules::blocks(&findings) {
                Err(Refusal(
                    "de regels weigeren dit record / the rules refuse this record".into(),
                ))
            } else {
                Ok(())
            }
        }
        Command::Unlock { code } => {
            let pin = pin()?;
            let device = Device::recover(&home, &code, &pin).await?;
            let info = device.info().clone();
            print(
                json,
                &serde_json::json!({ "device": info, "unlocked": true }),
                || {
                    "Ontgrendeld met de nieuwe pincode; alles op dit toestel is er nog. / Unlocked with the new PIN; everything on this device is still there.".into()
                },
            )
        }
        Command::Enrol { url, name } => {
            let pin = pin()?;
            let mut device = Device::enrol(&home, &url, &pin, &name).await?;
            let report = device.sync(&mut progress_line).await;
            eprintln!();
            let info = device.info().clone();
            match report {
                Ok(r) => print(
                    json,
                    &serde_json::json!({ "device": info, "cases": r.synced.len() }),
                    || {
                        format!(
                            "Ingeschreven als {} ({}) op {}; {} dossiers opgehaald.",
                            info.user_name,
                            info.role,
                            info.server,
                            r.synced.len()
                        )
                    },
                ),
                Err(e) => {
                    eprintln!(
                        "Ingeschreven, maar de eerste synchronisatie lukte niet / enrolled, but the first sync failed: {e}"
                    );
                    print(
                        json,
                        &serde_json::json!({ "device": info, "cases": 0 }),
                        || format!("Ingeschreven als {} op {}.", info.user_name, info.server),
                    )
                }
            }
        }
        other => {
            let mut device = Device::open(&home, &pin()?)?;
            run(&mut device, other, json).await
        }
    }
}

async fn run(device: &mut Device, command: Command, json: bool) -> Result<(), Refusal> {
    match command {
        Command::Queue => {
            let items = device.queue()?;
            print(json, &items, || {
                if items.is_empty() {
                    return "Niets wacht / nothing waits".into();
                }
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "{}\t{}\t{}\t{}{}",
                            i.reason.code(),
                            i.household,
                            i.due
                                .map(|d| d.format("%d/%m/%Y %H:%M").to_string())
                                .unwrap_or_else(|| "-".into()),
                            i.kind
                                .map(|k| format!("{}: ", k.label(Lang::Nl)))
                                .unwrap_or_default(),
                            i.nl
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Status => {
            let s = device.status()?;
            print(json, &s, || {
                let last = s
                    .last_sync
                    .map(|t| {
                        t.with_timezone(&chrono::Local)
                            .format("%d/%m/%Y %H:%M")
                            .to_string()
                    })
                    .unwrap_or_else(|| "nooit / never".into());
                let lease = if s.lease.locked {
                    "VERGRENDELD / LOCKED".to_owned()
                } else {
                    format!(
                        "{} van {} dagen / of {} days",
                        s.lease.since_sync_days, s.lease.days, s.lease.days
                    )
                };
                format!(
                    "Toestel / device {}\nSleutel / key: pincode{} / PIN{}\nGebruiker / user {} ({}, team {})\nServer {}\nDossiers / cases {}\nTe synchroniseren / pending {}\nLaatste synchronisatie / last sync {}\nLease {}{}",
                    s.device.device_id,
                    protected_by(&s.device.key_protection, " en "),
                    protected_by(&s.device.key_protection, " and "),
                    s.device.user,
                    s.device.role,
                    s.device.team,
                    s.device.server,
                    s.cases,
                    s.pending,
                    last,
                    lease,
                    s.last_error
                        .as_deref()
                        .map(|e| format!("\nLaatste fout / last error: {e}"))
                        .unwrap_or_default()
                ) + &s
                    .joined
                    .iter()
                    .map(|j| {
                        let at = chrono::DateTime::from_timestamp_millis(j.at)
                            .map(|t| {
                                t.with_timezone(&chrono::Local)
                                    .format("%d/%m/%Y %H:%M")
                                    .to_string()
                            })
                            .unwrap_or_default();
                        format!(
                            "\nNieuw toestel op uw naam / new device in your name: {} ({at})",
                            j.name
                        )
                    })
                    .collect::<String>()
            })
        }
        Command::Sync { watch: false } => {
            let report = device.sync(&mut progress_line).await;
            eprintln!();
            let report = report?;
            print(
                json,
                &serde_json::json!({ "synced": report.synced, "purged": report.purged, "refused": report.refused.iter().map(|(d, c)| serde_json::json!({"case": d, "code": c})).collect::<Vec<_>>() }),
                || {
                    format!(
                        "Gesynchroniseerd / synced: {} dossiers, {} verwijderd / purged, {} geweigerd / refused.",
                        report.synced.len(),
                        report.purged.len(),
                        report.refused.len()
                    )
                },
            )
        }
        Command::Sync { watch: true } => {
            let mut backoff = Duration::from_secs(1);
            let wake = tokio::sync::Notify::new();
            loop {
                match device.watch(&mut progress_line, &wake).await {
                    Ok(_) => backoff = Duration::from_secs(1),
                    Err(e @ DeviceError::Revoked { .. }) => return Err(e.into()),
                    Err(e) => {
                        eprintln!("\n{e}; opnieuw over / retrying in {} s", backoff.as_secs());
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(60));
                    }
                }
            }
        }
        Command::Case(CaseCmd::New { input }) => {
            let h: Household = serde_json::from_value(read_json(&input)?)
                .map_err(|e| Refusal(format!("ongeldig gezin / invalid household: {e}")))?;
            let (id, findings) = device.create_case(&h)?;
            warn(&findings);
            print(
                json,
                &serde_json::json!({ "id": id, "findings": findings }),
                || id.to_string(),
            )
        }
        Command::Case(CaseCmd::List {
            query,
            flag,
            status,
            worker,
        }) => {
            let rows = device.list(&CaseQuery {
                text: query,
                flag,
                status,
                worker,
                limit: None,
            })?;
            print(json, &rows, || {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}  {:<28} {:<40} {:<10} {} {}",
                            r.id,
                            r.name,
                            r.address,
                            r.status,
                            r.next_appointment.as_deref().unwrap_or("-"),
                            r.flags.join(",")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Case(CaseCmd::Show { case }) => {
            let view = device.show(case)?;
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        Command::Record(RecordCmd::Add {
            case,
            kind: k,
            input,
        }) => {
            let (id, findings) = device.add_record(case, kind(&k)?, read_json(&input)?)?;
            warn(&findings);
            print(
                json,
                &serde_json::json!({ "id": id, "findings": findings }),
                || id.to_string(),
            )
        }
        Command::Record(RecordCmd::Set {
            case,
            record,
            field,
            value: v,
        }) => {
            let field = device.field_path(case, &record, &field)?;
            let findings = device.set_field(case, &record, &field, value(&v)?)?;
            warn(&findings);
            print(json, &serde_json::json!({ "findings": findings }), || {
                "Bewaard / saved.".into()
            })
        }
        Command::Attach {
            case,
            record,
            file,
            caption,
        } => {
            let attached = device.attach_file(case, &record, &file, &caption)?;
            print(json, &serde_json::to_value(&attached)?, || {
                attached.hash.to_string()
            })
        }
        Command::Attachment(AttachmentCmd::Get { hash, out, thumb }) => {
            let hash = BlobHash::parse(&hash)
                .ok_or_else(|| Refusal(format!("'{hash}' is geen hash / not a hash")))?;
            let bytes = device.attachment_bytes(&hash, thumb).await?;
            std::fs::write(&out, &bytes).map_err(|e| Refusal(format!("{}: {e}", out.display())))?;
            print(
                json,
                &serde_json::json!({ "hash": hash, "bytes": bytes.len(), "out": out }),
                || format!("{} bytes -> {}", bytes.len(), out.display()),
            )
        }
        Command::Attachment(AttachmentCmd::Remove { case, id }) => {
            device.remove_attachment(case, id)?;
            print(json, &serde_json::json!({ "removed": id }), || {
                "Verwijderd / removed.".into()
            })
        }
        Command::Record(RecordCmd::Remove { case, record }) => {
            device.remove_record(case, &record)?;
            print(json, &serde_json::json!({ "removed": record }), || {
                "Verwijderd / removed.".into()
            })
        }
        Command::Review {
            case,
            record,
            action,
            comment,
        } => {
            let action = match action {
                ReviewArg::Submit => ReviewAction::Submit,
                ReviewArg::Approve => ReviewAction::Approve,
                ReviewArg::Return => ReviewAction::Return,
            };
            device.review(case, &record, action, &comment)?;
            print(json, &serde_json::json!({ "ok": true }), || {
                "Bewaard / saved.".into()
            })
        }
        Command::Resolve {
            case,
            record,
            field,
            value: v,
        } => {
            let field = device.field_path(case, &record, &field)?;
            device.resolve(case, &record, &field, value(&v)?)?;
            print(json, &serde_json::json!({ "ok": true }), || {
                "Conflict opgelost / resolved.".into()
            })
        }
        Command::Quarantine(cmd) => {
            let link = device.team_link()?;
            let entries = match cmd {
                QuarantineCmd::List => link.quarantine().await?,
                QuarantineCmd::Merge { id } => vec![link.decide(id, true).await?],
                QuarantineCmd::Discard { id } => vec![link.decide(id, false).await?],
            };
            print(json, &entries, || {
                entries
                    .iter()
                    .map(|e| {
                        let at = chrono::DateTime::from_timestamp_millis(e.at)
                            .map(|t| {
                                t.with_timezone(&chrono::Local)
                                    .format("%d/%m/%Y %H:%M")
                                    .to_string()
                            })
                            .unwrap_or_default();
                        format!(
                            "{:>4}  {}  {at}  {:<22} {} bytes  {}",
                            e.id,
                            e.case,
                            e.user,
                            e.bytes,
                            e.decision.as_deref().unwrap_or("wacht / waiting")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::History { case, record } => {
            let entries = device.history(case, record.as_deref())?;
            print(json, &entries, || {
                entries
                    .iter()
                    .map(|h| {
                        let at =
                            h.at.map(|t| {
                                t.with_timezone(&chrono::Local)
                                    .format("%d/%m/%Y %H:%M")
                                    .to_string()
                            })
                            .unwrap_or_default();
                        format!(
                            "{at}  {:<22} {} {}",
                            h.author.as_deref().unwrap_or("?"),
                            h.note.message,
                            h.note.fields.join(", ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Changes { case, record } => {
            let changes = device.changes_since_approval(case, &record)?;
            print(json, &changes, || {
                if changes.is_empty() {
                    "Niets veranderd sinds de goedkeuring / nothing changed since approval".into()
                } else {
                    changes
                        .iter()
                        .map(|c| format!("{}: {} → {}", c.field, show(&c.before), show(&c.after)))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            })
        }
        Command::Enrol { .. }
        | Command::Unlock { .. }
        | Command::Schema { .. }
        | Command::Validate { .. } => Err(Refusal("onverwacht / unexpected".into())),
    }
}

fn show(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "—".into())
}

/// " and Secret Service" where a system keystore protects the key with the
/// PIN; nothing where the PIN alone does.
fn protected_by(keystore: &str, and: &str) -> String {
    if keystore.is_empty() {
        String::new()
    } else {
        format!("{and}{keystore}")
    }
}
