//! Day 2: a running claim changes one field at a time. Each case composes a
//! claim, lets the model of the control plane create it
//! (`support::control_plane`), changes one field, composes again, lets the
//! control plane catch up and composes once more, in both scopes. Throughout,
//! no key keeps a running resource while one of the fields AWS fixes at
//! creation changes, no external name switches to another object, what was
//! asked is composed (or kept with its Warning), the status pairs an id
//! only with what its association serves, and every resource validates.

use std::collections::BTreeMap;

use function_eks_pod_identity::function::{ASSOCIATION_ID_KEPT, ROLE_NAME_KEPT, ROLE_PATH_KEPT};
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::protocol::v1::{Severity, Status};
use serde_json::{json, Value};

use crate::support::control_plane::aws::Association;
use crate::support::control_plane::{self, external_name, ControlPlane, Scope, XR_CREATED};
use crate::support::crd;
use crate::support::function::{resource, run_as_served, Call};

const XR_NAME: &str = "shop";
const S3: &str = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
const SQS: &str = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#;
const OTHER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:DeleteMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#;

fn xr(parameters: &Value, namespace: Option<&str>) -> Value {
    let mut metadata = json!({
        "name": XR_NAME,
        "uid": control_plane::xr_uid(XR_NAME),
        "creationTimestamp": XR_CREATED,
    });
    match namespace {
        Some(namespace) => metadata["namespace"] = json!(namespace),
        None => metadata["labels"] = json!({"crossplane.io/claim-namespace": "shop"}),
    }
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": metadata,
        "spec": {"parameters": parameters},
    })
}

/// What one call composed and said.
struct Outcome {
    desired: BTreeMap<String, Value>,
    /// Warning results as (reason, message).
    warnings: Vec<(String, String)>,
    conditions: Vec<(String, i32)>,
    status: Value,
}

