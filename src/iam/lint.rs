//! The policy lint: what IAM accepts but does not do what its author
//! meant, found without AWS credentials, against the action catalogue.
//!
//! Findings carry IAM Access Analyzer's four severities and, where Access
//! Analyzer has a check for the same thing, its issue code; the others are
//! named in the same style (`docs/iam.md` lists every check). Each finding
//! names the element's path within the document, its statement and its
//! value. The work one document may cost is bounded by the caller's
//! [`Budget`]: past it the lint stops expanding globs and says so.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::budget::Budget;
use super::catalogue::{self, AccessLevel, Action, Catalogue, Service};
use super::glob::{template_matches, Case, Glob};
use super::policy::{statement_path, Document, Field, Shape, ShapeKind, Statement, Strings};
use super::similar;

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

    fn new(
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

/// What a statement's actions act on.
struct ActionTypes {
    /// Each literal action, with its position in the element.
    literal: Vec<(usize, Action<'static>)>,
    /// The resource types of every action, sorted.
    types: Vec<usize>,
    /// The services of actions that take only `*`: an ARN of theirs may
    /// be meant for them, as AWS's own policies often write.
    star_only: Vec<&'static str>,
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

    /// The statement's elements: present, alone, and with what they need.
    fn check_elements(&mut self) {
        let statement = self.statement;
        match &statement.effect {
            Field::Absent => self.report(
                Check::MissingEffect,
                self.base.clone(),
                "",
                "add \"Effect\": \"Allow\" or \"Deny\"".to_owned(),
            ),
            Field::Given(effect) if effect != "Allow" && effect != "Deny" => self.report(
                Check::InvalidEffect,
                self.element("Effect"),
                effect,
                "the effect is Allow or Deny, spelt so".to_owned(),
            ),
            _ => {}
        }
        match (self.kind, statement.principal) {
            (Kind::Identity, true) => self.report(
                Check::UnsupportedPrincipal,
                self.element("Principal"),
                "",
                "a permissions policy applies to the role it is attached to; remove Principal"
                    .to_owned(),
            ),
            (Kind::Trust, false) => self.report(
                Check::MissingPrincipal,
                self.base.clone(),
                "",
                "a trust policy names who may assume the role in Principal".to_owned(),
            ),
            _ => {}
        }
        self.pair(
            "Action",
            &statement.action,
            "NotAction",
            &statement.not_action,
            Check::MissingAction,
        );
        if self.kind == Kind::Identity {
            self.pair(
                "Resource",
                &statement.resource,
                "NotResource",
                &statement.not_resource,
                Check::MissingResource,
            );
        }
        if statement.allows() && statement.effect.is_present() {
            if statement.not_action.is_present() {
                self.report(
                    Check::AllowWithNotAction,
                    self.element("NotAction"),
                    "",
                    "Allow with NotAction grants every action not listed, those of services AWS adds later included; list the actions to allow".to_owned(),
                );
            }
            if statement.not_resource.is_present() {
                self.report(
                    Check::AllowWithNotResource,
                    self.element("NotResource"),
                    "",
                    "Allow with NotResource grants the actions on every resource not listed; list the resources to allow".to_owned(),
                );
            }
        }
    }

    /// A `${...}` in a resource that is no policy variable is a template's
    /// placeholder left unfilled (`${AWS_PARTITION}`): IAM reads it as
    /// plain text, so the ARN matches nothing.
    fn check_placeholders(&mut self, name: &str, field: &Field<Strings>) {
        let Some(resources) = field.given() else {
            return;
        };
        for (position, resource) in &resources.items {
            if let Some(placeholder) =
                placeholders(resource).find(|inner| !is_policy_variable(inner))
            {
                self.report(
                    Check::UnsubstitutedPlaceholder,
                    resources.path(&self.element(name), *position),
                    resource,
                    format!(
                        "${{{placeholder}}} is not an IAM policy variable (those are ${{service:key}}, such as ${{aws:username}}, or ${{*}}, ${{?}}, ${{$}}); IAM reads it as plain text, so the ARN matches nothing: fill it in"
                    ),
                );
            }
        }
    }

    /// One of `one` and `other` must be given, not both, and not empty.
    fn pair(
        &mut self,
        one: &str,
        one_field: &Field<Strings>,
        other: &str,
        other_field: &Field<Strings>,
        missing: Check,
    ) {
        match (one_field.is_present(), other_field.is_present()) {
            (true, true) => self.report(
                Check::UnsupportedElementCombination,
                self.element(other),
                "",
                format!("a statement has {one} or {other}, not both"),
            ),
            (false, false) => self.report(
                missing,
                self.base.clone(),
                "",
                format!("add {one} (or {other})"),
            ),
            _ => {
                let (name, field) = if one_field.is_present() {
                    (one, one_field)
                } else {
                    (other, other_field)
                };
                if field
                    .given()
                    .is_some_and(|strings| strings.items.is_empty())
                {
                    self.report(
                        missing,
                        self.element(name),
                        "",
                        format!("{name} is an empty list; IAM refuses a statement without one"),
                    );
                }
            }
        }
    }

    /// Looks up every action entry, reporting those that name nothing.
    fn resolve_actions(&mut self, actions: &Strings, element: &str) -> Vec<Resolved> {
        let mut resolved = Vec::with_capacity(actions.items.len());
        for (position, text) in &actions.items {
            let path = || actions.path(element, *position);
            let outcome = self.resolve(text);
            match outcome {
                Ok(resolution) => resolved.push(resolution),
                Err((check, message)) => {
                    self.report(check, path(), text, message);
                    resolved.push(Resolved::Unknown);
                }
            }
        }
        resolved
    }

    fn resolve(&self, text: &str) -> Result<Resolved, (Check, String)> {
        if text == "*" {
            return Ok(Resolved::Broad);
        }
        if text.chars().count() > MAX_ACTION_CHARS {
            return Err((
                Check::InvalidAction,
                format!("longer than {MAX_ACTION_CHARS} characters; no IAM action is"),
            ));
        }
        let Some((prefix, name)) = text.split_once(':') else {
            return Err((
                Check::InvalidAction,
                "an action is service:Action, such as s3:GetObject (only \"*\" stands alone)"
                    .to_owned(),
            ));
        };
        let wild = |part: &str| part.contains(['*', '?']);
        if wild(prefix) {
            let glob = Glob::new(prefix, Case::Insensitive);
            let any = self
                .catalogue
                .services()
                .take_while(|_| self.budget.spend(1))
                .any(|service| glob.matches(service.prefix()));
            if self.budget.exhausted() {
                return Ok(Resolved::Undecided);
            }
            if !any {
                return Err((
                    Check::InvalidServiceInAction,
                    format!("the prefix pattern {prefix:?} matches no service"),
                ));
            }
            return self.any_match(text).map(|()| Resolved::Broad);
        }
        let Some(service) = self.catalogue.service(prefix) else {
            let suggestion = similar::closest(
                prefix,
                self.catalogue.services().map(|s| s.prefix()),
                self.hints,
            );
            return Err((
                Check::InvalidServiceInAction,
                format!(
                    "no service has the prefix {prefix:?}{}",
                    hint(suggestion.map(|s| format!("{s}:{name}")))
                ),
            ));
        };
        if wild(name) {
            return self
                .any_match(text)
                .map(|()| Resolved::Known(service.number(), None));
        }
        if let Some(action) = service.action(name) {
            return Ok(Resolved::Known(service.number(), Some(action.number())));
        }
        let names = service.actions().map(|action| action.name());
        let suggestion = similar::closest(name, names, self.hints);
        Err((
            Check::InvalidAction,
            format!(
                "{} has no action {name:?}{}",
                service.prefix(),
                hint(suggestion.map(|s| format!("{}:{s}", service.prefix())))
            ),
        ))
    }

    /// Whether a pattern matches some action (undecided counts as yes).
    fn any_match(&self, text: &str) -> Result<(), (Check, String)> {
        if self
            .catalogue
            .matching(text, Some(self.budget))
            .next()
            .is_some()
            || self.budget.exhausted()
        {
            Ok(())
        } else {
            Err((
                Check::InvalidAction,
                "the pattern matches no action".to_owned(),
            ))
        }
    }

    /// Literal actions already granted by another entry of the statement.
    /// A literal is compared only with the patterns of its own service and
    /// those whose service part has wildcards: a policy's many patterns of
    /// other services cost it nothing.
    fn check_redundant(&mut self, actions: &Strings, resolved: &[Resolved]) {
        // Patterns by their lower-case service part, wild ones apart.
        let mut by_service: HashMap<String, Vec<(usize, &str, Glob)>> = HashMap::new();
        let mut wild: Vec<(usize, &str, Glob)> = Vec::new();
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            if !text.contains(['*', '?']) || matches!(resolution, Resolved::Unknown) {
                continue;
            }
            let entry = (*position, text.as_str(), Glob::new(text, Case::Insensitive));
            match text.split_once(':') {
                Some((service, _)) if !service.contains(['*', '?']) => by_service
                    .entry(service.to_ascii_lowercase())
                    .or_default()
                    .push(entry),
                _ => wild.push(entry),
            }
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut found = Vec::new();
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            if text.contains(['*', '?']) || !matches!(resolution, Resolved::Known(..)) {
                continue;
            }
            let folded = text.to_ascii_lowercase();
            let service = folded.split_once(':').map_or("", |(service, _)| service);
            let own = by_service.get(service).map_or(&[][..], Vec::as_slice);
            if !seen.insert(folded.clone()) {
                found.push((*position, text, "it is listed twice".to_owned()));
                continue;
            }
            let units = u64::try_from(own.len() + wild.len()).unwrap_or(u64::MAX);
            if !self.budget.spend(units) {
                return;
            }
            if let Some((at, glob_text, _)) = own
                .iter()
                .chain(&wild)
                .find(|(_, _, glob)| glob.matches(text))
            {
                found.push((
                    *position,
                    text,
                    format!(
                        "{glob_text:?} ({}) already grants it",
                        actions.path("Action", *at)
                    ),
                ));
            }
        }
        for (position, text, message) in found {
            self.report(
                Check::RedundantAction,
                actions.path(&self.element("Action"), position),
                text,
                message,
            );
        }
    }

    /// The first `Resource: "*"` entry, with its path.
    fn star_resource(&self) -> Option<(String, &'static str)> {
        let resources = self.statement.resource.given()?;
        resources
            .items
            .iter()
            .find(|(_, text)| text == "*")
            .map(|(position, _)| (resources.path(&self.element("Resource"), *position), "*"))
    }

    fn check_pass_role(&mut self, actions: &Strings, resolved: &[Resolved]) {
        if !self.statement.allows() {
            return;
        }
        let Some((_, _)) = self.star_resource() else {
            return;
        };
        let limited = self.statement.condition.given().is_some_and(|conditions| {
            conditions
                .iter()
                .flat_map(|c| &c.keys)
                .any(|key| key.eq_ignore_ascii_case("iam:PassedToService"))
        });
        if limited {
            return;
        }
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            if matches!(resolution, Resolved::Unknown) {
                continue;
            }
            let literal = !text.contains(['*', '?']);
            let passes = if literal {
                text.eq_ignore_ascii_case("iam:PassRole")
            } else {
                Glob::new(text, Case::Insensitive).matches("iam:PassRole")
            };
            if passes {
                let (check, message) = if literal {
                    (
                        Check::PassRoleWithStarInResource,
                        "iam:PassRole on \"*\" lets the pod hand any role (an administrator's too) to a service it controls; name the roles in Resource or add the iam:PassedToService condition",
                    )
                } else {
                    (
                        Check::PassRoleWithStarInActionAndResource,
                        "this pattern covers iam:PassRole, and on \"*\" that lets the pod hand any role (an administrator's too) to a service it controls; list the actions, name the roles in Resource or add the iam:PassedToService condition",
                    )
                };
                self.report(
                    check,
                    actions.path(&self.element("Action"), *position),
                    text,
                    message.to_owned(),
                );
                return;
            }
        }
    }

    fn check_resource_star(&mut self, actions: &Strings, resolved: &[Resolved]) {
        if !self.statement.allows() {
            return;
        }
        let Some((path, star)) = self.star_resource() else {
            return;
        };
        for ((_, text), resolution) in actions.items.iter().zip(resolved) {
            if matches!(resolution, Resolved::Unknown | Resolved::Undecided) {
                continue;
            }
            let example = self
                .catalogue
                .matching(text, Some(self.budget))
                .find(|action| {
                    matches!(
                        action.level(),
                        AccessLevel::Write | AccessLevel::PermissionsManagement
                    ) && action.supports_resource_level()
                });
            if let Some(action) = example {
                let message = format!(
                    "{text:?} grants {} actions such as {action} on every resource, though they can be limited to named resources; name them in Resource",
                    action.level()
                );
                self.report(Check::ResourceStar, path, star, message);
                return;
            }
        }
    }

    /// Every named resource must be one some action of the statement acts
    /// on, and every action must have a resource it acts on.
    fn check_resources(&mut self, actions: &Strings, resolved: &[Resolved]) {
        let Some(resources) = self.statement.resource.given() else {
            return;
        };
        // Unknown actions were reported; broad ones act on nearly anything.
        if resolved
            .iter()
            .any(|entry| !matches!(entry, Resolved::Known(..)))
        {
            return;
        }
        let Some(ActionTypes {
            literal,
            types,
            star_only,
        }) = self.action_types(actions, resolved)
        else {
            return;
        };
        // The resource types the statement's resources name.
        let mut named: Vec<usize> = Vec::new();
        let mut reaches_all = false;
        for (position, resource) in &resources.items {
            if resource == "*" || resource.len() > MAX_RESOURCE_CHARS {
                reaches_all = true;
                continue;
            }
            // Spelt out only for a finding: most resources apply.
            let path = || resources.path(&self.element("Resource"), *position);
            let Some(ours) =
                arn_fields(resource).filter(|ours| ours[0].eq_ignore_ascii_case("arn"))
            else {
                self.report(
                    Check::ResourceMismatch,
                    path(),
                    resource,
                    NOT_AN_ARN.to_owned(),
                );
                continue;
            };
            let service = ours[2];
            if service.is_empty() || service.contains(['*', '?', '$']) || spans(&ours) == Some(1) {
                reaches_all = true;
                continue;
            }
            let Some(matched) = self.matched_types(resource, &ours, &types, &named) else {
                return;
            };
            if !matched.is_empty() {
                named.extend(matched);
                continue;
            }
            let theirs = star_only
                .iter()
                .any(|prefix| prefix.eq_ignore_ascii_case(service));
            if types.is_empty() || theirs {
                self.report(
                    Check::ArnForStarOnlyAction,
                    path(),
                    resource,
                    format!(
                        "the service authorization reference lists no resource type of {service} for the statement's actions that take only \"*\", so this ARN may grant nothing; use \"*\" for them"
                    ),
                );
            } else {
                self.report(
                    Check::ResourceMismatch,
                    path(),
                    resource,
                    "no action of the statement acts on a resource of this kind, so it grants nothing here; check the ARN's service and resource type".to_owned(),
                );
            }
        }
        if reaches_all {
            return;
        }
        named.sort_unstable();
        named.dedup();
        for (position, action) in literal {
            if !action.supports_resource_level()
                || action
                    .resource_type_numbers()
                    .any(|number| named.binary_search(&number).is_ok())
            {
                continue;
            }
            let kinds: Vec<&str> = action.resource_types().map(|kind| kind.name()).collect();
            self.report(
                Check::NoResourceForAction,
                actions.path(&self.element("Action"), position),
                &action.to_string(),
                format!(
                    "none of the statement's resources is one {action} acts on ({}), so the statement grants it nowhere; add its resource or move it to a statement of its own",
                    kinds.join(", ")
                ),
            );
        }
    }

    /// The resource types of the statement's actions; `None` when the
    /// budget ran out expanding them.
    fn action_types(&self, actions: &Strings, resolved: &[Resolved]) -> Option<ActionTypes> {
        let mut literal: Vec<(usize, Action<'static>)> = Vec::new();
        let mut types: Vec<usize> = Vec::new();
        let mut star_only: Vec<&'static str> = Vec::new();
        for ((position, text), resolution) in actions.items.iter().zip(resolved) {
            let found: Vec<Action<'static>> = match resolution {
                Resolved::Known(_, Some(number)) => {
                    let action = self.catalogue.action_numbered(*number);
                    if let Some(action) = action {
                        literal.push((*position, action));
                    }
                    action.into_iter().collect()
                }
                _ => self.catalogue.matching(text, Some(self.budget)).collect(),
            };
            for action in found {
                types.extend(action.resource_type_numbers());
                if !action.supports_resource_level() {
                    star_only.push(action.service().prefix());
                }
            }
        }
        if self.budget.exhausted() {
            return None;
        }
        types.sort_unstable();
        types.dedup();
        star_only.sort_unstable();
        star_only.dedup();
        Some(ActionTypes {
            literal,
            types,
            star_only,
        })
    }

    /// The resource types among `types` whose ARN formats `resource` can
    /// name; `None` when the budget ran out. Only the formats of the ARN's
    /// own service whose literal resource start agrees with the ARN's are
    /// compared, and a literal ARN costs nothing: the work is bounded by
    /// the catalogue, not by the policy. A wildcard ARN pays for each
    /// pattern comparison. ARNs are compared field by field, the resource
    /// part whole; a `*` ending a field may also span colons, as IAM
    /// matches it, which is tried only when the fields do not match.
    /// Types in `known` (named by earlier resources) are compared only
    /// until the ARN matches one type: each resource needs one match, each
    /// action one resource.
    fn matched_types(
        &self,
        resource: &str,
        ours: &[&str; 6],
        types: &[usize],
        known: &[usize],
    ) -> Option<Vec<usize>> {
        let matched = self.matched_from(resource, ours, types, known, 5)?;
        match spans(ours) {
            Some(from) if matched.is_empty() => {
                self.matched_from(resource, ours, types, known, from)
            }
            _ => Some(matched),
        }
    }

    /// [`Self::matched_types`], fields before `from` compared one by one,
    /// the rest as one pattern.
    fn matched_from(
        &self,
        resource: &str,
        ours: &[&str; 6],
        types: &[usize],
        known: &[usize],
        from: usize,
    ) -> Option<Vec<usize>> {
        let ours_rest = &resource[offset(ours, from)..];
        // With a spanning `*` the resource part may start anywhere.
        let start = if from == 5 {
            literal_start(ours[5])
        } else {
            ""
        };
        let wild = has_wildcards(ours_rest);
        let anything = ours_rest.bytes().all(|byte| byte == b'*' || byte == b':');
        let mut matched: Vec<usize> = Vec::new();
        // Compiled on first need, once for all formats.
        let mut ours_glob: Option<Glob> = None;
        for format in self.catalogue.arn_formats_for(ours[2]) {
            if matched.contains(&format.resource_type)
                || (!matched.is_empty() && known.contains(&format.resource_type))
                || types.binary_search(&format.resource_type).is_err()
                || !starts_agree(start, format.start)
            {
                continue;
            }
            let Some(theirs) = arn_fields(format.format) else {
                continue;
            };
            let leading = (1..from)
                .filter(|at| *at != 2)
                .all(|at| field_overlaps(ours[at], theirs[at]));
            if !leading {
                continue;
            }
            let theirs_rest = &format.format[offset(&theirs, from)..];
            let overlaps = if anything || (from == 5 && is_wild_field(theirs_rest)) {
                true
            } else if wild {
                let cells = u64::try_from((ours_rest.len() + 1) * (theirs_rest.len() + 1))
                    .unwrap_or(u64::MAX);
                if !self.budget.spend(cells) {
                    return None;
                }
                let ours_glob =
                    ours_glob.get_or_insert_with(|| Glob::template(ours_rest, Case::Insensitive));
                ours_glob.overlaps(&Glob::template(theirs_rest, Case::Insensitive))
            } else {
                template_matches(theirs_rest, ours_rest)
            };
            if overlaps {
                matched.push(format.resource_type);
            }
        }
        Some(matched)
    }

    fn check_conditions(&mut self, scope: &Scope) {
        let Some(conditions) = self.statement.condition.given() else {
            return;
        };
        let mut found = Vec::new();
        for condition in conditions {
            let path = format!("{}.{}", self.element("Condition"), condition.operator);
            if !is_operator(&condition.operator) {
                found.push((
                    Check::InvalidConditionOperator,
                    path.clone(),
                    condition.operator.as_str(),
                    "IAM knows no such condition operator (such as StringEquals, ArnLike, Bool, IpAddress, Null, with ...IfExists and ForAnyValue:/ForAllValues:)".to_owned(),
                ));
            }
            for key in &condition.keys {
                if let Some((check, message)) = self.check_key(key, scope) {
                    found.push((check, format!("{path}.{key}"), key.as_str(), message));
                }
            }
        }
        for (check, path, value, message) in found {
            self.report(check, path, value, message);
        }
    }

    fn check_key(&self, key: &str, scope: &Scope) -> Option<(Check, String)> {
        if key.len() > MAX_KEY_CHARS || self.catalogue.is_global_key(key) {
            return None;
        }
        let Some((prefix, _)) = key.split_once(':') else {
            return Some((
                Check::InvalidServiceConditionKey,
                "a condition key is service:name, such as aws:SourceIp or s3:prefix".to_owned(),
            ));
        };
        if prefix.eq_ignore_ascii_case("aws") {
            return Some((
                Check::InvalidGlobalConditionKey,
                "not a global condition key; check its spelling".to_owned(),
            ));
        }
        let has = |service: Service<'_>| {
            let units = u64::try_from(service.condition_keys().count()).unwrap_or(u64::MAX);
            !self.budget.spend(units) || service.has_condition_key(key)
        };
        // The key's own service first: a key it does not have never
        // matches anywhere, as Access Analyzer reports it.
        let Some(own) = self.catalogue.service(prefix) else {
            return Some((
                Check::InvalidServiceConditionKey,
                format!("no service has the prefix {prefix:?}"),
            ));
        };
        if !has(own) {
            return Some((
                Check::InvalidServiceConditionKey,
                format!("{} has no such condition key", own.prefix()),
            ));
        }
        let Scope::Services(services) = scope else {
            return None;
        };
        let mut statement_services = services
            .iter()
            .filter_map(|number| self.catalogue.service_numbered(*number));
        if statement_services.clone().any(has) {
            return None;
        }
        let names: Vec<&str> = statement_services
            .by_ref()
            .map(|service| service.prefix())
            .collect();
        Some((
            Check::ConditionKeyOfOtherService,
            format!(
                "a key of {}, not of {}, the statement's services: their requests may not carry it, and then the condition does not match",
                own.prefix(),
                names.join(", ")
            ),
        ))
    }
}

