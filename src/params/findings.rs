//! What the policy lint found in a claim's inline policies, at the claim's
//! field paths, for those who report it: the function's Warning results,
//! `render`, `lint` and the metrics.

use std::fmt;

use crate::iam::lint::{Check, Finding, Severity};

use super::reader::PARAMETERS_PATH;
use super::Parameters;

/// One lint finding in one of the claim's inline policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFinding {
    /// The policy's position in `spec.parameters.inlinePolicy`.
    pub policy: usize,
    /// What was found, where in the document.
    pub finding: Finding,
}

impl PolicyFinding {
    /// Every finding of the claim's inline policies, policy by policy.
    pub fn of(parameters: &Parameters) -> impl Iterator<Item = Self> + '_ {
        parameters
            .inline_policies
            .iter()
            .enumerate()
            .flat_map(|(policy, inline)| {
                inline.findings.iter().map(move |finding| Self {
                    policy,
                    finding: finding.clone(),
                })
            })
    }

    /// The claim's field that holds the document:
    /// `spec.parameters.inlinePolicy[N].policy`.
    #[must_use]
    pub fn field(&self) -> String {
        format!("{PARAMETERS_PATH}.inlinePolicy[{}].policy", self.policy)
    }

    /// Its severity's name: `ERROR`, `SECURITY_WARNING`, `WARNING` or
    /// `SUGGESTION`.
    #[must_use]
    pub fn severity(&self) -> &'static str {
        self.finding.severity().as_str()
    }

    /// Its check's name, one of a fixed set.
    #[must_use]
    pub fn check(&self) -> &'static str {
        self.finding.check.as_str()
    }

    /// Its severity and check names, as metrics label them.
    #[must_use]
    pub fn labels(&self) -> (&'static str, &'static str) {
        (self.severity(), self.check())
    }

    /// Whether it is an ERROR.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.finding.severity() == Severity::Error
    }

    /// Whether the claim's author sees it as a Warning result: `ERROR` and
    /// `SECURITY_WARNING` findings, and `POLICY_TOO_COMPLEX`, a WARNING
    /// about the lint itself that says the rest went unchecked.
    #[must_use]
    pub fn is_shown(&self) -> bool {
        self.finding.severity() <= Severity::SecurityWarning
            || self.finding.check == Check::PolicyTooComplex
    }
}

impl fmt::Display for PolicyFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.finding)
    }
}
