//! Patterns that stand for the claim's namespace with `{namespace}`: read
//! once, with any other placeholder refused, and filled in per call.
//!
//! A tenant is its namespace, so a rule such as `{namespace}.*` gives each
//! tenant its own names without listing tenants. A cluster-scoped XR made
//! without a claim has no tenant: its author has cluster-wide rights, and
//! such rules let it pass, as `SameAsClaim` does.

use std::fmt::Write;

use serde_json::Value;

use crate::iam::glob::{Case, Glob, Piece};

use super::{MAX_PATTERNS, MAX_PATTERN_CHARS};
use crate::params::aws::check_dns_label;
use crate::params::reader::{describe, shown, Problems};

/// The placeholder for the claim's namespace.
pub const NAMESPACE: &str = "{namespace}";

/// Whether `namespace` may fill a placeholder: only a name Kubernetes could
/// have given a namespace. Anything else comes from a hand-made request and
/// fills none, failing closed, so that its length never multiplies a
/// pattern's.
pub(super) fn fills(namespace: &str) -> bool {
    check_dns_label(namespace).is_ok()
}

/// Text with `{namespace}` in it, split at each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Template {
    /// The text between the placeholders: one more than there are
    /// placeholders.
    parts: Vec<String>,
}

impl Template {
    /// Splits `text` at each `{namespace}`; any other `{...}`, or a brace
    /// left open or never opened, is an error naming it.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        loop {
            let Some(open) = rest.find(['{', '}']) else {
                parts.push(rest.to_owned());
                return Ok(Self { parts });
            };
            if rest[open..].starts_with('}') {
                return Err(format!(
                    "{} has a }} that opens no placeholder; the only placeholder is {NAMESPACE}",
                    shown(text)
                ));
            }
            let Some(close) = rest[open..].find('}').map(|close| open + close) else {
                return Err(format!(
                    "{} leaves a {{ open; the only placeholder is {NAMESPACE}",
                    shown(text)
                ));
            };
            let placeholder = &rest[open..=close];
            if placeholder != NAMESPACE {
                return Err(format!(
                    "{} uses the unknown placeholder {}; the only one is {NAMESPACE}",
                    shown(text),
                    shown(placeholder)
                ));
            }
            parts.push(rest[..open].to_owned());
            rest = &rest[close + 1..];
        }
    }

    /// Whether the text has no placeholder.
    pub(super) fn is_fixed(&self) -> bool {
        self.parts.len() == 1
    }

    /// How many placeholders the text has.
    pub(super) fn placeholders(&self) -> usize {
        self.parts.len().saturating_sub(1)
    }

    /// The text with `stand_in` for each placeholder.
    pub(super) fn filled(&self, stand_in: &str) -> String {
        self.parts.join(stand_in)
    }
}

/// One pattern of a rule, compiled once when it has no placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Fixed(Glob),
    /// Compiled per call, with the namespace as literal text: a namespace
    /// never adds a wildcard, whatever a request holds.
    Namespaced(Template),
}

/// A list of patterns that may use `{namespace}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Templates {
    patterns: Vec<Pattern>,
    case: Case,
}

impl Templates {
    /// Reads a list of patterns at `path`, compared with `case`; `fits`
    /// tells whether a pattern, with a plain stand-in for every
    /// `{namespace}`, is `what` (which a refusal names).
    pub(super) fn read(
        value: &Value,
        path: &str,
        problems: &mut Problems,
        case: Case,
        fits: (fn(&str) -> bool, &str),
    ) -> Self {
        Self::read_flagged(value, path, "", problems, case, fits).1
    }

    /// As [`Self::read`], where the entry `special` (when not empty) is a
    /// flag rather than a pattern: whether the list holds it, and the rest.
    pub(super) fn read_flagged(
        value: &Value,
        path: &str,
        special: &str,
        problems: &mut Problems,
        case: Case,
        (fits, what): (fn(&str) -> bool, &str),
    ) -> (bool, Self) {
        let mut flag = false;
        let mut patterns = Vec::new();
        each_string(value, path, problems, |position, text, problems| {
            if !special.is_empty() && text == special {
                flag = true;
                return;
            }
            let item_path = || format!("{path}[{position}]");
            if text.chars().count() > MAX_PATTERN_CHARS {
                problems.add(
                    item_path(),
                    format!("longer than {MAX_PATTERN_CHARS} characters"),
                );
                return;
            }
            let checked = Template::parse(text).and_then(|template| {
                // A namespace is lowercase letters, digits and -.
                if fits(&template.filled("namespace")) {
                    Ok(template)
                } else {
                    Err(format!("{} is not {what}", shown(text)))
                }
            });
            match checked {
                Ok(template) if template.is_fixed() => {
                    patterns.push(Pattern::Fixed(Glob::new(text, case)));
                }
                Ok(template) => patterns.push(Pattern::Namespaced(template)),
                Err(message) => problems.add(item_path(), message),
            }
        });
        (flag, Self { patterns, case })
    }

