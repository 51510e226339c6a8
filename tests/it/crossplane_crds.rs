//! The repository's own Crossplane objects validate against Crossplane's
//! CRDs (`tests/fixtures/crds/crossplane-v2.4/`), strictly, as an API server
//! would take them: the `Composition`s and `CompositeResourceDefinition`s of
//! `package/`, the `Composition`s the render examples carry, the
//! `ManagedResourceActivationPolicy`s of the v2 package and of
//! `examples/activation/`, and every `DeploymentRuntimeConfig` an example
//! declares. Each kind of mistake those objects could hold is refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::support::crd::{self, Source};

const LEGACY_COMPOSITION: &str = "package/configuration/apis/composition.yaml";
const LEGACY_XRD: &str = "package/configuration/apis/definition.yaml";
const NAMESPACED_COMPOSITION: &str = "package/configuration-v2/apis/composition.yaml";
const NAMESPACED_XRD: &str = "package/configuration-v2/apis/definition.yaml";
const NAMESPACED_ACTIVATION: &str = "package/configuration-v2/apis/activation.yaml";
const CLUSTER_ACTIVATION: &str = "examples/activation/cluster-scoped-mrap.yaml";
const ANCHORS: &str = "tests/fixtures/anchors/upbound-configuration-aws-eks-pod-identity";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The documents of a YAML file.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    crd::yaml_documents(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The one document of a YAML file, relative to the crate root.
fn document(relative: &str) -> Value {
    let mut all = documents(&root().join(relative));
    assert_eq!(all.len(), 1, "{relative}: want exactly one YAML document");
    all.remove(0)
}

/// The YAML files under a directory (relative to the crate root), as paths
/// relative to the crate root, sorted; `recursive` descends into folders.
fn yaml_files(relative: &str, recursive: bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root().join(relative)];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if recursive {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "yaml") {
                let relative = path.strip_prefix(root()).expect("under the crate root");
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

#[track_caller]
fn assert_valid(what: &str, object: &Value) {
    if let Err(errors) = crd::validate_manifest(object) {
        panic!("{what}: {errors:#?}");
    }
}

/// Asserts that the object is refused with an error that contains every
/// needle.
#[track_caller]
fn assert_refused(what: &str, object: &Value, needles: &[&str]) {
    let Err(errors) = crd::validate_manifest(object) else {
        panic!("{what}: accepted, but it should be refused for {needles:?}: {object:#}");
    };
    assert!(
        errors
            .iter()
            .any(|error| needles.iter().all(|needle| error.contains(needle))),
        "{what}: no error mentions all of {needles:?}: {errors:#?}"
    );
}

/// Moves the value at `from` (a JSON pointer) to the sibling key `to`, as a
/// misspelling would.
fn misspell(object: &Value, from: &str, to: &str) -> Value {
    let mut object = object.clone();
    let (parent, key) = from.rsplit_once('/').expect("a pointer");
    let fields = object
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"));
    let value = fields
        .remove(key)
        .unwrap_or_else(|| panic!("no {key} at {parent}"));
    fields.insert(to.to_owned(), value);
    object
}

/// A copy of the object with the value at a JSON pointer replaced (or the
/// last key added).
fn with(object: &Value, pointer: &str, value: Value) -> Value {
    let mut object = object.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    object
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"))
        .insert(key.to_owned(), value);
    object
}

/// A copy of the object without the key at a JSON pointer.
fn without(object: &Value, pointer: &str) -> Value {
    let mut object = object.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    object
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"))
        .remove(key)
        .unwrap_or_else(|| panic!("no {key} at {parent}"));
    object
}

#[test]
fn catalog_covers_crossplanes_kinds() {
    let known = crd::known_kinds();
    for expected in [
        "Composition.apiextensions.crossplane.io/v1",
        "CompositeResourceDefinition.apiextensions.crossplane.io/v1",
        "CompositeResourceDefinition.apiextensions.crossplane.io/v2",
        "DeploymentRuntimeConfig.pkg.crossplane.io/v1beta1",
        "Usage.apiextensions.crossplane.io/v1beta1",
        "Usage.protection.crossplane.io/v1beta1",
        "ClusterUsage.protection.crossplane.io/v1beta1",
        "ManagedResourceActivationPolicy.apiextensions.crossplane.io/v1alpha1",
    ] {
        assert!(
            known.iter().any(|kind| kind == expected),
            "{expected} missing from {known:?}"
        );
    }
}

#[test]
fn every_crossplane_object_in_package_and_examples_validates() {
    let mut checked = BTreeSet::new();
    for dir in ["package", "examples"] {
        for file in yaml_files(dir, true) {
            for object in documents(&root().join(&file)) {
                if crd::source_of(&object) == Some(Source::Crossplane) {
                    assert_valid(&file, &object);
                    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
                    checked.insert((file.clone(), kind));
                }
            }
        }
    }
    for (file, kind) in [
        (LEGACY_COMPOSITION, "Composition"),
        (LEGACY_XRD, "CompositeResourceDefinition"),
        (NAMESPACED_COMPOSITION, "Composition"),
        (NAMESPACED_XRD, "CompositeResourceDefinition"),
        ("examples/render/composition.yaml", "Composition"),
        ("examples/render-v2/composition.yaml", "Composition"),
        (NAMESPACED_ACTIVATION, "ManagedResourceActivationPolicy"),
        (CLUSTER_ACTIVATION, "ManagedResourceActivationPolicy"),
    ] {
        assert!(
            checked.contains(&(file.to_owned(), kind.to_owned())),
            "{file}: no {kind} was validated; validated {checked:#?}"
        );
    }
}

#[test]
fn upbounds_definitions_validate_too() {
    // Real XRDs written by others: proof that the validation is no stricter
    // than Crossplane's CRDs.
    for file in ["v0.1.0-definition.yaml", "v2-definition.yaml"] {
        let definition = document(&format!("{ANCHORS}/{file}"));
        assert_eq!(crd::source_of(&definition), Some(Source::Crossplane));
        assert_valid(file, &definition);
    }
}

#[test]
fn compositions_refuse_mistakes() {
    for file in [LEGACY_COMPOSITION, NAMESPACED_COMPOSITION] {
        let composition = document(file);
        let step = "/spec/pipeline/0";
        let cases = [
            (
                "a misspelled step field",
                misspell(&composition, &format!("{step}/functionRef"), "functonRef"),
                vec!["functonRef"],
            ),
            (
                "a misspelled spec field",
                misspell(&composition, "/spec/compositeTypeRef", "compositeTypRef"),
                vec!["compositeTypRef"],
            ),
            (
                "a number for the mode",
                with(&composition, "/spec/mode", json!(7)),
                vec!["spec.mode"],
            ),
            (
                "a mode Crossplane v2 removed",
                with(&composition, "/spec/mode", json!("Resources")),
                vec!["spec.mode", "Resources"],
            ),
            (
                "no compositeTypeRef",
                without(&composition, "/spec/compositeTypeRef"),
                vec!["spec", "\"compositeTypeRef\" is a required property"],
            ),
            (
                "a step without a name",
                without(&composition, &format!("{step}/step")),
                vec!["spec.pipeline[0]", "\"step\" is a required property"],
            ),
            (
                "no pipeline in Pipeline mode (a CEL rule)",
                without(&composition, "/spec/pipeline"),
                vec!["spec", "pipeline steps is required"],
            ),
            (
                "Secret credentials without a secretRef (a CEL rule)",
                with(
                    &composition,
                    &format!("{step}/credentials"),
                    json!([{"name": "aws", "source": "Secret"}]),
                ),
                vec!["spec.pipeline[0].credentials[0]", "requires a secretRef"],
            ),
            (
                "a namespace on a cluster-scoped kind",
                with(
                    &composition,
                    "/metadata/namespace",
                    json!("crossplane-system"),
                ),
                vec!["metadata.namespace", "cluster-scoped"],
            ),
            (
                "no name",
                without(&composition, "/metadata/name"),
                vec!["metadata.name"],
            ),
            (
                "a status",
                with(&composition, "/status", json!({})),
                vec!["status"],
            ),
        ];
        for (what, object, needles) in cases {
            assert_refused(&format!("{file}: {what}"), &object, &needles);
        }
    }
}

#[test]
fn xrds_refuse_mistakes() {
    for file in [LEGACY_XRD, NAMESPACED_XRD] {
        let definition = document(file);
        let cases = [
            (
                "a misspelled spec field",
                misspell(
                    &definition,
                    "/spec/enforcedCompositionRef",
                    "enforcedCompositonRef",
                ),
                vec!["enforcedCompositonRef"],
            ),
            (
                "a string for a boolean",
                with(&definition, "/spec/versions/0/served", json!("true")),
                vec!["spec.versions[0].served"],
            ),
            (
                "an unknown scope",
                with(&definition, "/spec/scope", json!("Global")),
                vec!["spec.scope", "Global"],
            ),
            (
                "no group",
                without(&definition, "/spec/group"),
                vec!["spec", "\"group\" is a required property"],
            ),
            (
                "an upper-case plural (a CEL rule)",
                with(&definition, "/spec/names/plural", json!("PodIdentities")),
                vec!["spec.names", "Plural name must be lowercase"],
            ),
            (
                "an upper-case name",
                with(&definition, "/metadata/name", json!("PodIdentities.aws")),
                vec!["metadata.name", "DNS subdomain"],
            ),
        ];
        for (what, object, needles) in cases {
            assert_refused(&format!("{file}: {what}"), &object, &needles);
        }
    }

    // What only the legacy (v1) world's claims allow.
    let legacy = document(LEGACY_XRD);
    assert_refused(
        "a claim on a Namespaced v1 XRD (a CEL rule)",
        &with(&legacy, "/spec/scope", json!("Namespaced")),
        &[
            "spec",
            "Only LegacyCluster composite resources can offer claims",
        ],
    );
    let namespaced = document(NAMESPACED_XRD);
    assert_refused(
        "a claim on a v2 XRD (a CEL rule)",
        &with(
            &namespaced,
            "/spec/claimNames",
            json!({"kind": "PodIdentityClaim", "plural": "podidentityclaims"}),
        ),
        &["spec", "Claims aren't supported"],
    );
}

#[test]
fn activation_policies_refuse_mistakes() {
    for file in [NAMESPACED_ACTIVATION, CLUSTER_ACTIVATION] {
        let policy = document(file);
        let cases = [
            (
                "a misspelled spec field",
                misspell(&policy, "/spec/activate", "activations"),
                vec!["activations"],
            ),
            (
                "no activate list",
                without(&policy, "/spec/activate"),
                vec!["spec", "\"activate\" is a required property"],
            ),
            (
                "an empty activate list",
                with(&policy, "/spec/activate", json!([])),
                vec!["spec.activate"],
            ),
            (
                "a name that is no string",
                with(&policy, "/spec/activate", json!([7])),
                vec!["spec.activate[0]"],
            ),
            (
                "an unserved version",
                with(
                    &policy,
                    "/apiVersion",
                    json!("apiextensions.crossplane.io/v1"),
                ),
                vec!["apiVersion", "v1"],
            ),
            (
                "a namespace on a cluster-scoped kind",
                with(&policy, "/metadata/namespace", json!("crossplane-system")),
                vec!["metadata.namespace", "cluster-scoped"],
            ),
            (
                "a status",
                with(&policy, "/status", json!({"activated": []})),
                vec!["status"],
            ),
        ];
        for (what, object, needles) in cases {
            assert_refused(&format!("{file}: {what}"), &object, &needles);
        }
    }
}

/// A small, valid `DeploymentRuntimeConfig` for this function: one replica,
/// a memory limit, and a named service account (for EKS Pod Identity or
/// IRSA to bind a role to).
fn runtime_config() -> Value {
    json!({
        "apiVersion": "pkg.crossplane.io/v1beta1",
        "kind": "DeploymentRuntimeConfig",
        "metadata": {"name": "function-eks-pod-identity"},
        "spec": {
            "deploymentTemplate": {
                "spec": {
                    "replicas": 1,
                    "selector": {},
                    "template": {
                        "spec": {
                            "containers": [{
                                "name": "package-runtime",
                                "args": ["--debug"],
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"memory": "128Mi"},
                                },
                            }],
                        },
                    },
                },
            },
            "serviceAccountTemplate": {
                "metadata": {"name": "function-eks-pod-identity"},
            },
        },
    })
}

