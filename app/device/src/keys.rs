//! The database key: 256 random bits made at enrolment, kept on disk only
//! wrapped (AES-256-GCM) by a key derived from the worker's PIN with
//! Argon2id, and wrapped a second time by the device's unlock secret, which
//! only the server keeps. Wrong PINs are refused with a growing wait; after
//! [`MAX_WRONG_PINS`] in a row the PIN's wrapping is deleted and only the
//! server can open the device again (with a one-time unlock code and a new
//! PIN; nothing unsynced is lost). Platform keystores (Android Keystore,
//! iOS Keychain) can hold the wrapping key later; here the PIN is the only
//! way in offline.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The key file in the device home.
pub const KEY_FILE: &str = "key.json";

/// Wrong PINs allowed before a wait is imposed.
pub const FREE_ATTEMPTS: u32 = 3;

/// Wrong PINs in a row after which the device needs the server to open
/// again (when it has an unlock secret: every device enrolled since they
/// exist).
pub const MAX_WRONG_PINS: u32 = 10;

/// Why the key could not be had.
#[derive(Debug)]
pub enum KeyError {
    /// No key file: the device is not enrolled (or was wiped).
    NotEnrolled,
    /// The PIN does not open the key.
    WrongPin {
        /// Failed attempts in a row.
        attempts: u32,
    },
    /// Too many wrong PINs: wait.
    Wait {
        /// Seconds left.
        seconds: i64,
    },
    /// A PIN that is too short.
    WeakPin,
    /// Too many wrong PINs: only an unlock code from the server opens the
    /// device again.
    LockedOut,
    /// An unlock secret that does not open this device's key.
    WrongUnlock,
    /// The key file is damaged.
    Damaged(String),
    /// The file system refused.
    Io(PathBuf, std::io::Error),
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    /// Argon2id memory in KiB, iterations, lanes.
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
    nonce: String,
    wrapped: String,
    /// Wrong PINs in a row, and when the last one was (ms).
    failures: u32,
    last_failure_ms: i64,
    /// The boot the last wrong PIN was in, and the boot clock then (ms
    /// since the system started, which moving the wall clock does not
    /// change); empty where the platform has no such clock.
    #[serde(default)]
    boot_id: String,
    #[serde(default)]
    boot_ms: i64,
    /// The key wrapped by the device's unlock secret (which only the
    /// server keeps): nonce and sealed key, hex; empty for a device
    /// enrolled before unlock secrets.
    #[serde(default)]
    server_nonce: String,
    #[serde(default)]
    server_wrapped: String,
    /// Too many wrong PINs: the PIN's wrapping is gone.
    #[serde(default)]
    locked_out: bool,
    /// Where to ask for the unlock secret (nothing secret).
    #[serde(default)]
    recovery: Option<RecoveryTarget>,
}

/// Where a locked-out device asks for its unlock secret: nothing secret,
/// kept readable so it can ask without its store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryTarget {
    /// The server's base URL.
    pub server: String,
    /// Its pinned certificate fingerprint.
    pub fingerprint: String,
    /// The next one, announced ahead of a rotation.
    #[serde(default)]
    pub next_fingerprint: Option<String>,
    /// The device id.
    pub device_id: String,
}

/// What the server gave at enrolment for a later unlock.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The device's unlock secret (forgotten once the key is wrapped).
    pub secret: zeroize::Zeroizing<[u8; 32]>,
    /// Where to ask for it again.
    pub target: RecoveryTarget,
}

/// A clock that moving the wall clock does not move: the boot's id and the
/// milliseconds since it started (Linux and Android: `/proc`; elsewhere
/// none, and the wait rests on the wall clock alone).
pub type BootClock = Option<(String, i64)>;

/// This system's [`BootClock`] now.
pub fn boot_clock() -> BootClock {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let seconds: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    Some((id.trim().to_owned(), (seconds * 1000.0) as i64))
}

/// Key bytes, overwritten with zeros when dropped.
type Secret = zeroize::Zeroizing<[u8; 32]>;

/// The database key, unlocked.
#[derive(Debug, Clone)]
pub struct DbKey(Secret);

impl DbKey {
    /// The key as SQLCipher's raw-key literal: `x'<64 hex>'`.
    pub fn sqlcipher_literal(&self) -> String {
        format!("x'{}'", hex::encode(*self.0))
    }
}

