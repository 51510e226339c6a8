//! The baselines judge what a policy grants: every case of the issue that
//! composed under the name-based baselines is refused under both, each
//! refusal naming the statement, the action and the risk with its source;
//! every risk category is refused through a wildcard and a case variant;
//! AWS managed policies are judged by content in every partition; and an
//! honest claim still composes.

use function_eks_pod_identity::iam::arn::Partition;
use function_eks_pod_identity::iam::managed;
use serde_json::{json, Value};

use crate::guardrails::{policy, read, render_with, with, xr, Xr};

const V1: &str = "package/configuration/apis/composition.yaml";
const V2: &str = "package/configuration-v2/apis/composition.yaml";
const STRICT: &str = "examples/guardrails/composition.yaml";

/// The refusals of a claim in team-a with `edits` under `composition`
/// (empty when it composes). The base parameters' own policies give way to
/// an honest one unless `edits` names them.
fn judged(composition: &str, edits: &Value) -> Vec<String> {
    let kind = if composition == V2 {
        Xr::Namespaced("team-a")
    } else {
        Xr::Claim("team-a")
    };
    let mut parameters = with(edits);
    for key in ["inlinePolicy", "managedPolicyArns"] {
        if edits.get(key).is_none() {
            parameters.as_object_mut().unwrap().remove(key);
        }
    }
    parameters["serviceAccount"]["namespace"] = json!("team-a");
    if composition == STRICT {
        parameters["clusterName"] = json!("prod-us-west-2");
    }
    let rendered = render_with(&xr(kind, parameters).to_string(), &read(composition));
    assert_eq!(
        rendered.resources.is_empty(),
        !rendered.fatal.is_empty(),
        "{composition}: composed exactly when not refused"
    );
    rendered.fatal
}

/// The v1 Configuration's Composition with `guardrails` in place of its own.
fn composition_with(guardrails: &Value) -> String {
    let mut composition: Value = serde_norway::from_str(&read(V1)).unwrap();
    for step in composition["spec"]["pipeline"].as_array_mut().unwrap() {
        if step["input"].get("guardrails").is_some() {
            step["input"]["guardrails"] = guardrails.clone();
        }
    }
    composition.to_string()
}

fn inline(statements: &Value) -> Value {
    json!({"inlinePolicy": [{"name": "p", "policy": policy(statements)}]})
}

fn allow(actions: &Value, resource: &str) -> Value {
    inline(&json!([{"Effect": "Allow", "Action": actions, "Resource": resource}]))
}