fn run(parameters: &Value, namespace: Option<&str>, observed: &BTreeMap<String, Value>) -> Outcome {
    let mut request = Call {
        xr: Some(xr(parameters, namespace)),
        ..Call::default()
    }
    .request();
    request.observed.as_mut().unwrap().resources = observed
        .iter()
        .map(|(key, body)| (key.clone(), resource(body.clone())))
        .collect();
    let response = run_as_served(request);
    let fatal: Vec<&String> = response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Fatal))
        .map(|result| &result.message)
        .collect();
    assert!(fatal.is_empty(), "{fatal:?}");
    let desired = response.desired.unwrap_or_default();
    let status = desired
        .composite
        .as_ref()
        .and_then(|composite| composite.resource.as_ref())
        .map(|body| Value::Object(struct_to_json(body).unwrap()))
        .map_or(Value::Null, |composite| {
            composite["status"]["podIdentity"].clone()
        });
    Outcome {
        desired: desired
            .resources
            .iter()
            .map(|(key, resource)| {
                let body = struct_to_json(resource.resource.as_ref().unwrap()).unwrap();
                (key.clone(), Value::Object(body))
            })
            .collect(),
        warnings: response
            .results
            .iter()
            .filter(|result| result.severity == i32::from(Severity::Warning))
            .map(|result| {
                (
                    result.reason.clone().unwrap_or_default(),
                    result.message.clone(),
                )
            })
            .collect(),
        conditions: response
            .conditions
            .iter()
            .map(|condition| (condition.r#type.clone(), condition.status))
            .collect(),
        status,
    }
}

/// What AWS fixes at creation, as the desired resource asks for it
/// (`running` resolves a role without `roleName` to its generated name) or,
/// with `running` itself, as the provider reports it.
fn fixed(body: &Value, running: &Value, reported: bool) -> Value {
    let asked = &body["spec"]["forProvider"];
    let at = &running["status"]["atProvider"];
    let field = |name: &str| {
        if reported && at.get(name).is_some() {
            at[name].clone()
        } else {
            asked[name].clone()
        }
    };
    // A selector first: the provider writes its resolution back beside it.
    let cluster = || {
        if let Some(selector) = asked.get("clusterNameSelector") {
            json!({"selector": [selector["matchControllerRef"], selector["matchLabels"], selector["namespace"]]})
        } else if asked.get("clusterNameRef").is_some() {
            json!({"ref": [asked["clusterNameRef"]["name"], asked["clusterNameRef"]["namespace"]]})
        } else {
            json!({"name": field("clusterName")})
        }
    };
    match body["kind"].as_str().unwrap_or_default() {
        "PodIdentityAssociation" => json!({
            "cluster": cluster(),
            "region": field("region"),
            "namespace": field("namespace"),
            "serviceAccount": field("serviceAccount"),
        }),
        "Addon" => json!({"cluster": cluster(), "region": field("region")}),
        "Role" => {
            let name = if reported {
                external_name(running).map(str::to_owned)
            } else {
                external_name(body)
                    .or_else(|| running["metadata"]["name"].as_str())
                    .map(str::to_owned)
            };
            let path = if reported {
                at["path"].clone()
            } else {
                asked.get("path").cloned().unwrap_or_else(|| json!("/"))
            };
            json!({"name": name, "path": path})
        }
        "RolePolicyAttachment" => json!({"policyArn": asked["policyArn"]}),
        "RolePolicy" => json!({"name": external_name(body)}),
        _ => Value::Null,
    }
}

/// No key keeps a running resource while what AWS fixed changes, and no
/// external name switches to another object.
fn assert_nothing_replaced_in_place(
    step: &str,
    observed: &BTreeMap<String, Value>,
    desired: &BTreeMap<String, Value>,
) {
    for (key, body) in desired {
        let Some(running) = observed.get(key) else {
            continue;
        };
        assert_eq!(
            fixed(body, running, false),
            fixed(running, running, true),
            "{step}: {key} keeps its running resource while a field AWS fixes at creation changes"
        );
        if let Some(name) = external_name(body) {
            assert_eq!(
                Some(name),
                external_name(running),
                "{step}: {key}'s external name switches to another object"
            );
        }
    }
}

/// Every id and ARN in the status sits beside the cluster, namespace and
/// service account its observed association reports; `complete` wants one
/// for every association.
fn assert_status_truthful(
    step: &str,
    status: &Value,
    observed: &BTreeMap<String, Value>,
    complete: bool,
) {
    let by_id: BTreeMap<&str, &Value> = observed
        .values()
        .filter(|body| body["kind"] == "PodIdentityAssociation")
        .map(|body| {
            (
                body["status"]["atProvider"]["associationId"]
                    .as_str()
                    .unwrap(),
                &body["status"]["atProvider"],
            )
        })
        .collect();
    let entries = status["associations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for entry in &entries {
        let Some(id) = entry["associationId"].as_str() else {
            assert!(
                !complete,
                "{step}: {entry} has no id once everything is observed"
            );
            assert!(entry.get("associationArn").is_none(), "{step}: {entry}");
            continue;
        };
        let at = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{step}: {id} is not observed"));
        for field in ["clusterName", "namespace", "serviceAccount"] {
            assert_eq!(
                entry[field], at[field],
                "{step}: {entry} pairs {id} with what it does not serve"
            );
        }
        assert_eq!(
            entry["associationArn"], at["associationArn"],
            "{step}: {entry}"
        );
    }
    if let Some(id) = status["associationId"].as_str() {
        assert_eq!(status["clusterName"], by_id[id]["clusterName"], "{step}");
    } else {
        assert!(
            !complete,
            "{step}: no single associationId once everything is observed"
        );
    }
}

fn assert_valid(step: &str, desired: &BTreeMap<String, Value>, observed: &BTreeMap<String, Value>) {
    for (key, body) in desired {
        if let Err(errors) = crd::validate(body) {
            panic!("{step}: desired {key} is invalid: {errors:#?}");
        }
    }
    for (key, body) in observed {
        if let Err(errors) = crd::validate_observed(body) {
            panic!("{step}: observed {key} is invalid: {errors:#?}");
        }
    }
}

/// The bodies, sorted, without the ids running associations keep (see
/// [`assert_running_ids_kept`]).
/// The role's trust without the clusters the provider resolved (the
/// model's EKS clusters are named `<Cluster object>-eks`): they join the
/// trust once observed, which a body composed from nothing cannot know.
/// Literal names stay compared.
fn without_resolved_clusters(role: &mut Value) {
    let Some(text) = role["spec"]["forProvider"]["assumeRolePolicy"].as_str() else {
        return;
    };
    let mut policy: Value = serde_json::from_str(text).unwrap();
    for statement in policy["Statement"].as_array_mut().unwrap() {
        let Some(equals) = statement
            .pointer_mut("/Condition/StringEquals")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let key = "aws:RequestTag/eks-cluster-name";
        if let Some(names) = equals.get_mut(key).and_then(Value::as_array_mut) {
            names.retain(|name| !name.as_str().unwrap_or_default().ends_with("-eks"));
            if names.is_empty() {
                equals.remove(key);
            }
        }
    }
    role["spec"]["forProvider"]["assumeRolePolicy"] = json!(policy.to_string());
}

/// The bodies, sorted, without what only observed state can tell: the
/// associations' and add-ons' external names, and the clusters the
/// provider resolved in the role's trust.
fn sorted_bodies(desired: &BTreeMap<String, Value>) -> Vec<String> {
    let mut bodies: Vec<String> = desired
        .values()
        .map(|body| {
            let mut body = body.clone();
            if body["kind"] == "Role" {
                without_resolved_clusters(&mut body);
            }
            if body["kind"] == "PodIdentityAssociation" || body["kind"] == "Addon" {
                if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
                    if let Some(annotations) = metadata
                        .get_mut("annotations")
                        .and_then(Value::as_object_mut)
                    {
                        annotations.remove("crossplane.io/external-name");
                        if annotations.is_empty() {
                            metadata.remove("annotations");
                        }
                    }
                    if metadata.is_empty() {
                        body.as_object_mut().unwrap().remove("metadata");
                    }
                }
            }
            body.to_string()
        })
        .collect();
    bodies.sort();
    bodies
}

