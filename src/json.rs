//! Conversion between `google.protobuf.Struct` and `serde_json` values.
//!
//! Every JSON number crosses the wire as a double, so integral doubles within
//! ±2^53 come back as integers: typed structs with integer fields (such as
//! `maxSessionDuration`) then deserialize as users wrote them.

use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};
use serde_json::{Map, Number};

/// The largest magnitude at which every integer is exactly representable as
/// an `f64`; beyond it an integral double may already be a rounded value.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A value that JSON cannot represent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    /// NaN and the infinities have no JSON spelling.
    #[error("{path}: number is not finite")]
    NonFinite {
        /// JSON path of the offending value, such as `.spec.a[2]`.
        path: String,
    },
}

/// Converts a protobuf `Struct` to a JSON object.
pub fn struct_to_json(value: &Struct) -> Result<Map<String, serde_json::Value>, ConversionError> {
    fields_to_json(value, &mut String::new())
}

/// Converts a protobuf `Value` to JSON. A `Value` without a kind reads as null.
pub fn value_to_json(value: &Value) -> Result<serde_json::Value, ConversionError> {
    kind_to_json(value.kind.as_ref(), &mut String::new())
}

fn fields_to_json(
    value: &Struct,
    path: &mut String,
) -> Result<Map<String, serde_json::Value>, ConversionError> {
    let mut object = Map::new();
    for (key, field) in &value.fields {
        let depth = path.len();
        path.push('.');
        path.push_str(key);
        let converted = kind_to_json(field.kind.as_ref(), path)?;
        path.truncate(depth);
        object.insert(key.clone(), converted);
    }
    Ok(object)
}

fn kind_to_json(
    kind: Option<&Kind>,
    path: &mut String,
) -> Result<serde_json::Value, ConversionError> {
    Ok(match kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(flag)) => serde_json::Value::Bool(*flag),
        Some(Kind::StringValue(text)) => serde_json::Value::String(text.clone()),
        Some(Kind::NumberValue(number)) => {
            serde_json::Value::Number(number_to_json(*number, path)?)
        }
        Some(Kind::StructValue(object)) => serde_json::Value::Object(fields_to_json(object, path)?),
        Some(Kind::ListValue(list)) => {
            let mut items = Vec::with_capacity(list.values.len());
            for (index, item) in list.values.iter().enumerate() {
                let depth = path.len();
                path.push_str(&format!("[{index}]"));
                items.push(kind_to_json(item.kind.as_ref(), path)?);
                path.truncate(depth);
            }
            serde_json::Value::Array(items)
        }
    })
}

fn number_to_json(number: f64, path: &str) -> Result<Number, ConversionError> {
    if number.fract() == 0.0 && number.abs() <= MAX_SAFE_INTEGER {
        // Exact: the guard above keeps the value integral and within i64.
        #[allow(clippy::cast_possible_truncation)]
        return Ok(Number::from(number as i64));
    }
    Number::from_f64(number).ok_or_else(|| ConversionError::NonFinite {
        path: path.to_owned(),
    })
}

/// Converts a JSON object to a protobuf `Struct`.
#[must_use]
pub fn json_to_struct(object: Map<String, serde_json::Value>) -> Struct {
    Struct {
        fields: object
            .into_iter()
            .map(|(key, value)| (key, json_to_value(value)))
            .collect(),
    }
}

/// Converts a JSON value to a protobuf `Value`; the kind is always set, so
/// a JSON null becomes an explicit `NullValue`.
#[must_use]
pub fn json_to_value(value: serde_json::Value) -> Value {
    let kind = match value {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(flag) => Kind::BoolValue(flag),
        // Every serde_json number has an f64 view (u64/i64 beyond 2^53 round,
        // as they would in any JSON-over-Struct transport).
        serde_json::Value::Number(number) => Kind::NumberValue(number.as_f64().unwrap_or_default()),
        serde_json::Value::String(text) => Kind::StringValue(text),
        serde_json::Value::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(json_to_value).collect(),
        }),
        serde_json::Value::Object(object) => Kind::StructValue(json_to_struct(object)),
    };
    Value { kind: Some(kind) }
}
