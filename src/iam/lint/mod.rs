//! The policy lint: what IAM accepts but does not do what its author
//! meant, found without AWS credentials, against the action catalogue.
//!
//! Findings carry IAM Access Analyzer's four severities and, where Access
//! Analyzer has a check for the same thing, its issue code; the others are
//! named in the same style (`docs/iam.md` lists every check). Each finding
//! names the element's path within the document, its statement and its
//! value. The work one document may cost is bounded by the caller's
//! [`Budget`]: past it the lint stops expanding globs and says so.
//!
//! This module holds the findings and the entry point; the checks live in
//! one submodule per group, as parliament keeps its auditors: statement
//! shape, actions, resources, conditions.

mod actions;
mod conditions;
mod resources;
mod statement;

use std::collections::HashSet;
use std::fmt;

use super::budget::Budget;
use super::catalogue::{self, Catalogue};
use super::policy::{statement_path, Document, Field, Shape, ShapeKind, Statement};

/// How bad a finding is, as Access Analyzer ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The policy (or part of it) cannot do what it says.
    Error,
    /// It grants more than is safe.
    SecurityWarning,
    /// It works, but is likely not what was meant.
    Warning,
    /// It could be simpler.
    Suggestion,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Self; 4] = [
        Self::Error,
        Self::SecurityWarning,
        Self::Warning,
        Self::Suggestion,
    ];

    /// The name Access Analyzer gives it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::SecurityWarning => "SECURITY_WARNING",
            Self::Warning => "WARNING",
            Self::Suggestion => "SUGGESTION",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! checks {
    ($($variant:ident => ($name:literal, $severity:ident)),+ $(,)?) => {
        /// One check of the lint. The set is fixed, so its names can label
        /// metrics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Check {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )+
        }

        impl Check {
            /// Every check.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Its name, in Access Analyzer's style (its own issue code
            /// where it has the same check).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            /// Its severity.
            #[must_use]
            pub fn severity(self) -> Severity {
                match self {
                    $(Self::$variant => Severity::$severity,)+
                }
            }
        }
    };
}

checks! {
    InvalidServiceInAction => ("INVALID_SERVICE_IN_ACTION", Error),
    InvalidAction => ("INVALID_ACTION", Error),
    InvalidConditionOperator => ("INVALID_CONDITION_OPERATOR", Error),
    ResourceMismatch => ("RESOURCE_MISMATCH", Error),
    MissingVersion => ("MISSING_VERSION", Error),
    InvalidVersion => ("INVALID_VERSION", Error),
    MissingStatement => ("MISSING_STATEMENT", Error),
    MissingEffect => ("MISSING_EFFECT", Error),
    InvalidEffect => ("INVALID_EFFECT", Error),
    MissingAction => ("MISSING_ACTION", Error),
    MissingResource => ("MISSING_RESOURCE", Error),
    MissingPrincipal => ("MISSING_PRINCIPAL", Error),
    UnsupportedPrincipal => ("UNSUPPORTED_PRINCIPAL", Error),
    UnsupportedElementCombination => ("UNSUPPORTED_ELEMENT_COMBINATION", Error),
    InvalidPolicyElement => ("INVALID_POLICY_ELEMENT", Error),
    DataTypeMismatch => ("DATA_TYPE_MISMATCH", Error),
    DuplicateKeysWithDifferentCase => ("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", Error),
    UnsubstitutedPlaceholder => ("UNSUBSTITUTED_PLACEHOLDER", Error),
    MissingQualifier => ("MISSING_QUALIFIER", Error),
    UnpublishedManagedPolicy => ("UNPUBLISHED_MANAGED_POLICY", Error),
    PassRoleWithStarInResource => ("PASS_ROLE_WITH_STAR_IN_RESOURCE", SecurityWarning),
    PassRoleWithStarInActionAndResource => ("PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", SecurityWarning),
    AllowWithNotAction => ("ALLOW_WITH_NOT_ACTION", SecurityWarning),
    AllowWithNotResource => ("ALLOW_WITH_NOT_RESOURCE", SecurityWarning),
    InvalidServiceConditionKey => ("INVALID_SERVICE_CONDITION_KEY", Error),
    InvalidGlobalConditionKey => ("INVALID_GLOBAL_CONDITION_KEY", Error),
    ResourceStar => ("RESOURCE_STAR", Warning),
    ArnForStarOnlyAction => ("ARN_FOR_STAR_ONLY_ACTION", Warning),
    NoResourceForAction => ("NO_RESOURCE_FOR_ACTION", Warning),
    ConditionKeyOfOtherService => ("CONDITION_KEY_OF_OTHER_SERVICE", Warning),
    PolicyTooComplex => ("POLICY_TOO_COMPLEX", Warning),
    OutdatedVersion => ("OUTDATED_VERSION", Warning),
    RedundantAction => ("REDUNDANT_ACTION", Suggestion),
    DuplicateSid => ("DUPLICATE_SID", Suggestion),
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of policy a document is: they differ in the elements they
/// need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A permissions policy of a role, user or group: `Resource`, no
    /// `Principal`.
    Identity,
    /// A role's trust policy: `Principal`, no `Resource`.
    Trust,
}

