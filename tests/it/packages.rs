//! Checks the Crossplane packages (`package/`), the examples (`examples/`) and
//! the container build, offline: package metadata, package contents, the XRDs
//! as structural schemas, the API's compatibility with Upbound's
//! configuration-aws-eks-pod-identity (`tests/fixtures/anchors/`), every example
//! against its XRD, the Compositions' wiring, and the observed resources of
//! the render examples against the provider CRDs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::support::crd::{self, Source};

/// The package name Crossplane knows the function by.
const FUNCTION_NAME: &str = "function-eks-pod-identity";
/// The function's input, as a Composition step declares it.
const INPUT_API_VERSION: &str = "eks-pod-identity.fn.crossplane.io/v1beta1";
const INPUT_KIND: &str = "Input";
const INPUT_CRD: &str = "input/eks-pod-identity.fn.crossplane.io_inputs.yaml";
/// The API group and version both XRDs serve.
const GROUP: &str = "aws.platform.upbound.io";
const VERSION: &str = "v1alpha1";
/// The dependencies of both Configurations, as `(kind, repository)`; every
/// package reference is `<registry>/<repository>`, all on one registry. The
/// function's organisation is a placeholder until it is published.
const DEPENDENCIES: [(&str, &str); 3] = [
    ("provider", "upbound/provider-aws-iam"),
    ("provider", "upbound/provider-aws-eks"),
    ("function", "example-org/function-eks-pod-identity"),
];
const FUNCTION_VERSION: &str = ">=v0.1.0";
const ANCHORS: &str = "tests/fixtures/anchors/upbound-configuration-aws-eks-pod-identity";

/// The CEL rule on `spec.parameters` that requires exactly one cluster field
/// or the `clusters` list.
const EXACTLY_ONE_CLUSTER_RULE: &str =
    "(has(self.clusterName) ? 1 : 0) + (has(self.clusterNameRef) ? 1 : 0) \
     + (has(self.clusterNameSelector) ? 1 : 0) + (has(self.clusters) ? 1 : 0) == 1";
/// The CEL rule on each `clusters` entry: exactly one of its cluster fields.
const EXACTLY_ONE_CLUSTER_ENTRY_RULE: &str =
    "(has(self.clusterName) ? 1 : 0) + (has(self.clusterNameRef) ? 1 : 0) \
     + (has(self.clusterNameSelector) ? 1 : 0) == 1";
/// The CEL rule on `spec.parameters` that requires exactly one of the single
/// service account and the list.
const EXACTLY_ONE_SERVICE_ACCOUNT_RULE: &str =
    "has(self.serviceAccount) != has(self.serviceAccounts)";
const CLUSTER_FIELDS: [&str; 3] = ["clusterName", "clusterNameRef", "clusterNameSelector"];

/// `spec` fields Crossplane adds to every XR or claim CRD it generates; they
/// are not part of the XRD's schema.
const CROSSPLANE_SPEC_FIELDS: [&str; 13] = [
    "compositionRef",
    "compositionSelector",
    "compositionRevisionRef",
    "compositionRevisionSelector",
    "compositionUpdatePolicy",
    "compositeDeletePolicy",
    "claimRef",
    "resourceRef",
    "resourceRefs",
    "writeConnectionSecretToRef",
    "publishConnectionDetailsTo",
    "environmentConfigRefs",
    "crossplane",
];

/// The parameters both XRDs declare.
const PARAMETERS: [&str; 25] = [
    "region",
    "clusterName",
    "clusterNameRef",
    "clusterNameSelector",
    "clusters",
    "serviceAccount",
    "serviceAccounts",
    "associationId",
    "labels",
    "managedPolicyArns",
    "inlinePolicy",
    "permissionsBoundaryArn",
    "roleName",
    "rolePath",
    "roleDescription",
    "maxSessionDuration",
    "tags",
    "deletionPolicy",
    "managementPolicies",
    "providerConfigName",
    "targetRoleArn",
    "disableSessionTags",
    "podIdentityAgent",
    "wellKnownPolicies",
    "roleArn",
];

/// One of the two API worlds the packages serve.
#[derive(Debug)]
struct World {
    /// The Configuration's package root.
    package: &'static str,
    xrd_api_version: &'static str,
    xrd_name: &'static str,
    composition_name: &'static str,
    xr_kind: &'static str,
    claim_kind: Option<&'static str>,
    namespaced: bool,
    crossplane_version: &'static str,
    provider_version: &'static str,
    /// Parameters only this world declares.
    extra_parameters: &'static [&'static str],
    /// Package files besides `crossplane.yaml` and the XRD and Composition
    /// under `apis/`.
    extra_files: &'static [&'static str],
    anchor_definition: &'static str,
    anchor_example: &'static str,
    /// The example claims and XRs of this world (paths from the crate root).
    examples: &'static [&'static str],
    render: &'static str,
    /// The managed resource groups of this world (IAM, EKS).
    groups: [&'static str; 2],
}

const LEGACY: World = World {
    package: "package/configuration",
    xrd_api_version: "apiextensions.crossplane.io/v1",
    xrd_name: "xpodidentities.aws.platform.upbound.io",
    composition_name: "xpodidentities.aws.platform.upbound.io",
    xr_kind: "XPodIdentity",
    claim_kind: Some("PodIdentity"),
    namespaced: false,
    crossplane_version: ">=v1.14.1",
    provider_version: ">=v2.0.0",
    extra_parameters: &[],
    // Crossplane 1.x knows no activation policy: the one for this world on
    // Crossplane v2 is an example to apply (examples/activation/).
    extra_files: &[],
    anchor_definition: "v0.1.0-definition.yaml",
    anchor_example: "v0.1.0-example-xr.yaml",
    examples: &[
        "examples/claim.yaml",
        "examples/upbound-v0.1.0-xr.yaml",
        "examples/cross-account-xr.yaml",
        "examples/agent-install-xr.yaml",
        "examples/render/xr.yaml",
        "examples/topologies/two-clusters/xr.yaml",
        "examples/topologies/two-service-accounts/xr.yaml",
        "examples/topologies/adoption/xr.yaml",
        "examples/topologies/usages/xr.yaml",
        "examples/well-known/three-add-ons-xr.yaml",
        "examples/well-known/existing-role-xr.yaml",
    ],
    render: "examples/render",
    groups: ["iam.aws.upbound.io", "eks.aws.upbound.io"],
};

const NAMESPACED: World = World {
    package: "package/configuration-v2",
    xrd_api_version: "apiextensions.crossplane.io/v2",
    xrd_name: "podidentities.aws.platform.upbound.io",
    composition_name: "podidentities.aws.platform.upbound.io",
    xr_kind: "PodIdentity",
    claim_kind: None,
    namespaced: true,
    // The first release that accepts an activation policy in a package.
    crossplane_version: ">=v2.1.0",
    provider_version: ">=v2.0.0",
    extra_parameters: &["providerConfigKind"],
    // The ManagedResourceActivationPolicy; tests/activation.rs checks it.
    extra_files: &["apis/activation.yaml"],
    anchor_definition: "v2-definition.yaml",
    anchor_example: "v2-example-xr.yaml",
    examples: &[
        "examples/v2/podidentity.yaml",
        "examples/render-v2/xr.yaml",
        "examples/topologies/usages-v2/xr.yaml",
    ],
    render: "examples/render-v2",
    groups: ["iam.aws.m.upbound.io", "eks.aws.m.upbound.io"],
};

const WORLDS: [&World; 2] = [&LEGACY, &NAMESPACED];

