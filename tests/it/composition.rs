//! Table-driven tests of the whole `RunFunction` response, one fixture per
//! reconcile step (nothing observed, role observed, everything ready) and
//! per feature, each emitted resource checked against the provider CRDs.

use prost::Message;
use serde_json::{json, Value};

use crate::support::crd;
use crate::support::function::{assert_same, response_json, run_as_served, Call};

const CNI: &str = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
const CNI_KEY: &str = "attach-amazoneks-cni-policy-1b8873dd";
const INLINE_KEY: &str = "inline-default-8620c5fe";
const KMS_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"*"}]}"#;
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/shop-app-x7k2p";
const ASSOCIATION_ARN: &str =
    "arn:aws:eks:us-west-2:111122223333:podidentityassociation/blue/a-abcdefghijklmnop1";

/// Upbound's example composite, as its users write it.
fn upbound_xr() -> Value {
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {"name": "shop-app"},
        "spec": {"parameters": {
            "region": "us-west-2",
            "clusterNameSelector": {"matchLabels": {"crossplane.io/composite": "blue"}},
            "managedPolicyArns": [CNI],
            "inlinePolicy": [{"name": "default", "policy": KMS_POLICY}],
            "serviceAccount": {"name": "app", "namespace": "shop"},
        }},
    })
}

fn trust_policy(namespace: &str, service_account: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            }},
        }],
    })
    .to_string()
}

/// The tenant every resource composed for an XR made without a claim
/// records.
fn platform_tenant() -> Value {
    json!({"eks-pod-identity.fn.crossplane.io/tenant": "platform.xr"})
}

fn cluster_managed(for_provider: Value) -> Value {
    let mut spec = json!({"providerConfigRef": {"name": "default"}, "deletionPolicy": "Delete"});
    spec["forProvider"] = for_provider;
    spec
}

fn upbound_role() -> Value {
    json!({
        "apiVersion": "iam.aws.upbound.io/v1beta1",
        "kind": "Role",
        "metadata": {"labels": platform_tenant()},
        "spec": cluster_managed(json!({"assumeRolePolicy": trust_policy("shop", "app")})),
    })
}

fn upbound_attachment() -> Value {
    json!({
        "apiVersion": "iam.aws.upbound.io/v1beta1",
        "kind": "RolePolicyAttachment",
        "metadata": {"labels": platform_tenant()},
        "spec": cluster_managed(json!({"policyArn": CNI, "roleSelector": {"matchControllerRef": true}})),
    })
}

fn upbound_inline() -> Value {
    json!({
        "apiVersion": "iam.aws.upbound.io/v1beta1",
        "kind": "RolePolicy",
        "metadata": {"annotations": {"crossplane.io/external-name": "default"}, "labels": platform_tenant()},
        "spec": cluster_managed(json!({"policy": KMS_POLICY, "roleSelector": {"matchControllerRef": true}})),
    })
}

fn upbound_association() -> Value {
    json!({
        "apiVersion": "eks.aws.upbound.io/v1beta1",
        "kind": "PodIdentityAssociation",
        "metadata": {"labels": platform_tenant()},
        "spec": cluster_managed(json!({
            "region": "us-west-2",
            "clusterNameSelector": {"matchLabels": {"crossplane.io/composite": "blue"}},
            "namespace": "shop",
            "serviceAccount": "app",
            "roleArnSelector": {"matchControllerRef": true},
        })),
    })
}

