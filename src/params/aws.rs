//! AWS identifiers and documents as types that can only hold values IAM and
//! EKS would accept; each constructor explains a refusal in words a user can
//! act on.

use std::fmt;

use crate::iam::arn::{self, is_iam_name_char, Arn};
use crate::iam::policy::Document;
use crate::params::reader::shown;

fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// An AWS region name such as `us-west-2` or `us-gov-east-1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    /// Accepts the shape every AWS region name has: a two-letter area, one
    /// or more lowercase words, and a number.
    pub fn parse(text: &str) -> Result<Self, String> {
        let well_formed = arn::is_region(text);
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "{text_shown} is not an AWS region (want a name such as us-west-2)",
                text_shown = shown(text)
            ))
        }
    }
}

/// What an ARN names: the resource part after `iam::<account>:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IamKind {
    Policy,
    Role,
}

impl IamKind {
    fn prefix(self) -> &'static str {
        match self {
            IamKind::Policy => "policy/",
            IamKind::Role => "role/",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            IamKind::Policy => {
                "an IAM policy ARN (want arn:aws:iam::<12-digit account or aws>:policy/[path/]name)"
            }
            IamKind::Role => {
                "an IAM role ARN (want arn:aws:iam::<12-digit account>:role/[path/]name)"
            }
        }
    }

    fn longest_name(self) -> usize {
        match self {
            IamKind::Policy => 128,
            IamKind::Role => 64,
        }
    }
}

/// Checks `arn:<partition>:iam::<account>:<kind>/<path><name>`.
fn check_iam_arn(text: &str, kind: IamKind) -> Result<(), String> {
    let refuse = || {
        Err(format!(
            "{text_shown} is not {}",
            kind.noun(),
            text_shown = shown(text)
        ))
    };
    let Some(Arn {
        partition,
        service: "iam",
        region: "",
        account,
        resource,
    }) = Arn::split(text)
    else {
        return refuse();
    };
    let account_ok = arn::is_account_id(account) || (kind == IamKind::Policy && account == "aws");
    let Some(path_and_name) = resource.strip_prefix(kind.prefix()) else {
        return refuse();
    };
    let (path, name) = match path_and_name.rfind('/') {
        Some(split) => path_and_name.split_at(split + 1),
        None => ("", path_and_name),
    };
    let path_ok = path
        .chars()
        .all(|c| c == '/' || ('\u{21}'..='\u{7e}').contains(&c))
        && path.len() <= 512;
    let name_ok = !name.is_empty()
        && char_count(name) <= kind.longest_name()
        && name.chars().all(is_iam_name_char);
    if arn::is_partition(partition) && account_ok && path_ok && name_ok && text.len() <= 2048 {
        Ok(())
    } else {
        refuse()
    }
}

/// The ARN of an IAM managed policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyArn(String);

impl PolicyArn {
    /// Accepts `arn:<aws|aws-cn|aws-us-gov>:iam::<account or aws>:policy/<path><name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_iam_arn(text, IamKind::Policy).map(|()| Self(text.to_owned()))
    }

    /// The policy's name, the part after the last `/`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The ARN as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The ARN of an IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn(String);

impl RoleArn {
    /// Accepts `arn:<aws|aws-cn|aws-us-gov>:iam::<account>:role/<path><name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_iam_arn(text, IamKind::Role).map(|()| Self(text.to_owned()))
    }

    /// The ARN as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The policy that lets a role assume this one and tag its sessions,
    /// as EKS role chaining needs.
    #[must_use]
    pub fn assume_policy(&self) -> PolicyDocument {
        PolicyDocument::from_json(&serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Resource": self.0,
            }],
        }))
    }
}

/// The name of an IAM role: 1 to 64 of `A-Z a-z 0-9 + = , . @ _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    /// Accepts a name IAM would create.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_iam_name(text, 64, "role name").map(|()| Self(text.to_owned()))
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of an inline policy: 1 to 128 of `A-Z a-z 0-9 + = , . @ _ -`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyName(String);

