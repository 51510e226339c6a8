//! Decoding a `RunFunctionRequest` with only the parts of each observed
//! composed resource that the caller names: pruning while decoding.
//!
//! The API server returns every composed resource whole: its managed
//! fields (a tree as deep as spec and status together, once per field
//! manager), its finalizers and versions, its `initProvider`, all the
//! provider reports, the times of each condition. A composition function
//! reads a few fields of it; prost would decode the whole
//! `google.protobuf.Struct` tree and drop most of it again. Here each
//! observed body is read entry by entry: an entry the caller's [`Keep`]
//! tree does not name is stepped over unread, one it keeps whole prost
//! decodes. The XR, the desired state and everything else decode exactly
//! as prost's generated code does.

use std::borrow::Cow;

use prost::bytes::Buf;
use prost::encoding::{
    btree_map, bytes, check_wire_type, decode_key, decode_varint, message, skip_field, string,
    DecodeContext, WireType,
};
use prost::{DecodeError, Message};
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

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
/// `Value.list_value`.
const VALUE_LIST: u32 = 6;
/// `ListValue.values`.
const LIST_VALUES: u32 = 1;
/// A map entry's key and value.
const ENTRY_KEY: u32 = 1;
const ENTRY_VALUE: u32 = 2;

/// What is kept of a value in an observed resource's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// All of it.
    All,
    /// Of a struct, the entries named; of a list, each item so; a value of
    /// any other kind, all of it.
    Entries(Entries),
}

/// The entries of a struct that are kept, each as its own [`Keep`] says.
pub type Entries = &'static [(&'static str, Keep)];

/// Decodes `buf` as a `RunFunctionRequest`, keeping of each observed
/// composed resource's body the entries `kept` names (of the XR, its whole
/// body).
pub fn decode_request(mut buf: impl Buf, kept: Entries) -> Result<RunFunctionRequest, DecodeError> {
    let mut request = RunFunctionRequest::default();
    while buf.has_remaining() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        let ctx = DecodeContext::default();
        if tag == REQUEST_OBSERVED {
            let state = request.observed.get_or_insert_with(State::default);
            message::merge(wire_type, &mut LeanState(state, kept), &mut buf, ctx)?;
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

/// The observed state, whose composed resources decode pruned.
struct LeanState<'a>(&'a mut State, Entries);

decoding_wrapper!(LeanState, |this, tag, wire_type, buf, ctx| {
    if tag != STATE_RESOURCES {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    let kept = this.1;
    btree_map::merge(
        string::merge,
        |wire_type, resource: &mut Resource, buf, ctx| {
            message::merge(wire_type, &mut LeanResource(resource, kept), buf, ctx)
        },
        &mut this.0.resources,
        buf,
        ctx,
    )
});

/// One observed composed resource, whose body decodes pruned.
struct LeanResource<'a>(&'a mut Resource, Entries);

decoding_wrapper!(LeanResource, |this, tag, wire_type, buf, ctx| {
    if tag != RESOURCE_BODY {
        return this.0.merge_field(tag, wire_type, buf, ctx);
    }
    check_wire_type(WireType::LengthDelimited, wire_type)?;
    let body = this.0.resource.get_or_insert_with(Struct::default);
    with_delimited(buf, |bytes| merge_struct(body, bytes, this.1))
});

/// Hands the next length-delimited field's bytes to `read`, as one slice:
/// borrowed where the buffer holds the rest in one piece, as tonic's does.
fn with_delimited<T>(
    buf: &mut impl Buf,
    read: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let chunk = buf.chunk();
    if chunk.len() == buf.remaining() {
        let mut rest = chunk;
        let read = read(take_delimited(&mut rest)?)?;
        let taken = chunk.len() - rest.len();
        buf.advance(taken);
        return Ok(read);
    }
    let mut field = Vec::new();
    bytes::merge(
        WireType::LengthDelimited,
        &mut field,
        buf,
        DecodeContext::default(),
    )?;
    read(&field)
}

/// The next length-delimited field of `bytes`, which it leaves after it.
#[inline]
fn take_delimited<'b>(bytes: &mut &'b [u8]) -> Result<&'b [u8], DecodeError> {
    let mut rest = *bytes;
    let len = decode_varint(&mut rest)?;
    if let Some(len) = usize::try_from(len).ok().filter(|len| *len <= rest.len()) {
        let (field, after) = rest.split_at(len);
        *bytes = after;
        return Ok(field);
    }
    // Longer than what is left: prost refuses it, and says why.
    skip_field(
        WireType::LengthDelimited,
        ENTRY_VALUE,
        bytes,
        DecodeContext::default(),
    )?;
    Ok(&[])
}

