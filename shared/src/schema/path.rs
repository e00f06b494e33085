//! Where a field sits inside the household or a record: one type for the
//! forms, the rules' findings, conflicts, the history's changes and the
//! policy's refusals.
//!
//! A path is a list of keys. Keys may hold dots (a meter register is
//! `1.8.1`), so a path is never split on the dots it is shown with: code
//! builds paths from keys ([`FieldPath::child`], [`FieldPath::of`]) or from
//! the schema's tables (`/` between keys, [`FieldPath::slashed`]), and
//! text a person typed is matched against the value it is about
//! ([`FieldPath::find`]).

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// A field's place inside the household or a record, key by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<String>);

impl FieldPath {
    /// The whole record.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path from its keys.
    pub fn of<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(keys.into_iter().map(Into::into).collect())
    }

    /// A path as the schema's tables write it: keys between `/`
    /// (`readings/<id>/registers`).
    pub fn slashed(path: &str) -> Self {
        Self::of(path.split('/').filter(|k| !k.is_empty()))
    }

    /// The same path one key deeper.
    pub fn child(&self, key: impl Into<String>) -> Self {
        let mut keys = self.0.clone();
        keys.push(key.into());
        Self(keys)
    }

    /// This path followed by another.
    pub fn join(&self, rest: &FieldPath) -> Self {
        let mut keys = self.0.clone();
        keys.extend(rest.0.iter().cloned());
        Self(keys)
    }

    /// Its keys, outermost first.
    pub fn keys(&self) -> &[String] {
        &self.0
    }

    /// Whether this is the whole record.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last key (`None` for the whole record).
    pub fn last(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// Whether `self` is `prefix` or lies inside it.
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// What follows `prefix`, if `self` lies inside it.
    pub fn strip_prefix(&self, prefix: &FieldPath) -> Option<FieldPath> {
        self.0
            .strip_prefix(prefix.0.as_slice())
            .map(|rest| Self(rest.to_vec()))
    }

    /// The path as the schema writes it (`readings/<id>/registers`), the
    /// form's key for an input.
    pub fn to_slashed(&self) -> String {
        self.0.join("/")
    }

    /// The value at this path.
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0
            .iter()
            .try_fold(value, |v, key| v.as_object()?.get(key))
    }

    /// Writes `new` at this path, making the objects on the way.
    pub fn put(&self, value: &mut Value, new: Value) {
        let Some((last, parents)) = self.0.split_last() else {
            *value = new;
            return;
        };
        let mut cur = value;
        for key in parents {
            if !cur.is_object() {
                *cur = Value::Object(Default::default());
            }
            let Value::Object(map) = cur else { return };
            cur = map.entry(key.clone()).or_insert(Value::Null);
        }
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        if let Value::Object(map) = cur {
            map.insert(last.clone(), new);
        }
    }

    /// Replaces the value of a field that exists; `false` (and nothing
    /// changed) when there is no such field.
    pub fn replace(&self, value: &mut Value, new: Value) -> bool {
        self.write(value, new, false)
    }

    /// Writes the value of a field inside an object that exists (the field
    /// itself may be new); `false` (and nothing changed) when the object
    /// is not there.
    pub fn set(&self, value: &mut Value, new: Value) -> bool {
        self.write(value, new, true)
    }

    fn write(&self, value: &mut Value, new: Value, may_add: bool) -> bool {
        let Some((last, parents)) = self.0.split_last() else {
            return false;
        };
        let mut cur = value;
        for key in parents {
            match cur.as_object_mut().and_then(|m| m.get_mut(key)) {
                Some(next) => cur = next,
                None => return false,
            }
        }
        match cur.as_object_mut() {
            Some(map) if may_add || map.contains_key(last) => {
                map.insert(last.clone(), new);
                true
            }
            _ => false,
        }
    }

    /// Reads a path a person typed (`address.postcode`,
    /// `readings.<id>.registers.1.8.1`, or with `/` between keys) against
    /// the value it is about: at each level the longest key of `value`
    /// that the text starts with is taken, so keys holding dots are found
    /// whole. Below the last object the rest is split at its dots. `None`
    /// for empty text.
    pub fn find(value: &Value, text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if text.contains('/') {
            return Some(Self::slashed(text));
        }
        let mut keys = Vec::new();
        let mut rest = text;
        let mut cur = Some(value);
        while !rest.is_empty() {
            let key = cur
                .and_then(Value::as_object)
                .and_then(|map| {
                    map.keys()
                        .filter(|k| {
                            rest == k.as_str()
                                || rest
                                    .strip_prefix(k.as_str())
                                    .is_some_and(|r| r.starts_with('.'))
                        })
                        .max_by_key(|k| k.len())
                        .cloned()
                })
                .unwrap_or_else(|| rest.split('.').next().unwrap_or(rest).to_owned());
            rest = rest[key.len()..].strip_prefix('.').unwrap_or("");
            cur = cur.and_then(|v| v.get(&key));
            keys.push(key);
        }
        Some(Self(keys))
    }
}

