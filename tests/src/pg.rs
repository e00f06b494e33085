//! A throwaway PostgreSQL cluster for tests: `initdb` in a temporary
//! folder, the server on a free loopback port, stopped and removed when the
//! [`PgCluster`] is dropped.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then every
//! PostgreSQL program runs as the `postgres` user Debian's package creates
//! (through `runuser`), and the folder is handed to that user.
//!
//! When PostgreSQL is not installed, [`cluster_or_skip`] says so loudly on
//! stderr and the test returns without checking anything; with
//! `BRUG_REQUIRE_POSTGRES=1` (set by `make test`) a missing PostgreSQL is a
//! failure instead, so CI cannot pass by skipping.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running throwaway cluster.
#[derive(Debug)]
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as: Option<String>,
}

/// The user a cluster runs as when the tests run as root.
const RUN_AS: &str = "postgres";

/// The cluster's superuser (trust authentication on loopback only).
pub const SUPERUSER: &str = "brug";

impl PgCluster {
    /// Starts a fresh cluster, or says why it cannot.
    /// `fsync` is off: tests need a database, not one that survives a power
    /// cut.
    pub fn start() -> Result<Self, String> {
        Self::start_with(None, false)
    }

    /// A cluster that commits durably (`fsync` on), for benchmarks that
    /// compare it with SQLite's durable commits.
    pub fn start_durable() -> Result<Self, String> {
        Self::start_with(None, true)
    }

    /// A cluster that accepts TCP connections over TLS only, with this
    /// certificate and key (PEM).
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Result<Self, String> {
        Self::start_with(Some((cert_pem, key_pem)), false)
    }

    fn start_with(tls: Option<(&str, &str)>, durable: bool) -> Result<Self, String> {
        let bin = bin_dir().ok_or_else(|| {
            "initdb en pg_ctl niet gevonden (apt-get install postgresql) / initdb and pg_ctl not found"
                .to_string()
        })?;
        let root = is_root();
        let run_as = root.then(|| RUN_AS.to_string());
        let dir = tempfile::Builder::new()
            .prefix("brug-pg-")
            .tempdir()
            .map_err(|e| format!("temporary folder: {e}"))?;
        let owner = if root {
            Some(user_ids(RUN_AS).ok_or_else(|| {
                format!("tests run as root and there is no `{RUN_AS}` user to run PostgreSQL as")
            })?)
        } else {
            None
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.path().display()))?;
        }
        let data = dir.path().join("data");
        let mut cluster = Self {
            dir,
            bin,
            port: 0,
            run_as,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )?;
        let mut tls_options = String::new();
        if let Some((cert, key)) = tls {
            // The key must be the server user's and private.
            for (name, pem) in [("server.crt", cert), ("server.key", key)] {
                let path = cluster.dir.path().join(name);
                std::fs::write(&path, pem).map_err(|e| format!("{name}: {e}"))?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("{name}: {e}"))?;
                if let Some((uid, gid)) = owner {
                    std::os::unix::fs::chown(&path, Some(uid), Some(gid))
                        .map_err(|e| format!("chown {name}: {e}"))?;
                }
            }
            // TCP only over TLS; the local socket stays for pg_ctl.
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
            )
            .map_err(|e| format!("pg_hba.conf: {e}"))?;
            tls_options = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                path_str(&cluster.dir.path().join("server.crt"))?,
                path_str(&cluster.dir.path().join("server.key"))?
            );
        }
        // A free port can be taken between asking and starting: try again.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port()?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c max_connections=200 -c fsync={}{tls_options}",
                cluster.port,
                path_str(cluster.dir.path())?,
                if durable { "on" } else { "off" }
            );
            let log = cluster.dir.path().join("server.log");
            match cluster.run(
                "pg_ctl",
                &[
                    "-D",
                    path_str(&data)?,
                    "-l",
                    path_str(&log)?,
                    "-o",
                    &options,
                    "-w",
                    "-t",
                    "120",
                    "start",
                ],
            ) {
                Ok(()) => return Ok(cluster),
                Err(e) => {
                    let tail = std::fs::read_to_string(&log).unwrap_or_default();
                    last = format!("{e}\n{tail}");
                }
            }
        }
        Err(format!("PostgreSQL did not start: {last}"))
    }

    /// The URL of database `db` in this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database and returns its URL (over the cluster's
    /// local socket, so also when TCP needs TLS).
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let local = format!(
            "host={} port={} user={SUPERUSER} dbname=postgres",
            path_str(self.dir.path())?,
            self.port
        );
        let mut client = postgres::Client::connect(&local, postgres::NoTls)
            .map_err(|e| format!("connect: {e}"))?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| format!("create database {name}: {e}"))?;
        Ok(self.url(name))
    }

    /// The loopback port the cluster listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.dir.path().join("data");
            if let Some(data) = data.to_str() {
                let _ = self.run("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
            }
        }
    }
}

/// A cluster for the test `test`, or `None` after saying loudly why the
/// test is skipped. Panics instead when `BRUG_REQUIRE_POSTGRES=1`.
pub fn cluster_or_skip(test: &str) -> Option<PgCluster> {
    match PgCluster::start() {
        Ok(c) => Some(c),
        Err(why) => {
            if std::env::var("BRUG_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("{test}: PostgreSQL is required here (BRUG_REQUIRE_POSTGRES=1): {why}");
            }
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !! {test}: OVERGESLAGEN / SKIPPED, PostgreSQL is er niet:\n\
                 !! {why}\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            None
        }
    }
}

/// Where `initdb` and `pg_ctl` are: `BRUG_PG_BIN`, else the newest
/// `/usr/lib/postgresql/N/bin` (Debian), else `pg_config --bindir`.
fn bin_dir() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("BRUG_PG_BIN").map(PathBuf::from) {
        return has(&d).then_some(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Some(d);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let d = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    has(&d).then_some(d)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|s| s.trim() == "0")
}

fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.first() == Some(&user))
            .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
    })
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("free port: {e}"))
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", p.display()))
}

/// A test's own handle on the cluster's database at `url` (connected on a
/// thread of its own: PostgreSQL's blocking client must not start inside
/// the test's runtime), and the server configuration that uses it.
pub fn server_database(
    url: &str,
) -> (
    brug_sync_server::storage::postgres::PgDb,
    brug_sync_server::Database,
) {
    let owned = url.to_owned();
    let handle = std::thread::spawn(move || {
        brug_sync_server::storage::postgres::PgDb::connect(&owned, 4).unwrap()
    })
    .join()
    .unwrap();
    let database = brug_sync_server::Database {
        url: url.to_owned(),
        ca: None,
        max_connections: 8,
    };
    (handle, database)
}
