//! A claim takes over nothing it does not own: the guardrails on role
//! names, association ids, provider configs, deletion and management
//! policies and tags, each accepted and refused on cluster-scoped XRs (with
//! and without a claim) and namespaced XRs; malformed rules; forced tags on
//! every taggable resource; the shipped baselines against every way the
//! issue found to take something over; and the same rules on update.

use std::collections::BTreeMap;

use function_eks_pod_identity::protocol::structs::struct_to_json;
use serde_json::{json, Map, Value};

use crate::guardrails::{input, policy, read, render_with, with, xr, Xr, PREFIX};
use crate::support::function::{assert_same, fatal_messages, response_json, run_as_served, Call};

/// What one call answered: its FATAL messages and its desired resources.
struct Answer {
    fatal: Vec<String>,
    resources: BTreeMap<String, Value>,
}

fn step(guardrails: &Value, defaults: &Value) -> Value {
    let mut step = input(guardrails.clone());
    if !defaults.is_null() {
        step["defaults"] = defaults.clone();
    }
    step
}

fn call(xr: Value, step: Value, observed: Vec<(&'static str, Value)>) -> Answer {
    let call = Call {
        xr: Some(xr),
        input: Some(step),
        observed,
        ..Call::default()
    };
    let response = run_as_served(call.request());
    let fatal = fatal_messages(&response);
    let resources = response
        .desired
        .iter()
        .flat_map(|desired| &desired.resources)
        .filter_map(|(key, resource)| {
            let body = resource.resource.as_ref()?;
            Some((key.clone(), Value::Object(struct_to_json(body).unwrap())))
        })
        .collect();
    Answer { fatal, resources }
}

fn refusal(problems: &[&str]) -> Vec<String> {
    if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!("{PREFIX}{}", problems.join("; "))]
    }
}

struct Rule {
    name: &'static str,
    reason: &'static str,
    xr: Xr,
    edits: Value,
    guardrails: Value,
    /// The Composition's defaults; null for none.
    defaults: Value,
    /// The problems of the one FATAL, in order; empty when accepted.
    refused: &'static [&'static str],
}

const ORG_ROLE: &str = "OrganizationAccountAccessRole";
const ASSOCIATION: &str = "a-0123456789abcdefg";

