//! The catalogue of every error a user of the app or of `brug-cli` can
//! read: each one has a stable code and its text in Dutch and English, in
//! this one file. Errors carry what happened (typed, with their values);
//! the catalogue turns that into words. The app shows [`Message::text`] in
//! the user's language; `brug-cli` and logs show both (`Display`).
//!
//! The server's own answers (a refused enrolment code, a team route's
//! refusal, a sync error) arrive as stable codes and are translated here
//! too; a code this version does not know shows the server's words.

use std::fmt;

use brug_shared::casedoc::CaseDocError;
use brug_shared::model::Lang;
use brug_shared::policy::Refusal;
use brug_shared::protocol::ErrorCode;
use brug_shared::protocol::enrol::EnrolUrlError;
use brug_shared::rules::{self, Finding};
use brug_shared::store::StoreError;

use crate::DeviceError;
use crate::keys::KeyError;
use crate::local::LocalError;
use crate::net::NetError;
use crate::sync::SyncError;

/// A message a user reads: a stable code and its text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Stable code, for scripts and tests ("pin.wrong").
    pub code: &'static str,
    nl: String,
    en: String,
}

impl Message {
    fn new(code: &'static str, nl: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code,
            nl: nl.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nl == self.en {
            f.write_str(&self.nl)
        } else {
            write!(f, "{} / {}", self.nl, self.en)
        }
    }
}

/// An error a user can read.
pub trait Localized {
    /// Its message, in both languages.
    fn message(&self) -> Message;

    /// Its text in `lang`.
    fn text(&self, lang: Lang) -> String {
        self.message().text(lang).to_owned()
    }
}

/// The errors of this crate print their message in both languages (for
/// `brug-cli` and logs); the app asks for one.
macro_rules! displayed {
    ($($error:ty),+) => {$(
        impl fmt::Display for $error {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.message().fmt(f)
            }
        }

        impl std::error::Error for $error {}
    )+};
}

displayed!(DeviceError, KeyError, LocalError, NetError, SyncError);