fn random<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| KeyError::Damaged("getrandom".into()))?;
    Ok(b)
}

fn derive(pin: &str, salt: &[u8], m_kib: u32, t: u32, p: u32) -> Result<Secret, KeyError> {
    let params =
        Params::new(m_kib, t, p, Some(32)).map_err(|e| KeyError::Damaged(e.to_string()))?;
    let mut out = Secret::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, out.as_mut_slice())
        .map_err(|e| KeyError::Damaged(e.to_string()))?;
    Ok(out)
}

fn path(home: &Path) -> PathBuf {
    home.join(KEY_FILE)
}

fn read(home: &Path) -> Result<KeyFile, KeyError> {
    let p = path(home);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::NotEnrolled),
        Err(e) => return Err(KeyError::Io(p, e)),
    };
    serde_json::from_str(&text).map_err(|e| KeyError::Damaged(e.to_string()))
}

fn write(home: &Path, file: &KeyFile) -> Result<(), KeyError> {
    let p = path(home);
    let tmp = home.join("key.json.tmp");
    let text = serde_json::to_string_pretty(file).map_err(|e| KeyError::Damaged(e.to_string()))?;
    std::fs::write(&tmp, text).map_err(|e| KeyError::Io(tmp.clone(), e))?;
    // Only this user may read even the wrapped key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| KeyError::Io(tmp.clone(), e))?;
    }
    std::fs::rename(&tmp, &p).map_err(|e| KeyError::Io(p, e))
}

/// Whether a key exists in `home`.
pub fn exists(home: &Path) -> bool {
    path(home).exists()
}

/// Digits a PIN has at least.
pub const MIN_PIN_DIGITS: usize = 6;
/// Characters a passphrase (anything but digits only) has at least.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Whether `pin` may protect a device: at least six digits that are not
/// all the same and not a run (123456, 987654), or a passphrase of at least
/// eight characters. A thief with the key file tries PINs offline at the
/// speed of Argon2id: six digits are a million tries, four only ten
/// thousand. (Unlocking takes any PIN set before this rule.)
pub fn pin_is_strong(pin: &str) -> bool {
    let digits: Vec<u8> = pin.bytes().collect();
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        let steps: Vec<i16> = digits
            .windows(2)
            .map(|w| i16::from(w[1]) - i16::from(w[0]))
            .collect();
        let run = |step: i16| steps.iter().all(|s| *s == step);
        digits.len() >= MIN_PIN_DIGITS && !run(0) && !run(1) && !run(-1)
    } else {
        pin.trim().chars().count() >= MIN_PASSPHRASE_CHARS
    }
}

/// Makes a new random database key wrapped by `pin`.
pub fn create(home: &Path, pin: &str) -> Result<DbKey, KeyError> {
    create_with(home, pin, None)
}

/// Seals `key` with `kek` under `aad`: (nonce, sealed) in hex.
fn seal(kek: &[u8], aad: &'static [u8], key: &[u8; 32]) -> Result<(String, String), KeyError> {
    let nonce = random::<12>()?;
    let sealing = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek).map_err(|_| KeyError::Damaged("aead".into()))?,
    );
    let mut data = key.to_vec();
    sealing
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut data,
        )
        .map_err(|_| KeyError::Damaged("aead".into()))?;
    Ok((hex::encode(nonce), hex::encode(&data)))
}

/// Opens what [`seal`] made; `None` when `kek` is not the one.
fn open_sealed(
    kek: &[u8],
    aad: &'static [u8],
    nonce: &str,
    sealed: &str,
) -> Result<Option<Secret>, KeyError> {
    let bad = |e: hex::FromHexError| KeyError::Damaged(e.to_string());
    let nonce: [u8; 12] = hex::decode(nonce)
        .map_err(bad)?
        .try_into()
        .map_err(|_| KeyError::Damaged("nonce".into()))?;
    // Holds the key in the clear once opened: zeroed when dropped.
    let mut data = zeroize::Zeroizing::new(hex::decode(sealed).map_err(bad)?);
    let opening = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek).map_err(|_| KeyError::Damaged("aead".into()))?,
    );
    match opening.open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut data,
    ) {
        Ok(plain) if plain.len() == 32 => {
            let mut key = Secret::new([0u8; 32]);
            key.copy_from_slice(plain);
            Ok(Some(key))
        }
        _ => Ok(None),
    }
}

