//! Who may change what in a case: the one written policy the server
//! enforces on every incoming batch of changes, before anything is stored,
//! and the device applies before it writes (so a worker is told at once,
//! not refused later by the server).
//!
//! | path | who may change it |
//! |---|---|
//! | `id` | nobody, once the case exists (it must equal the case's id) |
//! | `schema` | anyone, upwards only; nobody deletes it |
//! | `household`, `members`, `visits`, ... (the containers) | nobody replaces or deletes one; a missing one may be added (schema upgrade) |
//! | `<records>.<id>.review.state` | bridge workers and housing advisers: `draft` or `submitted` only; supervisors: any state |
//! | `<records>.<id>.review.reviewer` | supervisors, and only their own user id |
//! | `<records>.<id>.review.at`, `.comment`, `.approved_heads` | supervisors (others only the empty values a new record starts with) |
//! | `<records>.<id>.review` (the map itself) | made with a new record by anyone; replaced or deleted by supervisors only |
//! | `household.status` from `closed` to another status (reopening) | supervisors; closing is anyone's, subject to the rules |
//! | `attachments.<id>` (a reference to a photo or PDF) | added by anyone, with themself as `by`; removed by anyone; once added only its `caption` changes |
//! | anything else | anyone with access to the case, subject to the rules |
//!
//! And for every new change: its actor belongs to the sending device, its
//! author is the sending user, and its time is not more than the allowed
//! clock skew in the future. Changes made by another device are accepted
//! only as relayed changes (see [`check`]'s `relay`).

use automerge::ChangeHash;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::casedoc::{CaseDoc, ChangeFacts, ERASURES, Found, GENERATION, OpAction, Touched};
use crate::model::{ATTACHMENTS, CaseStatus, RecordKind, ReviewState, Role};
use crate::schema::FieldPath;

/// How far in the future a change's time may lie by default: a week. A
/// device clock further ahead would put its changes ahead of everyone's
/// in history and in the review queue.
pub const DEFAULT_MAX_FUTURE_MS: i64 = 7 * 24 * 3_600_000;

/// Who sends a batch of changes.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The authenticated user.
    pub user: &'a str,
    /// The user's role.
    pub role: Role,
    /// The authenticated device.
    pub device: Uuid,
}

/// Why a batch was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A review field written by someone who does not review.
    ReviewBySupervisorOnly,
    /// A reviewer value naming someone other than the acting supervisor.
    ReviewerNotSelf,
    /// The case's identity or a container replaced or deleted.
    Identity,
    /// The schema version lowered or removed.
    SchemaLowered,
    /// A closed case reopened by someone who may not.
    ReopenBySupervisorOnly,
    /// A change made on another device.
    ForeignDevice,
    /// A change attributed to another user, or to nobody.
    ForeignAuthor,
    /// A change dated too far in the future.
    FutureTime,
    /// An attachment reference changed after it was added (only its
    /// caption may), or added in someone else's name.
    AttachmentFixed,
    /// A change to the generation or its erasure record, or a change that
    /// belongs to an older generation of the case (a second history).
    Generation,
}

impl Reason {
    /// A stable code (for the audit log and tests).
    pub fn code(self) -> &'static str {
        match self {
            Self::ReviewBySupervisorOnly => "review-supervisor-only",
            Self::ReviewerNotSelf => "reviewer-not-self",
            Self::Identity => "identity",
            Self::SchemaLowered => "schema-lowered",
            Self::ReopenBySupervisorOnly => "reopen-supervisor-only",
            Self::ForeignDevice => "foreign-device",
            Self::ForeignAuthor => "foreign-author",
            Self::FutureTime => "future-time",
            Self::AttachmentFixed => "attachment-fixed",
            Self::Generation => "generation",
        }
    }

    /// What happened, in Dutch.
    pub fn nl(self) -> &'static str {
        match self {
            Self::ReviewBySupervisorOnly => {
                "alleen een teamverantwoordelijke mag een record goedkeuren, terugsturen of de nakijkgegevens wijzigen"
            }
            Self::ReviewerNotSelf => "een nakijker kan alleen zichzelf als nakijker invullen",
            Self::Identity => {
                "het dossiernummer en de onderdelen van een dossier kunnen niet vervangen of verwijderd worden"
            }
            Self::SchemaLowered => "de schemaversie van een dossier kan niet verlaagd worden",
            Self::ReopenBySupervisorOnly => {
                "alleen een teamverantwoordelijke mag een afgesloten dossier heropenen"
            }
            Self::ForeignDevice => {
                "een wijziging van een ander toestel kan niet via dit toestel bewaard worden"
            }
            Self::ForeignAuthor => {
                "een wijziging op naam van iemand anders kan niet bewaard worden"
            }
            Self::FutureTime => {
                "de klok van dit toestel staat te ver vooruit; zet de datum en het uur juist"
            }
            Self::AttachmentFixed => {
                "van een bijlage kan alleen het onderschrift gewijzigd worden, en wie ze toevoegt is de gebruiker zelf"
            }
            Self::Generation => {
                "dit dossier werd vernieuwd na het wissen van gegevens; synchroniseer opnieuw om de nieuwe versie te krijgen"
            }
        }
    }

    /// What happened, in English.
    pub fn en(self) -> &'static str {
        match self {
            Self::ReviewBySupervisorOnly => {
                "only a supervisor may approve or return a record or change its review"
            }
            Self::ReviewerNotSelf => "a reviewer can only name themself as the reviewer",
            Self::Identity => "a case's id and its parts cannot be replaced or deleted",
            Self::SchemaLowered => "a case's schema version cannot be lowered",
            Self::ReopenBySupervisorOnly => "only a supervisor may reopen a closed case",
            Self::ForeignDevice => {
                "a change made on another device cannot be stored through this one"
            }
            Self::ForeignAuthor => "a change in someone else's name cannot be stored",
            Self::FutureTime => "this device's clock is too far ahead; set the right date and time",
            Self::AttachmentFixed => {
                "only an attachment's caption can change, and whoever adds one is the user themself"
            }
            Self::Generation => {
                "this case was renewed after an erasure; sync again to get the new version"
            }
        }
    }
}

