//! A running claim reaches a fixed point whatever form names its cluster:
//! the provider writes a selector's or reference's resolution back beside
//! it, and a running association or agent keeps its key while the claim
//! asks for its cluster the same way.

use std::collections::BTreeMap;

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render::render;
use serde_json::{json, Value};

const SELECTOR: &str = "crossplane.io/composite";

fn xr(parameters: &Value) -> String {
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {"name": "shop"},
        "spec": {"parameters": parameters},
    })
    .to_string()
}

fn compose(parameters: &Value, observed: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let stream: Vec<String> = observed
        .values()
        .map(|body| serde_json::to_string(body).unwrap())
        .collect();
    let stream = stream.join("\n---\n");
    let rendered = render(&Function::default(), &xr(parameters), Some(&stream), None).unwrap();
    assert!(rendered.fatal.is_empty(), "{:?}", rendered.fatal);
    rendered.resources
}

/// What the association and add-on under each key look like once the
/// provider has resolved their cluster and written it back (crossplane-
/// runtime's resolvers set `clusterName`, and `clusterNameRef` for a
/// selector), with the cluster `resolved` reported in `atProvider`.
fn resolved(desired: &BTreeMap<String, Value>, resolved: &str) -> BTreeMap<String, Value> {
    desired
        .iter()
        .map(|(key, body)| {
            let mut body = body.clone();
            body["metadata"]["name"] = json!(format!("shop-{}", key.len()));
            body["metadata"]["annotations"]["crossplane.io/composition-resource-name"] = json!(key);
            let kind = body["kind"].as_str().unwrap_or_default().to_owned();
            if kind == "PodIdentityAssociation" || kind == "Addon" {
                let asked = body["spec"]["forProvider"].clone();
                if asked.get("clusterNameSelector").is_some() {
                    body["spec"]["forProvider"]["clusterNameRef"] = json!({"name": resolved});
                }
                body["spec"]["forProvider"]["clusterName"] = json!(resolved);
                let mut at = json!({"clusterName": resolved, "region": asked["region"]});
                if kind == "PodIdentityAssociation" {
                    at["namespace"] = asked["namespace"].clone();
                    at["serviceAccount"] = asked["serviceAccount"].clone();
                    at["associationId"] = json!("a-0123456789abcdefg");
                    body["metadata"]["annotations"]["crossplane.io/external-name"] =
                        json!("a-0123456789abcdefg");
                }
                body["status"] = json!({"atProvider": at});
            }
            (key.clone(), body)
        })
        .collect()
}

fn upbound(cluster: &Value) -> Value {
    let mut parameters = json!({
        "region": "us-west-2",
        "serviceAccount": {"name": "my-controller", "namespace": "kube-system"},
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
        "podIdentityAgent": {"install": true},
    });
    for (field, value) in cluster.as_object().unwrap() {
        parameters[field] = value.clone();
    }
    parameters
}

fn moving_keys(desired: &BTreeMap<String, Value>) -> Vec<&str> {
    desired
        .iter()
        .filter(|(_, body)| body["kind"] == "PodIdentityAssociation" || body["kind"] == "Addon")
        .map(|(key, _)| key.as_str())
        .collect()
}

struct Case {
    name: &'static str,
    reason: &'static str,
    before: Value,
    after: Value,
    kept: bool,
}

#[test]
fn a_resolved_cluster_keeps_its_key_while_asked_the_same_way() {
    let selector = json!({"clusterNameSelector": {"matchLabels": {SELECTOR: "shop"}}});
    let reference = json!({"clusterNameRef": {"name": "blue"}});
    let cases = [
        Case {
            name: "a selector, resolved",
            reason: "the selector is still what is asked; the resolution written back beside it names the same cluster",
            before: upbound(&selector),
            after: upbound(&selector),
            kept: true,
        },
        Case {
            name: "a reference, resolved",
            reason: "the reference is still what is asked",
            before: upbound(&reference),
            after: upbound(&reference),
            kept: true,
        },
        Case {
            name: "a selector, then the literal name it resolved to",
            reason: "the literal asks for the cluster it runs on",
            before: upbound(&selector),
            after: upbound(&json!({"clusterName": "prod"})),
            kept: true,
        },
        Case {
            name: "a reference, then the literal name it resolved to",
            reason: "the literal asks for the cluster it runs on",
            before: upbound(&reference),
            after: upbound(&json!({"clusterName": "prod"})),
            kept: true,
        },
        Case {
            name: "a selector, then another selector",
            reason: "the provider never resolves a set value again: other labels need a new association",
            before: upbound(&selector),
            after: upbound(&json!({"clusterNameSelector": {"matchLabels": {SELECTOR: "other"}}})),
            kept: false,
        },
        Case {
            name: "a selector, then the reference it resolved to",
            reason: "another form than asked is another association, like every form switch but to a literal",
            before: upbound(&selector),
            after: upbound(&json!({"clusterNameRef": {"name": "prod"}})),
            kept: false,
        },
        Case {
            name: "a reference, then the literal name of another cluster",
            reason: "another cluster",
            before: upbound(&reference),
            after: upbound(&json!({"clusterName": "green"})),
            kept: false,
        },
    ];
    for case in cases {
        let created = compose(&case.before, &BTreeMap::new());
        let running = resolved(&created, "prod");
        let next = compose(&case.after, &running);
        let before = moving_keys(&created);
        let after = moving_keys(&next);
        assert_eq!(
            before,
            ["podIdentityAgent", "podIdentityAssociation"],
            "{}",
            case.name
        );
        if case.kept {
            assert_eq!(after, before, "{}: {}", case.name, case.reason);
            assert_eq!(
                next["podIdentityAssociation"]["metadata"]["annotations"]
                    ["crossplane.io/external-name"],
                json!("a-0123456789abcdefg"),
                "{}: the running association keeps its id",
                case.name
            );
        } else {
            assert!(
                after.iter().all(|key| !before.contains(key)),
                "{}: {}: {before:?} -> {after:?}",
                case.name,
                case.reason
            );
        }
    }
}
