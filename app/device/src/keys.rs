//! The database key: 256 random bits made at enrolment, kept on disk only
//! wrapped (AES-256-GCM) by a key derived from the worker's PIN with
//! Argon2id. Wrong PINs are refused with a growing wait. Platform keystores
//! (Android Keystore, iOS Keychain) can hold the wrapping key later; here
//! the PIN is the only way in.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The key file in the device home.
pub const KEY_FILE: &str = "key.json";

/// Wrong PINs allowed before a wait is imposed.
pub const FREE_ATTEMPTS: u32 = 3;

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

/// Makes a new random database key wrapped by `pin`.
pub fn create(home: &Path, pin: &str) -> Result<DbKey, KeyError> {
    if pin.chars().count() < 4 {
        return Err(KeyError::WeakPin);
    }
    let key = Secret::new(random::<32>()?);
    let salt = random::<16>()?;
    let nonce = random::<12>()?;
    // OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let (m_kib, t, p) = (19 * 1024, 2, 1);
    let kek = derive(pin, &salt, m_kib, t, p)?;
    let sealing = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek.as_slice())
            .map_err(|_| KeyError::Damaged("aead".into()))?,
    );
    let mut data = key.to_vec();
    sealing
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(b"brug-db-key"),
            &mut data,
        )
        .map_err(|_| KeyError::Damaged("aead".into()))?;
    write(
        home,
        &KeyFile {
            m_kib,
            t,
            p,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped: hex::encode(&data),
            failures: 0,
            last_failure_ms: 0,
        },
    )?;
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
    let mut file = read(home)?;
    params_in_bounds(&file)?;
    let wait_ms = wait_after(file.failures) * 1000;
    let until = file.last_failure_ms + wait_ms;
    if wait_ms > 0 && now_ms < until {
        return Err(KeyError::Wait {
            seconds: (until - now_ms + 999) / 1000,
        });
    }
    let bad = |e: hex::FromHexError| KeyError::Damaged(e.to_string());
    let salt = hex::decode(&file.salt).map_err(bad)?;
    let nonce: [u8; 12] = hex::decode(&file.nonce)
        .map_err(bad)?
        .try_into()
        .map_err(|_| KeyError::Damaged("nonce".into()))?;
    let mut data = hex::decode(&file.wrapped).map_err(bad)?;
    let kek = derive(pin, &salt, file.m_kib, file.t, file.p)?;
    let opening = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek.as_slice())
            .map_err(|_| KeyError::Damaged("aead".into()))?,
    );
    match opening.open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(b"brug-db-key"),
        &mut data,
    ) {
        Ok(plain) if plain.len() == 32 => {
            let mut key = [0u8; 32];
            key.copy_from_slice(plain);
            if file.failures > 0 {
                file.failures = 0;
                write(home, &file)?;
            }
            Ok(DbKey(Secret::new(key)))
        }
        _ => {
            file.failures += 1;
            file.last_failure_ms = now_ms;
            write(home, &file)?;
            Err(KeyError::WrongPin {
                attempts: file.failures,
            })
        }
    }
}

/// Removes the key: without it the database cannot be read.
pub fn wipe(home: &Path) -> Result<(), KeyError> {
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
        let key = create(home.path(), "4821").unwrap();
        let again = unlock(home.path(), "4821", 0).unwrap();
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
        create(home.path(), "4821").unwrap();
        let t0 = 1_000_000;
        for i in 1..=3 {
            assert!(
                matches!(unlock(home.path(), "0000", t0), Err(KeyError::WrongPin { attempts }) if attempts == i)
            );
        }
        // Now even the right PIN must wait 30 s.
        assert!(matches!(
            unlock(home.path(), "4821", t0 + 1_000),
            Err(KeyError::Wait { seconds: 29 })
        ));
        assert!(unlock(home.path(), "4821", t0 + 31_000).is_ok());
        assert!(wait_after(4) > wait_after(3) && wait_after(20) == 3600);
    }

    #[test]
    fn a_key_file_edited_to_ask_for_huge_or_no_work_is_damaged_not_obeyed() {
        let home = tempfile::tempdir().unwrap();
        create(home.path(), "4821").unwrap();
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
                matches!(unlock(home.path(), "4821", 0), Err(KeyError::Damaged(_))),
                "{field} = {value}"
            );
        }
        std::fs::write(home.path().join(KEY_FILE), original).unwrap();
        assert!(unlock(home.path(), "4821", 0).is_ok());
    }

    #[test]
    fn a_short_pin_is_refused() {
        let home = tempfile::tempdir().unwrap();
        assert!(matches!(create(home.path(), "12"), Err(KeyError::WeakPin)));
    }
}
