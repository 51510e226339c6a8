//! Guardrails: what a platform team lets a claim grant, read strictly from
//! the step's `input.guardrails` and checked against checked parameters.
//!
//! A claim author controls `spec.parameters`; only the Composition's
//! author controls the input. Every rule is optional and an absent rule
//! restricts nothing, but a rule that cannot be read is an error rather
//! than no rule, so a typo never disables a guardrail.
//!
//! The rules on what policy documents may grant are in `inline`, those on
//! what a claim could take over rather than create in `ownership`, those on
//! tags in `tags`, those on well-known add-on sets in `well_known`, and
//! patterns naming the claim's namespace in `templates`; the step's input
//! that carries them is read in `input`.
//!
//! May import: [`crate::params`] (the checked parameters it judges) and
//! [`crate::iam`]; never compose, function or protocol. Params never
//! imports this layer: reading a claim does not depend on the platform's
//! rules.

pub mod input;

mod inline;
mod ownership;
mod tags;
mod templates;
mod well_known;

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::iam::budget::Budget;
use crate::iam::glob::{Case, Glob};

use self::inline::{check_document, check_statements, read_inline, Checked, Inline, PolicyPath};
use self::templates::Templates;
use crate::iam::arn::{is_partition, Arn};
use crate::iam::managed::{self, Lookup};
use crate::params::aws::{PolicyArn, RolePath};
use crate::params::reader::{describe, Problems, PARAMETERS_PATH};
use crate::params::{Cluster, Parameters, LINT_BUDGET};

pub use self::inline::{MAX_ACTION_CHARS, MAX_LINT_REFUSALS, MAX_POLICY_ACTION_CHARS};
pub use self::well_known::EVERY_ADD_ON;

/// Where the guardrails sit, as platform teams address them.
pub const GUARDRAILS_PATH: &str = "input.guardrails";

/// The `serviceAccountNamespaces` entry that stands for the claim's own
/// namespace.
pub const SAME_AS_CLAIM: &str = "SameAsClaim";

/// The `clusterNames` entry that lets a claim name its cluster by
/// reference or selector, which cannot be checked before the provider
/// resolves it.
pub const ALLOW_REFERENCES: &str = "AllowReferences";

/// Most patterns one list may hold.
pub const MAX_PATTERNS: usize = 64;

/// Longest pattern, in characters: room for IAM's longest ARNs.
pub const MAX_PATTERN_CHARS: usize = 2048;

/// The keys `guardrails` may hold.
const KEYS: [&str; 19] = [
    "serviceAccountNamespaces",
    "clusterNames",
    "managedPolicyArns",
    "inlinePolicies",
    "permissionsBoundaryArn",
    "rolePath",
    "targetRoleArns",
    "podIdentityAgent",
    "roleNames",
    "allowAssociationId",
    "providerConfigNames",
    "providerConfigKinds",
    "deletionPolicies",
    "managementPolicies",
    "tags",
    "wellKnownPolicies",
    "roleArns",
    "allowDisableSessionTags",
    "rolePaths",
];

/// Which namespaces a service account may be in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Namespaces {
    same_as_claim: bool,
    patterns: Vec<Glob>,
}

/// Which clusters a claim may name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clusters {
    allow_references: bool,
    patterns: Templates,
}

/// Every rule of `input.guardrails`, each `None` (or empty) when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guardrails {
    namespaces: Option<Namespaces>,
    clusters: Option<Clusters>,
    managed_allow: Option<Templates>,
    managed_deny: Vec<Glob>,
    managed_by_content: bool,
    inline: Option<Inline>,
    permissions_boundary: Option<PolicyArn>,
    role_path: Option<RolePath>,
    role_paths: Option<Templates>,
    allow_disable_session_tags: Option<bool>,
    target_role_arns: Option<Vec<Glob>>,
    agent_allowed: Option<bool>,
    ownership: ownership::Ownership,
    tags: Option<tags::Tags>,
    well_known: Option<well_known::WellKnownRule>,
}

