//! Guardrails end to end: each rule accepted and refused, on cluster-scoped
//! XRs (with and without a claim) and namespaced XRs; several violations in
//! one FATAL; refusals leaving the desired state alone; malformed rules;
//! the packaged baselines and the strict example profile; and the action
//! overlap check against brute force.

use std::path::Path;
use std::sync::OnceLock;

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::iam::glob::{Case, Glob};
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::render::render;
use proptest::prelude::{prop, proptest, ProptestConfig};
use serde_json::{json, Value};

use crate::support::function::{assert_same, fatal_messages, run_as_served, Call};

pub(crate) const PREFIX: &str = "cannot compose EKS Pod Identity: ";
const BOUNDARY: &str = "arn:aws:iam::111122223333:policy/workload-boundary";

/// Where the XR comes from.
#[derive(Clone, Copy)]
pub(crate) enum Xr {
    /// A cluster-scoped XR made for a claim in this namespace.
    Claim(&'static str),
    /// A cluster-scoped XR made directly, by someone with cluster rights.
    Direct,
    /// A namespaced XR in this namespace.
    Namespaced(&'static str),
}

pub(crate) fn parameters() -> Value {
    json!({
        "region": "us-west-2",
        "clusterName": "prod-a",
        "serviceAccount": {"name": "app", "namespace": "team-a"},
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        "inlinePolicy": [{"name": "queue", "policy": policy(&json!({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}))}],
    })
}

pub(crate) fn policy(statement: &Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statement}).to_string()
}

pub(crate) fn xr(kind: Xr, parameters: Value) -> Value {
    let (api_kind, metadata) = match kind {
        Xr::Claim(namespace) => (
            "XPodIdentity",
            json!({"name": "app-x1", "labels": {"crossplane.io/claim-namespace": namespace}}),
        ),
        Xr::Direct => ("XPodIdentity", json!({"name": "app-x1"})),
        Xr::Namespaced(namespace) => (
            "PodIdentity",
            json!({"name": "app", "namespace": namespace}),
        ),
    };
    let mut xr = json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": api_kind,
        "metadata": metadata,
        "spec": {},
    });
    xr["spec"]["parameters"] = parameters;
    // What `control_plane::created("app", ..)` makes is controlled by this XR.
    xr["metadata"]["uid"] = json!(crate::support::control_plane::xr_uid("app"));
    xr
}

pub(crate) fn input(guardrails: Value) -> Value {
    let mut input = json!({
        "apiVersion": "eks-pod-identity.fn.crossplane.io/v1beta1",
        "kind": "Input",
    });
    input["guardrails"] = guardrails;
    input
}

/// The FATAL messages of a call, and the role it composed (when any).
fn run(xr: Value, input: Option<Value>) -> (Vec<String>, Option<Value>) {
    let call = Call {
        xr: Some(xr),
        input,
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let fatal = fatal_messages(&response);
    let role = response
        .desired
        .as_ref()
        .and_then(|desired| desired.resources.get("iamRole"))
        .and_then(|role| role.resource.as_ref())
        .map(|role| Value::Object(struct_to_json(role).unwrap()));
    (fatal, role)
}

/// Merges `edits` into the base parameters; null removes a key.
pub(crate) fn with(edits: &Value) -> Value {
    let mut parameters = parameters();
    for (key, value) in edits.as_object().unwrap() {
        if value.is_null() {
            parameters.as_object_mut().unwrap().remove(key);
        } else {
            parameters[key] = value.clone();
        }
    }
    parameters
}

struct Rule {
    name: &'static str,
    reason: &'static str,
    xr: Xr,
    edits: Value,
    guardrails: Value,
    /// The problems of the one FATAL, in order; empty when accepted.
    refused: &'static [&'static str],
}

fn inline_with(statement: &Value) -> Value {
    json!([
        {"name": "ok", "policy": policy(&json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))},
        {"name": "checked", "policy": policy(statement)},
    ])
}

