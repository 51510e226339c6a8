//! `guardrails.inlinePolicies`: what a policy document may grant, read
//! strictly and checked statement by statement, by action name
//! (`denyActions`), by what an action does (`denyAccessLevels`), by form
//! (`allowNotAction`) and by what the lint found (`refuseLintErrors`). The
//! claim's own inline policies and, without a `wellKnownPolicies` rule, the
//! well-known sets are checked the same way.

use std::fmt;

use serde_json::Value;

use crate::iam::budget::Budget;
use crate::iam::catalogue::{self, AccessLevel};
use crate::iam::glob::{Case, Glob};
use crate::iam::lint::Severity;
use crate::iam::policy::{Shape, ShapeKind, Strings};
use crate::iam::well_known::AddOn;
use crate::params::reader::{describe, Problems, PARAMETERS_PATH};
use crate::params::well_known::KEY as WELL_KNOWN_KEY;
use crate::params::InlinePolicy;

use super::{is_wild, read_flag, read_patterns, MAX_PATTERNS};

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
            _ => problems.add(
                path,
                "unknown guardrail; known are denyActions, allowNotAction, denyAccessLevels, refuseLintErrors",
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

/// Checks one inline policy's `Allow` statements against the rule, and
/// its lint errors when the rule refuses them.
pub(super) fn check_document(
    rule: &Inline,
    policy: &InlinePolicy,
    path: PolicyPath,
    work: &Budget,
    problems: &mut Problems,
) {
    let document = policy.document.elements();
    for shape in document.shapes.iter().filter(|shape| unreadable(shape)) {
        let at = if shape.path.is_empty() {
            "the document"
        } else {
            &shape.path
        };
        problems.add(
            path,
            format!(
                "{at}: {}, so guardrails.inlinePolicies cannot check it",
                shape.message
            ),
        );
    }
    for (position, statement) in document.statements.iter().enumerate() {
        if !statement.allows() {
            continue;
        }
        if !rule.allow_not_action {
            for (key, given) in [
                ("NotAction", statement.not_action.is_present()),
                ("NotResource", statement.not_resource.is_present()),
            ] {
                if given {
                    problems.add(
                        path,
                        format!(
                            "Statement[{position}] allows with {key}, which grants everything not listed, refused by guardrails.inlinePolicies.allowNotAction"
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
                problems.add(
                    path,
                    format!(
                        "Statement[{position}] has an Action longer than {MAX_POLICY_ACTION_CHARS} characters, which guardrails.inlinePolicies cannot check"
                    ),
                );
                continue;
            }
            if let Some(deny) = rule
                .deny_actions
                .iter()
                .find(|deny| deny.overlaps_text(action))
            {
                problems.add(
                    path,
                    format!(
                        "Statement[{position}] Action {action:?} can grant {:?}, refused by guardrails.inlinePolicies.denyActions",
                        deny.as_str()
                    ),
                );
            }
            if !rule.deny_levels.is_empty() {
                check_action_levels(&rule.deny_levels, position, action, path, work, problems);
            }
        }
        if let (false, Some(excluded)) = (rule.deny_levels.is_empty(), statement.not_action.given())
        {
            check_not_action_levels(&rule.deny_levels, position, excluded, path, work, problems);
        }
    }
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

/// Refuses an action pattern that can grant an action of a denied level,
/// or that the catalogue does not know (it could have any level).
fn check_action_levels(
    denied: &[AccessLevel],
    position: usize,
    action: &str,
    path: PolicyPath,
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
        problems.add(
            path,
            format!(
                "Statement[{position}] Action {action:?} can grant {granted} ({}), {rule}",
                granted.level()
            ),
        );
    } else if work.exhausted() {
        problems.add(
            path,
            format!("Statement[{position}] Action {action:?} (and any after it) costs more to expand than guardrails.inlinePolicies.denyAccessLevels allows, {rule}"),
        );
    } else if !known {
        problems.add(
            path,
            format!(
                "Statement[{position}] Action {action:?} names no action of the IAM catalogue ({}), so its access level is unknown, {rule}",
                catalogue.version()
            ),
        );
    }
}

/// Refuses an `Allow` with `NotAction` that leaves an action of a denied
/// level out of its list, and so grants it.
fn check_not_action_levels(
    denied: &[AccessLevel],
    position: usize,
    excluded: &Strings,
    path: PolicyPath,
    work: &Budget,
    problems: &mut Problems,
) {
    if work.exhausted() {
        return;
    }
    let rule = "refused by guardrails.inlinePolicies.denyAccessLevels";
    let excluded: Vec<Glob> = excluded
        .texts()
        .map(|text| Glob::new(text, Case::Insensitive))
        .collect();
    let units = u64::try_from(excluded.len()).unwrap_or(u64::MAX);
    let granted = catalogue::get()
        .matching("*", Some(work))
        .filter(|action| denied.contains(&action.level()))
        .find(|action| {
            let name = action.to_string();
            work.spend(units) && !excluded.iter().any(|glob| glob.matches(&name))
        });
    if work.exhausted() {
        problems.add(
            path,
            format!("Statement[{position}] NotAction costs more to check than guardrails.inlinePolicies.denyAccessLevels allows, {rule}"),
        );
    } else if let Some(action) = granted {
        problems.add(
            path,
            format!(
                "Statement[{position}] NotAction leaves out, and so grants, {action} ({}), {rule}",
                action.level()
            ),
        );
    }
}