const PIN_AAD: &[u8] = b"brug-db-key";
const SERVER_AAD: &[u8] = b"brug-db-key-server";

/// Makes a new random database key wrapped by `pin` and, when the server
/// gave one, by the device's unlock secret.
pub fn create_with(home: &Path, pin: &str, recovery: Option<&Recovery>) -> Result<DbKey, KeyError> {
    if !pin_is_strong(pin) {
        return Err(KeyError::WeakPin);
    }
    let key = Secret::new(random::<32>()?);
    let salt = random::<16>()?;
    // OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let (m_kib, t, p) = (19 * 1024, 2, 1);
    let kek = derive(pin, &salt, m_kib, t, p)?;
    let (nonce, wrapped) = seal(kek.as_slice(), PIN_AAD, &key)?;
    let (server_nonce, server_wrapped) = match recovery {
        Some(r) => seal(r.secret.as_slice(), SERVER_AAD, &key)?,
        None => (String::new(), String::new()),
    };
    write(
        home,
        &KeyFile {
            m_kib,
            t,
            p,
            salt: hex::encode(salt),
            nonce,
            wrapped,
            failures: 0,
            last_failure_ms: 0,
            boot_id: String::new(),
            boot_ms: 0,
            server_nonce,
            server_wrapped,
            locked_out: false,
            recovery: recovery.map(|r| r.target.clone()),
        },
    )?;
    Ok(DbKey(key))
}

/// Where a locked-out device asks for its unlock secret, if it can.
pub fn recovery_target(home: &Path) -> Result<Option<RecoveryTarget>, KeyError> {
    Ok(read(home)?.recovery)
}

/// Whether the device is locked out (too many wrong PINs).
pub fn locked_out(home: &Path) -> bool {
    read(home).is_ok_and(|f| f.locked_out)
}

/// Keeps the recovery target's certificates in step with the device's pins
/// (after a rotation the old fingerprint would no longer reach the server).
pub fn follow_pins(home: &Path, fingerprint: &str, next: Option<&str>) -> Result<(), KeyError> {
    let _turn = attempt_lock(home)?;
    let mut file = read(home)?;
    let Some(target) = file.recovery.as_mut() else {
        return Ok(());
    };
    if target.fingerprint == fingerprint && target.next_fingerprint.as_deref() == next {
        return Ok(());
    }
    fingerprint.clone_into(&mut target.fingerprint);
    target.next_fingerprint = next.map(str::to_owned);
    write(home, &file)
}

/// Opens a locked-out device with the unlock secret the server handed back
/// and wraps its key with `new_pin`: the same key, so the store and every
/// unsynced change in it open as before.
pub fn recover(home: &Path, secret: &[u8], new_pin: &str) -> Result<DbKey, KeyError> {
    if !pin_is_strong(new_pin) {
        return Err(KeyError::WeakPin);
    }
    let _turn = attempt_lock(home)?;
    let mut file = read(home)?;
    if file.server_wrapped.is_empty() || secret.len() != 32 {
        return Err(KeyError::WrongUnlock);
    }
    let Some(key) = open_sealed(secret, SERVER_AAD, &file.server_nonce, &file.server_wrapped)?
    else {
        return Err(KeyError::WrongUnlock);
    };
    let salt = random::<16>()?;
    let (m_kib, t, p) = (19 * 1024, 2, 1);
    let kek = derive(new_pin, &salt, m_kib, t, p)?;
    (file.nonce, file.wrapped) = seal(kek.as_slice(), PIN_AAD, &key)?;
    file.salt = hex::encode(salt);
    (file.m_kib, file.t, file.p) = (m_kib, t, p);
    file.failures = 0;
    file.boot_id.clear();
    file.locked_out = false;
    write(home, &file)?;
    Ok(DbKey(key))
}

/// Seconds to wait after `failures` wrong PINs in a row: none for the
/// first three, then 30 s doubling up to an hour.
pub fn wait_after(failures: u32) -> i64 {
    if failures < FREE_ATTEMPTS {
        0
    } else {
        (30_i64 << (failures - FREE_ATTEMPTS).min(7)).min(3600)
    }
}

/// The Argon2id parameters a key file may name: never below what `create`
/// writes, never so high that unlocking could exhaust a phone's memory or
/// time (a key file edited to ask for 4 GiB is damaged, not obeyed).
const MIN_M_KIB: u32 = 19 * 1024;
const MAX_M_KIB: u32 = 256 * 1024;
const MAX_T: u32 = 10;
const MAX_P: u32 = 4;