#[allow(clippy::too_many_lines)] // One table: splitting it would scatter the cases.
fn rules() -> Vec<Rule> {
    vec![
        Rule {
            name: "same namespace as the claim",
            reason: "SameAsClaim accepts the claim's own namespace",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: json!({"serviceAccountNamespaces": ["SameAsClaim"]}),
            refused: &[],
        },
        Rule {
            name: "another team's namespace from a claim",
            reason: "SameAsClaim refuses a namespace other than the claim's",
            xr: Xr::Claim("team-b"),
            edits: json!({}),
            guardrails: json!({"serviceAccountNamespaces": ["SameAsClaim"]}),
            refused: &["spec.parameters.serviceAccount.namespace: team-a is refused by guardrails.serviceAccountNamespaces: want the claim's namespace \"team-b\""],
        },
        Rule {
            name: "another namespace from a namespaced XR",
            reason: "on a namespaced XR the XR's namespace is the claim's",
            xr: Xr::Namespaced("team-b"),
            edits: json!({}),
            guardrails: json!({"serviceAccountNamespaces": ["SameAsClaim", "shared-*"]}),
            refused: &["spec.parameters.serviceAccount.namespace: team-a is refused by guardrails.serviceAccountNamespaces: want the claim's namespace \"team-b\" or one of \"shared-*\""],
        },
        Rule {
            name: "own namespace from a namespaced XR",
            reason: "a namespaced XR may bind its own namespace",
            xr: Xr::Namespaced("team-a"),
            edits: json!({}),
            guardrails: json!({"serviceAccountNamespaces": ["SameAsClaim"]}),
            refused: &[],
        },
        Rule {
            name: "shared namespace by pattern",
            reason: "a pattern entry accepts a namespace other than the claim's",
            xr: Xr::Namespaced("team-b"),
            edits: json!({"serviceAccount": {"name": "app", "namespace": "shared-cache"}}),
            guardrails: json!({"serviceAccountNamespaces": ["SameAsClaim", "shared-*"]}),
            refused: &[],
        },
        Rule {
            name: "XR without a claim",
            reason: "a cluster-scoped XR without a claim was made with cluster rights: any namespace",
            xr: Xr::Direct,
            edits: json!({"serviceAccount": {"name": "app", "namespace": "kube-system"}}),
            guardrails: json!({"serviceAccountNamespaces": ["SameAsClaim"]}),
            refused: &[],
        },
        Rule {
            name: "XR without a claim and only patterns",
            reason: "without SameAsClaim the patterns alone decide",
            xr: Xr::Direct,
            edits: json!({"serviceAccount": {"name": "app", "namespace": "kube-system"}}),
            guardrails: json!({"serviceAccountNamespaces": ["team-?"]}),
            refused: &["spec.parameters.serviceAccount.namespace: kube-system is refused by guardrails.serviceAccountNamespaces: want one of \"team-?\""],
        },
        Rule {
            name: "cluster name matches",
            reason: "a literal cluster name matching a pattern is accepted",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: json!({"clusterNames": ["staging-*", "prod-*"]}),
            refused: &[],
        },
        Rule {
            name: "cluster name does not match",
            reason: "names compare case-sensitively",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"clusterName": "Prod-a"}),
            guardrails: json!({"clusterNames": ["prod-*"]}),
            refused: &["spec.parameters.clusterName: Prod-a is refused by guardrails.clusterNames: want one of \"prod-*\""],
        },
        Rule {
            name: "the claim's own cluster by {namespace}",
            reason: "{namespace} in clusterNames stands for the claim's namespace, as in roleNames",
            xr: Xr::Claim("team-a"),
            edits: json!({"clusterName": "team-a-prod"}),
            guardrails: json!({"clusterNames": ["{namespace}-*"]}),
            refused: &[],
        },
        Rule {
            name: "another tenant's cluster by {namespace}",
            reason: "the namespace fills the pattern as literal text: team-a's pattern is team-a-*",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"clusterName": "team-b-prod"}),
            guardrails: json!({"clusterNames": ["{namespace}-*", "shared"]}),
            refused: &["spec.parameters.clusterName: team-b-prod is refused by guardrails.clusterNames: want one of \"team-a-*\", \"shared\""],
        },
        Rule {
            name: "an XR without a claim fills no {namespace}",
            reason: "the platform's own XRs name clusters the rule lists outright; a tenant's pattern never matches for them",
            xr: Xr::Direct,
            edits: json!({"clusterName": "team-a-prod"}),
            guardrails: json!({"clusterNames": ["{namespace}-*", "shared"]}),
            refused: &["spec.parameters.clusterName: team-a-prod is refused by guardrails.clusterNames: want one of \"{namespace}-*\", \"shared\""],
        },
        Rule {
            name: "an XR without a claim and a fixed pattern",
            reason: "patterns without {namespace} hold for every XR",
            xr: Xr::Direct,
            edits: json!({"clusterName": "shared"}),
            guardrails: json!({"clusterNames": ["{namespace}-*", "shared"]}),
            refused: &[],
        },
        Rule {
            name: "cluster reference without AllowReferences",
            reason: "a reference cannot be checked before it resolves",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"clusterName": null, "clusterNameRef": {"name": "prod-a"}}),
            guardrails: json!({"clusterNames": ["prod-*"]}),
            refused: &["spec.parameters.clusterNameRef: a reference is refused by guardrails.clusterNames: the cluster it resolves to cannot be checked; give clusterName (or ask the platform team to add AllowReferences)"],
        },
        Rule {
            name: "cluster selector with AllowReferences",
            reason: "AllowReferences lets references and selectors through",
            xr: Xr::Claim("team-a"),
            edits: json!({"clusterName": null, "clusterNameSelector": {"matchLabels": {"env": "prod"}}}),
            guardrails: json!({"clusterNames": ["prod-*", "AllowReferences"]}),
            refused: &[],
        },
        Rule {
            name: "managed policy on the allow list",
            reason: "an ARN matching an allow pattern is accepted",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: json!({"managedPolicyArns": {"allow": ["arn:aws:iam::aws:policy/Amazon*ReadOnly*"]}}),
            refused: &[],
        },
        Rule {
            name: "managed policy off the allow list",
            reason: "with allow given, an ARN must match it",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3FullAccess"]}),
            guardrails: json!({"managedPolicyArns": {"allow": ["arn:aws:iam::aws:policy/Amazon*ReadOnly*"]}}),
            refused: &["spec.parameters.managedPolicyArns[1]: arn:aws:iam::aws:policy/AmazonS3FullAccess is refused by guardrails.managedPolicyArns.allow: want one of \"arn:aws:iam::aws:policy/Amazon*ReadOnly*\""],
        },
        Rule {
            name: "deny wins over allow",
            reason: "an ARN both allowed and denied is refused",
            xr: Xr::Claim("team-a"),
            edits: json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}),
            guardrails: json!({"managedPolicyArns": {"allow": ["arn:aws:iam::aws:policy/*"], "deny": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}),
            refused: &["spec.parameters.managedPolicyArns[0]: arn:aws:iam::aws:policy/AdministratorAccess is refused by guardrails.managedPolicyArns.deny \"arn:aws:iam::aws:policy/AdministratorAccess\""],
        },
        Rule {
            name: "NotAction refused by default",
            reason: "inlinePolicies without allowNotAction refuses NotAction and NotResource",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"inlinePolicy": inline_with(&json!([{"Effect": "Allow", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::x"}]))}),
            guardrails: json!({"inlinePolicies": {}}),
            refused: &[
                "spec.parameters.inlinePolicy[1].policy: Statement[0] allows with NotAction, which grants everything not listed, refused by guardrails.inlinePolicies.allowNotAction",
                "spec.parameters.inlinePolicy[1].policy: Statement[0] allows with NotResource, which grants everything not listed, refused by guardrails.inlinePolicies.allowNotAction",
            ],
        },
        Rule {
            name: "NotAction allowed",
            reason: "allowNotAction: true lets it through",
            xr: Xr::Claim("team-a"),
            edits: json!({"inlinePolicy": inline_with(&json!({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}))}),
            guardrails: json!({"inlinePolicies": {"allowNotAction": true}}),
            refused: &[],
        },
        Rule {
            name: "Deny statements are never refused",
            reason: "a Deny with * and NotAction grants nothing",
            xr: Xr::Claim("team-a"),
            edits: json!({"inlinePolicy": inline_with(&json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}]))}),
            guardrails: json!({"inlinePolicies": {"denyActions": ["iam:*"]}}),
            refused: &[],
        },
        Rule {
            name: "boundary forced",
            reason: "a claim may leave the boundary out or give the same one",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: json!({"permissionsBoundaryArn": BOUNDARY, "rolePath": "/workloads/"}),
            refused: &[],
        },
        Rule {
            name: "same boundary and path given",
            reason: "the claim's value equals the guardrail's",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"permissionsBoundaryArn": BOUNDARY, "rolePath": "/workloads/"}),
            guardrails: json!({"permissionsBoundaryArn": BOUNDARY, "rolePath": "/workloads/"}),
            refused: &[],
        },
        Rule {
            name: "other boundary and path",
            reason: "a different boundary or path is refused",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"permissionsBoundaryArn": "arn:aws:iam::111122223333:policy/open", "rolePath": "/admin/"}),
            guardrails: json!({"permissionsBoundaryArn": BOUNDARY, "rolePath": "/workloads/"}),
            refused: &[
                "spec.parameters.permissionsBoundaryArn: arn:aws:iam::111122223333:policy/open is refused by guardrails.permissionsBoundaryArn: every role carries arn:aws:iam::111122223333:policy/workload-boundary; leave the field out or give that ARN",
                "spec.parameters.rolePath: \"/admin/\" is refused by guardrails.rolePath: every role gets the path \"/workloads/\"; leave the field out or give that path",
            ],
        },
        Rule {
            name: "target role on the list",
            reason: "a targetRoleArn matching a pattern is accepted",
            xr: Xr::Claim("team-a"),
            edits: json!({"targetRoleArn": "arn:aws:iam::444455556666:role/data-reader"}),
            guardrails: json!({"targetRoleArns": ["arn:aws:iam::444455556666:role/data-*"]}),
            refused: &[],
        },
        Rule {
            name: "target role off the list",
            reason: "another account's role is refused",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"targetRoleArn": "arn:aws:iam::999999999999:role/data-reader"}),
            guardrails: json!({"targetRoleArns": ["arn:aws:iam::444455556666:role/data-*"]}),
            refused: &["spec.parameters.targetRoleArn: arn:aws:iam::999999999999:role/data-reader is refused by guardrails.targetRoleArns: want one of \"arn:aws:iam::444455556666:role/data-*\""],
        },
        Rule {
            name: "empty target list",
            reason: "an empty list refuses every targetRoleArn",
            xr: Xr::Claim("team-a"),
            edits: json!({"targetRoleArn": "arn:aws:iam::444455556666:role/data-reader"}),
            guardrails: json!({"targetRoleArns": []}),
            refused: &["spec.parameters.targetRoleArn: arn:aws:iam::444455556666:role/data-reader is refused by guardrails.targetRoleArns: nothing is allowed"],
        },
        Rule {
            name: "agent refused",
            reason: "podIdentityAgent: false refuses install: true",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"podIdentityAgent": {"install": true}}),
            guardrails: json!({"podIdentityAgent": false}),
            refused: &["spec.parameters.podIdentityAgent.install: true is refused by guardrails.podIdentityAgent: the platform team installs the agent"],
        },
        Rule {
            name: "agent from a claim",
            reason: "a cluster-scoped XR made for a claim is a tenant's too",
            xr: Xr::Claim("team-a"),
            edits: json!({"podIdentityAgent": {"install": true}}),
            guardrails: json!({"podIdentityAgent": false}),
            refused: &["spec.parameters.podIdentityAgent.install: true is refused by guardrails.podIdentityAgent: the platform team installs the agent"],
        },
        Rule {
            name: "agent from an XR made without a claim",
            reason: "the platform installs the agent from its own XRs",
            xr: Xr::Direct,
            edits: json!({"podIdentityAgent": {"install": true}}),
            guardrails: json!({"podIdentityAgent": false}),
            refused: &[],
        },
        Rule {
            name: "agent not asked for",
            reason: "install: false is always fine",
            xr: Xr::Claim("team-a"),
            edits: json!({"podIdentityAgent": {"install": false}}),
            guardrails: json!({"podIdentityAgent": false}),
            refused: &[],
        },
        Rule {
            name: "five rules at once",
            reason: "every violation is listed in the one FATAL",
            xr: Xr::Claim("team-a"),
            edits: json!({
                "clusterName": "dev-1",
                "serviceAccount": {"name": "app", "namespace": "team-b"},
                "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                "inlinePolicy": inline_with(&json!({"Effect": "Allow", "Action": "*", "Resource": "*"})),
                "targetRoleArn": "arn:aws:iam::999999999999:role/admin",
            }),
            guardrails: json!({
                "serviceAccountNamespaces": ["SameAsClaim"],
                "clusterNames": ["prod-*"],
                "managedPolicyArns": {"deny": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
                "inlinePolicies": {"denyActions": ["iam:*", "organizations:*"]},
                "targetRoleArns": ["arn:aws:iam::444455556666:role/data-*"],
            }),
            refused: &[
                "spec.parameters.serviceAccount.namespace: team-b is refused by guardrails.serviceAccountNamespaces: want the claim's namespace \"team-a\"",
                "spec.parameters.clusterName: dev-1 is refused by guardrails.clusterNames: want one of \"prod-*\"",
                "spec.parameters.managedPolicyArns[0]: arn:aws:iam::aws:policy/AdministratorAccess is refused by guardrails.managedPolicyArns.deny \"arn:aws:iam::aws:policy/AdministratorAccess\"",
                "spec.parameters.inlinePolicy[1].policy: Statement[0] Action \"*\" can grant \"iam:*\", refused by guardrails.inlinePolicies.denyActions",
                "spec.parameters.targetRoleArn: arn:aws:iam::999999999999:role/admin is refused by guardrails.targetRoleArns: want one of \"arn:aws:iam::444455556666:role/data-*\"",
            ],
        },
    ]
}