// ---------------------------------------------------------------------------
// Loading

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// Every document of a YAML file (relative to the crate root).
fn documents(relative: &str) -> Vec<Value> {
    let path = root().join(relative);
    crd::yaml_documents(&read(&path)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// The one document of a YAML file (relative to the crate root).
fn document(relative: &str) -> Value {
    let mut all = documents(relative);
    assert_eq!(all.len(), 1, "{relative}: want exactly one YAML document");
    all.remove(0)
}

fn anchor(file: &str) -> Value {
    document(&format!("{ANCHORS}/{file}"))
}

/// Files under a directory, as sorted paths relative to it.
fn files_under(relative: &str) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, found: &mut BTreeSet<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(base, &path, found);
            } else {
                let relative = path.strip_prefix(base).expect("under the base");
                found.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let base = root().join(relative);
    let mut found = BTreeSet::new();
    walk(&base, &base, &mut found);
    found
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
}

fn openapi(definition: &Value) -> &Value {
    let versions = definition
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .expect("spec.versions");
    assert_eq!(versions.len(), 1, "one served version");
    versions[0]
        .pointer("/schema/openAPIV3Schema")
        .expect("schema.openAPIV3Schema")
}

fn parameters_schema(definition: &Value) -> &Value {
    openapi(definition)
        .pointer("/properties/spec/properties/parameters")
        .expect("spec.parameters in the schema")
}

fn xrd(world: &World) -> Value {
    document(&format!("{}/apis/definition.yaml", world.package))
}

fn composition(world: &World) -> Value {
    document(&format!("{}/apis/composition.yaml", world.package))
}

fn configuration(world: &World) -> Value {
    document(&format!("{}/crossplane.yaml", world.package))
}

fn sorted(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// Every YAML file

#[test]
fn every_yaml_file_under_package_and_examples_parses_into_kubernetes_objects() {
    let mut seen = 0;
    for dir in ["package", "examples"] {
        for file in files_under(dir) {
            let relative = format!("{dir}/{file}");
            assert!(
                Path::new(&file)
                    .extension()
                    .is_some_and(|ext| ext == "yaml"),
                "{relative}: only .yaml files belong here"
            );
            let all = documents(&relative);
            assert!(!all.is_empty(), "{relative}: no YAML document");
            for object in &all {
                for key in ["apiVersion", "kind"] {
                    assert!(
                        object
                            .get(key)
                            .and_then(Value::as_str)
                            .is_some_and(|value| !value.is_empty()),
                        "{relative}: a document without {key}"
                    );
                }
                seen += 1;
            }
        }
    }
    assert!(seen >= 20, "only {seen} documents found");
}

#[test]
fn every_example_file_is_checked_by_these_tests() {
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for world in WORLDS {
        expected.extend(world.examples.iter().map(|example| (*example).to_owned()));
        for file in [
            "composition.yaml",
            "functions.yaml",
            "xr.yaml",
            "observed.yaml",
        ] {
            expected.insert(format!("{}/{file}", world.render));
        }
    }
    // The strict profile's examples; tests/guardrails.rs renders them.
    for file in [
        "composition.yaml",
        "functions.yaml",
        "allowed-xr.yaml",
        "refused-xr.yaml",
    ] {
        expected.insert(format!("examples/guardrails/{file}"));
    }
    // The well-known examples' Composition; tests/well_known_claims.rs
    // renders the XRs with it.
    for file in ["composition.yaml", "functions.yaml"] {
        expected.insert(format!("examples/well-known/{file}"));
    }
    // The topology examples; tests/topology_examples.rs renders them.
    for file in ["composition.yaml", "functions.yaml"] {
        expected.insert(format!("examples/topologies/{file}"));
    }
    for dir in [
        "two-clusters",
        "two-service-accounts",
        "adoption",
        "usages",
        "usages-v2",
    ] {
        for file in ["xr.yaml", "observed.yaml"] {
            expected.insert(format!("examples/topologies/{dir}/{file}"));
        }
    }
    for dir in ["usages", "usages-v2", "adoption"] {
        expected.insert(format!("examples/topologies/{dir}/composition.yaml"));
    }
    // Checked by tests/deployment_runtime_config.rs.
    expected.insert("examples/deployment-runtime-config.yaml".to_owned());
    // Checked by tests/activation.rs and tests/crossplane_crds.rs.
    expected.insert("examples/activation/cluster-scoped-mrap.yaml".to_owned());
    let found: BTreeSet<String> = files_under("examples")
        .into_iter()
        .map(|file| format!("examples/{file}"))
        .collect();
    // An example of Crossplane's own kinds beside the composites, such as a
    // DeploymentRuntimeConfig, is checked by crossplane_crds.rs.
    for file in &found {
        let beside_the_composites = !file.trim_start_matches("examples/").contains('/');
        let all = documents(file);
        if beside_the_composites
            && !all.is_empty()
            && all
                .iter()
                .all(|object| crd::source_of(object) == Some(Source::Crossplane))
        {
            expected.insert(file.clone());
        }
    }
    assert_eq!(
        found, expected,
        "examples/ holds files no test checks, or lacks some"
    );
}

// ---------------------------------------------------------------------------
// The Function package

#[test]
fn function_package_metadata() {
    let meta = document("package/function/crossplane.yaml");
    assert_eq!(text(&meta, "/apiVersion"), "meta.pkg.crossplane.io/v1beta1");
    assert_eq!(text(&meta, "/kind"), "Function");
    assert_eq!(text(&meta, "/metadata/name"), FUNCTION_NAME);
    assert!(FUNCTION_NAME.starts_with("function-"));
    check_annotations(&meta, "package/function/crossplane.yaml");
    assert_eq!(
        meta.pointer("/spec/capabilities"),
        Some(&json!(["composition"])),
        "the function composes; it runs no operations"
    );
    let spec_keys: BTreeSet<&String> = meta["spec"].as_object().expect("spec").keys().collect();
    assert_eq!(spec_keys, BTreeSet::from([&"capabilities".to_owned()]));
}

/// The five package annotations, non-empty, and the crate's licence.
#[track_caller]
fn check_annotations(meta: &Value, file: &str) {
    for key in ["maintainer", "source", "license", "description", "readme"] {
        let value = meta
            .pointer(&format!("/metadata/annotations/meta.crossplane.io~1{key}"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert!(
            !value.trim().is_empty(),
            "{file}: annotation meta.crossplane.io/{key} missing or empty"
        );
    }
    let cargo = read(&root().join("Cargo.toml"));
    let license = cargo
        .lines()
        .find_map(|line| line.strip_prefix("license = "))
        .map(|value| value.trim_matches('"'))
        .expect("Cargo.toml declares a license");
    assert_eq!(
        text(meta, "/metadata/annotations/meta.crossplane.io~1license"),
        license,
        "{file}: the package licence is the crate's"
    );
}

#[test]
fn function_package_holds_only_its_metadata_and_the_input_crd() {
    assert_eq!(
        files_under("package/function"),
        sorted(&["crossplane.yaml", INPUT_CRD])
    );
}

fn input_crd() -> Value {
    document(&format!("package/function/{INPUT_CRD}"))
}

#[test]
fn input_crd_describes_the_step_input() {
    let crd = input_crd();
    assert_eq!(text(&crd, "/apiVersion"), "apiextensions.k8s.io/v1");
    assert_eq!(text(&crd, "/kind"), "CustomResourceDefinition");
    let (group, version) = INPUT_API_VERSION.split_once('/').expect("group/version");
    assert!(
        group.ends_with(".fn.crossplane.io"),
        "function input groups end in .fn.crossplane.io"
    );
    assert_eq!(text(&crd, "/spec/group"), group);
    assert_eq!(text(&crd, "/spec/names/kind"), INPUT_KIND);
    assert_eq!(text(&crd, "/spec/scope"), "Cluster");
    let plural = text(&crd, "/spec/names/plural");
    assert_eq!(text(&crd, "/metadata/name"), format!("{plural}.{group}"));
    assert_eq!(text(&crd, "/spec/versions/0/name"), version);
    assert_eq!(crd.pointer("/spec/versions/0/served"), Some(&json!(true)));
    assert_eq!(crd.pointer("/spec/versions/0/storage"), Some(&json!(true)));

    let schema = openapi(&crd);
    let mut errors = Vec::new();
    structural(schema, "(root)", &mut errors);
    let defaults = schema
        .pointer("/properties/defaults")
        .expect("a defaults object");
    described(defaults, "defaults", &mut errors);
    let guardrails = schema
        .pointer("/properties/guardrails")
        .expect("a guardrails object");
    described(guardrails, "guardrails", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");

    let keys: BTreeSet<String> = defaults["properties"]
        .as_object()
        .expect("defaults.properties")
        .keys()
        .cloned()
        .collect();
    let want = sorted(&[
        "region",
        "providerConfigName",
        "providerConfigKind",
        "deletionPolicy",
        "managementPolicies",
        "tags",
        "podIdentityAgent",
    ]);
    assert_eq!(keys, want);
    let agent: BTreeSet<String> = defaults
        .pointer("/properties/podIdentityAgent/properties")
        .and_then(Value::as_object)
        .expect("podIdentityAgent.properties")
        .keys()
        .cloned()
        .collect();
    assert_eq!(agent, sorted(&["install", "version", "resolveConflicts"]));

    let keys = |pointer: &str| -> BTreeSet<String> {
        guardrails
            .pointer(pointer)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("guardrails{pointer}"))
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        keys("/properties"),
        sorted(&[
            "serviceAccountNamespaces",
            "clusterNames",
            "managedPolicyArns",
            "inlinePolicies",
            "permissionsBoundaryArn",
            "rolePath",
            "targetRoleArns",
            "podIdentityAgent",
            "roleNames",
            "allowAssociationId",
            "providerConfigNames",
            "providerConfigKinds",
            "deletionPolicies",
            "managementPolicies",
            "tags",
            "wellKnownPolicies",
            "roleArns",
            "rolePaths",
            "allowDisableSessionTags",
        ])
    );
    assert_eq!(
        keys("/properties/managedPolicyArns/properties"),
        sorted(&["allow", "deny", "byContent"])
    );
    assert_eq!(
        keys("/properties/tags/properties"),
        sorted(&["deniedKeys", "forced"])
    );
}

/// The Input CRD declares the rules on what inline policies grant.
#[test]
fn input_crd_describes_the_inline_policy_rules() {
    let crd = input_crd();
    let inline = openapi(&crd)
        .pointer("/properties/guardrails/properties/inlinePolicies/properties")
        .cloned()
        .expect("inlinePolicies");
    let keys = |value: &Value| -> BTreeSet<String> {
        value.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        keys(&inline),
        sorted(&[
            "denyActions",
            "allowNotAction",
            "denyAccessLevels",
            "denyRisks",
            "resources",
            "refuseLintErrors"
        ])
    );
    assert_eq!(
        keys(&inline["resources"]["properties"]),
        sorted(&["allow", "refuseAccountWide"])
    );
}

/// The issue's full guardrails: every rule, each well formed.
fn full_guardrails() -> Value {
    json!({
        "serviceAccountNamespaces": ["SameAsClaim", "shared-*"],
        "clusterNames": ["prod-*", "staging-*", "{namespace}-*"],
        "managedPolicyArns": {
            "allow": [
                "arn:aws:iam::aws:policy/Amazon*ReadOnly*",
                "arn:aws:iam::111122223333:policy/{namespace}/*",
            ],
            "deny": ["arn:aws:iam::aws:policy/AdministratorAccess"],
            "byContent": true,
        },
        "inlinePolicies": {
            "denyActions": ["iam:*", "organizations:*", "account:*"],
            "allowNotAction": false,
            "denyAccessLevels": ["Permissions management", "Tagging"],
            "denyRisks": ["PrivilegeEscalation", "CredentialExposure", "SecurityControls", "PermissionsManagement"],
            "resources": {
                "allow": ["arn:{partition}:s3:::{namespace}-*", "arn:aws:sqs:*:111122223333:{namespace}-*"],
                "refuseAccountWide": true,
            },
            "refuseLintErrors": true,
        },
        "rolePaths": ["/", "/{namespace}/"],
        "allowDisableSessionTags": false,
        "permissionsBoundaryArn": "arn:aws:iam::111122223333:policy/workload-boundary",
        "rolePath": "/workloads/",
        "targetRoleArns": ["arn:aws:iam::444455556666:role/data-*"],
        "podIdentityAgent": false,
        "roleNames": ["{namespace}.*", "shared-*"],
        "allowAssociationId": false,
        "providerConfigNames": ["default", "aws-{namespace}"],
        "providerConfigKinds": ["ClusterProviderConfig"],
        "deletionPolicies": ["Delete"],
        "managementPolicies": ["*"],
        "tags": {
            "deniedKeys": ["tenant", "team*"],
            "forced": {"tenant": "{namespace}"},
        },
        "wellKnownPolicies": ["externalDNS", "certManager"],
        "roleArns": ["arn:aws:iam::111122223333:role/{namespace}-*"],
    })
}

/// The CRD and the function agree on guardrails: an input holding every
/// rule passes both, and a misspelt or mistyped rule fails both, so the
/// API server and the function never disagree on what a rule means.
#[test]
fn input_crd_and_function_agree_on_guardrails() {
    let validator = strict_validator(openapi(&input_crd()));
    let full = json!({
        "apiVersion": INPUT_API_VERSION,
        "kind": INPUT_KIND,
        "guardrails": full_guardrails(),
    });
    let read = |input: &Value| {
        function_eks_pod_identity::guardrails::input::FunctionInput::read(input.as_object())
    };
    assert_eq!(schema_errors(&validator, &full), Vec::<String>::new());
    assert!(read(&full).is_ok_and(|input| input.guardrails.is_some()));
    for (pointer, bad) in [
        ("/guardrails/rolPath", json!("/workloads/")),
        ("/guardrails/managedPolicyArns/alow", json!([])),
        ("/guardrails/inlinePolicies/denyAction", json!(["iam:*"])),
        ("/guardrails/podIdentityAgent", json!("false")),
        ("/guardrails/clusterNames", json!("prod-*")),
        ("/guardrails/inlinePolicies/allowNotAction", json!("no")),
        (
            "/guardrails/inlinePolicies/denyAccessLevels",
            json!(["permissions management"]),
        ),
        ("/guardrails/inlinePolicies/refuseLintErrors", json!("yes")),
        (
            "/guardrails/inlinePolicies/denyRisks",
            json!(["privilegeEscalation"]),
        ),
        (
            "/guardrails/inlinePolicies/resources/refuseAccountWide",
            json!("yes"),
        ),
        ("/guardrails/inlinePolicies/resources/allw", json!([])),
        ("/guardrails/managedPolicyArns/byContent", json!("yes")),
        ("/guardrails/rolePaths", json!("/")),
        ("/guardrails/allowDisableSessionTags", json!("no")),
        ("/guardrails/permissionsBoundaryArn", json!(["arn"])),
        ("/guardrails/roleName", json!(["{namespace}.*"])),
        ("/guardrails/roleNames", json!("{namespace}.*")),
        ("/guardrails/allowAssociationId", json!("false")),
        ("/guardrails/providerConfigNames", json!("default")),
        ("/guardrails/providerConfigKinds", json!(["Namespaced"])),
        (
            "/guardrails/providerConfigKinds",
            json!("ClusterProviderConfig"),
        ),
        ("/guardrails/deletionPolicies", json!(["Keep"])),
        ("/guardrails/managementPolicies", json!(["All"])),
        ("/guardrails/tags/deniedKey", json!(["tenant"])),
        ("/guardrails/tags/forced", json!({"tenant": 7})),
        ("/guardrails/tags", json!(["tenant"])),
        ("/guardrails/wellKnownPolicies", json!(["externalDns"])),
        ("/guardrails/wellKnownPolicies", json!("*")),
        (
            "/guardrails/roleArns",
            json!("arn:aws:iam::111122223333:role/*"),
        ),
    ] {
        let mut input = full.clone();
        set(&mut input, pointer, bad);
        assert!(
            !schema_errors(&validator, &input).is_empty(),
            "{pointer} should be rejected by the CRD"
        );
        let refused = read(&input).expect_err("the function refuses it too");
        let path = format!("input{}", pointer.replace('/', "."));
        assert!(
            refused.contains(&path),
            "{pointer}: the function's refusal names {path}: {refused}"
        );
    }
}

#[test]
fn input_crd_accepts_full_defaults_and_rejects_mistakes() {
    let validator = strict_validator(openapi(&input_crd()));
    let full = json!({
        "apiVersion": INPUT_API_VERSION,
        "kind": INPUT_KIND,
        "defaults": {
            "region": "us-west-2",
            "providerConfigName": "default",
            "providerConfigKind": "ClusterProviderConfig",
            "deletionPolicy": "Orphan",
            "managementPolicies": ["Create", "Observe", "Update", "LateInitialize"],
            "tags": {"managed-by": "crossplane"},
            "podIdentityAgent": {"install": true, "version": "v1.3.4-eksbuild.1", "resolveConflicts": "PRESERVE"},
        },
    });
    assert_eq!(schema_errors(&validator, &full), Vec::<String>::new());
    for (pointer, bad) in [
        ("/defaults/deletionPolicy", json!("Keep")),
        ("/defaults/providerConfigKind", json!("StoreConfig")),
        ("/defaults/managementPolicies", json!(["All"])),
        (
            "/defaults/podIdentityAgent/resolveConflicts",
            json!("overwrite"),
        ),
        ("/defaults/regoin", json!("us-west-2")),
        ("/defualts", json!({})),
    ] {
        let mut input = full.clone();
        set(&mut input, pointer, bad);
        assert!(
            !schema_errors(&validator, &input).is_empty(),
            "{pointer} should be rejected"
        );
    }
    let mut too_many = full.clone();
    let tags: Map<String, Value> = (0..48)
        .map(|index| (format!("tag-{index}"), json!("x")))
        .collect();
    set(&mut too_many, "/defaults/tags", Value::Object(tags));
    assert!(
        !schema_errors(&validator, &too_many).is_empty(),
        "48 tags should be rejected"
    );
}

/// Sets a value at a JSON pointer, creating the last key.
fn set(value: &mut Value, pointer: &str, new: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let parent = if parent.is_empty() {
        value
    } else {
        value
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent}"))
    };
    parent
        .as_object_mut()
        .expect("an object")
        .insert(key.to_owned(), new);
}

fn remove(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no {parent}"))
        .remove(key);
}

// ---------------------------------------------------------------------------
// The Configuration packages

#[test]
fn configuration_packages_hold_only_metadata_xrd_composition_and_activation() {
    for world in WORLDS {
        let mut expected = sorted(&[
            "crossplane.yaml",
            "apis/definition.yaml",
            "apis/composition.yaml",
        ]);
        expected.extend(world.extra_files.iter().map(|file| (*file).to_owned()));
        assert_eq!(files_under(world.package), expected, "{}", world.package);
    }
}

#[test]
fn configuration_package_metadata() {
    for world in WORLDS {
        let meta = configuration(world);
        let file = format!("{}/crossplane.yaml", world.package);
        assert_eq!(
            text(&meta, "/apiVersion"),
            "meta.pkg.crossplane.io/v1",
            "{file}"
        );
        assert_eq!(text(&meta, "/kind"), "Configuration", "{file}");
        assert!(!text(&meta, "/metadata/name").is_empty());
        check_annotations(&meta, &file);
        assert_eq!(
            text(&meta, "/spec/crossplane/version"),
            world.crossplane_version,
            "{file}"
        );
        let depends = meta
            .pointer("/spec/dependsOn")
            .and_then(Value::as_array)
            .expect("spec.dependsOn");
        assert_eq!(depends.len(), DEPENDENCIES.len(), "{file}: {depends:#?}");
        let mut registries = BTreeSet::new();
        for (dependency, (kind, repository)) in depends.iter().zip(DEPENDENCIES) {
            let keys: BTreeSet<&String> = dependency
                .as_object()
                .expect("a dependency")
                .keys()
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from([&kind.to_owned(), &"version".to_owned()]),
                "{file}"
            );
            let reference = text(dependency, &format!("/{kind}"));
            let (registry, path) = reference.split_once('/').expect("<registry>/<repository>");
            assert!(
                registry.contains('.'),
                "{file}: {reference} names no registry host"
            );
            assert_eq!(path, repository, "{file}");
            registries.insert(registry.to_owned());
            let version = if kind == "function" {
                FUNCTION_VERSION
            } else {
                world.provider_version
            };
            assert_eq!(text(dependency, "/version"), version, "{file}: {reference}");
        }
        assert_eq!(
            registries.len(),
            1,
            "{file}: one registry for every dependency"
        );
        let function = document("package/function/crossplane.yaml");
        let (_, function_repository) = DEPENDENCIES[2];
        assert!(
            function_repository.ends_with(&format!("/{}", text(&function, "/metadata/name"))),
            "the dependency names the function package"
        );
    }
}

// ---------------------------------------------------------------------------
// The XRDs

#[test]
fn xrd_metadata_names_and_printer_columns() {
    for world in WORLDS {
        let definition = xrd(world);
        let name = world.xrd_name;
        assert_eq!(
            text(&definition, "/apiVersion"),
            world.xrd_api_version,
            "{name}"
        );
        assert_eq!(text(&definition, "/kind"), "CompositeResourceDefinition");
        assert_eq!(text(&definition, "/metadata/name"), name);
        assert_eq!(text(&definition, "/spec/group"), GROUP);
        assert_eq!(text(&definition, "/spec/names/kind"), world.xr_kind);
        let plural = text(&definition, "/spec/names/plural");
        assert_eq!(
            format!("{plural}.{GROUP}"),
            name,
            "an XRD is named <plural>.<group>"
        );
        if let Some(claim) = world.claim_kind {
            assert_eq!(text(&definition, "/spec/claimNames/kind"), claim);
            assert_eq!(
                text(&definition, "/spec/claimNames/plural"),
                "podidentities"
            );
            assert!(
                definition.pointer("/spec/scope").is_none(),
                "a v1 XRD is cluster-scoped"
            );
        } else {
            assert!(
                definition.pointer("/spec/claimNames").is_none(),
                "v2 XRs have no claims"
            );
            assert_eq!(text(&definition, "/spec/scope"), "Namespaced");
        }
        assert_eq!(
            text(&definition, "/spec/enforcedCompositionRef/name"),
            world.composition_name
        );
        let version = &definition["spec"]["versions"][0];
        assert_eq!(version["name"], json!(VERSION));
        assert_eq!(version["served"], json!(true));
        assert_eq!(version["referenceable"], json!(true));
        let columns: Vec<(&str, &str)> = version["additionalPrinterColumns"]
            .as_array()
            .expect("printer columns")
            .iter()
            .map(|column| (text(column, "/jsonPath"), text(column, "/type")))
            .collect();
        for path in [
            ".status.podIdentity.roleArn",
            ".status.podIdentity.associationId",
            ".status.podIdentity.clusterName",
        ] {
            assert!(
                columns.contains(&(path, "string")),
                "{name}: no printer column for {path}"
            );
        }
    }
}

#[test]
fn xrd_schemas_are_structural_and_fully_described() {
    for world in WORLDS {
        let definition = xrd(world);
        let schema = openapi(&definition);
        let mut errors = Vec::new();
        structural(schema, "(root)", &mut errors);
        let root_keys: BTreeSet<String> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        if root_keys != sorted(&["spec", "status"]) {
            errors.push(format!(
                "(root): an XRD schema declares only spec and status, not {root_keys:?}"
            ));
        }
        let spec_keys: BTreeSet<String> = schema
            .pointer("/properties/spec/properties")
            .and_then(Value::as_object)
            .expect("spec.properties")
            .keys()
            .cloned()
            .collect();
        for reserved in CROSSPLANE_SPEC_FIELDS {
            if spec_keys.contains(reserved) {
                errors.push(format!("spec.{reserved}: reserved by Crossplane"));
            }
        }
        described(&schema["properties"]["spec"], "spec", &mut errors);
        described(&schema["properties"]["status"], "status", &mut errors);
        assert!(errors.is_empty(), "{}: {errors:#?}", world.xrd_name);
    }
}

#[test]
fn xrd_parameters_are_the_documented_api() {
    for world in WORLDS {
        let definition = xrd(world);
        let parameters = parameters_schema(&definition);
        let declared: BTreeSet<String> = parameters["properties"]
            .as_object()
            .expect("parameters.properties")
            .keys()
            .cloned()
            .collect();
        let mut want = sorted(&PARAMETERS);
        want.extend(world.extra_parameters.iter().map(|name| (*name).to_owned()));
        assert_eq!(declared, want, "{}", world.xrd_name);

        // serviceAccount or serviceAccounts: a CEL rule requires exactly one.
        assert_eq!(parameters["required"], json!(["region"]));
        assert_eq!(
            parameters.pointer("/properties/serviceAccount/required"),
            Some(&json!(["name", "namespace"]))
        );
        check_topology_parameters(world, parameters);
        assert_eq!(
            parameters.pointer("/properties/clusterNameRef/required"),
            Some(&json!(["name"]))
        );
        let spec_required = openapi(&definition).pointer("/properties/spec/required");
        assert_eq!(spec_required, Some(&json!(["parameters"])));

        // Defaults are the function's, so the Composition's input can set them.
        for field in [
            "deletionPolicy",
            "providerConfigName",
            "managementPolicies",
            "providerConfigKind",
        ] {
            if let Some(schema) = parameters["properties"].get(field) {
                assert!(
                    schema.get("default").is_none(),
                    "{field} must have no schema default"
                );
                assert!(
                    schema.pointer("/items/default").is_none(),
                    "{field} items must have no default"
                );
            }
        }
        assert!(parameters
            .pointer("/properties/podIdentityAgent/properties/install/default")
            .is_none());

        let namespaces = [
            parameters.pointer("/properties/clusterNameRef/properties/namespace"),
            parameters.pointer("/properties/clusterNameSelector/properties/namespace"),
        ];
        assert!(
            namespaces
                .iter()
                .all(|namespace| namespace.is_some() == world.namespaced),
            "{}: cluster references take a namespace exactly in the namespaced world",
            world.xrd_name
        );

        let status = openapi(&definition)
            .pointer("/properties/status/properties/podIdentity")
            .expect("status.podIdentity");
        assert_eq!(status["x-kubernetes-preserve-unknown-fields"], json!(true));
        let fields: BTreeSet<String> = status["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            fields,
            sorted(&[
                "roleArn",
                "roleName",
                "associationId",
                "associationArn",
                "clusterName",
                "targetRoleArn",
                "externalId",
                "associations",
                "wellKnownPolicies"
            ])
        );
        check_status_associations(world, status);
    }
}

/// `status.podIdentity.associations`: a list of objects, one per composed
/// association, each field a string.
fn check_status_associations(world: &World, status: &Value) {
    let associations = &status["properties"]["associations"];
    assert_eq!(associations["type"], json!("array"));
    assert_eq!(associations["items"]["type"], json!("object"));
    let entry: BTreeMap<String, Value> = associations["items"]["properties"]
        .as_object()
        .expect("associations[].properties")
        .iter()
        .map(|(name, schema)| (name.clone(), schema["type"].clone()))
        .collect();
    let want: BTreeMap<String, Value> = [
        "clusterName",
        "namespace",
        "serviceAccount",
        "associationId",
        "associationArn",
        "targetRoleArn",
        "externalId",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), json!("string")))
    .collect();
    assert_eq!(
        entry, want,
        "{}: status.podIdentity.associations[]",
        world.xrd_name
    );
}

