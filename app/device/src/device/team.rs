//! The supervisor's line to the server's team routes.

use brug_shared::protocol::{quarantine, team};
use uuid::Uuid;

use super::DeviceError;
use crate::net::{self, Endpoint};

/// The supervisor's line to the server's team routes: members, assigning
/// cases, enrolment codes for a member's new device. Needs a connection;
/// cheap to clone and to move into a background task.
#[derive(Debug, Clone)]
pub struct TeamLink {
    pub(super) endpoint: Endpoint,
    pub(super) token: String,
}

impl TeamLink {
    /// The team, and who is assigned to `case`.
    pub async fn team(&self, case: Option<Uuid>) -> Result<team::Team, DeviceError> {
        let req = team::MembersRequest { case };
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/members", &req).await?)
    }

    /// Gives `case` to `user` (or takes it away); returns the team with the
    /// case's assignees after the change.
    pub async fn assign(
        &self,
        case: Uuid,
        user: &str,
        assign: bool,
    ) -> Result<team::Team, DeviceError> {
        let req = team::AssignRequest {
            case,
            user: user.to_owned(),
            assign,
        };
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/assign", &req).await?)
    }

    /// Erases part of a case of the team, or all of it (GDPR; the server
    /// checks that this user is a supervisor of the case's team and that a
    /// reason is given). Every device that holds the case replaces its copy
    /// at its next sync (docs/gdpr.md).
    pub async fn erase(&self, request: &team::EraseRequest) -> Result<team::Erased, DeviceError> {
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/erase", request).await?)
    }

    /// Unsynced work handed over by devices that lost a case, of this
    /// supervisor's team, undecided first.
    pub async fn quarantine(&self) -> Result<Vec<quarantine::Entry>, DeviceError> {
        Ok(net::team_request(
            &self.endpoint,
            &self.token,
            "/v1/team/quarantine",
            &serde_json::json!({}),
        )
        .await?)
    }

    /// Merges quarantine entry `id` into its case (`merge`), or discards it.
    pub async fn decide(&self, id: i64, merge: bool) -> Result<quarantine::Entry, DeviceError> {
        let req = quarantine::Decide { id, merge };
        Ok(net::team_request(
            &self.endpoint,
            &self.token,
            "/v1/team/quarantine/decide",
            &req,
        )
        .await?)
    }

    /// A one-time enrolment code for a new device of `user`.
    pub async fn enrol_code(&self, user: &str) -> Result<team::EnrolCode, DeviceError> {
        let req = team::EnrolCodeRequest {
            user: user.to_owned(),
        };
        Ok(net::team_request(&self.endpoint, &self.token, "/v1/team/enrol-code", &req).await?)
    }
}
