//! Guardrails on what a claim could take over rather than create: an IAM
//! role by its name, an association by its id, another AWS account through
//! a cluster-wide provider config, and a life past the claim through the
//! deletion and management policies.
//!
//! Crossplane adopts whatever cloud resource an external name names, so
//! these fields reach what the claim does not own unless a rule says which
//! values are the claim's. Only values the claim set are checked: those of
//! the Composition's `defaults` are the platform team's.

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::Serialize;
use serde_json::Value;

use crate::iam::arn::is_iam_name_char;
use crate::iam::glob::Case;
use crate::params::reader::{shown, Problems, PARAMETERS_PATH};
use crate::params::{DeletionPolicy, ManagementPolicy, Origin, Parameters, ProviderConfigKind};

use super::templates::{each_string, Templates};
use super::{is_wild, read_flag, role_arn_pattern, Claim};

/// The rules this module reads, as `input.guardrails` names them.
pub(super) const KEYS: [&str; 7] = [
    "roleNames",
    "roleArns",
    "allowAssociationId",
    "providerConfigNames",
    "providerConfigKinds",
    "deletionPolicies",
    "managementPolicies",
];

/// Each rule `None` when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Ownership {
    role_names: Option<Templates>,
    role_arns: Option<Templates>,
    allow_association_id: Option<bool>,
    provider_config_names: Option<Templates>,
    provider_config_kinds: Option<Vec<ProviderConfigKind>>,
    deletion_policies: Option<Vec<DeletionPolicy>>,
    management_policies: Option<Vec<ManagementPolicy>>,
}

impl Ownership {
    /// Reads the rule `key`, one of [`KEYS`], found at `path`.
    pub(super) fn read(&mut self, key: &str, value: &Value, path: &str, problems: &mut Problems) {
        match key {
            "roleNames" => {
                self.role_names = Some(Templates::read(
                    value,
                    path,
                    problems,
                    // IAM tells role names apart without case.
                    Case::Insensitive,
                    (
                        role_name_pattern,
                        "a role name pattern (want letters, digits, + = , . @ _ -, the wildcards * and ?, and {namespace})",
                    ),
                ));
            }
            "roleArns" => {
                self.role_arns = Some(Templates::read(
                    value,
                    path,
                    problems,
                    // IAM tells role names apart without case.
                    Case::Insensitive,
                    (
                        |text| role_arn_pattern(text).is_ok(),
                        "an IAM role ARN pattern (want arn:<partition>:iam::<account>:role/<path and name>, with the wildcards * and ?, and {namespace})",
                    ),
                ));
            }
            "allowAssociationId" => {
                self.allow_association_id = read_flag(value, path, problems);
            }
            "providerConfigNames" => {
                self.provider_config_names = Some(Templates::read(
                    value,
                    path,
                    problems,
                    Case::Sensitive,
                    (
                        |text| provider_config_pattern(text).is_ok(),
                        "a provider config name pattern (want lowercase letters, digits, - . , the wildcards * and ?, and {namespace})",
                    ),
                ));
            }
            "providerConfigKinds" => {
                self.provider_config_kinds = Some(read_values(
                    value,
                    path,
                    problems,
                    "ClusterProviderConfig or ProviderConfig",
                ));
            }
            "deletionPolicies" => {
                self.deletion_policies =
                    Some(read_values(value, path, problems, "Delete or Orphan"));
            }
            "managementPolicies" => {
                self.management_policies = Some(read_values(
                    value,
                    path,
                    problems,
                    "*, Create, Observe, Update, Delete or LateInitialize",
                ));
            }
            _ => {}
        }
    }

    /// Adds a problem for every value the claim set that a rule refuses.
    pub(super) fn check(&self, parameters: &Parameters, claim: Claim<'_>, problems: &mut Problems) {
        if let (Some(rule), Some(name)) = (&self.role_names, &parameters.role.name) {
            let name = name.as_str();
            if !rule.allows(name, claim.namespace) {
                problems.add(
                    format!("{PARAMETERS_PATH}.roleName"),
                    format!(
                        "{name} is refused by guardrails.roleNames: {}; leave roleName out for a generated, unique name",
                        rule.wanted(claim.namespace.unwrap_or_default())
                    ),
                );
            }
        }
        if let (Some(rule), Some(arn)) = (&self.role_arns, &parameters.role_arn) {
            let arn = arn.as_str();
            if !rule.allows(arn, claim.namespace) {
                problems.add(
                    format!("{PARAMETERS_PATH}.roleArn"),
                    format!(
                        "{arn} is refused by guardrails.roleArns: {}; an existing role's own trust policy decides which pods may use it, so leave roleArn out for a role of the claim's own",
                        rule.wanted(claim.namespace.unwrap_or_default())
                    ),
                );
            }
        }
        // An XR made without a claim is the platform's own: adopting is its call.
        let tenant = claim.namespace.is_some();
        if let (Some(false), Some(id), true) = (
            self.allow_association_id,
            &parameters.association_id,
            tenant,
        ) {
            problems.add(
                format!("{PARAMETERS_PATH}.associationId"),
                format!(
                    "{} is refused by guardrails.allowAssociationId: a claim may not adopt an existing association; leave associationId out",
                    id.as_str()
                ),
            );
        }
        self.check_provider_config(parameters, claim, problems);
        let management = &parameters.management;
        if let (Some(allowed), Origin::Claim) =
            (&self.deletion_policies, management.origin.deletion_policy)
        {
            if !allowed.contains(&management.deletion_policy) {
                problems.add(
                    format!("{PARAMETERS_PATH}.deletionPolicy"),
                    format!(
                        "{} is refused by guardrails.deletionPolicies: {}",
                        spelled(&management.deletion_policy),
                        wanted(allowed)
                    ),
                );
            }
        }
        if let (Some(allowed), Some(given), Origin::Claim) = (
            &self.management_policies,
            &management.management_policies,
            management.origin.management_policies,
        ) {
            for (position, policy) in given.iter().enumerate() {
                if !allowed.contains(policy) {
                    problems.add(
                        format!("{PARAMETERS_PATH}.managementPolicies[{position}]"),
                        format!(
                            "{} is refused by guardrails.managementPolicies: {}",
                            spelled(policy),
                            wanted(allowed)
                        ),
                    );
                }
            }
        }
    }

