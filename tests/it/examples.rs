//! Every bundled example renders through the function with no FATAL result
//! and composes only resources the provider CRDs accept.

use std::path::{Path, PathBuf};

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render::render;

use crate::support::crd::{self, Source};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Composite resources (and claims) under `examples/`: every YAML file that
/// is not a render fixture (those come in sets, below) nor of Crossplane's
/// own kinds, such as a `DeploymentRuntimeConfig` (`crossplane_crds.rs`
/// validates those).
fn composite_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![examples()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy();
                // Guardrails examples include refused XRs: tests/guardrails.rs checks them.
                // Topology examples come in sets: tests/topology_examples.rs renders them.
                // Well-known examples need their Composition: tests/well_known_claims.rs.
                if !name.starts_with("render")
                    && !["guardrails", "topologies", "well-known"].contains(&name.as_ref())
                {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "yaml")
                && !of_crossplanes_kinds(&path)
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Whether every document of a YAML file is of a kind Crossplane's own CRDs
/// define.
fn of_crossplanes_kinds(path: &Path) -> bool {
    let documents = crd::yaml_documents(&read(path))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    !documents.is_empty()
        && documents
            .iter()
            .all(|document| crd::source_of(document) == Some(Source::Crossplane))
}

fn assert_renders(name: &str, xr: &str, observed: Option<&str>, input: Option<&str>) -> usize {
    let rendered = render(&Function::default(), xr, observed, input)
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    assert!(rendered.fatal.is_empty(), "{name}: {:?}", rendered.fatal);
    assert!(
        rendered.resources.contains_key("iamRole"),
        "{name}: no role"
    );
    assert!(
        rendered.resources.contains_key("podIdentityAssociation"),
        "{name}: no association"
    );
    for (key, resource) in &rendered.resources {
        if let Err(errors) = crd::validate(resource) {
            panic!("{name}: {key} is invalid: {errors:#?}");
        }
    }
    rendered.resources.len()
}

#[test]
fn every_example_composite_renders_valid_resources() {
    let files = composite_files();
    assert!(
        files.len() >= 5,
        "expected the bundled examples, found {files:?}"
    );
    for file in files {
        assert_renders(&file.display().to_string(), &read(&file), None, None);
    }
}

#[test]
fn render_fixtures_render_with_their_observed_state_and_composition() {
    for set in ["render", "render-v2"] {
        let dir = examples().join(set);
        let composition = read(&dir.join("composition.yaml"));
        let observed = read(&dir.join("observed.yaml"));
        let xr = read(&dir.join("xr.yaml"));
        assert_renders(set, &xr, Some(&observed), Some(&composition));
        let rendered = render(
            &Function::default(),
            &xr,
            Some(&observed),
            Some(&composition),
        )
        .unwrap();
        for field in ["roleArn", "associationId", "clusterName"] {
            assert!(
                rendered.status["podIdentity"].get(field).is_some(),
                "{set}: status lacks {field}: {:?}",
                rendered.status
            );
        }
        assert!(
            rendered.ready["iamRole"],
            "{set}: observed-ready role not marked ready"
        );
    }
}

#[test]
fn upbound_examples_render_unchanged() {
    let anchors = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/anchors/upbound-configuration-aws-eks-pod-identity");
    for file in ["v0.1.0-example-xr.yaml", "v2-example-xr.yaml"] {
        let count = assert_renders(file, &read(&anchors.join(file)), None, None);
        // Role, attachment, inline policy, association.
        assert_eq!(count, 4, "{file}");
    }
}
