//! The topology examples (`examples/topologies/`) render ready with every
//! association in the status, every emitted resource (Usages included)
//! validates against its CRD, and a single-cluster claim that gains a second
//! cluster keeps its association.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render::{render, Rendered};
use serde_json::{json, Value};

/// Where the Usage CRDs are vendored, unchanged, relative to the crate.
const CROSSPLANE_CRDS: &str = "tests/fixtures/crds/crossplane-v2.4";

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
// Usage CRDs

/// A vendored Crossplane CRD, with its schema closed to unknown fields as
/// `support::crd` closes the provider CRDs.
struct UsageCrd {
    namespaced: bool,
    validator: jsonschema::Validator,
}

fn usage_crd(group: &str) -> UsageCrd {
    let path = root()
        .join(CROSSPLANE_CRDS)
        .join(format!("{group}_usages.yaml"));
    let mut documents = crate::support::crd::yaml_documents(&read(&path))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert_eq!(documents.len(), 1, "{}: one CRD", path.display());
    let crd = documents.remove(0);
    assert_eq!(crd["spec"]["group"], json!(group));
    assert_eq!(crd["spec"]["names"]["kind"], json!("Usage"));
    let version = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|version| version["name"] == json!("v1beta1"))
        .unwrap_or_else(|| panic!("{group}: no v1beta1"));
    assert_eq!(version["served"], json!(true), "{group}: v1beta1 is served");
    let schema = crate::support::crd::closed_schema(&version["schema"]["openAPIV3Schema"]);
    let validator = jsonschema::draft4::options()
        .build(&schema)
        .unwrap_or_else(|error| panic!("{group}: compiling the schema: {error}"));
    UsageCrd {
        namespaced: crd["spec"]["scope"] == json!("Namespaced"),
        validator,
    }
}

/// Every problem of a desired Usage: its schema, the CRD's CEL rules (each
/// written out, as the rules are few and fixed) and its scope.
fn usage_errors(crd: &UsageCrd, usage: &Value) -> Vec<String> {
    let mut errors: Vec<String> = crd
        .validator
        .iter_errors(usage)
        .map(|error| {
            format!(
                "{}: {error}",
                crate::support::crd::display_pointer(error.instance_path().as_str())
            )
        })
        .collect();
    let spec = &usage["spec"];
    if spec.get("by").is_none() && spec.get("reason").is_none() {
        errors.push("spec: either spec.by or spec.reason must be specified".to_owned());
    }
    for side in ["of", "by"] {
        if let Some(resource) = spec.get(side) {
            if resource.get("resourceRef").is_none() && resource.get("resourceSelector").is_none() {
                errors.push(format!(
                    "spec.{side}: either a resource reference or a resource selector"
                ));
            }
        }
    }
    if usage.pointer("/metadata/namespace").is_some() != crd.namespaced {
        errors.push(format!(
            "metadata.namespace: want one exactly when namespaced ({})",
            crd.namespaced
        ));
    }
    if usage.pointer("/metadata/name").is_some() {
        errors.push("metadata.name: Crossplane names composed resources".to_owned());
    }
    errors
}

/// The Usage CRD of an emitted Usage's `apiVersion`.
fn crd_of<'c>(crds: &'c BTreeMap<&str, UsageCrd>, usage: &Value) -> &'c UsageCrd {
    let api_version = usage["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.split('/').next().unwrap_or_default();
    assert_eq!(
        api_version,
        format!("{group}/v1beta1"),
        "Usages are v1beta1"
    );
    crds.get(group)
        .unwrap_or_else(|| panic!("no Usage CRD for {api_version}"))
}

fn usage_crds() -> BTreeMap<&'static str, UsageCrd> {
    ["apiextensions.crossplane.io", "protection.crossplane.io"]
        .into_iter()
        .map(|group| (group, usage_crd(group)))
        .collect()
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn topology_examples_render_ready_with_every_association_in_the_status() {
    let crds = usage_crds();
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
                let errors = usage_errors(crd_of(&crds, resource), resource);
                assert!(errors.is_empty(), "{name}: {key}: {errors:#?}");
            } else if let Err(errors) = crate::support::crd::validate(resource) {
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
        let observed = crate::support::crd::yaml_documents(&read(&path)).expect("a YAML stream");
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
            if let Err(errors) = crate::support::crd::validate_observed(resource) {
                panic!("{}: {errors:#?}", path.display());
            }
        }
    }
}

#[test]
fn usages_take_the_scope_of_their_xr() {
    let crds = usage_crds();
    assert!(!crds["apiextensions.crossplane.io"].namespaced);
    assert!(crds["protection.crossplane.io"].namespaced);
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
    let crds = usage_crds();
    let rendered = render_example(&EXAMPLES[4]);
    let usage = rendered
        .resources
        .values()
        .find(|resource| resource["kind"] == json!("Usage"))
        .expect("a Usage")
        .clone();
    let crd = crd_of(&crds, &usage);
    assert_eq!(usage_errors(crd, &usage), Vec::<String>::new());

    let mut misspelled = usage.clone();
    let spec = misspelled["spec"].as_object_mut().expect("spec");
    let value = spec.remove("replayDeletion").expect("replayDeletion");
    spec.insert("replayDeletions".to_owned(), value);
    let errors = usage_errors(crd, &misspelled);
    assert!(
        errors.iter().any(|error| error.contains("replayDeletions")),
        "{errors:#?}"
    );

    let mut misspelled_selector = usage.clone();
    misspelled_selector["spec"]["of"]["resourceSelector"]["matchLabel"] = json!({"a": "b"});
    assert!(!usage_errors(crd, &misspelled_selector).is_empty());

    let mut neither = usage.clone();
    neither["spec"].as_object_mut().expect("spec").remove("by");
    assert!(usage_errors(crd, &neither)
        .iter()
        .any(|error| error.contains("spec.by or spec.reason")));

    let mut cluster_scoped = usage.clone();
    cluster_scoped["apiVersion"] = json!("apiextensions.crossplane.io/v1beta1");
    let errors = usage_errors(crd_of(&crds, &cluster_scoped), &cluster_scoped);
    assert!(
        errors
            .iter()
            .any(|error| error.contains("metadata.namespace")),
        "a cluster-scoped Usage in a namespace: {errors:#?}"
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
    let xr = crate::support::crd::yaml_documents(&xr_text)
        .expect("the XR")
        .remove(0);
    let Value::Object(xr) = xr else {
        panic!("the XR is an object")
    };
    let stream = render_example(example).to_yaml(&xr).expect("YAML");
    let documents = crate::support::crd::yaml_documents(&stream).expect("a YAML stream");
    let role = documents
        .iter()
        .find(|document| document["kind"] == json!("Role"))
        .expect("the Role");
    assert_eq!(
        role["metadata"]["labels"],
        json!({
            "crossplane.io/composite": "reports",
            "eks-pod-identity.fn.crossplane.io/resource": "iamRole",
        }),
        "Crossplane's label beside the function's own"
    );
}
