//! The function protocol, independent of what the function composes: the
//! generated messages and services, the gRPC codec that bounds a request's
//! nesting before it is decoded, decoding that keeps of the observed
//! resources only what the caller names, `Struct` <-> JSON conversion,
//! reading a `Struct` by path, and building a response.
//!
//! May import: the generated code, prost, tonic's codec traits. Nothing here
//! names an AWS or Crossplane resource kind, nor imports another layer of
//! this crate.

pub mod codec;
pub mod lean;
pub mod nesting;
pub mod path;
pub mod response;
pub mod structs;

/// `apiextensions.fn.proto.v1`: messages and the service.
#[allow(clippy::pedantic, missing_debug_implementations, missing_docs)]
pub mod v1 {
    tonic::include_proto!("apiextensions.r#fn.proto.v1");
}

/// `apiextensions.fn.proto.v1beta1`: the same messages (reused from [`v1`],
/// the wire format being identical) under the older service name.
#[allow(clippy::pedantic, missing_debug_implementations, missing_docs)]
pub mod v1beta1 {
    tonic::include_proto!("apiextensions.r#fn.proto.v1beta1");
}

/// The encoded `FileDescriptorSet` of both protocol versions and the
/// well-known types they import: what server reflection serves and what the
/// nesting bound walks requests with.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/function_descriptor_set.bin"));

/// Full name of the request message, as the descriptor set spells it.
pub const REQUEST_TYPE: &str = ".apiextensions.fn.proto.v1.RunFunctionRequest";
