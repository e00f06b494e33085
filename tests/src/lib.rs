//! brug-tests: whole-system scenarios (server + several devices), fault and
//! load tests. They arrive with the sync-server and device-core issues.
