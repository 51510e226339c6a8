//! Tenancy holds end to end under both shipped baselines, in both scopes:
//! an observed resource that is not what its key composes (another kind,
//! another group, another controller) lends the XR no external name, id or
//! status; and the XRDs pin the Composition, so that no claim picks an
//! older, looser revision.

use function_eks_pod_identity::function::{Function, OBSERVED_IGNORED};
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::protocol::v1::{RunFunctionResponse, Severity};
use serde_json::{json, Value};

use crate::guardrails::read;
use crate::support::function::{assert_same, Call};

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
    lent(&Function::default().run(call.request()))
}

#[test]
fn observed_resources_that_are_not_what_their_key_composes_lend_nothing() {
    let nothing_lent = json!({
        "role": null,
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
    let response = Function::default().run(call.request());
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
