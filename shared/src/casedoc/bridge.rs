//! Between JSON values (what serde makes of the domain types) and automerge
//! objects.
//!
//! Writing reconciles: only fields whose value differs are written, so an
//! edit of one field never touches (or conflicts on) the others. Fields the
//! JSON does not mention are left alone, so a device that does not know a
//! newer field yet cannot erase it. Within *collections* (maps keyed by UUID
//! or by a code) a missing key is a removal the user made. Prose fields are
//! automerge Text, merged by character. Which keys are prose and which are
//! collections comes from [`crate::schema`].

use std::cell::Cell;

use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, AutomergeError, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value,
};
use serde_json::{Map, Number, Value as Json};

use crate::schema::FieldPath;

/// Writes every field of `value` into the map `obj`, recording the path of
/// each field that changed in `changed`.
pub(crate) fn reconcile_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    value: &Map<String, Json>,
    collection: bool,
    path: &FieldPath,
    changed: &mut Vec<FieldPath>,
) -> Result<(), AutomergeError> {
    if collection {
        let stale: Vec<String> = doc.keys(obj).filter(|k| !value.contains_key(k)).collect();
        for key in stale {
            doc.delete(obj, key.as_str())?;
            changed.push(path.child(key.as_str()));
        }
    }
    for (key, v) in value {
        reconcile_prop(doc, obj, key, v, &path.child(key.as_str()), changed)?;
    }
    Ok(())
}

pub(crate) fn reconcile_prop(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: &Json,
    path: &FieldPath,
    changed: &mut Vec<FieldPath>,
) -> Result<(), AutomergeError> {
    let current = doc.get(obj, key)?.map(|(v, id)| (v.to_owned(), id));
    match value {
        Json::Object(map) => {
            let child = match current {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => {
                    changed.push(path.clone());
                    doc.put_object(obj, key, ObjType::Map)?
                }
            };
            reconcile_map(
                doc,
                &child,
                map,
                crate::schema::is_collection(key),
                path,
                changed,
            )
        }
        Json::Array(items) => {
            let list = match current {
                Some((Value::Object(ObjType::List), id)) => id,
                _ => doc.put_object(obj, key, ObjType::List)?,
            };
            let existing = list_to_json(doc, &list, None, 0);
            if existing.as_slice() != items.as_slice() {
                changed.push(path.clone());
                let len = doc.length(&list);
                for _ in 0..len {
                    doc.delete(&list, 0)?;
                }
                for (i, item) in items.iter().enumerate() {
                    doc.insert(&list, i, scalar(item))?;
                }
            }
            Ok(())
        }
        Json::String(s) if crate::schema::is_prose(key) => {
            match current {
                Some((Value::Object(ObjType::Text), id)) => {
                    if doc.text(&id)? != *s {
                        changed.push(path.clone());
                        doc.update_text(&id, s)?;
                    }
                }
                _ => {
                    changed.push(path.clone());
                    let id = doc.put_object(obj, key, ObjType::Text)?;
                    doc.splice_text(&id, 0, 0, s)?;
                }
            }
            Ok(())
        }
        _ => {
            let same = match &current {
                Some((Value::Scalar(sv), _)) => scalar_to_json(sv) == *value,
                _ => false,
            };
            if !same {
                changed.push(path.clone());
                doc.put(obj, key, scalar(value))?;
            }
            Ok(())
        }
    }
}

/// A JSON leaf as an automerge scalar. Nested arrays or objects inside a
/// list are kept as their JSON text: the model has none.
pub(crate) fn scalar(value: &Json) -> ScalarValue {
    match value {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        other => ScalarValue::Str(other.to_string().into()),
    }
}

/// An automerge scalar as JSON.
pub(crate) fn scalar_to_json(value: &ScalarValue) -> Json {
    match value {
        ScalarValue::Null => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Int(i) => Json::Number((*i).into()),
        ScalarValue::Uint(u) => Json::Number((*u).into()),
        ScalarValue::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Timestamp(t) => Json::Number((*t).into()),
        ScalarValue::Counter(c) => Json::Number(i64::from(c).into()),
        ScalarValue::Bytes(b) => Json::String(hex::encode(b)),
        ScalarValue::Unknown { .. } => Json::Null,
    }
}

