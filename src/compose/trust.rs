//! The role's trust policy: which principal may assume it, and which
//! service account's pods it is pinned to.

use serde::Serialize;

use crate::params::Parameters;

/// The service principal EKS Pod Identity assumes roles as.
pub const POD_IDENTITY_PRINCIPAL: &str = "pods.eks.amazonaws.com";

/// The trust policy that lets EKS Pod Identity assume the role. With
/// session tags on (the default), it also pins the role to the one service
/// account, as AWS recommends; with them off such conditions could never
/// match, so there are none.
#[must_use]
pub fn trust_policy(parameters: &Parameters) -> String {
    let session_tags = (parameters.disable_session_tags != Some(true)).then_some(Condition {
        string_equals: SessionTags {
            namespace: parameters.service_account.namespace.as_str(),
            service_account: parameters.service_account.name.as_str(),
        },
    });
    let policy = TrustPolicy {
        statement: [TrustStatement {
            action: ["sts:AssumeRole", "sts:TagSession"],
            condition: session_tags,
            effect: "Allow",
            principal: Principal {
                service: POD_IDENTITY_PRINCIPAL,
            },
        }],
        version: "2012-10-17",
    };
    // Plain structs of strings always serialize.
    serde_json::to_string(&policy).unwrap_or_default()
}

// The trust policy's parts. Fields are in alphabetical order, the order
// this text has always had: a role's policy must not change text, and so
// look changed to the provider, when only the function was upgraded.

#[derive(Serialize)]
struct TrustPolicy<'a> {
    #[serde(rename = "Statement")]
    statement: [TrustStatement<'a>; 1],
    #[serde(rename = "Version")]
    version: &'static str,
}

#[derive(Serialize)]
struct TrustStatement<'a> {
    #[serde(rename = "Action")]
    action: [&'static str; 2],
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    condition: Option<Condition<'a>>,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Principal")]
    principal: Principal,
}

#[derive(Serialize)]
struct Condition<'a> {
    #[serde(rename = "StringEquals")]
    string_equals: SessionTags<'a>,
}

#[derive(Serialize)]
struct SessionTags<'a> {
    #[serde(rename = "aws:RequestTag/kubernetes-namespace")]
    namespace: &'a str,
    #[serde(rename = "aws:RequestTag/kubernetes-service-account")]
    service_account: &'a str,
}

#[derive(Serialize)]
struct Principal {
    #[serde(rename = "Service")]
    service: &'static str,
}
