//! `guardrails.inlinePolicies`: what a policy document may grant, read
//! strictly and checked statement by statement, by action name
//! (`denyActions`), by what an action does (`denyAccessLevels`, and
//! `denyRisks` from the IAM layer's risk model), by the resources it names
//! (`resources`), by form (`allowNotAction`) and by what the lint found
//! (`refuseLintErrors`). The claim's own inline policies, AWS managed
//! policies' current versions (when `managedPolicyArns.byContent` asks) and,
//! without a `wellKnownPolicies` rule, the well-known sets are checked the
//! same way.

use std::fmt;

use serde_json::Value;

use crate::iam::arn::{self, Partition};
use crate::iam::budget::Budget;
use crate::iam::catalogue::{self, AccessLevel, Action};
use crate::iam::glob::{Case, Glob};
use crate::iam::lint::Severity;
use crate::iam::policy::{Document, Shape, ShapeKind, Statement, Strings};
use crate::iam::risk::{self, Risk};
use crate::iam::well_known::AddOn;
use crate::params::reader::{describe, Problems, PARAMETERS_PATH};
use crate::params::well_known::KEY as WELL_KNOWN_KEY;
use crate::params::InlinePolicy;

use super::templates::{each_string, Templates};
use super::{is_wild, read_flag, read_patterns, MAX_PATTERNS};

/// The placeholder for every partition a claim may name.
pub const PARTITION: &str = "{partition}";

/// Longest action pattern, in characters: IAM's action names are far
/// shorter, and the overlap check's cost grows with it.
pub const MAX_ACTION_CHARS: usize = 128;

/// Longest action of a policy document the overlap check reads; longer
/// text names no IAM action.
pub const MAX_POLICY_ACTION_CHARS: usize = 256;

/// The most lint errors one policy's refusal lists; the rest are counted.
pub const MAX_LINT_REFUSALS: usize = 8;

/// What inline policies may grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Inline {
    deny_actions: Vec<Glob>,
    allow_not_action: bool,
    deny_levels: Vec<AccessLevel>,
    refuse_lint_errors: bool,
    deny_risks: Vec<Risk>,
    resources: Option<Resources>,
}

/// `inlinePolicies.resources`: what a statement's `Resource` may name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resources {
    /// Patterns every `Resource` must match, each as written and read as
    /// one list per partition when it holds `{partition}`.
    allow: Option<Vec<(String, Templates)>>,
    /// Whether `*` and account-wide patterns are refused for actions that
    /// have resource types.
    refuse_account_wide: bool,
}

pub(super) fn read_inline(value: &Value, path: &str, problems: &mut Problems) -> Option<Inline> {
    let Some(object) = value.as_object() else {
        problems.add(path, format!("want an object, got {}", describe(value)));
        return None;
    };
    let mut inline = Inline {
        deny_actions: Vec::new(),
        allow_not_action: false,
        deny_levels: Vec::new(),
        refuse_lint_errors: false,
        deny_risks: Vec::new(),
        resources: None,
    };
    for (key, value) in object {
        let path = format!("{path}.{key}");
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "denyActions" => {
                inline.deny_actions = read_patterns(value, &path, "", problems, action_pattern).1;
            }
            "allowNotAction" => {
                inline.allow_not_action = read_flag(value, &path, problems).unwrap_or(false);
            }
            "denyAccessLevels" => inline.deny_levels = read_levels(value, &path, problems),
            "refuseLintErrors" => {
                inline.refuse_lint_errors = read_flag(value, &path, problems).unwrap_or(false);
            }
            "denyRisks" => inline.deny_risks = read_risks(value, &path, problems),
            "resources" => inline.resources = read_resources(value, &path, problems),
            _ => problems.add(
                path,
                "unknown guardrail; known are denyActions, allowNotAction, denyAccessLevels, denyRisks, resources, refuseLintErrors",
            ),
        }
    }
    Some(inline)
}

/// Reads `denyAccessLevels`: access levels as AWS writes them.
fn read_levels(value: &Value, path: &str, problems: &mut Problems) -> Vec<AccessLevel> {
    let Some(items) = value.as_array() else {
        problems.add(path, format!("want a list, got {}", describe(value)));
        return Vec::new();
    };
    let mut levels = Vec::with_capacity(AccessLevel::ALL.len());
    // Beyond the five levels an entry can only repeat one, so the list is
    // bounded by them.
    for (position, item) in items.iter().take(MAX_PATTERNS).enumerate() {
        match item.as_str().and_then(AccessLevel::parse) {
            Some(level) => {
                if !levels.contains(&level) {
                    levels.push(level);
                }
            }
            None => problems.add(
                format!("{path}[{position}]"),
                format!(
                    "{} is not an access level; known are {}",
                    describe(item),
                    AccessLevel::ALL.map(AccessLevel::as_str).join(", ")
                ),
            ),
        }
    }
    if items.len() > MAX_PATTERNS {
        problems.add(
            path,
            format!("{} entries; at most {MAX_PATTERNS}", items.len()),
        );
    }
    levels
}