/// Deepest nesting read from a document. The model nests five levels at
/// most; a peer's document nested deeper is cut off here (and then fails to
/// read as a case) instead of overflowing the stack.
pub(crate) const MAX_DEPTH: usize = 32;

/// Any automerge value (at `heads`, or now) as JSON.
pub(crate) fn value_to_json(
    doc: &AutoCommit,
    value: &Value<'_>,
    id: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> Json {
    value_at_depth(doc, value, id, heads, 0, &Cell::new(false))
}

fn value_at_depth(
    doc: &AutoCommit,
    value: &Value<'_>,
    id: &ObjId,
    heads: Option<&[ChangeHash]>,
    depth: usize,
    conflict: &Cell<bool>,
) -> Json {
    if depth > MAX_DEPTH {
        return Json::Null;
    }
    match value {
        Value::Scalar(s) => scalar_to_json(s),
        Value::Object(ObjType::Map | ObjType::Table) => {
            Json::Object(map_at_depth(doc, id, heads, depth + 1, conflict))
        }
        Value::Object(ObjType::List) => {
            Json::Array(list_at_depth(doc, id, heads, depth + 1, conflict))
        }
        Value::Object(ObjType::Text) => {
            let text = match heads {
                Some(h) => doc.text_at(id, h),
                None => doc.text(id),
            };
            Json::String(text.unwrap_or_default())
        }
    }
}

/// A map object (at `heads`, or now) as a JSON object.
pub(crate) fn map_to_json(
    doc: &AutoCommit,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> Map<String, Json> {
    map_at_depth(doc, obj, heads, 0, &Cell::new(false))
}

/// [`map_to_json`] (now), and sets `conflict` when any map read on the way
/// holds a key with more than one value.
pub(crate) fn map_to_json_noting(
    doc: &AutoCommit,
    obj: &ObjId,
    conflict: &Cell<bool>,
) -> Map<String, Json> {
    map_at_depth(doc, obj, None, 0, conflict)
}

fn map_at_depth(
    doc: &AutoCommit,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
    depth: usize,
    conflict: &Cell<bool>,
) -> Map<String, Json> {
    // One ordered pass over the map (a lookup per key would seek the
    // key's operations again each time).
    let items = match heads {
        Some(h) => doc.map_range_at(obj, .., h),
        None => doc.map_range(obj, ..),
    };
    let mut out = Map::new();
    for item in items {
        if item.conflict {
            conflict.set(true);
        }
        let json = item_to_json(doc, &item.value, || item.id(), heads, depth, conflict);
        out.insert(item.key.into_owned(), json);
    }
    out
}

fn list_to_json(
    doc: &AutoCommit,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
    depth: usize,
) -> Vec<Json> {
    list_at_depth(doc, obj, heads, depth, &Cell::new(false))
}

fn list_at_depth(
    doc: &AutoCommit,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
    depth: usize,
    conflict: &Cell<bool>,
) -> Vec<Json> {
    let items = match heads {
        Some(h) => doc.list_range_at(obj, .., h),
        None => doc.list_range(obj, ..),
    };
    items
        .map(|item| item_to_json(doc, &item.value, || item.id(), heads, depth, conflict))
        .collect()
}

/// One value read in a pass over its map or list, by [`value_at_depth`]; an
/// object's id is asked for only then (a scalar needs none).
fn item_to_json(
    doc: &AutoCommit,
    value: &automerge::ValueRef<'_>,
    id: impl FnOnce() -> ObjId,
    heads: Option<&[ChangeHash]>,
    depth: usize,
    conflict: &Cell<bool>,
) -> Json {
    let id = match value {
        automerge::ValueRef::Object(_) => id(),
        automerge::ValueRef::Scalar(_) => ObjId::Root,
    };
    value_at_depth(
        doc,
        &value.clone().into_value(),
        &id,
        heads,
        depth,
        conflict,
    )
}
