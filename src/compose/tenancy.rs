//! Which tenant each running resource was created for, and whether that is
//! the XR's tenant now.
//!
//! A claim can bind an XR it did not make (v1's `spec.resourceRef`), and an
//! XR can be relabelled; from then on the XR's parameters would re-point
//! resources created for someone else. So every composed resource records
//! the tenant it was created for, and an XR whose tenant differs from its
//! running resources' composes nothing.

use std::collections::{BTreeMap, BTreeSet};

use prost_types::value::Kind;
use prost_types::Struct;

use crate::params::reader::shown;
use crate::params::Scope;
use crate::protocol::path::{self, text};
use crate::protocol::v1::Resource;

/// The label that records, on every composed resource, the tenant it was
/// created for.
pub const TENANT_LABEL: &str = "eks-pod-identity.fn.crossplane.io/tenant";

/// The tenant of an XR made without a claim: the platform team. No
/// namespace name holds a period, so no claim's namespace is this.
pub const PLATFORM_TENANT: &str = "platform.xr";

/// The label Crossplane puts on the resources it composes, copied from the
/// XR: the claim's namespace, or empty for an XR made without a claim.
pub const CLAIM_NAMESPACE_LABEL: &str = "crossplane.io/claim-namespace";

/// The tenant an XR is for: its namespace (v2), its claim's namespace, or
/// the platform's.
#[must_use]
pub fn of_xr<'a>(namespace: Option<&'a str>, claim_namespace: Option<&'a str>) -> &'a str {
    namespace
        .or(claim_namespace.filter(|namespace| !namespace.is_empty()))
        .unwrap_or(PLATFORM_TENANT)
}

/// The tenant a running resource records.
///
/// One composed before tenants were recorded has no label of its own. On a
/// cluster-scoped XR, Crossplane's `crossplane.io/claim-namespace` label
/// stands in for it: Crossplane writes it on every resource it composes,
/// copied from the XR (empty for an XR made without a claim), and it still
/// holds what it held when that resource was last applied, so a resource of
/// a platform XR a claim has just bound reads as the platform's. A resource
/// with neither label (a namespaced XR's, which never leaves its namespace,
/// or one made by hand) records nothing and is taken as the XR's: the
/// function records the XR's tenant on it from then on.
#[must_use]
pub fn recorded(body: &Struct, scope: Scope) -> Option<&str> {
    if let Some(tenant) = text(body, &["metadata", "labels", TENANT_LABEL]) {
        return Some(tenant);
    }
    if scope == Scope::Namespaced {
        return None;
    }
    match path::get(body, &["metadata", "labels", CLAIM_NAMESPACE_LABEL]) {
        Some(Kind::StringValue(namespace)) => Some(of_xr(None, Some(namespace))),
        _ => None,
    }
}

/// `Err` with the FATAL's text when a running resource was created for
/// another tenant than `tenant`, naming both tenants and the resources.
pub fn check(
    observed: &BTreeMap<String, Resource>,
    scope: Scope,
    tenant: &str,
) -> Result<(), String> {
    let mut others: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, resource) in observed {
        let Some(recorded) = resource
            .resource
            .as_ref()
            .and_then(|body| recorded(body, scope))
        else {
            continue;
        };
        if recorded != tenant {
            others.entry(recorded).or_default().insert(key.as_str());
        }
    }
    if others.is_empty() {
        return Ok(());
    }
    let theirs: Vec<String> = others
        .iter()
        .map(|(other, keys)| {
            let keys: Vec<&str> = keys.iter().copied().collect();
            format!("{} ({})", described(other), keys.join(", "))
        })
        .collect();
    Err(format!(
        "this XR is now {}'s, but its running resources were created for {}: a claim may not take over what another tenant owns (such as a platform XR bound through spec.resourceRef, or an XR relabelled to another claim's namespace). Nothing is composed and nothing running changes; the platform team must move these resources back to their tenant's XR, or orphan them, before deleting this claim or XR, since deleting it deletes them",
        described(tenant),
        theirs.join(" and "),
    ))
}

/// A tenant in words.
fn described(tenant: &str) -> String {
    if tenant == PLATFORM_TENANT {
        format!(
            "the platform ({}: an XR made without a claim)",
            shown(tenant)
        )
    } else {
        format!("namespace {}", shown(tenant))
    }
}

/// IAM's longest role name.
const MAX_ROLE_NAME: usize = 64;

/// The name of a new role a claim's XR composes without `roleName`:
/// `<tenant>.<XR name>`, inside the tenant's own `{namespace}.*` space.
///
/// Left to the provider, the role would be named after its managed
/// resource, `<XR name>-<suffix>`, and a claim's XR is named after the
/// claim, which may hold periods: namespace `shop`'s claim `billing.reader`
/// would get a role inside namespace `billing`'s space, which `billing`
/// could then name and adopt. XR names are unique (per namespace on v2, so
/// the namespace prefix keeps them apart); one too long for IAM keeps its
/// start and ends in a hash of the whole. `None` for the platform's XRs,
/// whose roles the provider names as before.
#[must_use]
pub fn role_name(tenant: &str, xr_name: &str) -> Option<String> {
    if tenant == PLATFORM_TENANT || xr_name.is_empty() {
        return None;
    }
    let whole = format!("{tenant}.{xr_name}");
    if whole.len() <= MAX_ROLE_NAME {
        return Some(whole);
    }
    let hash = format!(
        "{:08x}",
        crate::compose::keys::fnv1a(whole.as_bytes()) & 0xffff_ffff
    );
    // XR and namespace names are ASCII, so any byte is a char boundary.
    let kept = whole
        .get(..MAX_ROLE_NAME - hash.len() - 1)
        .unwrap_or_default()
        .trim_end_matches(['.', '-']);
    Some(format!("{kept}-{hash}"))
}
