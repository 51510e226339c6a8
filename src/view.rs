//! Decoding a `RunFunctionRequest` only as far as the function reads it.
//!
//! Most of a settled XR's request is its observed state: every composed
//! resource as the API server returns it (metadata, managed fields, spec,
//! status), of which the function reads the status conditions and a few
//! `status.atProvider` fields. Decoding all of that into `Struct`s, and
//! dropping it again, costs more than everything else a call does.
//!
//! So the server walks the observed state's wire bytes in place, field by
//! field, and decodes only the keys the [`Read`] tables name (the tables
//! sit next to the code that reads: [`crate::function::XR_READS`] and
//! [`crate::observed::COMPOSED_READS`]); nothing else is copied or
//! allocated. What the function reads comes out exactly as a full decode
//! gives it, down to protobuf's merging of a message given more than once;
//! the desired state, input and context decode whole, as they pass through
//! to the response. The other parts are skipped whole (only the entries of
//! an object read are framed), so bad UTF-8 in, say, an observed
//! resource's annotations does not fail the call: nothing reads it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use prost::bytes::{Buf, Bytes};
use prost::encoding::{check_wire_type, WireType};
use prost::{DecodeError, Message};
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

use crate::function::XR_READS;
use crate::observed::COMPOSED_READS;
use crate::proto::v1::{RequestMeta, Resource, RunFunctionRequest, State};
use crate::wire::{join, Fields};

/// One key of an object that the function reads: its whole value, or, when
/// the value is an object (or a list of objects), only the keys below it
/// that are listed.
#[derive(Debug)]
pub struct Read {
    key: &'static str,
    shape: Shape,
}

