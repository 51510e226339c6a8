//! Reading a `google.protobuf.Struct` by path: the one place that walks
//! nested objects, for the function, the status reader and log summaries.

use prost_types::value::Kind;
use prost_types::{ListValue, Struct};

/// The value at `path` below `object`, following nested objects.
#[must_use]
pub fn get<'a>(object: &'a Struct, path: &[&str]) -> Option<&'a Kind> {
    let (last, parents) = path.split_last()?;
    let mut current = object;
    for key in parents {
        match current.fields.get(*key)?.kind.as_ref()? {
            Kind::StructValue(inner) => current = inner,
            _ => return None,
        }
    }
    current.fields.get(*last)?.kind.as_ref()
}

/// The non-empty string at `path`.
#[must_use]
pub fn text<'a>(object: &'a Struct, path: &[&str]) -> Option<&'a str> {
    match get(object, path)? {
        Kind::StringValue(text) if !text.is_empty() => Some(text),
        _ => None,
    }
}

/// The object at `path`.
#[must_use]
pub fn object<'a>(object: &'a Struct, path: &[&str]) -> Option<&'a Struct> {
    match get(object, path)? {
        Kind::StructValue(inner) => Some(inner),
        _ => None,
    }
}

/// The list at `path`.
#[must_use]
pub fn list<'a>(object: &'a Struct, path: &[&str]) -> Option<&'a ListValue> {
    match get(object, path)? {
        Kind::ListValue(list) => Some(list),
        _ => None,
    }
}

/// Runs `change` on the object at `path`, made writable: each missing (or
/// non-object) step becomes an empty object, and whatever else the parents
/// hold is kept.
pub fn with_object(object: &mut Struct, path: &[&str], change: impl FnOnce(&mut Struct)) {
    let Some((first, rest)) = path.split_first() else {
        change(object);
        return;
    };
    let mut inner = match object.fields.remove(*first).and_then(|value| value.kind) {
        Some(Kind::StructValue(inner)) => inner,
        _ => Struct::default(),
    };
    with_object(&mut inner, rest, change);
    object.fields.insert(
        (*first).to_owned(),
        prost_types::Value {
            kind: Some(Kind::StructValue(inner)),
        },
    );
}

#[cfg(test)]
mod tests {
    use prost_types::value::Kind;
    use prost_types::Struct;
    use serde_json::json;

    use super::{get, list, object, text, with_object};
    use crate::protocol::structs::{json_to_struct, struct_to_json};

    fn sample() -> Struct {
        let serde_json::Value::Object(fields) = json!({
            "metadata": {"name": "shop", "labels": {}},
            "status": {"conditions": [{"type": "Ready"}], "empty": ""},
            "kind": 7
        }) else {
            unreachable!()
        };
        json_to_struct(fields)
    }

    #[test]
    fn follows_objects_and_stops_at_anything_else() {
        let object_value = sample();
        assert_eq!(text(&object_value, &["metadata", "name"]), Some("shop"));
        assert_eq!(text(&object_value, &["status", "empty"]), None);
        assert_eq!(text(&object_value, &["kind", "name"]), None);
        assert_eq!(text(&object_value, &["kind"]), None);
        assert!(matches!(
            get(&object_value, &["kind"]),
            Some(Kind::NumberValue(_))
        ));
        assert!(object(&object_value, &["metadata", "labels"]).is_some());
        assert_eq!(
            list(&object_value, &["status", "conditions"]).map(|l| l.values.len()),
            Some(1)
        );
        assert!(get(&object_value, &[]).is_none());
    }

    #[test]
    fn writable_objects_keep_siblings_and_replace_scalars() {
        let mut value = sample();
        with_object(&mut value, &["status", "podIdentity"], |status| {
            status.fields.insert("roleArn".into(), "arn".into());
        });
        with_object(&mut value, &["kind", "inner"], |_| {});
        assert_eq!(
            serde_json::Value::Object(struct_to_json(&value).unwrap()),
            json!({
                "metadata": {"name": "shop", "labels": {}},
                "status": {"conditions": [{"type": "Ready"}], "empty": "", "podIdentity": {"roleArn": "arn"}},
                "kind": {"inner": {}}
            })
        );
    }
}
