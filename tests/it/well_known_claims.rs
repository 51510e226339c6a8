//! Well-known sets and existing roles through the whole function: every
//! add-on composed with its defaults and with scoping in both scopes (the
//! composed policies are exactly the sets `tests/it/well_known.rs` compares
//! with the upstream documents, and every resource validates against its
//! CRD); bad values at their paths; IAM's per-role limits; the guardrail
//! (allowed by name, refused by name, absent, the baselines); `roleArn`
//! (exclusivity, guardrail, both scopes, the associations using it); the
//! status; day 2; and the examples.

use std::collections::BTreeMap;

use function_eks_pod_identity::iam::arn::Partition;
use function_eks_pod_identity::iam::well_known::{AddOn, Applied, Field, FieldKind, Scoping};
use function_eks_pod_identity::protocol::structs::struct_to_json;
use function_eks_pod_identity::protocol::v1::Severity;
use serde_json::{json, Value};

use crate::guardrails::{input, render_with, xr, Xr, PREFIX};
use crate::support::control_plane::{self, ControlPlane, Scope};
use crate::support::crd;
use crate::support::function::{assert_same, resource, run_as_served, Call};
use crate::well_known::{
    AUTHORITY, BUCKET_A as BUCKET, KEY_A as KEY, PARAMETERS, QUEUE, SECRETS, WORKSPACE,
    ZONE_A as ZONE,
};

const SHARED_ROLE: &str = "arn:aws:iam::111122223333:role/shared/team-a-reporting";

/// What one call composed and said.
struct Answer {
    fatal: Vec<String>,
    warnings: Vec<String>,
    resources: BTreeMap<String, Value>,
    status: Value,
}

fn call(xr: Value, step: Option<Value>, observed: &BTreeMap<String, Value>) -> Answer {
    let mut request = Call {
        xr: Some(xr),
        input: step,
        ..Call::default()
    }
    .request();
    request.observed.as_mut().unwrap().resources = observed
        .iter()
        .map(|(key, body)| (key.clone(), resource(body.clone())))
        .collect();
    let response = run_as_served(request);
    let of = |severity: Severity| -> Vec<String> {
        response
            .results
            .iter()
            .filter(|result| result.severity == i32::from(severity))
            .map(|result| result.message.clone())
            .collect()
    };
    let desired = response.desired.clone().unwrap_or_default();
    let status = desired
        .composite
        .as_ref()
        .and_then(|composite| composite.resource.as_ref())
        .map_or(Value::Null, |body| {
            Value::Object(struct_to_json(body).unwrap())["status"]["podIdentity"].clone()
        });
    Answer {
        fatal: of(Severity::Fatal),
        warnings: of(Severity::Warning),
        resources: desired
            .resources
            .iter()
            .map(|(key, resource)| {
                let body = struct_to_json(resource.resource.as_ref().unwrap()).unwrap();
                (key.clone(), Value::Object(body))
            })
            .collect(),
        status,
    }
}

fn compose(xr: Value, step: Option<Value>) -> Answer {
    call(xr, step, &BTreeMap::new())
}

/// A claim's parameters for one service account of `team-a`, with `edits`
/// merged in.
fn parameters(edits: &Value) -> Value {
    let mut parameters = json!({
        "region": "us-east-1",
        "clusterName": "prod-a",
        "serviceAccount": {"name": "addon", "namespace": "team-a"},
    });
    for (key, value) in edits.as_object().unwrap() {
        parameters[key] = value.clone();
    }
    parameters
}

fn with_sets(sets: &Value) -> Value {
    parameters(&json!({ "wellKnownPolicies": sets }))
}

/// The set the claim value `value` asks of `add_on`, rendered by the IAM
/// layer directly: what `tests/it/well_known.rs` compares with upstream.
fn expected(add_on: AddOn, value: &Value) -> Applied {
    let mut scoping = Scoping::new(add_on, Partition::Aws);
    for (name, given) in value.as_object().into_iter().flatten() {
        let field = Field::ALL
            .into_iter()
            .find(|field| field.name() == name)
            .unwrap();
        match field.kind() {
            FieldKind::Flag => scoping.set_flag(field, given.as_bool().unwrap()).unwrap(),
            FieldKind::List => {
                let values: Vec<&str> = given
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                scoping.set_list(field, values).unwrap();
            }
        }
    }
    scoping.render().unwrap()
}

