//! The supervisor's team routes over HTTPS, authenticated by the device
//! token like `/v1/sync`: the team's members (and who works a case),
//! assigning a case, and a one-time enrolment code for a member's new
//! device. Only supervisors may use them, for their own team.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /v1/team/members`: the team, and who is assigned to `case`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersRequest {
    /// A case to list the assignees of.
    #[serde(default)]
    pub case: Option<Uuid>,
}

/// One member of the supervisor's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// User id ("ann.peeters").
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role code ("bridge-worker", ...).
    pub role: String,
}

/// The team, and the users assigned to the asked case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Every member of the team.
    pub members: Vec<Member>,
    /// User ids assigned to the case (empty without a case).
    pub assigned: Vec<String>,
}

/// `POST /v1/team/assign`: give (or take away) a case to a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignRequest {
    /// The case.
    pub case: Uuid,
    /// The member.
    pub user: String,
    /// True to assign, false to take the case away.
    pub assign: bool,
}

/// `POST /v1/team/enrol-code`: a one-time code for a member's new device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolCodeRequest {
    /// The member.
    pub user: String,
}

/// The code as the `brug://enrol?...` URL a QR code carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolCode {
    /// The enrolment URL.
    pub url: String,
    /// When the code stops working (ms since the epoch).
    pub expires_ms: i64,
}

/// `POST /v1/team/catalogue` and `/v1/team/activities`: a team document
/// (the referral catalogue, the collective activities), synced. The
/// device sends what it has that the server may not (automerge changes,
/// hex) and the heads it last had from the server; the server merges, and
/// answers with its heads and the changes the device lacks. With nothing
/// changed on either side, both carry only heads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDocSync {
    /// The server's heads as the device last received them (empty: none).
    pub known: Vec<String>,
    /// Changes made on the device since `known`, hex; `None` for none.
    #[serde(default)]
    pub changes: Option<String>,
}

/// The answer to [`TeamDocSync`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDocReply {
    /// The server's heads after the merge.
    pub heads: Vec<String>,
    /// Changes the device lacks, hex; `None` when it has them all.
    #[serde(default)]
    pub changes: Option<String>,
}

/// `POST /v1/team/erase`: a supervisor erases part of a case of the team,
/// or all of it (docs/gdpr.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EraseRequest {
    /// The case.
    pub case: Uuid,
    /// Household members to erase.
    #[serde(default)]
    pub members: Vec<Uuid>,
    /// Fields to erase, by path with `/` between keys.
    #[serde(default)]
    pub fields: Vec<String>,
    /// The whole case (only when nothing else is named).
    #[serde(default)]
    pub whole_case: bool,
    /// Why (required; kept in the audit log).
    pub reason: String,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    /// The case.
    pub case: Uuid,
    /// Its new generation (`None`: the whole case was erased).
    pub generation: Option<u64>,
    /// The paths erased.
    pub erased: Vec<String>,
}