impl Localized for DeviceError {
    fn message(&self) -> Message {
        match self {
            Self::Key(e) => e.message(),
            Self::Local(e) => e.message(),
            Self::EnrolUrl(e) => e.message(),
            Self::Net(e) => e.message(),
            Self::Sync(e) => e.message(),
            Self::Doc(e) => e.message(),
            Self::TeamDoc(e) => match e {
                brug_shared::teamdoc::TeamDocError::BadEntry(nl, en) => {
                    Message::new("team-doc.bad-entry", nl.clone(), en.clone())
                }
                brug_shared::teamdoc::TeamDocError::TooLarge => Message::new(
                    "team-doc.too-large",
                    "de catalogus of de lijst activiteiten van het team is te groot",
                    "the team's catalogue or list of activities is too large",
                ),
                brug_shared::teamdoc::TeamDocError::Invalid(detail) => Message::new(
                    "team-doc.invalid",
                    format!(
                        "de catalogus of de activiteiten van het team zijn onleesbaar ({detail}); synchroniseer opnieuw"
                    ),
                    format!(
                        "the team's catalogue or activities do not read ({detail}); sync again"
                    ),
                ),
                brug_shared::teamdoc::TeamDocError::NotAllowed => Message::new(
                    "team-doc.not-allowed",
                    "alleen een teamverantwoordelijke past de catalogus aan of keurt een activiteit goed",
                    "only a supervisor changes the catalogue or approves an activity",
                ),
            },
            Self::AlreadyEnrolled(home) => Message::new(
                "device.already-enrolled",
                format!(
                    "dit toestel is al ingeschreven in {}; kies een andere map",
                    home.display()
                ),
                format!(
                    "this device is already enrolled in {}; choose another folder",
                    home.display()
                ),
            ),
            Self::Revoked {
                handed_over,
                kept_back,
            } => {
                let (lost_nl, lost_en) = if *kept_back > 0 {
                    (
                        format!(", dat van {kept_back} dossier(s) kon niet meer bezorgd worden"),
                        format!(", that of {kept_back} case(s) could not be delivered"),
                    )
                } else {
                    (String::new(), String::new())
                };
                Message::new(
                    "device.revoked",
                    format!(
                        "dit toestel werd ingetrokken en de gegevens werden gewist; niet-gesynchroniseerd werk van {handed_over} dossier(s) werd eerst aan de teamverantwoordelijke bezorgd{lost_nl}; vraag een nieuwe inschrijving"
                    ),
                    format!(
                        "this device was revoked and its data wiped; unsynced work of {handed_over} case(s) was first handed to the supervisor{lost_en}; ask for a new enrolment"
                    ),
                )
            }
            Self::LeaseExpired { days } => Message::new(
                "device.lease-expired",
                format!(
                    "de dossiers zijn vergrendeld: al {days} dagen niet gesynchroniseerd; synchroniseer eerst"
                ),
                format!("cases are locked: not synced for {days} days; sync first"),
            ),
            Self::NoSuchCase(id) => Message::new(
                "device.no-such-case",
                format!("dossier {id} staat niet op dit toestel"),
                format!("case {id} is not on this device"),
            ),
            Self::NoSuchRecord(id) => Message::new(
                "device.no-such-record",
                format!("record {id} bestaat niet in dit dossier"),
                format!("record {id} is not in this case"),
            ),
            Self::NoSuchAttachment(hash) => Message::new(
                "device.no-such-attachment",
                format!("geen bijlage {hash} in de dossiers die je kan zien"),
                format!("no attachment {hash} in the cases you can see"),
            ),
            Self::Refused(findings) => refused(findings),
            Self::BadInput(detail) => Message::new(
                "device.bad-input",
                format!("ongeldige invoer: {detail}"),
                format!("invalid input: {detail}"),
            ),
            Self::NotAllowed => Message::new(
                "device.not-allowed",
                "alleen een teamverantwoordelijke mag dit",
                "only a supervisor may do this",
            ),
            Self::Policy(refusal) => {
                let m = refusal.message();
                Message::new(
                    m.code,
                    format!("niet bewaard: {}", m.nl),
                    format!("not saved: {}", m.en),
                )
            }
            Self::UnknownRole(role) => Message::new(
                "device.unknown-role",
                format!(
                    "onbekende rol '{role}' in de instellingen van dit toestel; schrijf het opnieuw in"
                ),
                format!("unknown role '{role}' in this device's settings; enrol it again"),
            ),
            Self::HouseholdStays => Message::new(
                "device.household-stays",
                "het gezin zelf kan niet verwijderd worden",
                "the household itself cannot be removed",
            ),
            Self::SettingMissing(key) => Message::new(
                "device.setting-missing",
                format!("instelling {key} ontbreekt; schrijf het toestel opnieuw in"),
                format!("setting {key} is missing; enrol the device again"),
            ),
        }
    }
}

/// The rules' errors that blocked a save, one per line.
fn refused(findings: &[Finding]) -> Message {
    let errors = || {
        findings
            .iter()
            .filter(|f| f.severity == rules::Severity::Error)
    };
    let nl: Vec<String> = errors()
        .map(|f| format!("{} [{}] {}", f.field, f.code, f.nl))
        .collect();
    let en: Vec<String> = errors()
        .map(|f| format!("{} [{}] {}", f.field, f.code, f.en))
        .collect();
    Message::new(
        "rules.refused",
        format!("niet bewaard:\n{}", nl.join("\n")),
        format!("not saved:\n{}", en.join("\n")),
    )
}