/// Each add-on's claim value with its defaults (required fields given) and
/// fully scoped.
fn claim_values(add_on: AddOn) -> [Value; 2] {
    let (defaults, scoped) = match add_on {
        AddOn::LoadBalancerController | AddOn::EfsCsiDriver | AddOn::CloudWatchObservability => {
            (json!(true), json!({}))
        }
        AddOn::ExternalDns | AddOn::CertManager => (json!(true), json!({"hostedZoneArns": [ZONE]})),
        AddOn::ClusterAutoscaler => (json!(true), json!({"clusterNames": ["prod-a", "prod-b"]})),
        AddOn::EbsCsiDriver => (json!(true), json!({"kmsKeyArns": [KEY]})),
        AddOn::MountpointS3CsiDriver => (
            json!({"bucketArns": [BUCKET]}),
            json!({"bucketArns": [BUCKET], "objectArns": [format!("{BUCKET}/team-a/*")]}),
        ),
        AddOn::ExternalSecrets => (
            json!(true),
            json!({"secretsManagerArns": [SECRETS], "ssmParameterArns": [PARAMETERS], "kmsKeyArns": [KEY]}),
        ),
        AddOn::Velero => (
            json!({"bucketArns": [BUCKET]}),
            json!({"bucketArns": [BUCKET], "kmsKeyArns": [KEY]}),
        ),
        AddOn::VpcCni => (json!(true), json!({"ipv6": true})),
        AddOn::AmazonManagedPrometheus => (json!(true), json!({"workspaceArns": [WORKSPACE]})),
        AddOn::NodeTerminationHandler => (json!(true), json!({"queueArns": [QUEUE]})),
        AddOn::PrivateCaIssuer => (
            json!({"certificateAuthorityArns": [AUTHORITY]}),
            json!({"certificateAuthorityArns": [AUTHORITY]}),
        ),
    };
    [defaults, scoped]
}

