//! Compiles the function protocol with the pure-Rust `protox` parser, so a
//! build needs no system `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/v1/run_function.proto",
        "proto/v1beta1/run_function.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // v1beta1 is wire-identical to v1: reuse the v1 message types so one
        // handler serves both services with no conversion.
        .extern_path(".apiextensions.fn.proto.v1beta1", "crate::proto::v1")
        .codec_path("crate::codec::BoundedProstCodec")
        // Ordered maps encode in one order every time: the same request
        // must give a byte-identical response.
        .btree_map(".")
        .compile_fds(descriptors)?;
    Ok(())
}
