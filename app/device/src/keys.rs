//! The database key: 256 random bits made at enrolment, kept on disk only
//! wrapped (AES-256-GCM) by a key derived from the worker's PIN with
//! Argon2id (mixed with a secret in the platform's keystore where there is
//! one: [`crate::keystore`]), and wrapped a second time by the device's
//! unlock secret, which only the server keeps.
//!
//! Wrong PINs are refused with a growing wait. A device with an unlock
//! secret keeps the PIN's wrapping once per attempt left, each sealed with
//! its attempt number: a wrong PIN deletes the one it was tried against.
//! Editing the key file cannot add an attempt back (that takes the key),
//! so after [`MAX_WRONG_PINS`] wrong PINs in a row only the server can open
//! the device again (with a one-time unlock code and a new PIN; nothing
//! unsynced is lost).

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::keystore::{self, Keystore};

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
    /// The key file names a keystore that does not answer, or no longer
    /// holds this device's secret.
    Keystore(String),
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
    /// The key wrapped by the PIN's key (devices without an unlock secret,
    /// and devices enrolled before [`PinTry`]); empty otherwise.
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    wrapped: String,
    /// The key wrapped by the PIN's key once per attempt left (devices with
    /// an unlock secret).
    #[serde(default)]
    tries: Vec<PinTry>,
    /// The keystore whose secret is mixed into the PIN's key
    /// ([`keystore::PIN_ONLY`]: none), and the item it is kept under.
    #[serde(default)]
    keystore: String,
    #[serde(default)]
    keystore_item: String,
    /// Wrong PINs in a row (for [`PinTry`] devices: as the tries say), and
    /// when the last one was (ms).
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

/// One attempt at the PIN: the key sealed with the number of wrong PINs
/// before it in its authenticated data, so it opens only as that attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PinTry {
    k: u32,
    nonce: String,
    wrapped: String,
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

/// The PIN's key: Argon2id of the PIN, mixed (HMAC-SHA256) with the
/// keystore's secret when the device has one.
fn pin_key(pin: &str, file: &KeyFile, store_secret: Option<&[u8; 32]>) -> Result<Secret, KeyError> {
    let salt = hex::decode(&file.salt).map_err(|e| KeyError::Damaged(e.to_string()))?;
    let stretched = derive(pin, &salt, file.m_kib, file.t, file.p)?;
    let Some(secret) = store_secret else {
        return Ok(stretched);
    };
    let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&mac, stretched.as_slice());
    let mut out = Secret::new([0u8; 32]);
    out.copy_from_slice(tag.as_ref());
    Ok(out)
}

/// The keystore's secret for `file`, when it names one. A keystore that
/// does not answer, or has lost the item, opens nothing (and costs no
/// attempt).
fn store_secret(
    file: &KeyFile,
    store: Option<&dyn Keystore>,
) -> Result<Option<keystore::Secret32>, KeyError> {
    if file.keystore == keystore::PIN_ONLY {
        return Ok(None);
    }
    let unreachable = || {
        KeyError::Keystore(format!(
            "{} antwoordt niet; meld u aan op dit toestel zoals bij de inschrijving / does not answer",
            file.keystore
        ))
    };
    let store = store
        .filter(|s| s.name() == file.keystore)
        .ok_or_else(unreachable)?;
    match store.load(&file.keystore_item) {
        Ok(Some(secret)) => Ok(Some(secret)),
        Ok(None) => Err(KeyError::Keystore(format!(
            "{} heeft de sleutel van dit toestel niet meer / no longer holds this device's secret",
            file.keystore
        ))),
        Err(e) => Err(KeyError::Keystore(e)),
    }
}

fn pin_aad(k: u32) -> Vec<u8> {
    format!("brug-db-key/{k}").into_bytes()
}

/// The key sealed once per attempt, 0 to [`MAX_WRONG_PINS`] - 1.
fn seal_tries(kek: &[u8], key: &[u8; 32]) -> Result<Vec<PinTry>, KeyError> {
    (0..MAX_WRONG_PINS)
        .map(|k| {
            let (nonce, wrapped) = seal(kek, &pin_aad(k), key)?;
            Ok(PinTry { k, nonce, wrapped })
        })
        .collect()
}