/// How much of a value [`Read`] decodes.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Whole,
    Object(&'static [Read]),
    EachObject(&'static [Read]),
}

impl Read {
    /// The whole value at `key`.
    #[must_use]
    pub const fn whole(key: &'static str) -> Self {
        Self {
            key,
            shape: Shape::Whole,
        }
    }

    /// Of the value at `key`, only `below` if it is an object; any other
    /// value whole.
    #[must_use]
    pub const fn within(key: &'static str, below: &'static [Read]) -> Self {
        Self {
            key,
            shape: Shape::Object(below),
        }
    }

    /// Of the value at `key`, if it is a list, only `below` of each item
    /// that is an object; other items, and any other value, whole.
    #[must_use]
    pub const fn each(key: &'static str, below: &'static [Read]) -> Self {
        Self {
            key,
            shape: Shape::EachObject(below),
        }
    }
}

/// Decodes a request, leaving unread the parts of the observed state the
/// function never reads, and required resources, credentials and schemas.
pub fn decode_request(buf: impl Buf) -> Result<RunFunctionRequest, DecodeError> {
    let RequestView {
        meta,
        observed,
        desired,
        input,
        context,
    } = RequestView::decode(buf)?;
    let observed = observed
        .iter()
        .fold(None, |joined, more| Some(join(joined, more)));
    Ok(RunFunctionRequest {
        meta,
        observed: observed.as_deref().map(read_state).transpose()?,
        desired,
        input,
        context,
        ..RunFunctionRequest::default()
    })
}

/// `RunFunctionRequest`, with the observed state left encoded; the fields
/// not declared are skipped unread.
#[derive(Clone, PartialEq, Message)]
struct RequestView {
    #[prost(message, optional, tag = "1")]
    meta: Option<RequestMeta>,
    /// Every occurrence, in wire order, to be merged as one message.
    #[prost(bytes = "bytes", repeated, tag = "2")]
    observed: Vec<Bytes>,
    #[prost(message, optional, tag = "3")]
    desired: Option<State>,
    #[prost(message, optional, tag = "4")]
    input: Option<Struct>,
    #[prost(message, optional, tag = "5")]
    context: Option<Struct>,
}

/// `State`: the observed XR, and each composed resource, by name.
fn read_state(encoded: &[u8]) -> Result<State, DecodeError> {
    let mut composite = None;
    let mut resources = BTreeMap::new();
    for field in Fields::of(encoded) {
        let field = field?;
        match field.number {
            1 => composite = Some(join(composite, field.delimited()?)),
            2 => {
                let (name, resource) = read_resource_entry(field.delimited()?)?;
                // As in any protobuf map, a later entry for a name replaces
                // an earlier one.
                resources.insert(name, resource);
            }
            _ => {}
        }
    }
    Ok(State {
        composite: composite
            .as_deref()
            .map(|composite| read_resource(composite, XR_READS))
            .transpose()?,
        resources,
    })
}

/// One entry of `State.resources`.
fn read_resource_entry(encoded: &[u8]) -> Result<(String, Resource), DecodeError> {
    let mut name = String::new();
    let mut resource = None;
    for field in Fields::of(encoded) {
        let field = field?;
        match field.number {
            1 => name = field.string()?,
            2 => resource = Some(join(resource, field.delimited()?)),
            _ => {}
        }
    }
    let resource = read_resource(resource.as_deref().unwrap_or_default(), COMPOSED_READS)?;
    Ok((name, resource))
}

/// `Resource`: the object alone, without its connection details and
/// readiness.
fn read_resource(encoded: &[u8], reads: &[Read]) -> Result<Resource, DecodeError> {
    let mut object = None;
    for field in Fields::of(encoded) {
        let field = field?;
        if field.number == 1 {
            object = Some(join(object, field.delimited()?));
        }
    }
    Ok(Resource {
        resource: object
            .as_deref()
            .map(|object| read_object(object, reads))
            .transpose()?,
        ..Resource::default()
    })
}

/// `google.protobuf.Struct`: the keys `reads` names. As in any protobuf
/// map, a later entry for a key replaces an earlier one.
fn read_object(encoded: &[u8], reads: &[Read]) -> Result<Struct, DecodeError> {
    let mut object = Struct::default();
    for entry in Fields::of(encoded) {
        let entry = entry?;
        if entry.number != 1 {
            continue;
        }
        let mut key: &[u8] = &[];
        let mut value = None;
        for field in Fields::of(entry.delimited()?) {
            let field = field?;
            match field.number {
                // Only keys equal to a name the function reads matter, and
                // those are UTF-8: other keys stay unchecked bytes.
                1 => key = field.delimited()?,
                2 => value = Some(join(value, field.delimited()?)),
                _ => {}
            }
        }
        if let Some(read) = reads.iter().find(|read| read.key.as_bytes() == key) {
            let value = read.shape.value(value.as_deref().unwrap_or_default())?;
            object.fields.insert(read.key.to_owned(), value);
        }
    }
    Ok(object)
}

/// `google.protobuf.ListValue`: every item, of an object the keys `below`
/// names, anything else whole.
fn read_list(encoded: &[u8], below: &'static [Read]) -> Result<ListValue, DecodeError> {
    let mut values = Vec::new();
    for field in Fields::of(encoded) {
        let field = field?;
        if field.number == 1 {
            values.push(Shape::Object(below).value(field.delimited()?)?);
        }
    }
    Ok(ListValue { values })
}

impl Shape {
    /// A value of this shape, read from its encoding.
    fn value(self, encoded: &[u8]) -> Result<Value, DecodeError> {
        let member = match self {
            Shape::Whole => None,
            Shape::Object(_) | Shape::EachObject(_) => last_member(encoded)?,
        };
        let kind = match (self, member) {
            (
                Shape::Object(below),
                Some(Member {
                    number: STRUCT_VALUE,
                    encoded: object,
                }),
            ) => Some(Kind::StructValue(read_object(&object, below)?)),
            (
                Shape::EachObject(below),
                Some(Member {
                    number: LIST_VALUE,
                    encoded: list,
                }),
            ) => Some(Kind::ListValue(read_list(&list, below)?)),
            _ => None,
        };
        match kind {
            Some(kind) => Ok(Value { kind: Some(kind) }),
            None => Value::decode(encoded),
        }
    }
}

/// `Value.struct_value`'s field number.
const STRUCT_VALUE: u32 = 5;
/// `Value.list_value`'s field number.
const LIST_VALUE: u32 = 6;

/// The member of `Value`'s oneof `kind` that a full decode ends with.
struct Member<'a> {
    number: u32,
    /// An object's or a list's encoding; empty for the other members.
    encoded: Cow<'a, [u8]>,
}