fn conditions(ready: bool) -> Value {
    let status = if ready { "True" } else { "False" };
    json!([
        {"type": "Ready", "status": status, "reason": if ready { "Available" } else { "Creating" }},
        {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
    ])
}

fn observed_role(ready: bool) -> Value {
    let mut role = upbound_role();
    role["metadata"] = json!({"name": "shop-app-x7k2p", "uid": "1"});
    role["status"] = json!({
        "atProvider": {"arn": ROLE_ARN, "id": "shop-app-x7k2p"},
        "conditions": conditions(ready),
    });
    role
}

fn observed_association(ready: bool) -> Value {
    let mut association = upbound_association();
    association["metadata"] = json!({"name": "shop-app-q9z4m"});
    association["status"] = json!({
        "atProvider": {
            "associationId": "a-abcdefghijklmnop1",
            "associationArn": ASSOCIATION_ARN,
            "clusterName": "blue",
        },
        "conditions": conditions(ready),
    });
    association
}

fn observed_ready(mut body: Value) -> Value {
    body["status"] = json!({"conditions": conditions(true)});
    body
}

fn entry(body: Value, ready: bool) -> Value {
    let mut entry = if ready {
        json!({"ready": "READY_TRUE"})
    } else {
        json!({})
    };
    entry["resource"] = body;
    entry
}

/// The condition every call that composes sets: every observed resource
/// reports `Synced=True` (or nothing yet).
fn synced() -> Value {
    json!([{
        "type": "ResourcesSynced",
        "status": "STATUS_CONDITION_TRUE",
        "reason": "Synced",
        "target": "TARGET_COMPOSITE_AND_CLAIM",
    }])
}

fn xr_status(status: Value) -> Value {
    let mut composite = json!({"resource": {
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "status": {},
    }});
    composite["resource"]["status"]["podIdentity"] = status;
    composite
}

/// The status once the role and the association are both observed.
fn full_status() -> Value {
    json!({
        "roleArn": ROLE_ARN,
        "roleName": "shop-app-x7k2p",
        "associationId": "a-abcdefghijklmnop1",
        "associationArn": ASSOCIATION_ARN,
        "clusterName": "blue",
        "associations": [{
            "clusterName": "blue",
            "namespace": "shop",
            "serviceAccount": "app",
            "associationId": "a-abcdefghijklmnop1",
            "associationArn": ASSOCIATION_ARN,
        }],
    })
}

struct Case {
    name: &'static str,
    reason: &'static str,
    call: Call,
    want: Value,
}

fn run(case: &Case) -> Value {
    let response = run_as_served(case.call.request());
    response_json(&response)
}

/// Every managed resource in a response must be one the API server takes.
fn assert_resources_valid(case: &str, response: &Value) {
    let Some(resources) = response["desired"]["resources"].as_object() else {
        return;
    };
    for (key, resource) in resources {
        if let Err(errors) = crd::validate(&resource["resource"]) {
            panic!("{case}: resource {key} is invalid: {errors:#?}");
        }
    }
}

#[test]
// One table of whole responses reads best in one piece.
#[allow(clippy::too_many_lines)]
fn reconcile_steps() {
    let cases = [
        Case {
            name: "nothing observed",
            reason: "First reconcile: compose everything, mark nothing ready, write no status.",
            call: Call {
                xr: Some(upbound_xr()),
                ..Call::default()
            },
            want: json!({
                "meta": {"tag": "tag-1", "ttl": "60s"},
                "conditions": synced(),
                "desired": {"resources": {
                    "iamRole": entry(upbound_role(), false),
                    CNI_KEY: entry(upbound_attachment(), false),
                    INLINE_KEY: entry(upbound_inline(), false),
                    "podIdentityAssociation": entry(upbound_association(), false),
                }},
            }),
        },
        Case {
            name: "role observed",
            reason: "The ready role is marked ready and its ARN and name reach the status; nothing else does.",
            call: Call {
                xr: Some(upbound_xr()),
                observed: vec![("iamRole", observed_role(true))],
                ..Call::default()
            },
            want: json!({
                "meta": {"tag": "tag-1", "ttl": "60s"},
                "conditions": synced(),
                "desired": {
                    "composite": xr_status(json!({
                        "roleArn": ROLE_ARN,
                        "roleName": "shop-app-x7k2p",
                        // Listed as soon as anything is observed; the
                        // cluster is a selector, so its name is not known yet.
                        "associations": [{"namespace": "shop", "serviceAccount": "app"}],
                    })),
                    "resources": {
                        "iamRole": entry(upbound_role(), true),
                        CNI_KEY: entry(upbound_attachment(), false),
                        INLINE_KEY: entry(upbound_inline(), false),
                        "podIdentityAssociation": entry(upbound_association(), false),
                    },
                },
            }),
        },
        Case {
            name: "everything ready",
            reason: "Every resource is ready and the status carries all five identifiers.",
            call: Call {
                xr: Some(upbound_xr()),
                observed: vec![
                    ("iamRole", observed_role(true)),
                    (CNI_KEY, observed_ready(upbound_attachment())),
                    (INLINE_KEY, observed_ready(upbound_inline())),
                    ("podIdentityAssociation", observed_association(true)),
                ],
                ..Call::default()
            },
            want: json!({
                "meta": {"tag": "tag-1", "ttl": "60s"},
                "conditions": synced(),
                "desired": {
                    "composite": xr_status(full_status()),
                    "resources": {
                        "iamRole": entry(upbound_role(), true),
                        CNI_KEY: entry(upbound_attachment(), true),
                        INLINE_KEY: entry(upbound_inline(), true),
                        "podIdentityAssociation": entry(upbound_association(), true),
                    },
                },
            }),
        },
        Case {
            name: "association observed but not ready",
            reason: "Identifiers are reported as soon as observed, readiness only on Ready=True.",
            call: Call {
                xr: Some(upbound_xr()),
                observed: vec![
                    ("iamRole", observed_role(false)),
                    ("podIdentityAssociation", observed_association(false)),
                ],
                ..Call::default()
            },
            want: json!({
                "meta": {"tag": "tag-1", "ttl": "60s"},
                "conditions": synced(),
                "desired": {
                    "composite": xr_status(full_status()),
                    "resources": {
                        "iamRole": entry(upbound_role(), false),
                        CNI_KEY: entry(upbound_attachment(), false),
                        INLINE_KEY: entry(upbound_inline(), false),
                        "podIdentityAssociation": entry(upbound_association(), false),
                    },
                },
            }),
        },
    ];
    for case in &cases {
        let got = run(case);
        assert_same(case.name, case.reason, &case.want, &got);
        assert_resources_valid(case.name, &got);
    }
}

#[test]
fn pass_through() {
    let earlier = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}});
    let context = json!({"apiextensions.crossplane.io/environment": {"team": "shop"}, "count": 3});
    let cases = [
        Case {
            name: "earlier steps kept",
            reason: "Resources and context from earlier pipeline steps pass through beside ours.",
            call: Call {
                xr: Some(upbound_xr()),
                desired: vec![("configMap", earlier.clone())],
                context: Some(context.clone()),
                ..Call::default()
            },
            want: json!({
                "meta": {"tag": "tag-1", "ttl": "60s"},
                "conditions": synced(),
                "desired": {"resources": {
                    "configMap": {"resource": earlier.clone()},
                    "iamRole": entry(upbound_role(), false),
                    CNI_KEY: entry(upbound_attachment(), false),
                    INLINE_KEY: entry(upbound_inline(), false),
                    "podIdentityAssociation": entry(upbound_association(), false),
                }},
                "context": context.clone(),
            }),
        },
        Case {
            name: "no composite",
            reason: "Without an observed XR there is nothing to compose: state passes through untouched.",
            call: Call {
                desired: vec![("configMap", earlier.clone())],
                context: Some(context.clone()),
                ..Call::default()
            },
            want: json!({
                "meta": {"tag": "tag-1", "ttl": "60s"},
                "desired": {"resources": {"configMap": {"resource": earlier.clone()}}},
                "context": context.clone(),
            }),
        },
    ];
    for case in &cases {
        assert_same(case.name, case.reason, &case.want, &run(case));
    }
}

