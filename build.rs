//! Compiles the function protocol with the pure-Rust `protox` parser, so a
//! build needs no system `protoc`; indexes the lines of the vendored
//! managed policies, so that a lookup reads only the lines it compares; and
//! embeds the IAM catalogue's records, read by the library's own reader.
//!
//! `proto/v1/run_function.proto` is the one source. Package
//! `apiextensions.fn.proto.v1beta1` is the same file under another package
//! name (Crossplane 1.14 to 1.16 call only that one), so it is derived here
//! rather than kept as a second copy that could drift.

use std::fmt::Write;
use std::path::PathBuf;

use catalogue_tables::{KeyEntry, Span, Tables};

const V1: &str = "v1/run_function.proto";
const V1BETA1: &str = "v1beta1/run_function.proto";

/// The vendored AWS managed policies: a header, a string table, then one
/// line per policy (starting with its path's `/`), sorted by name.
const MANAGED_POLICIES: &str = "data/aws-managed-policies/policies.txt";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    index_managed_policies()?;
    embed_iam_catalogue()?;
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

/// The IAM catalogue's records, read by the library's own reader.
#[allow(dead_code)] // The library uses the rest of the module.
#[path = "src/iam/catalogue/tables.rs"]
mod catalogue_tables;

/// The vendored IAM catalogue.
const IAM_CATALOGUE: &str = "data/iam/catalogue.txt";

/// Writes the IAM catalogue's records as Rust statics, so that the binary
/// reads them where they lie instead of parsing the text on first use.
fn embed_iam_catalogue() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={IAM_CATALOGUE}");
    println!("cargo:rerun-if-changed=src/iam/catalogue/tables.rs");
    let text = std::fs::read_to_string(IAM_CATALOGUE)?;
    let tables = Tables::read(&text);
    std::fs::write(
        PathBuf::from(std::env::var("OUT_DIR")?).join("catalogue_tables.rs"),
        tables_as_rust(&tables),
    )?;
    Ok(())
}

/// The tables as Rust statics (`SERVICES`, `ACTIONS`, `RESOURCES`, `FORMATS`,
/// `RESOURCE_REFS`, `KEYS`, `GLOBALS`, `REJECTED`), for a module with the
/// tables' types and `AccessLevel`'s variants in scope.
fn tables_as_rust(tables: &Tables) -> String {
    let span = |span: Span| format!("Span{{at:{},len:{}}}", span.at, span.len);
    let key = |entry: &KeyEntry| {
        format!(
            "KeyEntry{{key:{},multivalued:{}}}",
            span(entry.key),
            entry.multivalued
        )
    };
    let services = tables.services.iter().map(|entry| {
        format!(
            "ServiceEntry{{prefix:{},actions:{:?},resources:{:?},keys:{:?}}}",
            span(entry.prefix),
            entry.actions,
            entry.resources,
            entry.keys
        )
    });
    let actions = tables.actions.iter().map(|entry| {
        format!(
            // A derived `Debug` writes a variant as its name.
            "ActionEntry{{name:{},refs_start:{},service:{},level:{:?},refs_len:{}}}",
            span(entry.name),
            entry.refs_start,
            entry.service,
            entry.level,
            entry.refs_len
        )
    });
    let resources = tables.resources.iter().map(|entry| {
        format!(
            "ResourceEntry{{name:{},formats:{},format_entries:{:?}}}",
            span(entry.name),
            span(entry.formats),
            entry.format_entries
        )
    });
    let formats = tables.formats.iter().map(|entry| {
        format!(
            "FormatEntry{{format:{},service:{:?},start:{:?}}}",
            span(entry.format),
            entry.service,
            entry.start
        )
    });
    let mut out = String::new();
    let mut table = |name: &str, kind: &str, rows: Vec<String>| {
        let _ = writeln!(
            out,
            "pub static {name}: [{kind}; {}] = [\n{}\n];",
            rows.len(),
            rows.join(",\n")
        );
    };
    table("SERVICES", "ServiceEntry", services.collect());
    table("ACTIONS", "ActionEntry", actions.collect());
    table("RESOURCES", "ResourceEntry", resources.collect());
    table("FORMATS", "FormatEntry", formats.collect());
    let refs = tables.resource_refs.iter().map(u16::to_string);
    table("RESOURCE_REFS", "u16", refs.collect());
    table("KEYS", "KeyEntry", tables.keys.iter().map(key).collect());
    table(
        "GLOBALS",
        "KeyEntry",
        tables.globals.iter().map(key).collect(),
    );
    let _ = writeln!(out, "pub const REJECTED: usize = {};", tables.rejected);
    out
}
