//! Several clusters and service accounts in one claim: keys, trust policy,
//! status, exclusivity, adoption, labels and Usages.

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render::{render, Rendered};
use serde_json::{json, Value};

fn xr(parameters: &Value, namespace: Option<&str>) -> String {
    let mut metadata = json!({"name": "shop"});
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": metadata,
        "spec": {"parameters": parameters},
    })
    .to_string()
}

fn run(parameters: &Value, namespace: Option<&str>, input: Option<&Value>) -> Rendered {
    let input = input.map(Value::to_string);
    render(
        &Function::default(),
        &xr(parameters, namespace),
        None,
        input.as_deref(),
    )
    .unwrap()
}

fn base(clusters: &[&str], accounts: &[(&str, &str)]) -> Value {
    let mut parameters = json!({
        "region": "us-west-2",
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
    });
    if let [only] = clusters {
        parameters["clusterName"] = json!(only);
    } else {
        parameters["clusters"] = clusters
            .iter()
            .map(|name| json!({"clusterName": name}))
            .collect();
    }
    if let [(namespace, name)] = accounts {
        parameters["serviceAccount"] = json!({"name": name, "namespace": namespace});
    } else {
        parameters["serviceAccounts"] = accounts
            .iter()
            .map(|(namespace, name)| json!({"name": name, "namespace": namespace}))
            .collect();
    }
    parameters
}