fn with_parameters(change: impl FnOnce(&mut Value)) -> Value {
    let mut xr = upbound_xr();
    change(&mut xr["spec"]["parameters"]);
    xr
}

#[test]
fn bad_input_is_one_fatal_result_naming_every_field() {
    let earlier = json!({"apiVersion": "v1", "kind": "ConfigMap"});
    let xr = with_parameters(|parameters| {
        let object = parameters.as_object_mut().unwrap();
        object.remove("region");
        object.insert(
            "managedPolicyArns".into(),
            json!([CNI, "arn:aws:iam::aws:role/NotAPolicy", CNI]),
        );
        object.insert(
            "inlinePolicy".into(),
            json!([{"name": "bad name", "policy": "{not json"}]),
        );
        object.insert("maxSessionDuration".into(), json!(60));
        object.insert("serviceAccount".into(), json!({"name": "app"}));
    });
    let case = Case {
        name: "several problems",
        reason: "Every problem is reported at its path in one FATAL result; desired state and context pass through.",
        call: Call {
            xr: Some(xr),
            desired: vec![("configMap", earlier.clone())],
            context: Some(json!({"k": "v"})),
            ..Call::default()
        },
        want: json!({
            "meta": {"tag": "tag-1", "ttl": "60s"},
            "desired": {"resources": {"configMap": {"resource": earlier}}},
            "results": [{
                "severity": "SEVERITY_FATAL",
                "reason": "InvalidParameters",
                "message": concat!(
                    "cannot compose EKS Pod Identity: ",
                    "spec.parameters.region: required: the AWS region of the cluster, such as us-west-2; ",
                    "spec.parameters.serviceAccount.namespace: required; ",
                    "spec.parameters.managedPolicyArns[1]: \"arn:aws:iam::aws:role/NotAPolicy\" is not an IAM policy ARN ",
                    "(want arn:aws:iam::<12-digit account or aws>:policy/[path/]name); ",
                    "spec.parameters.managedPolicyArns[2]: arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy is listed twice; ",
                    "managedPolicyArns is a set; ",
                    "spec.parameters.inlinePolicy[0].name: \"bad name\" is not a valid IAM policy name ",
                    "(' ' is not allowed; use letters, digits and + = , . @ _ -); ",
                    "spec.parameters.inlinePolicy[0].policy: is not JSON text: key must be a string at line 1 column 2; ",
                    "spec.parameters.maxSessionDuration: want whole seconds from 3600 to 43200, got the number 60",
                ),
            }],
            "context": {"k": "v"},
        }),
    };
    assert_same(case.name, case.reason, &case.want, &run(&case));
}