const NOT_AN_ARN: &str =
    "not an ARN (want arn:partition:service:region:account:resource, or \"*\")";

/// The six fields of an ARN (the resource part whole, colons and all).
fn arn_fields(arn: &str) -> Option<[&str; 6]> {
    let mut fields = [""; 6];
    let mut start = 0;
    let mut colons = arn
        .bytes()
        .enumerate()
        .filter(|(_, byte)| *byte == b':')
        .map(|(at, _)| at);
    // ':' is ASCII, so every split falls on a character boundary.
    for field in &mut fields[..5] {
        let colon = colons.next()?;
        *field = &arn[start..colon];
        start = colon + 1;
    }
    fields[5] = &arn[start..];
    Some(fields)
}

/// The text inside each closed `${...}` of `text`.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(inner, _)| inner))
}

/// Whether the inside of a `${...}` is what IAM substitutes: a condition
/// key (`aws:username`, `aws:PrincipalTag/team`, `saml:sub`), with or
/// without a default value after a comma, or one of the escapes `*`, `?`,
/// `$`.
fn is_policy_variable(inner: &str) -> bool {
    let key = inner.split(',').next().unwrap_or_default().trim();
    matches!(key, "*" | "?" | "$")
        || key
            .split_once(':')
            .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty())
}

