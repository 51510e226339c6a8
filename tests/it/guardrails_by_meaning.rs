//! Guardrails by what actions do: `inlinePolicies.denyAccessLevels`
//! (patterns expanded against the catalogue, unknown actions refused) and
//! `inlinePolicies.refuseLintErrors`; and the lint's Warning results on a
//! claim, bounded however many findings there are.

use function_eks_pod_identity::function::{Function, MAX_FINDING_RESULTS, POLICY_LINT};
use function_eks_pod_identity::protocol::v1::{RunFunctionResponse, Severity};
use serde_json::{json, Value};

use crate::support::function::{assert_same, run_as_served, run_reporting_as_served, Call};

const PREFIX: &str = "cannot compose EKS Pod Identity: ";
const LEVELS: &str = "refused by guardrails.inlinePolicies.denyAccessLevels";
const LINT: &str = "refused by guardrails.inlinePolicies.refuseLintErrors";

fn policy(statements: &Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn xr(statements: &Value) -> Value {
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {"name": "app-x1", "labels": {"crossplane.io/claim-namespace": "team-a"}},
        "spec": {"parameters": {
            "region": "us-west-2",
            "clusterName": "prod-a",
            "serviceAccount": {"name": "app", "namespace": "team-a"},
            "inlinePolicy": [{"name": "checked", "policy": policy(statements)}],
        }},
    })
}

fn input(inline: &Value) -> Value {
    json!({
        "apiVersion": "eks-pod-identity.fn.crossplane.io/v1beta1",
        "kind": "Input",
        "guardrails": {"inlinePolicies": inline},
    })
}

fn run(statements: &Value, inline: Option<&Value>) -> RunFunctionResponse {
    let call = Call {
        xr: Some(xr(statements)),
        input: inline.map(input),
        ..Call::default()
    };
    run_as_served(call.request())
}

fn messages(response: &RunFunctionResponse, severity: Severity) -> Vec<String> {
    response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(severity))
        .map(|result| result.message.clone())
        .collect()
}

fn allow(action: &str) -> Value {
    json!([{"Effect": "Allow", "Action": [action], "Resource": "*"}])
}

#[test]
fn permissions_management_is_refused_by_what_actions_do() {
    let rule = json!({"denyAccessLevels": ["Permissions management"]});
    // (action, an action it can grant at that level, or None when allowed)
    let cases = [
        ("iam:*", Some("iam:AttachGroupPolicy")),
        ("iam:Put*", Some("iam:PutGroupPolicy")),
        ("*", None),
        ("i*:Attach*", Some("iam:AttachGroupPolicy")),
        ("IAM:attachrolepolicy", Some("iam:AttachRolePolicy")),
        ("s3:GetObject", None),
        ("iam:Get*", None),
        ("sqs:ReceiveMessage", None),
    ];
    for (action, grants) in cases {
        let response = run(&allow(action), Some(&rule));
        let fatal = messages(&response, Severity::Fatal);
        match (action, grants) {
            ("*", _) => {
                assert_eq!(fatal.len(), 1, "{action}: {fatal:?}");
                assert!(fatal[0].contains("Statement[0] Action \"*\" can grant "), "{fatal:?}");
                assert!(fatal[0].ends_with(&format!("(Permissions management), {LEVELS}")), "{fatal:?}");
            }
            (_, Some(granted)) => assert_same(
                action,
                "a pattern that can grant a permissions-management action is refused",
                &json!([format!("{PREFIX}spec.parameters.inlinePolicy[0].policy: Statement[0] Action {action:?} can grant {granted} (Permissions management), {LEVELS}")]),
                &json!(fatal),
            ),
            (_, None) => assert_same(action, "no action it grants manages permissions", &json!([]), &json!(fatal)),
        }
    }
}

#[test]
fn an_action_the_catalogue_does_not_know_is_refused() {
    let rule = json!({"denyAccessLevels": ["Permissions management"]});
    for action in ["s3:GetObjects", "s4:GetObject", "iam:Nothing*", "kms"] {
        let fatal = messages(&run(&allow(action), Some(&rule)), Severity::Fatal);
        assert_same(
            action,
            "its level is unknown, so it is not allowed silently",
            &json!([format!("{PREFIX}spec.parameters.inlinePolicy[0].policy: Statement[0] Action {action:?} names no action of the IAM catalogue ({}), so its access level is unknown, {LEVELS}", function_eks_pod_identity::iam::catalogue::get().version())]),
            &json!(fatal),
        );
    }
    // Without the rule, an unknown action is a finding, not a refusal.
    let response = run(&allow("s3:GetObjects"), None);
    assert!(messages(&response, Severity::Fatal).is_empty());
    assert_eq!(messages(&response, Severity::Warning).len(), 1);
}