#[test]
fn problems_in_defaults_and_references_are_reported_at_their_paths() {
    let xr = with_parameters(|parameters| {
        let object = parameters.as_object_mut().unwrap();
        object.remove("region");
        object.insert(
            "clusterNameSelector".into(),
            json!({"matchControllerRef": true, "namespace": "infra"}),
        );
    });
    let call = Call {
        xr: Some(xr),
        input: Some(json!({"defaults": {
            "region": 7,
            "tags": {"team": 1},
            "podIdentityAgent": {"install": "yes"},
        }})),
        ..Call::default()
    };
    let response = run_as_served(call.request());
    assert_eq!(response.results.len(), 1, "want exactly one result");
    assert_eq!(
        response.results[0].message,
        concat!(
            "cannot compose EKS Pod Identity: ",
            "input.defaults.region: want a string, got the number 7; ",
            "spec.parameters.clusterNameSelector.namespace: only a namespaced XR can refer to a namespace; ",
            "a cluster-scoped XR's managed resources are cluster-scoped; ",
            "input.defaults.tags: tag \"team\" wants a string value, got the number 1; ",
            "input.defaults.podIdentityAgent.install: want true or false, got the string \"yes\"",
        )
    );
}

/// Runs one XR and returns its desired resources as JSON, by key.
fn compose(xr: Value, input: Option<Value>) -> serde_json::Map<String, Value> {
    let call = Call {
        xr: Some(xr),
        input,
        ..Call::default()
    };
    let got = response_json(&run_as_served(call.request()));
    assert!(got.get("results").is_none(), "unexpected results: {got:#}");
    assert_resources_valid("compose", &got);
    got["desired"]["resources"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, entry)| (key.clone(), entry["resource"].clone()))
        .collect()
}

fn fatal_message(xr: Value) -> String {
    let call = Call {
        xr: Some(xr),
        ..Call::default()
    };
    let response = run_as_served(call.request());
    assert_eq!(response.results.len(), 1, "want exactly one result");
    response.results[0].message.clone()
}

