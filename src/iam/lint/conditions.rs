//! Checks of a statement's conditions: operators IAM knows, condition
//! keys that exist, keys of a service the statement does not act on, and
//! multivalued keys compared without a set operator.

use super::{Check, Scope, StatementLint, MAX_KEY_CHARS};
use crate::iam::catalogue::Service;

impl StatementLint<'_> {
    pub(super) fn check_conditions(&mut self, scope: &Scope) {
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
            let unqualified = is_operator(&condition.operator)
                && set_operator(&condition.operator).is_none()
                && !condition.operator.eq_ignore_ascii_case("Null");
            for key in &condition.keys {
                if let Some((check, message)) = self.check_key(key, scope) {
                    found.push((check, format!("{path}.{key}"), key.as_str(), message));
                } else if unqualified
                    && key.len() <= MAX_KEY_CHARS
                    && self.catalogue.is_multivalued_key(key)
                {
                    // Access Analyzer's MISSING_QUALIFIER: a plain operator
                    // compares a set of values as if it were one, which
                    // matches in ways its author did not mean. Null only asks
                    // whether the key is there, so it needs no qualifier.
                    found.push((
                        Check::MissingQualifier,
                        format!("{path}.{key}"),
                        key.as_str(),
                        format!(
                            "{key} can hold several values in a request; write ForAnyValue:{operator} to match when any of them matches, or ForAllValues:{operator} when all must (which also matches a request without the key)",
                            operator = condition.operator
                        ),
                    ));
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

fn strip_prefix<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// The operator after a `ForAllValues:` or `ForAnyValue:` set prefix, if it
/// has one.
fn set_operator(text: &str) -> Option<&str> {
    strip_prefix(text, "ForAllValues:").or_else(|| strip_prefix(text, "ForAnyValue:"))
}

fn is_operator(text: &str) -> bool {
    let base = set_operator(text).unwrap_or(text);
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
    use super::is_operator;

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
}