/// The claim's side of the checks that are not in its parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claim<'a> {
    /// The namespace of the claim (or of the namespaced XR); `None` for a
    /// cluster-scoped XR made without a claim.
    pub namespace: Option<&'a str>,
    /// Whether the Composition's own defaults install the agent, in which
    /// case the claim did not ask for it.
    pub agent_by_default: bool,
}

impl Guardrails {
    /// Reads `input.guardrails`, given as JSON, naming every bad rule.
    pub fn read(value: &Value) -> Result<Self, Problems> {
        let mut problems = Problems::default();
        let Some(object) = value.as_object() else {
            problems.add(
                GUARDRAILS_PATH,
                format!("want an object, got {}", describe(value)),
            );
            return Err(problems);
        };
        let mut rules = Self::default();
        for (key, value) in object {
            let path = format!("{GUARDRAILS_PATH}.{key}");
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "serviceAccountNamespaces" => {
                    let (special, patterns) = read_patterns(
                        value,
                        &path,
                        SAME_AS_CLAIM,
                        &mut problems,
                        namespace_pattern,
                    );
                    rules.namespaces = Some(Namespaces {
                        same_as_claim: special,
                        patterns,
                    });
                }
                "clusterNames" => {
                    let (special, patterns) = Templates::read_flagged(
                        value,
                        &path,
                        ALLOW_REFERENCES,
                        &mut problems,
                        Case::Sensitive,
                        (
                            |text| cluster_pattern(text).is_ok(),
                            "a cluster name pattern (want letters, digits, - _, the wildcards * and ?, and {namespace}; or AllowReferences)",
                        ),
                    );
                    rules.clusters = Some(Clusters {
                        allow_references: special,
                        patterns,
                    });
                }
                "managedPolicyArns" => read_managed(&mut rules, value, &path, &mut problems),
                "inlinePolicies" => {
                    rules.inline = read_inline(value, &path, &mut problems);
                }
                "permissionsBoundaryArn" => {
                    rules.permissions_boundary =
                        read_text(value, &path, &mut problems, PolicyArn::parse);
                }
                "rolePaths" => {
                    rules.role_paths = Some(Templates::read(
                        value,
                        &path,
                        &mut problems,
                        Case::Sensitive,
                        (
                            |text| RolePath::parse(text).is_ok(),
                            "an IAM path pattern (/ or /segment/.../)",
                        ),
                    ));
                }
                "rolePath" => {
                    rules.role_path = read_text(value, &path, &mut problems, RolePath::parse);
                }
                "allowDisableSessionTags" => {
                    rules.allow_disable_session_tags = read_flag(value, &path, &mut problems);
                }
                "targetRoleArns" => {
                    let (_, patterns) =
                        read_patterns(value, &path, "", &mut problems, role_arn_pattern);
                    rules.target_role_arns = Some(patterns);
                }
                "podIdentityAgent" => rules.agent_allowed = read_flag(value, &path, &mut problems),
                "tags" => rules.tags = Some(tags::Tags::read(value, &path, &mut problems)),
                "wellKnownPolicies" => {
                    rules.well_known =
                        Some(well_known::WellKnownRule::read(value, &path, &mut problems));
                }
                key if ownership::KEYS.contains(&key) => {
                    rules.ownership.read(key, value, &path, &mut problems);
                }
                _ => problems.add(
                    path,
                    format!("unknown guardrail; known are {}", KEYS.join(", ")),
                ),
            }
        }
        if problems.0.is_empty() {
            Ok(rules)
        } else {
            Err(problems)
        }
    }

    /// Checks `parameters` against every rule, reporting every violation;
    /// then forces the boundary and path onto the role and the forced tags
    /// onto every taggable resource.
    pub fn enforce(&self, parameters: &mut Parameters, claim: Claim<'_>) -> Result<(), Problems> {
        let mut problems = Problems::default();
        self.check_namespace(parameters, claim, &mut problems);
        self.check_cluster(parameters, claim, &mut problems);
        let work = Budget::new(LINT_BUDGET);
        self.check_managed(parameters, claim, &work, &mut problems);
        if let Some(inline) = &self.inline {
            for (position, policy) in parameters.inline_policies.iter().enumerate() {
                let at = Checked {
                    path: PolicyPath::Inline(position),
                    label: "",
                    namespace: claim.namespace,
                    first_only: false,
                };
                check_document(inline, policy, at, &work, &mut problems);
            }
        }
        self.check_well_known(parameters, claim, &work, &mut problems);
        let role = &mut parameters.role;
        if let Some(boundary) = &self.permissions_boundary {
            match &role.permissions_boundary {
                Some(given) if given != boundary => problems.add(
                    format!("{PARAMETERS_PATH}.permissionsBoundaryArn"),
                    format!(
                        "{given} is refused by guardrails.permissionsBoundaryArn: every role carries {boundary}; leave the field out or give that ARN"
                    ),
                ),
                _ => role.permissions_boundary = Some(boundary.clone()),
            }
        }
        if let Some(path) = &self.role_path {
            match &role.path {
                Some(given) if given != path => problems.add(
                    format!("{PARAMETERS_PATH}.rolePath"),
                    format!(
                        "{:?} is refused by guardrails.rolePath: every role gets the path {:?}; leave the field out or give that path",
                        given.as_str(),
                        path.as_str()
                    ),
                ),
                _ => role.path = Some(path.clone()),
            }
        }
        if let (Some(patterns), Some(namespace)) = (&self.role_paths, claim.namespace) {
            // IAM gives a role without a path the path `/`.
            let given = role.path.as_ref().map_or("/", RolePath::as_str);
            if !patterns.allows(given, Some(namespace)) {
                problems.add(
                    format!("{PARAMETERS_PATH}.rolePath"),
                    format!(
                        "{given:?} is refused by guardrails.rolePaths: {}",
                        patterns.wanted(namespace)
                    ),
                );
            }
        }
        // Without session tags the trust policy cannot pin the namespace
        // and service account, and the role's own tags stand where they
        // stood for ABAC.
        if self.allow_disable_session_tags == Some(false)
            && parameters.disable_session_tags == Some(true)
            && claim.namespace.is_some()
        {
            problems.add(
                format!("{PARAMETERS_PATH}.disableSessionTags"),
                "true is refused by guardrails.allowDisableSessionTags: without EKS's session tags the role's trust cannot pin the namespace and service account, and its own tags would stand where they stood",
            );
        }
        if let (Some(patterns), Some(target)) =
            (&self.target_role_arns, &parameters.target_role_arn)
        {
            if !patterns
                .iter()
                .any(|pattern| pattern.matches(target.as_str()))
            {
                problems.add(
                    format!("{PARAMETERS_PATH}.targetRoleArn"),
                    format!(
                        "{} is refused by guardrails.targetRoleArns: {}",
                        target.as_str(),
                        allowed(patterns)
                    ),
                );
            }
        }
        // The platform installs the agent from its defaults or from XRs made
        // without a claim, whose authors have cluster-wide rights.
        if self.agent_allowed == Some(false) && claim.namespace.is_some() {
            check_agent(parameters, claim, &mut problems);
        }
        self.ownership.check(parameters, claim, &mut problems);
        if let Some(tags) = &self.tags {
            tags.apply(parameters, claim.namespace, &mut problems);
        }
        if problems.0.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn check_namespace(&self, parameters: &Parameters, claim: Claim<'_>, problems: &mut Problems) {
        let Some(rule) = &self.namespaces else {
            return;
        };
        for (position, account) in parameters.service_accounts.iter().enumerate() {
            // Built only for a refusal: most calls pass.
            let path = || {
                if parameters.service_accounts_listed {
                    format!("{PARAMETERS_PATH}.serviceAccounts[{position}].namespace")
                } else {
                    format!("{PARAMETERS_PATH}.serviceAccount.namespace")
                }
            };
            Self::check_one_namespace(rule, account.namespace.as_str(), claim, path, problems);
        }
    }

    fn check_one_namespace(
        rule: &Namespaces,
        namespace: &str,
        claim: Claim<'_>,
        path: impl FnOnce() -> String,
        problems: &mut Problems,
    ) {
        let same = rule.same_as_claim && claim.namespace.is_none_or(|own| own == namespace);
        if same
            || rule
                .patterns
                .iter()
                .any(|pattern| pattern.matches(namespace))
        {
            return;
        }
        let wanted = match (rule.same_as_claim, claim.namespace) {
            // SameAsClaim without a claim namespace was accepted above.
            (true, Some(own)) if rule.patterns.is_empty() => {
                format!("want the claim's namespace {own:?}")
            }
            (true, Some(own)) => format!(
                "want the claim's namespace {own:?} or {}",
                allowed(&rule.patterns).trim_start_matches("want ")
            ),
            _ => allowed(&rule.patterns),
        };
        let message =
            format!("{namespace} is refused by guardrails.serviceAccountNamespaces: {wanted}");
        problems.add(path(), message);
    }

    /// An XR made without a claim fills no `{namespace}`: only the
    /// patterns without one apply to it, so the platform's own XRs name
    /// the clusters the rule lists outright.
    fn check_cluster(&self, parameters: &Parameters, claim: Claim<'_>, problems: &mut Problems) {
        let Some(rule) = &self.clusters else {
            return;
        };
        let namespace = claim.namespace.unwrap_or_default();
        for (position, target) in parameters.clusters.iter().enumerate() {
            let prefix = || {
                if parameters.clusters_listed {
                    format!("{PARAMETERS_PATH}.clusters[{position}]")
                } else {
                    PARAMETERS_PATH.to_owned()
                }
            };
            let (key, what) = match &target.cluster {
                Cluster::Name(name) => {
                    if !rule.patterns.allows(name, Some(namespace)) {
                        problems.add(
                            format!("{}.clusterName", prefix()),
                            format!(
                                "{name} is refused by guardrails.clusterNames: {}",
                                rule.patterns.wanted(namespace)
                            ),
                        );
                    }
                    continue;
                }
                Cluster::Reference(_) => ("clusterNameRef", "a reference"),
                Cluster::Selector(_) => ("clusterNameSelector", "a selector"),
            };
            if !rule.allow_references {
                problems.add(
                    format!("{}.{key}", prefix()),
                    format!(
                        "{what} is refused by guardrails.clusterNames: the cluster it resolves to cannot be checked; give clusterName (or ask the platform team to add {ALLOW_REFERENCES})"
                    ),
                );
            }
        }
    }

    fn check_managed(
        &self,
        parameters: &Parameters,
        claim: Claim<'_>,
        work: &Budget,
        problems: &mut Problems,
    ) {
        for (position, arn) in parameters.managed_policy_arns.iter().enumerate() {
            let path = PolicyPath::Managed(position);
            self.check_managed_arn(arn, path, claim, work, problems);
        }
    }

    /// Refuses the claim's sets that `wellKnownPolicies` does not name;
    /// without that rule, checks each set like the claim's own policies.
    fn check_well_known(
        &self,
        parameters: &Parameters,
        claim: Claim<'_>,
        work: &Budget,
        problems: &mut Problems,
    ) {
        for set in &parameters.well_known {
            if let Some(rule) = &self.well_known {
                // Trusted by name, or the platform's own XR.
                if !rule.trusts(set.add_on) && claim.namespace.is_some() {
                    problems.add(set.path(), rule.refusal(set.add_on));
                }
                continue;
            }
            let path = PolicyPath::WellKnown(set.add_on);
            for arn in &set.managed_policy_arns {
                self.check_managed_arn(arn, path, claim, work, problems);
            }
            if let (Some(inline), Some(policy)) = (&self.inline, &set.inline) {
                let at = Checked {
                    path,
                    label: "",
                    namespace: claim.namespace,
                    first_only: false,
                };
                check_document(inline, policy, at, work, problems);
            }
        }
    }

    /// Checks one managed policy the role would get, found at `path`.
    /// Patterns and ARNs compare with their partition set aside, so that a
    /// rule written for `aws` holds in `aws-cn` and `aws-us-gov` too.
    fn check_managed_arn(
        &self,
        arn: &PolicyArn,
        path: PolicyPath,
        claim: Claim<'_>,
        work: &Budget,
        problems: &mut Problems,
    ) {
        let arn = arn.as_str();
        let compared = any_partition(arn);
        if let Some(deny) = self
            .managed_deny
            .iter()
            .find(|deny| deny.matches(&compared))
        {
            problems.add(
                path,
                format!(
                    "{arn} is refused by guardrails.managedPolicyArns.deny {:?}",
                    deny.as_str()
                ),
            );
            return;
        }
        if self.managed_by_content && is_aws_managed(arn) {
            self.check_managed_content(arn, path, claim, work, problems);
            return;
        }
        // An XR made without a claim fills no `{namespace}`: only the
        // patterns without one apply to it.
        let namespace = Some(claim.namespace.unwrap_or_default());
        match &self.managed_allow {
            Some(allow) if !allow.allows(&compared, namespace) => problems.add(
                path,
                format!(
                    "{arn} is refused by guardrails.managedPolicyArns.allow: {}",
                    allow.wanted(claim.namespace.unwrap_or_default())
                ),
            ),
            None if self.managed_by_content => problems.add(
                path,
                format!(
                    "{arn} is refused by guardrails.managedPolicyArns.byContent: what a customer managed policy grants is unknown here, so it needs a managedPolicyArns.allow pattern"
                ),
            ),
            _ => {}
        }
    }

    /// Judges an AWS managed policy by its current version, under every
    /// rule of `inlinePolicies` but the lint's.
    fn check_managed_content(
        &self,
        arn: &str,
        path: PolicyPath,
        claim: Claim<'_>,
        work: &Budget,
        problems: &mut Problems,
    ) {
        let rule = "guardrails.managedPolicyArns.byContent";
        let policy = match managed::lookup(arn) {
            Lookup::Published(policy) => policy,
            Lookup::Unpublished { elsewhere } => {
                let hint = elsewhere
                    .map(|policy| {
                        format!(" (AWS publishes {} at {})", policy.name(), policy.path())
                    })
                    .unwrap_or_default();
                problems.add(
                    path,
                    format!("{arn} is refused by {rule}: AWS publishes no such policy{hint}"),
                );
                return;
            }
            Lookup::Unverified { partition, .. } => {
                problems.add(
                    path,
                    format!("{arn} is refused by {rule}: AWS publishes no such policy in the commercial partition, so what it grants in {partition} is unknown"),
                );
                return;
            }
            Lookup::NotManaged => {
                problems.add(
                    path,
                    format!("{arn} is refused by {rule}: its partition is not one whose AWS managed policies are known"),
                );
                return;
            }
        };
        let Some(inline) = &self.inline else {
            return;
        };
        match policy.document() {
            Ok(document) => {
                let label = format!("{arn} ({}) ", policy.version_id());
                let at = Checked {
                    path,
                    label: &label,
                    namespace: claim.namespace,
                    first_only: true,
                };
                check_statements(inline, &document, at, work, problems);
            }
            Err(corrupt) => problems.add(path, format!("{arn} is refused by {rule}: {corrupt}")),
        }
    }
}