#[test]
fn role_settings_reach_the_role() {
    let resources = compose(
        with_parameters(|parameters| {
            parameters["roleName"] = json!("shop-app");
            parameters["rolePath"] = json!("/workloads/");
            parameters["roleDescription"] = json!("Pods of shop/app");
            parameters["maxSessionDuration"] = json!(7200);
            parameters["permissionsBoundaryArn"] =
                json!("arn:aws:iam::111122223333:policy/boundary");
            parameters["tags"] = json!({"team": "shop"});
            parameters["deletionPolicy"] = json!("Orphan");
            parameters["providerConfigName"] = json!("aws-prod");
            parameters["managementPolicies"] =
                json!(["Observe", "Create", "Update", "LateInitialize"]);
        }),
        None,
    );
    assert_same(
        "role settings",
        "Name (as external name), path, description, session, boundary, tags and management settings.",
        &json!({
            "apiVersion": "iam.aws.upbound.io/v1beta1",
            "kind": "Role",
            "metadata": {"annotations": {"crossplane.io/external-name": "shop-app"}, "labels": platform_tenant()},
            "spec": {
                "forProvider": {
                    "assumeRolePolicy": trust_policy("shop", "app"),
                    "path": "/workloads/",
                    "description": "Pods of shop/app",
                    "maxSessionDuration": 7200,
                    "permissionsBoundary": "arn:aws:iam::111122223333:policy/boundary",
                    "tags": {"team": "shop"},
                },
                "providerConfigRef": {"name": "aws-prod"},
                "deletionPolicy": "Orphan",
                "managementPolicies": ["Observe", "Create", "Update", "LateInitialize"],
            },
        }),
        &resources["iamRole"],
    );
    assert_eq!(
        resources["podIdentityAssociation"]["spec"]["forProvider"]["tags"],
        json!({"team": "shop"})
    );
    assert!(
        resources[CNI_KEY]["spec"]["forProvider"]
            .get("tags")
            .is_none(),
        "attachments take no tags"
    );
}

