//! Decoding a `RunFunctionRequest` without what the function never reads:
//! the `metadata.managedFields` of each observed composed resource.
//!
//! The API server returns every composed resource with its managed fields,
//! a tree as deep as the resource's spec and status together, once per
//! field manager. The function reads names, annotations, labels, owner
//! references, spec and status, never who manages which field; yet prost
//! decodes the whole `google.protobuf.Struct` tree and drops it again,
//! which was about a fifth of the instructions of a large call (the
//! compose bench's large claim under callgrind). Here prost still does all
//! the decoding: each observed resource's `Struct` is read entry by entry,
//! and only the `managedFields` entry of its `metadata` is skipped.
//! Everything else decodes exactly as prost's generated code does, field
//! by field; the tests compare the two on every request shape the suite
//! knows.

use prost::bytes::Buf;
use prost::encoding::{
    btree_map, bytes, check_wire_type, decode_key, merge_loop, message, skip_field, string,
    DecodeContext, WireType,
};
use prost::{DecodeError, Message};
use prost_types::value::Kind;
use prost_types::{Struct, Value};

use crate::protocol::v1::{Resource, RunFunctionRequest, State};

/// `RunFunctionRequest.observed`.
const REQUEST_OBSERVED: u32 = 2;
/// `State.resources`.
const STATE_RESOURCES: u32 = 2;
/// `Resource.resource`.
const RESOURCE_BODY: u32 = 1;
/// `Struct.fields`.
const STRUCT_FIELDS: u32 = 1;
/// `Value.struct_value`.
const VALUE_STRUCT: u32 = 5;
/// A map entry's key and value.
const ENTRY_KEY: u32 = 1;
const ENTRY_VALUE: u32 = 2;

/// The entry of an observed resource's `metadata` that is skipped.
const SKIPPED: &str = "managedFields";

/// Decodes `buf` as a `RunFunctionRequest`, leaving out the managed fields
/// of the observed composed resources (not of the XR: its whole body is
/// kept as sent).
pub fn decode_request(mut buf: impl Buf) -> Result<RunFunctionRequest, DecodeError> {
    let mut request = RunFunctionRequest::default();
    while buf.has_remaining() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        let ctx = DecodeContext::default();
        if tag == REQUEST_OBSERVED {
            let state = request.observed.get_or_insert_with(State::default);
            message::merge(wire_type, &mut LeanState(state), &mut buf, ctx)?;
        } else {
            request.merge_field(tag, wire_type, &mut buf, ctx)?;
        }
    }
    Ok(request)
}

/// Implements [`Message`] for a wrapper that only decodes: `merge_field`
/// from the body given, which sees the wrapper as `$this`; encoding and
/// clearing go to the wrapped message.
macro_rules! decoding_wrapper {
    ($wrapper:ident, |$this:ident, $tag:ident, $wire_type:ident, $buf:ident, $ctx:ident| $body:block) => {
        impl Message for $wrapper<'_> {
            fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
                self.0.encode_raw(buf);
            }

            fn merge_field(
                &mut self,
                $tag: u32,
                $wire_type: WireType,
                $buf: &mut impl Buf,
                $ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                let $this = self;
                $body
            }

            fn encoded_len(&self) -> usize {
                self.0.encoded_len()
            }

            fn clear(&mut self) {
                self.0.clear();
            }
        }
    };
}

/// The observed state, whose composed resources decode lean.
struct LeanState<'a>(&'a mut State);

decoding_wrapper!(LeanState, |this, tag, wire_type, buf, ctx| {
    if tag != STATE_RESOURCES {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    btree_map::merge(
        string::merge,
        |wire_type, resource: &mut Resource, buf, ctx| {
            message::merge(wire_type, &mut LeanResource(resource), buf, ctx)
        },
        &mut this.0.resources,
        buf,
        ctx,
    )
});

/// One observed composed resource, whose body decodes without its managed
/// fields.
struct LeanResource<'a>(&'a mut Resource);