/// Under `podIdentityAgent: false`, a claim neither installs the agent nor
/// changes one the Composition's defaults install: the agent is cluster
/// infrastructure every claim on the cluster shares, and a claim's
/// `resolveConflicts: OVERWRITE` or older `version` would change it for all
/// of them. A field equal to the defaults' changes nothing and passes.
fn check_agent(parameters: &Parameters, claim: Claim<'_>, problems: &mut Problems) {
    if !claim.agent_by_default {
        if parameters.agent.is_some() {
            problems.add(
                format!("{PARAMETERS_PATH}.podIdentityAgent.install"),
                "true is refused by guardrails.podIdentityAgent: the platform team installs the agent",
            );
        }
        return;
    }
    for changed in &parameters.agent_overrides {
        problems.add(
            format!("{PARAMETERS_PATH}.podIdentityAgent.{}", changed.field),
            format!(
                "{} is refused by guardrails.podIdentityAgent: the Composition's defaults install the agent, cluster infrastructure every claim on the cluster shares; leave podIdentityAgent out",
                changed.value
            ),
        );
    }
}

/// Whether `arn` names a policy AWS owns (`arn:PARTITION:iam::aws:policy/`).
fn is_aws_managed(arn: &str) -> bool {
    Arn::split(arn).is_some_and(|fields| {
        (fields.service, fields.region, fields.account) == ("iam", "", "aws")
            && fields.resource.starts_with("policy/")
    })
}