#[test]
fn cross_account_adds_target_and_permission() {
    let target = "arn:aws:iam::444455556666:role/shop-data";
    let resources = compose(
        with_parameters(|parameters| {
            parameters["targetRoleArn"] = json!(target);
            parameters["disableSessionTags"] = json!(true);
        }),
        None,
    );
    let association = &resources["podIdentityAssociation"]["spec"]["forProvider"];
    assert_eq!(association["targetRoleArn"], json!(target));
    assert_eq!(association["disableSessionTags"], json!(true));
    assert_same(
        "target role permission",
        "The role may assume and tag sessions of the target role, as EKS role chaining needs.",
        &json!({
            "apiVersion": "iam.aws.upbound.io/v1beta1",
            "kind": "RolePolicy",
            "metadata": {"annotations": {"crossplane.io/external-name": "eks-pod-identity-target-role"}, "labels": platform_tenant()},
            "spec": cluster_managed(json!({
                "policy": json!({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": target}],
                }).to_string(),
                "roleSelector": {"matchControllerRef": true},
            })),
        }),
        &resources["targetRolePolicy"],
    );
    // Session tags are off, so conditions on them could never match.
    let trust: Value = serde_json::from_str(
        resources["iamRole"]["spec"]["forProvider"]["assumeRolePolicy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(trust["Statement"][0].get("Condition").is_none(), "{trust}");
}

#[test]
fn agent_is_composed_on_request() {
    let resources = compose(
        with_parameters(|parameters| {
            parameters["clusterName"] = json!("blue");
            parameters
                .as_object_mut()
                .unwrap()
                .remove("clusterNameSelector");
            parameters["podIdentityAgent"] = json!({"install": true, "version": "v1.3.4-eksbuild.1", "resolveConflicts": "PRESERVE"});
        }),
        None,
    );
    assert_same(
        "agent",
        "The eks-pod-identity-agent add-on on the same cluster; PRESERVE applies to updates only. \
         Named by the provider's own id, and never deleted with the XR: cluster infrastructure.",
        &json!({
            "apiVersion": "eks.aws.upbound.io/v1beta1",
            "kind": "Addon",
            "metadata": {
                "labels": platform_tenant(),
                "annotations": {"crossplane.io/external-name": "blue:eks-pod-identity-agent"},
            },
            "spec": {
                "providerConfigRef": {"name": "default"},
                "deletionPolicy": "Orphan",
                "managementPolicies": ["Create", "Observe", "Update", "LateInitialize"],
                "forProvider": {
                    "addonName": "eks-pod-identity-agent",
                    "addonVersion": "v1.3.4-eksbuild.1",
                    "clusterName": "blue",
                    "region": "us-west-2",
                    "resolveConflictsOnCreate": "NONE",
                    "resolveConflictsOnUpdate": "PRESERVE",
                },
            },
        }),
        &resources["podIdentityAgent"],
    );
    let without = compose(
        with_parameters(|parameters| parameters["podIdentityAgent"] = json!({"install": false})),
        None,
    );
    assert!(!without.contains_key("podIdentityAgent"));
}

#[test]
fn input_defaults_apply_and_the_xr_wins() {
    let input = json!({
        "apiVersion": "eks-pod-identity.fn.crossplane.io/v1beta1",
        "kind": "Input",
        "defaults": {
            "providerConfigName": "platform",
            "deletionPolicy": "Orphan",
            "tags": {"owner": "platform", "team": "platform"},
            "podIdentityAgent": {"install": true},
        },
    });
    let resources = compose(
        with_parameters(|parameters| parameters["tags"] = json!({"team": "shop"})),
        Some(input),
    );
    let role = &resources["iamRole"]["spec"];
    assert_eq!(role["providerConfigRef"], json!({"name": "platform"}));
    assert_eq!(role["deletionPolicy"], json!("Orphan"));
    assert_eq!(
        role["forProvider"]["tags"],
        json!({"owner": "platform", "team": "shop"})
    );
    assert!(resources.contains_key("podIdentityAgent"));
}

#[test]
fn namespaced_xr_composes_namespaced_resources() {
    let mut xr = upbound_xr();
    xr["kind"] = json!("PodIdentity");
    xr["metadata"]["namespace"] = json!("shop");
    xr["spec"]["parameters"]["deletionPolicy"] = json!("Orphan");
    xr["spec"]["parameters"]["providerConfigKind"] = json!("ProviderConfig");
    let resources = compose(xr, None);
    let namespaced = |mut body: Value, group: &str| {
        body["apiVersion"] = json!(group);
        body["metadata"]["labels"] = json!({"eks-pod-identity.fn.crossplane.io/tenant": "shop"});
        let spec = body["spec"].as_object_mut().unwrap();
        spec.remove("deletionPolicy");
        spec.insert(
            "providerConfigRef".into(),
            json!({"kind": "ProviderConfig", "name": "default"}),
        );
        spec.insert(
            "managementPolicies".into(),
            json!(["Create", "Observe", "Update", "LateInitialize"]),
        );
        body
    };
    // A claim's new role is named within its namespace's space.
    let mut role = namespaced(upbound_role(), "iam.aws.m.upbound.io/v1beta1");
    role["metadata"]["annotations"] = json!({"crossplane.io/external-name": "shop.shop-app"});
    let want = json!({
        "iamRole": role,
        CNI_KEY: namespaced(upbound_attachment(), "iam.aws.m.upbound.io/v1beta1"),
        INLINE_KEY: namespaced(upbound_inline(), "iam.aws.m.upbound.io/v1beta1"),
        "podIdentityAssociation": namespaced(upbound_association(), "eks.aws.m.upbound.io/v1beta1"),
    });
    assert_same(
        "namespaced",
        "Same resources in the .m groups; Orphan becomes management policies without Delete.",
        &want,
        &Value::Object(resources),
    );
}

#[test]
fn namespaced_default_provider_config_is_the_cluster_default() {
    let mut xr = upbound_xr();
    xr["metadata"]["namespace"] = json!("shop");
    let resources = compose(xr, None);
    let spec = &resources["iamRole"]["spec"];
    assert_eq!(
        spec["providerConfigRef"],
        json!({"kind": "ClusterProviderConfig", "name": "default"})
    );
    assert!(spec.get("managementPolicies").is_none());
    assert!(spec.get("deletionPolicy").is_none());
}

#[test]
fn cluster_scoped_output_ignores_namespaced_only_settings() {
    let plain = compose(upbound_xr(), None);
    let with_kind = compose(
        with_parameters(|parameters| parameters["providerConfigKind"] = json!("ProviderConfig")),
        None,
    );
    assert_eq!(plain, with_kind);
}

#[test]
fn responses_are_deterministic_and_keys_follow_entries() {
    let xr = with_parameters(|parameters| {
        parameters["managedPolicyArns"] = json!([
            CNI,
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::111122223333:policy/team/shop-read",
        ]);
        parameters["inlinePolicy"] = json!([
            {"name": "default", "policy": KMS_POLICY},
            {"name": "s3", "policy": KMS_POLICY},
        ]);
        parameters["tags"] = json!({"b": "2", "a": "1", "c": "3"});
    });
    let reordered = with_parameters(|parameters| {
        parameters["managedPolicyArns"] = json!([
            "arn:aws:iam::111122223333:policy/team/shop-read",
            CNI,
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ]);
        parameters["inlinePolicy"] = json!([
            {"name": "s3", "policy": KMS_POLICY},
            {"name": "default", "policy": KMS_POLICY},
        ]);
        parameters["tags"] = json!({"c": "3", "a": "1", "b": "2"});
    });
    let encode = |xr: &Value| {
        let call = Call {
            xr: Some(xr.clone()),
            observed: vec![("iamRole", observed_role(true))],
            ..Call::default()
        };
        run_as_served(call.request()).encode_to_vec()
    };
    let first = encode(&xr);
    assert_eq!(
        first,
        encode(&xr),
        "the same request must give the same bytes"
    );
    assert_eq!(
        first,
        encode(&reordered),
        "reordering lists must not change the response"
    );
    let keys: Vec<String> = compose(xr, None).keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "attach-amazoneks-cni-policy-1b8873dd",
            "attach-readonlyaccess-3204ab3c",
            "attach-shop-read-8aaeffe8",
            "iamRole",
            "inline-default-8620c5fe",
            "inline-s3-b578cde3",
            "podIdentityAssociation",
        ]
    );
}