/// Something an accepted batch did that the audit log keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audited {
    /// A record approved or returned.
    Review {
        /// The record's path (`visits.<id>`).
        record: String,
        /// The new state's code.
        state: String,
    },
    /// A conflicting field resolved to one value.
    Resolved {
        /// The field's path from the document's root.
        field: FieldPath,
    },
}

/// A refused batch: the field it touched and why. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} [{}]: {} / {}", self.place(), reason.code(), reason.nl(), reason.en())]
pub struct Refusal {
    /// The path of the refused field from the document's root
    /// (`visits.<id>.review.state`); the root for what concerns a whole
    /// change (device, author, time).
    pub field: FieldPath,
    /// Why.
    pub reason: Reason,
}

impl Refusal {
    /// Where the refusal lies, for people and the audit: the field's path,
    /// or `change` for a whole change.
    pub fn place(&self) -> String {
        if self.field.is_root() {
            "change".into()
        } else {
            self.field.to_string()
        }
    }
}

fn refuse(path: &[String], reason: Reason) -> Refusal {
    Refusal {
        field: FieldPath::of(path.iter().cloned()),
        reason,
    }
}

/// The root keys that hold the case's parts.
fn is_container(key: &str) -> bool {
    key == "household" || key == ATTACHMENTS || RecordKind::ALL.iter().any(|k| k.container() == key)
}

/// Checks every change `doc` holds beyond `before` against the policy;
/// returns what of it the audit log keeps (review steps, resolved conflicts).
///
/// `before` empty means the batch creates the case. `max_future_ms`:
/// the allowed clock skew against `now_ms` (`None` on the device, whose
/// own clock is the reference). `relay` is asked about a change made on
/// another device; it answers with the role of that change's author when
/// the change may be accepted as relayed (the server, during a recovery
/// window after a restore), `None` to refuse it.
pub fn check(
    doc: &mut CaseDoc,
    before: &[ChangeHash],
    sender: Sender<'_>,
    now_ms: i64,
    max_future_ms: Option<i64>,
    relay: &dyn Fn(&ChangeFacts) -> Option<Role>,
) -> Result<Vec<Audited>, Refusal> {
    check_noting(
        doc,
        before,
        sender,
        now_ms,
        max_future_ms,
        relay,
        &mut Touched::default(),
    )
}

/// [`check`], noting in `touched` every place the changes write to (for
/// [`CaseDoc::check_touched`]: the server validates only those).
pub fn check_noting(
    doc: &mut CaseDoc,
    before: &[ChangeHash],
    sender: Sender<'_>,
    now_ms: i64,
    max_future_ms: Option<i64>,
    relay: &dyn Fn(&ChangeFacts) -> Option<Role>,
    touched: &mut Touched,
) -> Result<Vec<Audited>, Refusal> {
    let mut audited = Vec::new();
    let changes = doc.new_changes(before);
    let creating = before.is_empty();
    if creating {
        // Whatever makes the case, its id must be the case's own.
        let id = doc.id().to_string();
        let now = doc.heads();
        if doc.found_at(&["id"], &now) != Found::Scalar(Json::String(id)) {
            return Err(refuse(&["id".into()], Reason::Identity));
        }
    }
    for change in &changes {
        // Only the change that makes a case has no dependencies: one in a
        // case that exists is another history (an older generation's).
        if !creating && change.root {
            return Err(refuse(&[], Reason::Generation));
        }
        let role = if change.device == Some(sender.device) {
            if change.author.as_deref() != Some(sender.user) {
                return Err(refuse(&[], Reason::ForeignAuthor));
            }
            sender.role
        } else {
            relay(change).ok_or_else(|| refuse(&[], Reason::ForeignDevice))?
        };
        if let Some(skew) = max_future_ms
            && change.time_ms > now_ms.saturating_add(skew)
        {
            return Err(refuse(&[], Reason::FutureTime));
        }
        let author = change.author.as_deref().unwrap_or_default();
        for op in &change.ops {
            touched.note(&op.path);
            // The case's own root (id checked above) is made by this batch.
            if creating && op.path.len() == 1 {
                continue;
            }
            check_op(doc, before, &op.path, &op.action, role, author)?;
            match (&op.path[..], &op.action) {
                ([records, record, review, state], OpAction::Put(Json::String(s)))
                    if review == "review"
                        && state == "state"
                        && [ReviewState::Approved.code(), ReviewState::Returned.code()]
                            .contains(&s.as_str()) =>
                {
                    audited.push(Audited::Review {
                        record: format!("{records}.{record}"),
                        state: s.clone(),
                    });
                }
                (_, OpAction::Put(_) | OpAction::Delete)
                    if op.resolves
                        || (!before.is_empty() && !op.in_new_object && {
                            // A read at `before`: the costliest part of the
                            // check, so skipped where it cannot be true.
                            let p: Vec<&str> = op.path.iter().map(String::as_str).collect();
                            doc.conflicted_at(&p, before)
                        }) =>
                {
                    audited.push(Audited::Resolved {
                        field: FieldPath::of(op.path.iter().cloned()),
                    })
                }
                _ => {}
            }
        }
    }
    Ok(audited)
}

