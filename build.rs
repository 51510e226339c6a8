//! Compiles the function protocol with the pure-Rust `protox` parser, so a
//! build needs no system `protoc`; and indexes the lines of the vendored
//! managed policies, so that a lookup reads only the lines it compares.
//!
//! `proto/v1/run_function.proto` is the one source. Package
//! `apiextensions.fn.proto.v1beta1` is the same file under another package
//! name (Crossplane 1.14 to 1.16 call only that one), so it is derived here
//! rather than kept as a second copy that could drift.

use std::path::PathBuf;

const V1: &str = "v1/run_function.proto";
const V1BETA1: &str = "v1beta1/run_function.proto";

/// The vendored AWS managed policies: a header, a string table, then one
/// line per policy (starting with its path's `/`), sorted by name.
const MANAGED_POLICIES: &str = "data/aws-managed-policies/policies.txt";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    index_managed_policies()?;
    println!("cargo:rerun-if-changed=proto/{V1}");
    let source = std::fs::read_to_string(format!("proto/{V1}"))?;
    let package = "package apiextensions.fn.proto.v1;";
    if !source.contains(package) {
        return Err(format!("proto/{V1} no longer declares `{package}`").into());
    }
    let derived_root = PathBuf::from(std::env::var("OUT_DIR")?).join("proto");
    std::fs::create_dir_all(derived_root.join("v1beta1"))?;
    std::fs::write(
        derived_root.join(V1BETA1),
        source.replace(package, "package apiextensions.fn.proto.v1beta1;"),
    )?;

    let descriptors = protox::compile([V1, V1BETA1], [PathBuf::from("proto"), derived_root])?;
    // Served by reflection and walked by the codec's nesting bound.
    std::fs::write(
        PathBuf::from(std::env::var("OUT_DIR")?).join("function_descriptor_set.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // v1beta1 is wire-identical to v1: reuse the v1 message types so one
        // handler serves both services with no conversion.
        .extern_path(".apiextensions.fn.proto.v1beta1", "crate::protocol::v1")
        .codec_path("crate::protocol::codec::BoundedProstCodec")
        // Ordered maps encode in one order every time: the same request
        // must give a byte-identical response.
        .btree_map(".")
        .compile_fds(descriptors)?;
    Ok(())
}

/// Writes the byte offset of each policy line of [`MANAGED_POLICIES`], in
/// file order, as a Rust array for `iam::managed` to search by name.
fn index_managed_policies() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={MANAGED_POLICIES}");
    let text = std::fs::read_to_string(MANAGED_POLICIES)?;
    let mut offsets = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with('/') {
            offsets.push(u32::try_from(at)?);
        }
        at += line.len();
    }
    let listed: Vec<String> = offsets.iter().map(u32::to_string).collect();
    std::fs::write(
        PathBuf::from(std::env::var("OUT_DIR")?).join("managed_policy_lines.rs"),
        format!(
            "/// Where each policy line of the data file starts, in file order.\n\
             pub const POLICY_LINES: [u32; {}] = [{}];\n",
            offsets.len(),
            listed.join(", ")
        ),
    )?;
    Ok(())
}