impl PolicyName {
    /// Accepts a name IAM would store.
    pub fn parse(text: &str) -> Result<Self, String> {
        check_iam_name(text, 128, "policy name").map(|()| Self(text.to_owned()))
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_iam_name(text: &str, longest: usize, noun: &str) -> Result<(), String> {
    let length = char_count(text);
    if length == 0 || length > longest {
        return Err(format!(
            "{text_shown} is not a valid IAM {noun} (want 1 to {longest} characters, got {length})",
            text_shown = shown(text)
        ));
    }
    match text.chars().find(|&c| !is_iam_name_char(c)) {
        Some(bad) => Err(format!(
            "{text_shown} is not a valid IAM {noun} ({bad:?} is not allowed; use letters, digits and + = , . @ _ -)", text_shown = shown(text))),
        None => Ok(()),
    }
}

/// An IAM path: `/` or `/segments/`, at most 512 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePath(String);

impl RolePath {
    /// Accepts a path IAM would store.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shaped = text.starts_with('/') && text.ends_with('/') && !text.contains("//");
        let printable = text.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
        if shaped && printable && text.len() <= 512 {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "{text_shown} is not an IAM path (want / or /segment/.../ in at most 512 printable ASCII characters)", text_shown = shown(text)))
        }
    }

    /// The path as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role description: at most 1,000 characters of the set IAM allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDescription(String);

impl RoleDescription {
    /// Accepts a description IAM would store.
    pub fn parse(text: &str) -> Result<Self, String> {
        let length = char_count(text);
        if length > 1000 {
            return Err(format!(
                "is {length} characters long; IAM allows at most 1000"
            ));
        }
        let allowed =
            |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
        match text.chars().find(|&c| !allowed(c)) {
            Some(bad) => Err(format!(
                "contains {bad:?}; IAM allows tab, newline, printable ASCII and U+00A1 to U+00FF"
            )),
            None => Ok(Self(text.to_owned())),
        }
    }

    /// The description as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest and shortest session IAM allows a role, in seconds.
pub const SESSION_SECONDS: std::ops::RangeInclusive<i64> = 3600..=43_200;

/// The most characters, not counting white space, of all inline policies of
/// one role together.
pub const INLINE_POLICY_BUDGET: usize = 10_240;

/// An IAM policy document: JSON text of an object, in the characters IAM
/// accepts, kept with what it reads as, so that the lint and the
/// guardrails share one parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    text: String,
    /// Characters that count against [`INLINE_POLICY_BUDGET`].
    counted: usize,
    read: Document,
}

impl PolicyDocument {
    /// Accepts JSON text of an object made of tab, LF, CR and U+0020 to U+00FF.
    pub fn parse(text: &str) -> Result<Self, String> {
        // One pass both checks the characters and counts them.
        let mut counted = 0;
        for c in text.chars() {
            if !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}') {
                return Err(format!(
                    "contains {c:?}; IAM policy documents allow only tab, newline, carriage return and U+0020 to U+00FF"
                ));
            }
            counted += usize::from(!c.is_whitespace());
        }
        let value = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => value,
            Err(error) => return Err(format!("is not JSON text: {error}")),
        };
        if !value.is_object() {
            return Err("is JSON but not an object; a policy document is a JSON object".to_owned());
        }
        Ok(Self {
            text: text.to_owned(),
            counted,
            read: Document::from_value(value),
        })
    }

    /// A document this function writes itself, from JSON it built.
    #[must_use]
    pub fn from_json(document: &serde_json::Value) -> Self {
        let text = document.to_string();
        let counted = text.chars().filter(|c| !c.is_whitespace()).count();
        Self {
            text,
            counted,
            read: Document::read(document),
        }
    }

    /// The document's elements, as IAM reads them.
    #[must_use]
    pub fn elements(&self) -> &Document {
        &self.read
    }

    /// The document as JSON text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its size as IAM counts it against the inline policy budget.
    #[must_use]
    pub fn counted_size(&self) -> usize {
        self.counted
    }
}

/// The tags the provider adds to every taggable resource itself.
pub const PROVIDER_TAGS: [&str; 3] = [
    "crossplane-kind",
    "crossplane-name",
    "crossplane-providerconfig",
];

/// Tags a user may set on one resource: IAM's 50 less the provider's own.
pub const MAX_USER_TAGS: usize = 50 - PROVIDER_TAGS.len();

/// Checks one tag key against IAM and EKS rules.
pub fn check_tag_key(key: &str) -> Result<(), String> {
    let length = char_count(key);
    if length == 0 || length > 128 {
        return Err(format!(
            "tag key {key_shown} must be 1 to 128 characters, got {length}",
            key_shown = shown(key)
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!(
            "tag key {key_shown} uses the prefix aws:, which AWS reserves",
            key_shown = shown(key)
        ));
    }
    if PROVIDER_TAGS.contains(&key) {
        return Err(format!(
            "tag key {key_shown} is set by the provider itself",
            key_shown = shown(key)
        ));
    }
    check_tag_chars(key).map_err(|bad| {
        format!(
            "tag key {key_shown} contains {bad:?}; {TAG_CHARS}",
            key_shown = shown(key)
        )
    })
}

/// Checks one tag value against IAM and EKS rules.
pub fn check_tag_value(key: &str, value: &str) -> Result<(), String> {
    let length = char_count(value);
    if length > 256 {
        return Err(format!(
            "tag {key_shown} has a value of {length} characters; at most 256",
            key_shown = shown(key)
        ));
    }
    check_tag_chars(value).map_err(|bad| {
        format!(
            "tag {key_shown} has a value containing {bad:?}; {TAG_CHARS}",
            key_shown = shown(key)
        )
    })
}

const TAG_CHARS: &str = "tags allow letters, digits, spaces and _ . : / = + - @";

fn check_tag_chars(text: &str) -> Result<(), char> {
    match text
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)))
    {
        Some(bad) => Err(bad),
        None => Ok(()),
    }
}

