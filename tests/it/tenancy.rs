//! Tenancy holds end to end under both shipped baselines, in both scopes:
//! an observed resource that is not what its key composes (another kind,
//! another group, another controller) lends the XR no external name, id or
//! status; the XRDs pin the Composition, so that no claim picks an older,
//! looser revision; the role's trust pins the clusters the claim names, and
//! the 409 heal adopts only there; and the agent is cluster infrastructure
//! no claim changes or deletes.

use function_eks_pod_identity::function::OBSERVED_IGNORED;
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::protocol::v1::{RunFunctionResponse, Severity};
use serde_json::{json, Value};

use crate::guardrails::read;
use crate::support::cel::Rule;
use crate::support::control_plane::aws::Action;
use crate::support::control_plane::{
    baseline as plane_baseline, ControlPlane, Round, Scope as PlaneScope,
};
use crate::support::function::{assert_same, fatal_messages, run_as_served, Call};

const V1: &str = "package/configuration/apis/composition.yaml";
const V2: &str = "package/configuration-v2/apis/composition.yaml";

const XR_UID: &str = "0c9d2f4e-0000-4000-8000-000000000001";
const ORG_ROLE: &str = "OrganizationAccountAccessRole";
const OTHER_ASSOCIATION: &str = "a-0123456789abcdefg";

/// The step input of a shipped Composition.
fn baseline(composition: &str) -> Value {
    let document: Value = serde_norway::from_str(&read(composition)).unwrap();
    document["spec"]["pipeline"][0]["input"].clone()
}

#[derive(Clone, Copy, Debug)]
enum Scope {
    /// A cluster-scoped XR Crossplane made for a claim in `shop`.
    Claim,
    /// A namespaced XR in `shop`.
    Namespaced,
}

impl Scope {
    fn groups(self) -> (&'static str, &'static str) {
        match self {
            Scope::Claim => ("iam.aws.upbound.io/v1beta1", "eks.aws.upbound.io/v1beta1"),
            Scope::Namespaced => (
                "iam.aws.m.upbound.io/v1beta1",
                "eks.aws.m.upbound.io/v1beta1",
            ),
        }
    }

    fn other(self) -> Self {
        match self {
            Scope::Claim => Scope::Namespaced,
            Scope::Namespaced => Scope::Claim,
        }
    }
}

fn xr(scope: Scope) -> Value {
    let mut xr = json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {"name": "app-7xk2p", "uid": XR_UID},
        "spec": {"parameters": {
            "region": "us-west-2",
            "clusterName": "blue",
            "serviceAccount": {"name": "app", "namespace": "shop"},
        }},
    });
    match scope {
        Scope::Claim => {
            xr["metadata"]["labels"] = json!({"crossplane.io/claim-namespace": "shop"});
        }
        Scope::Namespaced => {
            xr["apiVersion"] = json!("aws.platform.upbound.io/v1alpha2");
            xr["metadata"]["namespace"] = json!("shop");
        }
    }
    xr
}

fn controlled_by(uid: &str) -> Value {
    json!([{
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "name": "someone-else",
        "uid": uid,
        "controller": true,
    }])
}

/// An observed role named `ORG_ROLE` in AWS, of `api_version` and `kind`,
/// controlled by `owner` when given.
fn role(api_version: &str, kind: &str, owner: Option<&str>) -> Value {
    let mut role = json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": "app-7xk2p-abcde",
            "annotations": {"crossplane.io/external-name": ORG_ROLE},
        },
        "spec": {"forProvider": {}},
        "status": {
            "atProvider": {
                "arn": format!("arn:aws:iam::111122223333:role/{ORG_ROLE}"),
                "id": ORG_ROLE,
            },
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    });
    if let Some(owner) = owner {
        role["metadata"]["ownerReferences"] = controlled_by(owner);
    }
    role
}

/// An observed association holding another tenant's id.
fn association(api_version: &str, kind: &str, owner: Option<&str>) -> Value {
    let mut association = json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": "app-7xk2p-fghij",
            "annotations": {"crossplane.io/external-name": OTHER_ASSOCIATION},
        },
        "spec": {"forProvider": {
            "clusterName": "blue",
            "region": "us-west-2",
            "namespace": "shop",
            "serviceAccount": "app",
        }},
        "status": {
            "atProvider": {
                "associationId": OTHER_ASSOCIATION,
                "associationArn": "arn:aws:eks:us-west-2:111122223333:podidentityassociation/blue/a-0123456789abcdefg",
            },
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    });
    if let Some(owner) = owner {
        association["metadata"]["ownerReferences"] = controlled_by(owner);
    }
    association
}