/// The longest value a finding quotes, in characters.
pub const MAX_VALUE_CHARS: usize = 128;

/// The longest action text looked up: IAM's longest action is far
/// shorter, so longer text is unknown without a search.
pub const MAX_ACTION_CHARS: usize = 256;

/// The longest resource compared with the catalogue's ARN formats: IAM's
/// own bound on an ARN.
pub const MAX_RESOURCE_CHARS: usize = 2048;

/// The longest condition key looked up.
pub const MAX_KEY_CHARS: usize = 256;

/// The work "did you mean" hints may cost per document, apart from the
/// checks' own budget: enough for the first few misspellings, which are
/// the ones read.
pub const SUGGESTION_UNITS: u64 = 50_000;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub check: Check,
    /// The statement it is in, if any.
    pub statement: Option<usize>,
    /// The element's path in the document, such as `Statement[0].Action[1]`
    /// (empty for the document itself).
    pub path: String,
    /// The element's value, cut to [`MAX_VALUE_CHARS`] (empty when the
    /// element is missing).
    pub value: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Finding {
    /// Its severity.
    #[must_use]
    pub fn severity(&self) -> Severity {
        self.check.severity()
    }

    /// A finding, its value cut to [`MAX_VALUE_CHARS`]; for the lint, and
    /// for those who check what a claim names beside its documents (its
    /// managed policy ARNs).
    #[must_use]
    pub fn new(
        check: Check,
        statement: Option<usize>,
        path: String,
        value: &str,
        message: String,
    ) -> Self {
        Self {
            check,
            statement,
            path,
            value: cut(value),
            message,
        }
    }
}

impl fmt::Display for Finding {
    /// `Statement[0].Action[1] "s3:GetObjects": ERROR INVALID_ACTION: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "the document"
        } else {
            &self.path
        };
        if self.value.is_empty() {
            write!(f, "{path}: ")?;
        } else {
            write!(f, "{path} {:?}: ", self.value)?;
        }
        write!(f, "{} {}: {}", self.severity(), self.check, self.message)
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}...", &text[..at]),
    }
}

/// Checks one policy document against IAM's grammar and the catalogue.
/// Findings come in document order.
#[must_use]
pub fn lint(document: &Document, kind: Kind, budget: &Budget) -> Vec<Finding> {
    let catalogue = catalogue::get();
    let mut findings = Vec::new();
    for shape in &document.shapes {
        findings.push(shape_finding(shape));
    }
    match &document.version {
        Field::Absent => findings.push(Finding::new(
            Check::MissingVersion,
            None,
            "Version".to_owned(),
            "",
            "add \"Version\": \"2012-10-17\"; without it IAM reads the policy by the 2008 rules, in which policy variables such as ${aws:username} are plain text".to_owned(),
        )),
        Field::Given(version) if version == "2012-10-17" => {}
        Field::Given(version) if version == "2008-10-17" => findings.push(Finding::new(
            Check::OutdatedVersion,
            None,
            "Version".to_owned(),
            version,
            "the 2008 version reads policy variables such as ${aws:username} as plain text; use 2012-10-17".to_owned(),
        )),
        Field::Given(version) => findings.push(Finding::new(
            Check::InvalidVersion,
            None,
            "Version".to_owned(),
            version,
            "IAM knows the versions 2012-10-17 and 2008-10-17; use 2012-10-17".to_owned(),
        )),
        Field::Malformed => {}
    }
    // An empty list, not a malformed one (that is a shape problem already).
    let empty = document.statements.is_empty()
        && document
            .shapes
            .iter()
            .all(|shape| shape.path != "Statement");
    if !document.has_statement || empty {
        findings.push(Finding::new(
            Check::MissingStatement,
            None,
            "Statement".to_owned(),
            "",
            "a policy needs at least one statement".to_owned(),
        ));
    }
    let hints = Budget::new(SUGGESTION_UNITS);
    let mut sids: HashSet<&str> = HashSet::new();
    for (index, statement) in document.statements.iter().enumerate() {
        if let Some(sid) = statement.sid.given() {
            if !sids.insert(sid.as_str()) {
                findings.push(Finding::new(
                    Check::DuplicateSid,
                    Some(index),
                    format!("{}.Sid", statement_path(index)),
                    sid,
                    "another statement has this Sid; give each statement its own".to_owned(),
                ));
            }
        }
        let mut linter = StatementLint {
            catalogue,
            budget,
            hints: &hints,
            kind,
            index,
            statement,
            base: statement_path(index),
            findings: &mut findings,
        };
        linter.run();
    }
    if budget.exhausted() {
        findings.push(Finding::new(
            Check::PolicyTooComplex,
            None,
            String::new(),
            "",
            "the policy's patterns cost more than the lint's bound, so some were not checked; use fewer or narrower wildcards".to_owned(),
        ));
    }
    // Shapes were found while reading, the rest statement by statement.
    findings.sort_by_key(|finding| finding.statement.map_or(0, |index| index + 1));
    findings
}