#[test]
fn each_rule_accepts_and_refuses() {
    for rule in rules() {
        let (fatal, role) = run(xr(rule.xr, with(&rule.edits)), Some(input(rule.guardrails)));
        let want: Vec<String> = if rule.refused.is_empty() {
            Vec::new()
        } else {
            vec![format!("{PREFIX}{}", rule.refused.join("; "))]
        };
        assert_same(rule.name, rule.reason, &json!(want), &json!(fatal));
        assert_eq!(
            role.is_some(),
            rule.refused.is_empty(),
            "{}: a role is composed exactly when accepted",
            rule.name
        );
    }
}

#[test]
fn the_issues_overlap_examples_refuse_or_pass() {
    let overlaps = [
        ("*", "iam:*", true),
        ("iam:PassRole", "iam:Pass*", true),
        ("i*:Get*", "iam:*", true),
        ("IAM:PASSROLE", "iam:PassRole", true),
        ("s3:*", "iam:*", false),
        ("iam:PassRole", "iam:Get*", false),
    ];
    for (action, deny, overlap) in overlaps {
        for kind in [Xr::Claim("team-a"), Xr::Namespaced("team-a")] {
            let edits = json!({"inlinePolicy": inline_with(&json!([
                {"Effect": "Deny", "Action": "*", "Resource": "*"},
                {"Effect": "Allow", "Action": [action], "Resource": "*"},
            ]))});
            let guardrails = json!({"inlinePolicies": {"denyActions": [deny]}});
            let (fatal, _) = run(xr(kind, with(&edits)), Some(input(guardrails)));
            let want: Vec<String> = if overlap {
                vec![format!("{PREFIX}spec.parameters.inlinePolicy[1].policy: Statement[1] Action {action:?} can grant {deny:?}, refused by guardrails.inlinePolicies.denyActions")]
            } else {
                Vec::new()
            };
            assert_same(
                &format!("{action} against {deny}"),
                "refused exactly when the globs share a string",
                &json!(want),
                &json!(fatal),
            );
        }
    }
}