/// The lists and fields of several clusters and service accounts, adoption
/// and labels: their types, bounds and entry shapes.
fn check_topology_parameters(world: &World, parameters: &Value) {
    let name = world.xrd_name;
    let field = |field: &str| &parameters["properties"][field];

    let clusters = field("clusters");
    assert_eq!(clusters["type"], json!("array"), "{name}: clusters");
    assert_eq!(clusters["minItems"], json!(1), "{name}: clusters");
    assert_eq!(clusters["maxItems"], json!(10), "{name}: clusters");
    let entry = &clusters["items"];
    assert_eq!(entry["type"], json!("object"), "{name}: clusters[]");
    let entry_fields: BTreeSet<String> = entry["properties"]
        .as_object()
        .expect("clusters[].properties")
        .keys()
        .cloned()
        .collect();
    let mut want = sorted(&CLUSTER_FIELDS);
    want.insert("region".to_owned());
    assert_eq!(entry_fields, want, "{name}: clusters[]");
    assert_eq!(entry["properties"]["region"]["type"], json!("string"));
    // Each entry's cluster fields are the single fields, schema for schema.
    for cluster_field in CLUSTER_FIELDS {
        assert_eq!(
            entry["properties"][cluster_field], parameters["properties"][cluster_field],
            "{name}: clusters[].{cluster_field}"
        );
    }
    let rules = entry["x-kubernetes-validations"]
        .as_array()
        .expect("a CEL rule on clusters[]");
    assert_eq!(rules.len(), 1, "{name}: clusters[]");
    assert_eq!(normalized_rule(&rules[0]), EXACTLY_ONE_CLUSTER_ENTRY_RULE);

    let accounts = field("serviceAccounts");
    assert_eq!(accounts["type"], json!("array"), "{name}: serviceAccounts");
    assert_eq!(accounts["minItems"], json!(1), "{name}: serviceAccounts");
    assert_eq!(accounts["maxItems"], json!(10), "{name}: serviceAccounts");
    assert_eq!(
        accounts["items"],
        service_account_entry(parameters),
        "{name}: serviceAccounts[]"
    );

    let id = field("associationId");
    assert_eq!(id["type"], json!("string"), "{name}: associationId");
    assert_eq!(
        id["pattern"],
        json!("^a-[a-z0-9]{17}$"),
        "{name}: associationId"
    );

    let labels = field("labels");
    assert_eq!(labels["type"], json!("object"), "{name}: labels");
    assert_eq!(
        labels["additionalProperties"],
        json!({"type": "string"}),
        "{name}: labels are a map of strings"
    );
    assert!(labels.get("properties").is_none(), "{name}: labels");
}