fn shape_finding(shape: &Shape) -> Finding {
    let check = match shape.kind {
        ShapeKind::TypeMismatch => Check::DataTypeMismatch,
        ShapeKind::UnknownElement => Check::InvalidPolicyElement,
        ShapeKind::DuplicateKey => Check::DuplicateKeysWithDifferentCase,
    };
    Finding::new(
        check,
        shape.statement,
        shape.path.clone(),
        "",
        shape.message.clone(),
    )
}

/// What an action entry turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolved {
    /// `*`, or a prefix with wildcards: it reaches across services.
    Broad,
    /// One known service, matching at least one action: this one, when
    /// the entry names one action.
    Known(usize, Option<usize>),
    /// Reported as unknown.
    Unknown,
    /// Not decided: the budget ran out.
    Undecided,
}

/// The services a statement's actions are in, for its condition keys.
enum Scope {
    Any,
    Services(Vec<usize>),
}

struct StatementLint<'a> {
    catalogue: &'static Catalogue,
    budget: &'a Budget,
    /// What hints may still cost; when spent, findings go without one.
    hints: &'a Budget,
    kind: Kind,
    index: usize,
    statement: &'a Statement,
    base: String,
    findings: &'a mut Vec<Finding>,
}

impl StatementLint<'_> {
    fn report(&mut self, check: Check, path: String, value: &str, message: String) {
        self.findings
            .push(Finding::new(check, Some(self.index), path, value, message));
    }

    fn element(&self, name: &str) -> String {
        format!("{}.{name}", self.base)
    }

    fn run(&mut self) {
        let statement = self.statement;
        self.check_elements();
        self.check_placeholders("Resource", &statement.resource);
        self.check_placeholders("NotResource", &statement.not_resource);
        let (actions_name, actions) = match (&statement.action, &statement.not_action) {
            (Field::Given(actions), _) => ("Action", Some(actions)),
            (_, Field::Given(actions)) => ("NotAction", Some(actions)),
            _ => ("Action", None),
        };
        let resolved: Vec<Resolved> = actions.map_or_else(Vec::new, |actions| {
            self.resolve_actions(actions, &self.element(actions_name))
        });
        let Some(actions) = actions else {
            self.check_conditions(&Scope::Any);
            return;
        };
        if actions_name == "Action" {
            self.check_redundant(actions, &resolved);
            if self.kind == Kind::Identity {
                self.check_pass_role(actions, &resolved);
                self.check_resource_star(actions, &resolved);
                self.check_resources(actions, &resolved);
            }
        }
        let scope = if actions_name == "NotAction"
            || resolved
                .iter()
                .any(|entry| matches!(entry, Resolved::Broad | Resolved::Undecided))
        {
            Scope::Any
        } else {
            let mut services: Vec<usize> = resolved
                .iter()
                .filter_map(|entry| match entry {
                    Resolved::Known(service, _) => Some(*service),
                    _ => None,
                })
                .collect();
            services.sort_unstable();
            services.dedup();
            if services.is_empty() {
                Scope::Any
            } else {
                Scope::Services(services)
            }
        };
        self.check_conditions(&scope);
    }
}

#[cfg(test)]
mod tests {
    use super::{Check, Severity};

    #[test]
    fn check_names_are_unique_and_in_the_issue_code_style() {
        let mut names: Vec<_> = Check::ALL.iter().map(|check| check.as_str()).collect();
        assert!(names
            .iter()
            .all(|name| name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Check::ALL.len());
        for severity in Severity::ALL {
            assert!(
                Check::ALL.iter().any(|check| check.severity() == severity),
                "{severity}"
            );
        }
    }
}
