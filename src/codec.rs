//! The gRPC codec: prost encoding, with decoding guarded by a nesting bound.
//!
//! prost decodes recursively. Its default limit (100 levels) rejects real
//! resources, and without a limit a hostile request thousands of levels deep
//! overflows the stack and aborts the whole process. This codec measures the
//! nesting of a request on the wire, without recursion, before prost sees it:
//! up to [`MAX_NESTING`] levels (what Crossplane's Go client itself allows)
//! decode on a server thread whose stack is sized for that depth; deeper
//! requests get `INVALID_ARGUMENT`. A request then decodes only as far as
//! the function reads it ([`crate::view`]), and an answer encodes measuring
//! each nested length once ([`crate::encode`]).

use std::marker::PhantomData;

use prost::bytes::{Buf, BufMut};
use prost::{DecodeError, EncodeError, Message};
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

use crate::proto::v1::{RunFunctionRequest, RunFunctionResponse};

/// The deepest message nesting accepted: Go's protobuf default recursion
/// limit, which bounds what Crossplane can marshal in the first place.
pub const MAX_NESTING: usize = 10_000;

/// The messages of the function protocol whose nesting is unbounded, and
/// the field numbers that lead from one to another. Fields not listed are
/// skipped: their own nesting is fixed and small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Request,
    Response,
    State,
    Resource,
    /// A map entry whose value (field 2) is a `Resource`.
    ResourceEntry,
    /// A map entry whose value (field 2) is a `Resources` list.
    ResourcesEntry,
    Resources,
    /// A map entry whose value (field 2) is a `Schema`.
    SchemaEntry,
    Schema,
    Struct,
    /// A `Struct.fields` entry, whose value (field 2) is a `Value`.
    FieldEntry,
    Value,
    ListValue,
}

impl Shape {
    fn child(self, field: u64) -> Option<Shape> {
        match (self, field) {
            (Shape::Request, 2 | 3) | (Shape::Response, 2) => Some(Shape::State),
            (Shape::Request, 4 | 5)
            | (Shape::Response, 4 | 7)
            | (Shape::Resource | Shape::Schema, 1)
            | (Shape::Value, 5) => Some(Shape::Struct),
            (Shape::Request, 6 | 8) => Some(Shape::ResourcesEntry),
            (Shape::Request, 9) => Some(Shape::SchemaEntry),
            (Shape::State | Shape::Resources, 1) | (Shape::ResourceEntry, 2) => {
                Some(Shape::Resource)
            }
            (Shape::State, 2) => Some(Shape::ResourceEntry),
            (Shape::ResourcesEntry, 2) => Some(Shape::Resources),
            (Shape::SchemaEntry, 2) => Some(Shape::Schema),
            (Shape::Struct, 1) => Some(Shape::FieldEntry),
            (Shape::FieldEntry, 2) | (Shape::ListValue, 1) => Some(Shape::Value),
            (Shape::Value, 6) => Some(Shape::ListValue),
            _ => None,
        }
    }
}

/// A message type whose wire nesting [`nesting`] can measure.
pub trait Bounded: Message + Default {
    /// The shape of the message at the root of the wire bytes.
    #[doc(hidden)]
    const SHAPE: Shape;

    /// Decodes the message as far as the server reads it: whole, unless
    /// the type says otherwise.
    fn decode_served(buf: impl Buf) -> Result<Self, DecodeError> {
        Self::decode(buf)
    }
}

impl Bounded for RunFunctionRequest {
    const SHAPE: Shape = Shape::Request;

    fn decode_served(buf: impl Buf) -> Result<Self, DecodeError> {
        crate::view::decode_request(buf)
    }
}

impl Bounded for RunFunctionResponse {
    const SHAPE: Shape = Shape::Response;
}

/// A message type as the codec encodes it.
pub trait Served: Message + Sized {
    /// Writes the message as prost would: by prost, unless the type has a
    /// faster way to the same bytes.
    fn encode_served(&self, buf: &mut impl BufMut) -> Result<(), EncodeError> {
        self.encode(buf)
    }
}

impl Served for RunFunctionRequest {}

impl Served for RunFunctionResponse {
    fn encode_served(&self, buf: &mut impl BufMut) -> Result<(), EncodeError> {
        crate::encode::encode_response(self, buf);
        Ok(())
    }
}

/// Why wire bytes could not be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NestingError {
    /// The bytes are not a well-formed protobuf message.
    #[error("malformed protobuf message at byte {0}")]
    Malformed(usize),
    /// The message nests deeper than the limit allows.
    #[error("message nests deeper than {0} levels")]
    TooDeep(usize),
}