/// `text` with a partition of [`crate::iam::arn::Partition`] written as
/// `aws`, so that one pattern holds in every partition.
fn any_partition(text: &str) -> String {
    match text
        .split_once(':')
        .map(|(arn, rest)| (arn, rest.split_once(':')))
    {
        Some(("arn", Some((partition, rest)))) if is_partition(partition) => {
            format!("arn:aws:{rest}")
        }
        _ => text.to_owned(),
    }
}

/// Reads a rule of `true` or `false`.
fn read_flag(value: &Value, path: &str, problems: &mut Problems) -> Option<bool> {
    let flag = value.as_bool();
    if flag.is_none() {
        problems.add(path, format!("want true or false, got {}", describe(value)));
    }
    flag
}

/// What a refusing allow-list would have accepted, for its message.
fn allowed(patterns: &[Glob]) -> String {
    if patterns.is_empty() {
        return "nothing is allowed".to_owned();
    }
    let mut text = "want one of".to_owned();
    for (position, pattern) in patterns.iter().enumerate() {
        text.push_str(if position == 0 { " " } else { ", " });
        // Writing to a String cannot fail.
        let _ = write!(text, "{:?}", pattern.as_str());
    }
    text
}

/// Reads a list of patterns, each checked by `check`; the entry `special`
/// (when not empty) is a flag rather than a pattern.
fn read_patterns(
    value: &Value,
    path: &str,
    special: &str,
    problems: &mut Problems,
    check: fn(&str) -> Result<Case, String>,
) -> (bool, Vec<Glob>) {
    let mut flag = false;
    let mut patterns = Vec::new();
    let Some(items) = value.as_array() else {
        problems.add(path, format!("want a list, got {}", describe(value)));
        return (flag, patterns);
    };
    if items.len() > MAX_PATTERNS {
        problems.add(
            path,
            format!("{} entries; at most {MAX_PATTERNS}", items.len()),
        );
        return (flag, patterns);
    }
    for (position, item) in items.iter().enumerate() {
        let item_path = || format!("{path}[{position}]");
        let Some(text) = item.as_str() else {
            problems.add(
                item_path(),
                format!("want a string, got {}", describe(item)),
            );
            continue;
        };
        if !special.is_empty() && text == special {
            flag = true;
            continue;
        }
        if text.chars().count() > MAX_PATTERN_CHARS {
            problems.add(
                item_path(),
                format!("longer than {MAX_PATTERN_CHARS} characters"),
            );
            continue;
        }
        match check(text) {
            Ok(case) => patterns.push(Glob::new(text, case)),
            Err(message) => problems.add(item_path(), message),
        }
    }
    (flag, patterns)
}