#[test]
fn the_boundary_and_path_are_forced_onto_the_role() {
    for kind in [Xr::Claim("team-a"), Xr::Namespaced("team-a")] {
        let guardrails = json!({"permissionsBoundaryArn": BOUNDARY, "rolePath": "/workloads/"});
        let (fatal, role) = run(xr(kind, parameters()), Some(input(guardrails)));
        assert!(fatal.is_empty(), "{fatal:?}");
        let provider = &role.expect("a role")["spec"]["forProvider"];
        assert_eq!(provider["permissionsBoundary"], json!(BOUNDARY));
        assert_eq!(provider["path"], json!("/workloads/"));
    }
    let (_, role) = run(xr(Xr::Claim("team-a"), parameters()), None);
    let provider = &role.expect("a role")["spec"]["forProvider"];
    assert!(provider.get("permissionsBoundary").is_none());
}

#[test]
fn the_agent_may_come_from_the_compositions_defaults() {
    let mut step = input(json!({"podIdentityAgent": false}));
    step["defaults"] = json!({"podIdentityAgent": {"install": true}});
    let (fatal, _) = run(xr(Xr::Claim("team-a"), parameters()), Some(step));
    assert!(fatal.is_empty(), "{fatal:?}");
}

#[test]
fn a_refusal_leaves_the_desired_state_as_it_came() {
    let earlier = json!({"apiVersion": "iam.aws.upbound.io/v1beta1", "kind": "Role", "metadata": {"name": "kept"}});
    let call = Call {
        xr: Some(xr(
            Xr::Claim("team-a"),
            with(&json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})),
        )),
        desired: vec![("iamRole", earlier.clone())],
        input: Some(input(
            json!({"managedPolicyArns": {"deny": ["arn:aws:iam::aws:policy/Admin*"]}}),
        )),
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let got = crate::support::function::response_json(&response);
    assert_same(
        "refusal",
        "only the FATAL is added",
        &json!({"iamRole": {"resource": earlier}}),
        &got["desired"]["resources"],
    );
    assert_eq!(response.results.len(), 1);
}