/// How [`nesting`] treats a message too short to reach the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Walk it anyway, to measure the exact depth.
    Everything,
    /// Skip it: below any level, each further level costs at least two
    /// bytes (a tag and a length, or a group's start and end), so a message
    /// of `n` bytes at depth `d` cannot nest past `d + n / 2`.
    OnlyWhatCouldBeTooDeep,
}

/// Measures, without recursion, the message nesting depth of `bytes` decoded
/// as `root`, failing as soon as it passes `limit`. With
/// [`Walk::OnlyWhatCouldBeTooDeep`] the depth is a lower bound, the verdict
/// the same.
fn nesting(bytes: &[u8], root: Shape, limit: usize, walk: Walk) -> Result<usize, NestingError> {
    let shallow = |depth: usize, length: usize| {
        walk == Walk::OnlyWhatCouldBeTooDeep && depth + length / 2 <= limit
    };
    if shallow(1, bytes.len()) {
        return Ok(1);
    }
    // Each open message: its shape and the offset where it ends.
    let mut open: Vec<(Shape, usize)> = vec![(root, bytes.len())];
    let mut deepest = 1;
    let mut at = 0;
    while let Some(&(shape, end)) = open.last() {
        if at == end {
            open.pop();
            continue;
        }
        let key = read_varint(bytes, &mut at, end)?;
        let field = key >> 3;
        match key & 7 {
            0 => {
                read_varint(bytes, &mut at, end)?;
            }
            1 => at = skip(at, 8, end)?,
            5 => at = skip(at, 4, end)?,
            2 => {
                let length = read_varint(bytes, &mut at, end)?;
                let length = usize::try_from(length).map_err(|_| NestingError::Malformed(at))?;
                let inner_end = skip(at, length, end)?;
                match shape.child(field) {
                    Some(child) => {
                        let depth = open.len() + 1;
                        deepest = deepest.max(depth);
                        if deepest > limit {
                            return Err(NestingError::TooDeep(limit));
                        }
                        if shallow(depth, length) {
                            at = inner_end;
                        } else {
                            open.push((child, inner_end));
                        }
                    }
                    None => at = inner_end,
                }
            }
            _ => return Err(NestingError::Malformed(at)),
        }
    }
    Ok(deepest)
}

fn skip(at: usize, length: usize, end: usize) -> Result<usize, NestingError> {
    at.checked_add(length)
        .filter(|&next| next <= end)
        .ok_or(NestingError::Malformed(at))
}

fn read_varint(bytes: &[u8], at: &mut usize, end: usize) -> Result<u64, NestingError> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        if *at >= end {
            return Err(NestingError::Malformed(*at));
        }
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(NestingError::Malformed(*at))
}

/// Measures the message nesting depth of an encoded `M`.
pub fn measure<M: Bounded>(bytes: &[u8]) -> Result<usize, NestingError> {
    nesting(bytes, M::SHAPE, MAX_NESTING, Walk::Everything)
}

/// Checks that an encoded `M` nests no deeper than [`MAX_NESTING`], walking
/// only the messages long enough to: none of an everyday request, and of a
/// large one only the few levels above its composed resources.
pub fn check_nesting<M: Bounded>(bytes: &[u8]) -> Result<(), NestingError> {
    nesting(bytes, M::SHAPE, MAX_NESTING, Walk::OnlyWhatCouldBeTooDeep).map(drop)
}

/// Encoding by [`Served`], and decoding bounded by [`MAX_NESTING`].
#[derive(Debug)]
pub struct BoundedProstCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for BoundedProstCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for BoundedProstCodec<T, U>
where
    T: Served + Send + 'static,
    U: Bounded + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ServedEncoder<T>;
    type Decoder = BoundedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ServedEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        BoundedDecoder(PhantomData)
    }
}

/// Encodes `T` the way [`Served`] says.
#[derive(Debug)]
pub struct ServedEncoder<T>(PhantomData<T>);

impl<T: Served> Encoder for ServedEncoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // tonic's buffer grows as needed, so prost never runs out of room.
        item.encode_served(buf)
            .map_err(|error| Status::internal(format!("cannot encode the message: {error}")))
    }
}

/// Decodes `U` once its nesting is known to be within bounds.
#[derive(Debug)]
pub struct BoundedDecoder<U>(PhantomData<U>);

impl<U: Bounded> Decoder for BoundedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        decode(buf).map(Some)
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::new(RECEIVE_BUFFER, YIELD_THRESHOLD)
    }
}