#[test]
fn deny_statements_and_other_levels_pass() {
    let rule = json!({"denyAccessLevels": ["Permissions management", "Tagging"]});
    let statements = json!([
        {"Effect": "Deny", "Action": ["iam:*", "nothing:Known"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::orders/*"},
    ]);
    assert!(messages(&run(&statements, Some(&rule)), Severity::Fatal).is_empty());
    let tagging = messages(
        &run(&allow("s3:PutObjectTagging"), Some(&rule)),
        Severity::Fatal,
    );
    assert_same(
        "tagging",
        "each listed level is refused",
        &json!([format!("{PREFIX}spec.parameters.inlinePolicy[0].policy: Statement[0] Action \"s3:PutObjectTagging\" can grant s3:PutObjectTagging (Tagging), {LEVELS}")]),
        &json!(tagging),
    );
}

#[test]
fn not_action_grants_what_it_leaves_out() {
    let rule = json!({"allowNotAction": true, "denyAccessLevels": ["Permissions management"]});
    let open = json!([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"}]);
    let fatal = messages(&run(&open, Some(&rule)), Severity::Fatal);
    assert_eq!(fatal.len(), 1, "{fatal:?}");
    assert!(
        fatal[0].contains("Statement[0] NotAction leaves out, and so grants, "),
        "{fatal:?}"
    );
    assert!(
        fatal[0].ends_with(&format!("(Permissions management), {LEVELS}")),
        "{fatal:?}"
    );
    // Leaving out every action of the level grants none of them.
    let closed = json!([{"Effect": "Allow", "NotAction": ["*"], "Resource": "*"}]);
    assert!(messages(&run(&closed, Some(&rule)), Severity::Fatal).is_empty());
}

#[test]
fn lint_errors_refuse_only_when_asked() {
    let statements = json!([
        {"Effect": "Allow", "Action": ["s3:GetObjects", "s3:PutObject"], "Resource": "*"},
    ]);
    let rule = json!({"refuseLintErrors": true});
    let fatal = messages(&run(&statements, Some(&rule)), Severity::Fatal);
    assert_same(
        "refused",
        "the ERROR is refused; the WARNING (write on *) is not",
        &json!([format!("{PREFIX}spec.parameters.inlinePolicy[0].policy: Statement[0].Action[0] \"s3:GetObjects\": ERROR INVALID_ACTION: s3 has no action \"GetObjects\"; did you mean s3:GetObject?, {LINT}")]),
        &json!(fatal),
    );
    let warnings_only = json!([{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "*"}]);
    let response = run(&warnings_only, Some(&rule));
    assert!(messages(&response, Severity::Fatal).is_empty());
    // A WARNING is neither refused nor a result.
    assert!(response.results.is_empty(), "{:?}", response.results);
    let off = json!({"refuseLintErrors": false});
    assert!(messages(&run(&statements, Some(&off)), Severity::Fatal).is_empty());
}

#[test]
fn malformed_rules_are_refused_at_their_path() {
    let cases = [
        (json!({"denyAccessLevels": ["permissions management"]}), "input.guardrails.inlinePolicies.denyAccessLevels[0]: the string \"permissions management\" is not an access level; known are List, Read, Write, Permissions management, Tagging"),
        (json!({"denyAccessLevels": "Write"}), "input.guardrails.inlinePolicies.denyAccessLevels: want a list, got the string \"Write\""),
        (json!({"refuseLintErrors": "yes"}), "input.guardrails.inlinePolicies.refuseLintErrors: want true or false, got the string \"yes\""),
        (json!({"denyLevels": []}), "input.guardrails.inlinePolicies.denyLevels: unknown guardrail; known are denyActions, allowNotAction, denyAccessLevels, denyRisks, resources, refuseLintErrors"),
    ];
    for (rule, want) in cases {
        let fatal = messages(&run(&allow("s3:GetObject"), Some(&rule)), Severity::Fatal);
        assert_eq!(fatal.len(), 1, "{rule}: {fatal:?}");
        assert!(fatal[0].ends_with(want), "{rule}: {}", fatal[0]);
    }
}

#[test]
fn findings_become_a_bounded_handful_of_warnings() {
    // Hundreds of misspelt actions (as many as IAM's size limit allows):
    // a few results, the rest counted.
    let actions: Vec<String> = (0..400).map(|n| format!("s3:GetObjectz{n}")).collect();
    let response = run(
        &json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}]),
        None,
    );
    let warnings: Vec<_> = response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Warning))
        .collect();
    assert_eq!(warnings.len(), MAX_FINDING_RESULTS + 1);
    assert!(warnings
        .iter()
        .all(|warning| warning.reason.as_deref() == Some(POLICY_LINT)));
    let bytes: usize = warnings.iter().map(|warning| warning.message.len()).sum();
    assert!(bytes <= 16 * 1024, "{bytes} bytes");
    assert_eq!(
        warnings[0].message,
        "spec.parameters.inlinePolicy[0].policy: Statement[0].Action[0] \"s3:GetObjectz0\": ERROR INVALID_ACTION: s3 has no action \"GetObjectz0\"; did you mean s3:GetObject?"
    );
    assert_eq!(
        warnings[MAX_FINDING_RESULTS].message,
        format!("{} more ERROR and SECURITY_WARNING findings in spec.parameters.inlinePolicy; `function-eks-pod-identity lint` lists them all", 400 - MAX_FINDING_RESULTS)
    );
    // Composition goes on.
    assert!(response.desired.unwrap().resources.contains_key("iamRole"));
}

#[test]
fn a_security_warning_is_a_warning_result_beside_the_composition() {
    let response = run(&allow("iam:PassRole"), None);
    let warnings = messages(&response, Severity::Warning);
    assert_eq!(
        warnings,
        ["spec.parameters.inlinePolicy[0].policy: Statement[0].Action[0] \"iam:PassRole\": SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE: iam:PassRole on \"*\" lets the pod hand any role (an administrator's too) to a service it controls; name the roles in Resource or add the iam:PassedToService condition"]
    );
    assert!(response.desired.unwrap().resources.contains_key("iamRole"));
}

#[test]
fn a_statement_the_guardrails_cannot_read_is_refused() {
    let rule = json!({"denyActions": ["iam:*"]});
    let statements = json!([{"Effect": "Allow", "Action": 5, "Resource": "*"}]);
    let fatal = messages(&run(&statements, Some(&rule)), Severity::Fatal);
    assert_same(
        "unreadable",
        "an Action of the wrong type could hide a grant",
        &json!([format!("{PREFIX}spec.parameters.inlinePolicy[0].policy: Statement[0].Action: want a string or a list of strings, got a number, so guardrails.inlinePolicies cannot check it")]),
        &json!(fatal),
    );
    // Elements the guardrails do not read refuse nothing.
    let other = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": 5}]);
    assert!(messages(&run(&other, Some(&rule)), Severity::Fatal).is_empty());
}

#[test]
fn an_unpublished_managed_policy_is_a_warning_result_and_a_finding() {
    let mut xr = xr(
        &json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders/*"}]),
    );
    let wrong = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2";
    xr["spec"]["parameters"]["managedPolicyArns"] = json!([
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        wrong,
        "arn:aws:iam::111122223333:policy/own",
    ]);
    let call = Call {
        xr: Some(xr),
        ..Call::default()
    };
    let outcome = run_reporting_as_served(&Function::default(), call.request());
    // Counted as the metrics count findings, at the entry's field.
    let found: Vec<(String, (&str, &str))> = outcome
        .findings
        .iter()
        .map(|finding| (finding.field(), finding.labels()))
        .collect();
    assert_eq!(
        found,
        [(
            "spec.parameters.managedPolicyArns[1]".to_owned(),
            ("ERROR", "UNPUBLISHED_MANAGED_POLICY")
        )]
    );
    // Shown to the claim's author beside the composition, which goes on.
    let warnings = messages(&outcome.response, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].starts_with(&format!(
            "spec.parameters.managedPolicyArns[1] {wrong:?}: ERROR UNPUBLISHED_MANAGED_POLICY: "
        )),
        "{}",
        warnings[0]
    );
    assert!(messages(&outcome.response, Severity::Fatal).is_empty());
    assert_eq!(
        outcome
            .response
            .results
            .iter()
            .find(|result| result.severity == i32::from(Severity::Warning))
            .and_then(|result| result.reason.as_deref()),
        Some(POLICY_LINT)
    );
}
