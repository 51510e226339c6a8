//! What the policy lint found in a claim's inline policies, and which of
//! its `managedPolicyArns` AWS does not publish, at the claim's field
//! paths, for those who report it: the function's Warning results,
//! `render`, `lint` and the metrics.

use std::fmt;

use crate::iam::arn::Partition;
use crate::iam::lint::{Check, Finding, Severity};
use crate::iam::managed::{self, Lookup};

use super::reader::PARAMETERS_PATH;
use super::Parameters;

/// Which of the claim's fields a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingAt {
    /// The document of `spec.parameters.inlinePolicy[N]`.
    InlinePolicy(usize),
    /// The ARN `spec.parameters.managedPolicyArns[N]`.
    ManagedPolicyArn(usize),
}

/// One finding in one of the claim's policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFinding {
    /// The field it is in.
    pub at: FindingAt,
    /// What was found: for an inline policy, where in the document; for a
    /// managed policy ARN, the ARN as its value.
    pub finding: Finding,
}

impl PolicyFinding {
    /// Every finding of the claim's policies: the managed policy ARNs AWS
    /// does not publish, in their order, then the lint's findings, policy
    /// by policy.
    pub fn of(parameters: &Parameters) -> impl Iterator<Item = Self> + '_ {
        let managed = parameters
            .managed_policy_arns
            .iter()
            .enumerate()
            .filter_map(|(position, arn)| {
                unpublished(arn.as_str()).map(|finding| Self {
                    at: FindingAt::ManagedPolicyArn(position),
                    finding,
                })
            });
        let inline = parameters
            .inline_policies
            .iter()
            .enumerate()
            .flat_map(|(policy, inline)| {
                inline.findings.iter().map(move |finding| Self {
                    at: FindingAt::InlinePolicy(policy),
                    finding: finding.clone(),
                })
            });
        managed.chain(inline)
    }

    /// The claim's field it is in: `spec.parameters.inlinePolicy[N].policy`
    /// or `spec.parameters.managedPolicyArns[N]`.
    #[must_use]
    pub fn field(&self) -> String {
        match self.at {
            FindingAt::InlinePolicy(policy) => {
                format!("{PARAMETERS_PATH}.inlinePolicy[{policy}].policy")
            }
            FindingAt::ManagedPolicyArn(position) => {
                format!("{PARAMETERS_PATH}.managedPolicyArns[{position}]")
            }
        }
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
        match self.at {
            FindingAt::InlinePolicy(_) => write!(f, "{}: {}", self.field(), self.finding),
            // The field is the ARN: no path within a document to name.
            FindingAt::ManagedPolicyArn(_) => write!(
                f,
                "{} {:?}: {} {}: {}",
                self.field(),
                self.finding.value,
                self.finding.severity(),
                self.finding.check,
                self.finding.message
            ),
        }
    }
}

/// The finding for an AWS managed policy ARN of the commercial partition
/// that AWS does not publish, where the vendored data is complete. A
/// customer managed policy (an account other than `aws`) is content the
/// function cannot see, and another partition's ARN may be that
/// partition's own: neither gets a finding.
fn unpublished(arn: &str) -> Option<Finding> {
    let Lookup::Unpublished { elsewhere } = managed::lookup(arn) else {
        return None;
    };
    let hint = elsewhere.map_or_else(String::new, |policy| {
        format!(
            "; AWS publishes {} at {}",
            policy.name(),
            policy.arn(Partition::Aws)
        )
    });
    Some(Finding::new(
        Check::UnpublishedManagedPolicy,
        None,
        String::new(),
        arn,
        format!(
            "AWS publishes no managed policy at this ARN, so AttachRolePolicy fails with NoSuchEntity (404) and the attachment never becomes ready{hint}"
        ),
    ))
}