#[test]
fn every_example_deployment_runtime_config_validates() {
    // None today; any that an example adds is checked from then on.
    for file in yaml_files("examples", false) {
        for object in documents(&root().join(&file)) {
            if object["kind"] == json!("DeploymentRuntimeConfig") {
                assert_eq!(
                    crd::source_of(&object),
                    Some(Source::Crossplane),
                    "{file}: {}",
                    object["apiVersion"]
                );
                assert_valid(&file, &object);
            }
        }
    }
    assert_valid("a small runtime config", &runtime_config());
}

#[test]
fn deployment_runtime_configs_refuse_mistakes() {
    let valid = runtime_config();
    let container = "/spec/deploymentTemplate/spec/template/spec/containers/0";
    let cases = [
        (
            "a misspelled container field",
            misspell(&valid, &format!("{container}/args"), "arg"),
            vec!["arg"],
        ),
        (
            "a misspelled spec field",
            misspell(
                &valid,
                "/spec/serviceAccountTemplate",
                "serviceAcountTemplate",
            ),
            vec!["serviceAcountTemplate"],
        ),
        (
            "a string for the replicas",
            with(&valid, "/spec/deploymentTemplate/spec/replicas", json!("1")),
            vec!["spec.deploymentTemplate.spec.replicas"],
        ),
        (
            "a malformed quantity",
            with(
                &valid,
                &format!("{container}/resources/limits/memory"),
                json!("128 megabytes"),
            ),
            vec!["resources.limits.memory"],
        ),
        (
            "a container without a name",
            without(&valid, &format!("{container}/name")),
            vec!["containers[0]", "\"name\" is a required property"],
        ),
        (
            "a deployment without a selector",
            without(&valid, "/spec/deploymentTemplate/spec/selector"),
            vec![
                "spec.deploymentTemplate.spec",
                "\"selector\" is a required property",
            ],
        ),
        (
            "a namespace on a cluster-scoped kind",
            with(&valid, "/metadata/namespace", json!("crossplane-system")),
            vec!["metadata.namespace"],
        ),
        (
            "an unserved version",
            with(&valid, "/apiVersion", json!("pkg.crossplane.io/v1alpha1")),
            vec!["apiVersion", "v1alpha1"],
        ),
    ];
    for (what, object, needles) in cases {
        assert_refused(what, &object, &needles);
    }
}
