//! Decoding a `RunFunctionRequest` only as far as the function reads it.
//!
//! Most of a settled XR's request is its observed state: every composed
//! resource as the API server returns it (metadata, managed fields, spec,
//! status), of which the function reads the status conditions and a few
//! `status.atProvider` fields. Decoding all of that into `Struct`s, and
//! dropping it again, costs more than everything else a call does.
//!
//! So the server decodes through view messages that mirror the protocol's
//! field numbers but declare each object's field values as `bytes`. A
//! message and a `bytes` field share one wire type, so prost hands those
//! values over as slices of the request, and only the keys the [`Read`]
//! tables name are decoded (the tables sit next to the code that reads:
//! [`crate::function::XR_READS`] and [`crate::observed::COMPOSED_READS`]).
//! What the function reads comes out exactly as a full decode gives it; the
//! desired state, input and context decode whole, as they pass through to
//! the response. The other parts are skipped whole (only the entries of
//! an object read are framed), so bad UTF-8 in, say, an observed
//! resource's annotations no longer fails the call: nothing reads it.

use std::collections::BTreeMap;

use prost::bytes::{Buf, Bytes};
use prost::{DecodeError, Message, Oneof};
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

use crate::function::XR_READS;
use crate::observed::COMPOSED_READS;
use crate::proto::v1::{RequestMeta, Resource, RunFunctionRequest, State};

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

    /// The value read from its encoding.
    fn value(&self, encoded: Bytes) -> Result<Value, DecodeError> {
        self.shape.value(encoded)
    }
}

impl Shape {
    /// A value of this shape, read from its encoding.
    fn value(self, encoded: Bytes) -> Result<Value, DecodeError> {
        let kind = match self {
            Shape::Whole => None,
            // Cloning `Bytes` shares the slice; nothing is copied.
            Shape::Object(below) => match ValueView::decode(encoded.clone())?.kind {
                Some(KindView::Object(object)) => Some(Kind::StructValue(object.read(below)?)),
                _ => None,
            },
            Shape::EachObject(below) => match ValueView::decode(encoded.clone())?.kind {
                Some(KindView::List(list)) => Some(Kind::ListValue(list.read(below)?)),
                _ => None,
            },
        };
        match kind {
            Some(kind) => Ok(Value { kind: Some(kind) }),
            None => Value::decode(encoded),
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
    Ok(RunFunctionRequest {
        meta,
        observed: observed.map(StateView::read).transpose()?,
        desired,
        input,
        context,
        ..RunFunctionRequest::default()
    })
}

/// `RunFunctionRequest`; the fields not declared are skipped unread.
#[derive(Clone, PartialEq, Message)]
struct RequestView {
    #[prost(message, optional, tag = "1")]
    meta: Option<RequestMeta>,
    #[prost(message, optional, tag = "2")]
    observed: Option<StateView>,
    #[prost(message, optional, tag = "3")]
    desired: Option<State>,
    #[prost(message, optional, tag = "4")]
    input: Option<Struct>,
    #[prost(message, optional, tag = "5")]
    context: Option<Struct>,
}

/// `State`.
#[derive(Clone, PartialEq, Message)]
struct StateView {
    #[prost(message, optional, tag = "1")]
    composite: Option<ResourceView>,
    #[prost(btree_map = "string, message", tag = "2")]
    resources: BTreeMap<String, ResourceView>,
}

impl StateView {
    fn read(self) -> Result<State, DecodeError> {
        Ok(State {
            composite: self
                .composite
                .map(|composite| composite.read(XR_READS))
                .transpose()?,
            resources: self
                .resources
                .into_iter()
                .map(|(key, resource)| Ok((key, resource.read(COMPOSED_READS)?)))
                .collect::<Result<_, DecodeError>>()?,
        })
    }
}

/// `Resource`, without its connection details and readiness.
#[derive(Clone, PartialEq, Message)]
struct ResourceView {
    #[prost(message, optional, tag = "1")]
    resource: Option<ObjectView>,
}

impl ResourceView {
    fn read(self, reads: &[Read]) -> Result<Resource, DecodeError> {
        Ok(Resource {
            resource: self.resource.map(|object| object.read(reads)).transpose()?,
            ..Resource::default()
        })
    }
}

/// `google.protobuf.Struct`: its map entries in wire order, values encoded.
#[derive(Clone, PartialEq, Message)]
struct ObjectView {
    #[prost(message, repeated, tag = "1")]
    fields: Vec<FieldView>,
}

impl ObjectView {
    /// The keys `reads` names. As in any protobuf map, a later entry for a
    /// key replaces an earlier one.
    fn read(self, reads: &[Read]) -> Result<Struct, DecodeError> {
        let mut object = Struct::default();
        for FieldView { key, value } in self.fields {
            if let Some(read) = reads.iter().find(|read| read.key.as_bytes() == key) {
                object
                    .fields
                    .insert(read.key.to_owned(), read.value(value)?);
            }
        }
        Ok(object)
    }
}

/// `google.protobuf.ListValue`: its items, each still encoded.
#[derive(Clone, PartialEq, Message)]
struct ListView {
    #[prost(bytes = "bytes", repeated, tag = "1")]
    values: Vec<Bytes>,
}

impl ListView {
    /// Every item: of an object, the keys `below` names; anything else whole.
    fn read(self, below: &'static [Read]) -> Result<ListValue, DecodeError> {
        let values = self
            .values
            .into_iter()
            .map(|item| Shape::Object(below).value(item))
            .collect::<Result<_, DecodeError>>()?;
        Ok(ListValue { values })
    }
}

/// One entry of `Struct.fields`. The key stays bytes too: only keys equal
/// to a name the function reads matter, and those are UTF-8.
#[derive(Clone, PartialEq, Message)]
struct FieldView {
    #[prost(bytes = "bytes", tag = "1")]
    key: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    value: Bytes,
}

/// `google.protobuf.Value` with an object's entries and a list's items
/// left encoded. Every member of the oneof is declared so that, as in
/// `Value`, the last one on the wire wins (and two lists, or two objects,
/// in a row merge).
#[derive(Clone, PartialEq, Message)]
struct ValueView {
    #[prost(oneof = "KindView", tags = "1, 2, 3, 4, 5, 6")]
    kind: Option<KindView>,
}

#[derive(Clone, PartialEq, Oneof)]
enum KindView {
    #[prost(int32, tag = "1")]
    Null(i32),
    #[prost(double, tag = "2")]
    Number(f64),
    #[prost(bytes = "bytes", tag = "3")]
    Text(Bytes),
    #[prost(bool, tag = "4")]
    Flag(bool),
    #[prost(message, tag = "5")]
    Object(ObjectView),
    #[prost(message, tag = "6")]
    List(ListView),
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
