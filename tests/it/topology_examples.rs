//! The topology examples (`examples/topologies/`) render ready with every
//! association in the status, every emitted resource (Usages included)
//! validates against its CRD, and a single-cluster claim that gains a second
//! cluster keeps its association.

use std::path::{Path, PathBuf};

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render::{render, Rendered};
use serde_json::{json, Value};

use crate::support::crd;

/// One example: its folder, the Composition it renders with (relative to
/// `examples/topologies/`), and how many associations it composes.
struct Example {
    dir: &'static str,
    composition: &'static str,
    associations: usize,
    usages: usize,
}

const EXAMPLES: [Example; 5] = [
    Example {
        dir: "two-clusters",
        composition: "composition.yaml",
        associations: 2,
        usages: 0,
    },
    Example {
        dir: "two-service-accounts",
        composition: "composition.yaml",
        associations: 2,
        usages: 0,
    },
    // The baseline with allowAssociationId: true.
    Example {
        dir: "adoption",
        composition: "adoption/composition.yaml",
        associations: 1,
        usages: 0,
    },
    // A Usage for the association, the attachment and the inline policy.
    Example {
        dir: "usages",
        composition: "usages/composition.yaml",
        associations: 1,
        usages: 3,
    },
    // A Usage for the association and the attachment.
    Example {
        dir: "usages-v2",
        composition: "usages-v2/composition.yaml",
        associations: 1,
        usages: 2,
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn topologies() -> PathBuf {
    root().join("examples/topologies")
}

fn render_example(example: &Example) -> Rendered {
    let dir = topologies().join(example.dir);
    render(
        &Function::default(),
        &read(&dir.join("xr.yaml")),
        Some(&read(&dir.join("observed.yaml"))),
        Some(&read(&topologies().join(example.composition))),
    )
    .unwrap_or_else(|error| panic!("{}: {error}", example.dir))
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn topology_examples_render_ready_with_every_association_in_the_status() {
    for example in &EXAMPLES {
        let name = example.dir;
        let rendered = render_example(example);
        assert!(rendered.fatal.is_empty(), "{name}: {:?}", rendered.fatal);

        let unready: Vec<&String> = rendered
            .ready
            .iter()
            .filter(|(_, ready)| !**ready)
            .map(|(key, _)| key)
            .collect();
        assert!(unready.is_empty(), "{name}: not ready: {unready:?}");

        let status = &rendered.status["podIdentity"];
        let listed = status["associations"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no associations in {status:#}"));
        assert_eq!(listed.len(), example.associations, "{name}: {listed:#?}");
        for entry in listed {
            for field in [
                "clusterName",
                "namespace",
                "serviceAccount",
                "associationId",
                "associationArn",
            ] {
                assert!(
                    entry[field].as_str().is_some_and(|text| !text.is_empty()),
                    "{name}: association without {field}: {entry:#}"
                );
            }
        }
        // The single fields describe the first pair, which the key
        // podIdentityAssociation composes.
        let first = &rendered.resources["podIdentityAssociation"]["spec"]["forProvider"];
        assert_eq!(status["clusterName"], first["clusterName"], "{name}");
        assert!(status["roleArn"].is_string(), "{name}: no roleArn");

        let mut usages = 0;
        for (key, resource) in &rendered.resources {
            if resource["kind"] == json!("Usage") {
                usages += 1;
            }
            // Usages too: Crossplane's CRDs are in the same catalog.
            if let Err(errors) = crd::validate(resource) {
                panic!("{name}: {key} is invalid: {errors:#?}");
            }
        }
        assert_eq!(usages, example.usages, "{name}: Usages");
    }
}

/// Each topology Composition is its package's, changed only where its
/// example needs it, so the examples show what the shipped baseline does.
#[test]
fn topology_compositions_are_the_packaged_ones_but_for_what_their_example_needs() {
    let document = |path: &Path| {
        let mut documents = crate::support::crd::yaml_documents(&read(path))
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(documents.len(), 1, "{}", path.display());
        documents.remove(0)
    };
    let cases = [
        ("composition.yaml", "package/configuration", json!({})),
        (
            "usages/composition.yaml",
            "package/configuration",
            json!({"usages": true}),
        ),
        (
            "usages-v2/composition.yaml",
            "package/configuration-v2",
            json!({"usages": true}),
        ),
        (
            "adoption/composition.yaml",
            "package/configuration",
            json!({"guardrails": {"allowAssociationId": true}}),
        ),
    ];
    for (file, package, changes) in cases {
        let mut want = document(&root().join(package).join("apis/composition.yaml"));
        let input = &mut want["spec"]["pipeline"][0]["input"];
        for (key, value) in changes.as_object().unwrap() {
            match value.as_object() {
                Some(fields) => {
                    for (field, value) in fields {
                        input[key][field] = value.clone();
                    }
                }
                None => input[key] = value.clone(),
            }
        }
        assert_eq!(want, document(&topologies().join(file)), "{file}");
    }
}

#[test]
fn topology_observed_resources_validate_against_the_provider_crds() {
    for example in &EXAMPLES {
        let path = topologies().join(example.dir).join("observed.yaml");
        let observed = crd::yaml_documents(&read(&path)).expect("a YAML stream");
        let rendered = render_example(example);
        let managed = rendered
            .resources
            .values()
            .filter(|resource| resource["kind"] != json!("Usage"))
            .count();
        assert_eq!(
            observed.len(),
            managed,
            "{}: one observed resource per composed managed resource",
            example.dir
        );
        for resource in &observed {
            if let Err(errors) = crd::validate_observed(resource) {
                panic!("{}: {errors:#?}", path.display());
            }
        }
    }
}

#[test]
fn usages_take_the_scope_of_their_xr() {
    for (example, group, namespace) in [
        (&EXAMPLES[3], "apiextensions.crossplane.io", None),
        (&EXAMPLES[4], "protection.crossplane.io", Some("analytics")),
    ] {
        let rendered = render_example(example);
        for usage in rendered
            .resources
            .values()
            .filter(|resource| resource["kind"] == json!("Usage"))
        {
            assert_eq!(usage["apiVersion"], json!(format!("{group}/v1beta1")));
            assert_eq!(
                usage.pointer("/metadata/namespace").and_then(Value::as_str),
                namespace,
                "{}",
                example.dir
            );
            assert_eq!(usage["spec"]["replayDeletion"], json!(true));
        }
    }
}

#[test]
fn the_usage_check_refuses_mistakes() {
    let rendered = render_example(&EXAMPLES[4]);
    let usage = rendered
        .resources
        .values()
        .find(|resource| resource["kind"] == json!("Usage"))
        .expect("a Usage")
        .clone();
    assert_eq!(crd::validate(&usage), Ok(()));
    let errors = |usage: &Value| crd::validate(usage).expect_err("refused");

    let mut misspelled = usage.clone();
    let spec = misspelled["spec"].as_object_mut().expect("spec");
    let value = spec.remove("replayDeletion").expect("replayDeletion");
    spec.insert("replayDeletions".to_owned(), value);
    let found = errors(&misspelled);
    assert!(
        found.iter().any(|error| error.contains("replayDeletions")),
        "{found:#?}"
    );

    let mut misspelled_selector = usage.clone();
    misspelled_selector["spec"]["of"]["resourceSelector"]["matchLabel"] = json!({"a": "b"});
    errors(&misspelled_selector);

    let mut neither = usage.clone();
    neither["spec"].as_object_mut().expect("spec").remove("by");
    let found = errors(&neither);
    assert!(
        found
            .iter()
            .any(|error| error.contains("\"spec.by\" or \"spec.reason\"")),
        "{found:#?}"
    );

    let mut cluster_scoped = usage.clone();
    cluster_scoped["apiVersion"] = json!("apiextensions.crossplane.io/v1beta1");
    let found = errors(&cluster_scoped);
    assert!(
        found
            .iter()
            .any(|error| error.contains("metadata.namespace")),
        "a cluster-scoped Usage in a namespace: {found:#?}"
    );

    let mut named = usage.clone();
    named["metadata"]["name"] = json!("reports-usage");
    let found = errors(&named);
    assert!(
        found.iter().any(|error| error.contains("metadata.name")),
        "{found:#?}"
    );
}

#[test]
fn a_single_cluster_claim_gaining_a_second_cluster_keeps_its_association() {
    let example = &EXAMPLES[2];
    let dir = topologies().join(example.dir);
    let composition = read(&topologies().join(example.composition));
    let observed = read(&dir.join("observed.yaml"));
    let single = read(&dir.join("xr.yaml"));
    // The adoption example without adoption: a plain single-cluster claim.
    let single: String = single
        .split_inclusive('\n')
        .filter(|line| !line.contains("associationId"))
        .collect();
    let before = render(
        &Function::default(),
        &single,
        Some(&observed),
        Some(&composition),
    )
    .expect("renders");
    assert!(before.fatal.is_empty(), "{:?}", before.fatal);

    let doubled = single.replace(
        "    clusterName: prod-us-west-2\n",
        "    clusters:\n      - clusterName: prod-us-west-2\n      - clusterName: prod-eu-west-1\n        region: eu-west-1\n",
    );
    assert_ne!(doubled, single, "the claim gained a cluster");
    let after = render(
        &Function::default(),
        &doubled,
        Some(&observed),
        Some(&composition),
    )
    .expect("renders");
    assert!(after.fatal.is_empty(), "{:?}", after.fatal);

    let associations = |rendered: &Rendered| -> Vec<String> {
        rendered
            .resources
            .iter()
            .filter(|(_, resource)| resource["kind"] == json!("PodIdentityAssociation"))
            .map(|(key, _)| key.clone())
            .collect()
    };
    assert_eq!(associations(&before), ["podIdentityAssociation"]);
    let keys = associations(&after);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&"podIdentityAssociation".to_owned()));
    assert_eq!(
        after.resources["podIdentityAssociation"], before.resources["podIdentityAssociation"],
        "the existing association is unchanged"
    );
    // The first pair is still observed, and still ready; the new one waits.
    assert!(after.ready["podIdentityAssociation"]);
    let added = keys
        .iter()
        .find(|key| *key != "podIdentityAssociation")
        .expect("the new association");
    assert!(added.contains("prod-eu-west-1"), "{added}");
    assert!(!after.ready[added]);
    assert_eq!(
        after.status["podIdentity"]["associationId"],
        before.status["podIdentity"]["associationId"]
    );
}

#[test]
fn the_render_stream_keeps_the_labels_the_usages_select_by() {
    let example = &EXAMPLES[3];
    let xr_text = read(&topologies().join(example.dir).join("xr.yaml"));
    let xr = crd::yaml_documents(&xr_text).expect("the XR").remove(0);
    let Value::Object(xr) = xr else {
        panic!("the XR is an object")
    };
    let stream = render_example(example).to_yaml(&xr).expect("YAML");
    let documents = crd::yaml_documents(&stream).expect("a YAML stream");
    let role = documents
        .iter()
        .find(|document| document["kind"] == json!("Role"))
        .expect("the Role");
    assert_eq!(
        role["metadata"]["labels"],
        json!({
            "crossplane.io/composite": "reports",
            "eks-pod-identity.fn.crossplane.io/resource": "iamRole",
            "eks-pod-identity.fn.crossplane.io/tenant": "platform.xr",
        }),
        "Crossplane's label beside the function's own"
    );
}