    /// A cluster-wide provider config holds some AWS account's credentials,
    /// so a claim may name only those `providerConfigNames` lists (with
    /// `{namespace}` filled by the claim's; an XR made without a claim fills
    /// none, and only the patterns without one apply to it). A namespaced
    /// `ProviderConfig` may use the provider's own identity, and so the
    /// platform's credentials: `providerConfigKinds` says which kinds a
    /// claim may choose.
    fn check_provider_config(
        &self,
        parameters: &Parameters,
        claim: Claim<'_>,
        problems: &mut Problems,
    ) {
        let management = &parameters.management;
        if let (Some(kinds), Origin::Claim) = (
            &self.provider_config_kinds,
            management.origin.provider_config_kind,
        ) {
            if !kinds.contains(&management.provider_config_kind) {
                problems.add(
                    format!("{PARAMETERS_PATH}.providerConfigKind"),
                    format!(
                        "{} is refused by guardrails.providerConfigKinds: {}; a namespaced ProviderConfig may use the provider's own credentials, the platform's",
                        spelled(&management.provider_config_kind),
                        wanted(kinds)
                    ),
                );
                return;
            }
        }
        let Some(patterns) = &self.provider_config_names else {
            return;
        };
        // A cluster-scoped XR holds ClusterProviderConfig here: its
        // ProviderConfig is cluster-wide too.
        if management.provider_config_kind != ProviderConfigKind::ClusterProviderConfig {
            return;
        }
        let name = management.provider_config_name.as_str();
        let namespace = claim.namespace.unwrap_or_default();
        if patterns.allows(name, Some(namespace)) {
            return;
        }
        // Choosing the kind alone also chooses whose credentials: the
        // default name may be a tenant's ProviderConfig and an admin's
        // ClusterProviderConfig at once.
        let (field, what) = match management.origin {
            origin if origin.provider_config_name == Origin::Claim => {
                ("providerConfigName", name.to_owned())
            }
            origin if origin.provider_config_kind == Origin::Claim => (
                "providerConfigKind",
                format!("ClusterProviderConfig names {name}, which"),
            ),
            _ => return,
        };
        problems.add(
            format!("{PARAMETERS_PATH}.{field}"),
            format!(
                "{what} is refused by guardrails.providerConfigNames: {}",
                patterns.wanted(namespace)
            ),
        );
    }
}

/// Reads a list of enum values at `path`, each spelt as its serde name.
fn read_values<T: DeserializeOwned + PartialEq>(
    value: &Value,
    path: &str,
    problems: &mut Problems,
    want: &str,
) -> Vec<T> {
    let mut values = Vec::new();
    each_string(value, path, problems, |position, text, problems| {
        let deserializer: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            text.into_deserializer();
        match T::deserialize(deserializer) {
            Ok(value) if !values.contains(&value) => values.push(value),
            Ok(_) => {}
            Err(_) => problems.add(
                format!("{path}[{position}]"),
                format!("want {want}, got {}", shown(text)),
            ),
        }
    });
    values
}

/// A value as the claim spells it: its serde name.
fn spelled(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        _ => String::new(),
    }
}

/// What a list of values would have accepted, for a refusal's message.
fn wanted<T: Serialize>(values: &[T]) -> String {
    if values.is_empty() {
        return "nothing is allowed; leave the field out".to_owned();
    }
    let spelt: Vec<String> = values
        .iter()
        .map(|value| format!("{:?}", spelled(value)))
        .collect();
    format!("want one of {}", spelt.join(", "))
}

fn role_name_pattern(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| is_iam_name_char(c) || is_wild(c))
}

fn provider_config_pattern(text: &str) -> Result<Case, String> {
    let fits = !text.is_empty()
        && text.len() <= 253
        && text.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' || is_wild(c)
        });
    if fits {
        Ok(Case::Sensitive)
    } else {
        Err(format!(
            "{} is not a provider config name pattern (want lowercase letters, digits, - . and the wildcards * and ?)",
            shown(text)
        ))
    }
}
