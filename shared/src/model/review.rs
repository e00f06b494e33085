//! The supervisor's review of a record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::labelled_enum;

labelled_enum! {
    /// Where a record stands in review.
    ReviewState {
        Draft = "draft", "klad", "draft";
        Submitted = "submitted", "ingediend", "submitted";
        Approved = "approved", "goedgekeurd", "approved";
        Returned = "returned", "teruggestuurd", "returned";
    }
}

/// A record's review: state, reviewer, time, comment and the document heads
/// at approval, so the app can show exactly what changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Current state.
    pub state: ReviewState,
    /// Who reviewed last (user id).
    #[serde(default)]
    pub reviewer: Option<String>,
    /// When the last review happened.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The reviewer's comment (required when returning).
    #[serde(default)]
    pub comment: String,
    /// Document heads (hex change hashes) at approval.
    #[serde(default)]
    pub approved_heads: Vec<String>,
}

impl Default for Review {
    fn default() -> Self {
        Self {
            state: ReviewState::Draft,
            reviewer: None,
            at: None,
            comment: String::new(),
            approved_heads: Vec::new(),
        }
    }
}
