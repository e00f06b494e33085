use super::*;
use crate::model::RecordKind;
use chrono::NaiveDate;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 14)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("a date")
}

/// The model as JSON: the household example and each record kind's.
fn example_json(kind: FormKind) -> Value {
    use crate::model::examples;
    match kind {
        FormKind::Household => serde_json::to_value(examples::household()).expect("json"),
        FormKind::Record(k) => examples::example(k).to_json(),
    }
}

/// Every key path of an object, descending into nested objects (not into
/// collections, whose keys are ids or codes).
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, v) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}/{key}")
            };
            out.push(path.clone());
            if !is_collection(key) && key != "review" {
                key_paths(v, &path, out);
            }
        }
    }
}

#[test]
fn the_schema_and_the_model_name_the_same_fields() {
    for kind in FormKind::all() {
        let mut model = Vec::new();
        key_paths(&example_json(kind), "", &mut model);
        let mut schema = Vec::new();
        key_paths(&blank(kind, now()), "", &mut schema);
        // Optional objects are null in a blank record (and may be in an
        // example): compare what both sides always hold.
        let spec = spec(kind);
        let inside_optional = |p: &String| {
            spec.nullable
                .iter()
                .any(|n| p.starts_with(&format!("{n}/")))
        };
        model.retain(|p| !inside_optional(p));
        schema.retain(|p| !inside_optional(p));
        model.sort();
        schema.sort();
        assert_eq!(
            model, schema,
            "{kind:?}: model fields (left) and schema rows (right) differ"
        );
    }
}

#[test]
fn prose_and_collections_come_from_the_tables() {
    // Free text of a visit and items of its collections, as the bridge
    // must treat them.
    assert!(is_prose("notes"));
    assert!(is_prose("description"));
    assert!(!is_prose("phone"));
    for kind in RecordKind::ALL {
        assert!(is_collection(kind.container()), "{kind:?}");
    }
    assert!(is_collection("readings"));
    assert!(is_collection("registers"));
    assert!(is_collection("smoke_detectors"));
    assert!(!is_collection("address"));
    assert!(!is_collection("prepaid_status"));
}

#[test]
fn a_field_label_is_found_by_its_path() {
    let kind = FormKind::Record(RecordKind::MeterCheck);
    assert_eq!(
        field_label(kind, &"ean".into(), Lang::Nl),
        Some("EAN-code (18 cijfers)")
    );
    let id = uuid::Uuid::now_v7().to_string();
    let register = FieldPath::of(["readings", &id, "registers", "1.8.1"]);
    assert_eq!(
        field_label(kind, &register, Lang::Nl),
        Some("afname dag (1.8.1)")
    );
    let night = FieldPath::of(["readings", &id, "registers", "1.8.2"]);
    assert_ne!(
        field_label(kind, &night, Lang::Nl),
        field_label(kind, &register, Lang::Nl)
    );
    assert_eq!(field_label(kind, &"no-such-field".into(), Lang::En), None);
    // Text a change's note holds finds the same path, register code whole.
    assert_eq!(path_of(kind, &register.to_string()), register);
    assert_eq!(path_of(kind, "ean"), FieldPath::from("ean"));
    assert_eq!(
        path_of(FormKind::Household, "address.postcode").keys(),
        ["address", "postcode"]
    );
}

#[test]
fn every_section_starts_at_a_field_of_its_form_in_the_form_s_order() {
    for kind in FormKind::all() {
        let spec = spec(kind);
        let places: Vec<usize> = spec
            .sections
            .iter()
            .map(|s| {
                spec.fields
                    .iter()
                    .position(|f| f.path == s.from)
                    .unwrap_or_else(|| panic!("{kind:?}: section {} starts at no field", s.nl))
            })
            .collect();
        assert!(
            places.windows(2).all(|w| w[0] < w[1]),
            "{kind:?}: {places:?}"
        );
    }
    // The long forms are in sections.
    for kind in [
        FormKind::Household,
        FormKind::Record(RecordKind::Visit),
        FormKind::Record(RecordKind::MeterCheck),
        FormKind::Record(RecordKind::Renovation),
        FormKind::Record(RecordKind::EnergyScan),
        FormKind::Record(RecordKind::Referral),
    ] {
        assert!(spec(kind).sections.len() >= 4, "{kind:?}");
    }
}
