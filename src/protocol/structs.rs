//! Conversion between `google.protobuf.Struct` and `serde_json` values.
//!
//! Every JSON number crosses the wire as a double, so integral doubles within
//! ±2^53 come back as integers: typed structs with integer fields (such as
//! `maxSessionDuration`) then deserialize as users wrote them.

use std::fmt::Write as _;

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
    fields_to_json(value)
}

/// Converts a protobuf `Value` to JSON. A `Value` without a kind reads as null.
pub fn value_to_json(value: &Value) -> Result<serde_json::Value, ConversionError> {
    kind_to_json(value.kind.as_ref())
}

// The path of a bad value is written only on the way out of an error, so
// that converting a good document formats nothing.

fn fields_to_json(value: &Struct) -> Result<Map<String, serde_json::Value>, ConversionError> {
    let mut object = Map::new();
    for (key, field) in &value.fields {
        let converted = kind_to_json(field.kind.as_ref()).map_err(|error| {
            error.within(|path| {
                path.push('.');
                path.push_str(key);
            })
        })?;
        object.insert(key.clone(), converted);
    }
    Ok(object)
}

fn kind_to_json(kind: Option<&Kind>) -> Result<serde_json::Value, ConversionError> {
    Ok(match kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(flag)) => serde_json::Value::Bool(*flag),
        Some(Kind::StringValue(text)) => serde_json::Value::String(text.clone()),
        Some(Kind::NumberValue(number)) => serde_json::Value::Number(number_to_json(*number)?),
        Some(Kind::StructValue(object)) => serde_json::Value::Object(fields_to_json(object)?),
        Some(Kind::ListValue(list)) => {
            let mut items = Vec::with_capacity(list.values.len());
            for (index, item) in list.values.iter().enumerate() {
                let converted = kind_to_json(item.kind.as_ref()).map_err(|error| {
                    error.within(|path| {
                        // Writing to a String cannot fail.
                        let _ = write!(path, "[{index}]");
                    })
                })?;
                items.push(converted);
            }
            serde_json::Value::Array(items)
        }
    })
}

impl ConversionError {
    /// The error of a value found under the segment `segment` writes.
    fn within(self, segment: impl FnOnce(&mut String)) -> Self {
        match self {
            ConversionError::NonFinite { path } => {
                let mut outer = String::new();
                segment(&mut outer);
                outer.push_str(&path);
                ConversionError::NonFinite { path: outer }
            }
        }
    }
}