/// What a `serviceAccounts` entry must be: the single `serviceAccount`'s
/// schema, but described as one entry of the list.
fn service_account_entry(parameters: &Value) -> Value {
    let mut entry = parameters["properties"]["serviceAccount"].clone();
    entry["description"] = json!("One service account.");
    entry
}

/// A CEL rule's text with its whitespace folded, as YAML's `>-` leaves it.
fn normalized_rule(rule: &Value) -> String {
    text(rule, "/rule")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn xrd_declares_the_exactly_one_cluster_rule() {
    for world in WORLDS {
        let definition = xrd(world);
        let rules = parameters_schema(&definition)["x-kubernetes-validations"]
            .as_array()
            .expect("x-kubernetes-validations on spec.parameters");
        // Two creation rules, then the transition rules that fix the role's
        // name and path (xrds_fix_the_role_name_and_path_on_update).
        assert_eq!(rules.len(), 4, "{}", world.xrd_name);
        let rule = normalized_rule(&rules[0]);
        assert_eq!(rule, EXACTLY_ONE_CLUSTER_RULE);
        assert!(text(&rules[0], "/message")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(
                "exactly one of clusterName, clusterNameRef, clusterNameSelector and clusters"
            ));
        assert_eq!(normalized_rule(&rules[1]), EXACTLY_ONE_SERVICE_ACCOUNT_RULE);
        assert!(text(&rules[1], "/message")
            .contains("exactly one of serviceAccount and serviceAccounts"));
        assert!(parameters_schema(&definition)["properties"]
            .get("clusters")
            .is_some());
        // The rule tests exactly the three fields it names, all declared.
        for field in CLUSTER_FIELDS {
            assert!(rule.contains(&format!("has(self.{field})")));
            assert!(parameters_schema(&definition)["properties"]
                .get(field)
                .is_some());
        }
    }
}

/// Whether a field is present, as CEL's `has()` sees it.
fn has(object: &Value, field: &str) -> bool {
    object.get(field).is_some_and(|value| !value.is_null())
}

/// What the cluster CEL rules compute, for parameters as the API server would
/// see them: exactly one of the single fields and the list, and exactly one
/// cluster field in each entry of the list.
fn exactly_one_cluster(parameters: &Value) -> bool {
    let count = CLUSTER_FIELDS
        .iter()
        .filter(|field| has(parameters, field))
        .count()
        + usize::from(has(parameters, "clusters"));
    let entries_ok = parameters
        .get("clusters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|entry| {
            CLUSTER_FIELDS
                .iter()
                .filter(|field| has(entry, field))
                .count()
                == 1
        });
    count == 1 && entries_ok
}