/// The attempt the next PIN is tried against: the lowest number left (a
/// copied entry is the same attempt, not one more).
fn next_try(file: &KeyFile) -> Option<&PinTry> {
    file.tries
        .iter()
        .filter(|t| t.k < MAX_WRONG_PINS)
        .min_by_key(|t| t.k)
}

/// Whether the PIN is kept once per attempt (a device with an unlock
/// secret, since attempts were sealed).
fn counts_tries(file: &KeyFile) -> bool {
    !file.server_wrapped.is_empty() && file.wrapped.is_empty()
}

/// Wrong PINs in a row, as the file can prove them.
fn failures(file: &KeyFile) -> u32 {
    if counts_tries(file) {
        next_try(file).map_or(MAX_WRONG_PINS, |t| t.k)
    } else {
        file.failures
    }
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
fn seal(kek: &[u8], aad: &[u8], key: &[u8; 32]) -> Result<(String, String), KeyError> {
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
    aad: &[u8],
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

/// Sealed into a device's single PIN wrapping ([`KeyFile::wrapped`]).
const PIN_AAD: &[u8] = b"brug-db-key";
const SERVER_AAD: &[u8] = b"brug-db-key-server";

/// Makes a new random database key wrapped by `pin` and, when the server
/// gave one, by the device's unlock secret; with the platform's keystore
/// where there is one.
pub fn create_with(home: &Path, pin: &str, recovery: Option<&Recovery>) -> Result<DbKey, KeyError> {
    let store = keystore::platform();
    create_in(home, pin, recovery, store.as_deref())
}

/// [`create_with`] with the keystore given (`None`: the PIN alone).
pub fn create_in(
    home: &Path,
    pin: &str,
    recovery: Option<&Recovery>,
    store: Option<&dyn Keystore>,
) -> Result<DbKey, KeyError> {
    if !pin_is_strong(pin) {
        return Err(KeyError::WeakPin);
    }
    let key = Secret::new(random::<32>()?);
    // OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let mut file = KeyFile {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
        salt: hex::encode(random::<16>()?),
        nonce: String::new(),
        wrapped: String::new(),
        tries: Vec::new(),
        keystore: keystore::PIN_ONLY.to_owned(),
        keystore_item: String::new(),
        failures: 0,
        last_failure_ms: 0,
        boot_id: String::new(),
        boot_ms: 0,
        server_nonce: String::new(),
        server_wrapped: String::new(),
        locked_out: false,
        recovery: recovery.map(|r| r.target.clone()),
    };
    // A keystore that refuses the item leaves the PIN alone, as without one.
    let mut secret = None;
    if let Some(store) = store {
        let item = hex::encode(random::<16>()?);
        let made = Secret::new(random::<32>()?);
        if store.store(&item, &made).is_ok() {
            file.keystore = store.name().to_owned();
            file.keystore_item = item;
            secret = Some(made);
        }
    }
    let kek = pin_key(pin, &file, secret.as_deref())?;
    match recovery {
        Some(r) => {
            (file.server_nonce, file.server_wrapped) = seal(r.secret.as_slice(), SERVER_AAD, &key)?;
            file.tries = seal_tries(kek.as_slice(), &key)?;
        }
        None => (file.nonce, file.wrapped) = seal(kek.as_slice(), PIN_AAD, &key)?,
    }
    write(home, &file)?;
    Ok(DbKey(key))
}

/// What protects the device key besides the PIN: the keystore's name, or
/// [`keystore::PIN_ONLY`].
pub fn protection(home: &Path) -> Result<String, KeyError> {
    Ok(read(home)?.keystore)
}

/// Where a locked-out device asks for its unlock secret, if it can.
pub fn recovery_target(home: &Path) -> Result<Option<RecoveryTarget>, KeyError> {
    Ok(read(home)?.recovery)
}

/// Whether the device is locked out (too many wrong PINs).
pub fn locked_out(home: &Path) -> bool {
    read(home).is_ok_and(|f| f.locked_out || (counts_tries(&f) && next_try(&f).is_none()))
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
    let store = keystore::platform();
    recover_in(home, secret, new_pin, store.as_deref())
}

/// [`recover`] with the keystore given.
pub fn recover_in(
    home: &Path,
    secret: &[u8],
    new_pin: &str,
    store: Option<&dyn Keystore>,
) -> Result<DbKey, KeyError> {
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
    let kept = store_secret(&file, store)?;
    file.salt = hex::encode(random::<16>()?);
    (file.m_kib, file.t, file.p) = (19 * 1024, 2, 1);
    let kek = pin_key(new_pin, &file, kept.as_deref())?;
    file.tries = seal_tries(kek.as_slice(), &key)?;
    file.nonce.clear();
    file.wrapped.clear();
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
    let wait_ms = wait_after(failures(file)) * 1000;
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
    let store = keystore::platform();
    unlock_in(home, pin, now_ms, boot, store.as_deref())
}

/// [`unlock_with`] with the keystore given.
pub fn unlock_in(
    home: &Path,
    pin: &str,
    now_ms: i64,
    boot: &BootClock,
    store: Option<&dyn Keystore>,
) -> Result<DbKey, KeyError> {
    // One attempt at a time: parallel attempts each count, none slips past
    // the wait by reading the counter before another wrote it.
    let _turn = attempt_lock(home)?;
    let mut file = read(home)?;
    let tries = counts_tries(&file);
    if file.locked_out || (tries && next_try(&file).is_none()) {
        return Err(KeyError::LockedOut);
    }
    params_in_bounds(&file)?;
    let left = wait_left(&file, now_ms, boot);
    if left > 0 {
        return Err(KeyError::Wait {
            seconds: (left + 999) / 1000,
        });
    }
    let kept = store_secret(&file, store)?;
    let kek = pin_key(pin, &file, kept.as_deref())?;
    let tried = next_try(&file).cloned();
    let opened = match &tried {
        Some(t) => open_sealed(kek.as_slice(), &pin_aad(t.k), &t.nonce, &t.wrapped)?,
        None => open_sealed(kek.as_slice(), PIN_AAD, &file.nonce, &file.wrapped)?,
    };
    if let Some(key) = opened {
        let upgrade = !tries && !file.server_wrapped.is_empty();
        let used = tried.as_ref().is_some_and(|t| t.k > 0) || file.failures > 0;
        if upgrade || used {
            // Every attempt back; a device enrolled before attempts were
            // sealed gets them now.
            if tries || upgrade {
                file.tries = seal_tries(kek.as_slice(), &key)?;
                file.nonce.clear();
                file.wrapped.clear();
            }
            file.failures = 0;
            file.boot_id.clear();
            write(home, &file)?;
        }
        return Ok(DbKey(key));
    }
    file.last_failure_ms = now_ms;
    (file.boot_id, file.boot_ms) = boot.clone().unwrap_or_default();
    if let Some(t) = tried {
        // This attempt is spent: its sealing goes, with any copy of it.
        file.tries.retain(|x| x.k > t.k);
        file.failures = t.k + 1;
        if file.tries.is_empty() {
            file.locked_out = true;
            write(home, &file)?;
            return Err(KeyError::LockedOut);
        }
        write(home, &file)?;
        return Err(KeyError::WrongPin { attempts: t.k + 1 });
    }
    file.failures += 1;
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
    // The keystore's item goes too (best effort: the file going is what
    // makes the store unreadable).
    if let Ok(file) = read(home)
        && file.keystore != keystore::PIN_ONLY
        && let Some(store) = keystore::platform().filter(|s| s.name() == file.keystore)
    {
        let _ = store.remove(&file.keystore_item);
    }
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
        let key = create_in(home.path(), "482193", None, None).unwrap();
        let again = unlock_in(home.path(), "482193", 0, &None, None).unwrap();
        assert_eq!(key.sqlcipher_literal(), again.sqlcipher_literal());
        assert!(matches!(
            unlock_in(home.path(), "1111", 0, &None, None),
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
        create_in(home.path(), "482193", None, None).unwrap();
        let t0 = 1_000_000;
        let no_boot_clock = None;
        for i in 1..=3 {
            assert!(
                matches!(unlock_in(home.path(), "0000", t0, &no_boot_clock, None), Err(KeyError::WrongPin { attempts }) if attempts == i)
            );
        }
        // Now even the right PIN must wait 30 s.
        assert!(matches!(
            unlock_in(home.path(), "482193", t0 + 1_000, &no_boot_clock, None),
            Err(KeyError::Wait { seconds: 29 })
        ));
        assert!(unlock_in(home.path(), "482193", t0 + 31_000, &no_boot_clock, None).is_ok());
        assert!(wait_after(4) > wait_after(3) && wait_after(20) == 3600);
    }

    #[test]
    fn moving_the_wall_clock_does_not_end_the_wait_nor_make_it_longer() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", None, None).unwrap();
        let t0: i64 = 1_780_000_000_000;
        let boot = |id: &str, ms: i64| Some((id.to_owned(), ms));
        for _ in 0..3 {
            let _ = unlock_in(home.path(), "000000", t0, &boot("a", 5_000), None);
        }
        // The wall clock set a day ahead, one second later by the boot
        // clock: still waiting.
        let day = 86_400_000;
        assert!(matches!(
            unlock_in(home.path(), "482193", t0 + day, &boot("a", 6_000), None),
            Err(KeyError::Wait { seconds: 29 })
        ));
        // Set back ten years: the wait is never longer than 30 s.
        assert!(matches!(
            unlock_in(
                home.path(),
                "482193",
                t0 - 3650 * day,
                &boot("a", 6_000),
                None
            ),
            Err(KeyError::Wait { seconds: 30 })
        ));
        // After a restart of the system only the wall clock is left.
        assert!(matches!(
            unlock_in(home.path(), "482193", t0 + 1_000, &boot("b", 100), None),
            Err(KeyError::Wait { seconds: 29 })
        ));
        // The wait over by the boot clock: the right PIN opens.
        assert!(
            unlock_in(
                home.path(),
                "482193",
                t0 + day,
                &boot("a", 5_000 + 30_000),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn parallel_wrong_pins_each_count_and_none_slips_past_the_wait() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", None, None).unwrap();
        let t0 = 1_000_000;
        let results: Vec<Result<DbKey, KeyError>> = std::thread::scope(|s| {
            let tries: Vec<_> = (0..5)
                .map(|_| s.spawn(|| unlock_in(home.path(), "000000", t0, &None, None)))
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
            last = unlock_in(home, "000000", now, &None, None).err();
        }
        last.expect("refused")
    }

    #[test]
    fn too_many_wrong_pins_lock_the_device_until_the_servers_secret_and_a_new_pin() {
        let home = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let key = create_in(home.path(), "482193", Some(&recovery(secret)), None).unwrap();
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
            unlock_in(home.path(), "482193", far, &None, None),
            Err(KeyError::LockedOut)
        ));
        let text = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["wrapped"], "", "{text}");
        // Editing `locked_out` back does not help: nothing left to open.
        let edited = text.replace("\"locked_out\": true", "\"locked_out\": false");
        std::fs::write(home.path().join(KEY_FILE), edited).unwrap();
        assert!(matches!(
            unlock_in(home.path(), "482193", far, &None, None),
            Err(KeyError::LockedOut)
        ));
        // Another secret does not fit; the server's does, with a new PIN.
        assert!(matches!(
            recover_in(home.path(), &[8u8; 32], "246813", None),
            Err(KeyError::WrongUnlock)
        ));
        assert!(matches!(
            recover_in(home.path(), &secret, "1234", None),
            Err(KeyError::WeakPin)
        ));
        let again = recover_in(home.path(), &secret, "246813", None).unwrap();
        assert_eq!(
            again.sqlcipher_literal(),
            key.sqlcipher_literal(),
            "the same key"
        );
        assert!(!locked_out(home.path()));
        assert!(unlock_in(home.path(), "246813", far, &None, None).is_ok());
        assert!(matches!(
            unlock_in(home.path(), "482193", far, &None, None),
            Err(KeyError::WrongPin { attempts: 1 })
        ));
    }

    #[test]
    fn a_device_without_an_unlock_secret_keeps_waiting_and_is_never_locked_out() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", None, None).unwrap();
        assert!(matches!(
            wrong_pins(home.path(), 0, MAX_WRONG_PINS + 2),
            KeyError::WrongPin { attempts: 12 }
        ));
        assert!(unlock_in(home.path(), "482193", 30 * 86_400_000, &None, None).is_ok());
    }

    #[test]
    fn a_key_file_edited_to_ask_for_huge_or_no_work_is_damaged_not_obeyed() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", None, None).unwrap();
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
                matches!(
                    unlock_in(home.path(), "482193", 0, &None, None),
                    Err(KeyError::Damaged(_))
                ),
                "{field} = {value}"
            );
        }
        std::fs::write(home.path().join(KEY_FILE), original).unwrap();
        assert!(unlock_in(home.path(), "482193", 0, &None, None).is_ok());
    }

    #[test]
    fn a_short_or_guessable_pin_is_refused() {
        let home = tempfile::tempdir().unwrap();
        for weak in [
            "12", "4821", "48219", "111111", "123456", "987654", "abc", "  kort  ",
        ] {
            assert!(
                matches!(
                    create_in(home.path(), weak, None, None),
                    Err(KeyError::WeakPin)
                ),
                "{weak:?} refused"
            );
        }
        assert!(!exists(home.path()), "nothing written for a weak PIN");
        for strong in ["482193", "0123457", "zon op de Leie"] {
            assert!(pin_is_strong(strong), "{strong:?} taken");
        }
    }

    /// A keystore in memory, standing in for the platform's here (the real
    /// Secret Service is driven in `tests/tests/keystore.rs`).
    #[derive(Default)]
    struct Memory {
        items: std::sync::Mutex<std::collections::HashMap<String, [u8; 32]>>,
    }

    impl Keystore for Memory {
        fn name(&self) -> &'static str {
            "geheugen"
        }
        fn store(&self, item: &str, secret: &[u8; 32]) -> Result<(), String> {
            self.items.lock().unwrap().insert(item.into(), *secret);
            Ok(())
        }
        fn load(&self, item: &str) -> Result<Option<keystore::Secret32>, String> {
            Ok(self
                .items
                .lock()
                .unwrap()
                .get(item)
                .map(|s| keystore::Secret32::new(*s)))
        }
        fn remove(&self, item: &str) -> Result<(), String> {
            self.items.lock().unwrap().remove(item);
            Ok(())
        }
    }

    fn edit(home: &Path, f: impl FnOnce(&mut serde_json::Value)) {
        let p = home.join(KEY_FILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        f(&mut json);
        std::fs::write(&p, json.to_string()).unwrap();
    }

    /// Wrong PINs until the device locks out, each after its wait.
    fn wrong_until_locked_out(home: &Path, from: u32) -> u32 {
        for n in 0..100 {
            let now = i64::from(from + n) * 7_200_000;
            if let Err(KeyError::LockedOut) = unlock_in(home, "000000", now, &None, None) {
                return n + 1;
            }
        }
        panic!("never locked out");
    }

    #[test]
    fn editing_the_key_file_gives_no_wrong_pin_back() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", Some(&recovery([7u8; 32])), None).unwrap();
        assert!(matches!(
            wrong_pins(home.path(), 0, 3),
            KeyError::WrongPin { attempts: 3 }
        ));
        // The counter, the wait and the lock reset by hand, and each
        // attempt left copied three times over.
        edit(home.path(), |json| {
            json["failures"] = 0.into();
            json["last_failure_ms"] = 0.into();
            json["locked_out"] = false.into();
            let tries = json["tries"].as_array().unwrap().clone();
            let copied: Vec<_> = tries
                .iter()
                .cycle()
                .take(tries.len() * 3)
                .cloned()
                .collect();
            json["tries"] = copied.into();
        });
        // Still attempt 4 of 10 next: seven wrong PINs and it is over.
        assert!(matches!(
            unlock_in(home.path(), "000000", 100 * 7_200_000, &None, None),
            Err(KeyError::WrongPin { attempts: 4 })
        ));
        assert_eq!(wrong_until_locked_out(home.path(), 101), 6);
        assert!(locked_out(home.path()));
    }

    #[test]
    fn an_attempt_renumbered_by_hand_opens_nothing() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", Some(&recovery([7u8; 32])), None).unwrap();
        wrong_pins(home.path(), 0, 9);
        // The last attempt made to look like the first: even the right PIN
        // does not open it, and it is spent.
        edit(home.path(), |json| {
            json["tries"][0]["k"] = 0.into();
        });
        let later = 50 * 7_200_000;
        assert!(matches!(
            unlock_in(home.path(), "482193", later, &None, None),
            Err(KeyError::LockedOut)
        ));
    }

    #[test]
    fn the_right_pin_gives_every_attempt_back() {
        let home = tempfile::tempdir().unwrap();
        create_in(home.path(), "482193", Some(&recovery([7u8; 32])), None).unwrap();
        wrong_pins(home.path(), 0, 5);
        let later = 50 * 7_200_000;
        unlock_in(home.path(), "482193", later, &None, None).unwrap();
        assert_eq!(wrong_until_locked_out(home.path(), 60), MAX_WRONG_PINS);
    }

    #[test]
    fn a_device_enrolled_before_attempts_were_sealed_gets_them_at_its_next_unlock() {
        let home = tempfile::tempdir().unwrap();
        let secret = [7u8; 32];
        let key = create_in(home.path(), "482193", Some(&recovery(secret)), None).unwrap();
        // The file as the previous version wrote it: one PIN wrapping.
        let file = read(home.path()).unwrap();
        let kek = pin_key("482193", &file, None).unwrap();
        let (nonce, wrapped) = seal(kek.as_slice(), PIN_AAD, &key.0).unwrap();
        edit(home.path(), |json| {
            json.as_object_mut().unwrap().remove("tries");
            json["nonce"] = nonce.into();
            json["wrapped"] = wrapped.into();
        });
        assert!(matches!(
            unlock_in(home.path(), "000000", 0, &None, None),
            Err(KeyError::WrongPin { attempts: 1 })
        ));
        let again = unlock_in(home.path(), "482193", 0, &None, None).unwrap();
        assert_eq!(again.sqlcipher_literal(), key.sqlcipher_literal());
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap())
                .unwrap();
        assert_eq!(json["wrapped"], "");
        assert_eq!(
            json["tries"].as_array().unwrap().len(),
            MAX_WRONG_PINS as usize
        );
        assert!(unlock_in(home.path(), "482193", 0, &None, None).is_ok());
    }

    #[test]
    fn with_a_keystore_the_key_file_and_the_pin_alone_open_nothing() {
        let home = tempfile::tempdir().unwrap();
        let store = Memory::default();
        let key = create_in(
            home.path(),
            "482193",
            Some(&recovery([7u8; 32])),
            Some(&store),
        )
        .unwrap();
        assert_eq!(protection(home.path()).unwrap(), "geheugen");
        let opened = unlock_in(home.path(), "482193", 0, &None, Some(&store)).unwrap();
        assert_eq!(opened.sqlcipher_literal(), key.sqlcipher_literal());
        // The key file copied to a machine without that keystore: refused
        // before any attempt is spent.
        for _ in 0..12 {
            assert!(matches!(
                unlock_in(home.path(), "482193", 0, &None, None),
                Err(KeyError::Keystore(_))
            ));
        }
        // The PIN's key without the keystore's secret opens no attempt.
        let file = read(home.path()).unwrap();
        let stretched = pin_key("482193", &file, None).unwrap();
        let first = next_try(&file).unwrap();
        assert!(
            open_sealed(
                stretched.as_slice(),
                &pin_aad(first.k),
                &first.nonce,
                &first.wrapped
            )
            .unwrap()
            .is_none()
        );
        // The keystore lost the item: refused, and no attempt spent.
        let emptied = Memory::default();
        assert!(matches!(
            unlock_in(home.path(), "482193", 0, &None, Some(&emptied)),
            Err(KeyError::Keystore(_))
        ));
        assert!(unlock_in(home.path(), "482193", 0, &None, Some(&store)).is_ok());
    }
}
