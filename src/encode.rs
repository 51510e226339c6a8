//! Encoding a `RunFunctionResponse` with each nested length computed once.
//!
//! prost writes a nested message as its length, then its fields, and finds
//! that length by walking the whole subtree. A composed resource is a
//! `Struct` six or seven objects deep, each object three messages (`Struct`,
//! map entry, `Value`), so every leaf was measured once per enclosing
//! message: about a quarter of a call's instructions went to encoding the
//! answer. Here one pass measures every message below the desired state,
//! the context and the output, in the order the second pass writes them,
//! and the second pass reads the lengths back. The bytes are exactly prost's (a test holds them to it):
//! the same fields in the same order, defaults skipped the same way.

use prost::bytes::BufMut;
use prost::encoding::{self, encode_key, encode_varint, encoded_len_varint, key_len, WireType};
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

use crate::proto::v1::{Resource, RunFunctionResponse, State};

/// Encodes `response` into `buf`, as `response.encode(buf)` would.
pub fn encode_response<B: BufMut>(response: &RunFunctionResponse, buf: &mut B) {
    let RunFunctionResponse {
        meta,
        desired,
        results,
        context,
        requirements,
        conditions,
        output,
    } = response;
    if let Some(meta) = meta {
        encoding::message::encode(1, meta, buf);
    }
    if let Some(desired) = desired {
        Lengths::encode(
            2,
            buf,
            |lengths| lengths.state(desired),
            |lengths, buf| lengths.write_state(desired, buf),
        );
    }
    encoding::message::encode_repeated(3, results, buf);
    if let Some(context) = context {
        encode_object(4, context, buf);
    }
    if let Some(requirements) = requirements {
        encoding::message::encode(5, requirements, buf);
    }
    encoding::message::encode_repeated(6, conditions, buf);
    if let Some(output) = output {
        encode_object(7, output, buf);
    }
}

/// A `Struct` field of the response under `tag`.
fn encode_object<B: BufMut>(tag: u32, object: &Struct, buf: &mut B) {
    Lengths::encode(
        tag,
        buf,
        |lengths| lengths.object(object),
        |lengths, buf| lengths.write_object(object, buf),
    );
}

/// The encoded length of every message below a `State`, in the order they
/// are written, and how far writing has read them.
#[derive(Debug, Default)]
struct Lengths {
    measured: Vec<usize>,
    read: usize,
}

fn as_u64(length: usize) -> u64 {
    // usize is at most 64 bits on every target Rust supports.
    u64::try_from(length).unwrap_or(u64::MAX)
}

/// The bytes a length-delimited field of `length` bytes takes, key included.
fn delimited(tag: u32, length: usize) -> usize {
    key_len(tag) + encoded_len_varint(as_u64(length)) + length
}

impl Lengths {
    /// Writes one top-level message under `tag`: measured, then written.
    fn encode<B: BufMut>(
        tag: u32,
        buf: &mut B,
        measure: impl FnOnce(&mut Self) -> usize,
        write: impl FnOnce(&mut Self, &mut B),
    ) {
        let mut lengths = Self::default();
        let length = measure(&mut lengths);
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint(as_u64(length), buf);
        write(&mut lengths, buf);
    }

    /// The next length, in writing order.
    fn next(&mut self) -> usize {
        let length = self.measured.get(self.read).copied().unwrap_or_default();
        self.read += 1;
        length
    }

    // Measuring. Each returns what its message takes in its parent, or its
    // own length for the fields of a message, having recorded the lengths
    // of the messages inside in writing order.

    /// A nested message under `tag`, key and length included.
    fn nested(&mut self, tag: u32, measure: impl FnOnce(&mut Self) -> usize) -> usize {
        let slot = self.measured.len();
        self.measured.push(0);
        let length = measure(self);
        self.measured[slot] = length;
        delimited(tag, length)
    }

    /// A map entry under `tag`: its key unless empty, and its value unless
    /// it is the default (`None` here), which prost leaves out.
    fn entry(
        &mut self,
        tag: u32,
        key: &String,
        value: Option<impl FnOnce(&mut Self) -> usize>,
    ) -> usize {
        self.nested(tag, |lengths| {
            let key = if key.is_empty() {
                0
            } else {
                encoding::string::encoded_len(1, key)
            };
            key + value.map_or(0, |measure| lengths.nested(2, measure))
        })
    }

    fn state(&mut self, state: &State) -> usize {
        let mut length = 0;
        if let Some(composite) = &state.composite {
            length += self.nested(1, |lengths| lengths.resource(composite));
        }
        for (key, resource) in &state.resources {
            let value = (*resource != Resource::default())
                .then_some(|lengths: &mut Self| lengths.resource(resource));
            length += self.entry(2, key, value);
        }
        length
    }