fn number_to_json(number: f64) -> Result<Number, ConversionError> {
    if number.fract() == 0.0 && number.abs() <= MAX_SAFE_INTEGER {
        // Exact: the guard above keeps the value integral and within i64.
        #[allow(clippy::cast_possible_truncation)]
        return Ok(Number::from(number as i64));
    }
    Number::from_f64(number).ok_or_else(|| ConversionError::NonFinite {
        path: String::new(),
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

#[cfg(test)]
mod tests {
    use super::{
        json_to_struct, json_to_value, struct_to_json, value_to_json, ConversionError, Kind,
        ListValue, Map, Struct, Value,
    };
    use serde_json::json;

    fn number(value: f64) -> Value {
        Value {
            kind: Some(Kind::NumberValue(value)),
        }
    }

    fn object(value: serde_json::Value) -> Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        }
    }

    /// 2^53, the last integer before doubles start skipping integers.
    const TWO_TO_53: f64 = 9_007_199_254_740_992.0;

    #[test]
    fn integral_doubles_become_integers() {
        for (double, integer) in [(3600.0, 3600_i64), (0.0, 0), (-0.0, 0), (-42.0, -42)] {
            let converted = value_to_json(&number(double)).unwrap();
            assert!(converted.is_i64(), "{double} became {converted}");
            assert_eq!(converted, json!(integer));
        }
        // What deserializing into typed structs relies on.
        let text = serde_json::to_string(&value_to_json(&number(3600.0)).unwrap()).unwrap();
        assert_eq!(text, "3600");
        let typed: u32 = serde_json::from_value(value_to_json(&number(3600.0)).unwrap()).unwrap();
        assert_eq!(typed, 3600);
    }

    #[test]
    fn non_integral_doubles_stay_floats() {
        for double in [0.5, -1.25, 1234.5, 1e-300] {
            let converted = value_to_json(&number(double)).unwrap();
            assert!(converted.is_f64(), "{double} became {converted}");
            assert_eq!(converted.as_f64().unwrap().to_bits(), double.to_bits());
        }
    }

    #[test]
    fn integers_up_to_two_to_the_53_are_exact_and_beyond_stay_floats() {
        let at_bound = value_to_json(&number(TWO_TO_53)).unwrap();
        assert_eq!(at_bound, json!(9_007_199_254_740_992_i64));
        let at_negative_bound = value_to_json(&number(-TWO_TO_53)).unwrap();
        assert_eq!(at_negative_bound, json!(-9_007_199_254_740_992_i64));
        assert_eq!(
            value_to_json(&number(TWO_TO_53 - 1.0)).unwrap(),
            json!(9_007_199_254_740_991_i64)
        );
        // The next doubles are integral but may already be rounded values.
        for beyond in [TWO_TO_53 + 2.0, -(TWO_TO_53 + 2.0), TWO_TO_53 * 4.0, 1e300] {
            let converted = value_to_json(&number(beyond)).unwrap();
            assert!(converted.is_f64(), "{beyond} became {converted}");
            assert_eq!(converted.as_f64().unwrap().to_bits(), beyond.to_bits());
        }
    }

    #[test]
    fn json_integers_beyond_two_to_the_53_round_like_any_double() {
        let sent = json_to_value(json!(9_007_199_254_740_993_u64));
        assert_eq!(sent.kind, Some(Kind::NumberValue(TWO_TO_53)));
        assert_eq!(
            value_to_json(&sent).unwrap(),
            json!(9_007_199_254_740_992_u64)
        );
    }

    #[test]
    fn non_finite_numbers_are_rejected_with_their_path() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                value_to_json(&number(bad)),
                Err(ConversionError::NonFinite {
                    path: String::new()
                })
            );
            let mut document = json_to_struct(object(json!({
                "spec": {"limits": [1, 2, {"max": 0}]}
            })));
            let Some(Kind::StructValue(spec)) = &mut document.fields.get_mut("spec").unwrap().kind
            else {
                panic!("spec is an object");
            };
            let Some(Kind::ListValue(limits)) = &mut spec.fields.get_mut("limits").unwrap().kind
            else {
                panic!("limits is a list");
            };
            let Some(Kind::StructValue(last)) = &mut limits.values[2].kind else {
                panic!("the last limit is an object");
            };
            last.fields.insert("max".to_owned(), number(bad));
            let error = struct_to_json(&document).unwrap_err();
            assert_eq!(
                error,
                ConversionError::NonFinite {
                    path: ".spec.limits[2].max".to_owned()
                }
            );
            assert_eq!(
                error.to_string(),
                ".spec.limits[2].max: number is not finite"
            );
        }
    }

    #[test]
    fn nested_lists_convert_both_ways() {
        let nested = json!([[1, [2.5, "x"]], [], [[[]]], [null, true]]);
        let value = json_to_value(nested.clone());
        let Some(Kind::ListValue(outer)) = &value.kind else {
            panic!("a list");
        };
        assert_eq!(outer.values.len(), 4);
        assert_eq!(value_to_json(&value).unwrap(), nested);
    }

    #[test]
    fn nulls_are_explicit_on_the_way_in_and_null_on_the_way_out() {
        let value = json_to_value(serde_json::Value::Null);
        assert_eq!(value.kind, Some(Kind::NullValue(0)));
        assert_eq!(value_to_json(&value).unwrap(), serde_json::Value::Null);
        let document = json_to_struct(object(json!({"a": null, "b": [null]})));
        assert_eq!(document.fields["a"].kind, Some(Kind::NullValue(0)));
        assert_eq!(
            serde_json::Value::Object(struct_to_json(&document).unwrap()),
            json!({"a": null, "b": [null]})
        );
    }

    #[test]
    fn a_value_without_a_kind_reads_as_null() {
        assert_eq!(
            value_to_json(&Value::default()).unwrap(),
            serde_json::Value::Null
        );
        let document = Struct {
            fields: [("unset".to_owned(), Value::default())]
                .into_iter()
                .collect(),
        };
        assert_eq!(
            serde_json::Value::Object(struct_to_json(&document).unwrap()),
            json!({"unset": null})
        );
        let list = Value {
            kind: Some(Kind::ListValue(ListValue {
                values: vec![Value::default(), number(1.0)],
            })),
        };
        assert_eq!(value_to_json(&list).unwrap(), json!([null, 1]));
    }

    #[test]
    fn every_kind_is_set_on_the_way_in() {
        let value = json_to_value(json!({"a": [1, "b", null, false, {}, []]}));
        let mut pending = vec![&value];
        let mut seen = 0;
        while let Some(value) = pending.pop() {
            seen += 1;
            match value.kind.as_ref().expect("a kind") {
                Kind::StructValue(object) => pending.extend(object.fields.values()),
                Kind::ListValue(list) => pending.extend(list.values.iter()),
                _ => {}
            }
        }
        assert_eq!(seen, 8);
    }

    #[test]
    fn empty_structs_stay_empty() {
        assert!(struct_to_json(&Struct::default()).unwrap().is_empty());
        assert!(json_to_struct(Map::new()).fields.is_empty());
        let document = json!({"a": {}, "b": [{}], "c": {"d": {}}});
        let converted = json_to_struct(object(document.clone()));
        assert_eq!(
            converted.fields["a"].kind,
            Some(Kind::StructValue(Struct::default()))
        );
        assert_eq!(
            serde_json::Value::Object(struct_to_json(&converted).unwrap()),
            document
        );
    }

    #[test]
    fn json_round_trips_through_struct() {
        let documents = [
            json!({}),
            json!({
                "apiVersion": "iam.aws.upbound.io/v1beta1",
                "kind": "Widget",
                "metadata": {"annotations": {"crossplane.io/external-name": "x"}, "labels": {}},
                "spec": {
                    "forProvider": {
                        "maxSessionDuration": 3600,
                        "assumeRolePolicy": "{\"Version\":\"2012-10-17\"}",
                        "ratio": 0.75,
                        "negative": -17,
                        "tags": {"team": "a"},
                        "managedPolicyArns": ["arn:aws:iam::aws:policy/A", "b"],
                        "nothing": null,
                        "enabled": false,
                        "matrix": [[1, 2], [3.5], []],
                        "largest": 9_007_199_254_740_992_i64,
                        "smallest": -9_007_199_254_740_992_i64,
                    }
                },
                "unicode": "é ✓ \u{0}",
            }),
        ];
        for document in documents {
            let there = json_to_struct(object(document.clone()));
            let back = serde_json::Value::Object(struct_to_json(&there).unwrap());
            assert_eq!(back, document);
            // And a second trip changes nothing either.
            assert_eq!(json_to_struct(object(back)), there);
        }
    }
}
