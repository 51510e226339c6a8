//! The `ManagedResourceActivationPolicy` of the v2 Configuration
//! (`package/configuration-v2/apis/activation.yaml`) and the example one for
//! the cluster-scoped Configuration on Crossplane v2
//! (`examples/activation/cluster-scoped-mrap.yaml`) stay in step with the
//! function. On a control plane that activates nothing by default, a managed
//! resource kind has no CRD until a policy names its
//! `ManagedResourceDefinition`, so a kind the function composes, or that a
//! reference it writes resolves against, must be named: the function is run
//! over requests that together use every feature (and over every example
//! XR), each kind it emits and each reference target is turned into its MRD
//! name (`<plural>.<group>`, from the vendored provider CRDs), and each
//! policy must list exactly those names, without wildcards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::protocol::v1::{RunFunctionRequest, Severity};
use function_eks_pod_identity::render::render;
use serde_json::{json, Value};

use crate::support::crd::{self, Source};
use crate::support::function::{resource, run_as_served, Call};

const NAMESPACED_POLICY: &str = "package/configuration-v2/apis/activation.yaml";
const CLUSTER_POLICY: &str = "examples/activation/cluster-scoped-mrap.yaml";
const POLICY_API_VERSION: &str = "apiextensions.crossplane.io/v1alpha1";
const POLICY_KIND: &str = "ManagedResourceActivationPolicy";

/// The reference fields the function writes into a managed resource's
/// parameters, with the service and kind each resolves against (in the
/// referring resource's own scope).
const REFERENCES: [(&str, &str, &str); 4] = [
    ("roleSelector", "iam", "Role"),
    ("roleArnSelector", "iam", "Role"),
    ("clusterNameRef", "eks", "Cluster"),
    ("clusterNameSelector", "eks", "Cluster"),
];

/// How a field that resolves a reference ends, in upjet's providers.
const REFERENCE_SUFFIXES: [&str; 3] = ["Ref", "Refs", "Selector"];

const QUEUE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#;

/// The two scopes an XR can have, which decide the managed resources'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// A Crossplane v2 `PodIdentity`: namespaced managed resources.
    Namespaced,
    /// A legacy `XPodIdentity`: cluster-scoped managed resources.
    Cluster,
}

impl Scope {
    fn xr(self, parameters: &Value) -> Value {
        let (kind, metadata) = match self {
            Scope::Namespaced => ("PodIdentity", json!({"name": "shop", "namespace": "shop"})),
            Scope::Cluster => ("XPodIdentity", json!({"name": "shop-x7k2p"})),
        };
        json!({
            "apiVersion": "aws.platform.upbound.io/v1alpha1",
            "kind": kind,
            "metadata": metadata,
            "spec": {"parameters": parameters},
        })
    }

