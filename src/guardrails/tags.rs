//! Guardrails on AWS tags, which platforms that grant access by
//! `aws:PrincipalTag` trust as identity: keys a claim may not set, and tags
//! put on every taggable resource whatever the claim or the defaults say.
//!
//! IAM tells tag keys apart without case, and so do these rules: `Tenant`
//! is `tenant` to a condition on `aws:PrincipalTag/tenant`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::iam::glob::{Case, Glob};
use crate::params::aws::{check_tag_key, check_tag_value, MAX_USER_TAGS};
use crate::params::reader::{describe, shown, Problems, PARAMETERS_PATH};
use crate::params::Parameters;

use super::templates::{fills, Template};
use super::{is_wild, read_patterns};

/// The longest namespace Kubernetes allows, which a forced value must
/// leave room for.
const NAMESPACE_CHARS: usize = 63;

/// A tag the platform puts on every taggable resource.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Forced {
    key: String,
    value: Template,
}

/// `guardrails.tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Tags {
    denied_keys: Vec<Glob>,
    forced: Vec<Forced>,
}

impl Tags {
    /// Reads `guardrails.tags`, found at `path`.
    pub(super) fn read(value: &Value, path: &str, problems: &mut Problems) -> Self {
        let mut rules = Self::default();
        let Some(object) = value.as_object() else {
            problems.add(path, format!("want an object, got {}", describe(value)));
            return rules;
        };
        for (key, value) in object {
            let path = format!("{path}.{key}");
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "deniedKeys" => {
                    rules.denied_keys = read_patterns(value, &path, "", problems, key_pattern).1;
                }
                "forced" => rules.forced = read_forced(value, &path, problems),
                _ => problems.add(path, "unknown guardrail; known are deniedKeys, forced"),
            }
        }
        rules
    }

    /// Refuses the claim's own tags under a denied key, then puts the
    /// forced tags on in place of any under the same key. A forced value
    /// that names the namespace is left out for an XR made without a
    /// claim: it has no tenant (nor has a namespace no Kubernetes would
    /// accept, which only a hand-made request holds).
    pub(super) fn apply(
        &self,
        parameters: &mut Parameters,
        namespace: Option<&str>,
        problems: &mut Problems,
    ) {
        for key in &parameters.own_tag_keys {
            if let Some(denied) = self.denied_keys.iter().find(|denied| denied.matches(key)) {
                problems.add(
                    format!("{PARAMETERS_PATH}.tags.{key}"),
                    format!(
                        "the key {} is refused by guardrails.tags.deniedKeys {:?} (tag keys compare without case)",
                        shown(key),
                        denied.as_str()
                    ),
                );
            }
        }
        if self.forced.is_empty() {
            return;
        }
        let tags = &mut parameters.tags;
        let before = tags.len();
        let namespace = namespace.filter(|namespace| fills(namespace));
        for forced in &self.forced {
            let value = match namespace {
                Some(namespace) => forced.value.filled(namespace),
                None if forced.value.is_fixed() => forced.value.filled(""),
                None => continue,
            };
            tags.retain(|key, _| !key.eq_ignore_ascii_case(&forced.key));
            parameters
                .own_tag_keys
                .retain(|key| !key.eq_ignore_ascii_case(&forced.key));
            tags.insert(forced.key.clone(), value);
        }
        if tags.len() > MAX_USER_TAGS {
            problems.add(
                format!("{PARAMETERS_PATH}.tags"),
                format!(
                    "{before} tags and those guardrails.tags.forced adds make {}; AWS allows 50 per resource and the provider uses 3, so at most {MAX_USER_TAGS}",
                    tags.len()
                ),
            );
        }
    }
}

fn read_forced(value: &Value, path: &str, problems: &mut Problems) -> Vec<Forced> {
    let Some(object) = value.as_object() else {
        problems.add(path, format!("want an object, got {}", describe(value)));
        return Vec::new();
    };
    if object.len() > MAX_USER_TAGS {
        problems.add(
            path,
            format!("{} tags; at most {MAX_USER_TAGS}", object.len()),
        );
        return Vec::new();
    }
    let mut forced = Vec::with_capacity(object.len());
    // Keys without case, each with the key first written so.
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (key, value) in object {
        let key_path = || format!("{path}.{key}");
        let checked = check_tag_key(key).and_then(|()| {
            let Value::String(text) = value else {
                return Err(format!("want a string value, got {}", describe(value)));
            };
            let template = Template::parse(text)?;
            check_tag_value(key, &template.filled("namespace"))?;
            let longest = template.filled("").chars().count()
                + NAMESPACE_CHARS * template.placeholders();
            if longest > 256 {
                return Err(format!(
                    "with a namespace of {NAMESPACE_CHARS} characters the value has {longest}; at most 256"
                ));
            }
            Ok(template)
        });
        let template = match checked {
            Ok(template) => template,
            Err(message) => {
                problems.add(key_path(), message);
                continue;
            }
        };
        if let Some(first) = seen.get(&key.to_ascii_lowercase()) {
            problems.add(
                key_path(),
                format!(
                    "the same key as {} to IAM, which compares tag keys without case",
                    shown(first)
                ),
            );
            continue;
        }
        seen.insert(key.to_ascii_lowercase(), key);
        forced.push(Forced {
            key: key.clone(),
            value: template,
        });
    }
    forced
}

fn key_pattern(text: &str) -> Result<Case, String> {
    let fits = !text.is_empty()
        && text.chars().count() <= 128
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c) || is_wild(c));
    if fits {
        Ok(Case::Insensitive)
    } else {
        Err(format!(
            "{} is not a tag key pattern (want letters, digits, spaces, _ . : / = + - @ and the wildcards * and ?, at most 128 characters)",
            shown(text)
        ))
    }
}