fn params_in_bounds(file: &KeyFile) -> Result<(), KeyError> {
    let ok = (MIN_M_KIB..=MAX_M_KIB).contains(&file.m_kib)
        && (1..=MAX_T).contains(&file.t)
        && (1..=MAX_P).contains(&file.p);
    if ok {
        Ok(())
    } else {
        Err(KeyError::Damaged(format!(
            "Argon2id-parameters buiten de grenzen / parameters out of bounds (m={} KiB, t={}, p={})",
            file.m_kib, file.t, file.p
        )))
    }
}

/// Unwraps the database key with `pin`, counting wrong PINs.
pub fn unlock(home: &Path, pin: &str, now_ms: i64) -> Result<DbKey, KeyError> {
    unlock_with(home, pin, now_ms, &boot_clock())
}

/// Milliseconds still to wait before another PIN may be tried.
fn wait_left(file: &KeyFile, now_ms: i64, boot: &BootClock) -> i64 {
    let wait_ms = wait_after(file.failures) * 1000;
    if wait_ms == 0 {
        return 0;
    }
    // By the wall clock, never more than the wait itself (a clock set back
    // by years must not lock the worker out for years).
    let by_wall = (file.last_failure_ms + wait_ms - now_ms).min(wait_ms);
    // By the boot clock, when the last wrong PIN was in this same boot:
    // moving the wall clock ahead does not end the wait.
    let by_boot = match boot {
        Some((id, ms)) if !file.boot_id.is_empty() && *id == file.boot_id => {
            (file.boot_ms + wait_ms - ms).min(wait_ms)
        }
        _ => 0,
    };
    by_wall.max(by_boot).max(0)
}

/// [`unlock`] with the boot clock given (tests move it).
pub fn unlock_with(
    home: &Path,
    pin: &str,
    now_ms: i64,
    boot: &BootClock,
) -> Result<DbKey, KeyError> {
    // One attempt at a time: parallel attempts each count, none slips past
    // the wait by reading the counter before another wrote it.
    let _turn = attempt_lock(home)?;
    let mut file = read(home)?;
    if file.locked_out || (file.wrapped.is_empty() && !file.server_wrapped.is_empty()) {
        return Err(KeyError::LockedOut);
    }
    params_in_bounds(&file)?;
    let left = wait_left(&file, now_ms, boot);
    if left > 0 {
        return Err(KeyError::Wait {
            seconds: (left + 999) / 1000,
        });
    }
    let salt = hex::decode(&file.salt).map_err(|e| KeyError::Damaged(e.to_string()))?;
    let kek = derive(pin, &salt, file.m_kib, file.t, file.p)?;
    if let Some(key) = open_sealed(kek.as_slice(), PIN_AAD, &file.nonce, &file.wrapped)? {
        if file.failures > 0 {
            file.failures = 0;
            file.boot_id.clear();
            write(home, &file)?;
        }
        return Ok(DbKey(key));
    }
    file.failures += 1;
    file.last_failure_ms = now_ms;
    (file.boot_id, file.boot_ms) = boot.clone().unwrap_or_default();
    // Too many in a row: the PIN's wrapping goes, only the server's remains.
    if file.failures >= MAX_WRONG_PINS && !file.server_wrapped.is_empty() {
        file.wrapped.clear();
        file.nonce.clear();
        file.locked_out = true;
        write(home, &file)?;
        return Err(KeyError::LockedOut);
    }
    write(home, &file)?;
    Err(KeyError::WrongPin {
        attempts: file.failures,
    })
}

/// Takes the device's unlock turn (an exclusive lock on `key.lock`, let go
/// when the returned file is dropped, also if the app dies).
fn attempt_lock(home: &Path) -> Result<std::fs::File, KeyError> {
    let p = home.join("key.lock");
    let mut open = std::fs::OpenOptions::new();
    open.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let file = open.open(&p).map_err(|e| KeyError::Io(p.clone(), e))?;
    file.lock().map_err(|e| KeyError::Io(p, e))?;
    Ok(file)
}