/// Reads `denyRisks`: risks of the IAM layer's model, named without case.
fn read_risks(value: &Value, path: &str, problems: &mut Problems) -> Vec<Risk> {
    let mut risks = Vec::with_capacity(Risk::ALL.len());
    each_string(
        value,
        path,
        problems,
        |position, text, problems| match Risk::parse(text) {
            Some(risk) => {
                if !risks.contains(&risk) {
                    risks.push(risk);
                }
            }
            None => problems.add(
                format!("{path}[{position}]"),
                format!(
                    "{text:?} is not a risk; known are {}",
                    Risk::ALL.map(Risk::as_str).join(", ")
                ),
            ),
        },
    );
    risks
}

/// Reads `resources`: `allow` patterns with `{namespace}` and
/// `{partition}`, and `refuseAccountWide`.
fn read_resources(value: &Value, path: &str, problems: &mut Problems) -> Option<Resources> {
    let Some(object) = value.as_object() else {
        problems.add(path, format!("want an object, got {}", describe(value)));
        return None;
    };
    let mut rule = Resources {
        allow: None,
        refuse_account_wide: false,
    };
    for (key, value) in object {
        let path = format!("{path}.{key}");
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "allow" => {
                let mut lists = Vec::new();
                each_string(value, &path, problems, |position, text, problems| {
                    // One list per partition, so that the placeholder never
                    // becomes a wildcard that could run across an ARN's
                    // fields.
                    let texts: Vec<Value> = if text.contains(PARTITION) {
                        Partition::ALL
                            .iter()
                            .map(|partition| {
                                Value::from(text.replace(PARTITION, partition.as_str()))
                            })
                            .collect()
                    } else {
                        vec![Value::from(text)]
                    };
                    let templates = Templates::read(
                        &Value::Array(texts),
                        &format!("{path}[{position}]"),
                        problems,
                        Case::Sensitive,
                        (resource_pattern, "an ARN pattern (arn:...)"),
                    );
                    lists.push((text.to_owned(), templates));
                });
                rule.allow = Some(lists);
            }
            "refuseAccountWide" => {
                rule.refuse_account_wide = read_flag(value, &path, problems).unwrap_or(false);
            }
            _ => problems.add(
                path,
                "unknown guardrail; known are allow, refuseAccountWide",
            ),
        }
    }
    Some(rule)
}

/// Whether `text` (with a stand-in for `{namespace}`) is an ARN pattern.
fn resource_pattern(text: &str) -> bool {
    text.starts_with("arn:")
        && text.split(':').count() >= 6
        && text.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c))
}

fn action_pattern(text: &str) -> Result<Case, String> {
    let service = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || is_wild(c))
    };
    let name = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || is_wild(c))
    };
    let fits = text.len() <= MAX_ACTION_CHARS
        && (text == "*"
            || text
                .split_once(':')
                .is_some_and(|(prefix, action)| service(prefix) && name(action)));
    if fits {
        Ok(Case::Insensitive)
    } else {
        Err(format!(
            "{text:?} is not an IAM action pattern (want service:Action, such as iam:* or s3:Get*, at most {MAX_ACTION_CHARS} characters)"
        ))
    }
}

/// Where a policy document is, written out only for a refusal.
#[derive(Debug, Clone, Copy)]
pub(super) enum PolicyPath {
    /// The claim's inline policy at this position.
    Inline(usize),
    /// The set of a well-known add-on.
    WellKnown(AddOn),
    /// The claim's managed policy at this position.
    Managed(usize),
}

impl fmt::Display for PolicyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inline(position) => {
                write!(f, "{PARAMETERS_PATH}.inlinePolicy[{position}].policy")
            }
            Self::WellKnown(add_on) => write!(
                f,
                "{PARAMETERS_PATH}.{WELL_KNOWN_KEY}.{}",
                add_on.claim_name()
            ),
            Self::Managed(position) => {
                write!(f, "{PARAMETERS_PATH}.managedPolicyArns[{position}]")
            }
        }
    }
}

