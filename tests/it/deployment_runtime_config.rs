//! `examples/deployment-runtime-config.yaml` is a valid Crossplane
//! `DeploymentRuntimeConfig` (against the vendored CRD, with every object
//! closed so that a misspelt field fails) that runs two replicas and names
//! the metrics port.

use serde_json::Value;

use crate::support::crd::validate_manifest;

const EXAMPLE: &str = "examples/deployment-runtime-config.yaml";

fn example() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_example_validates_against_the_crd() {
    let example = example();
    assert_eq!(example["apiVersion"], "pkg.crossplane.io/v1beta1");
    assert_eq!(example["kind"], "DeploymentRuntimeConfig");
    validate_manifest(&example).unwrap_or_else(|problems| panic!("{problems:#?}"));
}

#[test]
fn the_closed_schema_catches_a_misspelt_field() {
    let mut example = example();
    example["spec"]["deploymentTemplate"]["spec"]["replica"] = Value::from(2);
    assert!(validate_manifest(&example).is_err());
}

#[test]
fn two_replicas_with_resources_and_the_metrics_port() {
    let example = example();
    let deployment = &example["spec"]["deploymentTemplate"]["spec"];
    assert_eq!(deployment["replicas"], 2);
    let container = &deployment["template"]["spec"]["containers"][0];
    // Crossplane merges only the container of this name into its own.
    assert_eq!(container["name"], "package-runtime");
    let port = &container["ports"][0];
    assert_eq!(
        (&port["name"], &port["containerPort"]),
        (&Value::from("metrics"), &Value::from(8080))
    );
    for field in ["requests", "limits"] {
        assert!(
            container["resources"][field]["memory"].is_string(),
            "{field}"
        );
    }
}