/// The room tonic gives each call's request at first. Its default, 8 KiB,
/// is less than a settled XR's request (9 kB for the smallest claim), so
/// nearly every call reallocated and copied the buffer, once on arrival and
/// again when tonic reserved room for the message after it: about 2% of
/// the server's CPU time. Requests up to half of this land without a copy;
/// the cost is this much memory per call in flight.
const RECEIVE_BUFFER: usize = 32 * 1024;

/// tonic's default; it only batches streamed messages, and none are.
const YIELD_THRESHOLD: usize = 32 * 1024;

/// What the server makes of one message's bytes, all in one chunk as tonic
/// hands them over: the nesting checked, then decoded as far as the server
/// reads it.
pub fn decode<M: Bounded>(buf: impl Buf) -> Result<M, Status> {
    check_nesting::<M>(buf.chunk()).map_err(|error| Status::invalid_argument(error.to_string()))?;
    M::decode_served(buf)
        .map_err(|error| Status::invalid_argument(format!("malformed protobuf message: {error}")))
}

#[cfg(test)]
mod tests {
    use super::{check_nesting, measure, nesting, Shape, Walk, MAX_NESTING};
    use crate::proto::v1::RunFunctionRequest;

    fn wrap(tag: u8, inner: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let mut length = inner.len();
        while length >= 0x80 {
            // Low seven bits with the continuation flag; the cast keeps them.
            #[allow(clippy::cast_possible_truncation)]
            out.push((length as u8 & 0x7f) | 0x80);
            length >>= 7;
        }
        #[allow(clippy::cast_possible_truncation)]
        out.push(length as u8);
        out.extend_from_slice(inner);
        out
    }

    /// A request whose `desired.composite` holds `value` (an encoded
    /// `Value`): `request > State > Resource > Struct > entry > value`.
    fn holding(value: &[u8]) -> Vec<u8> {
        let entry = wrap(0x12, value);
        let object = wrap(0x0a, &entry);
        let resource = wrap(0x0a, &object);
        let state = wrap(0x0a, &resource);
        wrap(0x1a, &state)
    }

    /// The densest encoding of `lists` nested lists in `desired.composite`:
    /// `... > Value > (ListValue > Value)*`.
    fn densest(lists: usize) -> Vec<u8> {
        let mut value = Vec::new();
        for _ in 0..lists {
            value = wrap(0x32, &wrap(0x0a, &value));
        }
        holding(&value)
    }

    #[test]
    fn every_level_costs_at_least_two_bytes() {
        for lists in [0, 1, 10, 100, 1000, 4994, 4995, 6000] {
            let bytes = densest(lists);
            let depth =
                measure::<RunFunctionRequest>(&bytes).map_or(MAX_NESTING + 1, |depth| depth);
            assert!(
                bytes.len() >= 2 * (depth.min(MAX_NESTING + 1) - 1),
                "{lists} lists"
            );
            assert_eq!(
                check_nesting::<RunFunctionRequest>(&bytes).is_ok(),
                depth <= MAX_NESTING,
                "{lists} lists"
            );
        }
    }

    /// An encoded `Value`: lists and strings, shaped by `seed`, up to
    /// `levels` lists deep.
    fn tree(seed: &mut u64, levels: usize) -> Vec<u8> {
        // A linear congruential generator: enough variety, no dependency.
        *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let roll = *seed >> 33;
        if levels == 0 || roll.is_multiple_of(4) {
            let text = vec![b'x'; usize::try_from(roll % 40).unwrap_or_default()];
            return wrap(0x1a, &text);
        }
        let mut items = Vec::new();
        for _ in 0..=roll % 3 {
            items.extend(wrap(0x0a, &tree(seed, levels - 1)));
        }
        wrap(0x32, &items)
    }

    #[test]
    fn skipping_what_cannot_be_too_deep_keeps_every_verdict() {
        let mut seed = 7;
        for _ in 0..400 {
            let bytes = holding(&tree(&mut seed, 12));
            let exact = nesting(&bytes, Shape::Request, usize::MAX, Walk::Everything).unwrap();
            for limit in 1..=exact + 2 {
                let walked = nesting(&bytes, Shape::Request, limit, Walk::Everything);
                let skipped = nesting(&bytes, Shape::Request, limit, Walk::OnlyWhatCouldBeTooDeep);
                assert_eq!(walked.is_ok(), exact <= limit, "limit {limit}");
                assert_eq!(skipped.is_ok(), exact <= limit, "limit {limit}: {bytes:?}");
            }
        }
    }
}