/// Whether a shape problem hides an element the inline guardrails read:
/// the statements themselves, their effect or their actions.
fn unreadable(shape: &Shape) -> bool {
    let path = shape.path.as_str();
    let element = path.rsplit('.').next().unwrap_or(path);
    let element = element.split('[').next().unwrap_or(element);
    shape.kind == ShapeKind::TypeMismatch
        && path.starts_with("Statement")
        && (!path.contains('.') || matches!(element, "Effect" | "Action" | "NotAction"))
}

/// A document to check: where it is, and how refusals name it (empty for
/// the claim's own policies, the policy's name and version for a managed
/// one).
#[derive(Debug, Clone, Copy)]
pub(super) struct Checked<'a> {
    pub(super) path: PolicyPath,
    pub(super) label: &'a str,
    pub(super) namespace: Option<&'a str>,
    /// Whether one refusal is enough: an AWS managed policy is refused
    /// whole, and its first refusal says why; judging the rest of a large
    /// document would only cost time.
    pub(super) first_only: bool,
}

/// Checks one inline policy's `Allow` statements against the rule, and
/// its lint errors when the rule refuses them.
pub(super) fn check_document(
    rule: &Inline,
    policy: &InlinePolicy,
    at: Checked<'_>,
    work: &Budget,
    problems: &mut Problems,
) {
    check_statements(rule, policy.document.elements(), at, work, problems);
    let path = at.path;
    if rule.refuse_lint_errors {
        let errors: Vec<_> = policy
            .findings
            .iter()
            .filter(|finding| finding.severity() == Severity::Error)
            .collect();
        for finding in errors.iter().take(MAX_LINT_REFUSALS) {
            problems.add(
                path,
                format!("{finding}, refused by guardrails.inlinePolicies.refuseLintErrors"),
            );
        }
        if errors.len() > MAX_LINT_REFUSALS {
            problems.add(
                path,
                format!(
                    "{} more lint errors, refused by guardrails.inlinePolicies.refuseLintErrors",
                    errors.len() - MAX_LINT_REFUSALS
                ),
            );
        }
    }
}

/// Checks a document's `Allow` statements against every rule but the
/// lint's: the claim's own policies and AWS managed policies alike.
pub(super) fn check_statements(
    rule: &Inline,
    document: &Document,
    at: Checked<'_>,
    work: &Budget,
    problems: &mut Problems,
) {
    let (path, label) = (at.path, at.label);
    for shape in document.shapes.iter().filter(|shape| unreadable(shape)) {
        let place = if shape.path.is_empty() {
            "the document"
        } else {
            &shape.path
        };
        problems.add(
            path,
            format!(
                "{label}{place}: {}, so guardrails.inlinePolicies cannot check it",
                shape.message
            ),
        );
    }
    let before = problems.0.len();
    for (position, statement) in document.statements.iter().enumerate() {
        if at.first_only && problems.0.len() > before {
            return;
        }
        if !statement.allows() {
            continue;
        }
        let statement_at = StatementAt {
            path,
            label,
            position,
        };
        if !rule.allow_not_action {
            for (key, given) in [
                ("NotAction", statement.not_action.is_present()),
                ("NotResource", statement.not_resource.is_present()),
            ] {
                if given {
                    problems.add_at(
                        path,
                        statement_at,
                        format!(
                            "allows with {key}, which grants everything not listed, refused by guardrails.inlinePolicies.allowNotAction"
                        ),
                    );
                }
            }
        }
        let actions = statement
            .action
            .given()
            .map_or(&[][..], |all| &all.items[..]);
        for (_, action) in actions {
            if action.chars().count() > MAX_POLICY_ACTION_CHARS {
                problems.add_at(
                    path,
                    statement_at,
                    format!(
                        "has an Action longer than {MAX_POLICY_ACTION_CHARS} characters, which guardrails.inlinePolicies cannot check"
                    ),
                );
                continue;
            }
            if let Some(deny) = rule
                .deny_actions
                .iter()
                .find(|deny| deny.overlaps_text(action))
            {
                problems.add_at(
                    path,
                    statement_at,
                    format!(
                        "Action {action:?} can grant {:?}, refused by guardrails.inlinePolicies.denyActions",
                        deny.as_str()
                    ),
                );
            }
            if !rule.deny_levels.is_empty() {
                check_action_levels(&rule.deny_levels, statement_at, action, work, problems);
            }
            if !rule.deny_risks.is_empty() {
                // An unknown action is refused once, by the levels' rule
                // when there is one.
                let report_unknown = rule.deny_levels.is_empty();
                check_action_risks(
                    &rule.deny_risks,
                    statement_at,
                    action,
                    report_unknown,
                    work,
                    problems,
                );
            }
        }
        check_not_actions(rule, statement, statement_at, work, problems);
        if let Some(resources) = &rule.resources {
            check_resources(
                resources,
                statement,
                statement_at,
                at.namespace,
                work,
                problems,
            );
        }
    }
}

