//! Checks of a statement's resources against its actions: placeholders
//! left unfilled, `*` where the actions take ARNs, ARNs no action acts
//! on, and actions left with no resource.

use super::{Check, Resolved, StatementLint, MAX_RESOURCE_CHARS};
use crate::iam::catalogue::{AccessLevel, Action};
use crate::iam::glob::{template_matches, Case, Glob};
use crate::iam::policy::{Field, Strings};

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

impl StatementLint<'_> {
    /// A `${...}` in a resource that is no policy variable is a template's
    /// placeholder left unfilled (`${AWS_PARTITION}`): IAM reads it as
    /// plain text, so the ARN matches nothing.
    pub(super) fn check_placeholders(&mut self, name: &str, field: &Field<Strings>) {
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

    /// The first `Resource: "*"` entry, with its path.
    pub(super) fn star_resource(&self) -> Option<(String, &'static str)> {
        let resources = self.statement.resource.given()?;
        resources
            .items
            .iter()
            .find(|(_, text)| text == "*")
            .map(|(position, _)| (resources.path(&self.element("Resource"), *position), "*"))
    }

    pub(super) fn check_resource_star(&mut self, actions: &Strings, resolved: &[Resolved]) {
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
    pub(super) fn check_resources(&mut self, actions: &Strings, resolved: &[Resolved]) {
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
        for format in self.catalogue.arn_formats_among(ours[2], types) {
            if matched.contains(&format.resource_type)
                || (!matched.is_empty() && known.contains(&format.resource_type))
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