    /// The policy that must activate what this scope's XRs compose.
    fn policy(self) -> &'static str {
        match self {
            Scope::Namespaced => NAMESPACED_POLICY,
            Scope::Cluster => CLUSTER_POLICY,
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The one document of a YAML file (relative to the crate root).
fn document(relative: &str) -> Value {
    let mut all = crd::yaml_documents(&read(&root().join(relative)))
        .unwrap_or_else(|error| panic!("{relative}: {error}"));
    assert_eq!(all.len(), 1, "{relative}: want exactly one YAML document");
    all.remove(0)
}

/// A policy file, after checking that it is one and that Crossplane's CRD
/// accepts it.
fn policy(relative: &str) -> Value {
    let policy = document(relative);
    assert_eq!(
        policy["apiVersion"],
        json!(POLICY_API_VERSION),
        "{relative}"
    );
    assert_eq!(policy["kind"], json!(POLICY_KIND), "{relative}");
    if let Err(errors) = crd::validate_manifest(&policy) {
        panic!("{relative}: {errors:#?}");
    }
    policy
}

// ---------------------------------------------------------------------------
// What must be active

/// The MRD names a set of composed resources needs, and the reference
/// fields that led to some of them.
#[derive(Debug, Default)]
struct Needed {
    names: BTreeSet<String>,
    references: BTreeSet<&'static str>,
}

/// The MRD names the composed resources need active: each one's own kind,
/// and the kind each of its references resolves against. Usages are
/// Crossplane's own kind, no MRD, so they need nothing. Every other kind and
/// every reference field must be known, or this lists what is not.
fn needed<'a>(composed: impl IntoIterator<Item = &'a Value>) -> Result<Needed, Vec<String>> {
    let mut needed = Needed::default();
    let mut problems = Vec::new();
    for resource in composed {
        let api_version = resource["apiVersion"].as_str().unwrap_or_default();
        let kind = resource["kind"].as_str().unwrap_or_default();
        let group = api_version.split_once('/').map_or("", |(group, _)| group);
        match crd::crd_name(group, kind) {
            Some((Source::Provider, name)) => {
                needed.names.insert(name.to_owned());
            }
            Some((Source::Crossplane, _)) if kind == "Usage" => continue,
            Some((Source::Crossplane, _)) => {
                problems.push(format!(
                    "{kind} ({api_version}) is Crossplane's own kind, yet not a Usage: \
                     decide whether an activation policy must know it"
                ));
                continue;
            }
            None => {
                problems.push(format!(
                    "{kind} ({api_version}): no vendored CRD defines it, so its MRD name is unknown"
                ));
                continue;
            }
        }
        // The reference targets live in the same scope: iam.aws.m.upbound.io
        // refers to eks.aws.m.upbound.io, never to eks.aws.upbound.io.
        let scope = group.split_once('.').map_or("", |(_, rest)| rest);
        let mut fields = Vec::new();
        for block in ["forProvider", "initProvider"] {
            reference_fields(&resource["spec"][block], &mut fields);
        }
        for field in fields {
            let Some(&(field, service, target)) = REFERENCES
                .iter()
                .find(|(known, _, _)| *known == field.as_str())
            else {
                problems.push(format!(
                    "{kind}: the reference field {field} resolves against a kind this test does \
                     not know: add it to REFERENCES"
                ));
                continue;
            };
            needed.references.insert(field);
            match crd::crd_name(&format!("{service}.{scope}"), target) {
                Some((Source::Provider, name)) => {
                    needed.names.insert(name.to_owned());
                }
                _ => problems.push(format!(
                    "{kind}: {field} resolves against {target} in {service}.{scope}, which no \
                     vendored provider CRD defines"
                )),
            }
        }
    }
    if problems.is_empty() {
        Ok(needed)
    } else {
        Err(problems)
    }
}

/// The fields under `node` that resolve references, at any depth; a
/// reference's own value (a selector's `matchControllerRef`, say) is not
/// searched.
fn reference_fields(node: &Value, found: &mut Vec<String>) {
    match node {
        Value::Object(fields) => {
            for (name, value) in fields {
                if REFERENCE_SUFFIXES
                    .iter()
                    .any(|suffix| name.ends_with(suffix))
                {
                    found.push(name.clone());
                } else {
                    reference_fields(value, found);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                reference_fields(item, found);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// How a policy falls short

/// How a policy's `spec.activate` differs from the names it must list.
#[derive(Debug, Default, PartialEq, Eq)]
struct Drift {
    /// Needed, not listed: these kinds would have no CRD, and every XR that
    /// composes or refers to one would fail.
    missing: Vec<String>,
    /// Listed, not needed: the policy activates what nothing composes.
    unneeded: Vec<String>,
    /// Entries that are no plain MRD name: wildcards, repeats, non-strings.
    malformed: Vec<String>,
}

impl Drift {
    fn is_empty(&self) -> bool {
        *self == Drift::default()
    }
}

/// What the policy lacks, and what it has in excess, for the `needed` names.
/// Entries must be exact names: a wildcard counts as malformed and
/// activates nothing here, as this policy must not use one.
fn drift(policy: &Value, needed: &BTreeSet<String>) -> Drift {
    let mut drift = Drift::default();
    let mut listed = BTreeSet::new();
    for entry in policy["spec"]["activate"].as_array().into_iter().flatten() {
        match entry.as_str() {
            Some(name) if name.contains('*') => drift.malformed.push(format!("wildcard {name}")),
            Some(name) if !listed.insert(name.to_owned()) => {
                drift.malformed.push(format!("{name} listed twice"));
            }
            Some(_) => {}
            None => drift.malformed.push(format!("not a name: {entry}")),
        }
    }
    drift.missing = needed.difference(&listed).cloned().collect();
    drift.unneeded = listed.difference(needed).cloned().collect();
    drift
}

// ---------------------------------------------------------------------------
// Running the function

/// Every composed resource of the call, after checking that it composed.
fn composed(case: &str, request: RunFunctionRequest) -> BTreeMap<String, Value> {
    let response = run_as_served(request);
    let fatal: Vec<&str> = response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Fatal))
        .map(|result| result.message.as_str())
        .collect();
    assert!(fatal.is_empty(), "{case}: {fatal:#?}");
    let desired = response.desired.unwrap_or_default();
    assert!(!desired.resources.is_empty(), "{case}: nothing composed");
    desired
        .resources
        .into_iter()
        .map(|(key, composed)| {
            let body = struct_to_json(&composed.resource.unwrap_or_default())
                .unwrap_or_else(|error| panic!("{case}: {key}: {error}"));
            (key, Value::Object(body))
        })
        .collect()
}

/// A desired resource as the cluster would hold it once ready.
fn as_observed(desired: &Value) -> Value {
    let mut observed = desired.clone();
    observed["metadata"]["name"] = json!("shop-x7k2p");
    observed["status"] = json!({"conditions": [
        {"type": "Ready", "status": "True", "reason": "Available"},
        {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
    ]});
    observed
}

/// Parameters that use every feature at once: several clusters, each way of
/// naming one, several service accounts, managed and inline policies, a
/// target role and the agent add-on.
fn every_feature() -> Value {
    json!({
        "region": "us-west-2",
        "clusters": [
            {"clusterName": "blue"},
            {"clusterNameRef": {"name": "green"}, "region": "us-east-1"},
            {"clusterNameSelector": {"matchLabels": {"env": "prod"}}},
        ],
        "serviceAccounts": [
            {"name": "app", "namespace": "shop"},
            {"name": "worker", "namespace": "shop"},
        ],
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        "inlinePolicy": [{"name": "orders-queue", "policy": QUEUE_POLICY}],
        "targetRoleArn": "arn:aws:iam::444455556666:role/data",
        "podIdentityAgent": {"install": true},
        "tags": {"team": "shop"},
    })
}

fn one_cluster(cluster: (&str, Value)) -> Value {
    let mut parameters = json!({
        "region": "us-west-2",
        "serviceAccount": {"name": "app", "namespace": "shop"},
    });
    parameters[cluster.0] = cluster.1;
    parameters
}

/// The requests that together use every feature, by name.
fn feature_cases() -> Vec<(&'static str, Value, Option<Value>)> {
    vec![
        (
            "every feature, three clusters, two service accounts, Usages on",
            every_feature(),
            Some(json!({"usages": true})),
        ),
        ("every feature, Usages off", every_feature(), None),
        (
            "one cluster by name, nothing optional",
            one_cluster(("clusterName", json!("blue"))),
            None,
        ),
        (
            "one cluster by reference",
            one_cluster(("clusterNameRef", json!({"name": "blue"}))),
            None,
        ),
        (
            "one cluster by selector",
            one_cluster(("clusterNameSelector", json!({"matchControllerRef": true}))),
            None,
        ),
    ]
}

/// What the function composes for the feature cases in one scope: first
/// with nothing observed, then again once everything it composed is
/// observed ready (day 2).
fn feature_resources(scope: Scope) -> Vec<Value> {
    let mut all = Vec::new();
    for (case, parameters, input) in feature_cases() {
        let case = format!("{scope:?}: {case}");
        let call = Call {
            xr: Some(scope.xr(&parameters)),
            input,
            ..Call::default()
        };
        let first = composed(&case, call.request());
        let mut request = call.request();
        if let Some(observed) = request.observed.as_mut() {
            for (key, body) in &first {
                observed
                    .resources
                    .insert(key.clone(), resource(as_observed(body)));
            }
        }
        let second = composed(&format!("{case} (day 2)"), request);
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            second.keys().collect::<Vec<_>>(),
            "{case}: observing what it composed changed what it composes"
        );
        all.extend(first.into_values());
        all.extend(second.into_values());
    }
    all
}

/// Every example XR (or claim) under `examples/`, by scope, with what the
/// function composes for it: with the `observed.yaml` beside it, if any, and
/// the nearest `composition.yaml` at or above it. The function makes an XR
/// with a namespace compose namespaced resources, and so does this split.
/// The strict profile's refused XR composes nothing and is left out.
fn example_resources() -> BTreeMap<String, (Scope, Vec<Value>)> {
    let examples = root().join("examples");
    let mut found = BTreeMap::new();
    let mut pending = vec![examples.clone()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if path.extension().is_none_or(|ext| ext != "yaml") || name.starts_with("refused-") {
                continue;
            }
            let text = read(&path);
            let documents = crd::yaml_documents(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let [xr] = documents.as_slice() else {
                continue;
            };
            let is_xr = xr["apiVersion"]
                .as_str()
                .is_some_and(|api_version| api_version.starts_with("aws.platform.upbound.io/"));
            if !is_xr {
                continue;
            }
            let relative = path
                .strip_prefix(root())
                .expect("under the crate root")
                .to_string_lossy()
                .replace('\\', "/");
            let observed = path.with_file_name("observed.yaml");
            let observed = observed.is_file().then(|| read(&observed));
            let composition = path
                .ancestors()
                .skip(1)
                .take_while(|dir| dir.starts_with(&examples))
                .map(|dir| dir.join("composition.yaml"))
                .find(|file| file.is_file())
                .map(|file| read(&file));
            let rendered = render(
                &Function::default(),
                &text,
                observed.as_deref(),
                composition.as_deref(),
            )
            .unwrap_or_else(|error| panic!("{relative}: {error}"));
            assert!(
                rendered.fatal.is_empty(),
                "{relative}: {:?}",
                rendered.fatal
            );
            let scope = if xr["metadata"].get("namespace").is_some() {
                Scope::Namespaced
            } else {
                Scope::Cluster
            };
            found.insert(
                relative,
                (scope, rendered.resources.into_values().collect()),
            );
        }
    }
    found
}

/// Everything the function composes, in one scope, over the feature cases
/// and the examples.
fn all_resources(scope: Scope) -> Vec<Value> {
    let mut all = feature_resources(scope);
    for (_, (of, resources)) in example_resources() {
        if of == scope {
            all.extend(resources);
        }
    }
    all
}

#[track_caller]
fn needed_by(scope: Scope) -> Needed {
    let needed = needed(&all_resources(scope)).unwrap_or_else(|problems| {
        panic!("{scope:?}: {problems:#?}");
    });
    let unused: Vec<&str> = REFERENCES
        .iter()
        .map(|(field, _, _)| *field)
        .filter(|field| !needed.references.contains(field))
        .collect();
    assert!(
        unused.is_empty(),
        "{scope:?}: no request wrote {unused:?}; REFERENCES lists fields the function no \
         longer writes, or the feature cases miss one"
    );
    needed
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn the_examples_include_both_scopes() {
    let examples = example_resources();
    for (file, scope) in [
        ("examples/v2/podidentity.yaml", Scope::Namespaced),
        ("examples/render-v2/xr.yaml", Scope::Namespaced),
        ("examples/topologies/usages-v2/xr.yaml", Scope::Namespaced),
        ("examples/render/xr.yaml", Scope::Cluster),
        ("examples/agent-install-xr.yaml", Scope::Cluster),
        ("examples/topologies/usages/xr.yaml", Scope::Cluster),
    ] {
        let Some((found, _)) = examples.get(file) else {
            panic!("{file} was not rendered; rendered {:?}", examples.keys());
        };
        assert_eq!(*found, scope, "{file}");
    }
}

#[test]
fn the_packaged_policy_activates_exactly_what_namespaced_xrs_need() {
    let needed = needed_by(Scope::Namespaced);
    let drift = drift(&policy(Scope::Namespaced.policy()), &needed.names);
    assert!(drift.is_empty(), "{NAMESPACED_POLICY}: {drift:#?}");
}

#[test]
fn the_example_policy_activates_exactly_what_cluster_scoped_xrs_need() {
    let needed = needed_by(Scope::Cluster);
    let drift = drift(&policy(Scope::Cluster.policy()), &needed.names);
    assert!(drift.is_empty(), "{CLUSTER_POLICY}: {drift:#?}");
}

#[test]
fn both_policies_activate_the_same_kinds() {
    let names = |scope: Scope, group_suffix: &str| -> BTreeSet<String> {
        policy(scope.policy())["spec"]["activate"]
            .as_array()
            .expect("spec.activate")
            .iter()
            .map(|name| {
                let name = name.as_str().expect("a name");
                name.strip_suffix(group_suffix)
                    .unwrap_or_else(|| panic!("{name}: not in a *{group_suffix} group"))
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        names(Scope::Namespaced, ".aws.m.upbound.io"),
        names(Scope::Cluster, ".aws.upbound.io")
    );
}

#[test]
fn the_v2_configuration_requires_a_crossplane_that_takes_the_policy() {
    let meta = document("package/configuration-v2/crossplane.yaml");
    assert_eq!(
        meta["spec"]["crossplane"]["version"],
        json!(">=v2.1.0"),
        "Crossplane accepts a ManagedResourceActivationPolicy in a Configuration from v2.1.0"
    );
}

/// The policy without `name`, which it lists once.
fn without(policy: &Value, name: &str) -> Value {
    let mut policy = policy.clone();
    let activate = policy["spec"]["activate"]
        .as_array_mut()
        .expect("spec.activate");
    let before = activate.len();
    activate.retain(|entry| entry != name);
    assert_eq!(activate.len() + 1, before, "{name} is listed once");
    policy
}

/// The policy with `names` added at the end.
fn with(policy: &Value, names: &[&str]) -> Value {
    let mut policy = policy.clone();
    let activate = policy["spec"]["activate"]
        .as_array_mut()
        .expect("spec.activate");
    activate.extend(names.iter().map(|name| json!(name)));
    policy
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// A namespaced managed resource of `kind`, as the function would compose it.
fn namespaced(group: &str, kind: &str, for_provider: &Value) -> Value {
    json!({
        "apiVersion": format!("{group}/v1beta1"),
        "kind": kind,
        "spec": {
            "forProvider": for_provider,
            "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"},
        },
    })
}

#[test]
fn the_check_notices_a_kind_the_policy_does_not_activate() {
    let emitted = all_resources(Scope::Namespaced);
    let packaged = policy(NAMESPACED_POLICY);
    // A later feature that composed customer-managed IAM policies, say.
    let mut with_policy = emitted.clone();
    with_policy.push(namespaced(
        "iam.aws.m.upbound.io",
        "Policy",
        &json!({"policy": QUEUE_POLICY}),
    ));
    let cases = [
        (
            "the function emits a kind the policy does not activate",
            with_policy,
            packaged.clone(),
            Drift {
                missing: names(&["policies.iam.aws.m.upbound.io"]),
                ..Drift::default()
            },
        ),
        (
            "the policy lacks a kind the function composes",
            emitted.clone(),
            without(&packaged, "addons.eks.aws.m.upbound.io"),
            Drift {
                missing: names(&["addons.eks.aws.m.upbound.io"]),
                ..Drift::default()
            },
        ),
        (
            "the policy lacks the kind a reference resolves against",
            emitted.clone(),
            without(&packaged, "clusters.eks.aws.m.upbound.io"),
            Drift {
                missing: names(&["clusters.eks.aws.m.upbound.io"]),
                ..Drift::default()
            },
        ),
        (
            "the policy names the cluster-scoped kind instead of the namespaced one",
            emitted.clone(),
            with(
                &without(&packaged, "roles.iam.aws.m.upbound.io"),
                &["roles.iam.aws.upbound.io"],
            ),
            Drift {
                missing: names(&["roles.iam.aws.m.upbound.io"]),
                unneeded: names(&["roles.iam.aws.upbound.io"]),
                ..Drift::default()
            },
        ),
        (
            "the policy activates a kind nothing composes",
            emitted.clone(),
            with(&packaged, &["policies.iam.aws.m.upbound.io"]),
            Drift {
                unneeded: names(&["policies.iam.aws.m.upbound.io"]),
                ..Drift::default()
            },
        ),
        (
            "a wildcard instead of names",
            emitted.clone(),
            with(
                &without(&packaged, "addons.eks.aws.m.upbound.io"),
                &["*.eks.aws.m.upbound.io"],
            ),
            Drift {
                missing: names(&["addons.eks.aws.m.upbound.io"]),
                malformed: names(&["wildcard *.eks.aws.m.upbound.io"]),
                ..Drift::default()
            },
        ),
        (
            "a name listed twice",
            emitted.clone(),
            with(&packaged, &["roles.iam.aws.m.upbound.io"]),
            Drift {
                malformed: names(&["roles.iam.aws.m.upbound.io listed twice"]),
                ..Drift::default()
            },
        ),
    ];
    for (case, emitted, policy, want) in cases {
        let needed = needed(&emitted).unwrap_or_else(|problems| panic!("{case}: {problems:#?}"));
        assert_eq!(drift(&policy, &needed.names), want, "{case}");
    }
}

#[test]
fn what_cannot_be_named_is_reported() {
    let role = namespaced("iam.aws.m.upbound.io", "Role", &json!({}));
    let usage = json!({
        "apiVersion": "protection.crossplane.io/v1beta1",
        "kind": "Usage",
        "metadata": {"namespace": "shop"},
        "spec": {"replayDeletion": true},
    });
    let cases = [
        (
            "a kind no vendored CRD defines",
            namespaced("ec2.aws.m.upbound.io", "SecurityGroup", &json!({})),
            "SecurityGroup (ec2.aws.m.upbound.io/v1beta1): no vendored CRD defines it",
        ),
        (
            "a reference field whose target is unknown",
            namespaced(
                "iam.aws.m.upbound.io",
                "RolePolicyAttachment",
                &json!({"policyArnRef": {"name": "boundary"}}),
            ),
            "RolePolicyAttachment: the reference field policyArnRef",
        ),
        (
            "a reference nested in a block, in initProvider",
            {
                let mut attachment =
                    namespaced("iam.aws.m.upbound.io", "RolePolicyAttachment", &json!({}));
                attachment["spec"]["initProvider"] =
                    json!({"settings": [{"keySelector": {"matchControllerRef": true}}]});
                attachment
            },
            "RolePolicyAttachment: the reference field keySelector",
        ),
        (
            "Crossplane's own kind other than a Usage",
            json!({
                "apiVersion": "pkg.crossplane.io/v1beta1",
                "kind": "DeploymentRuntimeConfig",
                "metadata": {"name": "x"},
            }),
            "DeploymentRuntimeConfig (pkg.crossplane.io/v1beta1) is Crossplane's own kind",
        ),
    ];
    for (case, resource, needle) in cases {
        let Err(problems) = needed(&[role.clone(), usage.clone(), resource]) else {
            panic!("{case}: accepted");
        };
        assert!(
            problems.iter().any(|problem| problem.contains(needle)),
            "{case}: no problem mentions {needle:?}: {problems:#?}"
        );
    }
    // Usages aside, and a selector's own matchControllerRef is no reference.
    let mut attachment = namespaced(
        "iam.aws.m.upbound.io",
        "RolePolicyAttachment",
        &json!({"roleSelector": {"matchControllerRef": true}}),
    );
    attachment["spec"]["forProvider"]["policyArn"] =
        json!("arn:aws:iam::aws:policy/ReadOnlyAccess");
    let needed = needed(&[role, usage, attachment]).expect("all known");
    assert_eq!(
        needed.names,
        BTreeSet::from([
            "roles.iam.aws.m.upbound.io".to_owned(),
            "rolepolicyattachments.iam.aws.m.upbound.io".to_owned(),
        ])
    );
    assert_eq!(needed.references, BTreeSet::from(["roleSelector"]));
}
