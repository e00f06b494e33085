//! Rules for the supervisor's review.

use super::Finding;
use crate::model::ReviewState;

/// Whether review may move from `from` to `to`: draft → submitted →
/// approved or returned; returned → submitted; approved → submitted (an edit).
pub fn review_transition_allowed(from: ReviewState, to: ReviewState) -> bool {
    use ReviewState::*;
    matches!(
        (from, to),
        (Draft, Submitted)
            | (Submitted, Approved)
            | (Submitted, Returned)
            | (Returned, Submitted)
            | (Approved, Submitted)
    )
}

/// Checks a review step; returning a record needs a comment.
pub fn check_review(from: ReviewState, to: ReviewState, comment: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if !review_transition_allowed(from, to) {
        out.push(Finding::error(
            "review.transition",
            "review.state",
            format!(
                "Een record kan niet van '{}' naar '{}'.",
                from.label(crate::model::Lang::Nl),
                to.label(crate::model::Lang::Nl)
            ),
            format!(
                "A record cannot go from '{}' to '{}'.",
                from.label(crate::model::Lang::En),
                to.label(crate::model::Lang::En)
            ),
        ));
    }
    if to == ReviewState::Returned && comment.trim().is_empty() {
        out.push(Finding::error(
            "review.return-needs-comment",
            "review.comment",
            "Zeg bij het terugsturen wat er moet veranderen.",
            "Say what must change when returning a record.",
        ));
    }
    out
}