/// Checks what an `Allow` statement's `NotAction` leaves out, and so
/// grants, against the levels and risks the rule denies.
fn check_not_actions(
    rule: &Inline,
    statement: &Statement,
    statement_at: StatementAt<'_>,
    work: &Budget,
    problems: &mut Problems,
) {
    if let Some(excluded) = statement.not_action.given() {
        if !rule.deny_levels.is_empty() {
            let denied = &rule.deny_levels;
            check_not_action(
                statement_at,
                excluded,
                "denyAccessLevels",
                |action| {
                    denied
                        .contains(&action.level())
                        .then(|| action.level().to_string())
                },
                work,
                problems,
            );
        }
        if !rule.deny_risks.is_empty() {
            let risks = risk::get();
            check_not_action(
                statement_at,
                excluded,
                "denyRisks",
                |action| {
                    risks
                        .first_of(action, &rule.deny_risks)
                        .map(|(risk, source)| format!("which carries {risk}: {source}"))
                },
                work,
                problems,
            );
        }
    }
}

/// One statement of a checked document, as refusals name it.
#[derive(Debug, Clone, Copy)]
struct StatementAt<'a> {
    path: PolicyPath,
    label: &'a str,
    position: usize,
}

impl fmt::Display for StatementAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Statement[{}]", self.label, self.position)
    }
}

/// Refuses an action pattern that can grant an action of a denied level,
/// or that the catalogue does not know (it could have any level).
fn check_action_levels(
    denied: &[AccessLevel],
    at: StatementAt<'_>,
    action: &str,
    work: &Budget,
    problems: &mut Problems,
) {
    // Past the bound the first action was refused for it; the rest are not
    // listed one by one.
    if work.exhausted() {
        return;
    }
    let catalogue = catalogue::get();
    let rule = "refused by guardrails.inlinePolicies.denyAccessLevels";
    // One search tells both: an action of a denied level, or any at all.
    let mut known = false;
    let granted = catalogue.matching(action, Some(work)).find(|granted| {
        known = true;
        denied.contains(&granted.level())
    });
    if let Some(granted) = granted {
        problems.add_at(
            at.path,
            at,
            format!(
                "Action {action:?} can grant {granted} ({}), {rule}",
                granted.level()
            ),
        );
    } else if work.exhausted() {
        problems.add_at(
            at.path,
            at,
            format!("Action {action:?} (and any after it) costs more to expand than guardrails.inlinePolicies.denyAccessLevels allows, {rule}"),
        );
    } else if !known {
        problems.add_at(
            at.path,
            at,
            format!(
                "Action {action:?} names no action of the IAM catalogue ({}), so its access level is unknown, {rule}",
                catalogue.version()
            ),
        );
    }
}

/// Refuses an action pattern that can grant an action carrying a denied
/// risk, naming the risk's source; and, when `report_unknown`, one the
/// catalogue does not know (it could carry any).
fn check_action_risks(
    denied: &[Risk],
    at: StatementAt<'_>,
    action: &str,
    report_unknown: bool,
    work: &Budget,
    problems: &mut Problems,
) {
    if work.exhausted() {
        return;
    }
    let catalogue = catalogue::get();
    let risks = risk::get();
    let rule = "refused by guardrails.inlinePolicies.denyRisks";
    let mut known = false;
    let found = catalogue.matching(action, Some(work)).find_map(|granted| {
        known = true;
        risks
            .first_of(granted, denied)
            .map(|(risk, source)| (granted, risk, source))
    });
    if let Some((granted, risk, source)) = found {
        problems.add_at(
            at.path,
            at,
            format!(
                "Action {action:?} can grant {granted}, which carries {risk} ({source}), {rule}"
            ),
        );
    } else if work.exhausted() {
        problems.add_at(
            at.path,
            at,
            format!("Action {action:?} (and any after it) costs more to expand than guardrails.inlinePolicies.denyRisks allows, {rule}"),
        );
    } else if !known && report_unknown {
        problems.add_at(
            at.path,
            at,
            format!(
                "Action {action:?} names no action of the IAM catalogue ({}), so its risks are unknown, {rule}",
                catalogue.version()
            ),
        );
    }
}