fn read_text<T>(
    value: &Value,
    path: &str,
    problems: &mut Problems,
    parse: fn(&str) -> Result<T, String>,
) -> Option<T> {
    let Some(text) = value.as_str() else {
        problems.add(path, format!("want a string, got {}", describe(value)));
        return None;
    };
    parse(text)
        .map_err(|message| problems.add(path, message))
        .ok()
}

fn read_managed(rules: &mut Guardrails, value: &Value, path: &str, problems: &mut Problems) {
    let Some(object) = value.as_object() else {
        problems.add(path, format!("want an object, got {}", describe(value)));
        return;
    };
    // Patterns compare with their partition set aside (see `any_partition`).
    let normalized = |value: &Value| match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| match item.as_str() {
                    Some(text) => Value::from(any_partition(text)),
                    None => item.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    };
    for (key, value) in object {
        let path = format!("{path}.{key}");
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "allow" => {
                rules.managed_allow = Some(Templates::read(
                    &normalized(value),
                    &path,
                    problems,
                    Case::Sensitive,
                    (
                        |text| policy_arn_pattern(text).is_ok(),
                        "an IAM policy ARN pattern (arn:<partition>:iam::<account>:policy/<path and name>)",
                    ),
                ));
            }
            "deny" => {
                rules.managed_deny =
                    read_patterns(&normalized(value), &path, "", problems, policy_arn_pattern).1;
            }
            "byContent" => {
                rules.managed_by_content = read_flag(value, &path, problems).unwrap_or(false);
            }
            _ => problems.add(path, "unknown guardrail; known are allow, deny, byContent"),
        }
    }
}

