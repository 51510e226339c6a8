//! `guardrails.wellKnownPolicies`: the add-ons whose vetted sets a claim
//! may ask for.
//!
//! A set the rule names is trusted by name: the platform team chose it, and
//! the `inlinePolicies` rules, written for what tenants compose by hand,
//! do not apply to it (the load balancer controller needs
//! `iam:CreateServiceLinkedRole`, which a rule denying `iam:*` would
//! refuse). Without the rule, every set is checked like the claim's own
//! policies. These sets are cluster infrastructure, so a cluster-scoped XR
//! made without a claim, the platform's own, passes as for `SameAsClaim`.

use serde_json::Value;

use crate::iam::well_known::AddOn;
use crate::params::reader::Problems;

use super::templates::each_string;

/// The entry that allows every add-on.
pub const EVERY_ADD_ON: &str = "*";

/// Which add-ons a claim may ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct WellKnownRule {
    every: bool,
    allowed: Vec<AddOn>,
}

impl WellKnownRule {
    /// Reads the list at `path`: add-ons by their claim key, or `*`.
    pub(super) fn read(value: &Value, path: &str, problems: &mut Problems) -> Self {
        let mut rule = Self::default();
        each_string(value, path, problems, |position, text, problems| {
            if text == EVERY_ADD_ON {
                rule.every = true;
                return;
            }
            match AddOn::from_claim_name(text) {
                Ok(add_on) if !rule.allowed.contains(&add_on) => rule.allowed.push(add_on),
                Ok(_) => {}
                Err(message) => problems.add(format!("{path}[{position}]"), message),
            }
        });
        rule
    }

    /// Whether the rule names `add_on` (or every add-on).
    pub(super) fn trusts(&self, add_on: AddOn) -> bool {
        self.every || self.allowed.contains(&add_on)
    }

    /// Why a set the rule does not name is refused, and what would pass.
    pub(super) fn refusal(&self, add_on: AddOn) -> String {
        let wanted = if self.allowed.is_empty() {
            "no add-on is allowed to claims".to_owned()
        } else {
            let names: Vec<&str> = self.allowed.iter().map(|a| a.claim_name()).collect();
            format!("claims may ask for {}", names.join(", "))
        };
        format!(
            "{} is refused by guardrails.wellKnownPolicies: {wanted}. Its set is cluster infrastructure; ask the platform team to allow it, or to compose it from an XR made without a claim",
            add_on.claim_name()
        )
    }
}
