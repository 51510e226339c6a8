//! `spec.parameters.wellKnownPolicies`: which add-ons' vetted permission
//! sets the role gets, each read strictly into [`WellKnownSet`]s, and IAM's
//! per-role limits checked with the sets counted in.
//!
//! What each set grants is [`crate::iam::well_known`]'s business; this
//! module reads the claim's keys and values and names the field path of
//! every problem (`spec.parameters.wellKnownPolicies.externalDNS.hostedZoneArns[0]`).

use std::collections::HashSet;
use std::fmt::Write;

use serde_json::Value;

use crate::iam::arn::Partition;
use crate::iam::well_known::{AddOn, FieldKind, FieldProblem, Scoping, MAX_VALUES};

use super::aws::{self, PolicyArn, PolicyDocument, PolicyName, Region};
use super::reader::{describe, Reader, PARAMETERS_PATH};
use super::{InlinePolicy, MAX_MANAGED_POLICIES};

/// The claim's key.
pub const KEY: &str = "wellKnownPolicies";

/// One add-on's set, as the role gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WellKnownSet {
    /// The add-on.
    pub add_on: AddOn,
    /// AWS managed policies the set attaches, in a fixed order.
    pub managed_policy_arns: Vec<PolicyArn>,
    /// The set's own statements, as one inline policy named
    /// [`policy_name`]; never linted per call (the tests lint every set).
    pub inline: Option<InlinePolicy>,
}

impl WellKnownSet {
    /// Where the claim asked for it.
    #[must_use]
    pub fn path(&self) -> String {
        format!("{PARAMETERS_PATH}.{KEY}.{}", self.add_on.claim_name())
    }
}

/// The name of the inline policy an add-on's set writes into the role:
/// `well-known-externalDNS`. A claim's own inline policy may not take it.
#[must_use]
pub fn policy_name(add_on: AddOn) -> String {
    format!("well-known-{}", add_on.claim_name())
}

/// Reads the claim's `wellKnownPolicies` (never the Composition's
/// defaults: which add-on a role serves is the claim's to say), in the
/// fixed order of [`AddOn::ALL`]. `region` is the claim's, `None` when it
/// was already found wrong.
pub(super) fn read(reader: &mut Reader<'_>, region: Option<&Region>) -> Vec<WellKnownSet> {
    let Some(found) = reader.own(KEY) else {
        return Vec::new();
    };
    let Some(object) = reader.object(&found) else {
        return Vec::new();
    };
    if object.len() > AddOn::ALL.len() {
        reader.problems.add(
            found.path,
            format!(
                "{} keys; there are {} well-known add-ons",
                object.len(),
                AddOn::ALL.len()
            ),
        );
        return Vec::new();
    }
    let Some(region) = region else {
        return Vec::new();
    };
    let Some(partition) = Partition::of_region(region.as_str()) else {
        reader.problems.add(
            found.path,
            format!(
                "the region {} is in a partition the well-known sets are not written for; write the policies as inlinePolicy",
                region.as_str()
            ),
        );
        return Vec::new();
    };
    let mut asked = Vec::with_capacity(object.len());
    for (name, value) in object {
        let path = format!("{}.{name}", found.path);
        let add_on = match AddOn::from_claim_name(name) {
            Ok(add_on) => add_on,
            Err(message) => {
                reader.problems.add(&path, message);
                continue;
            }
        };
        let scoping = match value {
            Value::Null | Value::Bool(false) => continue,
            Value::Bool(true) => Some(Scoping::new(add_on, partition)),
            Value::Object(fields) => read_scoping(reader, add_on, partition, fields, &path),
            other => {
                reader.problems.add(
                    &path,
                    format!(
                        "want true, false or an object of scoping fields, got {}",
                        describe(other)
                    ),
                );
                None
            }
        };
        if let Some(scoping) = scoping {
            match scoping.render() {
                Ok(applied) => asked.push(set_of(&applied)),
                Err(problems) => add_field_problems(reader, &path, problems),
            }
        }
    }
    asked.sort_by_key(|set| set.add_on);
    asked
}

/// The scoping fields of one add-on; `None` when any is wrong.
fn read_scoping(
    reader: &mut Reader<'_>,
    add_on: AddOn,
    partition: Partition,
    fields: &serde_json::Map<String, Value>,
    path: &str,
) -> Option<Scoping> {
    let mut scoping = Scoping::new(add_on, partition);
    // Any more keys than fields are unknown ones: one problem, not one each.
    if fields.len() > add_on.fields().len().max(1) {
        reader.problems.add(
            path,
            format!(
                "{} keys, more than the scoping fields of {} ({})",
                fields.len(),
                add_on.claim_name(),
                if add_on.fields().is_empty() {
                    "none: write true".to_owned()
                } else {
                    let names: Vec<&str> = add_on.fields().iter().map(|f| f.name()).collect();
                    names.join(", ")
                }
            ),
        );
        return None;
    }
    let mut fine = true;
    for (name, value) in fields {
        let field_path = format!("{path}.{name}");
        let field = match add_on.field_named(name) {
            Ok(field) => field,
            Err(message) => {
                reader.problems.add(field_path, message);
                fine = false;
                continue;
            }
        };
        let outcome = match (field.kind(), value) {
            (_, Value::Null) => continue,
            (FieldKind::Flag, Value::Bool(flag)) => scoping
                .set_flag(field, *flag)
                .map_err(|problem| vec![problem]),
            (FieldKind::List, Value::Array(items)) if items.len() > MAX_VALUES => {
                reader.problems.add(
                    field_path,
                    format!(
                        "{} values; at most {MAX_VALUES}, and IAM's inline policy budget of a role holds fewer",
                        items.len()
                    ),
                );
                fine = false;
                continue;
            }
            (FieldKind::List, Value::Array(items)) => {
                let mut texts = Vec::with_capacity(items.len());
                for (position, item) in items.iter().enumerate() {
                    if let Some(text) = item.as_str() {
                        texts.push(text);
                    } else {
                        reader.problems.add(
                            format!("{field_path}[{position}]"),
                            format!("want a string, got {}", describe(item)),
                        );
                        fine = false;
                    }
                }
                if texts.len() < items.len() {
                    continue;
                }
                scoping.set_list(field, texts)
            }
            (FieldKind::Flag, other) => {
                reader.problems.add(
                    field_path,
                    format!("want true or false, got {}", describe(other)),
                );
                fine = false;
                continue;
            }
            (FieldKind::List, other) => {
                reader.problems.add(
                    field_path,
                    format!("want a list of strings, got {}", describe(other)),
                );
                fine = false;
                continue;
            }
        };
        if let Err(problems) = outcome {
            add_field_problems(reader, path, problems);
            fine = false;
        }
    }
    fine.then_some(scoping)
}