/// Merges one encoded entry of a `Struct`'s map into `object`, if `kept`
/// names its key; an entry `kept` does not name is never decoded.
fn merge_entry(object: &mut Struct, mut entry: &[u8], kept: Entries) -> Result<(), DecodeError> {
    // The key may come after the value, and either may occur more than
    // once: the last key counts, and the values merge as one message, the
    // concatenation of their bytes.
    let mut key: &[u8] = &[];
    let mut value: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    while !entry.is_empty() {
        let (tag, wire_type) = decode_key(&mut entry)?;
        match tag {
            ENTRY_KEY => {
                check_wire_type(WireType::LengthDelimited, wire_type)?;
                key = take_delimited(&mut entry)?;
            }
            ENTRY_VALUE => {
                check_wire_type(WireType::LengthDelimited, wire_type)?;
                let part = take_delimited(&mut entry)?;
                if value.is_empty() {
                    value = Cow::Borrowed(part);
                } else {
                    value.to_mut().extend_from_slice(part);
                }
            }
            _ => skip_field(wire_type, tag, &mut entry, DecodeContext::default())?,
        }
    }
    let Some(&(name, keep)) = kept.iter().find(|(name, _)| name.as_bytes() == key) else {
        return Ok(());
    };
    let value = match keep {
        Keep::All => Value::decode(value.as_ref())?,
        Keep::Entries(kept) => {
            let mut pruned = Value::default();
            merge_value(&mut pruned, &value, kept)?;
            pruned
        }
    };
    object.fields.insert(name.to_owned(), value);
    Ok(())
}

/// Merges an encoded `Value` into `value`: a struct pruned to the entries
/// `kept` names, a list with each item so, any other kind as prost decodes
/// it.
fn merge_value(value: &mut Value, mut bytes: &[u8], kept: Entries) -> Result<(), DecodeError> {
    while !bytes.is_empty() {
        let (tag, wire_type) = decode_key(&mut bytes)?;
        if tag != VALUE_STRUCT && tag != VALUE_LIST {
            value.merge_field(tag, wire_type, &mut bytes, DecodeContext::default())?;
            continue;
        }
        check_wire_type(WireType::LengthDelimited, wire_type)?;
        let part = take_delimited(&mut bytes)?;
        // A oneof: a struct or a list merges into one of its kind already
        // there and replaces any other kind, as prost's generated code does.
        match (tag, &mut value.kind) {
            (VALUE_STRUCT, Some(Kind::StructValue(object))) => merge_struct(object, part, kept)?,
            (VALUE_STRUCT, _) => {
                let mut object = Struct::default();
                merge_struct(&mut object, part, kept)?;
                value.kind = Some(Kind::StructValue(object));
            }
            (_, Some(Kind::ListValue(list))) => merge_list(list, part, kept)?,
            _ => {
                let mut list = ListValue::default();
                merge_list(&mut list, part, kept)?;
                value.kind = Some(Kind::ListValue(list));
            }
        }
    }
    Ok(())
}

/// Merges an encoded `Struct` into `object`, only the entries `kept` names.
fn merge_struct(object: &mut Struct, bytes: &[u8], kept: Entries) -> Result<(), DecodeError> {
    each_delimited(bytes, STRUCT_FIELDS, |entry| {
        merge_entry(object, entry, kept)
    })
}

/// Merges an encoded `ListValue` into `list`, each item pruned to the
/// entries `kept` names.
fn merge_list(list: &mut ListValue, bytes: &[u8], kept: Entries) -> Result<(), DecodeError> {
    each_delimited(bytes, LIST_VALUES, |encoded| {
        let mut item = Value::default();
        merge_value(&mut item, encoded, kept)?;
        list.values.push(item);
        Ok(())
    })
}

