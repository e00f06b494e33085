//! The platform's keystore: where the system keeps a secret for the device
//! that the key file does not hold. The PIN's key is mixed with it, so a key
//! file copied off a stolen device cannot be tried offline without the
//! keystore too (and the keystore opens only with the user's login).
//!
//! Behind a trait: the Secret Service on Linux desktops (GNOME Keyring,
//! KWallet) is here; Android's Keystore and iOS's Keychain would be two
//! more implementations, built with the mobile launchers. Where there is
//! none, or it does not answer, the PIN alone protects the key, and the
//! settings screen says so.

use zeroize::Zeroizing;

/// A secret of 32 bytes, overwritten with zeros when dropped.
pub type Secret32 = Zeroizing<[u8; 32]>;

/// A place the platform keeps secrets for this user.
pub trait Keystore: Send + Sync {
    /// Its name, kept in the key file and shown in settings.
    fn name(&self) -> &'static str;
    /// Keeps `secret` under `item` (replacing what was there).
    fn store(&self, item: &str, secret: &[u8; 32]) -> Result<(), String>;
    /// The secret kept under `item`; `None` when there is none.
    fn load(&self, item: &str) -> Result<Option<Secret32>, String>;
    /// Forgets `item` (nothing when there is none).
    fn remove(&self, item: &str) -> Result<(), String>;
}

/// The name the key file keeps for "the PIN alone".
pub const PIN_ONLY: &str = "";

/// The platform's keystore, when there is one and it answers now
/// (`BRUG_KEYSTORE=none` leaves it aside: the PIN alone).
pub fn platform() -> Option<Box<dyn Keystore>> {
    if std::env::var("BRUG_KEYSTORE").is_ok_and(|v| v == "none") {
        return None;
    }
    #[cfg(all(target_os = "linux", not(target_os = "android")))]
    {
        if let Some(s) = secret_service::SecretService::connect() {
            return Some(Box::new(s));
        }
    }
    None
}

#[cfg(all(target_os = "linux", not(target_os = "android")))]
pub mod secret_service {
    //! The freedesktop Secret Service over the session D-Bus.

    use std::collections::HashMap;

    use dbus_secret_service::{EncryptionType, SecretService as Service};

    use super::{Keystore, Secret32};

    /// The Secret Service of this login session.
    pub struct SecretService {
        service: std::sync::Mutex<Service>,
    }

    impl std::fmt::Debug for SecretService {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("SecretService")
        }
    }

    /// The name kept in key files.
    pub const NAME: &str = "Secret Service";

    fn attributes(item: &str) -> HashMap<&str, &str> {
        HashMap::from([("application", "brug"), ("item", item)])
    }

    impl SecretService {
        /// Connects when there is a session bus with a Secret Service on it
        /// whose default collection can be used (unlocked, or unlocked
        /// without asking: no prompt can be answered from here).
        pub fn connect() -> Option<Self> {
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS")?;
            // No prompt: none can be answered from here, and the library would
            // wait for one without end.
            let service =
                Service::connect_with_max_prompt_timeout(EncryptionType::Plain, 0).ok()?;
            let collection = service.get_default_collection().ok()?;
            if collection.is_locked().ok()? {
                return None;
            }
            drop(collection);
            Some(Self {
                service: std::sync::Mutex::new(service),
            })
        }

        fn with<T>(&self, f: impl FnOnce(&Service) -> Result<T, String>) -> Result<T, String> {
            let service = self
                .service
                .lock()
                .map_err(|_| "sleutelbos onbruikbaar / keystore unusable".to_owned())?;
            f(&service)
        }
    }

    fn said(e: dbus_secret_service::Error) -> String {
        format!("Secret Service: {e}")
    }

    impl Keystore for SecretService {
        fn name(&self) -> &'static str {
            NAME
        }

        fn store(&self, item: &str, secret: &[u8; 32]) -> Result<(), String> {
            self.with(|s| {
                let collection = s.get_default_collection().map_err(said)?;
                let text = Secret32::new(*secret);
                collection
                    .create_item(
                        "Brug: sleutel van dit toestel / this device's key",
                        attributes(item),
                        text.as_slice(),
                        true,
                        "application/octet-stream",
                    )
                    .map_err(said)?;
                Ok(())
            })
        }

        fn load(&self, item: &str) -> Result<Option<Secret32>, String> {
            self.with(|s| {
                let found = s.search_items(attributes(item)).map_err(said)?;
                let Some(it) = found.unlocked.first() else {
                    return Ok(None);
                };
                let got = zeroize::Zeroizing::new(it.get_secret().map_err(said)?);
                let bytes: [u8; 32] = got
                    .as_slice()
                    .try_into()
                    .map_err(|_| "Secret Service: geen sleutel van 32 bytes".to_owned())?;
                Ok(Some(Secret32::new(bytes)))
            })
        }

        fn remove(&self, item: &str) -> Result<(), String> {
            self.with(|s| {
                let found = s.search_items(attributes(item)).map_err(said)?;
                for it in found.unlocked.iter().chain(found.locked.iter()) {
                    it.delete().map_err(said)?;
                }
                Ok(())
            })
        }
    }
}