/// What the service-account CEL rule computes.
fn exactly_one_service_account(parameters: &Value) -> bool {
    has(parameters, "serviceAccount") != has(parameters, "serviceAccounts")
}

#[test]
fn exactly_one_cluster_logic_matches_the_rule_on_examples() {
    let base = document("examples/claim.yaml")["spec"]["parameters"].clone();
    assert!(exactly_one_cluster(&base));
    let mut none = base.clone();
    none.as_object_mut().unwrap().remove("clusterName");
    assert!(!exactly_one_cluster(&none));
    let mut two = base.clone();
    two["clusterNameRef"] = json!({"name": "prod"});
    assert!(!exactly_one_cluster(&two));
    let mut three = two.clone();
    three["clusterNameSelector"] = json!({"matchControllerRef": true});
    assert!(!exactly_one_cluster(&three));
    let mut only_selector = none.clone();
    only_selector["clusterNameSelector"] = json!({"matchControllerRef": true});
    assert!(exactly_one_cluster(&only_selector));
    let mut listed = none.clone();
    listed["clusters"] = json!([{"clusterName": "blue"}, {"clusterNameRef": {"name": "green"}}]);
    assert!(exactly_one_cluster(&listed));
    let mut list_and_single = listed.clone();
    list_and_single["clusterName"] = json!("prod");
    assert!(!exactly_one_cluster(&list_and_single));
    let mut entry_with_two = listed.clone();
    entry_with_two["clusters"][0]["clusterNameSelector"] = json!({"matchControllerRef": true});
    assert!(!exactly_one_cluster(&entry_with_two));

    assert!(exactly_one_service_account(&base));
    let mut both = base.clone();
    both["serviceAccounts"] = json!([{"name": "app", "namespace": "apps"}]);
    assert!(!exactly_one_service_account(&both));
    both.as_object_mut().unwrap().remove("serviceAccount");
    assert!(exactly_one_service_account(&both));
    both.as_object_mut().unwrap().remove("serviceAccounts");
    assert!(!exactly_one_service_account(&both));
}

/// The role's transition rules as they are written.
fn check_role_rules(world: &World, parameters: &Value) {
    let rules: Vec<String> = parameters["x-kubernetes-validations"]
        .as_array()
        .expect("rules on spec.parameters")
        .iter()
        .map(normalized_rule)
        .collect();
    for field in ["roleName", "rolePath"] {
        assert!(
            rules.contains(&format!("has(self.{field}) == has(oldSelf.{field})")),
            "{}: {rules:?}",
            world.xrd_name
        );
        let own: Vec<String> = parameters["properties"][field]["x-kubernetes-validations"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no rule on {field}", world.xrd_name))
            .iter()
            .map(normalized_rule)
            .collect();
        assert_eq!(own, ["self == oldSelf"], "{}: {field}", world.xrd_name);
    }
}

/// The transition rules that fix the role's name and path once the claim
/// exists: each field may not change (`self == oldSelf`), nor appear or
/// disappear (a rule on `parameters`), since IAM can neither rename a role
/// nor move it to another path.
#[test]
// One table reads best in one piece.
#[allow(clippy::too_many_lines)]
fn xrds_fix_the_role_name_and_path_on_update() {
    for world in WORLDS {
        let definition = xrd(world);
        let schema = openapi(&definition);
        check_role_rules(world, parameters_schema(&definition));
        let claim = document(world.examples[0]);
        let with = |edits: &[(&str, Option<&str>)]| {
            let mut object = json!({"spec": claim["spec"].clone()});
            let parameters = object["spec"]["parameters"].as_object_mut().unwrap();
            for (field, value) in edits {
                match value {
                    Some(value) => parameters.insert((*field).to_owned(), json!(value)),
                    None => parameters.remove(*field),
                };
            }
            object
        };
        let named = [("roleName", Some("shop.app")), ("rolePath", Some("/apps/"))];
        let unnamed = [("roleName", None), ("rolePath", None)];
        let cases: [(&str, Value, Value, Option<&str>); 10] = [
            ("nothing changes", with(&named), with(&named), None),
            (
                "neither set, before or after",
                with(&unnamed),
                with(&unnamed),
                None,
            ),
            (
                "another parameter changes",
                with(&named),
                with(&[
                    ("roleName", Some("shop.app")),
                    ("rolePath", Some("/apps/")),
                    ("region", Some("eu-west-1")),
                ]),
                None,
            ),
            (
                "roleName changed",
                with(&named),
                with(&[
                    ("roleName", Some("shop.orders")),
                    ("rolePath", Some("/apps/")),
                ]),
                Some("spec.parameters.roleName: roleName is immutable"),
            ),
            (
                "roleName added",
                with(&unnamed),
                with(&[("roleName", Some("shop.app")), ("rolePath", None)]),
                Some("spec.parameters: roleName cannot be added or removed"),
            ),
            (
                "roleName removed",
                with(&named),
                with(&[("roleName", None), ("rolePath", Some("/apps/"))]),
                Some("spec.parameters: roleName cannot be added or removed"),
            ),
            (
                "rolePath changed",
                with(&named),
                with(&[
                    ("roleName", Some("shop.app")),
                    ("rolePath", Some("/teams/")),
                ]),
                Some("spec.parameters.rolePath: rolePath is immutable"),
            ),
            (
                "rolePath added",
                with(&unnamed),
                with(&[("roleName", None), ("rolePath", Some("/apps/"))]),
                Some("spec.parameters: rolePath cannot be added or removed"),
            ),
            (
                "rolePath removed",
                with(&named),
                with(&[("roleName", Some("shop.app")), ("rolePath", None)]),
                Some("spec.parameters: rolePath cannot be added or removed"),
            ),
            (
                "both changed",
                with(&named),
                with(&[
                    ("roleName", Some("shop.orders")),
                    ("rolePath", Some("/teams/")),
                ]),
                Some("spec.parameters.rolePath: rolePath is immutable"),
            ),
        ];
        for (name, old, new, refused) in cases {
            let what = format!("{}: {name}", world.xrd_name);
            match (crd::check_transitions(schema, &old, &new), refused) {
                (Ok(()), None) => {}
                (Err(errors), Some(want)) => assert!(
                    errors.iter().any(|error| error.starts_with(want)),
                    "{what}: want {want:?} in {errors:#?}"
                ),
                (got, want) => panic!("{what}: want {want:?}, got {got:?}"),
            }
            // Creating the new object is never refused by these rules.
            assert_eq!(crd::check_transitions(schema, &new, &new), Ok(()), "{what}");
        }
    }
}

// ---------------------------------------------------------------------------
// Structural schema rules (the subset of Kubernetes' that applies here)

const SCHEMA_KEYWORDS: [&str; 26] = [
    "type",
    "description",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "enum",
    "default",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];
const TYPES: [&str; 6] = ["object", "array", "string", "integer", "number", "boolean"];

/// Checks that a schema is structural: every node typed (unless it preserves
/// unknown fields or is int-or-string), no `properties` beside
/// `additionalProperties`, arrays with `items`, only keywords a CRD accepts,
/// enums and defaults that fit the type, required fields that are declared,
/// and well-formed list types and CEL rules.
fn structural(node: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(object) = node.as_object() else {
        errors.push(format!("{path}: a schema must be an object"));
        return;
    };
    for key in object.keys() {
        if !SCHEMA_KEYWORDS.contains(&key.as_str()) {
            errors.push(format!(
                "{path}: keyword {key:?} is not allowed in a structural schema"
            ));
        }
    }
    let flag = |key: &str| object.get(key) == Some(&Value::Bool(true));
    let kind = object.get("type").and_then(Value::as_str);
    match kind {
        Some(kind) if TYPES.contains(&kind) => {}
        Some(other) => errors.push(format!("{path}: unknown type {other:?}")),
        None if flag("x-kubernetes-preserve-unknown-fields")
            || flag("x-kubernetes-int-or-string") => {}
        None => errors.push(format!("{path}: every node needs a type")),
    }
    if object.contains_key("properties") && object.contains_key("additionalProperties") {
        errors.push(format!(
            "{path}: properties and additionalProperties are mutually exclusive"
        ));
    }
    if (object.contains_key("properties") || object.contains_key("additionalProperties"))
        && kind != Some("object")
    {
        errors.push(format!("{path}: properties need type object"));
    }
    check_node_values(object, kind, path, errors);
    if let Some(properties) = object.get("properties") {
        let Some(properties) = properties.as_object() else {
            errors.push(format!("{path}.properties: want a map of schemas"));
            return;
        };
        for (name, child) in properties {
            structural(child, &format!("{path}.{name}"), errors);
        }
        for required in object
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let declared = required
                .as_str()
                .is_some_and(|name| properties.contains_key(name));
            if !declared {
                errors.push(format!(
                    "{path}.required: {required} is not a declared property"
                ));
            }
        }
    }
    if let Some(values) = object.get("additionalProperties") {
        structural(values, &format!("{path}{{}}"), errors);
    }
    match (kind, object.get("items")) {
        (Some("array"), Some(items)) => structural(items, &format!("{path}[]"), errors),
        (Some("array"), None) => errors.push(format!("{path}: an array needs items")),
        (_, Some(_)) => errors.push(format!("{path}: items need type array")),
        _ => {}
    }
}