#[test]
fn limits_are_enforced() {
    let too_many: Vec<String> = (0..21)
        .map(|n| format!("arn:aws:iam::111122223333:policy/p{n}"))
        .collect();
    let large_policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "x".repeat(10_300)}],
    })
    .to_string();
    let tags: serde_json::Map<String, Value> =
        (0..48).map(|n| (format!("k{n}"), json!("v"))).collect();
    let cases: [(&str, Value, &str); 10] = [
        (
            "managed policies",
            json!({"managedPolicyArns": too_many}),
            "managedPolicyArns: 21 policies",
        ),
        (
            "inline size",
            json!({"inlinePolicy": [{"name": "big", "policy": large_policy}]}),
            "inlinePolicy: the inline policies total",
        ),
        ("tag count", json!({"tags": tags}), "tags: 48 tags"),
        (
            "reserved tag",
            json!({"tags": {"aws:x": "y"}}),
            "prefix aws:",
        ),
        (
            "provider tag",
            json!({"tags": {"crossplane-name": "y"}}),
            "set by the provider",
        ),
        (
            "role name",
            json!({"roleName": "r".repeat(65)}),
            "roleName: ",
        ),
        ("role path", json!({"rolePath": "no-slashes"}), "rolePath: "),
        (
            "two clusters",
            json!({"clusterName": "blue"}),
            "give exactly one of clusterName, clusterNameRef and clusterNameSelector",
        ),
        (
            "policy characters",
            json!({"inlinePolicy": [{"name": "p", "policy": "{\"a\":\"\u{263a}\"}"}]}),
            "contains",
        ),
        (
            "region",
            json!({"region": "Oregon"}),
            "is not an AWS region",
        ),
    ];
    for (name, overrides, expected) in cases {
        let xr = with_parameters(|parameters| {
            for (key, value) in overrides.as_object().unwrap() {
                parameters[key] = value.clone();
            }
        });
        let message = fatal_message(xr);
        assert!(
            message.contains(expected),
            "{name}: {message:?} lacks {expected:?}"
        );
    }
}

#[test]
fn references_and_names_pass_to_the_association() {
    let resources = compose(
        with_parameters(|parameters| {
            parameters
                .as_object_mut()
                .unwrap()
                .remove("clusterNameSelector");
            parameters["clusterNameRef"] = json!({"name": "blue", "policy": {"resolve": "Always"}});
        }),
        None,
    );
    assert_eq!(
        resources["podIdentityAssociation"]["spec"]["forProvider"]["clusterNameRef"],
        json!({"name": "blue", "policy": {"resolve": "Always"}})
    );
}

