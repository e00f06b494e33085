//! A certificate rotation without enrolling devices again: the next
//! certificate is staged while the server serves, every device that syncs
//! learns its fingerprint over its pinned connection, the server switches
//! and starts again on the same address, and those devices sync on (and
//! take the new one as their pin). A device that did not sync in between
//! is refused with the fingerprint error, as a stranger's certificate is.
//! The key files stay private through it all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use brug_device::DeviceError;
use brug_device::net::NetError;
use brug_device::sync::SyncError;
use brug_sync_server::tls::{self, TlsSource};
use brug_sync_server::{Config, enrolment};
use brug_tests::{Stack, Team};

#[tokio::test]
async fn a_rotated_certificate_needs_no_new_enrolment_for_devices_that_synced_in_between() {
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut adviser,
        ann,
        ..
    } = stack.team().await;
    worker.device.sync(&mut |_| {}).await.unwrap();
    adviser.device.sync(&mut |_| {}).await.unwrap();
    let first = worker.device.info().fingerprint.clone();
    let Stack { server, data, .. } = stack;
    let addr = server.addr;

    // Staged while serving; the worker syncs and learns it, the adviser
    // stays away.
    let staged = tls::stage_next(data.path(), &TlsSource::SelfSigned, &[], None).unwrap();
    let next = staged.next.clone().expect("a next certificate");
    assert_eq!(staged.served, first);
    assert_ne!(next, first);
    worker.device.sync(&mut |_| {}).await.unwrap();
    assert_eq!(
        worker.device.info().next_fingerprint.as_deref(),
        Some(next.as_str())
    );
    assert_eq!(worker.device.info().fingerprint, first, "still the old pin");
    // A backup now keeps the staged pair: a server restored from it still
    // serves what the devices were told.
    let backup = tempfile::tempdir().unwrap();
    let backup = backup.path().join("backup");
    brug_sync_server::backup::backup(
        &brug_sync_server::db::Db::open(data.path()).unwrap().lock(),
        data.path(),
        &backup,
    )
    .unwrap();
    assert_eq!(
        tls::next_fingerprint(&backup).as_deref(),
        Some(next.as_str()),
        "the backup holds the staged certificate"
    );

    // The switch, and the server on the same address again.
    server.shutdown().await.unwrap();
    let rotated = tls::rotate(data.path(), &TlsSource::SelfSigned).unwrap();
    assert_eq!(rotated.served, next);
    assert_eq!(rotated.next, None);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(data.path().join("tls").join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("key.pem"), 0o600, "the new key");
        assert_eq!(mode("previous-key.pem"), 0o600, "the old key, kept");
        assert_eq!(
            std::fs::metadata(data.path().join("tls"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
    let mut config = Config::new(data.path());
    config.admin_poll = std::time::Duration::from_millis(50);
    let server = brug_sync_server::spawn(config, addr).await.unwrap();
    assert_eq!(server.fingerprint, next);

    // The worker syncs on and now pins the new certificate alone.
    worker
        .device
        .create_case(&brug_shared::model::examples::household())
        .unwrap();
    let report = worker.device.sync(&mut |_| {}).await.unwrap();
    assert_eq!(report.synced.len(), 1);
    assert_eq!(worker.device.info().fingerprint, next);
    assert_eq!(worker.device.info().next_fingerprint, None);

    // The adviser never heard of it: refused as a stranger's certificate
    // would be (a new enrolment brings the new pin).
    let refused = adviser.device.sync(&mut |_| {}).await.unwrap_err();
    assert!(
        matches!(
            refused,
            DeviceError::Sync(SyncError::Net(NetError::FingerprintMismatch))
        ),
        "{refused:?}"
    );
    let url = enrolment::new_enrolment(
        &brug_sync_server::db::Db::open(data.path()).unwrap().lock(),
        data.path(),
        &TlsSource::SelfSigned,
        &ann,
    )
    .unwrap()
    .0;
    assert_eq!(url.fingerprint, next, "new codes carry the new certificate");
    server.shutdown().await.unwrap();
}