impl Localized for KeyError {
    fn message(&self) -> Message {
        match self {
            Self::NotEnrolled => Message::new(
                "pin.not-enrolled",
                "dit toestel is niet ingeschreven",
                "this device is not enrolled",
            ),
            Self::WrongPin { attempts } => Message::new(
                "pin.wrong",
                format!("verkeerde pincode ({attempts} mislukte pogingen)"),
                format!("wrong PIN ({attempts} failed attempts)"),
            ),
            Self::Wait { seconds } => Message::new(
                "pin.wait",
                format!("te veel verkeerde pincodes: wacht nog {seconds} seconden"),
                format!("too many wrong PINs: wait {seconds} seconds"),
            ),
            Self::LockedOut => Message::new(
                "pin.locked-out",
                "te veel verkeerde pincodes: dit toestel opent alleen nog met een ontgrendelcode van de beheerder (brug-sync-server device unlock-code) en een nieuwe pincode; niets wat nog niet gesynchroniseerd is, gaat verloren",
                "too many wrong PINs: this device opens only with an unlock code from the administrator (brug-sync-server device unlock-code) and a new PIN; nothing unsynced is lost",
            ),
            Self::WrongUnlock => Message::new(
                "pin.unlock-wrong",
                "de ontgrendeling past niet bij dit toestel",
                "the unlock does not fit this device",
            ),
            Self::WeakPin => Message::new(
                "pin.weak",
                "kies een pincode van minstens 6 cijfers (geen 111111 of 123456) of een wachtwoordzin van minstens 8 tekens",
                "choose a PIN of at least 6 digits (not 111111 or 123456) or a passphrase of at least 8 characters",
            ),
            Self::Keystore(detail) => Message::new(
                "pin.keystore",
                format!("de sleutelbos van het systeem opent de sleutel niet: {detail}"),
                format!("the system keystore does not open the key: {detail}"),
            ),
            Self::Damaged(detail) => Message::new(
                "pin.key-damaged",
                format!("het sleutelbestand is beschadigd: {detail}"),
                format!("the key file is damaged: {detail}"),
            ),
            Self::Io(path, e) => Message::new(
                "pin.key-file",
                format!("sleutelbestand {}: {e}", path.display()),
                format!("key file {}: {e}", path.display()),
            ),
        }
    }
}

impl Localized for LocalError {
    fn message(&self) -> Message {
        match self {
            Self::Unreadable => Message::new(
                "local.unreadable",
                "de lokale gegevens kunnen niet geopend worden (beschadigd of verkeerde sleutel)",
                "local data cannot be opened (damaged or wrong key)",
            ),
            Self::Sqlite(e) => Message::new(
                "local.storage",
                format!("lokale opslag: {e}"),
                format!("local storage: {e}"),
            ),
            Self::Store(e) => e.message(),
        }
    }
}

impl Localized for StoreError {
    fn message(&self) -> Message {
        match self {
            Self::Sqlite(e) => Message::new(
                "store.sqlite",
                format!("de opslag gaf een fout: {e}"),
                format!("storage failed: {e}"),
            ),
            Self::Migration(e) => Message::new(
                "store.migration",
                format!("de opslag kon niet bijgewerkt worden: {e}"),
                format!("storage could not be brought up to date: {e}"),
            ),
            Self::Document(e) => {
                let m = e.message();
                Message::new(
                    "store.document",
                    format!("een bewaard dossier is onleesbaar: {}", m.nl),
                    format!("a stored case does not load: {}", m.en),
                )
            }
            Self::Stale => Message::new(
                "store.stale",
                "het dossier in het geheugen mist wijzigingen die al bewaard zijn; laad het opnieuw",
                "the case in memory lacks changes already stored; load it again",
            ),
            Self::BadHeads => Message::new(
                "store.bad-heads",
                "bewaarde heads zijn ongeldig",
                "stored heads are not valid",
            ),
        }
    }
}

impl Localized for CaseDocError {
    fn message(&self) -> Message {
        match self {
            Self::Automerge(e) => Message::new(
                "case.unreadable",
                format!("het dossier kan niet gelezen worden (automerge: {e})"),
                format!("the case cannot be read (automerge: {e})"),
            ),
            Self::NotACase(detail) => Message::new(
                "case.not-a-case",
                format!("het document is geen geldig dossier: {detail}"),
                format!("the document is not a valid case: {detail}"),
            ),
            Self::NoSuchRecord { kind, id } => Message::new(
                "case.no-such-record",
                format!("record {kind} {id} bestaat niet in dit dossier"),
                format!("record {kind} {id} is not in this case"),
            ),
            Self::NoSuchField(field) => Message::new(
                "case.no-such-field",
                format!("veld '{field}' bestaat niet"),
                format!("field '{field}' does not exist"),
            ),
            Self::Invalid(detail) => Message::new(
                "case.invalid",
                format!("ongeldige waarde: {detail}"),
                format!("invalid value: {detail}"),
            ),
            Self::Refused(findings) => refused(findings),
            Self::OtherGeneration => Message::new(
                "case.other-generation",
                "dit dossier werd vernieuwd na het wissen van gegevens; open het opnieuw",
                "this case was renewed after data was erased; open it again",
            ),
            Self::BadSyncMessage(detail) => Message::new(
                "case.bad-sync-message",
                format!("ongeldig sync-bericht: {detail}"),
                format!("invalid sync message: {detail}"),
            ),
        }
    }
}