/// The pattern characters every pattern may use besides its own.
fn is_wild(c: char) -> bool {
    c == '*' || c == '?'
}

fn namespace_pattern(text: &str) -> Result<Case, String> {
    let fits = !text.is_empty()
        && text.len() <= 63
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || is_wild(c));
    if fits {
        Ok(Case::Sensitive)
    } else {
        Err(format!(
            "{text:?} is not a namespace pattern (want lowercase letters, digits, - and the wildcards * and ?, or {SAME_AS_CLAIM})"
        ))
    }
}

fn cluster_pattern(text: &str) -> Result<Case, String> {
    let fits = !text.is_empty()
        && text.len() <= 100
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || is_wild(c));
    if fits {
        Ok(Case::Sensitive)
    } else {
        Err(format!(
            "{text:?} is not a cluster name pattern (want letters, digits, - _ and the wildcards * and ?, or {ALLOW_REFERENCES})"
        ))
    }
}

/// Checks the shape `arn:<partition>:iam::<account>:<kind>/<rest>`, any
/// part of which may hold wildcards, so that a mistyped ARN is refused
/// instead of matching nothing.
fn iam_arn_pattern(text: &str, kind: &str) -> Result<Case, String> {
    let plain = |field: &str| {
        field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || is_wild(c))
    };
    let fits = Arn::split(text).is_some_and(|fields| {
        !fields.partition.is_empty()
            && plain(fields.partition)
            && fields.service == "iam"
            && fields.region.is_empty()
            && !fields.account.is_empty()
            && plain(fields.account)
            && fields
                .resource
                .strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|rest| {
                    !rest.is_empty() && rest.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c))
                })
    });
    if fits {
        Ok(Case::Sensitive)
    } else {
        Err(format!(
            "{text:?} is not an IAM {kind} ARN pattern (want arn:<partition>:iam::<account>:{kind}/<path and name>, with * and ? as wildcards)"
        ))
    }
}

fn policy_arn_pattern(text: &str) -> Result<Case, String> {
    iam_arn_pattern(text, "policy")
}

fn role_arn_pattern(text: &str) -> Result<Case, String> {
    iam_arn_pattern(text, "role")
}

/// Reads the Composition defaults' `podIdentityAgent.install`.
#[must_use]
pub fn agent_by_default(defaults: Option<&Map<String, Value>>) -> bool {
    defaults
        .and_then(|defaults| defaults.get("podIdentityAgent"))
        .and_then(Value::as_object)
        .and_then(|agent| agent.get("install"))
        == Some(&Value::Bool(true))
}