fn associations(rendered: &Rendered) -> Vec<(String, String, String, String)> {
    rendered
        .resources
        .iter()
        .filter(|(_, body)| body["kind"] == "PodIdentityAssociation")
        .map(|(key, body)| {
            let p = &body["spec"]["forProvider"];
            (
                key.clone(),
                p["clusterName"].as_str().unwrap().to_owned(),
                p["namespace"].as_str().unwrap().to_owned(),
                p["serviceAccount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn trust(rendered: &Rendered) -> Value {
    let text = rendered.resources["iamRole"]["spec"]["forProvider"]["assumeRolePolicy"]
        .as_str()
        .unwrap();
    serde_json::from_str(text).unwrap()
}

fn assert_valid(rendered: &Rendered) {
    assert!(rendered.fatal.is_empty(), "{:?}", rendered.fatal);
    for (key, body) in &rendered.resources {
        if body["kind"] == "Usage" {
            continue;
        }
        if let Err(errors) = crate::support::crd::validate(body) {
            panic!("{key}: {errors:#?}");
        }
    }
}

#[test]
fn topologies_compose_one_association_per_pair() {
    struct Case {
        name: &'static str,
        reason: &'static str,
        clusters: &'static [&'static str],
        accounts: &'static [(&'static str, &'static str)],
        statements: usize,
        cluster_condition: bool,
    }
    let cases = [
        Case {
            name: "1x1",
            reason: "the single form composes one association under the old key, its literal cluster pinned",
            clusters: &["blue"],
            accounts: &[("shop", "app")],
            statements: 1,
            cluster_condition: true,
        },
        Case {
            name: "2x1",
            reason:
                "two clusters, one account: two associations, one statement pinned to both clusters",
            clusters: &["blue", "green"],
            accounts: &[("shop", "app")],
            statements: 1,
            cluster_condition: true,
        },
        Case {
            name: "1x2",
            reason: "one cluster, two accounts: one statement per account, each pinned to the cluster",
            clusters: &["blue"],
            accounts: &[("shop", "app"), ("shop", "worker")],
            statements: 2,
            cluster_condition: true,
        },
        Case {
            name: "3x2",
            reason: "every cluster times every account",
            clusters: &["blue", "green", "red"],
            accounts: &[("shop", "app"), ("jobs", "worker")],
            statements: 2,
            cluster_condition: true,
        },
    ];
    for case in cases {
        let rendered = run(&base(case.clusters, case.accounts), None, None);
        assert_valid(&rendered);
        let found = associations(&rendered);
        assert_eq!(
            found.len(),
            case.clusters.len() * case.accounts.len(),
            "{}: {}",
            case.name,
            case.reason
        );
        assert!(
            found
                .iter()
                .any(|(key, ..)| key == "podIdentityAssociation"),
            "{}: the first pair keeps the old key",
            case.name
        );
        for (key, ..) in &found {
            assert!(key.len() <= 63, "{}: {key}", case.name);
        }
        let policy = trust(&rendered);
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(
            statements.len(),
            case.statements,
            "{}: {}",
            case.name,
            case.reason
        );
        for statement in statements {
            let equals = &statement["Condition"]["StringEquals"];
            assert_eq!(
                equals.get("aws:RequestTag/eks-cluster-name").is_some(),
                case.cluster_condition,
                "{}: {}",
                case.name,
                case.reason
            );
        }
    }
}

#[test]
fn reordering_the_lists_changes_no_byte() {
    let one = run(
        &base(
            &["blue", "green", "red"],
            &[("shop", "app"), ("jobs", "worker")],
        ),
        None,
        Some(&json!({"usages": true})),
    );
    let other = run(
        &base(
            &["red", "blue", "green"],
            &[("jobs", "worker"), ("shop", "app")],
        ),
        None,
        Some(&json!({"usages": true})),
    );
    assert!(one.fatal.is_empty(), "{:?}", one.fatal);
    assert_eq!(one.resources, other.resources);
}

#[test]
fn bad_topologies_are_one_fatal_naming_each_field() {
    let cases = [
        (
            "both cluster forms",
            {
                let mut p = base(&["blue", "green"], &[("shop", "app")]);
                p["clusterName"] = json!("blue");
                p
            },
            "spec.parameters.clusters: give either clusters or clusterName",
        ),
        (
            "both account forms",
            {
                let mut p = base(&["blue"], &[("shop", "app"), ("shop", "worker")]);
                p["serviceAccount"] = json!({"name": "app", "namespace": "shop"});
                p
            },
            "spec.parameters.serviceAccount: give either serviceAccount or serviceAccounts",
        ),
        (
            "duplicate cluster",
            base(&["blue", "blue"], &[("shop", "app")]),
            "spec.parameters.clusters[1]: the same cluster as clusters[0]",
        ),
        (
            "duplicate account",
            base(&["blue"], &[("shop", "app"), ("shop", "app")]),
            "spec.parameters.serviceAccounts[1]: the same service account as serviceAccounts[0]",
        ),
        (
            "adoption of several",
            {
                let mut p = base(&["blue", "green"], &[("shop", "app")]);
                p["associationId"] = json!("a-abcdefghij0123456");
                p
            },
            "spec.parameters.associationId: adopts one association, but the parameters compose 2",
        ),
        (
            "bad association id",
            {
                let mut p = base(&["blue"], &[("shop", "app")]);
                p["associationId"] = json!("a-short");
                p
            },
            "spec.parameters.associationId: \"a-short\" is not a Pod Identity association id",
        ),
        (
            "crossplane label",
            {
                let mut p = base(&["blue"], &[("shop", "app")]);
                p["labels"] = json!({"crossplane.io/composite": "x", "team": "-bad"});
                p
            },
            "spec.parameters.labels.crossplane.io/composite: \"crossplane.io/composite\": keys under crossplane.io/ are Crossplane's own; spec.parameters.labels.team: \"-bad\" is not a label value",
        ),
        (
            "too many clusters",
            base(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"], &[("shop", "app")]),
            "spec.parameters.clusters: 11 clusters; give 1 to 10",
        ),
    ];
    for (name, parameters, want) in cases {
        let rendered = run(&parameters, None, None);
        assert_eq!(rendered.fatal.len(), 1, "{name}: {:?}", rendered.fatal);
        assert!(
            rendered.fatal[0].contains(want),
            "{name}: want {want:?} in {:?}",
            rendered.fatal[0]
        );
        assert!(rendered.resources.is_empty(), "{name}");
    }
}

#[test]
fn a_trust_policy_past_iams_limit_names_service_accounts() {
    let names: Vec<String> = (0..10).map(|i| format!("{}-{i}", "w".repeat(60))).collect();
    let accounts: Vec<(&str, &str)> = names.iter().map(|name| ("shop", name.as_str())).collect();
    let rendered = run(&base(&["blue"], &accounts), None, None);
    assert_eq!(rendered.fatal.len(), 1, "{:?}", rendered.fatal);
    assert!(
        rendered.fatal[0].contains("spec.parameters.serviceAccounts: the trust policy"),
        "{:?}",
        rendered.fatal
    );
    // Session tags off: one statement without conditions fits.
    let mut parameters = base(&["blue"], &accounts);
    parameters["disableSessionTags"] = json!(true);
    assert_valid(&run(&parameters, None, None));
}

#[test]
fn adoption_and_labels_reach_the_metadata() {
    let mut parameters = base(&["blue"], &[("shop", "app")]);
    parameters["associationId"] = json!("a-abcdefghij0123456");
    parameters["labels"] = json!({"cost-center": "42"});
    let rendered = run(&parameters, None, None);
    assert_valid(&rendered);
    let association = &rendered.resources["podIdentityAssociation"];
    assert_eq!(
        association["metadata"]["annotations"]["crossplane.io/external-name"],
        "a-abcdefghij0123456"
    );
    for (key, body) in &rendered.resources {
        assert_eq!(body["metadata"]["labels"]["cost-center"], "42", "{key}");
    }
}

#[test]
fn usages_hold_the_role_in_both_scopes() {
    let input = json!({"usages": true});
    for (namespace, api_version) in [
        (None, "apiextensions.crossplane.io/v1beta1"),
        (Some("shop"), "protection.crossplane.io/v1beta1"),
    ] {
        let rendered = run(
            &base(&["blue", "green"], &[("shop", "app")]),
            namespace,
            Some(&input),
        );
        assert_valid(&rendered);
        let usages: Vec<(&String, &Value)> = rendered
            .resources
            .iter()
            .filter(|(_, body)| body["kind"] == "Usage")
            .collect();
        // Two associations and one attachment use the role.
        assert_eq!(usages.len(), 3, "{namespace:?}");
        for (key, usage) in usages {
            assert_eq!(usage["apiVersion"], api_version, "{key}");
            assert!(rendered.ready[key], "{key}: a Usage is always ready");
            assert_eq!(usage["spec"]["replayDeletion"], true);
            let of = &usage["spec"]["of"]["resourceSelector"];
            assert_eq!(of["matchControllerRef"], true);
            assert_eq!(
                of["matchLabels"]["eks-pod-identity.fn.crossplane.io/resource"],
                "iamRole"
            );
            let by = usage["spec"]["by"]["resourceSelector"]["matchLabels"]
                ["eks-pod-identity.fn.crossplane.io/resource"]
                .as_str()
                .unwrap();
            assert_eq!(
                rendered.resources[by]["metadata"]["labels"]
                    ["eks-pod-identity.fn.crossplane.io/resource"],
                by,
                "{key}: selects exactly the labelled user"
            );
            assert_eq!(
                usage["metadata"].get("namespace").and_then(Value::as_str),
                namespace
            );
        }
    }
}