/// Each problem at its field (and item) under the add-on at `path`.
fn add_field_problems(reader: &mut Reader<'_>, path: &str, problems: Vec<FieldProblem>) {
    for problem in problems {
        let mut at = format!("{path}.{}", problem.field.name());
        if let Some(index) = problem.index {
            // Writing to a String cannot fail.
            let _ = write!(at, "[{index}]");
        }
        reader.problems.add(at, problem.message);
    }
}

/// The set as the role gets it. The rendered ARNs and document are ours,
/// built from checked values, so they always parse; were one ever not to,
/// it is left out and the set's own tests fail.
fn set_of(applied: &crate::iam::well_known::Applied) -> WellKnownSet {
    let managed_policy_arns = applied
        .managed_policy_arns
        .iter()
        .filter_map(|arn| PolicyArn::parse(arn).ok())
        .collect();
    let inline = applied.inline_policy.as_ref().and_then(|document| {
        let name = PolicyName::parse(&policy_name(applied.add_on)).ok()?;
        Some(InlinePolicy {
            name,
            document: PolicyDocument::from_json(document),
            findings: Vec::new(),
        })
    });
    WellKnownSet {
        add_on: applied.add_on,
        managed_policy_arns,
        inline,
    }
}

/// What the role holds besides the sets, for [`check_limits`].
pub(super) struct Others<'p> {
    /// The claim's own managed policies.
    pub(super) managed: &'p [PolicyArn],
    /// The claim's own inline policies.
    pub(super) inline: &'p [InlinePolicy],
    /// The characters of the target role's policy, 0 without one.
    pub(super) target_size: usize,
}

/// Refuses what IAM would refuse once the sets join the claim's own
/// policies: a name taken twice, more managed policies than a role holds,
/// more inline characters than its budget. Each limit is one problem at
/// `wellKnownPolicies` that names the sets and what to split.
pub(super) fn check_limits(reader: &mut Reader<'_>, sets: &[WellKnownSet], others: &Others<'_>) {
    if sets.is_empty() {
        return;
    }
    let path = format!("{PARAMETERS_PATH}.{KEY}");
    for set in sets {
        let Some(inline) = &set.inline else {
            continue;
        };
        if let Some(position) = others
            .inline
            .iter()
            .position(|own| own.name.as_str() == inline.name.as_str())
        {
            reader.problems.add(
                format!("{PARAMETERS_PATH}.inlinePolicy[{position}].name"),
                format!(
                    "{:?} is the name of the {} set's inline policy; name yours otherwise",
                    inline.name.as_str(),
                    set.add_on.claim_name()
                ),
            );
        }
    }
    let mut managed: HashSet<&str> = others.managed.iter().map(PolicyArn::as_str).collect();
    for set in sets {
        managed.extend(set.managed_policy_arns.iter().map(PolicyArn::as_str));
    }
    if managed.len() > MAX_MANAGED_POLICIES {
        reader.problems.add(
            &path,
            format!(
                "with {} the role would hold {} managed policies; IAM attaches at most {MAX_MANAGED_POLICIES} (10 unless the quota was raised): give some of these add-ons a claim of their own, as each add-on runs under its own service account",
                listed(sets, |set| !set.managed_policy_arns.is_empty(), |_| None),
                managed.len()
            ),
        );
    }
    let own: usize = others
        .inline
        .iter()
        .map(|policy| policy.document.counted_size())
        .sum::<usize>()
        + others.target_size;
    let size = |set: &WellKnownSet| {
        set.inline
            .as_ref()
            .map_or(0, |inline| inline.document.counted_size())
    };
    let total = own + sets.iter().map(size).sum::<usize>();
    if total > aws::INLINE_POLICY_BUDGET {
        reader.problems.add(
            &path,
            format!(
                "the inline policies would total {total} characters without white space ({} and {own} of the claim's own); IAM allows {} per role: give some of these add-ons a claim of their own, as each add-on runs under its own service account",
                listed(sets, |set| set.inline.is_some(), |set| Some(size(set))),
                aws::INLINE_POLICY_BUDGET
            ),
        );
    }
}

/// `externalDNS (1234), velero (2345)`: the sets that `counts`, each with
/// its figure when `figure` gives one.
fn listed(
    sets: &[WellKnownSet],
    counts: impl Fn(&WellKnownSet) -> bool,
    figure: impl Fn(&WellKnownSet) -> Option<usize>,
) -> String {
    let mut text = String::new();
    for set in sets.iter().filter(|set| counts(set)) {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(set.add_on.claim_name());
        if let Some(figure) = figure(set) {
            // Writing to a String cannot fail.
            let _ = write!(text, " ({figure})");
        }
    }
    text
}