/// Enums, defaults, list types and CEL rules of one schema node.
fn check_node_values(
    object: &Map<String, Value>,
    kind: Option<&str>,
    path: &str,
    errors: &mut Vec<String>,
) {
    let fits = |value: &Value| match kind {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        _ => true,
    };
    for value in object
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !fits(value) {
            errors.push(format!("{path}.enum: {value} does not fit type {kind:?}"));
        }
    }
    if let Some(default) = object.get("default") {
        let node = Value::Object(object.clone());
        let valid = jsonschema::draft4::options()
            .build(&node)
            .is_ok_and(|validator| validator.is_valid(default));
        if !valid {
            errors.push(format!(
                "{path}.default: {default} does not validate against its own schema"
            ));
        }
    }
    match object
        .get("x-kubernetes-list-type")
        .map(|value| value.as_str())
    {
        None | Some(Some("atomic" | "map")) => {}
        Some(Some("set")) => {
            let item = object
                .get("items")
                .and_then(|items| items.get("type"))
                .and_then(Value::as_str);
            if !matches!(item, Some("string" | "integer" | "number" | "boolean")) {
                errors.push(format!("{path}: a set lists scalars, not {item:?}"));
            }
        }
        Some(other) => errors.push(format!("{path}: unknown list type {other:?}")),
    }
    for rule in object
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let keys_ok = rule.as_object().is_some_and(|rule| {
            rule.keys().all(|key| {
                [
                    "rule",
                    "message",
                    "messageExpression",
                    "reason",
                    "fieldPath",
                    "optionalOldSelf",
                ]
                .contains(&key.as_str())
            })
        });
        let rule_ok = rule
            .get("rule")
            .and_then(Value::as_str)
            .is_some_and(|text| !text.trim().is_empty());
        if !keys_ok || !rule_ok || rule.get("message").and_then(Value::as_str).is_none() {
            errors.push(format!(
                "{path}: malformed x-kubernetes-validations entry {rule}"
            ));
        }
    }
}

/// Every property (and every array's items) under `node` has a non-empty
/// description; map value schemas are described by their map.
fn described(node: &Value, path: &str, errors: &mut Vec<String>) {
    let has_description = node
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|description| !description.trim().is_empty());
    if !has_description {
        errors.push(format!("{path}: no description"));
    }
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            described(child, &format!("{path}.{name}"), errors);
        }
    }
    if let Some(items) = node.get("items") {
        described(items, &format!("{path}[]"), errors);
    }
}

// ---------------------------------------------------------------------------
// Compatibility with Upbound's API

/// Constraints our XRDs add where Upbound's had none, each deliberate: a
/// resource they reject could never have been composed.
const NARROWED: [(&str, &str); 3] = [
    // Exactly one of the cluster fields (the association needs a cluster).
    ("spec.parameters", "x-kubernetes-validations"),
    // Only the latest revision of the enforced Composition: Crossplane's
    // own fields, never a parameter (tenancy::the_xrds_enforce_their_composition_and_refuse_older_revisions).
    ("spec", "x-kubernetes-validations"),
    // IAM's hard limit of managed policies per role.
    ("spec.parameters.managedPolicyArns", "maxItems"),
];
/// Fields our XRDs require where Upbound's did not.
const NEWLY_REQUIRED: [(&str, &str); 1] = [("spec.parameters", "region")];
const CONSTRAINTS: [&str; 15] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "format",
    "nullable",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
];

/// Checks that every object valid against `upbound` is valid against `ours`
/// (same types, enums no narrower, no new constraints or required fields
/// other than the deliberate ones), recursively.
fn accepts_everything(upbound: &Value, ours: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(kind) = upbound.get("type") {
        if ours.get("type") != Some(kind) {
            errors.push(format!(
                "{path}: type {:?} differs from Upbound's {kind}",
                ours.get("type")
            ));
        }
    }
    match (
        upbound.get("enum").and_then(Value::as_array),
        ours.get("enum").and_then(Value::as_array),
    ) {
        (_, None) => {}
        (None, Some(_)) => errors.push(format!("{path}: an enum where Upbound's takes any value")),
        (Some(theirs), Some(mine)) => {
            for value in theirs {
                if !mine.contains(value) {
                    errors.push(format!("{path}: enum lacks Upbound's {value}"));
                }
            }
        }
    }
    for keyword in CONSTRAINTS {
        let mine = ours.get(keyword);
        if mine.is_some() && mine != upbound.get(keyword) && !NARROWED.contains(&(path, keyword)) {
            errors.push(format!(
                "{path}: {keyword} {mine:?} is stricter than Upbound's {:?}",
                upbound.get(keyword)
            ));
        }
    }
    let theirs: Vec<&Value> = upbound
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    for required in ours
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = required.as_str().unwrap_or_default();
        if !theirs.contains(&required) && !NEWLY_REQUIRED.contains(&(path, name)) {
            errors.push(format!("{path}: requires {name}, which Upbound's does not"));
        }
    }
    let preserve = "x-kubernetes-preserve-unknown-fields";
    if upbound.get(preserve) == Some(&Value::Bool(true))
        && ours.get(preserve) != Some(&Value::Bool(true))
    {
        errors.push(format!("{path}: Upbound's preserves unknown fields here"));
    }
    for (name, theirs) in upbound
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let child = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        match ours
            .get("properties")
            .and_then(|properties| properties.get(name))
        {
            Some(mine) => accepts_everything(theirs, mine, &child, errors),
            None => errors.push(format!("{child}: declared by Upbound's, missing here")),
        }
    }
    for (keyword, suffix) in [("additionalProperties", "{}"), ("items", "[]")] {
        if let Some(theirs) = upbound.get(keyword) {
            match ours.get(keyword) {
                Some(mine) => accepts_everything(theirs, mine, &format!("{path}{suffix}"), errors),
                None => errors.push(format!("{path}: no {keyword} where Upbound's has one")),
            }
        }
    }
}

#[test]
fn xrds_accept_everything_upbounds_accept() {
    for world in WORLDS {
        let theirs = anchor(world.anchor_definition);
        let ours = xrd(world);
        assert_eq!(text(&theirs, "/apiVersion"), world.xrd_api_version);
        assert_eq!(text(&theirs, "/metadata/name"), world.xrd_name);
        assert_eq!(theirs["spec"]["group"], ours["spec"]["group"]);
        assert_eq!(
            theirs["spec"]["names"]["kind"],
            ours["spec"]["names"]["kind"]
        );
        assert_eq!(
            theirs["spec"]["names"]["plural"],
            ours["spec"]["names"]["plural"]
        );
        assert_eq!(theirs["spec"]["claimNames"], ours["spec"]["claimNames"]);
        assert_eq!(theirs["spec"]["scope"], ours["spec"]["scope"]);
        assert_eq!(
            theirs["spec"]["versions"][0]["name"],
            ours["spec"]["versions"][0]["name"]
        );
        let mut errors = Vec::new();
        accepts_everything(openapi(&theirs), openapi(&ours), "", &mut errors);
        assert!(errors.is_empty(), "{}: {errors:#?}", world.xrd_name);
    }
}