/// Every association running under its key keeps naming its id: server-
/// side apply would otherwise remove the annotation, and the provider
/// create the association again.
fn assert_running_ids_kept(
    step: &str,
    observed: &BTreeMap<String, Value>,
    desired: &BTreeMap<String, Value>,
) {
    for (key, body) in desired {
        if let Some(running) = observed
            .get(key)
            .filter(|_| body["kind"] == "PodIdentityAssociation")
        {
            assert_eq!(
                external_name(body),
                external_name(running),
                "{step}: {key} does not keep its id"
            );
        }
    }
}

fn keys_of(desired: &BTreeMap<String, Value>, kinds: &[&str]) -> Vec<String> {
    desired
        .iter()
        .filter(|(_, body)| kinds.contains(&body["kind"].as_str().unwrap_or_default()))
        .map(|(key, _)| key.clone())
        .collect()
}

/// How the changed claim's composition relates to the running one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// An association or add-on moves to another key: the old one is
    /// deleted, the new one created.
    Replaced,
    /// Every running resource keeps its key.
    InPlace,
}

struct Case {
    name: &'static str,
    reason: &'static str,
    before: Value,
    after: Value,
    shape: Shape,
    /// The reasons of the Warnings, and what their messages must name.
    warnings: &'static [&'static str],
    mentions: &'static [&'static str],
}

fn base() -> Value {
    json!({
        "region": "us-west-2",
        "clusterName": "blue",
        "serviceAccount": {"name": "app", "namespace": "shop"},
        "managedPolicyArns": [S3],
        "inlinePolicy": [{"name": "orders", "policy": POLICY}],
        "tags": {"team": "shop"},
    })
}