/// Refuses an `Allow` with `NotAction` that leaves out of its list, and so
/// grants, an action `denied` describes.
fn check_not_action(
    at: StatementAt<'_>,
    excluded: &Strings,
    guardrail: &str,
    denied: impl Fn(Action<'_>) -> Option<String>,
    work: &Budget,
    problems: &mut Problems,
) {
    if work.exhausted() {
        return;
    }
    let rule = format!("refused by guardrails.inlinePolicies.{guardrail}");
    let excluded: Vec<Glob> = excluded
        .texts()
        .map(|text| Glob::new(text, Case::Insensitive))
        .collect();
    let units = u64::try_from(excluded.len()).unwrap_or(u64::MAX);
    let granted = catalogue::get()
        .matching("*", Some(work))
        .filter_map(|action| denied(action).map(|what| (action, what)))
        .find(|(action, _)| {
            let name = action.to_string();
            work.spend(units) && !excluded.iter().any(|glob| glob.matches(&name))
        });
    if work.exhausted() {
        problems.add_at(
            at.path,
            at,
            format!("NotAction costs more to check than guardrails.inlinePolicies.{guardrail} allows, {rule}"),
        );
    } else if let Some((action, what)) = granted {
        problems.add_at(
            at.path,
            at,
            format!("NotAction leaves out, and so grants, {action} ({what}), {rule}"),
        );
    }
}

/// The first action the statement grants that has resource types (so
/// that `*` would grant it on every one), or one the catalogue cannot
/// tell of; `None` when every action works on `*` only.
fn typed_action(statement: &Statement, work: &Budget) -> Option<String> {
    if statement.not_action.is_present() {
        return Some("every action NotAction leaves out".to_owned());
    }
    let catalogue = catalogue::get();
    let actions = statement.action.given()?;
    for action in actions.texts() {
        if action.chars().count() > MAX_POLICY_ACTION_CHARS {
            return Some(format!("{action:?}"));
        }
        let mut known = false;
        let typed = catalogue.matching(action, Some(work)).find(|granted| {
            known = true;
            granted.supports_resource_level()
        });
        if let Some(typed) = typed {
            // A few name the kind; ec2:CreateTags has over a hundred.
            let count = typed.resource_types().count();
            let mut kinds: Vec<&str> = typed
                .resource_types()
                .take(3)
                .map(|kind| kind.name())
                .collect();
            if count > kinds.len() {
                kinds.push("...");
            }
            return Some(format!("{typed} (resource types {})", kinds.join(", ")));
        }
        if work.exhausted() {
            return Some(format!("{action:?} (too costly to expand)"));
        }
        if !known {
            return Some(format!("{action:?} (unknown to the IAM catalogue)"));
        }
    }
    None
}

/// Checks a statement's `Resource` against `resources`.
fn check_resources(
    rule: &Resources,
    statement: &Statement,
    at: StatementAt<'_>,
    namespace: Option<&str>,
    work: &Budget,
    problems: &mut Problems,
) {
    let name = "guardrails.inlinePolicies.resources";
    if statement.not_resource.is_present() {
        problems.add_at(
            at.path,
            at,
            format!("allows with NotResource, which reaches every resource not listed, refused by {name}"),
        );
    }
    let Some(resources) = statement.resource.given() else {
        return;
    };
    // Expanded once per statement, and only when a resource asks.
    let mut typed: Option<Option<String>> = None;
    for resource in resources.texts() {
        if arn::is_account_wide(resource) {
            let typed = typed.get_or_insert_with(|| typed_action(statement, work));
            match typed {
                Some(action) if rule.refuse_account_wide => {
                    problems.add_at(
                        at.path,
                        at,
                        format!(
                            "Resource {resource:?} reaches every resource of its kind in the account, and {action} can be limited to named ones, refused by {name}.refuseAccountWide"
                        ),
                    );
                    continue;
                }
                // Actions without resource types take `*` only.
                None if resource == "*" => continue,
                _ => {}
            }
        }
        let Some(allow) = &rule.allow else {
            continue;
        };
        if !allow
            .iter()
            .any(|(_, templates)| templates.allows(resource, namespace))
        {
            let fill = namespace.unwrap_or("{namespace}");
            let wanted: Vec<String> = allow
                .iter()
                .map(|(text, _)| format!("{:?}", text.replace("{namespace}", fill)))
                .collect();
            let wanted = if wanted.is_empty() {
                "nothing is allowed".to_owned()
            } else {
                format!("want one of {}", wanted.join(", "))
            };
            problems.add_at(
                at.path,
                at,
                format!("Resource {resource:?} is refused by {name}.allow: {wanted}"),
            );
        }
    }
}