#[test]
fn the_compatibility_check_notices_narrowing() {
    let theirs = anchor(LEGACY.anchor_definition);
    let mut ours = xrd(&LEGACY);
    let parameters =
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/parameters";
    set(
        &mut ours,
        &format!("{parameters}/properties/serviceAccount/properties/name/maxLength"),
        json!(10),
    );
    set(
        &mut ours,
        &format!("{parameters}/properties/deletionPolicy/enum"),
        json!(["Delete"]),
    );
    remove(&mut ours, &format!("{parameters}/properties/inlinePolicy"));
    set(
        &mut ours,
        &format!("{parameters}/required"),
        json!(["region", "serviceAccount", "clusterName"]),
    );
    let mut errors = Vec::new();
    accepts_everything(openapi(&theirs), openapi(&ours), "", &mut errors);
    for needle in [
        "maxLength",
        "Orphan",
        "inlinePolicy",
        "requires clusterName",
    ] {
        assert!(
            errors.iter().any(|error| error.contains(needle)),
            "{needle} not noticed: {errors:#?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Examples against the XRDs

fn strict_validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft4::options()
        .build(&crd::closed_schema(schema))
        .unwrap_or_else(|error| panic!("compiling the schema: {error}"))
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| {
            format!(
                "{}: {error}",
                crd::display_pointer(error.instance_path().as_str())
            )
        })
        .collect()
}

/// Validates a claim or XR against a world's XRD as its API server would
/// (strictly: unknown fields are errors), including the exactly-one-cluster
/// rule.
fn check_against_xrd(
    world: &World,
    definition: &Value,
    validator: &jsonschema::Validator,
    object: &Value,
) -> Vec<String> {
    let mut errors = Vec::new();
    if object["apiVersion"] != json!(format!("{GROUP}/{VERSION}")) {
        errors.push(format!(
            "apiVersion: want {GROUP}/{VERSION}, got {}",
            object["apiVersion"]
        ));
    }
    let kind = object["kind"].as_str().unwrap_or_default();
    let is_claim = world.claim_kind == Some(kind);
    if kind != world.xr_kind && !is_claim {
        errors.push(format!(
            "kind: want {} or {:?}, got {kind}",
            world.xr_kind, world.claim_kind
        ));
    }
    let namespaced = world.namespaced || is_claim;
    if object.pointer("/metadata/namespace").is_some() != namespaced {
        errors.push(format!(
            "metadata.namespace: want one exactly when namespaced ({namespaced})"
        ));
    }
    assert_eq!(definition["spec"]["names"]["kind"], json!(world.xr_kind));
    let mut body = Map::new();
    for key in ["spec", "status"] {
        if let Some(value) = object.get(key) {
            body.insert(key.to_owned(), value.clone());
        }
    }
    if let Some(Value::Object(spec)) = body.get_mut("spec") {
        for field in CROSSPLANE_SPEC_FIELDS {
            spec.remove(field);
        }
    }
    errors.extend(schema_errors(validator, &Value::Object(body)));
    let parameters = object.pointer("/spec/parameters").unwrap_or(&Value::Null);
    if parameters.is_object() && !exactly_one_cluster(parameters) {
        errors.push("spec.parameters: exactly one of clusterName, clusterNameRef, clusterNameSelector and clusters must be set (and one cluster field in each clusters entry)".to_owned());
    }
    if parameters.is_object() && !exactly_one_service_account(parameters) {
        errors.push(
            "spec.parameters: exactly one of serviceAccount and serviceAccounts must be set"
                .to_owned(),
        );
    }
    errors
}

#[test]
fn every_example_and_upbounds_example_validate_against_their_xrd() {
    for world in WORLDS {
        let definition = xrd(world);
        let validator = strict_validator(openapi(&definition));
        let mut objects: Vec<(String, Value)> = world
            .examples
            .iter()
            .map(|example| ((*example).to_owned(), document(example)))
            .collect();
        objects.push((
            world.anchor_example.to_owned(),
            anchor(world.anchor_example),
        ));
        for (name, object) in objects {
            let errors = check_against_xrd(world, &definition, &validator, &object);
            assert!(
                errors.is_empty(),
                "{name} against {}: {errors:#?}",
                world.xrd_name
            );
        }
    }
}

#[test]
fn upbounds_example_is_copied_unchanged() {
    assert_eq!(
        document("examples/upbound-v0.1.0-xr.yaml"),
        anchor(LEGACY.anchor_example)
    );
}

#[test]
fn examples_exercise_the_new_parameters() {
    let cross = document("examples/cross-account-xr.yaml");
    for field in [
        "targetRoleArn",
        "disableSessionTags",
        "tags",
        "roleName",
        "permissionsBoundaryArn",
        "maxSessionDuration",
    ] {
        assert!(
            cross["spec"]["parameters"].get(field).is_some(),
            "cross-account example lacks {field}"
        );
    }
    assert_eq!(
        cross["spec"]["parameters"]["disableSessionTags"],
        json!(false)
    );
    let agent = document("examples/agent-install-xr.yaml");
    assert_eq!(
        agent["spec"]["parameters"]["podIdentityAgent"]["install"],
        json!(true)
    );
    assert!(agent
        .pointer("/spec/parameters/podIdentityAgent/version")
        .is_some());
    assert!(agent
        .pointer("/spec/parameters/podIdentityAgent/resolveConflicts")
        .is_some());
    let claim = document("examples/claim.yaml");
    assert_eq!(claim["kind"], json!("PodIdentity"));
    assert!(claim["spec"]["parameters"]["clusterName"].is_string());
    let v2 = document("examples/v2/podidentity.yaml");
    assert!(v2.pointer("/spec/parameters/providerConfigKind").is_some());
}

/// Where a mutation sets a value (`Some`) or removes a field (`None`).
type Edits = Vec<(String, Option<Value>)>;

/// A mutation of a valid claim that the XRD (or its CEL rule) must reject:
/// its name, what the rejection must mention, and the edits.
type Variant = (String, &'static str, Edits);

fn parameter(field: &str) -> String {
    format!("/spec/parameters/{field}")
}

fn invalid_variants() -> Vec<Variant> {
    let no_cluster = || -> Edits {
        CLUSTER_FIELDS
            .iter()
            .map(|field| (parameter(field), None))
            .collect()
    };
    let mut ref_without_name = no_cluster();
    ref_without_name.push((
        parameter("clusterNameRef"),
        Some(json!({"policy": {"resolve": "Always"}})),
    ));
    let mut two_clusters = no_cluster();
    two_clusters.push((parameter("clusterName"), Some(json!("prod"))));
    two_clusters.push((
        parameter("clusterNameSelector"),
        Some(json!({"matchControllerRef": true})),
    ));
    let missing = |field: &str| vec![(parameter(field), None)];
    let mut variants: Vec<Variant> = vec![
        (
            "no serviceAccount".into(),
            "serviceAccount",
            missing("serviceAccount"),
        ),
        (
            "no serviceAccount.namespace".into(),
            "namespace",
            missing("serviceAccount/namespace"),
        ),
        ("no region".into(), "region", missing("region")),
        (
            "no parameters".into(),
            "parameters",
            vec![("/spec/parameters".into(), None)],
        ),
        ("no cluster".into(), "exactly one", no_cluster()),
        ("two clusters".into(), "exactly one", two_clusters),
        (
            "clusterNameRef without name".into(),
            "spec.parameters.clusterNameRef",
            ref_without_name,
        ),
        (
            "a status field of the wrong type".into(),
            "status.podIdentity.roleArn",
            vec![(
                "/status".into(),
                Some(json!({"podIdentity": {"roleArn": 7}})),
            )],
        ),
    ];
    for (field, needle, value) in bad_values().into_iter().chain(topology_bad_values()) {
        variants.push((
            format!("{field} = {value}"),
            needle,
            vec![(parameter(field), Some(value))],
        ));
    }
    variants
}

/// Values of single parameters the XRD must reject, with what the rejection
/// must mention.
fn bad_values() -> Vec<(&'static str, &'static str, Value)> {
    let arns: Vec<String> = (0..21)
        .map(|index| format!("arn:aws:iam::111122223333:policy/p{index}"))
        .collect();
    let cni = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
    let tags: Map<String, Value> = (0..48)
        .map(|index| (format!("t{index}"), json!("v")))
        .collect();
    let agent = "spec.parameters.podIdentityAgent";
    vec![
        ("regoin", "regoin", json!("us-west-2")),
        (
            "roleName",
            "spec.parameters.roleName",
            json!("r".repeat(65)),
        ),
        ("roleName", "spec.parameters.roleName", json!("my role")),
        (
            "roleArn",
            "spec.parameters.roleArn",
            json!("arn:aws:iam::111122223333:policy/reporting"),
        ),
        (
            "wellKnownPolicies",
            "spec.parameters.wellKnownPolicies",
            json!(["externalDNS"]),
        ),
        (
            "rolePath",
            "spec.parameters.rolePath",
            json!(format!("/{}/", "p".repeat(511))),
        ),
        (
            "roleDescription",
            "spec.parameters.roleDescription",
            json!("d".repeat(1001)),
        ),
        (
            "maxSessionDuration",
            "spec.parameters.maxSessionDuration",
            json!(900),
        ),
        (
            "maxSessionDuration",
            "spec.parameters.maxSessionDuration",
            json!(43201),
        ),
        (
            "maxSessionDuration",
            "spec.parameters.maxSessionDuration",
            json!("3600"),
        ),
        (
            "managedPolicyArns",
            "spec.parameters.managedPolicyArns",
            json!(arns),
        ),
        (
            "managedPolicyArns",
            "spec.parameters.managedPolicyArns",
            json!([cni, cni]),
        ),
        ("tags", "spec.parameters.tags", Value::Object(tags)),
        ("tags", "spec.parameters.tags.team", json!({"team": 7})),
        (
            "deletionPolicy",
            "spec.parameters.deletionPolicy",
            json!("Keep"),
        ),
        (
            "managementPolicies",
            "spec.parameters.managementPolicies[0]",
            json!(["All"]),
        ),
        (
            "disableSessionTags",
            "spec.parameters.disableSessionTags",
            json!("false"),
        ),
        (
            "podIdentityAgent",
            agent,
            json!({"install": true, "resolveConflicts": "overwrite"}),
        ),
        ("podIdentityAgent", agent, json!({"install": "true"})),
        ("podIdentityAgent", agent, json!({"instal": true})),
        (
            "inlinePolicy",
            "spec.parameters.inlinePolicy[0]",
            json!([{"name": "a", "policy": {}}]),
        ),
    ]
}

/// Values of the topology, adoption and label parameters the XRD (or its
/// CEL rules) must reject, with what the rejection must mention.
fn topology_bad_values() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "associationId",
            "spec.parameters.associationId",
            json!("a-0123456789ABCDEFG"),
        ),
        (
            "associationId",
            "spec.parameters.associationId",
            json!("a-0123"),
        ),
        ("labels", "spec.parameters.labels.team", json!({"team": 7})),
        // Beside the example's clusterName and serviceAccount.
        (
            "clusters",
            "exactly one of clusterName, clusterNameRef, clusterNameSelector and clusters",
            json!([{"clusterName": "blue"}]),
        ),
        (
            "serviceAccounts",
            "exactly one of serviceAccount and serviceAccounts",
            json!([{"name": "worker", "namespace": "apps"}]),
        ),
        (
            "clusters",
            "'regoin' was unexpected",
            json!([{"clusterName": "blue", "regoin": "us-east-1"}]),
        ),
        ("clusters", "spec.parameters.clusters", json!([])),
        (
            "serviceAccounts",
            "spec.parameters.serviceAccounts[0]",
            json!([{"name": "worker"}]),
        ),
    ]
}

/// Applies edits to a copy of `valid`.
fn edited(valid: &Value, edits: &Edits) -> Value {
    let mut object = valid.clone();
    for (pointer, value) in edits {
        match value {
            Some(value) => set(&mut object, pointer, value.clone()),
            None => remove(&mut object, pointer),
        }
    }
    object
}

#[test]
fn xrds_reject_invalid_claims() {
    for world in WORLDS {
        let definition = xrd(world);
        let validator = strict_validator(openapi(&definition));
        let valid = document(world.examples[0]);
        for (name, needle, edits) in invalid_variants() {
            let object = edited(&valid, &edits);
            let errors = check_against_xrd(world, &definition, &validator, &object);
            assert!(
                errors.iter().any(|error| error.contains(needle)),
                "{}: {name} was not rejected for {needle:?}: {errors:#?}",
                world.xrd_name
            );
        }
    }
}