/// The first field before the resource part (partition, region, account)
/// that ends with `*`: IAM lets that `*` match across colons, so the ARN is
/// compared whole from there.
fn spans(fields: &[&str; 6]) -> Option<usize> {
    [1, 3, 4].into_iter().find(|at| fields[*at].ends_with('*'))
}

/// Where field `at` starts in the ARN `fields` were cut from.
fn offset(fields: &[&str; 6], at: usize) -> usize {
    fields[..at].iter().map(|field| field.len() + 1).sum()
}

/// The text of a resource part before its first wildcard or placeholder.
fn literal_start(resource: &str) -> &str {
    let end = [resource.find(['*', '?']), resource.find("${")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(resource.len());
    &resource[..end]
}

/// Whether two literal starts can begin the same text: one is a prefix of
/// the other, letters compared without case.
fn starts_agree(ours: &str, theirs: &str) -> bool {
    let common = ours.len().min(theirs.len());
    ours.as_bytes()[..common].eq_ignore_ascii_case(&theirs.as_bytes()[..common])
}

/// Whether an ARN field holds `*`, `?` or a `${...}` placeholder.
fn has_wildcards(field: &str) -> bool {
    field.contains(['*', '?']) || field.contains("${")
}

/// Whether a field matches anything: `*`, or one placeholder alone.
fn is_wild_field(field: &str) -> bool {
    field == "*"
        || (field.starts_with("${") && field.ends_with('}') && field.matches('}').count() == 1)
}

/// Whether two short ARN fields (partition, service, region, account) can
/// name the same text; compiled as patterns only when both have wildcards.
fn field_overlaps(ours: &str, theirs: &str) -> bool {
    if is_wild_field(ours) || is_wild_field(theirs) {
        return true;
    }
    match (has_wildcards(ours), has_wildcards(theirs)) {
        (false, false) => ours.eq_ignore_ascii_case(theirs),
        (false, true) => template_matches(theirs, ours),
        (true, false) => template_matches(ours, theirs),
        (true, true) => Glob::template(ours, Case::Insensitive)
            .overlaps(&Glob::template(theirs, Case::Insensitive)),
    }
}

fn hint(suggestion: Option<String>) -> String {
    suggestion.map_or_else(String::new, |text| format!("; did you mean {text}?"))
}

/// The condition operators IAM knows, without `IfExists` and the set
/// prefixes.
const OPERATORS: [&str; 27] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

fn is_operator(text: &str) -> bool {
    fn strip_prefix<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
        let head = text.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix)
            .then(|| text.get(prefix.len()..))
            .flatten()
    }
    let base = strip_prefix(text, "ForAllValues:")
        .or_else(|| strip_prefix(text, "ForAnyValue:"))
        .unwrap_or(text);
    let base = match base.len().checked_sub("IfExists".len()) {
        Some(at) if base.is_char_boundary(at) && base[at..].eq_ignore_ascii_case("IfExists") => {
            let stem = &base[..at];
            // Null takes no IfExists: it already asks whether the key exists.
            if stem.eq_ignore_ascii_case("Null") {
                return false;
            }
            stem
        }
        _ => base,
    };
    OPERATORS
        .iter()
        .any(|operator| operator.eq_ignore_ascii_case(base))
}

#[cfg(test)]
mod tests {
    use super::{is_operator, Check, Severity};

    #[test]
    fn operators_with_their_prefixes_and_suffix() {
        for operator in [
            "StringEquals",
            "ForAnyValue:StringLike",
            "ArnLikeIfExists",
            "Null",
            "ForAllValues:StringEqualsIgnoreCaseIfExists",
        ] {
            assert!(is_operator(operator), "{operator}");
        }
        for operator in [
            "StringEqual",
            "NullIfExists",
            "ForSomeValues:StringLike",
            "IfExists",
            "",
        ] {
            assert!(!is_operator(operator), "{operator}");
        }
    }

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