/// Shown with dots between keys: `readings.<id>.registers.1.8.1`.
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// Written out as it is shown (scripts read `brug-cli --json` output).
impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A literal path of keys without dots (`"address.postcode"`), as rules
/// and tests write the fields they name.
impl From<&str> for FieldPath {
    fn from(dotted: &str) -> Self {
        Self::of(dotted.split('.').filter(|k| !k.is_empty()))
    }
}

impl From<&FieldPath> for FieldPath {
    fn from(path: &FieldPath) -> Self {
        path.clone()
    }
}

/// Compares with a literal path of keys without dots.
impl PartialEq<&str> for FieldPath {
    fn eq(&self, other: &&str) -> bool {
        self.0
            .iter()
            .map(String::as_str)
            .eq(other.split('.').filter(|k| !k.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_with_dots_stay_whole_when_typed() {
        let record = json!({
            "readings": {"r1": {"registers": {"1.8.1": 100.0, "1.8.2": 50.0}}},
            "ean": "541448820000000000"
        });
        let path = FieldPath::find(&record, "readings.r1.registers.1.8.1").unwrap();
        assert_eq!(path.keys(), ["readings", "r1", "registers", "1.8.1"]);
        assert_eq!(path.get(&record), Some(&json!(100.0)));
        assert_eq!(path.to_string(), "readings.r1.registers.1.8.1");
        // With slashes, and for a field that is not there yet.
        assert_eq!(
            FieldPath::find(&record, "readings/r1/registers/1.8.1"),
            Some(path)
        );
        assert_eq!(
            FieldPath::find(&record, "address.postcode").unwrap().keys(),
            ["address", "postcode"]
        );
        assert_eq!(FieldPath::find(&record, "  "), None);
    }

    #[test]
    fn replace_changes_only_a_field_that_exists() {
        let mut record = json!({"readings": {"r1": {"registers": {"1.8.1": 100.0}}}});
        let path = FieldPath::of(["readings", "r1", "registers", "1.8.1"]);
        assert!(path.replace(&mut record, json!(120.0)));
        assert_eq!(path.get(&record), Some(&json!(120.0)));
        let before = record.clone();
        assert!(!FieldPath::from("readings.r2.registers").replace(&mut record, json!(1)));
        assert!(!FieldPath::root().replace(&mut record, json!(1)));
        assert!(!FieldPath::from("readings.r1.source").replace(&mut record, json!("display")));
        assert_eq!(record, before);
        // `set` may add a field to an object that is there, nothing else.
        assert!(FieldPath::from("readings.r1.source").set(&mut record, json!("display")));
        assert!(!FieldPath::from("readings.r2.source").set(&mut record, json!("display")));
        assert_eq!(record["readings"]["r1"]["source"], json!("display"));
    }

    #[test]
    fn put_makes_the_objects_on_the_way() {
        let mut value = json!({});
        FieldPath::slashed("address/postcode").put(&mut value, json!("8530"));
        assert_eq!(value, json!({"address": {"postcode": "8530"}}));
        let inside = FieldPath::slashed("address/postcode");
        assert!(inside.starts_with(&"address".into()));
        assert_eq!(
            inside.strip_prefix(&"address".into()),
            Some("postcode".into())
        );
        assert!(!inside.starts_with(&"addr".into()));
    }
}