/// `parameters` with each pointer set to a value, or removed for `None`.
fn edit(parameters: &Value, edits: &[(&str, Option<Value>)]) -> Value {
    let mut parameters = parameters.clone();
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut parameters
        } else {
            parameters.pointer_mut(parent).unwrap()
        };
        let object = parent.as_object_mut().unwrap();
        match value {
            Some(value) => {
                object.insert(key.to_owned(), value.clone());
            }
            None => {
                object.remove(key);
            }
        }
    }
    parameters
}

fn clusters(names: &[&str]) -> Value {
    let listed: Vec<Value> = names
        .iter()
        .map(|name| json!({"clusterName": name}))
        .collect();
    edit(
        &base(),
        &[("/clusterName", None), ("/clusters", Some(json!(listed)))],
    )
}

fn accounts(names: &[&str]) -> Value {
    let listed: Vec<Value> = names
        .iter()
        .map(|name| json!({"name": name, "namespace": "shop"}))
        .collect();
    edit(
        &base(),
        &[
            ("/serviceAccount", None),
            ("/serviceAccounts", Some(json!(listed))),
        ],
    )
}

fn with_agent(parameters: &Value) -> Value {
    edit(
        parameters,
        &[("/podIdentityAgent", Some(json!({"install": true})))],
    )
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let replaced = |name, reason, before: Value, after: Value| Case {
        name,
        reason,
        before,
        after,
        shape: Shape::Replaced,
        warnings: &[],
        mentions: &[],
    };
    let in_place = |name, reason, before: Value, after: Value| Case {
        name,
        reason,
        before,
        after,
        shape: Shape::InPlace,
        warnings: &[],
        mentions: &[],
    };
    let named = edit(&base(), &[("/roleName", Some(json!("shop.app")))]);
    let pathed = edit(&base(), &[("/rolePath", Some(json!("/apps/")))]);
    vec![
        replaced(
            "service account renamed",
            "EKS fixes the service account: a new association under a derived key, the old deleted",
            base(),
            edit(&base(), &[("/serviceAccount/name", Some(json!("worker")))]),
        ),
        replaced(
            "service account namespace changed",
            "EKS fixes the namespace",
            base(),
            edit(&base(), &[("/serviceAccount/namespace", Some(json!("shop-v2")))]),
        ),
        replaced(
            "clusterName changed",
            "EKS fixes the cluster",
            base(),
            edit(&base(), &[("/clusterName", Some(json!("green")))]),
        ),
        replaced(
            "region changed",
            "a cluster of the same name in another region is another cluster",
            base(),
            edit(&base(), &[("/region", Some(json!("us-east-1")))]),
        ),
        replaced(
            "clusterNameRef changed",
            "another Cluster managed resource is another cluster",
            edit(&base(), &[("/clusterName", None), ("/clusterNameRef", Some(json!({"name": "blue"})))]),
            edit(&base(), &[("/clusterName", None), ("/clusterNameRef", Some(json!({"name": "green"})))]),
        ),
        replaced(
            "clusterNameSelector changed",
            "other labels select another cluster",
            edit(&base(), &[("/clusterName", None), ("/clusterNameSelector", Some(json!({"matchLabels": {"env": "blue"}})))]),
            edit(&base(), &[("/clusterName", None), ("/clusterNameSelector", Some(json!({"matchLabels": {"env": "green"}})))]),
        ),
        replaced(
            "clusters rotated",
            "[blue, green] -> [green, red]: green keeps its key, blue is deleted, red created",
            clusters(&["blue", "green"]),
            clusters(&["green", "red"]),
        ),
        replaced(
            "a listed cluster's region changed",
            "the entry's own region is fixed like the cluster",
            edit(&clusters(&["blue", "green"]), &[("/clusters/1/region", Some(json!("us-east-1")))]),
            edit(&clusters(&["blue", "green"]), &[("/clusters/1/region", Some(json!("eu-west-1")))]),
        ),
        replaced(
            "service accounts rotated",
            "[app, worker] -> [worker, jobs]: worker keeps its key",
            accounts(&["app", "worker"]),
            accounts(&["worker", "jobs"]),
        ),
        replaced(
            "agent: clusterName changed",
            "EKS fixes an add-on's cluster: the agent moves to a derived key too",
            with_agent(&base()),
            with_agent(&edit(&base(), &[("/clusterName", Some(json!("green")))])),
        ),
        replaced(
            "agent: region changed",
            "EKS fixes an add-on's region",
            with_agent(&base()),
            with_agent(&edit(&base(), &[("/region", Some(json!("us-east-1")))])),
        ),
        replaced(
            "agent: clusters rotated",
            "green's agent keeps its key, blue's is deleted, red's created",
            with_agent(&clusters(&["blue", "green"])),
            with_agent(&clusters(&["green", "red"])),
        ),
        Case {
            name: "roleName changed",
            reason: "IAM cannot rename a role: the running name is kept, with a Warning",
            before: named.clone(),
            after: edit(&named, &[("/roleName", Some(json!("shop.orders")))]),
            shape: Shape::InPlace,
            warnings: &[ROLE_NAME_KEPT],
            mentions: &["spec.parameters.roleName", "\"shop.app\"", "\"shop.orders\"", "new claim"],
        },
        Case {
            name: "roleName added",
            reason: "the role runs under its generated name, which is kept",
            before: base(),
            after: named.clone(),
            shape: Shape::InPlace,
            warnings: &[ROLE_NAME_KEPT],
            mentions: &["spec.parameters.roleName", "\"shop.app\"", "remove roleName"],
        },
        Case {
            name: "roleName removed",
            reason: "server-side apply would drop the external name and the provider create a second role: the running name is kept",
            before: named.clone(),
            after: base(),
            shape: Shape::InPlace,
            warnings: &[ROLE_NAME_KEPT],
            mentions: &["spec.parameters.roleName", "\"shop.app\"", "no roleName"],
        },
        Case {
            name: "rolePath changed",
            reason: "IAM fixes a role's path: the running path is kept, with a Warning",
            before: pathed.clone(),
            after: edit(&pathed, &[("/rolePath", Some(json!("/teams/")))]),
            shape: Shape::InPlace,
            warnings: &[ROLE_PATH_KEPT],
            mentions: &["spec.parameters.rolePath", "\"/apps/\"", "\"/teams/\""],
        },
        Case {
            name: "rolePath added",
            reason: "the role runs under /",
            before: base(),
            after: pathed.clone(),
            shape: Shape::InPlace,
            warnings: &[ROLE_PATH_KEPT],
            mentions: &["spec.parameters.rolePath", "\"/\"", "\"/apps/\""],
        },
        Case {
            name: "rolePath removed",
            reason: "no rolePath asks for /, which the running role is not under",
            before: pathed.clone(),
            after: base(),
            shape: Shape::InPlace,
            warnings: &[ROLE_PATH_KEPT],
            mentions: &["spec.parameters.rolePath", "\"/apps/\"", "\"/\""],
        },
        Case {
            name: "associationId changed",
            reason: "another id would take over another association: the running one is kept, with a Warning",
            before: edit(&base(), &[("/associationId", Some(json!("a-0123456789abcdefg")))]),
            after: edit(&base(), &[("/associationId", Some(json!("a-zyxwvutsrqponmlk9")))]),
            shape: Shape::InPlace,
            warnings: &[ASSOCIATION_ID_KEPT],
            mentions: &["spec.parameters.associationId", "\"a-0123456789abcdefg\"", "\"a-zyxwvutsrqponmlk9\"", "new claim"],
        },
        in_place(
            "associationId removed",
            "the adopted association keeps its id: dropping the annotation would make the provider create it again",
            edit(&base(), &[("/associationId", Some(json!("a-0123456789abcdefg")))]),
            base(),
        ),
        in_place(
            "managed policy added",
            "a new attachment; everything else stays",
            base(),
            edit(&base(), &[("/managedPolicyArns", Some(json!([S3, SQS])))]),
        ),
        in_place(
            "inline policy rewritten",
            "IAM updates a policy document in place",
            base(),
            edit(&base(), &[("/inlinePolicy/0/policy", Some(json!(OTHER_POLICY)))]),
        ),
        in_place(
            "tags changed",
            "tags update in place everywhere",
            base(),
            edit(&base(), &[("/tags", Some(json!({"team": "orders", "env": "prod"})))]),
        ),
        in_place(
            "targetRoleArn added",
            "EKS updates the target role in place",
            base(),
            edit(&base(), &[("/targetRoleArn", Some(json!("arn:aws:iam::444455556666:role/data")))]),
        ),
        in_place(
            "session tags disabled",
            "EKS updates disableSessionTags in place",
            base(),
            edit(&base(), &[("/disableSessionTags", Some(json!(true)))]),
        ),
        in_place(
            "boundary, description and session length changed",
            "IAM updates them in place",
            base(),
            edit(
                &base(),
                &[
                    ("/permissionsBoundaryArn", Some(json!("arn:aws:iam::111122223333:policy/boundary"))),
                    ("/roleDescription", Some(json!("Pods of shop/app"))),
                    ("/maxSessionDuration", Some(json!(7200))),
                ],
            ),
        ),
        in_place(
            "a service account added",
            "the running association keeps podIdentityAssociation; the new one gets a derived key",
            base(),
            accounts(&["app", "worker"]),
        ),
        in_place(
            "a cluster added",
            "the running association keeps podIdentityAssociation when the claim grows a list",
            base(),
            clusters(&["blue", "green"]),
        ),
        in_place(
            "agent installed later",
            "the agent goes to the running association's cluster under podIdentityAgent",
            clusters(&["blue", "green"]),
            with_agent(&clusters(&["blue", "green"])),
        ),
    ]
}