/// The step input's `ttl` is what the answer asks Crossplane for, in place
/// of the function's `--ttl`; an unreadable one is refused at its path, and
/// the answer keeps the function's.
#[test]
fn the_inputs_ttl_is_the_answers() {
    struct Case {
        name: &'static str,
        reason: &'static str,
        ttl: Value,
        want_ttl: &'static str,
        want_fatal: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "absent",
            reason: "no ttl: the function's own (Function::default, 60s)",
            ttl: Value::Null,
            want_ttl: "60s",
            want_fatal: None,
        },
        Case {
            name: "minutes",
            reason: "5m asks to be called again after 300 s",
            ttl: json!("5m"),
            want_ttl: "300s",
            want_fatal: None,
        },
        Case {
            name: "bare seconds",
            reason: "a bare number counts seconds, as --ttl does",
            ttl: json!("90"),
            want_ttl: "90s",
            want_fatal: None,
        },
        Case {
            name: "zero",
            reason: "0 would make Crossplane requeue without pause",
            ttl: json!("0s"),
            want_ttl: "60s",
            want_fatal: Some("input.ttl: \"0s\" is outside 1s to 24h"),
        },
        Case {
            name: "beyond a day",
            reason: "a drifted XR would wait longer than anyone notices",
            ttl: json!("25h"),
            want_ttl: "60s",
            want_fatal: Some("input.ttl: \"25h\" is outside 1s to 24h"),
        },
        Case {
            name: "a number",
            reason: "the CRD declares a string, as Go's durations are written",
            ttl: json!(300),
            want_ttl: "60s",
            want_fatal: Some("input.ttl: want a duration such as 90s, 5m or 1h"),
        },
        Case {
            name: "days",
            reason: "no unit beyond hours",
            ttl: json!("1d"),
            want_ttl: "60s",
            want_fatal: Some("input.ttl: \"1d\" has unit \"d\"; use s, m or h"),
        },
    ];
    for case in cases {
        let call = Call {
            xr: Some(upbound_xr()),
            input: Some(json!({"ttl": case.ttl})),
            ..Call::default()
        };
        let got = response_json(&run_as_served(call.request()));
        let fatal: Vec<&str> = got["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|result| result["severity"] == "SEVERITY_FATAL")
            .map(|result| result["message"].as_str().unwrap())
            .collect();
        assert_same(
            case.name,
            case.reason,
            &json!({"ttl": case.want_ttl, "fatal": case.want_fatal.into_iter().collect::<Vec<_>>()}),
            &json!({"ttl": got["meta"]["ttl"], "fatal": fatal}),
        );
    }
}

/// A cross-account association reports its target role and the external ID
/// EKS generated for it (the provider's `atProvider` fields since v2.0.0):
/// the target role's owner needs that ID for its trust policy. Both appear
/// only once observed, and only as the association reports them.
#[test]
fn a_cross_account_association_reports_its_target_role_and_external_id() {
    const TARGET: &str = "arn:aws:iam::444455556666:role/data";
    const EXTERNAL_ID: &str = "us-west-2/111122223333/blue/shop/app";
    let xr = with_parameters(|parameters| {
        parameters["targetRoleArn"] = json!(TARGET);
    });
    let mut association = observed_association(true);
    association["status"]["atProvider"]["targetRoleArn"] = json!(TARGET);
    association["status"]["atProvider"]["externalId"] = json!(EXTERNAL_ID);
    let status = |observed: Vec<(&'static str, Value)>| {
        let call = Call {
            xr: Some(xr.clone()),
            observed,
            ..Call::default()
        };
        let got = response_json(&run_as_served(call.request()));
        assert!(got.get("results").is_none(), "unexpected results: {got:#}");
        got["desired"]["composite"]["resource"]["status"]["podIdentity"].clone()
    };
    let mut want = full_status();
    want["targetRoleArn"] = json!(TARGET);
    want["externalId"] = json!(EXTERNAL_ID);
    want["associations"][0]["targetRoleArn"] = json!(TARGET);
    want["associations"][0]["externalId"] = json!(EXTERNAL_ID);
    assert_same(
        "observed",
        "the association's target role and external ID reach the status",
        &want,
        &status(vec![
            ("iamRole", observed_role(true)),
            ("podIdentityAssociation", association),
        ]),
    );
    assert_same(
        "not yet observed",
        "the claim's targetRoleArn is not reported before the association says so",
        &full_status(),
        &status(vec![
            ("iamRole", observed_role(true)),
            ("podIdentityAssociation", observed_association(true)),
        ]),
    );
}