decoding_wrapper!(LeanResource, |this, tag, wire_type, buf, ctx| {
    if tag != RESOURCE_BODY {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    let body = this.0.resource.get_or_insert_with(Struct::default);
    message::merge(wire_type, &mut Body(body), buf, ctx)
});

/// A resource's body: its `metadata` decodes without `managedFields`, every
/// other entry as prost decodes it.
struct Body<'a>(&'a mut Struct);

decoding_wrapper!(Body, |this, tag, wire_type, buf, ctx| {
    if tag != STRUCT_FIELDS {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    let (key, raw) = read_entry(wire_type, buf, ctx)?;
    let mut value = Value::default();
    if key == "metadata" {
        Message::merge(&mut Metadata(&mut value), raw.as_slice())?;
    } else {
        value.merge(raw.as_slice())?;
    }
    this.0.fields.insert(key, value);
    Ok(())
});

/// The `metadata` value of a resource: a struct whose `managedFields`
/// entry is skipped; any other kind of value decodes as prost decodes it.
struct Metadata<'a>(&'a mut Value);

decoding_wrapper!(Metadata, |this, tag, wire_type, buf, ctx| {
    if tag != VALUE_STRUCT {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    // A oneof: a struct merges into a struct already there and replaces
    // any other kind, as prost's generated code does.
    if !matches!(this.0.kind, Some(Kind::StructValue(_))) {
        this.0.kind = Some(Kind::StructValue(Struct::default()));
    }
    let Some(Kind::StructValue(object)) = &mut this.0.kind else {
        return Ok(());
    };
    message::merge(wire_type, &mut WithoutManagedFields(object), buf, ctx)
});

/// The `metadata` struct, without `managedFields`.
struct WithoutManagedFields<'a>(&'a mut Struct);

