//! function-eks-pod-identity: a Crossplane composition function that
//! composes everything EKS Pod Identity needs for one service account.
//!
//! # Layout
//!
//! - [`proto`]: the generated protocol types and service stubs (v1, v1beta1).
//! - [`codec`]: the gRPC codec that bounds request nesting before decoding.
//! - [`view`]: decodes a request only as far as the function reads it.
//! - [`wire`]: walks a message's wire bytes in place, field by field.
//! - [`encode`]: encodes an answer measuring each nested length once.
//! - [`json`]: `google.protobuf.Struct` <-> `serde_json` conversion.
//! - [`aws`]: AWS identifiers and policy documents, checked against IAM/EKS rules.
//! - [`params`]: the XR's `spec.parameters` (and the step's input defaults), typed and checked.
//! - [`reader`]: reads layered parameter values, keeping each problem at its field path.
//! - [`keys`]: composition resource names, stable under list reordering.
//! - [`compose`]: the desired managed resources for checked parameters.
//! - [`observed`]: readiness and status read off the observed resources.
//! - [`function`]: `RunFunction` as a pure function of the request.
//! - [`service`]: the gRPC service answering both protocol versions.
//! - [`exhausted`]: relabels tonic's size-limit refusals as `RESOURCE_EXHAUSTED`.
//! - [`connection`]: a served connection whose answers leave together.
//! - [`server`]: serving on a given listener until a shutdown signal.
//! - [`runtime`]: the tokio runtime and the signals that stop it.
//! - [`cli`]: command-line flags and binding the listen address.
//! - [`render`]: the offline `render` subcommand.

pub mod aws;
pub mod cli;
pub mod codec;
pub mod compose;
pub mod connection;
pub mod encode;
pub mod exhausted;
pub mod function;
pub mod json;
pub mod keys;
pub mod observed;
pub mod params;
pub mod reader;
pub mod render;
pub mod runtime;
pub mod server;
pub mod service;
pub mod view;
pub mod wire;

/// Types and stubs generated from `proto/`.
#[allow(clippy::pedantic, missing_debug_implementations, missing_docs)]
pub mod proto {
    /// `apiextensions.fn.proto.v1`: messages and the service.
    pub mod v1 {
        tonic::include_proto!("apiextensions.r#fn.proto.v1");
    }
    /// `apiextensions.fn.proto.v1beta1`: the same messages (reused from
    /// [`v1`], the wire format being identical) under the older service name.
    pub mod v1beta1 {
        tonic::include_proto!("apiextensions.r#fn.proto.v1beta1");
    }
}
