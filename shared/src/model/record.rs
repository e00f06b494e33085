//! A record of any kind, as one value.

use serde::Serialize;

use super::{
    Consent, EnergyScan, Member, MeterCheck, RecordKind, Referral, RenovationAdvice, Review, Visit,
};

/// One record of any kind a case holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// A household member.
    Member(Member),
    /// A consent.
    Consent(Consent),
    /// A home visit.
    Visit(Visit),
    /// An energy-meter check.
    MeterCheck(MeterCheck),
    /// An energy scan.
    EnergyScan(EnergyScan),
    /// Renovation advice.
    Renovation(RenovationAdvice),
    /// A referral.
    Referral(Referral),
}

impl Record {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Member(_) => RecordKind::Member,
            Self::Consent(_) => RecordKind::Consent,
            Self::Visit(_) => RecordKind::Visit,
            Self::MeterCheck(_) => RecordKind::MeterCheck,
            Self::EnergyScan(_) => RecordKind::EnergyScan,
            Self::Renovation(_) => RecordKind::Renovation,
            Self::Referral(_) => RecordKind::Referral,
        }
    }

    /// Reads a record of the given kind from JSON, saying which field is
    /// wrong when it does not fit.
    pub fn from_json(
        kind: RecordKind,
        value: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            RecordKind::Member => Self::Member(serde_json::from_value(value)?),
            RecordKind::Consent => Self::Consent(serde_json::from_value(value)?),
            RecordKind::Visit => Self::Visit(serde_json::from_value(value)?),
            RecordKind::MeterCheck => Self::MeterCheck(serde_json::from_value(value)?),
            RecordKind::EnergyScan => Self::EnergyScan(serde_json::from_value(value)?),
            RecordKind::Renovation => Self::Renovation(serde_json::from_value(value)?),
            RecordKind::Referral => Self::Referral(serde_json::from_value(value)?),
        })
    }

    /// The record as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        // Serializing plain data structs with string map keys cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The review, to change, for kinds a supervisor reviews.
    pub fn review_mut(&mut self) -> Option<&mut Review> {
        match self {
            Self::Visit(v) => Some(&mut v.review),
            Self::MeterCheck(m) => Some(&mut m.review),
            Self::Renovation(r) => Some(&mut r.review),
            Self::Referral(r) => Some(&mut r.review),
            _ => None,
        }
    }

    /// The review, for kinds a supervisor reviews.
    pub fn review(&self) -> Option<&Review> {
        match self {
            Self::Visit(v) => Some(&v.review),
            Self::MeterCheck(m) => Some(&m.review),
            Self::Renovation(r) => Some(&r.review),
            Self::Referral(r) => Some(&r.review),
            _ => None,
        }
    }
}