impl Localized for EnrolUrlError {
    fn message(&self) -> Message {
        match self {
            Self::NotBrug => Message::new(
                "enrol.not-brug",
                "dit is geen inschrijvingscode van Brug (verwacht: brug://enrol?...)",
                "this is not a Brug enrolment code (expected: brug://enrol?...)",
            ),
            Self::Incomplete(part) => Message::new(
                "enrol.incomplete",
                format!("de inschrijvingscode is onvolledig: {part}"),
                format!("the enrolment code is incomplete: {part}"),
            ),
        }
    }
}

impl Localized for Refusal {
    fn message(&self) -> Message {
        Message::new(
            "policy.refused",
            format!(
                "{} [{}]: {}",
                self.place(),
                self.reason.code(),
                self.reason.nl()
            ),
            format!(
                "{} [{}]: {}",
                self.place(),
                self.reason.code(),
                self.reason.en()
            ),
        )
    }
}

impl Localized for NetError {
    fn message(&self) -> Message {
        match self {
            Self::BadUrl(detail) => Message::new(
                "net.bad-url",
                format!("het serveradres klopt niet: {detail}"),
                format!("the server address is not right: {detail}"),
            ),
            Self::Connect(detail) => Message::new(
                "net.connect",
                format!("geen verbinding met de server ({detail}); probeer later opnieuw"),
                format!("no connection to the server ({detail}); try again later"),
            ),
            Self::FingerprintMismatch => Message::new(
                "net.fingerprint",
                "de server is niet de server uit de inschrijvingscode (certificaat past niet); verbinding geweigerd",
                "the server is not the one in the enrolment code (certificate does not match); connection refused",
            ),
            Self::Refused {
                status,
                code,
                message,
            } => server_answer(*status, code, message),
            Self::Protocol(detail) => Message::new(
                "net.protocol",
                format!("onverwacht antwoord van de server: {detail}"),
                format!("unexpected answer from the server: {detail}"),
            ),
            Self::Timeout => Message::new(
                "net.timeout",
                "de server antwoordde niet op tijd",
                "the server did not answer in time",
            ),
            Self::Closed => Message::new(
                "net.closed",
                "de verbinding werd gesloten",
                "the connection was closed",
            ),
        }
    }
}

/// A refusal of one of the server's routes, by its stable code.
fn server_answer(status: u16, code: &str, message: &str) -> Message {
    let (key, nl, en): (&'static str, &str, &str) = match code {
        "code-unknown" => (
            "server.code-unknown",
            "Deze inschrijvingscode is onbekend. Vraag een nieuwe code.",
            "This enrolment code is unknown. Ask for a new code.",
        ),
        "code-used" => (
            "server.code-used",
            "Deze inschrijvingscode werd al gebruikt. Vraag een nieuwe code.",
            "This enrolment code was already used. Ask for a new code.",
        ),
        "code-expired" => (
            "server.code-expired",
            "Deze inschrijvingscode is vervallen (15 minuten geldig). Vraag een nieuwe code.",
            "This enrolment code has expired (valid for 15 minutes). Ask for a new code.",
        ),
        "bad-request" => (
            "server.bad-request",
            "Het verzoek is onvolledig of ongeldig.",
            "The request is incomplete or not valid.",
        ),
        "forbidden" => (
            "server.forbidden",
            "Dat mag u niet doen (alleen een teamverantwoordelijke, voor het eigen team).",
            "You may not do that (only a supervisor, for their own team).",
        ),
        "not-found" => (
            "server.not-found",
            "Dat bestaat niet of u heeft er geen toegang toe.",
            "That does not exist or you have no access to it.",
        ),
        "unauthorized" => (
            "server.unauthorized",
            "Dit toestel is niet (meer) ingeschreven. Schrijf het opnieuw in.",
            "This device is not (or no longer) enrolled. Enrol it again.",
        ),
        "revoked" => (
            "server.revoked",
            "Dit toestel werd ingetrokken.",
            "This device was revoked.",
        ),
        "busy" => (
            "server.busy",
            "De server is druk of dit toestel heeft te veel verbindingen. Probeer straks opnieuw.",
            "The server is busy or this device has too many connections. Try again shortly.",
        ),
        "internal" => (
            "server.internal",
            "Er ging iets mis op de server. Probeer later opnieuw.",
            "Something went wrong on the server. Try again later.",
        ),
        "too-large" => (
            "server.too-large",
            "Het verzoek is te groot.",
            "The request is too large.",
        ),
        // Codes whose server words carry the detail (which entry, why).
        "invalid" | "refused" => {
            return Message::new(
                "server.refused",
                format!("De server weigerde: {message}"),
                format!("The server refused: {message}"),
            );
        }
        _ => {
            return Message::new(
                "server.other",
                format!("de server weigerde (HTTP {status}, {code}): {message}"),
                format!("the server refused (HTTP {status}, {code}): {message}"),
            );
        }
    };
    Message::new(key, nl, en)
}