/// What a call lends the observed resources: the external names composed,
/// the XR's status and the reasons of its Warnings.
fn lent(response: &RunFunctionResponse) -> Value {
    let desired = response.desired.clone().unwrap_or_default();
    let external = |key: &str| {
        desired
            .resources
            .get(key)
            .and_then(|resource| resource.resource.as_ref())
            .map(|body| struct_to_json(body).unwrap())
            .and_then(|body| {
                body.get("metadata")?
                    .get("annotations")?
                    .get("crossplane.io/external-name")
                    .cloned()
            })
            .unwrap_or(Value::Null)
    };
    let status = desired
        .composite
        .and_then(|xr| xr.resource)
        .map(|xr| Value::Object(struct_to_json(&xr).unwrap()))
        .and_then(|xr| xr.get("status").cloned())
        .unwrap_or(Value::Null);
    let ready: Vec<&str> = response
        .desired
        .iter()
        .flat_map(|desired| &desired.resources)
        .filter(|(_, resource)| resource.ready == 1)
        .map(|(key, _)| key.as_str())
        .collect();
    let results: Vec<Value> = response
        .results
        .iter()
        .filter(|result| result.severity != i32::from(Severity::Normal))
        .map(|result| {
            json!([
                Severity::try_from(result.severity).unwrap().as_str_name(),
                result.reason.clone().unwrap_or_default()
            ])
        })
        .collect();
    json!({
        "role": external("iamRole"),
        "association": external("podIdentityAssociation"),
        "status": status,
        "ready": ready,
        "results": results,
    })
}

