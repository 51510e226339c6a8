//! The gRPC codec: prost's encoding, and decoding guarded by the nesting
//! bound of [`crate::protocol::nesting`].
//!
//! prost decodes recursively. Its default limit (100 levels) rejects real
//! resources, and without a limit a request thousands of levels deep would
//! overflow the stack and abort the whole process. So prost is built without
//! its limit, and this codec measures a request's nesting on the wire first:
//! up to [`MAX_NESTING`] levels decode on threads whose stacks are sized for
//! that depth; deeper requests get `INVALID_ARGUMENT`.

use std::marker::PhantomData;
use std::sync::LazyLock;

use prost::bytes::Buf;
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

use crate::protocol::nesting::{Schema, MAX_NESTING};
use crate::protocol::v1::RunFunctionResponse;
use crate::protocol::FILE_DESCRIPTOR_SET;

/// A message type the codec knows by its full protobuf name.
pub trait Named: Message + Default {
    /// `.package.Message`, as the descriptors spell it.
    const FULL_NAME: &'static str;

    /// Decodes one message of this type: all of it, unless the type keeps
    /// less.
    fn decode_whole(buf: impl Buf) -> Result<Self, prost::DecodeError> {
        Self::decode(buf)
    }
}

impl Named for RunFunctionResponse {
    const FULL_NAME: &'static str = ".apiextensions.fn.proto.v1.RunFunctionResponse";
}

/// The protocol's schema, read once from the descriptors built in.
pub static SCHEMA: LazyLock<Result<Schema, prost::DecodeError>> =
    LazyLock::new(|| Schema::from_descriptor_set(FILE_DESCRIPTOR_SET));

/// prost encoding, and decoding bounded by [`MAX_NESTING`].
#[derive(Debug)]
pub struct BoundedProstCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for BoundedProstCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for BoundedProstCodec<T, U>
where
    T: Message + Send + 'static,
    U: Named + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = BoundedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        BoundedDecoder(PhantomData)
    }
}

/// Encodes with prost.
#[derive(Debug)]
pub struct ProstEncoder<T>(PhantomData<T>);

impl<T: Message> Encoder for ProstEncoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // tonic's buffer grows as needed, so prost never runs out of room.
        item.encode(buf)
            .map_err(|error| Status::internal(format!("cannot encode the message: {error}")))
    }
}

/// Decodes `U` once its nesting is known to be within bounds.
#[derive(Debug)]
pub struct BoundedDecoder<U>(PhantomData<U>);

impl<U: Named> Decoder for BoundedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        decode(buf).map(Some)
    }
}

/// Decodes one message, all in one chunk as tonic hands it over, after
/// checking its nesting.
pub fn decode<M: Named>(buf: impl Buf) -> Result<M, Status> {
    let schema = SCHEMA.as_ref().map_err(|error| {
        Status::internal(format!("the built-in descriptors do not decode: {error}"))
    })?;
    schema
        .check(buf.chunk(), M::FULL_NAME, MAX_NESTING)
        .map_err(|error| Status::invalid_argument(error.to_string()))?;
    M::decode_whole(buf)
        .map_err(|error| Status::invalid_argument(format!("malformed protobuf message: {error}")))
}