/// Checks an EKS cluster name: 1 to 100 of letters, digits, `-` and `_`,
/// starting with a letter or digit.
pub fn check_cluster_name(name: &str) -> Result<(), String> {
    let shaped = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.len() <= 100;
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "{name_shown} is not an EKS cluster name (want 1 to 100 letters, digits, - and _, starting with a letter or digit)", name_shown = shown(name)))
    }
}

/// Checks a Kubernetes DNS-1123 label (a namespace name).
pub fn check_dns_label(name: &str) -> Result<(), String> {
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(format!(
            "{name_shown} is not a Kubernetes namespace name (want at most 63 lowercase letters, digits and -, starting and ending with a letter or digit)", name_shown = shown(name)))
    }
}

/// Checks a Kubernetes DNS-1123 subdomain (a service account name).
pub fn check_dns_subdomain(name: &str) -> Result<(), String> {
    if name.len() <= 253 && name.split('.').all(is_dns_label) {
        Ok(())
    } else {
        Err(format!(
            "{name_shown} is not a Kubernetes object name (want at most 253 lowercase letters, digits, - and ., starting and ending with a letter or digit)", name_shown = shown(name)))
    }
}

/// The id EKS gives a Pod Identity association: `a-` and 17 lowercase
/// letters or digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationId(String);

impl AssociationId {
    /// Checks an association id.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shaped = text.strip_prefix("a-").is_some_and(|rest| {
            rest.len() == 17
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if shaped {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "{text:?} is not a Pod Identity association id (want a- and 17 lowercase letters or digits, such as a-abcdefghij0123456)"
            ))
        }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a Kubernetes label key: an optional DNS subdomain prefix and
/// `/`, then a name. Crossplane's own prefixes are refused: they steer
/// Crossplane, and the function's selection label lives there.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.len() > 253 || !prefix.split('.').all(is_dns_label) {
            return Err(format!(
                "{key:?}: the prefix is not a DNS subdomain (at most 253 lowercase letters, digits, - and .)"
            ));
        }
        if prefix == "crossplane.io" || prefix.ends_with(".crossplane.io") {
            return Err(format!(
                "{key:?}: keys under crossplane.io/ are Crossplane's own"
            ));
        }
    }
    if name.is_empty() || !is_label_text(name) {
        return Err(format!(
            "{key:?} is not a label key (want at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit, after an optional prefix/)"
        ));
    }
    Ok(())
}

/// Checks a Kubernetes label value: empty, or like a key's name.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_label_text(value) {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not a label value (want at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit)"
        ))
    }
}

fn is_label_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

impl fmt::Display for PolicyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Region {
    /// The region as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::PolicyDocument;

    #[test]
    fn white_space_does_not_count_against_the_budget() {
        let document =
            PolicyDocument::parse("{\n\t\"Version\": \"2012-10-17\",\r\n \"x\":\"a\u{a0}b\"}")
                .unwrap();
        // `{"Version":"2012-10-17","x":"ab"}`: the no-break space is white
        // space too.
        assert_eq!(document.counted_size(), 33);
        assert_eq!(PolicyDocument::parse("{}").unwrap().counted_size(), 2);
    }

    #[test]
    fn characters_outside_what_iam_accepts_are_refused() {
        for (text, bad) in [
            ("{\"a\": \"\u{100}\"}", "'\u{100}'"),
            ("{\u{b}}", "'\\u{b}'"),
        ] {
            let error = PolicyDocument::parse(text).unwrap_err();
            assert!(error.starts_with(&format!("contains {bad};")), "{error}");
        }
        assert!(PolicyDocument::parse("{\"a\": \"\u{ff}\"}").is_ok());
        assert!(PolicyDocument::parse("[]")
            .unwrap_err()
            .contains("not an object"));
        assert!(PolicyDocument::parse("{")
            .unwrap_err()
            .starts_with("is not JSON text"));
    }
}