/// Hands each occurrence of the length-delimited field `tag` of the
/// message encoded in `bytes` to `read`, in order; other fields are
/// skipped, as prost skips fields a message does not know.
fn each_delimited(
    mut bytes: &[u8],
    tag: u32,
    mut read: impl FnMut(&[u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    while !bytes.is_empty() {
        let (found, wire_type) = decode_key(&mut bytes)?;
        if found == tag {
            check_wire_type(WireType::LengthDelimited, wire_type)?;
            read(take_delimited(&mut bytes)?)?;
        } else {
            skip_field(wire_type, found, &mut bytes, DecodeContext::default())?;
        }
    }
    Ok(())
}

/// Prunes an already decoded `value` as decoding it with `keep` would, by
/// a plain walk of the tree: how the tests see a request as the codec
/// keeps it (and check that the two agree).
pub fn prune(value: &mut Value, keep: Keep) {
    let Keep::Entries(kept) = keep else {
        return;
    };
    match &mut value.kind {
        Some(Kind::StructValue(object)) => object.fields.retain(|key, value| {
            let Some((_, keep)) = kept.iter().find(|(name, _)| name == key) else {
                return false;
            };
            prune(value, *keep);
            true
        }),
        Some(Kind::ListValue(list)) => {
            for item in &mut list.values {
                prune(item, keep);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use prost::encoding::{encode_key, encode_varint, WireType};
    use prost::Message;
    use prost_types::value::Kind;
    use prost_types::{ListValue, Struct, Value};

    use super::{
        decode_request, prune, Entries, Keep, ENTRY_KEY, ENTRY_VALUE, STRUCT_FIELDS, VALUE_STRUCT,
    };
    use crate::protocol::v1::{Resource, RunFunctionRequest, State};

    /// What the tests keep of an observed body.
    const KEPT: Entries = &[
        ("kind", Keep::All),
        (
            "metadata",
            Keep::Entries(&[("name", Keep::All), ("uid", Keep::All)]),
        ),
        ("spec", Keep::Entries(&[("forProvider", Keep::All)])),
        (
            "status",
            Keep::Entries(&[("conditions", Keep::Entries(&[("type", Keep::All)]))]),
        ),
    ];

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
        let lean = decode_request(bytes.as_slice(), KEPT).expect(name);
        assert_eq!(&body_of(&lean), want, "{name}");
        // prost decodes the same bytes to the same, once pruned.
        let whole = body_of(&RunFunctionRequest::decode(bytes.as_slice()).expect(name));
        let mut whole = Value {
            kind: Some(Kind::StructValue(whole)),
        };
        prune(&mut whole, Keep::Entries(KEPT));
        assert_eq!(
            whole.kind,
            Some(Kind::StructValue(want.clone())),
            "{name}: prost"
        );
        // The XR keeps its own.
        let xr = lean
            .observed
            .and_then(|state| state.composite)
            .and_then(|xr| xr.resource)
            .unwrap_or_default();
        assert!(format!("{xr:?}").contains("the XR's, kept"), "{name}");
    }

    #[test]
    fn only_what_the_function_reads_is_kept() {
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
                        ("spec".to_owned(), object(&[])),
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
    fn a_kept_entry_keeps_all_below_it() {
        let asked = entry(&[
            (1, b"spec".to_vec()),
            (
                2,
                object(&[
                    (
                        "forProvider",
                        object(&[("deep", object(&[("managedFields", text("kept"))]))]),
                    ),
                    ("initProvider", object(&[("x", text("y"))])),
                ])
                .encode_to_vec(),
            ),
        ]);
        let noise = entry(&[(1, b"extra".to_vec()), (2, text("n").encode_to_vec())]);
        let (name, entries, want) = (
            "a kept entry keeps all below it, an entry not named goes",
            vec![asked, noise],
            Struct {
                fields: [(
                    "spec".to_owned(),
                    object(&[(
                        "forProvider",
                        object(&[("deep", object(&[("managedFields", text("kept"))]))]),
                    )]),
                )]
                .into(),
            },
        );
        assert_decodes(name, &entries, &want);
    }

    #[test]
    fn each_item_of_a_list_is_pruned_alike() {
        let list = |items: Vec<Value>| Value {
            kind: Some(Kind::ListValue(ListValue { values: items })),
        };
        // The list's value given in two parts: one list of all their items.
        let (name, entries, want) = (
            "each item of a list pruned alike; a list given twice holds both",
            vec![entry(&[
                (1, b"status".to_vec()),
                (
                    2,
                    struct_value(&[entry(&[
                        (1, b"conditions".to_vec()),
                        (
                            2,
                            list(vec![
                                object(&[("type", text("Ready")), ("at", text("t"))]),
                                text("odd"),
                            ])
                            .encode_to_vec(),
                        ),
                        (2, list(vec![object(&[("at", text("t"))])]).encode_to_vec()),
                    ])]),
                ),
            ])],
            Struct {
                fields: [(
                    "status".to_owned(),
                    object(&[(
                        "conditions",
                        list(vec![
                            object(&[("type", text("Ready"))]),
                            text("odd"),
                            object(&[]),
                        ]),
                    )]),
                )]
                .into(),
            },
        );
        assert_decodes(name, &entries, &want);
    }

    #[test]
    fn what_prost_refuses_in_a_kept_field_is_refused() {
        // A key that is not UTF-8, in a struct kept whole.
        let bad = object(&[("\u{0}", text("x"))]).encode_to_vec();
        let at = bad
            .iter()
            .position(|byte| *byte == 0)
            .expect("the key's byte");
        let mut bad = bad;
        bad[at] = 0xff;
        let bad = entry(&[(1, b"kind".to_vec()), (2, bad)]);
        let bytes = request_with_body(&[bad]);
        assert!(RunFunctionRequest::decode(bytes.as_slice()).is_err());
        assert!(decode_request(bytes.as_slice(), KEPT).is_err());
        // A value cut short.
        let cut = entry(&[(1, b"spec".to_vec()), (2, vec![0x2a, 0x05, 0x0a])]);
        let bytes = request_with_body(&[cut]);
        assert!(RunFunctionRequest::decode(bytes.as_slice()).is_err());
        assert!(decode_request(bytes.as_slice(), KEPT).is_err());
    }
}