/// The policy ARNs of the composed attachments, and the composed set
/// policies by key.
fn permissions(resources: &BTreeMap<String, Value>) -> (Vec<String>, BTreeMap<String, Value>) {
    let mut attached: Vec<String> = resources
        .values()
        .filter(|body| body["kind"] == "RolePolicyAttachment")
        .map(|body| {
            body["spec"]["forProvider"]["policyArn"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    attached.sort();
    let policies = resources
        .iter()
        .filter(|(key, _)| key.starts_with("well-known-"))
        .map(|(key, body)| (key.clone(), body.clone()))
        .collect();
    (attached, policies)
}

fn assert_valid(case: &str, resources: &BTreeMap<String, Value>) {
    for (key, body) in resources {
        if let Err(errors) = crd::validate(body) {
            panic!("{case}: {key} is invalid: {errors:#?}");
        }
    }
}

#[test]
fn every_add_on_composes_its_set_with_defaults_and_with_scoping_in_both_scopes() {
    for add_on in AddOn::ALL {
        for (variant, value) in ["defaults", "scoped"].into_iter().zip(claim_values(add_on)) {
            for scope in [Xr::Direct, Xr::Namespaced("team-a")] {
                let name = add_on.claim_name();
                let case = format!("{name} {variant} {}", matches!(scope, Xr::Direct));
                let claim = xr(scope, with_sets(&json!({ name: value })));
                let answer = compose(claim.clone(), None);
                assert!(answer.fatal.is_empty(), "{case}: {:?}", answer.fatal);
                assert_valid(&case, &answer.resources);

                let want = expected(add_on, &value);
                let (attached, policies) = permissions(&answer.resources);
                let mut want_attached = want.managed_policy_arns.clone();
                want_attached.sort();
                assert_eq!(attached, want_attached, "{case}: attachments");
                let key = format!("well-known-{}", name.to_ascii_lowercase());
                match &want.inline_policy {
                    None => assert!(policies.is_empty(), "{case}: {policies:?}"),
                    Some(document) => {
                        assert_eq!(policies.len(), 1, "{case}");
                        let body = &policies[&key];
                        let text = body["spec"]["forProvider"]["policy"].as_str().unwrap();
                        let got: Value = serde_json::from_str(text).unwrap();
                        assert_same(
                            &case,
                            "the set, as the IAM layer renders it",
                            document,
                            &got,
                        );
                        assert_eq!(
                            control_plane::external_name(body),
                            Some(format!("well-known-{name}").as_str()),
                            "{case}: the inline policy's name in IAM"
                        );
                    }
                }

                // Once AWS has everything, the status names the set.
                let namespace = match scope {
                    Xr::Namespaced(namespace) => Some(namespace),
                    _ => None,
                };
                let observed = control_plane::created("app", namespace, &answer.resources);
                let ready = call(claim, None, &observed);
                assert_eq!(
                    ready.status["wellKnownPolicies"],
                    json!([{"name": name, "source": add_on.source_version()}]),
                    "{case}"
                );
            }
        }
    }
}

#[test]
fn sets_combine_with_the_claims_own_policies_without_duplicates() {
    let cni = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
    let claim = parameters(&json!({
        "managedPolicyArns": [cni],
        "wellKnownPolicies": {"vpcCNI": true, "externalDNS": true},
        "inlinePolicy": [{"name": "own", "policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#}],
    }));
    let answer = compose(xr(Xr::Direct, claim), None);
    assert!(answer.fatal.is_empty(), "{:?}", answer.fatal);
    let (attached, policies) = permissions(&answer.resources);
    assert_eq!(attached, [cni], "the CNI policy is attached once");
    assert_eq!(
        policies.keys().collect::<Vec<_>>(),
        ["well-known-externaldns"]
    );
    assert!(answer
        .resources
        .keys()
        .any(|key| key.starts_with("inline-own-")));
}

/// Each bad value is one FATAL naming every problem at its path.
#[test]
fn bad_values_are_refused_at_their_paths() {
    let at = "spec.parameters.wellKnownPolicies";
    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        (
            "an unknown add-on",
            json!({"externalDns": true}),
            vec![format!("{at}.externalDns: \"externalDns\" is not a well-known add-on; known are loadBalancerController, externalDNS, certManager, clusterAutoscaler, ebsCSIDriver, efsCSIDriver, mountpointS3CSIDriver, externalSecrets, velero, vpcCNI, cloudWatchObservability, amazonManagedPrometheus, nodeTerminationHandler, privateCAIssuer")],
        ),
        (
            "an unknown scoping field",
            json!({"externalDNS": {"zoneArns": [ZONE]}}),
            vec![format!("{at}.externalDNS.zoneArns: \"zoneArns\" is not a scoping field of externalDNS; known are hostedZoneArns")],
        ),
        (
            "a field of an add-on that takes none",
            json!({"loadBalancerController": {"vpcId": "vpc-1"}}),
            vec![format!("{at}.loadBalancerController.vpcId: \"vpcId\" is not a scoping field: loadBalancerController takes none (write true)")],
        ),
        (
            "a value that is neither true nor an object",
            json!({"velero": "yes"}),
            vec![format!("{at}.velero: want true, false or an object of scoping fields, got the string \"yes\"")],
        ),
        (
            "a list that is not one",
            json!({"externalDNS": {"hostedZoneArns": ZONE}}),
            vec![format!("{at}.externalDNS.hostedZoneArns: want a list of strings, got the string {ZONE:?}")],
        ),
        (
            "a flag that is not one",
            json!({"vpcCNI": {"ipv6": "true"}}),
            vec![format!("{at}.vpcCNI.ipv6: want true or false, got the string \"true\"")],
        ),
        (
            "an item that is not a string",
            json!({"externalDNS": {"hostedZoneArns": [ZONE, 7]}}),
            vec![format!("{at}.externalDNS.hostedZoneArns[1]: want a string, got the number 7")],
        ),
        (
            "a required field left out",
            json!({"velero": true}),
            vec![format!("{at}.velero.bucketArns: is required: velero's documentation scopes its policy to your own resources, with no wildcard form")],
        ),
    ];
    for (case, sets, problems) in cases {
        let answer = compose(xr(Xr::Direct, with_sets(&sets)), None);
        assert_eq!(
            answer.fatal,
            [format!("{PREFIX}{}", problems.join("; "))],
            "{case}"
        );
        assert!(answer.resources.is_empty(), "{case}");
    }
}

#[test]
fn bad_arns_and_partitions_are_refused_and_order_changes_nothing() {
    let at = "spec.parameters.wellKnownPolicies";
    // A malformed ARN, and one of another partition, each at its item.
    let answer = compose(
        xr(
            Xr::Direct,
            with_sets(
                &json!({"externalDNS": {"hostedZoneArns": [ZONE, "arn:aws:route53:::hostedzone", "arn:aws-cn:route53:::hostedzone/Z1"]}}),
            ),
        ),
        None,
    );
    let [fatal] = answer.fatal.as_slice() else {
        panic!("{:?}", answer.fatal)
    };
    assert!(
        fatal.contains(&format!("{at}.externalDNS.hostedZoneArns[1]: "))
            && fatal.contains(&format!("{at}.externalDNS.hostedZoneArns[2]: "))
            && !fatal.contains("hostedZoneArns[0]"),
        "{fatal}"
    );

    // An object of many keys is one problem, however many.
    let many: serde_json::Map<String, Value> =
        (0..1000).map(|n| (format!("k{n}"), json!(true))).collect();
    let answer = compose(
        xr(Xr::Direct, with_sets(&json!({"externalDNS": many}))),
        None,
    );
    assert_eq!(
        answer.fatal,
        [format!(
            "{PREFIX}{at}.externalDNS: 1000 keys, more than the scoping fields of externalDNS (hostedZoneArns)"
        )]
    );

    // A region of a partition the sets are not written for.
    let mut claim = with_sets(&json!({"externalDNS": true}));
    claim["region"] = json!("us-iso-east-1");
    let answer = compose(xr(Xr::Direct, claim), None);
    assert_eq!(
        answer.fatal,
        [format!("{PREFIX}{at}: the region us-iso-east-1 is in a partition the well-known sets are not written for; write the policies as inlinePolicy")]
    );

    // false (or null) applies nothing, and order of values changes nothing.
    let off = compose(
        xr(
            Xr::Direct,
            with_sets(&json!({"velero": false, "externalDNS": null})),
        ),
        None,
    );
    assert!(off.fatal.is_empty(), "{:?}", off.fatal);
    assert!(permissions(&off.resources).1.is_empty());
    let one = compose(
        xr(
            Xr::Direct,
            with_sets(
                &json!({"externalDNS": {"hostedZoneArns": [ZONE, "arn:aws:route53:::hostedzone/Z2", ZONE]}}),
            ),
        ),
        None,
    );
    let other = compose(
        xr(
            Xr::Direct,
            with_sets(
                &json!({"externalDNS": {"hostedZoneArns": ["arn:aws:route53:::hostedzone/Z2", ZONE]}}),
            ),
        ),
        None,
    );
    assert_eq!(one.resources, other.resources);
}

#[test]
fn a_claims_inline_policy_may_not_take_a_sets_name() {
    let claim = parameters(&json!({
        "wellKnownPolicies": {"externalDNS": true},
        "inlinePolicy": [{"name": "well-known-externalDNS", "policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#}],
    }));
    let answer = compose(xr(Xr::Direct, claim), None);
    assert_eq!(
        answer.fatal,
        [format!("{PREFIX}spec.parameters.inlinePolicy[0].name: \"well-known-externalDNS\" is the name of the externalDNS set's inline policy; name yours otherwise")]
    );
}

/// IAM's limits hold with the sets counted in: one FATAL names the sets,
/// their sizes and what to split.
#[test]
fn the_sets_count_against_the_roles_limits() {
    // Inline: the load balancer controller's set (5,222 characters) beside
    // a claim's own policy of about 5,000 passes IAM's 10,240 alone, not
    // together.
    let resources: Vec<String> = (0..110)
        .map(|n| format!("arn:aws:sqs:us-east-1:111122223333:queue-{n:02}"))
        .collect();
    let own = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": resources}]}).to_string();
    let claim = parameters(&json!({
        "inlinePolicy": [{"name": "queues", "policy": own}],
        "wellKnownPolicies": {"loadBalancerController": true, "externalDNS": true},
    }));
    let answer = compose(xr(Xr::Direct, claim.clone()), None);
    let [fatal] = answer.fatal.as_slice() else {
        panic!("{:?}", answer.fatal)
    };
    assert!(
        fatal.starts_with(&format!("{PREFIX}spec.parameters.wellKnownPolicies: the inline policies would total "))
            && fatal.contains("(loadBalancerController (5222), externalDNS (286) and ")
            && fatal.ends_with("IAM allows 10240 per role: give some of these add-ons a claim of their own, as each add-on runs under its own service account"),
        "{fatal}"
    );
    // Without the sets the claim composes.
    let mut alone = claim;
    alone.as_object_mut().unwrap().remove("wellKnownPolicies");
    assert!(compose(xr(Xr::Direct, alone), None).fatal.is_empty());

    // Managed: 17 of the claim's own and four of the sets' make 21.
    let own: Vec<String> = (0..17)
        .map(|n| format!("arn:aws:iam::111122223333:policy/workload-{n}"))
        .collect();
    let claim = parameters(&json!({
        "managedPolicyArns": own,
        "wellKnownPolicies": {"ebsCSIDriver": true, "efsCSIDriver": true, "cloudWatchObservability": true},
    }));
    let answer = compose(xr(Xr::Direct, claim), None);
    assert_eq!(
        answer.fatal,
        [format!("{PREFIX}spec.parameters.wellKnownPolicies: with ebsCSIDriver, efsCSIDriver, cloudWatchObservability the role would hold 21 managed policies; IAM attaches at most 20 (10 unless the quota was raised): give some of these add-ons a claim of their own, as each add-on runs under its own service account")]
    );
}

/// The strict guardrails of the tests: what a claim's own policies may not
/// grant, and optionally the `wellKnownPolicies` rule.
fn guardrails(well_known: Option<Value>) -> Value {
    let mut rules = json!({
        "inlinePolicies": {"denyActions": ["iam:*"], "denyAccessLevels": ["Permissions management"]},
        "managedPolicyArns": {"deny": ["arn:aws:iam::aws:policy/service-role/*"]},
    });
    if let Some(rule) = well_known {
        rules["wellKnownPolicies"] = rule;
    }
    input(rules)
}

#[test]
fn the_guardrail_trusts_sets_by_name_refuses_the_others_and_without_it_checks_them() {
    struct Case {
        name: &'static str,
        xr: Xr,
        sets: Value,
        rule: Option<Value>,
        /// The FATAL's problems; empty when composed.
        refused: Vec<String>,
    }
    let lbc = json!({"loadBalancerController": true});
    let path = "spec.parameters.wellKnownPolicies";
    let refusal = |name: &str, wanted: &str| {
        format!("{path}.{name}: {name} is refused by guardrails.wellKnownPolicies: {wanted}. Its set is cluster infrastructure; ask the platform team to allow it, or to compose it from an XR made without a claim")
    };
    let cases = vec![
        Case {
            name: "allowed by name",
            xr: Xr::Claim("team-a"),
            sets: lbc.clone(),
            rule: Some(json!(["loadBalancerController"])),
            refused: vec![],
        },
        Case {
            name: "allowed by *",
            xr: Xr::Namespaced("team-a"),
            sets: json!({"loadBalancerController": true, "ebsCSIDriver": true}),
            rule: Some(json!(["*"])),
            refused: vec![],
        },
        Case {
            name: "refused by name",
            xr: Xr::Claim("team-a"),
            sets: json!({"loadBalancerController": true, "externalDNS": true}),
            rule: Some(json!(["externalDNS"])),
            refused: vec![refusal("loadBalancerController", "claims may ask for externalDNS")],
        },
        Case {
            name: "refused by an empty list",
            xr: Xr::Namespaced("team-a"),
            sets: json!({"externalDNS": true}),
            rule: Some(json!([])),
            refused: vec![refusal("externalDNS", "no add-on is allowed to claims")],
        },
        Case {
            name: "an XR made without a claim passes an empty list",
            xr: Xr::Direct,
            sets: json!({"loadBalancerController": true, "ebsCSIDriver": true}),
            rule: Some(json!([])),
            refused: vec![],
        },
        Case {
            name: "absent: the set is checked like the claim's own policy",
            xr: Xr::Claim("team-a"),
            sets: lbc.clone(),
            rule: None,
            refused: vec![
                format!("{path}.loadBalancerController: Statement[0] Action \"iam:CreateServiceLinkedRole\" can grant \"iam:*\", refused by guardrails.inlinePolicies.denyActions"),
            ],
        },
        Case {
            name: "absent: a set's managed policy is checked like the claim's own",
            xr: Xr::Claim("team-a"),
            sets: json!({"efsCSIDriver": true}),
            rule: None,
            refused: vec![format!("{path}.efsCSIDriver: arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy is refused by guardrails.managedPolicyArns.deny \"arn:aws:iam::aws:policy/service-role/*\"")],
        },
        Case {
            name: "absent: a set within the rules passes",
            xr: Xr::Claim("team-a"),
            sets: json!({"externalDNS": {"hostedZoneArns": [ZONE]}}),
            rule: None,
            refused: vec![],
        },
    ];
    for case in cases {
        let answer = compose(
            xr(case.xr, with_sets(&case.sets)),
            Some(guardrails(case.rule)),
        );
        if case.refused.is_empty() {
            assert!(answer.fatal.is_empty(), "{}: {:?}", case.name, answer.fatal);
            assert!(
                !permissions(&answer.resources).1.is_empty()
                    || !permissions(&answer.resources).0.is_empty(),
                "{}",
                case.name
            );
        } else {
            let [fatal] = answer.fatal.as_slice() else {
                panic!("{}: {:?}", case.name, answer.fatal)
            };
            for problem in &case.refused {
                assert!(
                    fatal.contains(problem.as_str()),
                    "{}: want {problem}\n got {fatal}",
                    case.name
                );
            }
        }
    }

    // A malformed rule is a FATAL at its path.
    let answer = compose(
        xr(Xr::Direct, with_sets(&lbc)),
        Some(input(json!({"wellKnownPolicies": ["loadBalancer", "*"]}))),
    );
    assert_eq!(
        answer.fatal,
        [format!("{PREFIX}input.guardrails.wellKnownPolicies[0]: \"loadBalancer\" is not a well-known add-on; known are loadBalancerController, externalDNS, certManager, clusterAutoscaler, ebsCSIDriver, efsCSIDriver, mountpointS3CSIDriver, externalSecrets, velero, vpcCNI, cloudWatchObservability, amazonManagedPrometheus, nodeTerminationHandler, privateCAIssuer")]
    );
}

fn read(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// The Composition's step input of a package.
fn package_input(package: &str) -> Value {
    let documents =
        crd::yaml_documents(&read(&format!("package/{package}/apis/composition.yaml"))).unwrap();
    documents[0]["spec"]["pipeline"][0]["input"].clone()
}

#[test]
fn the_baselines_refuse_a_claims_sets_and_existing_roles_and_pass_the_platforms_own() {
    for (package, tenant) in [
        ("configuration", Xr::Claim("team-a")),
        ("configuration-v2", Xr::Namespaced("team-a")),
    ] {
        let step = package_input(package);
        let sets = with_sets(&json!({"loadBalancerController": true}));
        let answer = compose(xr(tenant, sets.clone()), Some(step.clone()));
        assert_eq!(
            answer.fatal,
            [format!("{PREFIX}spec.parameters.wellKnownPolicies.loadBalancerController: loadBalancerController is refused by guardrails.wellKnownPolicies: no add-on is allowed to claims. Its set is cluster infrastructure; ask the platform team to allow it, or to compose it from an XR made without a claim")],
            "{package}"
        );
        let existing = parameters(&json!({"roleArn": SHARED_ROLE}));
        let answer = compose(xr(tenant, existing.clone()), Some(step.clone()));
        assert_eq!(
            answer.fatal,
            [format!("{PREFIX}spec.parameters.roleArn: {SHARED_ROLE} is refused by guardrails.roleArns: nothing is allowed; an existing role's own trust policy decides which pods may use it, so leave roleArn out for a role of the claim's own")],
            "{package}"
        );
        if package == "configuration" {
            // The platform's own XR, made without a claim, passes both, and
            // its trusted set is not held to the baseline's iam:* rule.
            let answer = compose(xr(Xr::Direct, sets), Some(step.clone()));
            assert!(answer.fatal.is_empty(), "{:?}", answer.fatal);
            assert!(answer
                .resources
                .contains_key("well-known-loadbalancercontroller"));
            let answer = compose(xr(Xr::Direct, existing), Some(step));
            assert!(answer.fatal.is_empty(), "{:?}", answer.fatal);
        }
    }
}

#[test]
fn an_existing_role_excludes_every_field_of_a_composed_role() {
    let claim = parameters(&json!({
        "roleArn": SHARED_ROLE,
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"],
        "inlinePolicy": [{"name": "q", "policy": r#"{"Version":"2012-10-17","Statement":[]}"#}],
        "wellKnownPolicies": {"externalDNS": true},
        "targetRoleArn": "arn:aws:iam::444455556666:role/data",
        "roleName": "team-a.reporting",
        "rolePath": "/workloads/",
        "roleDescription": "reporting",
        "maxSessionDuration": 7200,
        "permissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary",
    }));
    let answer = compose(xr(Xr::Direct, claim), None);
    let problem = |field: &str| {
        format!("spec.parameters.{field}: is set together with roleArn, which binds an existing role that the function neither composes nor changes; leave one of them out")
    };
    let want: Vec<String> = [
        "managedPolicyArns",
        "inlinePolicy",
        "wellKnownPolicies",
        "targetRoleArn",
        "roleName",
        "rolePath",
        "roleDescription",
        "maxSessionDuration",
        "permissionsBoundaryArn",
    ]
    .into_iter()
    .map(problem)
    .collect();
    assert_eq!(answer.fatal, [format!("{PREFIX}{}", want.join("; "))]);

    // A malformed ARN is refused at its path.
    let answer = compose(
        xr(
            Xr::Direct,
            parameters(&json!({"roleArn": "arn:aws:iam::111122223333:policy/x"})),
        ),
        None,
    );
    let [fatal] = answer.fatal.as_slice() else {
        panic!("{:?}", answer.fatal)
    };
    assert!(
        fatal.starts_with(&format!("{PREFIX}spec.parameters.roleArn: ")),
        "{fatal}"
    );
}

#[test]
fn an_existing_role_composes_only_associations_that_name_it_in_both_scopes() {
    for (scope, namespace) in [
        (Xr::Claim("team-a"), None),
        (Xr::Namespaced("team-a"), Some("team-a")),
    ] {
        let mut claim = parameters(&json!({
            "roleArn": SHARED_ROLE,
            "clusters": [{"clusterName": "prod-a"}, {"clusterName": "prod-b"}],
            "tags": {"team": "a"},
        }));
        claim.as_object_mut().unwrap().remove("clusterName");
        // Usages would hold a composed role: there is none.
        let mut step = input(json!({}));
        step["usages"] = json!(true);
        let claim_xr = xr(scope, claim);
        let answer = compose(claim_xr.clone(), Some(step.clone()));
        assert!(answer.fatal.is_empty(), "{:?}", answer.fatal);
        assert_valid("existing role", &answer.resources);
        let kinds: Vec<&str> = answer
            .resources
            .values()
            .map(|body| body["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["PodIdentityAssociation", "PodIdentityAssociation"]);
        for body in answer.resources.values() {
            let for_provider = &body["spec"]["forProvider"];
            assert_eq!(for_provider["roleArn"], json!(SHARED_ROLE));
            assert!(for_provider.get("roleArnSelector").is_none());
            assert_eq!(for_provider["tags"], json!({"team": "a"}));
        }

        // Observed: the status reports the role the associations report.
        let observed = control_plane::created("app", namespace, &answer.resources);
        let ready = call(claim_xr, Some(step), &observed);
        assert_eq!(ready.status["roleArn"], json!(SHARED_ROLE));
        assert!(ready.status.get("roleName").is_none(), "{}", ready.status);
        assert!(ready.warnings.is_empty(), "{:?}", ready.warnings);
    }
}

#[test]
fn the_role_arn_guardrail_fills_in_the_claims_namespace() {
    let step = input(json!({"roleArns": ["arn:aws:iam::111122223333:role/shared/{namespace}-*"]}));
    let claim = |arn: &str| parameters(&json!({ "roleArn": arn }));
    let own = compose(
        xr(Xr::Claim("team-a"), claim(SHARED_ROLE)),
        Some(step.clone()),
    );
    assert!(own.fatal.is_empty(), "{:?}", own.fatal);
    // Role names compare without case, as IAM compares them.
    let upper = compose(
        xr(
            Xr::Namespaced("team-a"),
            claim("arn:aws:iam::111122223333:role/shared/TEAM-A-reporting"),
        ),
        Some(step.clone()),
    );
    assert!(upper.fatal.is_empty(), "{:?}", upper.fatal);
    let other = "arn:aws:iam::111122223333:role/shared/team-b-reporting";
    let theirs = compose(xr(Xr::Claim("team-a"), claim(other)), Some(step.clone()));
    assert_eq!(
        theirs.fatal,
        [format!("{PREFIX}spec.parameters.roleArn: {other} is refused by guardrails.roleArns: want one of \"arn:aws:iam::111122223333:role/shared/team-a-*\"; an existing role's own trust policy decides which pods may use it, so leave roleArn out for a role of the claim's own")]
    );
    let platform = compose(xr(Xr::Direct, claim(other)), Some(step));
    assert!(platform.fatal.is_empty(), "{:?}", platform.fatal);

    let malformed = compose(
        xr(Xr::Direct, claim(SHARED_ROLE)),
        Some(input(
            json!({"roleArns": ["arn:aws:iam::111122223333:policy/{namespace}"]}),
        )),
    );
    assert_eq!(
        malformed.fatal,
        [format!("{PREFIX}input.guardrails.roleArns[0]: \"arn:aws:iam::111122223333:policy/{{namespace}}\" is not an IAM role ARN pattern (want arn:<partition>:iam::<account>:role/<path and name>, with the wildcards * and ?, and {{namespace}})")]
    );
}

/// The status lists a set only once each of its resources is observed
/// ready.
#[test]
fn the_status_lists_a_set_once_all_its_resources_are_ready() {
    let claim = xr(
        Xr::Direct,
        with_sets(&json!({"ebsCSIDriver": {"kmsKeyArns": [KEY]}, "externalDNS": true})),
    );
    let first = compose(claim.clone(), None);
    assert!(first.status.get("wellKnownPolicies").is_none());
    let mut observed = control_plane::created("app", None, &first.resources);
    // The EBS set's inline policy is not ready yet.
    observed.get_mut("well-known-ebscsidriver").unwrap()["status"]["conditions"] =
        json!([{"type": "Ready", "status": "False", "reason": "Creating"}]);
    let partly = call(claim.clone(), None, &observed);
    assert_eq!(
        partly.status["wellKnownPolicies"],
        json!([{"name": "externalDNS", "source": AddOn::ExternalDns.source_version()}])
    );
    // Its attachment gone (deleted by hand): still not listed.
    let mut observed = control_plane::created("app", None, &first.resources);
    let attachment = observed
        .iter()
        .find(|(_, body)| body["kind"] == "RolePolicyAttachment")
        .map(|(key, _)| key.clone())
        .unwrap();
    observed.remove(&attachment);
    let partly = call(claim.clone(), None, &observed);
    assert_eq!(
        partly.status["wellKnownPolicies"].as_array().unwrap().len(),
        1
    );
    let observed = control_plane::created("app", None, &first.resources);
    let all = call(claim, None, &observed);
    assert_eq!(
        all.status["wellKnownPolicies"],
        json!([
            {"name": "externalDNS", "source": AddOn::ExternalDns.source_version()},
            {"name": "ebsCSIDriver", "source": AddOn::EbsCsiDriver.source_version()},
        ])
    );
}

/// One day-2 edit of a running claim.
struct Change {
    name: &'static str,
    before: Value,
    after: Value,
    /// Keys that must be gone after the change, and keys that must be new.
    gone: &'static [&'static str],
    new: &'static [&'static str],
}

/// The edits the day-2 test makes, each from a running claim.
fn day_two_changes() -> Vec<Change> {
    vec![
        Change {
            name: "scoping a set updates its policy in place",
            before: with_sets(&json!({"externalDNS": true})),
            after: with_sets(&json!({"externalDNS": {"hostedZoneArns": [ZONE]}})),
            gone: &[],
            new: &[],
        },
        Change {
            name: "adding a set adds its resources only",
            before: with_sets(&json!({"externalDNS": true})),
            after: with_sets(&json!({"externalDNS": true, "certManager": true})),
            gone: &[],
            new: &["well-known-certmanager"],
        },
        Change {
            name: "turning a set off removes its resources only",
            before: with_sets(&json!({"externalDNS": true, "certManager": true})),
            after: with_sets(&json!({"externalDNS": true, "certManager": false})),
            gone: &["well-known-certmanager"],
            new: &[],
        },
        Change {
            name: "the CNI's IPv6 flag swaps the managed policy for the inline one",
            before: with_sets(&json!({"vpcCNI": true})),
            after: with_sets(&json!({"vpcCNI": {"ipv6": true}})),
            gone: &["attach-amazoneks-cni-policy-1b8873dd"],
            new: &["well-known-vpccni"],
        },
        Change {
            name: "listing a set's managed policy by hand moves nothing",
            before: with_sets(&json!({"vpcCNI": true})),
            after: parameters(
                &json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]}),
            ),
            gone: &[],
            new: &[],
        },
        Change {
            name: "moving to an existing role drops the composed role, keeps the association",
            before: with_sets(&json!({"externalDNS": true})),
            after: parameters(&json!({"roleArn": SHARED_ROLE})),
            gone: &["iamRole", "well-known-externaldns"],
            new: &[],
        },
        Change {
            name: "pointing at another existing role updates the association in place",
            before: parameters(&json!({"roleArn": SHARED_ROLE})),
            after: parameters(
                &json!({"roleArn": "arn:aws:iam::111122223333:role/shared/team-a-batch"}),
            ),
            gone: &[],
            new: &[],
        },
        Change {
            name: "moving from an existing role composes one, keeps the association",
            before: parameters(&json!({"roleArn": SHARED_ROLE})),
            after: with_sets(&json!({"externalDNS": true})),
            gone: &[],
            new: &["iamRole", "well-known-externaldns"],
        },
    ]
}

/// Day 2: compose, let the provider report everything, change one field,
/// compose again. Keys stay with what they serve, and nothing AWS fixes at
/// creation is asked of a running resource.
#[test]
fn day_two_changes_keep_keys_and_replace_nothing_in_place() {
    let association = "podIdentityAssociation";
    for change in day_two_changes() {
        for (scope, namespace) in [
            (Xr::Direct, None),
            (Xr::Namespaced("team-a"), Some("team-a")),
        ] {
            let first = compose(xr(scope, change.before.clone()), None);
            assert!(first.fatal.is_empty(), "{}: {:?}", change.name, first.fatal);
            let mut plane = match namespace {
                Some(namespace) => ControlPlane::new(Scope::Namespaced).in_namespace(namespace),
                None => ControlPlane::new(Scope::Cluster),
            }
            .named("app");
            plane.settle(&first.resources);
            let running = plane.observed();
            let second = call(xr(scope, change.after.clone()), None, &running);
            assert!(
                second.fatal.is_empty(),
                "{}: {:?}",
                change.name,
                second.fatal
            );
            assert!(
                second.warnings.is_empty(),
                "{}: {:?}",
                change.name,
                second.warnings
            );
            assert_valid(change.name, &second.resources);
            for key in change.gone {
                assert!(
                    running.contains_key(*key),
                    "{}: {key} ran before",
                    change.name
                );
                assert!(
                    !second.resources.contains_key(*key),
                    "{}: {key} is gone",
                    change.name
                );
            }
            for key in change.new {
                assert!(!running.contains_key(*key), "{}: {key} is new", change.name);
                assert!(
                    second.resources.contains_key(*key),
                    "{}: {key} is new",
                    change.name
                );
            }
            // Every other key keeps running, the association among them, and
            // keeps its id.
            for key in first.resources.keys() {
                if !change.gone.contains(&key.as_str()) {
                    assert!(
                        second.resources.contains_key(key),
                        "{}: {key} kept",
                        change.name
                    );
                }
            }
            assert_eq!(
                control_plane::external_name(&second.resources[association]),
                control_plane::external_name(&running[association]),
                "{}: the association keeps its id",
                change.name
            );
            // The provider catches up: the status follows what runs.
            plane.settle(&second.resources);
            let caught_up = plane.observed();
            let third = call(xr(scope, change.after.clone()), None, &caught_up);
            assert_eq!(
                third.resources, second.resources,
                "{}: converged",
                change.name
            );
            let role_arn = third.status["roleArn"].as_str().unwrap();
            if let Some(existing) = change.after.get("roleArn") {
                assert_eq!(role_arn, existing, "{}", change.name);
            } else {
                assert_ne!(role_arn, SHARED_ROLE, "{}", change.name);
            }
        }
    }
}

#[test]
fn the_examples_render_under_their_composition() {
    let composition = read("examples/well-known/composition.yaml");
    let three = render_with(
        &read("examples/well-known/three-add-ons-xr.yaml"),
        &composition,
    );
    assert!(three.fatal.is_empty(), "{:?}", three.fatal);
    let mut keys: Vec<&str> = three
        .resources
        .keys()
        .filter(|key| key.starts_with("well-known-"))
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "well-known-certmanager",
            "well-known-externaldns",
            "well-known-loadbalancercontroller"
        ]
    );
    let dns = three.resources["well-known-externaldns"]["spec"]["forProvider"]["policy"]
        .as_str()
        .unwrap();
    assert!(
        dns.contains("hostedzone/Z0123456789ABCDEFGHIJ") && !dns.contains("hostedzone/*"),
        "{dns}"
    );
    assert_eq!(three.findings, Vec::<String>::new());
    for (key, body) in &three.resources {
        assert!(crd::validate(body).is_ok(), "{key}");
    }

    let existing = render_with(
        &read("examples/well-known/existing-role-xr.yaml"),
        &composition,
    );
    assert!(existing.fatal.is_empty(), "{:?}", existing.fatal);
    assert_eq!(
        existing.resources.keys().collect::<Vec<_>>(),
        ["podIdentityAssociation"]
    );
    assert_eq!(
        existing.resources["podIdentityAssociation"]["spec"]["forProvider"]["roleArn"],
        json!("arn:aws:iam::111122223333:role/shared/team-a-reporting")
    );

    // The same XRs under the shipped baseline are refused: the example's
    // Composition is what allows them.
    let baseline = read("package/configuration/apis/composition.yaml");
    for file in ["three-add-ons-xr.yaml", "existing-role-xr.yaml"] {
        let refused = render_with(&read(&format!("examples/well-known/{file}")), &baseline);
        assert_eq!(refused.fatal.len(), 1, "{file}");
    }
}