    fn resource(&mut self, resource: &Resource) -> usize {
        let mut length = 0;
        if let Some(object) = &resource.resource {
            length += self.nested(1, |lengths| lengths.object(object));
        }
        length += encoding::btree_map::encoded_len(
            encoding::string::encoded_len,
            encoding::bytes::encoded_len,
            2,
            &resource.connection_details,
        );
        if resource.ready != 0 {
            length += encoding::int32::encoded_len(3, &resource.ready);
        }
        length
    }

    fn object(&mut self, object: &Struct) -> usize {
        let mut length = 0;
        for (key, value) in &object.fields {
            let kind = value
                .kind
                .is_some()
                .then_some(|lengths: &mut Self| lengths.value(value));
            length += self.entry(1, key, kind);
        }
        length
    }

    fn value(&mut self, value: &Value) -> usize {
        match &value.kind {
            None => 0,
            Some(Kind::NullValue(null)) => encoding::int32::encoded_len(1, null),
            Some(Kind::NumberValue(number)) => encoding::double::encoded_len(2, number),
            Some(Kind::StringValue(text)) => encoding::string::encoded_len(3, text),
            Some(Kind::BoolValue(flag)) => encoding::bool::encoded_len(4, flag),
            Some(Kind::StructValue(object)) => self.nested(5, |lengths| lengths.object(object)),
            Some(Kind::ListValue(list)) => self.nested(6, |lengths| lengths.list(list)),
        }
    }

    fn list(&mut self, list: &ListValue) -> usize {
        let mut length = 0;
        for value in &list.values {
            length += self.nested(1, |lengths| lengths.value(value));
        }
        length
    }

    // Writing, in the order measuring recorded.

    /// The key and length of the next nested message, under `tag`.
    fn open<B: BufMut>(&mut self, tag: u32, buf: &mut B) {
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint(as_u64(self.next()), buf);
    }

    /// A map entry under `tag`, as [`Lengths::entry`] measured it.
    fn write_entry<B: BufMut>(
        &mut self,
        tag: u32,
        key: &String,
        value: Option<impl FnOnce(&mut Self, &mut B)>,
        buf: &mut B,
    ) {
        self.open(tag, buf);
        if !key.is_empty() {
            encoding::string::encode(1, key, buf);
        }
        if let Some(write) = value {
            self.open(2, buf);
            write(self, buf);
        }
    }

    fn write_state<B: BufMut>(&mut self, state: &State, buf: &mut B) {
        if let Some(composite) = &state.composite {
            self.open(1, buf);
            self.write_resource(composite, buf);
        }
        for (key, resource) in &state.resources {
            let value = (*resource != Resource::default())
                .then_some(|lengths: &mut Self, buf: &mut B| lengths.write_resource(resource, buf));
            self.write_entry(2, key, value, buf);
        }
    }

    fn write_resource<B: BufMut>(&mut self, resource: &Resource, buf: &mut B) {
        if let Some(object) = &resource.resource {
            self.open(1, buf);
            self.write_object(object, buf);
        }
        encoding::btree_map::encode(
            encoding::string::encode,
            encoding::string::encoded_len,
            encoding::bytes::encode,
            encoding::bytes::encoded_len,
            2,
            &resource.connection_details,
            buf,
        );
        if resource.ready != 0 {
            encoding::int32::encode(3, &resource.ready, buf);
        }
    }

    fn write_object<B: BufMut>(&mut self, object: &Struct, buf: &mut B) {
        for (key, value) in &object.fields {
            let kind = value
                .kind
                .is_some()
                .then_some(|lengths: &mut Self, buf: &mut B| lengths.write_value(value, buf));
            self.write_entry(1, key, kind, buf);
        }
    }

    fn write_value<B: BufMut>(&mut self, value: &Value, buf: &mut B) {
        match &value.kind {
            None => {}
            Some(Kind::NullValue(null)) => encoding::int32::encode(1, null, buf),
            Some(Kind::NumberValue(number)) => encoding::double::encode(2, number, buf),
            Some(Kind::StringValue(text)) => encoding::string::encode(3, text, buf),
            Some(Kind::BoolValue(flag)) => encoding::bool::encode(4, flag, buf),
            Some(Kind::StructValue(object)) => {
                self.open(5, buf);
                self.write_object(object, buf);
            }
            Some(Kind::ListValue(list)) => {
                self.open(6, buf);
                self.write_list(list, buf);
            }
        }
    }

    fn write_list<B: BufMut>(&mut self, list: &ListValue, buf: &mut B) {
        for value in &list.values {
            self.open(1, buf);
            self.write_value(value, buf);
        }
    }
}