#[test]
fn a_running_claim_converges_through_every_change() {
    for namespace in [None, Some("shop")] {
        for case in cases() {
            check(&case, namespace);
        }
    }
}

// One case's whole story reads best in one piece.
#[allow(clippy::too_many_lines)]
fn check(case: &Case, namespace: Option<&str>) {
    let scope = if namespace.is_some() {
        "namespaced"
    } else {
        "cluster"
    };
    let step = |what: &str| format!("{} ({scope}), {what}: {}", case.name, case.reason);
    let nothing = BTreeMap::new();

    // Created, then observed as the provider reports it: a steady state.
    let created = run(&case.before, namespace, &nothing);
    let mut plane = if namespace.is_some() {
        ControlPlane::new(Scope::Namespaced)
    } else {
        ControlPlane::new(Scope::Cluster)
    };
    // An association a claim names by id exists in EKS.
    if let Some(id) = case.before["associationId"].as_str() {
        plane.aws.associations.insert(
            id.to_owned(),
            Association {
                region: "us-west-2".to_owned(),
                cluster: "blue".to_owned(),
                namespace: "shop".to_owned(),
                service_account: "app".to_owned(),
                role_arn: String::new(),
                target_role_arn: None,
                disable_session_tags: false,
                tags: json!({}),
            },
        );
    }
    plane.settle(&created.desired);
    let observed = plane.observed();
    assert_valid(&step("created"), &created.desired, &observed);
    let steady = run(&case.before, namespace, &observed);
    assert_eq!(
        sorted_bodies(&steady.desired),
        sorted_bodies(&created.desired),
        "{}",
        step("steady")
    );
    assert_eq!(
        steady.desired.keys().collect::<Vec<_>>(),
        created.desired.keys().collect::<Vec<_>>(),
        "{}",
        step("steady")
    );
    assert_running_ids_kept(&step("steady"), &observed, &steady.desired);
    assert!(
        steady.warnings.is_empty(),
        "{}: {:?}",
        step("steady"),
        steady.warnings
    );
    assert_status_truthful(&step("steady"), &steady.status, &observed, true);

    // One field changes.
    let changed = run(&case.after, namespace, &observed);
    let what = step("changed");
    assert_valid(&what, &changed.desired, &nothing);
    assert_nothing_replaced_in_place(&what, &observed, &changed.desired);
    assert_running_ids_kept(&what, &observed, &changed.desired);
    assert_status_truthful(&what, &changed.status, &observed, false);
    assert_eq!(
        changed.conditions,
        [(
            "ResourcesSynced".to_owned(),
            i32::from(Status::ConditionTrue)
        )],
        "{what}: every observed resource is synced"
    );
    let reasons: Vec<&str> = changed
        .warnings
        .iter()
        .map(|(reason, _)| reason.as_str())
        .collect();
    assert_eq!(reasons, case.warnings, "{what}: {:?}", changed.warnings);
    for (_, message) in &changed.warnings {
        for part in case.mentions {
            assert!(
                message.contains(part),
                "{what}: {message} does not name {part}"
            );
        }
    }

    // What was asked is composed: the changed claim composed afresh, but
    // for the role's name and path where they are kept.
    let mut asked = run(&case.after, namespace, &nothing).desired;
    let running_role = &observed["iamRole"];
    let role = asked.get_mut("iamRole").unwrap();
    if case.warnings.contains(&ROLE_NAME_KEPT) {
        role["metadata"]["annotations"]["crossplane.io/external-name"] =
            json!(external_name(running_role).unwrap());
    }
    if case.warnings.contains(&ROLE_PATH_KEPT) {
        role["spec"]["forProvider"]["path"] = running_role["status"]["atProvider"]["path"].clone();
    }
    assert_eq!(
        sorted_bodies(&changed.desired),
        sorted_bodies(&asked),
        "{what}: not what was asked"
    );

    let moving = ["PodIdentityAssociation", "Addon"];
    let before_keys = keys_of(&observed, &moving);
    let after_keys = keys_of(&changed.desired, &moving);
    match case.shape {
        Shape::Replaced => {
            assert!(
                before_keys.iter().any(|key| !after_keys.contains(key)),
                "{what}: nothing is deleted: {before_keys:?} -> {after_keys:?}"
            );
            assert!(
                after_keys.iter().any(|key| !before_keys.contains(key)),
                "{what}: nothing is created: {before_keys:?} -> {after_keys:?}"
            );
        }
        Shape::InPlace => {
            for key in observed.keys() {
                assert!(
                    changed.desired.contains_key(key),
                    "{what}: {key} is deleted"
                );
            }
        }
    }

    // The provider catches up: new keys are created, the old deleted, and
    // the next call changes nothing.
    plane.settle(&changed.desired);
    let caught_up = plane.observed();
    let settled = run(&case.after, namespace, &caught_up);
    let what = step("settled");
    assert_valid(&what, &settled.desired, &caught_up);
    assert_nothing_replaced_in_place(&what, &caught_up, &settled.desired);
    assert_running_ids_kept(&what, &caught_up, &settled.desired);
    assert_eq!(
        settled.desired.keys().collect::<Vec<_>>(),
        changed.desired.keys().collect::<Vec<_>>(),
        "{what}: keys still move"
    );
    assert_eq!(
        sorted_bodies(&settled.desired),
        sorted_bodies(&changed.desired),
        "{what}: bodies still change"
    );
    assert_eq!(settled.warnings, changed.warnings, "{what}");
    assert_status_truthful(&what, &settled.status, &caught_up, true);

    // And a fixed point to the byte, resolved clusters and all.
    plane.settle(&settled.desired);
    let last = run(&case.after, namespace, &plane.observed());
    assert_eq!(last.desired, settled.desired, "{}", step("fixed point"));
}