decoding_wrapper!(WithoutManagedFields, |this, tag, wire_type, buf, ctx| {
    if tag != STRUCT_FIELDS {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    let (key, raw) = read_entry(wire_type, buf, ctx)?;
    if key == SKIPPED {
        // A later entry of a map replaces an earlier one: this one
        // replaces it with nothing.
        this.0.fields.remove(&key);
        return Ok(());
    }
    let value = Value::decode(raw.as_slice())?;
    this.0.fields.insert(key, value);
    Ok(())
});

/// One entry of a `Struct`'s map: its key, and its value still encoded,
/// since the key may come after it. A value that occurs twice is the
/// concatenation of both, which decodes as their merge, as protobuf
/// defines a repeated message field.
fn read_entry(
    wire_type: WireType,
    buf: &mut impl Buf,
    ctx: DecodeContext,
) -> Result<(String, Vec<u8>), DecodeError> {
    check_wire_type(WireType::LengthDelimited, wire_type)?;
    let mut entry = (String::new(), Vec::new());
    merge_loop(&mut entry, buf, ctx, |(key, raw), buf, ctx| {
        let (tag, wire_type) = decode_key(buf)?;
        match tag {
            ENTRY_KEY => string::merge(wire_type, key, buf, ctx),
            // The usual single occurrence is read straight into `raw`.
            ENTRY_VALUE if raw.is_empty() => bytes::merge(wire_type, raw, buf, ctx),
            ENTRY_VALUE => {
                let mut more = Vec::new();
                bytes::merge(wire_type, &mut more, buf, ctx)?;
                raw.extend_from_slice(&more);
                Ok(())
            }
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    })?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use prost::encoding::{encode_key, encode_varint, WireType};
    use prost::Message;
    use prost_types::value::Kind;
    use prost_types::{ListValue, Struct, Value};

    use super::{decode_request, ENTRY_KEY, ENTRY_VALUE, STRUCT_FIELDS, VALUE_STRUCT};
    use crate::protocol::v1::{Resource, RunFunctionRequest, State};

    /// One entry of a `Struct` map as encoded bytes, its fields in the order
    /// given: `(tag, bytes)` with tag 1 the key and 2 the value.
    fn entry(fields: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (tag, bytes) in fields {
            encode_key(*tag, WireType::LengthDelimited, &mut body);
            encode_varint(bytes.len() as u64, &mut body);
            body.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        encode_key(STRUCT_FIELDS, WireType::LengthDelimited, &mut out);
        encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(&body);
        out
    }

    fn text(value: &str) -> Value {
        Value {
            kind: Some(Kind::StringValue(value.to_owned())),
        }
    }

    fn object(fields: &[(&str, Value)]) -> Value {
        Value {
            kind: Some(Kind::StructValue(Struct {
                fields: fields
                    .iter()
                    .map(|(key, value)| ((*key).to_owned(), value.clone()))
                    .collect(),
            })),
        }
    }

    /// A struct `Value` whose entries are encoded as given.
    fn struct_value(entries: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = entries.concat();
        let mut out = Vec::new();
        encode_key(VALUE_STRUCT, WireType::LengthDelimited, &mut out);
        encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(&body);
        out
    }

    /// A request observing one composed resource whose body's encoded
    /// entries are `entries`.
    fn request_with_body(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut request = RunFunctionRequest {
            observed: Some(State {
                composite: Some(Resource {
                    resource: Some(Struct {
                        fields: [(
                            "metadata".to_owned(),
                            object(&[("managedFields", text("the XR's, kept"))]),
                        )]
                        .into(),
                    }),
                    ..Resource::default()
                }),
                ..State::default()
            }),
            ..RunFunctionRequest::default()
        }
        .encode_to_vec();
        let mut body = Vec::new();
        for entry in entries {
            body.extend_from_slice(entry);
        }
        let mut resource = Vec::new();
        encode_key(1, WireType::LengthDelimited, &mut resource);
        encode_varint(body.len() as u64, &mut resource);
        resource.extend_from_slice(&body);
        let mut map_entry = Vec::new();
        encode_key(ENTRY_KEY, WireType::LengthDelimited, &mut map_entry);
        encode_varint(7, &mut map_entry);
        map_entry.extend_from_slice(b"iamRole");
        encode_key(ENTRY_VALUE, WireType::LengthDelimited, &mut map_entry);
        encode_varint(resource.len() as u64, &mut map_entry);
        map_entry.extend_from_slice(&resource);
        let mut state = Vec::new();
        encode_key(2, WireType::LengthDelimited, &mut state);
        encode_varint(map_entry.len() as u64, &mut state);
        state.extend_from_slice(&map_entry);
        // A second `observed` field merges into the first, as protobuf
        // merges a repeated message field.
        encode_key(2, WireType::LengthDelimited, &mut request);
        encode_varint(state.len() as u64, &mut request);
        request.extend_from_slice(&state);
        request
    }

    fn body_of(request: &RunFunctionRequest) -> Struct {
        request
            .observed
            .as_ref()
            .and_then(|state| state.resources.get("iamRole"))
            .and_then(|resource| resource.resource.clone())
            .unwrap_or_default()
    }

    /// Decodes a request observing one resource whose body is `entries`,
    /// both ways, and compares each with `want`.
    fn assert_decodes(name: &str, entries: &[Vec<u8>], want: &Struct) {
        let bytes = request_with_body(entries);
        let lean = decode_request(bytes.as_slice()).expect(name);
        assert_eq!(&body_of(&lean), want, "{name}");
        // prost decodes the same bytes to the same, managed fields aside.
        let mut whole = body_of(&RunFunctionRequest::decode(bytes.as_slice()).expect(name));
        if let Some(Value {
            kind: Some(Kind::StructValue(metadata)),
        }) = whole.fields.get_mut("metadata")
        {
            metadata.fields.remove("managedFields");
        }
        assert_eq!(&whole, want, "{name}: prost");
        // The XR keeps its own.
        let xr = lean
            .observed
            .and_then(|state| state.composite)
            .and_then(|xr| xr.resource)
            .unwrap_or_default();
        assert!(format!("{xr:?}").contains("the XR's, kept"), "{name}");
    }

    #[test]
    fn only_the_observed_resources_managed_fields_are_left_out() {
        let name = entry(&[(1, b"name".to_vec()), (2, text("r").encode_to_vec())]);
        let managed = entry(&[
            (1, b"managedFields".to_vec()),
            (
                2,
                Value {
                    kind: Some(Kind::ListValue(ListValue {
                        values: vec![text("manager")],
                    })),
                }
                .encode_to_vec(),
            ),
        ]);
        // The value before the key, as protobuf allows.
        let managed_late_key = entry(&[
            (2, text("late").encode_to_vec()),
            (1, b"managedFields".to_vec()),
        ]);
        let spec = entry(&[
            (1, b"spec".to_vec()),
            (
                2,
                object(&[("managedFields", text("a spec field"))]).encode_to_vec(),
            ),
        ]);
        let cases: [(&str, Vec<Vec<u8>>, Struct); 4] = [
            (
                "managed fields among others",
                vec![entry(&[
                    (1, b"metadata".to_vec()),
                    (2, struct_value(&[name.clone(), managed.clone()])),
                ])],
                Struct {
                    fields: [("metadata".to_owned(), object(&[("name", text("r"))]))].into(),
                },
            ),
            (
                "the key after the value, in metadata's entry and in the skipped one",
                vec![entry(&[
                    (2, struct_value(&[managed_late_key, name.clone()])),
                    (1, b"metadata".to_vec()),
                ])],
                Struct {
                    fields: [("metadata".to_owned(), object(&[("name", text("r"))]))].into(),
                },
            ),
            (
                "a field of that name elsewhere, and metadata that is no struct",
                vec![
                    spec,
                    entry(&[(1, b"metadata".to_vec()), (2, text("odd").encode_to_vec())]),
                ],
                Struct {
                    fields: [
                        (
                            "spec".to_owned(),
                            object(&[("managedFields", text("a spec field"))]),
                        ),
                        ("metadata".to_owned(), text("odd")),
                    ]
                    .into(),
                },
            ),
            (
                "a value in two parts merges, a later entry replaces",
                vec![
                    entry(&[
                        (1, b"metadata".to_vec()),
                        (2, text("first").encode_to_vec()),
                    ]),
                    entry(&[
                        (1, b"metadata".to_vec()),
                        (2, struct_value(std::slice::from_ref(&name))),
                        (2, struct_value(&[managed, entry(&[(1, b"uid".to_vec())])])),
                    ]),
                ],
                Struct {
                    fields: [(
                        "metadata".to_owned(),
                        object(&[("name", text("r")), ("uid", Value::default())]),
                    )]
                    .into(),
                },
            ),
        ];
        for (name, entries, want) in cases {
            assert_decodes(name, &entries, &want);
        }
    }

    #[test]
    fn what_prost_refuses_in_a_kept_field_is_refused() {
        // A key that is not UTF-8.
        let bad = entry(&[(1, vec![0xff, 0xfe]), (2, text("x").encode_to_vec())]);
        let bytes = request_with_body(&[bad]);
        assert!(RunFunctionRequest::decode(bytes.as_slice()).is_err());
        assert!(decode_request(bytes.as_slice()).is_err());
        // A value cut short.
        let cut = entry(&[(1, b"spec".to_vec()), (2, vec![0x2a, 0x05, 0x0a])]);
        let bytes = request_with_body(&[cut]);
        assert!(RunFunctionRequest::decode(bytes.as_slice()).is_err());
        assert!(decode_request(bytes.as_slice()).is_err());
    }
}
