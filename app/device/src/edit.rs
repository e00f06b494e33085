//! Applying a form's edits to the record as it stands now.
//!
//! A form opens with the record as it was (the *base*) and the worker
//! changes some fields. Meanwhile a sync may have brought other people's
//! changes. Only the fields the worker changed are written over the current
//! record, so an edit never silently undoes a colleague's change to a field
//! this worker did not touch.

use serde_json::{Map, Value};

/// `current` with every leaf that differs between `base` and `edited` set
/// to its edited value (or removed, when the worker removed it).
pub fn apply_edits(base: &Value, edited: &Value, current: &Value) -> Value {
    match (base, edited, current) {
        (Value::Object(b), Value::Object(e), Value::Object(c)) => {
            let mut out: Map<String, Value> = c.clone();
            for (k, ev) in e {
                match (b.get(k), c.get(k)) {
                    (Some(bv), Some(cv)) => {
                        out.insert(k.clone(), apply_edits(bv, ev, cv));
                    }
                    (Some(bv), None) => {
                        // Removed elsewhere (a colleague removed the item):
                        // put it back only if this worker changed it.
                        if bv != ev {
                            out.insert(k.clone(), ev.clone());
                        }
                    }
                    (None, _) => {
                        out.insert(k.clone(), ev.clone());
                    }
                }
            }
            for k in b.keys() {
                if !e.contains_key(k) {
                    out.remove(k);
                }
            }
            Value::Object(out)
        }
        _ if base == edited => current.clone(),
        _ => edited.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_colleagues_change_to_an_untouched_field_survives_an_edit() {
        let base = json!({"ean": "1", "notes": "a", "readings": {"r1": {"v": 1}}});
        let edited =
            json!({"ean": "2", "notes": "a", "readings": {"r1": {"v": 1}, "r2": {"v": 5}}});
        let current = json!({"ean": "1", "notes": "b", "readings": {"r1": {"v": 3}}});
        let out = apply_edits(&base, &edited, &current);
        assert_eq!(
            out,
            json!({"ean": "2", "notes": "b", "readings": {"r1": {"v": 3}, "r2": {"v": 5}}})
        );
    }

    #[test]
    fn removing_an_item_in_the_form_removes_it() {
        let base = json!({"defects": {"d1": {"c": "I"}, "d2": {"c": "II"}}});
        let edited = json!({"defects": {"d1": {"c": "I"}}});
        let out = apply_edits(&base, &edited, &base);
        assert_eq!(out, json!({"defects": {"d1": {"c": "I"}}}));
    }
}