/// As in `Value`, the last member on the wire wins, and an object (or a
/// list) given more than once in a row is merged.
fn last_member(encoded: &[u8]) -> Result<Option<Member<'_>>, DecodeError> {
    let mut last: Option<Member<'_>> = None;
    for field in Fields::of(encoded) {
        let field = field?;
        let payload = match field.number {
            // null (an enum) and bool
            1 | 4 => check_wire_type(WireType::Varint, field.wire_type).map(|()| &[][..])?,
            // number
            2 => check_wire_type(WireType::SixtyFourBit, field.wire_type).map(|()| &[][..])?,
            // A string is unread unless it is the last member, and then the
            // value is read whole.
            3 => field.delimited().map(|_| &[][..])?,
            STRUCT_VALUE | LIST_VALUE => field.delimited()?,
            _ => continue,
        };
        last = Some(match last {
            Some(earlier)
                if earlier.number == field.number
                    && matches!(field.number, STRUCT_VALUE | LIST_VALUE) =>
            {
                Member {
                    number: field.number,
                    encoded: join(Some(earlier.encoded), payload),
                }
            }
            _ => Member {
                number: field.number,
                encoded: Cow::Borrowed(payload),
            },
        });
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use serde_json::json;

    use super::decode_request;
    use crate::json::{json_to_struct, struct_to_json};
    use crate::proto::v1::{Credentials, RequestMeta, Resource, RunFunctionRequest, State};

    fn resource(body: serde_json::Value) -> Resource {
        let serde_json::Value::Object(body) = body else {
            panic!("not an object")
        };
        Resource {
            resource: Some(json_to_struct(body)),
            connection_details: [("password".to_owned(), b"hunter2".to_vec())]
                .into_iter()
                .collect(),
            ..Resource::default()
        }
    }

    fn body(resource: Option<&Resource>) -> serde_json::Value {
        serde_json::Value::Object(
            struct_to_json(resource.unwrap().resource.as_ref().unwrap()).unwrap(),
        )
    }

    #[test]
    fn keeps_what_is_read_and_drops_the_rest() {
        let request = RunFunctionRequest {
            meta: Some(RequestMeta {
                tag: "t".to_owned(),
                ..RequestMeta::default()
            }),
            observed: Some(State {
                composite: Some(resource(json!({
                    "apiVersion": "v",
                    "kind": "X",
                    "metadata": {"name": "n", "namespace": "ns", "labels": {"a": "b"}},
                    "spec": {"parameters": {"region": "r"}, "claimRef": {"name": "c"}},
                    "status": {"conditions": []},
                }))),
                resources: [(
                    "iamRole".to_owned(),
                    resource(json!({
                        "metadata": {"name": "r"},
                        "spec": {"forProvider": {}},
                        "status": {"atProvider": {"arn": "a", "uniqueId": "u"}, "conditions": [], "other": 1},
                    })),
                )]
                .into_iter()
                .collect(),
            }),
            desired: Some(State {
                composite: Some(resource(json!({"status": {"x": 1}}))),
                ..State::default()
            }),
            input: Some(json_to_struct(
                [("defaults".to_owned(), json!({"region": "r"}))]
                    .into_iter()
                    .collect(),
            )),
            context: Some(json_to_struct(
                [("k".to_owned(), json!([1, "two"]))].into_iter().collect(),
            )),
            credentials: [("c".to_owned(), Credentials::default())]
                .into_iter()
                .collect(),
            ..RunFunctionRequest::default()
        };
        let decoded = decode_request(request.encode_to_vec().as_slice()).unwrap();
        let observed = decoded.observed.as_ref().unwrap();
        assert_eq!(
            body(observed.composite.as_ref()),
            json!({
                "apiVersion": "v",
                "kind": "X",
                "metadata": {"name": "n", "namespace": "ns"},
                "spec": {"parameters": {"region": "r"}},
            })
        );
        let role = observed.resources.get("iamRole");
        assert_eq!(
            body(role),
            json!({"status": {"atProvider": {"arn": "a"}, "conditions": []}})
        );
        assert!(role.unwrap().connection_details.is_empty());
        assert_eq!(decoded.meta, request.meta);
        assert_eq!(decoded.desired, request.desired);
        assert_eq!(decoded.input, request.input);
        assert_eq!(decoded.context, request.context);
        assert!(decoded.credentials.is_empty());
    }

    #[test]
    fn a_value_that_is_not_an_object_is_kept_whole() {
        let request = RunFunctionRequest {
            observed: Some(State {
                composite: Some(resource(json!({"metadata": ["a", {"b": 1}], "spec": "s"}))),
                ..State::default()
            }),
            ..RunFunctionRequest::default()
        };
        let decoded = decode_request(request.encode_to_vec().as_slice()).unwrap();
        assert_eq!(
            decoded.observed,
            request.observed.map(|mut state| {
                if let Some(composite) = &mut state.composite {
                    composite.connection_details.clear();
                }
                state
            })
        );
    }

    /// A length-delimited field.
    fn field(number: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![number << 3 | 2];
        prost::encoding::encode_varint(payload.len() as u64, &mut out);
        out.extend_from_slice(payload);
        out
    }

    /// One `Struct.fields` entry.
    fn entry(key: &[u8], value: &[u8]) -> Vec<u8> {
        field(1, &[field(1, key), field(2, value)].concat())
    }

    /// A request whose `observed.composite.resource` has these entries.
    fn observed_xr(entries: &[Vec<u8>]) -> Vec<u8> {
        field(2, &field(1, &field(1, &entries.concat())))
    }

    #[test]
    fn a_later_entry_for_a_key_wins_as_in_a_full_decode() {
        let namespace = field(5, &entry(b"namespace", &field(3, b"a")));
        let name = field(5, &entry(b"name", &field(3, b"b")));
        let text = field(3, b"s");
        for entries in [
            [entry(b"metadata", &namespace), entry(b"metadata", &text)],
            [entry(b"metadata", &text), entry(b"metadata", &namespace)],
            [entry(b"metadata", &namespace), entry(b"metadata", &name)],
            // A Value naming two kinds: the last one counts.
            [
                entry(b"metadata", &[namespace.clone(), text.clone()].concat()),
                Vec::new(),
            ],
            [
                entry(b"metadata", &[text.clone(), namespace.clone()].concat()),
                Vec::new(),
            ],
        ] {
            let bytes = observed_xr(&entries);
            let full = RunFunctionRequest::decode(bytes.as_slice()).unwrap();
            let viewed = decode_request(bytes.as_slice()).unwrap();
            assert_eq!(viewed, full, "{bytes:?}");
        }
    }

    #[test]
    fn fields_given_twice_merge_or_replace_as_in_a_full_decode() {
        let namespace = field(5, &entry(b"namespace", &field(3, b"a")));
        let name = field(5, &entry(b"name", &field(3, b"b")));
        let metadata = |value: &[u8]| [field(1, b"metadata"), field(2, value)].concat();
        let text = field(2, &field(3, b"t"));
        let cases = [
            // An entry's key given twice: the last one counts.
            field(
                1,
                &[field(1, b"kind"), field(1, b"apiVersion"), text.clone()].concat(),
            ),
            field(
                1,
                &[field(1, b"apiVersion"), text, field(1, b"kind")].concat(),
            ),
            // An entry's value given twice: the two objects merge.
            field(1, &[metadata(&namespace), field(2, &name)].concat()),
        ];
        for entries in cases {
            let bytes = observed_xr(&[entries]);
            let full = RunFunctionRequest::decode(bytes.as_slice()).unwrap();
            let viewed = decode_request(bytes.as_slice()).unwrap();
            assert_eq!(viewed, full, "{bytes:?}");
        }
        // The observed state, the XR and its object, each given twice.
        let first = entry(b"kind", &field(3, b"k"));
        let second = entry(b"metadata", &name);
        for bytes in [
            [
                observed_xr(std::slice::from_ref(&first)),
                observed_xr(std::slice::from_ref(&second)),
            ]
            .concat(),
            field(
                2,
                &[field(1, &field(1, &first)), field(1, &field(1, &second))].concat(),
            ),
            field(
                2,
                &field(1, &[field(1, &first), field(1, &second)].concat()),
            ),
        ] {
            let full = RunFunctionRequest::decode(bytes.as_slice()).unwrap();
            let viewed = decode_request(bytes.as_slice()).unwrap();
            assert_eq!(viewed, full, "{bytes:?}");
        }
    }

    /// A request whose observed resource `r` has these status entries.
    fn observed_status(entries: &[Vec<u8>]) -> Vec<u8> {
        let status = entry(b"status", &field(5, &entries.concat()));
        let resource = field(1, &status);
        field(
            2,
            &field(2, &[field(1, b"r"), field(2, &resource)].concat()),
        )
    }

    fn conditions(request: &RunFunctionRequest) -> serde_json::Value {
        let observed = request.observed.as_ref().unwrap();
        body(observed.resources.get("r"))["status"]["conditions"].clone()
    }

    #[test]
    fn list_items_keep_only_what_is_read_and_lists_in_a_row_merge() {
        let condition = |kind: &[u8]| {
            let entries = [
                entry(b"type", &field(3, kind)),
                entry(b"status", &field(3, b"True")),
                entry(b"reason", &field(3, b"Available")),
            ];
            field(1, &field(5, &entries.concat()))
        };
        let first = field(
            6,
            &[condition(b"Ready"), field(1, &field(3, b"s"))].concat(),
        );
        let second = field(6, &condition(b"Synced"));
        let bytes = observed_status(&[entry(b"conditions", &[first, second].concat())]);
        let full = RunFunctionRequest::decode(bytes.as_slice()).unwrap();
        assert_eq!(
            conditions(&full),
            json!([
                {"type": "Ready", "status": "True", "reason": "Available"},
                "s",
                {"type": "Synced", "status": "True", "reason": "Available"},
            ])
        );
        let viewed = decode_request(bytes.as_slice()).unwrap();
        assert_eq!(
            conditions(&viewed),
            json!([{"type": "Ready", "status": "True"}, "s", {"type": "Synced", "status": "True"}])
        );
    }

    #[test]
    fn bad_utf8_counts_only_where_it_is_read() {
        // {<key>: {"x": "\xff"}}
        let bad =
            |key: &[u8]| observed_xr(&[entry(key, &field(5, &entry(b"x", &field(3, &[0xff]))))]);
        assert!(RunFunctionRequest::decode(bad(b"status").as_slice()).is_err());
        assert!(decode_request(bad(b"status").as_slice()).is_ok());
        assert!(decode_request(bad(b"kind").as_slice()).is_err());
    }
}