/// One `Function` remembers the inputs it has read; calls that alternate
/// between Compositions, more of them than it remembers, must each get
/// exactly what a fresh `Function` gives for their own input.
#[test]
fn a_function_never_applies_one_steps_guardrails_to_anothers_call() {
    let administrator =
        with(&json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}));
    let steps = [
        None,
        Some(input(
            json!({"managedPolicyArns": {"deny": ["arn:aws:iam::aws:policy/Admin*"]}}),
        )),
        Some(input(json!({}))),
        Some(input(
            json!({"managedPolicyArns": {"deny": ["arn:aws:iam::aws:policy/Power*"]}}),
        )),
        Some(input(json!({"rolePath": "/a/"}))),
        Some(input(json!({"rolePath": "/b/"}))),
        Some(input(
            json!({"rolePath": "/a/", "managedPolicyArns": {"deny": ["*"]}}),
        )),
        Some(input(json!({"rolePath": 7}))),
    ];
    let shared = Function::default();
    // Round robin, then backwards, so that each input is both remembered
    // and forgotten in between.
    let order = (0..steps.len()).chain((0..steps.len()).rev()).cycle();
    for (call, step) in order.take(steps.len() * 6).enumerate() {
        let request = Call {
            xr: Some(xr(Xr::Claim("team-a"), administrator.clone())),
            input: steps[step].clone(),
            ..Call::default()
        }
        .request();
        let want = run_as_served(request.clone());
        let got = shared.run(request);
        assert_same(
            &format!("call {call}, step {step}"),
            "the shared function answers as a fresh one",
            &crate::support::function::response_json(&want),
            &crate::support::function::response_json(&got),
        );
    }
}