    /// Whether `subject` matches a pattern with `{namespace}` filled in
    /// with the claim's `namespace`. Without one (an XR made without a
    /// claim) everything passes.
    pub(super) fn allows(&self, subject: &str, namespace: Option<&str>) -> bool {
        let Some(namespace) = namespace else {
            return true;
        };
        let fills = fills(namespace);
        self.patterns.iter().any(|pattern| match pattern {
            Pattern::Fixed(glob) => glob.matches(subject),
            Pattern::Namespaced(_) if !fills => false,
            Pattern::Namespaced(template) => {
                let mut pieces = Vec::with_capacity(2 * template.parts.len());
                for (position, part) in template.parts.iter().enumerate() {
                    if position > 0 {
                        pieces.push(Piece::Literal(namespace));
                    }
                    pieces.push(Piece::Pattern(part));
                }
                Glob::joined(&pieces, self.case).matches(subject)
            }
        })
    }

    /// What the rule would have accepted from the claim in `namespace`,
    /// for a refusal's message.
    pub(super) fn wanted(&self, namespace: &str) -> String {
        if self.patterns.is_empty() {
            return "nothing is allowed".to_owned();
        }
        let stand_in = if fills(namespace) {
            namespace
        } else {
            NAMESPACE
        };
        let mut text = "want one of".to_owned();
        for (position, pattern) in self.patterns.iter().enumerate() {
            text.push_str(if position == 0 { " " } else { ", " });
            let shown = match pattern {
                Pattern::Fixed(glob) => glob.as_str().to_owned(),
                Pattern::Namespaced(template) => template.filled(stand_in),
            };
            // Writing to a String cannot fail.
            let _ = write!(text, "{shown:?}");
        }
        text
    }
}

/// Calls `each` with every string of the list at `path` and its position,
/// in order; a problem for the list when it is not one or is too long, and
/// for each entry that is not a string.
pub(super) fn each_string<'v>(
    value: &'v Value,
    path: &str,
    problems: &mut Problems,
    mut each: impl FnMut(usize, &'v str, &mut Problems),
) {
    let Some(items) = value.as_array() else {
        problems.add(path, format!("want a list, got {}", describe(value)));
        return;
    };
    if items.len() > MAX_PATTERNS {
        problems.add(
            path,
            format!("{} entries; at most {MAX_PATTERNS}", items.len()),
        );
        return;
    }
    for (position, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(text) => each(position, text, problems),
            None => problems.add(
                format!("{path}[{position}]"),
                format!("want a string, got {}", describe(item)),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Case, Problems, Template, Templates};

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn placeholders_split_the_text() {
        let cases = [
            ("{namespace}.*", Ok(vec!["", ".*"])),
            ("a-{namespace}-{namespace}", Ok(vec!["a-", "-", ""])),
            ("plain", Ok(vec!["plain"])),
            (
                "{tenant}.*",
                Err("\"{tenant}.*\" uses the unknown placeholder \"{tenant}\"; the only one is {namespace}"),
            ),
            (
                "{namespace.*",
                Err("\"{namespace.*\" leaves a { open; the only placeholder is {namespace}"),
            ),
            (
                "x}",
                Err("\"x}\" has a } that opens no placeholder; the only placeholder is {namespace}"),
            ),
            (
                "{{namespace}}",
                Err("\"{{namespace}}\" uses the unknown placeholder \"{{namespace}\"; the only one is {namespace}"),
            ),
        ];
        for (text, want) in cases {
            let got = Template::parse(text).map(|template| template.parts);
            let want = want
                .map(|parts| parts.into_iter().map(str::to_owned).collect::<Vec<_>>())
                .map_err(str::to_owned);
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn the_namespace_is_literal_text_in_the_pattern() {
        let mut problems = Problems::default();
        let rule = Templates::read(
            &json!(["{namespace}.*", "shared-?"]),
            "input.guardrails.roleNames",
            &mut problems,
            Case::Insensitive,
            (any, "anything"),
        );
        assert!(problems.0.is_empty(), "{problems}");
        let cases = [
            ("team-a.orders", Some("team-a"), true),
            ("TEAM-A.orders", Some("team-a"), true),
            ("team-a.orders", Some("team"), false),
            ("team-a-x", Some("team-a"), false),
            ("shared-1", Some("team-a"), true),
            // A wildcard is no namespace: it fills nothing, let alone
            // matches as a wildcard.
            ("team-a.orders", Some("*"), false),
            ("*.orders", Some("*"), false),
            ("shared-1", Some("*"), true),
            ("anything", None, true),
        ];
        for (subject, namespace, want) in cases {
            assert_eq!(
                rule.allows(subject, namespace),
                want,
                "{subject} for {namespace:?}"
            );
        }
        assert_eq!(
            rule.wanted("team-a"),
            "want one of \"team-a.*\", \"shared-?\""
        );
        // A namespace no Kubernetes API server would accept fills nothing.
        let long = "a".repeat(64);
        assert!(!rule.allows(&format!("{long}.x"), Some(&long)));
        assert_eq!(
            rule.wanted(&long),
            "want one of \"{namespace}.*\", \"shared-?\""
        );
    }
}
