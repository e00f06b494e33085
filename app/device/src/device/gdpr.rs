//! For a data protection check on a device: where a value is still stored.

use brug_shared::store;

use super::{Device, DeviceError};
use crate::local::LocalError;

impl Device {
    /// Every place in this device's store (decrypted) where `value` still
    /// occurs: `table.column` for a row value, `case <id>` for anywhere in
    /// a case document's whole history (read uncompressed). Empty when the
    /// value is nowhere. For checking an erasure (docs/gdpr.md).
    pub fn places_holding(&self, value: &str) -> Result<Vec<String>, DeviceError> {
        Ok(places(self.store.conn(), value)?)
    }
}

fn places(conn: &rusqlite::Connection, value: &str) -> Result<Vec<String>, LocalError> {
    {
        let needle = value.as_bytes();
        let found =
            |hay: &[u8]| !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle);
        let mut places = Vec::new();
        let tables: Vec<String> = {
            let mut stmt = conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for table in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
            let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                for (i, name) in names.iter().enumerate() {
                    let hit = match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            found(t)
                        }
                        _ => false,
                    };
                    let place = format!("{table}.{name}");
                    if hit && !places.contains(&place) {
                        places.push(place);
                    }
                }
            }
        }
        for id in store::ids(conn)? {
            if let Some(mut doc) = store::load(conn, id)?
                && found(&doc.save_uncompressed())
            {
                places.push(format!("case {id}"));
            }
        }
        Ok(places)
    }
}