#[test]
fn malformed_guardrails_are_fatal_at_their_path() {
    let cases = [
        (
            json!({"managedPolicyArn": {"deny": []}}),
            "input.guardrails.managedPolicyArn: unknown guardrail; known are serviceAccountNamespaces, clusterNames, managedPolicyArns, inlinePolicies, permissionsBoundaryArn, rolePath, targetRoleArns, podIdentityAgent, roleNames, allowAssociationId, providerConfigNames, providerConfigKinds, deletionPolicies, managementPolicies, tags, wellKnownPolicies, roleArns, allowDisableSessionTags, rolePaths",
        ),
        (
            json!({"managedPolicyArns": {"deny": ["arn:aws:iam:policy/AdministratorAccess"], "alow": []}}),
            "input.guardrails.managedPolicyArns.alow: unknown guardrail; known are allow, deny, byContent; input.guardrails.managedPolicyArns.deny[0]: \"arn:aws:iam:policy/AdministratorAccess\" is not an IAM policy ARN pattern (want arn:<partition>:iam::<account>:policy/<path and name>, with * and ? as wildcards)",
        ),
        (
            json!({"inlinePolicies": {"denyActions": ["iam*"], "allowNotAction": "no"}}),
            "input.guardrails.inlinePolicies.allowNotAction: want true or false, got the string \"no\"; input.guardrails.inlinePolicies.denyActions[0]: \"iam*\" is not an IAM action pattern (want service:Action, such as iam:* or s3:Get*, at most 128 characters)",
        ),
        (
            json!({"serviceAccountNamespaces": "SameAsClaim", "clusterNames": ["prod_*/"], "permissionsBoundaryArn": "boundary", "podIdentityAgent": "false"}),
            "input.guardrails.clusterNames[0]: \"prod_*/\" is not a cluster name pattern (want letters, digits, - _, the wildcards * and ?, and {namespace}; or AllowReferences); input.guardrails.permissionsBoundaryArn: \"boundary\" is not an IAM policy ARN (want arn:aws:iam::<12-digit account or aws>:policy/[path/]name); input.guardrails.podIdentityAgent: want true or false, got the string \"false\"; input.guardrails.serviceAccountNamespaces: want a list, got the string \"SameAsClaim\"",
        ),
        (
            json!(["iam:*"]),
            "input.guardrails: want an object, got a list",
        ),
    ];
    for (guardrails, want) in cases {
        let (fatal, role) = run(
            xr(Xr::Claim("team-a"), parameters()),
            Some(input(guardrails.clone())),
        );
        assert_same(
            &guardrails.to_string(),
            "a typo must never disable a guardrail",
            &json!([format!("{PREFIX}{want}")]),
            &json!(fatal),
        );
        assert!(role.is_none());
    }
}