#[test]
fn namespaced_only_fields_are_rejected_by_the_legacy_xrd_and_accepted_by_v2() {
    let additions: [(&str, Value); 3] = [
        (
            "/spec/parameters/providerConfigKind",
            json!("ProviderConfig"),
        ),
        (
            "/spec/parameters/clusterNameRef",
            json!({"name": "prod", "namespace": "team-a"}),
        ),
        (
            "/spec/parameters/clusterNameSelector",
            json!({"matchControllerRef": true, "namespace": "team-a"}),
        ),
    ];
    for world in WORLDS {
        let definition = xrd(world);
        let validator = strict_validator(openapi(&definition));
        for (pointer, value) in &additions {
            let mut object = document(world.examples[0]);
            for field in CLUSTER_FIELDS {
                remove(&mut object, &format!("/spec/parameters/{field}"));
            }
            if !pointer.contains("cluster") {
                set(&mut object, "/spec/parameters/clusterName", json!("prod"));
            }
            set(&mut object, pointer, value.clone());
            let errors = check_against_xrd(world, &definition, &validator, &object);
            assert_eq!(
                errors.is_empty(),
                world.namespaced,
                "{} with {pointer}: {errors:#?}",
                world.xrd_name
            );
        }
    }
}

#[test]
fn status_written_by_the_function_validates() {
    for world in WORLDS {
        let definition = xrd(world);
        let validator = strict_validator(openapi(&definition));
        let mut object = document(world.examples[0]);
        object["status"] = json!({
            "podIdentity": {
                "roleArn": "arn:aws:iam::111122223333:role/external-dns",
                "roleName": "external-dns",
                "associationId": "a-abcdefghijklmnop1",
                "associationArn": "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/a-abcdefghijklmnop1",
                "clusterName": "prod",
                "somethingLater": {"kept": true},
            },
        });
        let errors = check_against_xrd(world, &definition, &validator, &object);
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

// ---------------------------------------------------------------------------
// Compositions and the render examples

#[test]
fn compositions_wire_the_xrd_to_the_function() {
    let function = document("package/function/crossplane.yaml");
    let function_name = text(&function, "/metadata/name");
    let input_validator = strict_validator(openapi(&input_crd()));
    for world in WORLDS {
        let definition = xrd(world);
        let composition = composition(world);
        let name = world.composition_name;
        assert_eq!(
            text(&composition, "/apiVersion"),
            "apiextensions.crossplane.io/v1",
            "{name}"
        );
        assert_eq!(text(&composition, "/kind"), "Composition");
        assert_eq!(
            text(&composition, "/metadata/name"),
            text(&definition, "/spec/enforcedCompositionRef/name")
        );
        assert_eq!(
            composition.pointer("/spec/compositeTypeRef"),
            Some(&json!({
                "apiVersion": format!("{}/{}", text(&definition, "/spec/group"), text(&definition, "/spec/versions/0/name")),
                "kind": text(&definition, "/spec/names/kind"),
            })),
            "{name}"
        );
        assert_eq!(text(&composition, "/spec/mode"), "Pipeline");
        let steps = composition["spec"]["pipeline"]
            .as_array()
            .expect("pipeline");
        assert_eq!(
            steps.len(),
            1,
            "{name}: one step; the function reports readiness itself"
        );
        let step = &steps[0];
        assert_eq!(text(step, "/step"), "compose");
        assert_eq!(text(step, "/functionRef/name"), function_name);
        let input = &step["input"];
        assert_eq!(text(input, "/apiVersion"), INPUT_API_VERSION);
        assert_eq!(text(input, "/kind"), INPUT_KIND);
        assert_eq!(
            schema_errors(&input_validator, input),
            Vec::<String>::new(),
            "{name} input"
        );
    }
}

/// Both shipped Compositions heal the provider's lost-id loop, which the
/// Input CRD documents and the function reads; a value that is not a
/// boolean is refused by both.
#[test]
fn shipped_compositions_adopt_associations_eks_says_exist() {
    let read = |input: &Value| {
        function_eks_pod_identity::guardrails::input::FunctionInput::read(input.as_object())
    };
    for world in WORLDS {
        let input = &composition(world)["spec"]["pipeline"][0]["input"];
        assert_eq!(
            input["adoptConflictingAssociations"],
            json!(true),
            "{}",
            world.composition_name
        );
        assert!(read(input).is_ok_and(|input| input.adopt_conflicting_associations));
    }
    let crd = input_crd();
    let field = &openapi(&crd)["properties"]["adoptConflictingAssociations"];
    assert_eq!(field["type"], json!("boolean"));
    let description = text(field, "/description");
    for part in [
        "Association already exists",
        "a-stubassocid123456",
        "Off by default",
    ] {
        assert!(description.contains(part), "{description}");
    }
    let validator = strict_validator(openapi(&crd));
    let bad = json!({
        "apiVersion": INPUT_API_VERSION,
        "kind": INPUT_KIND,
        "adoptConflictingAssociations": "yes",
    });
    assert!(!schema_errors(&validator, &bad).is_empty());
    let refused = read(&bad).expect_err("the function refuses it too");
    assert!(
        refused.contains("input.adoptConflictingAssociations"),
        "{refused}"
    );
}

#[test]
fn render_examples_use_the_packaged_composition_and_a_development_function() {
    let function = document("package/function/crossplane.yaml");
    for world in WORLDS {
        let render = world.render;
        assert_eq!(
            document(&format!("{render}/composition.yaml")),
            composition(world),
            "{render}"
        );
        let functions = documents(&format!("{render}/functions.yaml"));
        assert_eq!(functions.len(), 1);
        let declared = &functions[0];
        assert!(text(declared, "/apiVersion").starts_with("pkg.crossplane.io/"));
        assert_eq!(text(declared, "/kind"), "Function");
        assert_eq!(
            text(declared, "/metadata/name"),
            text(&function, "/metadata/name")
        );
        assert_eq!(
            text(
                declared,
                "/metadata/annotations/render.crossplane.io~1runtime"
            ),
            "Development"
        );
        assert!(!text(declared, "/spec/package").is_empty());
    }
}

#[test]
fn render_observed_resources_are_valid_ready_and_belong_to_the_xr() {
    for world in WORLDS {
        let render = world.render;
        let xr = document(&format!("{render}/xr.yaml"));
        let observed = documents(&format!("{render}/observed.yaml"));
        let mut by_name: BTreeMap<String, Value> = BTreeMap::new();
        for resource in observed {
            if let Err(errors) = crd::validate_observed(&resource) {
                panic!("{render}/observed.yaml: {errors:#?}");
            }
            let group = text(&resource, "/apiVersion")
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            assert!(
                world.groups.contains(&group.as_str()),
                "{render}: {group} is not of this world"
            );
            let key = text(
                &resource,
                "/metadata/annotations/crossplane.io~1composition-resource-name",
            )
            .to_owned();
            assert_eq!(
                text(&resource, "/metadata/labels/crossplane.io~1composite"),
                text(&xr, "/metadata/name")
            );
            assert_eq!(
                resource.pointer("/metadata/namespace"),
                if world.namespaced {
                    xr.pointer("/metadata/namespace")
                } else {
                    None
                },
                "{render}: composed resources live in the XR's namespace"
            );
            for condition in ["Ready", "Synced"] {
                let present = resource["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|entry| {
                        entry["type"] == json!(condition) && entry["status"] == json!("True")
                    });
                assert!(present, "{render}: {key} is not {condition}=True");
            }
            assert!(
                by_name.insert(key.clone(), resource).is_none(),
                "{render}: {key} twice"
            );
        }
        let keys: BTreeSet<&str> = by_name.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["iamRole", "podIdentityAssociation"]),
            "{render}"
        );
        let role = &by_name["iamRole"];
        assert_eq!(text(role, "/kind"), "Role");
        assert!(text(role, "/status/atProvider/arn").starts_with("arn:aws:iam::"));
        let association = &by_name["podIdentityAssociation"];
        assert_eq!(text(association, "/kind"), "PodIdentityAssociation");
        for field in ["associationId", "associationArn", "clusterName"] {
            assert!(!text(association, &format!("/status/atProvider/{field}")).is_empty());
        }
        assert_eq!(
            text(association, "/status/atProvider/clusterName"),
            text(&xr, "/spec/parameters/clusterName")
        );
        assert_eq!(
            text(association, "/spec/forProvider/roleArn"),
            text(role, "/status/atProvider/arn")
        );
    }
}

// ---------------------------------------------------------------------------
// The container build

#[test]
fn dockerfile_builds_a_static_nonroot_image_serving_on_9443() {
    let dockerfile = read(&root().join("Dockerfile"));
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let from: Vec<&str> = instructions
        .iter()
        .filter(|line| line.starts_with("FROM "))
        .copied()
        .collect();
    assert_eq!(from.len(), 2, "a build stage and a runtime stage");
    let builder = from[0].split_whitespace().nth(1).expect("a builder image");
    let tag = builder
        .strip_prefix("rust:")
        .expect("the official Rust image");
    let cargo = read(&root().join("Cargo.toml"));
    let minimum = cargo
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .map(|value| value.trim_matches('"').to_owned())
        .expect("rust-version");
    assert!(
        version_at_least(tag, &minimum),
        "builder {tag} is older than rust-version {minimum}"
    );
    assert_eq!(
        from[1], "FROM scratch",
        "an empty base, as scripts/build-packages builds it (tests/it/image.rs)"
    );
    assert!(dockerfile.contains("cargo build --release --locked"));
    assert!(
        dockerfile.contains("-C target-feature=+crt-static"),
        "no libc in the image: the binary must be static"
    );
    for line in [
        "USER 65532:65532",
        "EXPOSE 9443",
        r#"ENTRYPOINT ["/function"]"#,
    ] {
        assert!(instructions.contains(&line), "Dockerfile lacks {line}");
    }
    let ignored = read(&root().join(".dockerignore"));
    for entry in ["target/", ".git/"] {
        assert!(
            ignored.lines().any(|line| line.trim() == entry),
            ".dockerignore lacks {entry}"
        );
    }
}

/// Whether an image tag such as `1.95-bookworm` names at least `minimum`
/// (`1.88`).
fn version_at_least(tag: &str, minimum: &str) -> bool {
    let parse = |text: &str| -> Vec<u32> {
        text.split('-')
            .next()
            .unwrap_or_default()
            .split('.')
            .map(|part| part.parse().unwrap_or(0))
            .collect()
    };
    parse(tag) >= parse(minimum)
}