impl Localized for ErrorCode {
    fn message(&self) -> Message {
        let en = match self {
            Self::ProtocolVersion => {
                "This version of the app does not match the server. Update the app."
            }
            Self::BadFrame => {
                "The server did not understand a message from this device. Try syncing again."
            }
            Self::FrameTooLarge => "A message was too large for the server.",
            Self::TooLarge => "A change was too large to store.",
            Self::TooManyDocuments => "Too many cases in one sync. Sync again.",
            Self::NotFound => "This case does not exist or you have no access to it.",
            Self::Invalid => "The changes do not form a valid case and were not stored.",
            Self::Unauthorized => "This device is not (or no longer) enrolled. Enrol it again.",
            Self::Revoked => "This device was revoked. The data on this device is wiped.",
            Self::Busy => "This device already has too many connections. Try again shortly.",
            Self::Timeout => "The connection stayed silent too long and was closed.",
            Self::Internal => "Something went wrong on the server. Try again later.",
            Self::Refused => {
                "The server refused these changes: you may not change this field. None of them was stored."
            }
            Self::Unavailable => {
                "This case is temporarily unavailable on the server; the administrator was told. Your changes stay on this device."
            }
        };
        Message::new("sync.server", self.message_nl(), en)
    }
}

impl Localized for SyncError {
    fn message(&self) -> Message {
        match self {
            Self::Net(e) => e.message(),
            Self::Revoked => Message::new(
                "sync.revoked",
                "dit toestel werd ingetrokken; de gegevens worden gewist",
                "this device was revoked; its data is wiped",
            ),
            Self::Server { code, message } => {
                let known = code.message();
                // The server's own words add which case or field.
                if message.is_empty() || message == known.text(Lang::Nl) {
                    known
                } else {
                    Message::new(
                        known.code,
                        format!("{} ({message})", known.text(Lang::Nl)),
                        format!("{} ({message})", known.text(Lang::En)),
                    )
                }
            }
            Self::Store(fault) => Message::new(
                "sync.store",
                format!("lokaal bewaren mislukte: {fault}"),
                format!("local storage failed: {fault}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_no_run_time_split() {
        let samples: Vec<Box<dyn Localized>> = vec![
            Box::new(KeyError::WrongPin { attempts: 2 }),
            Box::new(KeyError::Wait { seconds: 30 }),
            Box::new(DeviceError::NotAllowed),
            Box::new(DeviceError::LeaseExpired { days: 31 }),
            Box::new(DeviceError::Revoked {
                handed_over: 2,
                kept_back: 1,
            }),
            Box::new(NetError::Timeout),
            Box::new(NetError::Refused {
                status: 403,
                code: "code-used".into(),
                message: "x".into(),
            }),
            Box::new(SyncError::Revoked),
            Box::new(SyncError::Server {
                code: ErrorCode::Refused,
                message: String::new(),
            }),
            Box::new(CaseDocError::NoSuchField("phone".into())),
            Box::new(EnrolUrlError::NotBrug),
        ];
        for e in samples {
            let m = e.message();
            assert_ne!(m.text(Lang::Nl), m.text(Lang::En), "{}", m.code);
            assert!(!m.text(Lang::Nl).contains(" / "), "{}", m.code);
            assert!(!m.text(Lang::En).contains(" / "), "{}", m.code);
        }
        assert_eq!(
            KeyError::WrongPin { attempts: 2 }.text(Lang::En),
            "wrong PIN (2 failed attempts)"
        );
        assert_eq!(
            NetError::Refused {
                status: 403,
                code: "code-expired".into(),
                message: String::new()
            }
            .message()
            .code,
            "server.code-expired"
        );
    }
}