#[allow(clippy::too_many_lines)] // One table: splitting it would scatter the cases.
fn rules() -> Vec<Rule> {
    let namespaced_names = json!({"roleNames": ["{namespace}.*"]});
    let only_default = json!({"providerConfigNames": ["default"]});
    vec![
        // roleNames
        Rule {
            name: "role named after the claim's namespace",
            reason: "{namespace} stands for the claim's namespace",
            xr: Xr::Claim("team-a"),
            edits: json!({"roleName": "team-a.orders"}),
            guardrails: namespaced_names.clone(),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "role named after the namespaced XR's namespace",
            reason: "a namespaced XR's own namespace is the claim's",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"roleName": "team-a.orders"}),
            guardrails: namespaced_names.clone(),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "role names compare without case",
            reason: "IAM tells role names apart without case, so TEAM-A.orders is team-a.orders",
            xr: Xr::Claim("team-a"),
            edits: json!({"roleName": "TEAM-A.orders"}),
            guardrails: namespaced_names.clone(),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "a role the claim does not own",
            reason: "the role AWS Organizations makes in every account matches no pattern",
            xr: Xr::Claim("team-a"),
            edits: json!({"roleName": ORG_ROLE}),
            guardrails: namespaced_names.clone(),
            defaults: Value::Null,
            refused: &["spec.parameters.roleName: OrganizationAccountAccessRole is refused by guardrails.roleNames: want one of \"team-a.*\"; leave roleName out for a generated, unique name"],
        },
        Rule {
            name: "the period separates namespaces",
            reason: "team.* does not match team-a.orders, so team cannot take team-a's roles",
            xr: Xr::Namespaced("team"),
            edits: json!({"roleName": "team-a.orders", "serviceAccount": {"name": "app", "namespace": "team"}}),
            guardrails: namespaced_names.clone(),
            defaults: Value::Null,
            refused: &["spec.parameters.roleName: team-a.orders is refused by guardrails.roleNames: want one of \"team.*\"; leave roleName out for a generated, unique name"],
        },
        Rule {
            name: "a literal pattern beside the namespace",
            reason: "patterns without {namespace} apply as written",
            xr: Xr::Namespaced("team-b"),
            edits: json!({"roleName": "shared-reader"}),
            guardrails: json!({"roleNames": ["{namespace}.*", "shared-*"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "no role name allowed",
            reason: "[] refuses every roleName",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"roleName": "team-a.orders"}),
            guardrails: json!({"roleNames": []}),
            defaults: Value::Null,
            refused: &["spec.parameters.roleName: team-a.orders is refused by guardrails.roleNames: nothing is allowed; leave roleName out for a generated, unique name"],
        },
        Rule {
            name: "no role name given",
            reason: "a generated name adopts nothing, whatever the rule",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: json!({"roleNames": []}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "role name of an XR made without a claim",
            reason: "its author has cluster-wide rights, as for SameAsClaim",
            xr: Xr::Direct,
            edits: json!({"roleName": ORG_ROLE}),
            guardrails: json!({"roleNames": []}),
            defaults: Value::Null,
            refused: &[],
        },
        // allowAssociationId
        Rule {
            name: "association id refused",
            reason: "allowAssociationId: false refuses adopting an association",
            xr: Xr::Claim("team-a"),
            edits: json!({"associationId": ASSOCIATION}),
            guardrails: json!({"allowAssociationId": false}),
            defaults: Value::Null,
            refused: &["spec.parameters.associationId: a-0123456789abcdefg is refused by guardrails.allowAssociationId: a claim may not adopt an existing association; leave associationId out"],
        },
        Rule {
            name: "association id refused on a namespaced XR",
            reason: "the rule holds in both scopes",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"associationId": ASSOCIATION}),
            guardrails: json!({"allowAssociationId": false}),
            defaults: Value::Null,
            refused: &["spec.parameters.associationId: a-0123456789abcdefg is refused by guardrails.allowAssociationId: a claim may not adopt an existing association; leave associationId out"],
        },
        Rule {
            name: "association id of an XR made without a claim",
            reason: "the platform's own XR, made with cluster-wide rights, may adopt",
            xr: Xr::Direct,
            edits: json!({"associationId": ASSOCIATION}),
            guardrails: json!({"allowAssociationId": false}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "association id allowed",
            reason: "allowAssociationId: true lets it through",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"associationId": ASSOCIATION}),
            guardrails: json!({"allowAssociationId": true}),
            defaults: Value::Null,
            refused: &[],
        },
        // providerConfigNames
        Rule {
            name: "another account's provider config from a claim",
            reason: "a cluster-scoped XR's ProviderConfig is cluster-wide",
            xr: Xr::Claim("team-a"),
            edits: json!({"providerConfigName": "root-admin"}),
            guardrails: only_default.clone(),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\""],
        },
        Rule {
            name: "another account's provider config without a claim",
            reason: "the rule holds for every cluster-scoped XR",
            xr: Xr::Direct,
            edits: json!({"providerConfigName": "root-admin"}),
            guardrails: only_default.clone(),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\""],
        },
        Rule {
            name: "a listed provider config",
            reason: "a name matching a pattern is accepted",
            xr: Xr::Claim("team-a"),
            edits: json!({"providerConfigName": "team-a-aws"}),
            guardrails: json!({"providerConfigNames": ["default", "team-*"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "a ClusterProviderConfig by default kind",
            reason: "a namespaced XR's default kind is ClusterProviderConfig, which is cluster-wide",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "root-admin"}),
            guardrails: only_default.clone(),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\""],
        },
        Rule {
            name: "a ClusterProviderConfig by explicit kind",
            reason: "naming the kind changes nothing",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "root-admin", "providerConfigKind": "ClusterProviderConfig"}),
            guardrails: only_default.clone(),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\""],
        },
        Rule {
            name: "the tenant's own ProviderConfig without a kinds rule",
            reason: "providerConfigNames restricts cluster-wide configs only; providerConfigKinds is the rule on kinds",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "root-admin", "providerConfigKind": "ProviderConfig"}),
            guardrails: only_default.clone(),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "a tenant-chosen ProviderConfig under providerConfigKinds",
            reason: "a namespaced ProviderConfig may use the provider's own identity, the platform's credentials",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "root-admin", "providerConfigKind": "ProviderConfig"}),
            guardrails: json!({"providerConfigNames": ["default"], "providerConfigKinds": ["ClusterProviderConfig"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigKind: ProviderConfig is refused by guardrails.providerConfigKinds: want one of \"ClusterProviderConfig\"; a namespaced ProviderConfig may use the provider's own credentials, the platform's"],
        },
        Rule {
            name: "a ProviderConfig the platform allows",
            reason: "a platform whose namespaces' ProviderConfigs are its own lists the kind",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "aws", "providerConfigKind": "ProviderConfig"}),
            guardrails: json!({"providerConfigNames": ["default"], "providerConfigKinds": ["ClusterProviderConfig", "ProviderConfig"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "the platform's default ProviderConfig kind",
            reason: "a kind from the Composition's defaults is the platform's and never checked",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "aws"}),
            guardrails: json!({"providerConfigKinds": ["ClusterProviderConfig"]}),
            defaults: json!({"providerConfigKind": "ProviderConfig"}),
            refused: &[],
        },
        Rule {
            name: "the kinds rule on a cluster-scoped XR",
            reason: "a cluster-scoped XR has no providerConfigKind: its ProviderConfig is cluster-wide, which providerConfigNames judges",
            xr: Xr::Claim("team-a"),
            edits: json!({"providerConfigName": "default"}),
            guardrails: json!({"providerConfigKinds": ["ClusterProviderConfig"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "a per-tenant provider config by {namespace}",
            reason: "{namespace} in providerConfigNames stands for the claim's namespace",
            xr: Xr::Claim("team-a"),
            edits: json!({"providerConfigName": "aws-team-a"}),
            guardrails: json!({"providerConfigNames": ["default", "aws-{namespace}"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "another tenant's provider config by {namespace}",
            reason: "the namespace fills the pattern as literal text",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigName": "aws-team-b"}),
            guardrails: json!({"providerConfigNames": ["default", "aws-{namespace}"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigName: aws-team-b is refused by guardrails.providerConfigNames: want one of \"default\", \"aws-team-a\""],
        },
        Rule {
            name: "an XR without a claim fills no {namespace} in providerConfigNames",
            reason: "the platform's own XRs use the configs the rule lists outright",
            xr: Xr::Direct,
            edits: json!({"providerConfigName": "aws-team-a"}),
            guardrails: json!({"providerConfigNames": ["default", "aws-{namespace}"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.providerConfigName: aws-team-a is refused by guardrails.providerConfigNames: want one of \"default\", \"aws-{namespace}\""],
        },
        Rule {
            name: "the platform's default provider config",
            reason: "values of the Composition's defaults are the platform's and never checked",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: only_default.clone(),
            defaults: json!({"providerConfigName": "platform-admin"}),
            refused: &[],
        },
        Rule {
            name: "the kind alone turns the default name cluster-wide",
            reason: "a claim that switches the platform's ProviderConfig to the ClusterProviderConfig of that name picks other credentials",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"providerConfigKind": "ClusterProviderConfig"}),
            guardrails: only_default.clone(),
            defaults: json!({"providerConfigKind": "ProviderConfig", "providerConfigName": "aws"}),
            refused: &["spec.parameters.providerConfigKind: ClusterProviderConfig names aws, which is refused by guardrails.providerConfigNames: want one of \"default\""],
        },
        // deletionPolicies
        Rule {
            name: "orphaning refused",
            reason: "deletionPolicies: [Delete] keeps nothing in AWS after the claim",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"deletionPolicy": "Orphan"}),
            guardrails: json!({"deletionPolicies": ["Delete"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.deletionPolicy: Orphan is refused by guardrails.deletionPolicies: want one of \"Delete\""],
        },
        Rule {
            name: "orphaning refused without a claim",
            reason: "the rule names no namespace, so it holds for every XR",
            xr: Xr::Direct,
            edits: json!({"deletionPolicy": "Orphan"}),
            guardrails: json!({"deletionPolicies": ["Delete"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.deletionPolicy: Orphan is refused by guardrails.deletionPolicies: want one of \"Delete\""],
        },
        Rule {
            name: "delete allowed",
            reason: "a listed value is accepted",
            xr: Xr::Claim("team-a"),
            edits: json!({"deletionPolicy": "Delete"}),
            guardrails: json!({"deletionPolicies": ["Delete"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "no deletion policy allowed",
            reason: "[] refuses the field itself",
            xr: Xr::Claim("team-a"),
            edits: json!({"deletionPolicy": "Delete"}),
            guardrails: json!({"deletionPolicies": []}),
            defaults: Value::Null,
            refused: &["spec.parameters.deletionPolicy: Delete is refused by guardrails.deletionPolicies: nothing is allowed; leave the field out"],
        },
        Rule {
            name: "orphaning by the platform's default",
            reason: "values of the Composition's defaults are never checked",
            xr: Xr::Namespaced("team-a"),
            edits: json!({}),
            guardrails: json!({"deletionPolicies": ["Delete"]}),
            defaults: json!({"deletionPolicy": "Orphan"}),
            refused: &[],
        },
        // managementPolicies
        Rule {
            name: "observe only refused",
            reason: "[Observe] with a roleName would read any role's details",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"managementPolicies": ["Observe"]}),
            guardrails: json!({"managementPolicies": ["*"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.managementPolicies[0]: Observe is refused by guardrails.managementPolicies: want one of \"*\""],
        },
        Rule {
            name: "full management allowed",
            reason: "a listed policy is accepted",
            xr: Xr::Claim("team-a"),
            edits: json!({"managementPolicies": ["*"]}),
            guardrails: json!({"managementPolicies": ["*"]}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "each policy checked",
            reason: "every entry must be listed; the refusal names the entry",
            xr: Xr::Claim("team-a"),
            edits: json!({"managementPolicies": ["Create", "Observe", "Delete"]}),
            guardrails: json!({"managementPolicies": ["Create", "Observe", "Update", "LateInitialize"]}),
            defaults: Value::Null,
            refused: &["spec.parameters.managementPolicies[2]: Delete is refused by guardrails.managementPolicies: want one of \"Create\", \"Observe\", \"Update\", \"LateInitialize\""],
        },
        Rule {
            name: "the platform's management policies",
            reason: "values of the Composition's defaults are never checked",
            xr: Xr::Claim("team-a"),
            edits: json!({}),
            guardrails: json!({"managementPolicies": ["*"]}),
            defaults: json!({"managementPolicies": ["Observe"]}),
            refused: &[],
        },
        // tags
        Rule {
            name: "a denied tag key in another case",
            reason: "keys compare without case, as IAM and ABAC conditions do",
            xr: Xr::Claim("team-a"),
            edits: json!({"tags": {"Tenant": "team-b", "app": "orders"}}),
            guardrails: json!({"tags": {"deniedKeys": ["tenant"]}}),
            defaults: Value::Null,
            refused: &["spec.parameters.tags.Tenant: the key \"Tenant\" is refused by guardrails.tags.deniedKeys \"tenant\" (tag keys compare without case)"],
        },
        Rule {
            name: "denied tag keys by pattern",
            reason: "every denied key is listed at its own path",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"tags": {"team": "payments", "team-lead": "x", "app": "orders"}}),
            guardrails: json!({"tags": {"deniedKeys": ["team*"]}}),
            defaults: Value::Null,
            refused: &[
                "spec.parameters.tags.team: the key \"team\" is refused by guardrails.tags.deniedKeys \"team*\" (tag keys compare without case)",
                "spec.parameters.tags.team-lead: the key \"team-lead\" is refused by guardrails.tags.deniedKeys \"team*\" (tag keys compare without case)",
            ],
        },
        Rule {
            name: "a denied key from the platform's defaults",
            reason: "the deny applies to the claim's own tags only",
            xr: Xr::Claim("team-a"),
            edits: json!({"tags": {"app": "orders"}}),
            guardrails: json!({"tags": {"deniedKeys": ["tenant"]}}),
            defaults: json!({"tags": {"tenant": "platform"}}),
            refused: &[],
        },
        Rule {
            name: "forced tags past IAM's limit",
            reason: "forced tags count against the 47 a claim may use",
            xr: Xr::Namespaced("team-a"),
            edits: json!({"tags": many_tags(46)}),
            guardrails: json!({"tags": {"forced": {"tenant": "{namespace}", "owner": "platform"}}}),
            defaults: Value::Null,
            refused: &["spec.parameters.tags: 46 tags and those guardrails.tags.forced adds make 48; AWS allows 50 per resource and the provider uses 3, so at most 47"],
        },
        Rule {
            name: "forced tags replacing the claim's",
            reason: "a forced key the claim also set, in any case, takes no extra place",
            xr: Xr::Claim("team-a"),
            edits: json!({"tags": many_tags_and(46, "TENANT")}),
            guardrails: json!({"tags": {"forced": {"tenant": "{namespace}"}}}),
            defaults: Value::Null,
            refused: &[],
        },
        Rule {
            name: "everything at once",
            reason: "every violation of every rule is listed in the one FATAL",
            xr: Xr::Claim("team-a"),
            edits: json!({
                "roleName": ORG_ROLE,
                "associationId": ASSOCIATION,
                "providerConfigName": "root-admin",
                "deletionPolicy": "Orphan",
                "managementPolicies": ["Observe"],
                "tags": {"tenant": "team-b"},
            }),
            guardrails: json!({
                "roleNames": ["{namespace}.*"],
                "allowAssociationId": false,
                "providerConfigNames": ["default"],
                "deletionPolicies": ["Delete"],
                "managementPolicies": ["*"],
                "tags": {"deniedKeys": ["tenant"], "forced": {"tenant": "{namespace}"}},
            }),
            defaults: Value::Null,
            refused: &[
                "spec.parameters.roleName: OrganizationAccountAccessRole is refused by guardrails.roleNames: want one of \"team-a.*\"; leave roleName out for a generated, unique name",
                "spec.parameters.associationId: a-0123456789abcdefg is refused by guardrails.allowAssociationId: a claim may not adopt an existing association; leave associationId out",
                "spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\"",
                "spec.parameters.deletionPolicy: Orphan is refused by guardrails.deletionPolicies: want one of \"Delete\"",
                "spec.parameters.managementPolicies[0]: Observe is refused by guardrails.managementPolicies: want one of \"*\"",
                "spec.parameters.tags.tenant: the key \"tenant\" is refused by guardrails.tags.deniedKeys \"tenant\" (tag keys compare without case)",
            ],
        },
    ]
}

fn many_tags(count: usize) -> Map<String, Value> {
    (0..count)
        .map(|index| (format!("tag-{index:02}"), json!("x")))
        .collect()
}

fn many_tags_and(count: usize, key: &str) -> Map<String, Value> {
    let mut tags = many_tags(count);
    tags.insert(key.to_owned(), json!("team-b"));
    tags
}

#[test]
fn each_takeover_rule_accepts_and_refuses() {
    for rule in rules() {
        let answer = call(
            xr(rule.xr, with(&rule.edits)),
            step(&rule.guardrails, &rule.defaults),
            Vec::new(),
        );
        assert_same(
            rule.name,
            rule.reason,
            &json!(refusal(rule.refused)),
            &json!(answer.fatal),
        );
        assert_eq!(
            answer.resources.contains_key("iamRole"),
            rule.refused.is_empty(),
            "{}: a role is composed exactly when accepted",
            rule.name
        );
    }
}

#[test]
fn malformed_takeover_rules_are_fatal_at_their_path() {
    let cases = [
        (
            json!({"roleNames": ["{tenant}.*", "team/*", "{namespace"]}),
            "input.guardrails.roleNames[0]: \"{tenant}.*\" uses the unknown placeholder \"{tenant}\"; the only one is {namespace}; \
             input.guardrails.roleNames[1]: \"team/*\" is not a role name pattern (want letters, digits, + = , . @ _ -, the wildcards * and ?, and {namespace}); \
             input.guardrails.roleNames[2]: \"{namespace\" leaves a { open; the only placeholder is {namespace}",
        ),
        (
            json!({"roleNames": "{namespace}.*", "allowAssociationId": "false"}),
            "input.guardrails.allowAssociationId: want true or false, got the string \"false\"; \
             input.guardrails.roleNames: want a list, got the string \"{namespace}.*\"",
        ),
        (
            json!({"providerConfigNames": ["Root_Admin", "{tenant}-aws"], "deletionPolicies": ["Keep", 1], "managementPolicies": ["All"]}),
            "input.guardrails.deletionPolicies[0]: want Delete or Orphan, got \"Keep\"; \
             input.guardrails.deletionPolicies[1]: want a string, got the number 1; \
             input.guardrails.managementPolicies[0]: want *, Create, Observe, Update, Delete or LateInitialize, got \"All\"; \
             input.guardrails.providerConfigNames[0]: \"Root_Admin\" is not a provider config name pattern (want lowercase letters, digits, - . , the wildcards * and ?, and {namespace}); \
             input.guardrails.providerConfigNames[1]: \"{tenant}-aws\" uses the unknown placeholder \"{tenant}\"; the only one is {namespace}",
        ),
        (
            json!({"providerConfigKinds": ["ClusterProviderConfig", "NamespacedProviderConfig"]}),
            "input.guardrails.providerConfigKinds[1]: want ClusterProviderConfig or ProviderConfig, got \"NamespacedProviderConfig\"",
        ),
        (
            json!({"tags": {"deniedKey": ["tenant"], "deniedKeys": ["ten{ant"]}}),
            "input.guardrails.tags.deniedKey: unknown guardrail; known are deniedKeys, forced; \
             input.guardrails.tags.deniedKeys[0]: \"ten{ant\" is not a tag key pattern (want letters, digits, spaces, _ . : / = + - @ and the wildcards * and ?, at most 128 characters)",
        ),
        (
            json!({"tags": {"forced": {
                "TENANT": "{namespace}",
                "aws:team": "x",
                "long": format!("{}{{namespace}}", "x".repeat(200)),
                "owner": 7,
                "team": "{tenant}",
                "tenant": "other",
            }}}),
            "input.guardrails.tags.forced.aws:team: tag key \"aws:team\" uses the prefix aws:, which AWS reserves; \
             input.guardrails.tags.forced.long: with a namespace of 63 characters the value has 263; at most 256; \
             input.guardrails.tags.forced.owner: want a string value, got the number 7; \
             input.guardrails.tags.forced.team: \"{tenant}\" uses the unknown placeholder \"{tenant}\"; the only one is {namespace}; \
             input.guardrails.tags.forced.tenant: the same key as \"TENANT\" to IAM, which compares tag keys without case",
        ),
        (
            json!({"tags": ["tenant"]}),
            "input.guardrails.tags: want an object, got a list",
        ),
    ];
    for (guardrails, want) in cases {
        let answer = call(
            xr(Xr::Claim("team-a"), with(&json!({}))),
            step(&guardrails, &Value::Null),
            Vec::new(),
        );
        assert_same(
            &guardrails.to_string(),
            "a typo must never disable a guardrail",
            &json!([format!("{PREFIX}{want}")]),
            &json!(answer.fatal),
        );
        assert!(answer.resources.is_empty());
    }
}

/// The tags of every composed resource that has any, by key.
fn tags_of(resources: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    resources
        .iter()
        .filter_map(|(key, body)| {
            let tags = body.pointer("/spec/forProvider/tags")?;
            Some((key.clone(), tags.clone()))
        })
        .collect()
}

#[test]
fn forced_tags_go_on_every_taggable_resource_with_the_namespace_filled_in() {
    let guardrails = json!({"tags": {"forced": {"tenant": "{namespace}", "owner": "platform-{namespace}", "managed-by": "crossplane"}}});
    let defaults = json!({"tags": {"Managed-By": "defaults", "cost-center": "42"}});
    let edits = json!({
        "tags": {"Tenant": "team-b", "app": "orders"},
        "clusters": [{"clusterName": "prod-a"}, {"clusterName": "prod-b"}],
        "clusterName": null,
        "podIdentityAgent": {"install": true},
    });
    let cases = [
        (Xr::Claim("team-a"), Some("team-a")),
        (Xr::Namespaced("team-a"), Some("team-a")),
        // Without a claim there is no tenant: the namespace's tags are left
        // out, the others still forced.
        (Xr::Direct, None),
    ];
    for (kind, namespace) in cases {
        let answer = call(
            xr(kind, with(&edits)),
            step(&guardrails, &defaults),
            Vec::new(),
        );
        assert!(answer.fatal.is_empty(), "{:?}", answer.fatal);
        let mut want_tags =
            json!({"app": "orders", "cost-center": "42", "managed-by": "crossplane"});
        match namespace {
            Some(namespace) => {
                want_tags["tenant"] = json!(namespace);
                want_tags["owner"] = json!(format!("platform-{namespace}"));
            }
            // The claim's own value stays where the platform forces none.
            None => want_tags["Tenant"] = json!("team-b"),
        }
        let taggable: Vec<&String> = answer
            .resources
            .iter()
            .filter(|(_, body)| {
                matches!(
                    body["kind"].as_str(),
                    Some("Role" | "PodIdentityAssociation" | "Addon")
                )
            })
            .map(|(key, _)| key)
            .collect();
        // The role, two associations and two agents.
        assert_eq!(taggable.len(), 5, "{:?}", answer.resources.keys());
        let want: BTreeMap<String, Value> = taggable
            .into_iter()
            .map(|key| (key.clone(), want_tags.clone()))
            .collect();
        assert_same(
            &format!("{namespace:?}"),
            "forced tags override the claim's and the defaults' in any case, on every taggable resource and no other",
            &json!(want),
            &json!(tags_of(&answer.resources)),
        );
    }
}

/// A claim namespace no Kubernetes API server would accept (a hand-made
/// request's label) fills no `{namespace}`: patterns naming it match
/// nothing, its forced tags are left out, and the answer stays small
/// however long the label and however many placeholders a pattern holds.
#[test]
fn a_namespace_kubernetes_would_refuse_fills_no_placeholder() {
    let label = "a".repeat(200_000);
    let mut xr = xr(
        Xr::Claim("team-a"),
        with(&json!({"roleName": "team-a.orders", "tags": {"app": "x"}})),
    );
    xr["metadata"]["labels"]["crossplane.io/claim-namespace"] = json!(label);
    let pattern = "{namespace}".repeat(100);
    let guardrails = json!({
        "roleNames": [pattern],
        "tags": {"forced": {"tenant": "{namespace}", "owner": "platform"}},
    });
    let answer = call(xr.clone(), step(&guardrails, &Value::Null), Vec::new());
    assert_eq!(
        answer.fatal,
        refusal(&[&format!("spec.parameters.roleName: team-a.orders is refused by guardrails.roleNames: want one of {pattern:?}; leave roleName out for a generated, unique name")])
    );
    let forced_only = json!({"tags": {"forced": {"tenant": "{namespace}", "owner": "platform"}}});
    let answer = call(xr, step(&forced_only, &Value::Null), Vec::new());
    assert!(answer.fatal.is_empty(), "{:?}", answer.fatal);
    assert_eq!(
        answer.resources["iamRole"]["spec"]["forProvider"]["tags"],
        json!({"app": "x", "owner": "platform"})
    );
}

// ---------------------------------------------------------------------------
// The shipped baselines

const V1: &str = "package/configuration/apis/composition.yaml";
const V2: &str = "package/configuration-v2/apis/composition.yaml";

/// A claim of `namespace` under the baseline of `composition`: the XR
/// Crossplane makes for a claim (v1), or the namespaced XR itself (v2).
fn under_baseline(composition: &str, namespace: &'static str, edits: &Value) -> Vec<String> {
    let kind = if composition == V1 {
        Xr::Claim(namespace)
    } else {
        Xr::Namespaced(namespace)
    };
    let mut parameters = with(edits);
    // The base parameters hold an sqs:* inline policy, attach
    // AmazonS3ReadOnlyAccess (every bucket: refused by the baselines'
    // resources rule) and bind team-a.
    parameters.as_object_mut().unwrap().remove("inlinePolicy");
    if edits.get("managedPolicyArns").is_none() {
        parameters["managedPolicyArns"] =
            json!(["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"]);
    }
    if edits.get("serviceAccount").is_none() {
        parameters["serviceAccount"]["namespace"] = json!(namespace);
    }
    if let Some(inline) = edits.get("inlinePolicy") {
        parameters["inlinePolicy"] = inline.clone();
    }
    let xr = xr(kind, parameters).to_string();
    let rendered = render_with(&xr, &read(composition));
    assert_eq!(
        rendered.resources.is_empty(),
        !rendered.fatal.is_empty(),
        "{composition}: composed exactly when not refused"
    );
    rendered.fatal
}

#[test]
fn each_shipped_baseline_refuses_every_takeover_the_issue_found() {
    let assume_anything = json!([{"name": "chain", "policy": policy(&json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))}]);
    for composition in [V1, V2] {
        let cases = [
            (
                json!({"roleName": ORG_ROLE}),
                "spec.parameters.roleName: OrganizationAccountAccessRole is refused by guardrails.roleNames: want one of \"team-a.*\"; leave roleName out for a generated, unique name",
            ),
            (
                json!({"associationId": ASSOCIATION}),
                "spec.parameters.associationId: a-0123456789abcdefg is refused by guardrails.allowAssociationId: a claim may not adopt an existing association; leave associationId out",
            ),
            (
                json!({"providerConfigName": "root-admin"}),
                "spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\"",
            ),
            (
                json!({"targetRoleArn": "arn:aws:iam::444455556666:role/admin"}),
                "spec.parameters.targetRoleArn: arn:aws:iam::444455556666:role/admin is refused by guardrails.targetRoleArns: nothing is allowed",
            ),
            (
                json!({"inlinePolicy": assume_anything}),
                "spec.parameters.inlinePolicy[0].policy: Statement[0] Action \"sts:AssumeRole\" can grant \"sts:AssumeRole*\", refused by guardrails.inlinePolicies.denyActions; spec.parameters.inlinePolicy[0].policy: Statement[0] Action \"sts:AssumeRole\" can grant sts:AssumeRole, which carries PrivilegeEscalation (cloudsplaining privilege escalation method CreatePolicyVersionThenAssumeRole (https://pathfinding.cloud/paths/iam-016)), refused by guardrails.inlinePolicies.denyRisks; spec.parameters.inlinePolicy[0].policy: Statement[0] Resource \"*\" reaches every resource of its kind in the account, and sts:AssumeRole (resource types role) can be limited to named ones, refused by guardrails.inlinePolicies.resources.refuseAccountWide",
            ),
            (
                json!({"podIdentityAgent": {"install": true, "resolveConflicts": "OVERWRITE"}}),
                "spec.parameters.podIdentityAgent.install: true is refused by guardrails.podIdentityAgent: the platform team installs the agent",
            ),
            (
                json!({"serviceAccount": {"name": "ebs-csi-controller-sa", "namespace": "kube-system"}}),
                "spec.parameters.serviceAccount.namespace: kube-system is refused by guardrails.serviceAccountNamespaces: want the claim's namespace \"team-a\"",
            ),
        ];
        for (edits, problem) in cases {
            assert_same(
                &format!("{composition}: {edits}"),
                "the baseline refuses it, naming the field and the rule",
                &json!(refusal(&[problem])),
                &json!(under_baseline(composition, "team-a", &edits)),
            );
        }
        for edits in [
            json!({"roleName": "team-a.orders"}),
            json!({"providerConfigName": "default", "managementPolicies": ["*"]}),
            json!({"tags": {"team": "team-a"}}),
        ] {
            assert_same(
                &format!("{composition}: {edits}"),
                "what the tenant owns composes",
                &json!([]),
                &json!(under_baseline(composition, "team-a", &edits)),
            );
        }
    }
}

#[test]
fn the_v2_baseline_keeps_the_tenant_in_its_namespace_and_the_v1_one_keeps_orphaning() {
    // A ProviderConfig the tenant chose, by any name: it may use the
    // provider's own identity, and so the platform's credentials.
    let own_config =
        json!({"providerConfigKind": "ProviderConfig", "providerConfigName": "root-admin"});
    assert_eq!(
        under_baseline(V2, "team-a", &own_config),
        refusal(&["spec.parameters.providerConfigKind: ProviderConfig is refused by guardrails.providerConfigKinds: want one of \"ClusterProviderConfig\"; a namespaced ProviderConfig may use the provider's own credentials, the platform's"])
    );
    assert_eq!(
        under_baseline(V2, "team-a", &json!({"deletionPolicy": "Orphan"})),
        refusal(&["spec.parameters.deletionPolicy: Orphan is refused by guardrails.deletionPolicies: want one of \"Delete\""])
    );
    assert_eq!(
        under_baseline(V2, "team-a", &json!({"managementPolicies": ["Observe"]})),
        refusal(&["spec.parameters.managementPolicies[0]: Observe is refused by guardrails.managementPolicies: want one of \"*\""])
    );
    // The migration steps orphan the role while an XR moves.
    assert_eq!(
        under_baseline(V1, "team-a", &json!({"deletionPolicy": "Orphan"})),
        Vec::<String>::new()
    );
}

/// Upbound's examples attach `AmazonEKS_CNI_Policy`, whose statements act
/// on every network interface of the account: the baselines judge it by
/// content and refuse it, and the v2 one also for binding `kube-system`.
/// Without it (and, for v0.1.0, with its `kms:Decrypt` on `*` named), both
/// compose.
#[test]
fn upbounds_examples_are_refused_for_their_account_wide_policies_only() {
    let anchors = "tests/fixtures/anchors/upbound-configuration-aws-eks-pod-identity";
    let cni = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
    let v1_text = read(&format!("{anchors}/v0.1.0-example-xr.yaml"));
    let v1 = render_with(&v1_text, &read(V1));
    let joined = v1.fatal.join("; ");
    assert!(
        joined.contains(&format!("managedPolicyArns[0]: {cni} (v")),
        "{joined}"
    );
    assert!(
        joined.contains("refused by guardrails.inlinePolicies.resources.refuseAccountWide"),
        "{joined}"
    );
    assert!(!joined.contains("serviceAccountNamespaces"), "{joined}");
    let v2_text = read(&format!("{anchors}/v2-example-xr.yaml"));
    let v2 = render_with(&v2_text, &read(V2)).fatal.join("; ");
    assert!(
        v2.contains("kube-system is refused by guardrails.serviceAccountNamespaces"),
        "{v2}"
    );
    assert!(v2.contains(cni), "{v2}");
    // Bound to its own namespace, with a policy of no account-wide reach, it
    // composes: nothing else refuses it.
    let own = v2_text
        .replace("namespace: kube-system", "namespace: default")
        .replace(cni, "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess")
        .replace(
            "\"Resource\": \"*\"",
            "\"Resource\": \"arn:aws:kms:us-west-2:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab\"",
        );
    let rendered = render_with(&own, &read(V2));
    assert_eq!(rendered.fatal, Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// Day 2

/// What the provider reports for a desired resource once it exists: a
/// generated name, the external name, `atProvider` with the tags it set
/// and the conditions Ready and Synced.
fn reported(key: &str, desired: &Value) -> Value {
    let mut observed = desired.clone();
    let name = format!("shop-{}", key.to_ascii_lowercase());
    observed["metadata"]["name"] = json!(name);
    let external = observed
        .pointer("/metadata/annotations/crossplane.io~1external-name")
        .and_then(Value::as_str)
        .map_or_else(|| name.clone(), str::to_owned);
    observed["metadata"]["annotations"]["crossplane.io/external-name"] = json!(external);
    let mut at_provider = desired["spec"]["forProvider"].clone();
    if let Some(tags) = desired.pointer("/spec/forProvider/tags") {
        at_provider["tagsAll"] = tags.clone();
    }
    at_provider["id"] = json!(external);
    if desired["kind"] == json!("Role") {
        at_provider["arn"] = json!(format!("arn:aws:iam::111122223333:role/{external}"));
    }
    observed["status"] = json!({
        "atProvider": at_provider,
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "Available"},
            {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
        ],
    });
    observed
}

fn observed_from(resources: &BTreeMap<String, Value>) -> Vec<(&'static str, Value)> {
    resources
        .iter()
        .map(|(key, body)| {
            // Call keys are static; a test leaks a handful of them.
            let key: &'static str = Box::leak(key.clone().into_boxed_str());
            (key, reported(key, body))
        })
        .collect()
}

fn strict() -> Value {
    step(
        &json!({
            "roleNames": ["{namespace}.*"],
            "allowAssociationId": false,
            "providerConfigNames": ["default"],
            "deletionPolicies": ["Delete"],
            "managementPolicies": ["*"],
            "tags": {"deniedKeys": ["tenant"], "forced": {"tenant": "{namespace}"}},
        }),
        &Value::Null,
    )
}

#[test]
fn forced_tags_and_role_names_survive_a_second_compose_unchanged() {
    for kind in [Xr::Claim("team-a"), Xr::Namespaced("team-a")] {
        let edits = json!({"roleName": "team-a.orders", "tags": {"app": "orders"}});
        let first = call(xr(kind, with(&edits)), strict(), Vec::new());
        assert!(first.fatal.is_empty(), "{:?}", first.fatal);
        let observed = observed_from(&first.resources);
        let second = call(xr(kind, with(&edits)), strict(), observed.clone());
        // A running association keeps naming its id (docs/day-2.md).
        let mut named = first.resources.clone();
        for (key, body) in &observed {
            if body["kind"] == json!("PodIdentityAssociation") {
                named.get_mut(*key).unwrap()["metadata"]["annotations"]
                    ["crossplane.io/external-name"] =
                    body["metadata"]["annotations"]["crossplane.io/external-name"].clone();
            }
        }
        assert_same(
            "second compose",
            "what the provider reports changes nothing else the function asks for",
            &json!(named),
            &json!(second.resources),
        );
        assert_eq!(
            second.resources["iamRole"]["spec"]["forProvider"]["tags"],
            json!({"app": "orders", "tenant": "team-a"})
        );
        // An update that adds the forced key in another case is refused by
        // the deny rule; without it, the forced value still wins, so AWS
        // sees no change either way.
        let forged =
            json!({"roleName": "team-a.orders", "tags": {"app": "orders", "TENANT": "team-b"}});
        let refused = call(xr(kind, with(&forged)), strict(), observed.clone());
        assert_eq!(
            refused.fatal,
            refusal(&["spec.parameters.tags.TENANT: the key \"TENANT\" is refused by guardrails.tags.deniedKeys \"tenant\" (tag keys compare without case)"])
        );
        let forced_only = step(
            &json!({"tags": {"forced": {"tenant": "{namespace}"}}}),
            &Value::Null,
        );
        let overridden = call(xr(kind, with(&forged)), forced_only, observed);
        assert!(overridden.fatal.is_empty(), "{:?}", overridden.fatal);
        assert_same(
            "forged tag",
            "the forced value replaces the claim's, so the desired state is as before",
            &json!(named),
            &json!(overridden.resources),
        );
    }
}

/// A running claim that is edited to take something over is refused, and
/// the desired state it arrived with passes through untouched, so nothing
/// running is changed or deleted.
#[test]
fn an_update_that_takes_something_over_leaves_the_desired_state_alone() {
    for kind in [Xr::Claim("team-a"), Xr::Namespaced("team-a")] {
        let edits = json!({"roleName": "team-a.orders"});
        let first = call(xr(kind, with(&edits)), strict(), Vec::new());
        assert!(first.fatal.is_empty(), "{:?}", first.fatal);
        let observed = observed_from(&first.resources);
        let takeovers = [
            (
                json!({"roleName": ORG_ROLE}),
                "spec.parameters.roleName: OrganizationAccountAccessRole is refused by guardrails.roleNames: want one of \"team-a.*\"; leave roleName out for a generated, unique name",
            ),
            (
                json!({"roleName": "team-a.orders", "associationId": ASSOCIATION}),
                "spec.parameters.associationId: a-0123456789abcdefg is refused by guardrails.allowAssociationId: a claim may not adopt an existing association; leave associationId out",
            ),
            (
                json!({"roleName": "team-a.orders", "providerConfigName": "root-admin"}),
                "spec.parameters.providerConfigName: root-admin is refused by guardrails.providerConfigNames: want one of \"default\"",
            ),
            (
                json!({"roleName": "team-a.orders", "deletionPolicy": "Orphan"}),
                "spec.parameters.deletionPolicy: Orphan is refused by guardrails.deletionPolicies: want one of \"Delete\"",
            ),
            (
                json!({"roleName": "team-a.orders", "managementPolicies": ["Observe"]}),
                "spec.parameters.managementPolicies[0]: Observe is refused by guardrails.managementPolicies: want one of \"*\"",
            ),
        ];
        for (edits, problem) in takeovers {
            let request = Call {
                xr: Some(xr(kind, with(&edits))),
                input: Some(strict()),
                observed: observed.clone(),
                desired: first
                    .resources
                    .iter()
                    .map(|(key, body)| {
                        let key: &'static str = Box::leak(key.clone().into_boxed_str());
                        (key, body.clone())
                    })
                    .collect(),
                ..Call::default()
            };
            let response = run_as_served(request.request());
            let got = response_json(&response);
            assert_eq!(
                got["results"],
                json!([{"severity": "SEVERITY_FATAL", "reason": "InvalidParameters", "message": refusal(&[problem])[0]}]),
                "{edits}"
            );
            let passed: BTreeMap<String, Value> = got["desired"]["resources"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(key, resource)| (key.clone(), resource["resource"].clone()))
                .collect();
            assert_same(
                &edits.to_string(),
                "a refusal passes the desired state through as it came",
                &json!(first.resources),
                &json!(passed),
            );
        }
    }
}

/// A running claim edited to add a risky statement (an EKS access policy
/// on every cluster) is refused by the baselines' risk rules, and what
/// runs passes through untouched.
#[test]
fn an_update_that_adds_a_risky_statement_leaves_the_desired_state_alone() {
    let rules = step(
        &json!({
            "managedPolicyArns": {"byContent": true},
            "inlinePolicies": {
                "denyRisks": ["PrivilegeEscalation", "CredentialExposure", "SecurityControls", "PermissionsManagement"],
                "resources": {"refuseAccountWide": true},
            },
        }),
        &Value::Null,
    );
    let honest = json!({
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"],
        "inlinePolicy": [{"name": "orders", "policy": policy(&json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-west-2:111122223333:orders"}))}],
    });
    for kind in [Xr::Claim("team-a"), Xr::Namespaced("team-a")] {
        let first = call(xr(kind, with(&honest)), rules.clone(), Vec::new());
        assert!(first.fatal.is_empty(), "{:?}", first.fatal);
        let observed = observed_from(&first.resources);
        let mut risky = honest.clone();
        risky["inlinePolicy"][0]["policy"] = json!(policy(&json!([
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-west-2:111122223333:orders"},
            {"Effect": "Allow", "Action": ["eks:AssociateAccessPolicy"], "Resource": "arn:aws:eks:us-west-2:111122223333:access-entry/prod/*"},
        ])));
        let request = Call {
            xr: Some(xr(kind, with(&risky))),
            input: Some(rules.clone()),
            observed: observed.clone(),
            desired: first
                .resources
                .iter()
                .map(|(key, body)| {
                    let key: &'static str = Box::leak(key.clone().into_boxed_str());
                    (key, body.clone())
                })
                .collect(),
            ..Call::default()
        };
        let response = run_as_served(request.request());
        let got = response_json(&response);
        let message = got["results"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("cannot compose EKS Pod Identity: spec.parameters.inlinePolicy[0].policy: Statement[1] Action \"eks:AssociateAccessPolicy\" can grant eks:AssociateAccessPolicy, which carries PrivilegeEscalation (AWS docs: Grant IAM users access to Kubernetes with EKS access entries"),
            "{message}"
        );
        assert_eq!(
            got["results"].as_array().map(Vec::len),
            Some(1),
            "{}",
            got["results"]
        );
        let passed: BTreeMap<String, Value> = got["desired"]["resources"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, resource)| (key.clone(), resource["resource"].clone()))
            .collect();
        assert_same(
            "a risky statement",
            "a refusal passes the desired state through as it came",
            &json!(first.resources),
            &json!(passed),
        );
    }
}

/// The guardrails page names every rule the Input CRD declares, so a new
/// rule is never shipped undocumented.
#[test]
fn the_guardrails_page_names_every_rule() {
    let page = read("docs/guardrails.md");
    let crd = crate::support::crd::yaml_documents(&read(
        "package/function/input/eks-pod-identity.fn.crossplane.io_inputs.yaml",
    ))
    .unwrap()
    .remove(0);
    let guardrails = crd
        .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/guardrails/properties")
        .and_then(Value::as_object)
        .unwrap();
    let mut missing = Vec::new();
    for (rule, schema) in guardrails {
        let nested = schema["properties"].as_object().into_iter().flatten();
        for name in std::iter::once(rule).chain(nested.map(|(name, _)| name)) {
            if !page.contains(&format!("`{name}")) {
                missing.push(name.clone());
            }
        }
    }
    assert_eq!(missing, Vec::<String>::new(), "not in docs/guardrails.md");
}