fn run(composition: &str, scope: Scope, observed: Vec<(&'static str, Value)>) -> Value {
    let call = Call {
        xr: Some(xr(scope)),
        input: Some(baseline(composition)),
        observed,
        ..Call::default()
    };
    lent(&run_as_served(call.request()))
}

#[test]
fn observed_resources_that_are_not_what_their_key_composes_lend_nothing() {
    // The role composes as a new one: named within the tenant's space.
    let nothing_lent = json!({
        "role": "shop.app-7xk2p",
        "association": null,
        "status": null,
        "ready": [],
        "results": [["SEVERITY_WARNING", OBSERVED_IGNORED], ["SEVERITY_WARNING", OBSERVED_IGNORED]],
    });
    for composition in [V1, V2] {
        for scope in [Scope::Claim, Scope::Namespaced] {
            let (iam, eks) = scope.groups();
            let (other_iam, other_eks) = scope.other().groups();
            let cases: [(&str, Vec<(&'static str, Value)>); 4] = [
                (
                    "ConfigMaps carrying external names, as the advisory's uncontrolled objects",
                    vec![
                        ("iamRole", role("v1", "ConfigMap", None)),
                        (
                            "podIdentityAssociation",
                            association("v1", "ConfigMap", None),
                        ),
                    ],
                ),
                (
                    "the right kinds of the other scope's groups",
                    vec![
                        ("iamRole", role(other_iam, "Role", Some(XR_UID))),
                        (
                            "podIdentityAssociation",
                            association(other_eks, "PodIdentityAssociation", Some(XR_UID)),
                        ),
                    ],
                ),
                (
                    "the right kinds controlled by another XR",
                    vec![
                        ("iamRole", role(iam, "Role", Some("another-uid"))),
                        (
                            "podIdentityAssociation",
                            association(eks, "PodIdentityAssociation", Some("another-uid")),
                        ),
                    ],
                ),
                (
                    "each under the other's key",
                    vec![
                        (
                            "iamRole",
                            association(eks, "PodIdentityAssociation", Some(XR_UID)),
                        ),
                        ("podIdentityAssociation", role(iam, "Role", Some(XR_UID))),
                    ],
                ),
            ];
            for (name, observed) in cases {
                assert_same(
                    &format!("{composition} {scope:?}: {name}"),
                    "no external name, id, readiness or status is lent; one Warning each",
                    &nothing_lent,
                    &run(composition, scope, observed),
                );
            }
            // Its own resources, controlled by this XR or (as Crossplane's
            // older observed state) by nothing named, are read as before.
            for owner in [Some(XR_UID), None] {
                let got = run(
                    composition,
                    scope,
                    vec![
                        ("iamRole", role(iam, "Role", owner)),
                        (
                            "podIdentityAssociation",
                            association(eks, "PodIdentityAssociation", owner),
                        ),
                    ],
                );
                assert_eq!(got["role"], json!(ORG_ROLE), "{composition} {scope:?}");
                assert_eq!(
                    got["association"],
                    json!(OTHER_ASSOCIATION),
                    "{composition} {scope:?}"
                );
                assert_eq!(
                    got["status"]["podIdentity"]["associationId"],
                    json!(OTHER_ASSOCIATION),
                    "{composition} {scope:?}"
                );
                assert!(
                    !got["results"].to_string().contains(OBSERVED_IGNORED),
                    "{composition} {scope:?}: {got}"
                );
            }
        }
    }
}

#[test]
fn the_warning_names_the_key_and_what_was_found_there() {
    let call = Call {
        xr: Some(xr(Scope::Claim)),
        input: Some(baseline(V1)),
        observed: vec![("iamRole", role("v1", "ConfigMap", None))],
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let messages: Vec<&str> = response
        .results
        .iter()
        .filter(|result| result.reason.as_deref() == Some(OBSERVED_IGNORED))
        .map(|result| result.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["iamRole: the observed resource under this key is a \"ConfigMap\" of \"v1\", not the iam.aws.upbound.io Role the function composes for this XR; it is ignored (no external name, id, readiness or status is read from it) and iamRole is composed as though nothing ran under it. Ask the platform team what put it there"]
    );
}

// ---------------------------------------------------------------------------
// The XRDs pin the Composition

const V1_XRD: &str = "package/configuration/apis/definition.yaml";
const V2_XRD: &str = "package/configuration-v2/apis/definition.yaml";

/// The messages of the XRD's `spec` rules that refuse `spec`, as an API
/// server evaluates them on a claim or XR being created or updated (an
/// error refuses as a false rule does).
fn refused_by_spec_rules(xrd: &Value, spec: &Value) -> Vec<String> {
    let rules = xrd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["x-kubernetes-validations"]
        .as_array()
        .expect("rules on spec");
    rules
        .iter()
        .filter_map(|rule| {
            let text = rule["rule"].as_str().unwrap();
            let parsed = Rule::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
            (parsed.holds(spec) != Ok(true)).then(|| rule["message"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn the_xrds_enforce_their_composition_and_refuse_older_revisions() {
    let parameters = json!({
        "region": "us-west-2",
        "clusterName": "blue",
        "serviceAccount": {"name": "app", "namespace": "shop"},
    });
    for (file, composition, crossplane_fields) in [
        (V1_XRD, "xpodidentities.aws.platform.upbound.io", false),
        (V2_XRD, "podidentities.aws.platform.upbound.io", true),
    ] {
        let xrd: Value = serde_norway::from_str(&read(file)).unwrap();
        assert_eq!(
            xrd["spec"]["enforcedCompositionRef"]["name"],
            json!(composition),
            "{file}"
        );
        assert!(xrd["spec"].get("defaultCompositionRef").is_none(), "{file}");
        // Crossplane's fields: in v1 beside parameters, in v2 under
        // spec.crossplane.
        let spec = |fields: Value| {
            let mut spec = json!({"parameters": parameters});
            if crossplane_fields {
                spec["crossplane"] = fields;
            } else {
                for (key, value) in fields.as_object().unwrap() {
                    spec[key] = value.clone();
                }
            }
            spec
        };
        let latest = json!({"name": format!("{composition}-7c3e1a9")});
        let old = json!({"name": format!("{composition}-0b5d2f4")});
        let accepted = [
            ("what a tenant writes", spec(json!({}))),
            (
                "what Crossplane writes on the XR: the enforced Composition, the latest revision",
                spec(json!({
                    "compositionRef": {"name": composition},
                    "compositionRevisionRef": latest,
                    "compositionUpdatePolicy": "Automatic",
                    "resourceRefs": [{"apiVersion": "iam.aws.upbound.io/v1beta1", "kind": "Role", "name": "app-7xk2p-abcde"}],
                })),
            ),
            (
                "what Crossplane writes on a claim (v1): the same, and the bound XR",
                spec(json!({
                    "compositionRef": {"name": composition},
                    "compositionRevisionRef": latest,
                    "compositionUpdatePolicy": "Automatic",
                    "compositeDeletePolicy": "Background",
                    "resourceRef": {"apiVersion": "aws.platform.upbound.io/v1alpha1", "kind": "XPodIdentity", "name": "app-7xk2p"},
                })),
            ),
            (
                "a tenant's revision under Automatic: Crossplane replaces it with the latest",
                spec(
                    json!({"compositionRevisionRef": old, "compositionUpdatePolicy": "Automatic"}),
                ),
            ),
        ];
        for (name, spec) in accepted {
            assert_eq!(
                refused_by_spec_rules(&xrd, &spec),
                Vec::<String>::new(),
                "{file}: {name}"
            );
        }
        let prefix = if crossplane_fields {
            "spec.crossplane."
        } else {
            ""
        };
        let manual = format!("{prefix}compositionUpdatePolicy Manual is refused: every {} runs the latest revision of the platform's Composition, whose guardrails apply to it", if crossplane_fields { "XR" } else { "claim" });
        let selector = format!("{prefix}compositionRevisionSelector is refused: every {} runs the latest revision of the platform's Composition", if crossplane_fields { "XR" } else { "claim" });
        let other = format!("{prefix}compositionRef may name only the Composition {composition}");
        let refused = [
            (
                "pinned to an older revision, as the issue found",
                spec(json!({"compositionUpdatePolicy": "Manual", "compositionRevisionRef": old})),
                vec![manual.clone()],
            ),
            (
                "Manual alone: pinned to whatever revision is latest today",
                spec(json!({"compositionUpdatePolicy": "Manual"})),
                vec![manual.clone()],
            ),
            (
                "an older revision chosen by its hash label",
                spec(
                    json!({"compositionRevisionSelector": {"matchLabels": {"crossplane.io/composition-hash": "0b5d2f4"}}}),
                ),
                vec![selector],
            ),
            (
                "another Composition, without guardrails",
                spec(json!({"compositionRef": {"name": "no-guardrails"}})),
                vec![other],
            ),
        ];
        for (name, spec, want) in refused {
            assert_eq!(refused_by_spec_rules(&xrd, &spec), want, "{file}: {name}");
        }
    }
}

// ---------------------------------------------------------------------------
// Tenancy recorded on what runs

const TENANT_LABEL: &str = "eks-pod-identity.fn.crossplane.io/tenant";

/// An XR made without a claim: the platform's.
fn platform_xr() -> Value {
    let mut xr = xr(Scope::Claim);
    xr["metadata"].as_object_mut().unwrap().remove("labels");
    xr
}

/// The observed role and association of `scope`, controlled by the XR and
/// labelled `labels`.
fn running(scope: Scope, labels: &Value) -> Vec<(&'static str, Value)> {
    let (iam, eks) = scope.groups();
    let mut role = role(iam, "Role", Some(XR_UID));
    let mut association = association(eks, "PodIdentityAssociation", Some(XR_UID));
    role["metadata"]["labels"] = labels.clone();
    association["metadata"]["labels"] = labels.clone();
    vec![("iamRole", role), ("podIdentityAssociation", association)]
}

/// The FATAL messages of a call and whether it composed anything.
fn refused(
    composition: &str,
    xr: Value,
    observed: Vec<(&'static str, Value)>,
) -> (Vec<String>, bool) {
    let call = Call {
        xr: Some(xr),
        input: Some(baseline(composition)),
        observed,
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let fatal = fatal_messages(&response);
    let composed = response
        .desired
        .is_some_and(|desired| !desired.resources.is_empty());
    (fatal, composed)
}

#[test]
fn an_xr_whose_tenant_differs_from_what_runs_changes_nothing() {
    let taken = |now: &str, then: &str| {
        format!("cannot compose EKS Pod Identity: this XR is now {now}'s, but its running resources were created for {then} (iamRole, podIdentityAssociation): a claim may not take over what another tenant owns (such as a platform XR bound through spec.resourceRef, or an XR relabelled to another claim's namespace). Nothing is composed and nothing running changes; the platform team must move these resources back to their tenant's XR, or orphan them, before deleting this claim or XR, since deleting it deletes them")
    };
    let platform = "the platform (\"platform.xr\": an XR made without a claim)";
    for composition in [V1, V2] {
        let cases = [
            (
                "a claim in shop binds a platform XR (spec.resourceRef): Crossplane copies the claim's labels onto it",
                xr(Scope::Claim),
                running(Scope::Claim, &json!({TENANT_LABEL: "platform.xr"})),
                taken("namespace \"shop\"", platform),
            ),
            (
                "the same, with resources composed before tenants were recorded: Crossplane's own label says no claim",
                xr(Scope::Claim),
                running(Scope::Claim, &json!({"crossplane.io/claim-namespace": ""})),
                taken("namespace \"shop\"", platform),
            ),
            (
                "a claim XR relabelled to another namespace",
                xr(Scope::Claim),
                running(Scope::Claim, &json!({TENANT_LABEL: "billing", "crossplane.io/claim-namespace": "billing"})),
                taken("namespace \"shop\"", "namespace \"billing\""),
            ),
            (
                "a platform XR relabelled from a claim's",
                platform_xr(),
                running(Scope::Claim, &json!({TENANT_LABEL: "billing"})),
                taken(platform, "namespace \"billing\""),
            ),
            (
                "a namespaced XR whose resources record another namespace",
                xr(Scope::Namespaced),
                running(Scope::Namespaced, &json!({TENANT_LABEL: "billing"})),
                taken("namespace \"shop\"", "namespace \"billing\""),
            ),
        ];
        for (name, xr, observed, want) in cases {
            let (fatal, composed) = refused(composition, xr, observed);
            assert_eq!(fatal, [want], "{composition}: {name}");
            assert!(!composed, "{composition}: {name}: nothing is composed");
        }
    }
}

#[test]
fn what_runs_records_its_tenant_and_keeps_it_across_parameter_edits() {
    for composition in [V1, V2] {
        for (scope, xr, tenant, legacy) in [
            (
                Scope::Claim,
                xr(Scope::Claim),
                "shop",
                json!({"crossplane.io/claim-namespace": "shop"}),
            ),
            (
                Scope::Claim,
                platform_xr(),
                "platform.xr",
                json!({"crossplane.io/claim-namespace": ""}),
            ),
            (Scope::Namespaced, xr(Scope::Namespaced), "shop", json!({})),
        ] {
            let case = format!("{composition} {scope:?} {tenant}");
            // Before tenants were recorded: no label of the function's.
            // Then day 2 with the record: only the parameters change.
            let recorded = json!({TENANT_LABEL: tenant});
            for (when, labels) in [
                ("composed before the record", &legacy),
                ("recorded", &recorded),
            ] {
                let mut edited = xr.clone();
                edited["spec"]["parameters"]["managedPolicyArns"] =
                    json!(["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"]);
                edited["spec"]["parameters"]["tags"] = json!({"cost-center": "42"});
                let call = Call {
                    xr: Some(edited),
                    input: Some(baseline(composition)),
                    observed: running(scope, labels),
                    ..Call::default()
                };
                let response = run_as_served(call.request());
                let fatal: Vec<&str> = response
                    .results
                    .iter()
                    .filter(|result| result.severity == i32::from(Severity::Fatal))
                    .map(|result| result.message.as_str())
                    .collect();
                assert!(fatal.is_empty(), "{case}, {when}: {fatal:?}");
                let desired = response.desired.unwrap_or_default();
                assert!(desired.resources.len() >= 3, "{case}, {when}");
                for (key, resource) in &desired.resources {
                    let body = struct_to_json(resource.resource.as_ref().unwrap()).unwrap();
                    assert_eq!(
                        body["metadata"]["labels"][TENANT_LABEL],
                        json!(tenant),
                        "{case}, {when}: {key} records its tenant"
                    );
                }
                // What runs keeps its name and id.
                let external = |key: &str| {
                    struct_to_json(desired.resources[key].resource.as_ref().unwrap()).unwrap()
                        ["metadata"]["annotations"]["crossplane.io/external-name"]
                        .clone()
                };
                assert_eq!(external("iamRole"), json!(ORG_ROLE), "{case}, {when}");
                assert_eq!(
                    external("podIdentityAssociation"),
                    json!(OTHER_ASSOCIATION),
                    "{case}, {when}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Names no other tenant can reach

/// The external name of the role a call composes, and its FATALs and
/// Warnings' reasons.
fn role_named(
    composition: &str,
    xr: Value,
    observed: Vec<(&'static str, Value)>,
) -> (Value, Value) {
    let call = Call {
        xr: Some(xr),
        input: Some(baseline(composition)),
        observed,
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let got = lent(&response);
    (got["role"].clone(), got["results"].clone())
}

#[test]
fn a_claims_generated_role_name_lies_in_its_own_tenants_space() {
    for composition in [V1, V2] {
        for scope in [Scope::Claim, Scope::Namespaced] {
            let case = format!("{composition} {scope:?}");
            // Namespace shop's claim billing.reader: its XR is named after it.
            let mut claim = xr(scope);
            claim["metadata"]["name"] = json!("billing.reader-7xk2p");
            let (name, results) = role_named(composition, claim.clone(), vec![]);
            assert_eq!(name, json!("shop.billing.reader-7xk2p"), "{case}");
            assert_eq!(results, json!([]), "{case}");

            // billing cannot ask for it: it is not in billing.*.
            let mut billing = xr(scope);
            if matches!(scope, Scope::Claim) {
                billing["metadata"]["labels"]["crossplane.io/claim-namespace"] = json!("billing");
            } else {
                billing["metadata"]["namespace"] = json!("billing");
            }
            billing["spec"]["parameters"]["serviceAccount"]["namespace"] = json!("billing");
            billing["spec"]["parameters"]["roleName"] = json!("shop.billing.reader-7xk2p");
            let (fatal, composed) = refused(composition, billing, vec![]);
            assert!(!composed, "{case}");
            assert_eq!(fatal.len(), 1, "{case}: {fatal:?}");
            assert!(
                fatal[0].contains("spec.parameters.roleName: shop.billing.reader-7xk2p is refused by guardrails.roleNames"),
                "{case}: {fatal:?}"
            );

            // Running roles keep their names, with no Warning: one the
            // provider named after its managed resource (before this
            // change), and one named by the function.
            let (iam, _) = scope.groups();
            // The provider's own annotation holds the first: the function
            // emits none, as before, and keeps emitting its own name.
            for (running, emitted) in [
                ("billing.reader-7xk2p-abcde", Value::Null),
                (
                    "shop.billing.reader-7xk2p",
                    json!("shop.billing.reader-7xk2p"),
                ),
            ] {
                let mut role = role(iam, "Role", Some(XR_UID));
                role["metadata"]["name"] = json!("billing.reader-7xk2p-abcde");
                role["metadata"]["annotations"]["crossplane.io/external-name"] = json!(running);
                let (name, results) =
                    role_named(composition, claim.clone(), vec![("iamRole", role)]);
                assert_eq!(name, emitted, "{case}: {running}");
                assert_eq!(results, json!([]), "{case}: {running}");
            }
        }
        // The platform's XRs are named by the provider, as before.
        let (name, _) = role_named(composition, platform_xr(), vec![]);
        assert_eq!(name, Value::Null, "{composition}");
    }
}

#[test]
fn long_generated_role_names_fit_iam_and_stay_apart() {
    let mut names = std::collections::BTreeSet::new();
    for suffix in ["a", "b"] {
        let mut claim = xr(Scope::Claim);
        claim["metadata"]["name"] = json!(format!("{}-{suffix}", "x".repeat(100)));
        let (name, _) = role_named(V1, claim, vec![]);
        let name = name.as_str().unwrap().to_owned();
        assert!(name.len() <= 64, "{name}");
        assert!(name.starts_with("shop."), "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b)),
            "{name}"
        );
        names.insert(name);
    }
    assert_eq!(names.len(), 2, "{names:?}");
}

// ---------------------------------------------------------------------------
// Other clusters: the trust pins the clusters the claim names

/// The cluster condition of every statement of the role's trust policy,
/// as desired in `round` (null where a statement has none).
fn cluster_conditions(round: &Round) -> Vec<Value> {
    let text = round.desired["iamRole"]["spec"]["forProvider"]["assumeRolePolicy"]
        .as_str()
        .expect("a trust policy");
    let policy: Value = serde_json::from_str(text).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|statement| {
            statement["Condition"]["StringEquals"]["aws:RequestTag/eks-cluster-name"].clone()
        })
        .collect()
}

fn plane_parameters(clusters: &Value) -> Value {
    let mut parameters = json!({
        "region": "us-west-2",
        "serviceAccount": {"name": "app", "namespace": "shop"},
    });
    for (key, value) in clusters.as_object().unwrap() {
        parameters[key] = value.clone();
    }
    parameters
}

#[test]
fn the_roles_trust_pins_the_clusters_the_claim_names_once_known() {
    // The model's Cluster objects: "blue" names the EKS cluster "blue-eks".
    let cases = [
        (
            "a literal name: known from the first call",
            json!({"clusterName": "blue"}),
            json!(["blue"]),
            json!(["blue"]),
        ),
        (
            "a reference: no condition until the provider resolves it, then its name",
            json!({"clusterNameRef": {"name": "blue"}}),
            Value::Null,
            json!(["blue-eks"]),
        ),
        (
            "a selector: the same, once resolved",
            json!({"clusterNameSelector": {"matchLabels": {"env": "green"}}}),
            Value::Null,
            json!(["green-eks"]),
        ),
        (
            "two clusters, a literal and a reference: the literal at once, both once resolved",
            json!({"clusters": [{"clusterName": "blue"}, {"clusterNameRef": {"name": "green"}}]}),
            json!(["blue"]),
            json!(["blue", "green-eks"]),
        ),
    ];
    for scope in PlaneScope::BOTH {
        for (name, clusters, first, settled) in &cases {
            let case = format!("{scope:?}: {name}");
            let mut plane = ControlPlane::new(scope).with_input(plane_baseline(scope));
            let parameters = plane_parameters(clusters);
            let rounds: Vec<Round> = (0..6).map(|_| plane.reconcile(&parameters)).collect();
            for round in &rounds {
                assert!(round.fatal.is_empty(), "{case}: {:?}", round.fatal);
            }
            assert_eq!(
                cluster_conditions(&rounds[0]),
                std::slice::from_ref(first),
                "{case}"
            );
            assert_eq!(
                cluster_conditions(&rounds[5]),
                std::slice::from_ref(settled),
                "{case}"
            );
            // A fixed point: the last rounds change nothing, in AWS or desired.
            for round in &rounds[3..] {
                assert_eq!(round.desired, rounds[5].desired, "{case}");
                assert!(round.aws.is_empty(), "{case}: {:?}", round.aws);
                assert!(round.wedged.is_empty(), "{case}: {:?}", round.wedged);
            }
            // The role is created once and updated in place, never replaced.
            let role: Vec<Action> = plane
                .events()
                .iter()
                .filter(|event| event.kind == "Role")
                .map(|event| event.action)
                .collect();
            let once_resolved = if first == settled {
                vec![Action::Create]
            } else {
                vec![Action::Create, Action::Update]
            };
            assert_eq!(role, once_resolved, "{case}");
        }
    }
}

#[test]
fn a_cluster_name_no_eks_cluster_can_have_joins_no_trust() {
    for composition in [V1, V2] {
        for scope in [Scope::Claim, Scope::Namespaced] {
            let mut xr = xr(scope);
            let parameters = xr["spec"]["parameters"].as_object_mut().unwrap();
            parameters.remove("clusterName");
            parameters.insert("clusterNameRef".to_owned(), json!({"name": "blue"}));
            let (_, eks) = scope.groups();
            let mut observed = association(eks, "PodIdentityAssociation", Some(XR_UID));
            observed["spec"]["forProvider"] = json!({
                "clusterNameRef": {"name": "blue"},
                "clusterName": format!("{}*", "b".repeat(120)),
                "region": "us-west-2",
                "namespace": "shop",
                "serviceAccount": "app",
            });
            let call = Call {
                xr: Some(xr),
                input: Some(baseline(composition)),
                observed: vec![("podIdentityAssociation", observed)],
                ..Call::default()
            };
            let response = run_as_served(call.request());
            let desired = response.desired.unwrap();
            let role =
                struct_to_json(desired.resources["iamRole"].resource.as_ref().unwrap()).unwrap();
            let policy: Value = serde_json::from_str(
                role["spec"]["forProvider"]["assumeRolePolicy"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(
                policy["Statement"][0]["Condition"]["StringEquals"]
                    .get("aws:RequestTag/eks-cluster-name"),
                None,
                "{composition} {scope:?}: {policy}"
            );
        }
    }
}

#[test]
fn without_session_tags_the_trust_pins_nothing() {
    // No guardrails: the baselines refuse disableSessionTags.
    let mut xr = xr(Scope::Claim);
    xr["spec"]["parameters"]["disableSessionTags"] = json!(true);
    let call = Call {
        xr: Some(xr),
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let role = &response.desired.unwrap().resources["iamRole"];
    let body = struct_to_json(role.resource.as_ref().unwrap()).unwrap();
    let policy: Value = serde_json::from_str(
        body["spec"]["forProvider"]["assumeRolePolicy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(policy["Statement"][0].get("Condition"), None, "{policy}");
}

// ---------------------------------------------------------------------------
// The 409 heal: only on a cluster the claim named or resolved

const EXISTING: &str = "a-0123456789abcdefg";

/// An association that EKS refused to create because `EXISTING` serves
/// its pair, asking for its cluster with `cluster` (a forProvider part).
fn refused_association(scope: Scope, cluster: &Value) -> Value {
    let (_, eks) = scope.groups();
    let mut for_provider = json!({
        "region": "us-west-2",
        "namespace": "shop",
        "serviceAccount": "app",
    });
    for (key, value) in cluster.as_object().unwrap() {
        for_provider[key] = value.clone();
    }
    json!({
        "apiVersion": eks,
        "kind": "PodIdentityAssociation",
        "metadata": {"name": "app-7xk2p-fghij", "ownerReferences": controlled_by(XR_UID)},
        "spec": {"forProvider": for_provider},
        "status": {"conditions": [{
            "type": "Synced",
            "status": "False",
            "reason": "ReconcileError",
            "message": format!("create failed: async create failed: failed to create the resource: [{{0 creating EKS Pod Identity Association: operation error EKS: CreatePodIdentityAssociation, https response error StatusCode: 409, ResourceInUseException: Association already exists: {EXISTING}  []}}]"),
        }]},
    })
}

#[test]
fn the_409_heal_adopts_only_on_a_cluster_named_or_resolved() {
    let reference = json!({"clusterNameRef": {"name": "blue"}});
    let cases = [
        (
            "a literal name",
            json!({"clusterName": "blue"}),
            json!({"clusterName": "blue"}),
            json!(EXISTING),
        ),
        (
            "a reference the provider resolved and wrote back",
            reference.clone(),
            json!({"clusterNameRef": {"name": "blue"}, "clusterName": "blue-eks"}),
            json!(EXISTING),
        ),
        (
            "a reference no one has resolved: no cluster the claim can be said to name",
            reference.clone(),
            reference.clone(),
            Value::Null,
        ),
        (
            "a reference resolved to what no EKS cluster can be named: written by hand",
            reference.clone(),
            json!({"clusterNameRef": {"name": "blue"}, "clusterName": "blue\"],\"x\":[\""}),
            Value::Null,
        ),
        (
            "a selector no one has resolved",
            json!({"clusterNameSelector": {"matchLabels": {"env": "blue"}}}),
            json!({"clusterNameSelector": {"matchLabels": {"env": "blue"}}}),
            Value::Null,
        ),
    ];
    for composition in [V1, V2] {
        for scope in [Scope::Claim, Scope::Namespaced] {
            for (name, asked, observed, adopted) in &cases {
                let mut xr = xr(scope);
                let parameters = xr["spec"]["parameters"].as_object_mut().unwrap();
                parameters.remove("clusterName");
                for (key, value) in asked.as_object().unwrap() {
                    parameters.insert(key.clone(), value.clone());
                }
                let call = Call {
                    xr: Some(xr),
                    input: Some(baseline(composition)),
                    observed: vec![(
                        "podIdentityAssociation",
                        refused_association(scope, observed),
                    )],
                    ..Call::default()
                };
                let got = lent(&run_as_served(call.request()));
                assert_eq!(
                    &got["association"], adopted,
                    "{composition} {scope:?}: {name}: {got}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The agent is cluster infrastructure

/// A baseline whose defaults install the agent at a pinned version.
fn installing(composition: &str) -> Value {
    let mut input = baseline(composition);
    input["defaults"] =
        json!({"podIdentityAgent": {"install": true, "version": "v1.3.8-eksbuild.2"}});
    input
}

#[test]
fn a_claim_changes_nothing_of_an_agent_the_defaults_install() {
    let refusal = |field: &str, value: &str| {
        format!("cannot compose EKS Pod Identity: spec.parameters.podIdentityAgent.{field}: {value} is refused by guardrails.podIdentityAgent: the Composition's defaults install the agent, cluster infrastructure every claim on the cluster shares; leave podIdentityAgent out")
    };
    let cases = [
        (
            "OVERWRITE would take over a self-managed agent's settings on the cluster",
            json!({"resolveConflicts": "OVERWRITE"}),
            vec![refusal("resolveConflicts", "\"OVERWRITE\"")],
        ),
        (
            "a downgrade for every workload on the cluster",
            json!({"version": "v1.0.0-eksbuild.1"}),
            vec![refusal("version", "\"v1.0.0-eksbuild.1\"")],
        ),
        (
            "install: false would stop managing the agent",
            json!({"install": false}),
            vec![refusal("install", "false")],
        ),
        (
            "the defaults' own values change nothing",
            json!({"install": true, "version": "v1.3.8-eksbuild.2"}),
            vec![],
        ),
    ];
    for composition in [V1, V2] {
        for scope in [Scope::Claim, Scope::Namespaced] {
            for (name, agent, want) in &cases {
                let mut xr = xr(scope);
                xr["spec"]["parameters"]["podIdentityAgent"] = agent.clone();
                let call = Call {
                    xr: Some(xr),
                    input: Some(installing(composition)),
                    ..Call::default()
                };
                let response = run_as_served(call.request());
                let fatal: Vec<String> = fatal_messages(&response);
                assert_eq!(&fatal, want, "{composition} {scope:?}: {name}");
            }
        }
    }
}

#[test]
fn deleting_a_claim_never_deletes_the_clusters_agent() {
    for scope in PlaneScope::BOTH {
        let mut input = plane_baseline(scope);
        input["defaults"] = json!({"podIdentityAgent": {"install": true}});
        let mut plane = ControlPlane::new(scope).with_input(input);
        let parameters = plane_parameters(&json!({"clusterName": "blue"}));
        let rounds: Vec<Round> = (0..4).map(|_| plane.reconcile(&parameters)).collect();
        assert!(
            rounds[3].fatal.is_empty(),
            "{scope:?}: {:?}",
            rounds[3].fatal
        );
        let agent = &rounds[3].desired["podIdentityAgent"];
        assert_eq!(
            agent["spec"]["managementPolicies"],
            json!(["Create", "Observe", "Update", "LateInitialize"]),
            "{scope:?}"
        );
        assert_eq!(
            agent["metadata"]["annotations"]["crossplane.io/external-name"],
            json!("blue:eks-pod-identity-agent"),
            "{scope:?}"
        );
        assert_eq!(plane.aws.addons.len(), 1, "{scope:?}");
        // The claim goes: Crossplane deletes everything it composed.
        let gone = plane.settle(&std::collections::BTreeMap::new());
        assert!(
            gone.deleted.contains(&"podIdentityAgent".to_owned()),
            "{scope:?}"
        );
        assert_eq!(plane.aws.addons.len(), 1, "{scope:?}: the agent runs on");
        assert!(plane.aws.associations.is_empty(), "{scope:?}");
        // A claim made again later finds the agent running: nothing is
        // created twice, and nothing answers 409.
        let again: Vec<Round> = (0..4).map(|_| plane.reconcile(&parameters)).collect();
        let addon_events: Vec<Action> = again
            .iter()
            .flat_map(|round| &round.aws)
            .filter(|event| event.kind == "Addon")
            .map(|event| event.action)
            .collect();
        assert_eq!(addon_events, Vec::<Action>::new(), "{scope:?}");
        assert!(
            again[3].wedged.is_empty(),
            "{scope:?}: {:?}",
            again[3].wedged
        );
    }
}

#[test]
fn an_agent_composed_before_keeps_running_as_its_policies_change_in_place() {
    for scope in PlaneScope::BOTH {
        let mut input = plane_baseline(scope);
        input["defaults"] = json!({"podIdentityAgent": {"install": true}});
        let mut plane = ControlPlane::new(scope).with_input(input);
        let parameters = plane_parameters(&json!({"clusterName": "blue"}));
        let first = plane.reconcile(&parameters);
        // As an earlier release composed it: every management policy, no
        // name of its own.
        let mut desired = first.desired.clone();
        let agent = desired.get_mut("podIdentityAgent").unwrap();
        agent["spec"]["managementPolicies"] = json!(["*"]);
        if scope == PlaneScope::Cluster {
            agent["spec"]["deletionPolicy"] = json!("Delete");
        }
        agent["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("annotations");
        plane.settle(&desired);
        plane.settle(&desired);
        let created = plane.events().len();
        let rounds: Vec<Round> = (0..4).map(|_| plane.reconcile(&parameters)).collect();
        for round in &rounds {
            assert!(
                round.created.is_empty() && round.deleted.is_empty(),
                "{scope:?}"
            );
            assert!(round.wedged.is_empty(), "{scope:?}: {:?}", round.wedged);
        }
        let seen: Vec<String> = plane.events()[created..]
            .iter()
            .filter(|event| event.kind == "Addon")
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            seen,
            Vec::<String>::new(),
            "{scope:?}: AWS sees no change of the agent"
        );
        assert_eq!(
            rounds[3].desired, rounds[2].desired,
            "{scope:?}: a fixed point"
        );
        let body = &plane.observed()["podIdentityAgent"];
        assert_eq!(
            body["spec"]["managementPolicies"],
            json!(["Create", "Observe", "Update", "LateInitialize"]),
            "{scope:?}"
        );
    }
}