// ---------------------------------------------------------------------------
// The packaged baselines and the strict example profile

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub(crate) fn render_with(
    xr: &str,
    composition: &str,
) -> function_eks_pod_identity::render::Rendered {
    render(&Function::default(), xr, None, Some(composition)).unwrap()
}

#[test]
fn the_example_claim_composes_under_the_v1_baseline() {
    let composition = read("package/configuration/apis/composition.yaml");
    let rendered = render_with(&read("examples/claim.yaml"), &composition);
    assert!(rendered.fatal.is_empty(), "{:?}", rendered.fatal);
    assert!(rendered.resources.contains_key("iamRole"));
    // Cross-account chaining waits for the platform team to list the role;
    // nothing else of the example is refused.
    let chained = render_with(&read("examples/cross-account-xr.yaml"), &composition);
    assert_eq!(
        chained.fatal,
        [format!("{PREFIX}spec.parameters.targetRoleArn: arn:aws:iam::444455556666:role/billing-readonly is refused by guardrails.targetRoleArns: nothing is allowed")]
    );
}

#[test]
fn the_baselines_refuse_administrator_access_and_the_v2_one_other_namespaces() {
    let admin = read("examples/render/xr.yaml").replace(
        "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    );
    let rendered = render_with(&admin, &read("package/configuration/apis/composition.yaml"));
    assert_eq!(
        rendered.fatal,
        [format!("{PREFIX}spec.parameters.managedPolicyArns[0]: arn:aws:iam::aws:policy/AdministratorAccess is refused by guardrails.managedPolicyArns.deny \"arn:aws:iam::aws:policy/AdministratorAccess\"")]
    );
    let v2 = read("package/configuration-v2/apis/composition.yaml");
    assert!(render_with(&read("examples/render-v2/xr.yaml"), &v2)
        .fatal
        .is_empty());
    // Upbound's v2 example binds kube-system from the default namespace: the
    // cross-tenant binding the v2 baseline exists to stop.
    let upbound = read(
        "tests/fixtures/anchors/upbound-configuration-aws-eks-pod-identity/v2-example-xr.yaml",
    );
    let refused = render_with(&upbound, &v2).fatal.join("; ");
    assert!(
        refused.starts_with(&format!("{PREFIX}spec.parameters.serviceAccount.namespace: kube-system is refused by guardrails.serviceAccountNamespaces: want the claim's namespace \"default\"")),
        "{refused}"
    );
}

#[test]
fn the_strict_example_passes_one_xr_and_refuses_the_other() {
    let composition = read("examples/guardrails/composition.yaml");
    let allowed = render_with(&read("examples/guardrails/allowed-xr.yaml"), &composition);
    assert!(allowed.fatal.is_empty(), "{:?}", allowed.fatal);
    let role = &allowed.resources["iamRole"];
    assert_eq!(
        role["spec"]["forProvider"]["permissionsBoundary"],
        json!(BOUNDARY)
    );
    assert_eq!(role["spec"]["forProvider"]["path"], json!("/workloads/"));
    assert_eq!(
        role["metadata"]["annotations"]["crossplane.io/external-name"],
        json!("team-a.orders-api")
    );
    for key in ["iamRole", "podIdentityAssociation"] {
        assert_eq!(
            allowed.resources[key]["spec"]["forProvider"]["tags"],
            json!({"team": "orders", "tenant": "team-a"}),
            "{key}"
        );
    }
    assert_eq!(allowed.resources.len(), 5, "{:?}", allowed.resources.keys());

    let refused = render_with(&read("examples/guardrails/refused-xr.yaml"), &composition);
    assert!(refused.resources.is_empty());
    assert_eq!(
        refused.fatal,
        [format!(
            "{PREFIX}{}",
            [
                "spec.parameters.serviceAccount.namespace: team-b is refused by guardrails.serviceAccountNamespaces: want the claim's namespace \"team-a\"",
                "spec.parameters.clusterName: dev-sandbox is refused by guardrails.clusterNames: want one of \"prod-*\", \"staging-*\"",
                "spec.parameters.managedPolicyArns[0]: arn:aws:iam::aws:policy/AdministratorAccess is refused by guardrails.managedPolicyArns.deny \"arn:aws:iam::aws:policy/AdministratorAccess\"",
                "spec.parameters.inlinePolicy[0].policy: Statement[0] Action \"iam:Pass*\" can grant \"iam:*\", refused by guardrails.inlinePolicies.denyActions",
                "spec.parameters.inlinePolicy[0].policy: Statement[0] Action \"iam:Pass*\" can grant iam:PassRole, which carries PrivilegeEscalation (cloudsplaining privilege escalation method CreateEC2WithExistingIP (https://pathfinding.cloud/paths/ec2-001)), refused by guardrails.inlinePolicies.denyRisks",
                "spec.parameters.inlinePolicy[0].policy: Statement[0] Resource \"*\" reaches every resource of its kind in the account, and ec2:DescribeCapacityBlockExtensionOfferings (resource types capacity-reservation) can be limited to named ones, refused by guardrails.inlinePolicies.resources.refuseAccountWide",
                "spec.parameters.permissionsBoundaryArn: arn:aws:iam::111122223333:policy/anything-goes is refused by guardrails.permissionsBoundaryArn: every role carries arn:aws:iam::111122223333:policy/workload-boundary; leave the field out or give that ARN",
                "spec.parameters.roleName: OrganizationAccountAccessRole is refused by guardrails.roleNames: want one of \"team-a.*\"; leave roleName out for a generated, unique name",
                "spec.parameters.tags.Tenant: the key \"Tenant\" is refused by guardrails.tags.deniedKeys \"tenant\" (tag keys compare without case)",
            ]
            .join("; ")
        )]
    );
}

// ---------------------------------------------------------------------------
// The overlap check against brute force

const ALPHABET: [char; 3] = ['a', 'b', ':'];

/// Every string over the alphabet up to `longest` characters.
fn strings(longest: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..longest {
        last = last
            .iter()
            .flat_map(|prefix| ALPHABET.iter().map(move |c| format!("{prefix}{c}")))
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

fn every_string() -> &'static [String] {
    static ALL: OnceLock<Vec<String>> = OnceLock::new();
    ALL.get_or_init(|| strings(8))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Two patterns of at most 4 characters that share any string share one
    /// of at most 8 characters over their own letters, so checking those
    /// decides it.
    #[test]
    fn overlap_agrees_with_brute_force(
        left in prop::collection::vec(prop::sample::select(vec!['a', 'b', 'A', ':', '*', '?']), 0..=4),
        right in prop::collection::vec(prop::sample::select(vec!['a', 'b', ':', '*', '?']), 0..=4),
    ) {
        let left: String = left.into_iter().collect();
        let right: String = right.into_iter().collect();
        let one = Glob::new(&left, Case::Insensitive);
        let other = Glob::new(&right, Case::Insensitive);
        let brute = every_string().iter().any(|text| one.matches(text) && other.matches(text));
        assert_eq!(one.overlaps(&other), brute, "{left:?} & {right:?}");
        assert_eq!(other.overlaps(&one), brute, "{right:?} & {left:?}");
        assert_eq!(one.overlaps_text(&right), brute, "{left:?} & text {right:?}");
        assert_eq!(other.overlaps_text(&left), brute, "{right:?} & text {left:?}");
    }
}