/// Removes the key: without it the database cannot be read.
pub fn wipe(home: &Path) -> Result<(), KeyError> {
    let _ = std::fs::remove_file(home.join("key.lock"));
    let p = path(home);
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(KeyError::Io(p, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_pin_opens_the_key_and_a_wrong_one_does_not() {
        let home = tempfile::tempdir().unwrap();
        let key = create(home.path(), "482193").unwrap();
        let again = unlock(home.path(), "482193", 0).unwrap();
        assert_eq!(key.sqlcipher_literal(), again.sqlcipher_literal());
        assert!(matches!(
            unlock(home.path(), "1111", 0),
            Err(KeyError::WrongPin { attempts: 1 })
        ));
        // The key file never holds the key in the clear, and only its owner reads it.
        let text = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!text.contains(&key.sqlcipher_literal()[2..66]));
    }

    #[test]
    fn repeated_wrong_pins_impose_a_growing_wait() {
        let home = tempfile::tempdir().unwrap();
        create(home.path(), "482193").unwrap();
        let t0 = 1_000_000;
        let no_boot_clock = None;
        for i in 1..=3 {
            assert!(
                matches!(unlock_with(home.path(), "0000", t0, &no_boot_clock), Err(KeyError::WrongPin { attempts }) if attempts == i)
            );
        }
        // Now even the right PIN must wait 30 s.
        assert!(matches!(
            unlock_with(home.path(), "482193", t0 + 1_000, &no_boot_clock),
            Err(KeyError::Wait { seconds: 29 })
        ));
        assert!(unlock_with(home.path(), "482193", t0 + 31_000, &no_boot_clock).is_ok());
        assert!(wait_after(4) > wait_after(3) && wait_after(20) == 3600);
    }

    #[test]
    fn moving_the_wall_clock_does_not_end_the_wait_nor_make_it_longer() {
        let home = tempfile::tempdir().unwrap();
        create(home.path(), "482193").unwrap();
        let t0: i64 = 1_780_000_000_000;
        let boot = |id: &str, ms: i64| Some((id.to_owned(), ms));
        for _ in 0..3 {
            let _ = unlock_with(home.path(), "000000", t0, &boot("a", 5_000));
        }
        // The wall clock set a day ahead, one second later by the boot
        // clock: still waiting.
        let day = 86_400_000;
        assert!(matches!(
            unlock_with(home.path(), "482193", t0 + day, &boot("a", 6_000)),
            Err(KeyError::Wait { seconds: 29 })
        ));
        // Set back ten years: the wait is never longer than 30 s.
        assert!(matches!(
            unlock_with(home.path(), "482193", t0 - 3650 * day, &boot("a", 6_000)),
            Err(KeyError::Wait { seconds: 30 })
        ));
        // After a restart of the system only the wall clock is left.
        assert!(matches!(
            unlock_with(home.path(), "482193", t0 + 1_000, &boot("b", 100)),
            Err(KeyError::Wait { seconds: 29 })
        ));
        // The wait over by the boot clock: the right PIN opens.
        assert!(unlock_with(home.path(), "482193", t0 + day, &boot("a", 5_000 + 30_000)).is_ok());
    }

    #[test]
    fn parallel_wrong_pins_each_count_and_none_slips_past_the_wait() {
        let home = tempfile::tempdir().unwrap();
        create(home.path(), "482193").unwrap();
        let t0 = 1_000_000;
        let results: Vec<Result<DbKey, KeyError>> = std::thread::scope(|s| {
            let tries: Vec<_> = (0..5)
                .map(|_| s.spawn(|| unlock_with(home.path(), "000000", t0, &None)))
                .collect();
            tries.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut attempts: Vec<u32> = results
            .iter()
            .filter_map(|r| match r {
                Err(KeyError::WrongPin { attempts }) => Some(*attempts),
                _ => None,
            })
            .collect();
        attempts.sort_unstable();
        assert_eq!(attempts, vec![1, 2, 3], "{results:?}");
        let waits = results
            .iter()
            .filter(|r| matches!(r, Err(KeyError::Wait { .. })))
            .count();
        assert_eq!(waits, 2, "{results:?}");
    }

    fn recovery(secret: [u8; 32]) -> Recovery {
        Recovery {
            secret: zeroize::Zeroizing::new(secret),
            target: RecoveryTarget {
                server: "https://brug.example".into(),
                fingerprint: "ab".repeat(32),
                next_fingerprint: None,
                device_id: "d1".into(),
            },
        }
    }

    /// `n` wrong PINs, each after the wait of the one before (by the wall
    /// clock; no boot clock).
    fn wrong_pins(home: &Path, first: u32, n: u32) -> KeyError {
        let mut last = None;
        for i in first..first + n {
            let now = i64::from(i) * 7_200_000;
            last = unlock_with(home, "000000", now, &None).err();
        }
        last.expect("refused")
    }

    #[test]
    fn too_many_wrong_pins_lock_the_device_until_the_servers_secret_and_a_new_pin() {
        let home = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let key = create_with(home.path(), "482193", Some(&recovery(secret))).unwrap();
        assert!(matches!(
            wrong_pins(home.path(), 0, MAX_WRONG_PINS - 1),
            KeyError::WrongPin { attempts: 9 }
        ));
        assert!(matches!(
            wrong_pins(home.path(), MAX_WRONG_PINS - 1, 1),
            KeyError::LockedOut
        ));
        assert!(locked_out(home.path()));
        // Now even the right PIN, at any time, is refused: the PIN's
        // wrapping is gone from the file.
        let far = 10 * 86_400_000;
        assert!(matches!(
            unlock_with(home.path(), "482193", far, &None),
            Err(KeyError::LockedOut)
        ));
        let text = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["wrapped"], "", "{text}");
        // Editing `locked_out` back does not help: nothing left to open.
        let edited = text.replace("\"locked_out\": true", "\"locked_out\": false");
        std::fs::write(home.path().join(KEY_FILE), edited).unwrap();
        assert!(matches!(
            unlock_with(home.path(), "482193", far, &None),
            Err(KeyError::LockedOut)
        ));
        // Another secret does not fit; the server's does, with a new PIN.
        assert!(matches!(
            recover(home.path(), &[8u8; 32], "246813"),
            Err(KeyError::WrongUnlock)
        ));
        assert!(matches!(
            recover(home.path(), &secret, "1234"),
            Err(KeyError::WeakPin)
        ));
        let again = recover(home.path(), &secret, "246813").unwrap();
        assert_eq!(
            again.sqlcipher_literal(),
            key.sqlcipher_literal(),
            "the same key"
        );
        assert!(!locked_out(home.path()));
        assert!(unlock_with(home.path(), "246813", far, &None).is_ok());
        assert!(matches!(
            unlock_with(home.path(), "482193", far, &None),
            Err(KeyError::WrongPin { attempts: 1 })
        ));
    }

    #[test]
    fn a_device_without_an_unlock_secret_keeps_waiting_and_is_never_locked_out() {
        let home = tempfile::tempdir().unwrap();
        create(home.path(), "482193").unwrap();
        assert!(matches!(
            wrong_pins(home.path(), 0, MAX_WRONG_PINS + 2),
            KeyError::WrongPin { attempts: 12 }
        ));
        assert!(unlock_with(home.path(), "482193", 30 * 86_400_000, &None).is_ok());
    }

    #[test]
    fn a_key_file_edited_to_ask_for_huge_or_no_work_is_damaged_not_obeyed() {
        let home = tempfile::tempdir().unwrap();
        create(home.path(), "482193").unwrap();
        let original = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
        for (field, value) in [
            ("m_kib", 4_000_000u64),
            ("m_kib", 8),
            ("t", 0),
            ("t", 1_000),
            ("p", 64),
        ] {
            let mut json: serde_json::Value = serde_json::from_str(&original).unwrap();
            json[field] = value.into();
            std::fs::write(home.path().join(KEY_FILE), json.to_string()).unwrap();
            // Refused before any derivation: no 4 GiB allocated, no wait.
            assert!(
                matches!(unlock(home.path(), "482193", 0), Err(KeyError::Damaged(_))),
                "{field} = {value}"
            );
        }
        std::fs::write(home.path().join(KEY_FILE), original).unwrap();
        assert!(unlock(home.path(), "482193", 0).is_ok());
    }

    #[test]
    fn a_short_or_guessable_pin_is_refused() {
        let home = tempfile::tempdir().unwrap();
        for weak in [
            "12", "4821", "48219", "111111", "123456", "987654", "abc", "  kort  ",
        ] {
            assert!(
                matches!(create(home.path(), weak), Err(KeyError::WeakPin)),
                "{weak:?} refused"
            );
        }
        assert!(!exists(home.path()), "nothing written for a weak PIN");
        for strong in ["482193", "0123457", "zon op de Leie"] {
            assert!(pin_is_strong(strong), "{strong:?} taken");
        }
    }
}