#[test]
fn every_case_of_the_issue_is_refused_under_both_baselines() {
    let pe = "which carries PrivilegeEscalation (";
    let wide = "refused by guardrails.inlinePolicies.resources.refuseAccountWide";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("access entries make the pod cluster admin", allow(&json!(["eks:CreateAccessEntry", "eks:AssociateAccessPolicy"]), "*"), "eks:CreateAccessEntry, which carries PrivilegeEscalation (AWS docs: Grant IAM users access to Kubernetes with EKS access entries"),
        ("run commands on nodes", allow(&json!("ssm:SendCommand"), "*"), pe),
        ("sessions on nodes", allow(&json!("ssm:StartSession"), "*"), pe),
        ("ssh keys on nodes", allow(&json!("ec2-instance-connect:SendSSHPublicKey"), "*"), pe),
        ("code as any function's role", allow(&json!("lambda:UpdateFunctionCode"), "*"), pe),
        ("a stack's service role", allow(&json!("cloudformation:UpdateStack"), "*"), pe),
        ("a project's service role", allow(&json!("codebuild:StartBuild"), "*"), pe),
        ("permission sets", allow(&json!("sso:*"), "*"), pe),
        ("identity-store users", allow(&json!("identitystore:*"), "*"), pe),
        ("root sessions", allow(&json!("sts:AssumeRoot"), "*"), pe),
        ("every tenant's secrets", allow(&json!("secretsmanager:GetSecretValue"), "*"), wide),
        ("every key's decryption", allow(&json!("kms:Decrypt"), "*"), wide),
        ("blind the account", allow(&json!("cloudtrail:StopLogging"), "*"), "which carries SecurityControls ("),
        ("break other tenants' associations", allow(&json!("eks:DeletePodIdentityAssociation"), "*"), wide),
        ("delete every cluster", allow(&json!("eks:DeleteCluster"), "arn:aws:eks:*:*:cluster/*"), wide),
        ("the Amplify administrator", json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess-Amplify"]}), "managedPolicyArns[0]: arn:aws:iam::aws:policy/AdministratorAccess-Amplify (v"),
        ("the organization", json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"]}), "managedPolicyArns[0]: arn:aws:iam::aws:policy/AWSOrganizationsFullAccess (v"),
        ("every secret", json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/SecretsManagerReadWrite"]}), "managedPolicyArns[0]: arn:aws:iam::aws:policy/SecretsManagerReadWrite (v"),
        ("every node", json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSSMFullAccess"]}), "managedPolicyArns[0]: arn:aws:iam::aws:policy/AmazonSSMFullAccess (v"),
        ("every function", json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/AWSLambda_FullAccess"]}), "managedPolicyArns[0]: arn:aws:iam::aws:policy/AWSLambda_FullAccess (v"),
        ("administrator in China", json!({"managedPolicyArns": ["arn:aws-cn:iam::aws:policy/AdministratorAccess"]}), "arn:aws-cn:iam::aws:policy/AdministratorAccess is refused by guardrails.managedPolicyArns.deny"),
        ("administrator in GovCloud", json!({"managedPolicyArns": ["arn:aws-us-gov:iam::aws:policy/AdministratorAccess"]}), "arn:aws-us-gov:iam::aws:policy/AdministratorAccess is refused by guardrails.managedPolicyArns.deny"),
        ("a customer policy, whatever it grants", json!({"managedPolicyArns": ["arn:aws:iam::111122223333:policy/anything"]}), "is refused by guardrails.managedPolicyArns.byContent: what a customer managed policy grants is unknown"),
        ("a policy AWS does not publish", json!({"managedPolicyArns": ["arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"]}), "AWS publishes no such policy"),
        ("session tags switched off", json!({"disableSessionTags": true}), "true is refused by guardrails.allowDisableSessionTags"),
        ("a tag named like a session tag", json!({"tags": {"kubernetes-namespace": "team-b"}}), "spec.parameters.tags.kubernetes-namespace: the key \"kubernetes-namespace\" is refused by guardrails.tags.deniedKeys"),
        ("another session tag, in another case", json!({"tags": {"EKS-Cluster-Name": "prod"}}), "is refused by guardrails.tags.deniedKeys"),
        ("an administrator's path", json!({"rolePath": "/platform/admin/"}), "\"/platform/admin/\" is refused by guardrails.rolePaths: want one of \"/\", \"/team-a/\""),
    ];
    let mut failures = Vec::new();
    for composition in [V1, V2] {
        for (reason, edits, wanted) in &cases {
            let fatal = judged(composition, edits).join("; ");
            if !fatal.contains(wanted) {
                failures.push(format!(
                    "{composition}: {reason}: want {wanted:?} in {fatal:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_risk_is_refused_through_a_wildcard_and_another_case() {
    let cases = [
        ("EKS:Associate*", "PrivilegeEscalation"),
        ("Redshift:GetClusterCred*", "CredentialExposure"),
        ("GuardDuty:Delete*", "SecurityControls"),
        ("S3:PutBucketPol*", "PermissionsManagement"),
    ];
    let mut failures = Vec::new();
    for composition in [V1, V2, STRICT] {
        for (action, risk) in cases {
            let fatal = judged(
                composition,
                &allow(&json!(action), "arn:aws:s3:::team-a-data"),
            )
            .join("; ");
            if !fatal.contains(&format!("which carries {risk} (")) {
                failures.push(format!("{composition}: {action}: want {risk} in {fatal:?}"));
            }
        }
    }
    // DataAccess is no baseline's: a rule of its own refuses it.
    let guardrails = json!({"inlinePolicies": {"denyRisks": ["DataAccess"]}});
    let composition = composition_with(&guardrails);
    let xr = xr(
        Xr::Claim("team-a"),
        with(&allow(
            &json!("DynamoDB:Get*"),
            "arn:aws:dynamodb:us-west-2:111122223333:table/orders",
        )),
    )
    .to_string();
    let fatal = render_with(&xr, &composition).fatal.join("; ");
    if !fatal.contains("which carries DataAccess (") {
        failures.push(format!("DataAccess: {fatal:?}"));
    }
    // What a NotAction leaves out is granted, and judged.
    let not_action = inline(&json!([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]));
    let fatal = judged(V1, &not_action).join("; ");
    if !fatal.contains("NotAction leaves out") {
        failures.push(format!("NotAction: {fatal:?}"));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn honest_claims_compose_under_every_baseline() {
    let honest = json!({
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"],
        "inlinePolicy": [{"name": "data", "policy": policy(&json!([
            {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": "arn:aws:sqs:us-west-2:111122223333:team-a-orders"},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::team-a-data/*"},
            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": "arn:aws:dynamodb:us-west-2:111122223333:table/team-a-orders"},
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "arn:aws:secretsmanager:us-west-2:111122223333:secret:team-a/db-*"},
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "ecr:GetAuthorizationToken"], "Resource": "*"},
        ]))}],
        "tags": {"team": "orders"},
    });
    for composition in [V1, V2, STRICT] {
        assert_eq!(
            judged(composition, &honest),
            Vec::<String>::new(),
            "{composition}"
        );
    }
    for path in ["/", "/team-a/"] {
        let edits = json!({"rolePath": path});
        assert_eq!(judged(V1, &edits), Vec::<String>::new(), "{path}");
    }
}

/// The managed policies the examples name fare as their examples say.
#[test]
fn the_managed_policies_of_the_examples_fare_as_documented() {
    for (arn, composes) in [
        ("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", true),
        ("arn:aws-cn:iam::aws:policy/AWSXRayDaemonWriteAccess", true),
        (
            "arn:aws-us-gov:iam::aws:policy/AWSXRayDaemonWriteAccess",
            true,
        ),
        ("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy", false),
        ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", false),
        (
            "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
            false,
        ),
        ("arn:aws:iam::aws:policy/AmazonSQSFullAccess", false),
        ("arn:aws:iam::aws:policy/AdministratorAccess", false),
        ("arn:aws:iam::aws:policy/PowerUserAccess", false),
        ("arn:aws:iam::aws:policy/IAMFullAccess", false),
    ] {
        for composition in [V1, V2, STRICT] {
            let fatal = judged(composition, &json!({"managedPolicyArns": [arn]}));
            assert_eq!(
                fatal.is_empty(),
                composes,
                "{composition}: {arn}: {fatal:?}"
            );
        }
    }
}

/// Every AWS managed policy, judged by both baselines: how many each
/// allows is printed (`--nocapture`), and none the issue names slips by.
#[test]
fn every_aws_managed_policy_is_judged() {
    let policies: Vec<String> = managed::get()
        .iter()
        .map(|policy| policy.arn(Partition::Aws))
        .collect();
    assert!(policies.len() > 1000);
    for composition in [V1, V2] {
        let allowed: Vec<&String> = policies
            .iter()
            .filter(|arn| judged(composition, &json!({"managedPolicyArns": [arn]})).is_empty())
            .collect();
        println!(
            "{composition}: {} of {} AWS managed policies allowed",
            allowed.len(),
            policies.len()
        );
        assert!(allowed
            .iter()
            .any(|arn| arn.ends_with("/AWSXRayDaemonWriteAccess")));
        for refused in [
            "AdministratorAccess",
            "AdministratorAccess-Amplify",
            "SecretsManagerReadWrite",
            "AmazonSSMFullAccess",
            "AWSLambda_FullAccess",
            "AWSOrganizationsFullAccess",
            "AmazonEKSClusterPolicy",
        ] {
            assert!(
                !allowed
                    .iter()
                    .any(|arn| arn.ends_with(&format!("/{refused}"))),
                "{composition}: {refused} allowed"
            );
        }
        assert!(
            allowed.len() < policies.len() / 4,
            "{composition}: {}",
            allowed.len()
        );
    }
}
