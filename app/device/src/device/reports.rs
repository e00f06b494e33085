//! Reports on the device: fetched from the server for a supervisor (own
//! team) or the policy lead (every team, public), the last one kept in the
//! store so it reads offline. The device computes nothing itself: a
//! supervisor's device holds only its own cases, a policy lead's none.

use brug_shared::report::{Breakdown, Query, Report};

use super::{Device, DeviceError, TeamLink};
use crate::local;
use crate::net;

/// A report as the Report screen shows it.
#[derive(Debug)]
pub struct ReportView {
    /// The report.
    pub report: Report,
    /// When it was fetched (ms since the epoch).
    pub fetched_at: i64,
    /// Why a fresh one could not be fetched (then this is the last one).
    pub problem: Option<DeviceError>,
}

/// The URL path and query for `query`.
pub fn report_path(base: &str, query: &Query) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    url.append_pair("from", &query.from.to_string())
        .append_pair("to", &query.to.to_string());
    if query.by != Breakdown::None {
        url.append_pair("by", query.by.code());
    }
    if let Some(team) = &query.team {
        url.append_pair("team", team);
    }
    if query.public {
        url.append_pair("public", "true");
    }
    format!("{base}?{}", url.finish())
}

/// The largest report the device accepts (JSON or Excel).
const MAX_REPORT_BYTES: usize = 16 * 1024 * 1024;

impl TeamLink {
    /// The report for `query`, from the server.
    pub async fn report(&self, query: &Query) -> Result<Report, DeviceError> {
        let bytes = net::get(
            &self.endpoint,
            &self.token,
            &report_path("/v1/report", query),
            MAX_REPORT_BYTES,
        )
        .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| DeviceError::BadInput(format!("rapport van de server: {e}")))
    }

    /// The report for `query` as an Excel workbook, from the server.
    pub async fn report_xlsx(&self, query: &Query) -> Result<Vec<u8>, DeviceError> {
        Ok(net::get(
            &self.endpoint,
            &self.token,
            &report_path("/v1/report/xlsx", query),
            MAX_REPORT_BYTES,
        )
        .await?
        .to_vec())
    }
}

impl Device {
    /// Keeps `report` as the last one fetched (readable offline); returns
    /// when (ms since the epoch, the device's clock). For the policy lead,
    /// who holds no cases, a report fetched is also the check-in that
    /// renews the lease (the server answered with the device's token).
    pub fn keep_report(&self, report: &Report) -> Result<i64, DeviceError> {
        let now = self.now_ms();
        local::put_last_report(self.store.conn(), report, now)?;
        if !self.role()?.holds_cases() {
            let at = now.to_string();
            self.store.set_setting("last_sync_ms", &at)?;
            self.store.set_setting("last_sync_done_ms", &at)?;
        }
        Ok(now)
    }

    /// The last report fetched, with when, if there is one.
    pub fn last_report(&self) -> Result<Option<(Report, i64)>, DeviceError> {
        Ok(local::last_report(self.store.conn())?)
    }
}