fn check_op(
    doc: &CaseDoc,
    before: &[ChangeHash],
    path: &[String],
    action: &OpAction,
    role: Role,
    author: &str,
) -> Result<(), Refusal> {
    let was = |p: &[&str]| doc.found_at(p, before);
    match path {
        [key] if key == "id" => Err(refuse(path, Reason::Identity)),
        [key, ..] if key == GENERATION || key == ERASURES => Err(refuse(path, Reason::Generation)),
        [key] if key == "schema" => {
            let old = match was(&["schema"]) {
                Found::Scalar(v) => v.as_u64().unwrap_or(0),
                _ => 0,
            };
            match action {
                OpAction::Put(v) if v.as_u64().is_some_and(|n| n >= old) => Ok(()),
                _ => Err(refuse(path, Reason::SchemaLowered)),
            }
        }
        [key] if is_container(key) => match (action, was(&[key])) {
            (OpAction::MakeMap, Found::Missing) => Ok(()),
            _ => Err(refuse(path, Reason::Identity)),
        },
        [records, record, review, rest @ ..]
            if review == "review" && RecordKind::ALL.iter().any(|k| k.container() == records) =>
        {
            check_review(was, path, [records, record], rest, action, role, author)
        }
        [attachments, id, rest @ ..] if attachments == ATTACHMENTS => {
            let new = was(&[ATTACHMENTS, id.as_str()]) == Found::Missing;
            let allowed = match (rest, action) {
                ([], OpAction::MakeMap) => new,
                ([], OpAction::Delete) => true,
                ([f], OpAction::Put(v)) if f == "by" => new && v.as_str() == Some(author),
                ([f], _) if f == "caption" => true,
                (_, _) => new,
            };
            if allowed {
                Ok(())
            } else {
                Err(refuse(path, Reason::AttachmentFixed))
            }
        }
        [household, status] if household == "household" && status == "status" => {
            let closed = Found::Scalar(Json::String(CaseStatus::Closed.code().into()));
            let reopens = was(&["household", "status"]) == closed
                && !matches!(action, OpAction::Put(Json::String(s)) if s == CaseStatus::Closed.code());
            if reopens && !role.reviews() {
                Err(refuse(path, Reason::ReopenBySupervisorOnly))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn check_review(
    was: impl Fn(&[&str]) -> Found,
    path: &[String],
    record: [&String; 2],
    rest: &[String],
    action: &OpAction,
    role: Role,
    author: &str,
) -> Result<(), Refusal> {
    let reviewer_ok = |v: &Json| v.is_null() || v.as_str() == Some(author);
    if role.reviews() {
        return match (rest, action) {
            ([field], OpAction::Put(v)) if field == "reviewer" && !reviewer_ok(v) => {
                Err(refuse(path, Reason::ReviewerNotSelf))
            }
            _ => Ok(()),
        };
    }
    let new_record = was(&[record[0].as_str(), record[1].as_str(), "review"]) == Found::Missing;
    let allowed = match (rest, action) {
        // The review map a new record starts with, and its empty parts.
        ([], OpAction::MakeMap) => new_record,
        ([f], OpAction::Put(Json::String(s))) if f == "state" => {
            [ReviewState::Draft.code(), ReviewState::Submitted.code()].contains(&s.as_str())
        }
        ([f], OpAction::Put(Json::Null)) if f == "reviewer" || f == "at" => new_record,
        ([f], OpAction::MakeText) if f == "comment" => new_record,
        ([f], OpAction::MakeList) if f == "approved_heads" => new_record,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(refuse(path, Reason::ReviewBySupervisorOnly))
    }
}
