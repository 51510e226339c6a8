//! What the observed composed resources say beyond readiness and status:
//! things the claim's author should hear about, such as a role that was
//! adopted rather than created, or a role name the claim can no longer
//! change; and the association id EKS names when it refuses to create an
//! association that already exists.
//!
//! Observed state never refuses a claim: what is read here becomes a
//! Warning on the claim, never a FATAL.
//!
//! Nothing is read off an observed resource before [`distrust`] has kept
//! only those that are what their key composes: Crossplane has handed
//! functions objects it does not control, and a tenant who gets any object
//! under one of the function's keys must not lend it a name or an id.

use std::collections::{BTreeMap, BTreeSet};

use prost_types::value::Kind;
use prost_types::Struct;

use crate::compose::tenancy::{CLAIM_NAMESPACE_LABEL, TENANT_LABEL};
use crate::compose::{keys, KeptRole, EXTERNAL_NAME};
use crate::params::aws::RoleName;
use crate::params::reader::shown;
use crate::params::{RoleSettings, Scope};
use crate::protocol::lean::{Entries, Keep};
use crate::protocol::path::{self, text};
use crate::protocol::v1::Resource;

/// What the function reads of an observed composed resource, whatever its
/// kind: what the codec keeps of each one (`protocol::lean`); the rest is
/// never decoded. A read outside it finds nothing, so each read of an
/// observed resource is listed here, and the tests run the function on
/// every request they build both whole and as the codec keeps it, and
/// compare the answers.
pub const READ: Entries = &[
    ("apiVersion", Keep::All),
    ("kind", Keep::All),
    (
        "metadata",
        Keep::Entries(&[
            ("name", Keep::All),
            ("annotations", Keep::Entries(&[(EXTERNAL_NAME, Keep::All)])),
            (
                "labels",
                Keep::Entries(&[
                    (TENANT_LABEL, Keep::All),
                    (CLAIM_NAMESPACE_LABEL, Keep::All),
                ]),
            ),
            (
                "ownerReferences",
                Keep::Entries(&[
                    ("controller", Keep::All),
                    ("uid", Keep::All),
                    ("kind", Keep::All),
                    ("name", Keep::All),
                ]),
            ),
        ]),
    ),
    (
        "spec",
        Keep::Entries(&[(
            "forProvider",
            Keep::Entries(&[
                ("clusterName", Keep::All),
                ("clusterNameRef", Keep::All),
                ("clusterNameSelector", Keep::All),
                ("region", Keep::All),
                ("namespace", Keep::All),
                ("serviceAccount", Keep::All),
                ("path", Keep::All),
            ]),
        )]),
    ),
    (
        "status",
        Keep::Entries(&[
            (
                "atProvider",
                Keep::Entries(&[
                    ("arn", Keep::All),
                    ("id", Keep::All),
                    ("createDate", Keep::All),
                    ("path", Keep::All),
                    ("clusterName", Keep::All),
                    ("region", Keep::All),
                    ("namespace", Keep::All),
                    ("serviceAccount", Keep::All),
                    ("roleArn", Keep::All),
                    ("associationId", Keep::All),
                    ("associationArn", Keep::All),
                    ("targetRoleArn", Keep::All),
                    ("externalId", Keep::All),
                ]),
            ),
            (
                "conditions",
                Keep::Entries(&[
                    ("type", Keep::All),
                    ("status", Keep::All),
                    ("reason", Keep::All),
                    ("message", Keep::All),
                ]),
            ),
        ]),
    ),
];

/// The API group and kind the function composes under `key` in `scope`;
/// `None` for a key it never composes.
#[must_use]
pub fn composed_kind(key: &str, scope: Scope) -> Option<(&'static str, &'static str)> {
    let (iam, eks, usage) = match scope {
        Scope::Cluster => (
            "iam.aws.upbound.io",
            "eks.aws.upbound.io",
            "apiextensions.crossplane.io",
        ),
        Scope::Namespaced => (
            "iam.aws.m.upbound.io",
            "eks.aws.m.upbound.io",
            "protection.crossplane.io",
        ),
    };
    let prefixed = |prefix: &str| {
        key.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('-'))
    };
    Some(match key {
        keys::ROLE => (iam, "Role"),
        keys::ASSOCIATION => (eks, "PodIdentityAssociation"),
        keys::AGENT => (eks, "Addon"),
        keys::TARGET_ROLE_POLICY => (iam, "RolePolicy"),
        _ if prefixed("assoc") => (eks, "PodIdentityAssociation"),
        _ if prefixed("agent") => (eks, "Addon"),
        _ if prefixed("attach") => (iam, "RolePolicyAttachment"),
        _ if prefixed("inline") || prefixed("well-known") => (iam, "RolePolicy"),
        _ if prefixed("usage") => (usage, "Usage"),
        _ => return None,
    })
}

/// Drops every observed resource that is not what its key composes, and
/// says why for each of the function's keys: the kind or API group (any
/// version) differs from the one composed in `scope`, or a controller
/// reference names another owner than the XR (`xr_uid`). What is dropped
/// lends the XR no external name, id, readiness or status, and its key
/// composes as though nothing ran under it. Resources under keys the
/// function never composes are dropped silently: they are not its own.
#[must_use]
pub fn distrust(
    observed: &mut BTreeMap<String, Resource>,
    scope: Scope,
    xr_uid: Option<&str>,
) -> Vec<String> {
    let mut dropped = Vec::new();
    observed.retain(|key, resource| {
        let Some(wanted) = composed_kind(key, scope) else {
            return false;
        };
        let Some(body) = resource.resource.as_ref() else {
            return true;
        };
        match foreign(body, wanted, xr_uid) {
            None => true,
            Some(why) => {
                dropped.push(format!(
                    "{key}: the observed resource under this key is {why}, not the {} {} the function composes for this XR; it is ignored (no external name, id, readiness or status is read from it) and {key} is composed as though nothing ran under it. Ask the platform team what put it there",
                    wanted.0, wanted.1
                ));
                false
            }
        }
    });
    dropped
}

/// What makes `body` another object than the `wanted` group and kind
/// controlled by the XR, in words; `None` when it is that.
fn foreign(body: &Struct, wanted: (&str, &str), xr_uid: Option<&str>) -> Option<String> {
    let api_version = text(body, &["apiVersion"]).unwrap_or("");
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    let kind = text(body, &["kind"]).unwrap_or("");
    if (group, kind) != wanted {
        return Some(format!("a {} of {}", shown(kind), shown(api_version)));
    }
    let controller = path::list(body, &["metadata", "ownerReferences"])?
        .values
        .iter()
        .filter_map(|reference| match &reference.kind {
            Some(Kind::StructValue(reference)) => Some(reference),
            _ => None,
        })
        .find(|reference| {
            matches!(
                path::get(reference, &["controller"]),
                Some(Kind::BoolValue(true))
            )
        })?;
    let owner = text(controller, &["uid"]).unwrap_or("");
    if xr_uid == Some(owner) {
        return None;
    }
    Some(format!(
        "a {kind} controlled by the {} {} (uid {}), not by this XR",
        shown(text(controller, &["kind"]).unwrap_or("")),
        shown(text(controller, &["name"]).unwrap_or("")),
        shown(owner)
    ))
}

/// A role that existed before the XR did: its external name named a role
/// already in the account, and the provider adopted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptedRole {
    /// The role's name in AWS.
    pub name: String,
    /// When IAM created the role, as the provider reports it.
    pub created: String,
    /// When the XR was created.
    pub xr_created: String,
}

impl AdoptedRole {
    /// The adoption the observed role shows, if any: IAM created it before
    /// the XR existed (`xr_created`, the XR's `metadata.creationTimestamp`).
    /// A role not yet created, or a time that cannot be read, shows none.
    #[must_use]
    pub fn of(role: &Struct, xr_created: &str) -> Option<Self> {
        let created = text(role, &["status", "atProvider", "createDate"])?;
        if instant(created)? >= instant(xr_created)? {
            return None;
        }
        let name = text(role, &["status", "atProvider", "id"])
            .or_else(|| text(role, &["metadata", "annotations", EXTERNAL_NAME]))
            .unwrap_or("(unnamed)");
        Some(Self {
            name: name.to_owned(),
            created: created.to_owned(),
            xr_created: xr_created.to_owned(),
        })
    }

    /// The Warning's text: what happened, and what to check.
    #[must_use]
    pub fn message(&self) -> String {
        format!(
            "the IAM role {:?} was created at {}, before this XR ({}): it was adopted, not created. Its trust policy, permissions and deletion now follow this claim; if this claim should not own it, ask the platform team to orphan the role before the claim is deleted, and review its trust policy",
            self.name, self.created, self.xr_created
        )
    }
}

/// A role IAM has created: its name and path are fixed for its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningRole<'a> {
    /// Its name in AWS: the managed resource's external name.
    pub name: &'a str,
    /// The managed resource's own name, after which the provider names a
    /// role when the claim gives no `roleName`.
    pub generated: Option<&'a str>,
    /// Its IAM path, as the provider reports it (else as last asked).
    pub path: Option<&'a str>,
}

/// What the composed role keeps of the running one, and a Warning's text
/// for each setting the claim asks to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptSettings<'a> {
    /// The name and path to compose instead of the asked ones.
    pub kept: KeptRole<'a>,
    /// Why the name is kept, when the claim asks for another.
    pub name: Option<String>,
    /// Why the path is kept, when the claim asks for another.
    pub path: Option<String>,
}

impl<'a> RunningRole<'a> {
    /// The running role, once the provider has created it: it has an
    /// external name and reports an ARN or id.
    #[must_use]
    pub fn of(role: &'a Struct) -> Option<Self> {
        let name = text(role, &["metadata", "annotations", EXTERNAL_NAME])?;
        let at = |field: &str| text(role, &["status", "atProvider", field]);
        at("arn").or_else(|| at("id"))?;
        Some(Self {
            name,
            generated: text(role, &["metadata", "name"]),
            path: at("path").or_else(|| text(role, &["spec", "forProvider", "path"])),
        })
    }

    /// Keeps the running name and path where `asked` differs: IAM cannot
    /// rename a role or move it to another path, and a changed external
    /// name would make the provider create a second role and leave this
    /// one, with its permissions, unmanaged. A claim without `roleName`
    /// asks for the generated name; one without `rolePath` for `/`.
    #[must_use]
    pub fn keep(&self, asked: &RoleSettings) -> KeptSettings<'a> {
        let mut settings = KeptSettings::default();
        let asked_name = asked.name.as_ref().map(RoleName::as_str);
        if asked_name.or(self.generated) != Some(self.name) {
            settings.kept.name = Some(self.name);
            let wanted = match asked_name {
                Some(name) => format!("{}", shown(name)),
                None => "no roleName (a name generated by Crossplane)".to_owned(),
            };
            let undo = if self.generated == Some(self.name) {
                "remove roleName".to_owned()
            } else {
                format!("set roleName to {}", shown(self.name))
            };
            settings.name = Some(format!(
                "spec.parameters.roleName: the IAM role is named {} in AWS, and IAM cannot rename a role; this claim now asks for {wanted}. The function keeps composing the role {} and applies every other change. For a role with another name, create a new claim (and move the workloads to it before deleting this one); to clear this warning, {undo}",
                shown(self.name),
                shown(self.name),
            ));
        }
        let asked_path = asked.path.as_ref().map_or("/", |path| path.as_str());
        if let Some(path) = self.path.filter(|path| *path != asked_path) {
            settings.kept.path = Some(path);
            let undo = if path == "/" {
                "remove rolePath".to_owned()
            } else {
                format!("set rolePath to {}", shown(path))
            };
            settings.path = Some(format!(
                "spec.parameters.rolePath: the IAM role {} has the path {}, and IAM cannot move a role to another path; this claim now asks for {}. The function keeps the path {} and applies every other change. For a role under another path, create a new claim (and move the workloads to it before deleting this one); to clear this warning, {undo}",
                shown(self.name),
                shown(path),
                shown(asked_path),
                shown(path),
            ));
        }
        settings
    }
}

/// The association id the AWS provider writes while EKS has not given it
/// one yet: an association with this external name has none of its own.
pub const PLACEHOLDER_ASSOCIATION_ID: &str = "a-stubassocid123456";

/// What EKS says, in a `409 ResourceInUseException`, before the id of the
/// association that already serves the cluster, namespace and service
/// account it was asked to create.
const ALREADY_EXISTS: &str = "Association already exists: ";

/// Associations to adopt after EKS refused to create them because they
/// exist: by key, the id EKS named.
///
/// The provider loses an association's id when it restarts while creating
/// it; from then on every reconcile asks EKS to create it again, and EKS
/// answers that it exists, naming its id, forever. An observed association
/// of one of `keys` is adopted only when it has no external name (or the
/// provider's placeholder) and its conditions name exactly one well-formed
/// id (`a-` and 17 lowercase letters or digits) in that answer, an id no
/// other observed association of the XR holds (one being replaced holds
/// it until it is deleted).
#[must_use]
pub fn adoptions<'k>(
    keys: impl Iterator<Item = &'k str>,
    observed: &BTreeMap<String, Resource>,
) -> BTreeMap<String, String> {
    let body = |key: &str| {
        observed
            .get(key)
            .and_then(|resource| resource.resource.as_ref())
    };
    let mut adopted = BTreeMap::new();
    let mut held: Option<BTreeMap<&str, &str>> = None;
    for key in keys {
        let Some(association) = body(key) else {
            continue;
        };
        let named = text(association, &["metadata", "annotations", EXTERNAL_NAME]);
        if named.is_some_and(|name| name != PLACEHOLDER_ASSOCIATION_ID) {
            continue;
        }
        let Some(id) = conflicting_id(association) else {
            continue;
        };
        // Read only once something may be adopted, which is rare.
        let held = held.get_or_insert_with(|| held_ids(observed));
        if held.get(id).is_some_and(|holder| *holder != key) {
            continue;
        }
        adopted.insert(key.to_owned(), id.to_owned());
    }
    adopted
}

/// The id a running association has: its external name, unless that is
/// the provider's placeholder. The function keeps emitting it: server-side
/// apply removes an annotation the function stops emitting (after an
/// adoption, or when the claim drops `associationId`), and the provider
/// would then create the association again and loop on EKS's 409.
#[must_use]
pub fn running_association_id(association: &Struct) -> Option<&str> {
    text(association, &["metadata", "annotations", EXTERNAL_NAME])
        .filter(|id| *id != PLACEHOLDER_ASSOCIATION_ID)
}

/// The Warning's text when the claim's `associationId` names another
/// association than the one running under `key`.
#[must_use]
pub fn association_id_kept(key: &str, running: &str, asked: &str) -> String {
    format!(
        "spec.parameters.associationId: the association {key} is {} in EKS; this claim now asks for {}. Switching would take over that other association and leave {} unmanaged, so the function keeps {}. To manage {}, create a new claim for it; to clear this warning, set associationId to {} or remove it",
        shown(running),
        shown(asked),
        shown(running),
        shown(running),
        shown(asked),
        shown(running),
    )
}

/// Every association id the XR's observed associations hold, by id, with
/// the key holding it.
fn held_ids(observed: &BTreeMap<String, Resource>) -> BTreeMap<&str, &str> {
    let mut held = BTreeMap::new();
    for (key, resource) in observed {
        let Some(body) = resource
            .resource
            .as_ref()
            .filter(|body| text(body, &["kind"]) == Some("PodIdentityAssociation"))
        else {
            continue;
        };
        let ids = [
            text(body, &["metadata", "annotations", EXTERNAL_NAME]),
            text(body, &["status", "atProvider", "associationId"]),
        ];
        for id in ids.into_iter().flatten() {
            if id != PLACEHOLDER_ASSOCIATION_ID {
                held.entry(id).or_insert(key.as_str());
            }
        }
    }
    held
}

/// The one association id the conditions' messages name in EKS's answer
/// that the association already exists; `None` when they name none, a
/// malformed one, or several.
#[must_use]
pub fn conflicting_id(association: &Struct) -> Option<&str> {
    let conditions = path::list(association, &["status", "conditions"])?;
    let mut named: BTreeSet<Option<&str>> = BTreeSet::new();
    for condition in &conditions.values {
        let Some(Kind::StructValue(condition)) = &condition.kind else {
            continue;
        };
        let Some(message) = text(condition, &["message"]) else {
            continue;
        };
        for (at, _) in message.match_indices(ALREADY_EXISTS) {
            named.insert(association_id(&message[at + ALREADY_EXISTS.len()..]));
        }
    }
    match (named.len(), named.first()) {
        (1, Some(Some(id))) => Some(id),
        _ => None,
    }
}

/// The association id `text` starts with: `a-` and exactly 17 lowercase
/// letters or digits, not followed by another letter or digit.
fn association_id(text: &str) -> Option<&str> {
    const LENGTH: usize = 19;
    let bytes = text.as_bytes();
    let id = bytes.get(..LENGTH)?;
    let well_formed = id.starts_with(b"a-")
        && id[2..]
            .iter()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit());
    let ends = bytes
        .get(LENGTH)
        .is_none_or(|byte| !byte.is_ascii_alphanumeric());
    (well_formed && ends).then(|| &text[..LENGTH])
}

/// Seconds since 1970 (and nanoseconds) of an RFC 3339 time such as
/// `2026-06-01T10:00:00Z` or `2026-06-01T12:00:00.5+02:00`; `None` for
/// anything else.
fn instant(text: &str) -> Option<(i64, u32)> {
    let bytes = text.as_bytes();
    let digits = |from: usize, to: usize| -> Option<i64> {
        let part = bytes.get(from..to)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0_i64, |number, digit| number * 10 + i64::from(digit - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, separator)| bytes.get(at) != Some(&separator))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
    let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // 60 is a leap second.
    if second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0_u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return None;
        }
        for (position, digit) in fraction.bytes().take(9).take(length).enumerate() {
            nanos += u32::from(digit - b'0') * 10_u32.pow(8 - u32::try_from(position).ok()?);
        }
        rest = &fraction[length..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let offset = rest.as_bytes();
            if offset.len() != 6 || offset[3] != b':' {
                return None;
            }
            let hours = i64::from(offset[1].wrapping_sub(b'0')) * 10
                + i64::from(offset[2].wrapping_sub(b'0'));
            let minutes = i64::from(offset[4].wrapping_sub(b'0')) * 10
                + i64::from(offset[5].wrapping_sub(b'0'));
            if !offset[1..3]
                .iter()
                .chain(&offset[4..6])
                .all(u8::is_ascii_digit)
                || hours > 23
                || minutes > 59
            {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::{association_id, instant};

    #[test]
    fn association_ids_are_exactly_a_dash_and_17_lowercase_letters_or_digits() {
        assert_eq!(
            association_id("a-0123456789abcdefg"),
            Some("a-0123456789abcdefg")
        );
        assert_eq!(
            association_id("a-0123456789abcdefg, request id"),
            Some("a-0123456789abcdefg")
        );
        for bad in [
            "a-0123456789abcdef",
            "a-0123456789abcdef\"",
            "a-0123456789abcdefgh",
            "a-0123456789abcdefG",
            "a-0123456789ABCDEFg",
            "b-0123456789abcdefg",
            "a-0123456789abcdeé",
            "",
        ] {
            assert_eq!(association_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_read_as_instants_in_any_offset() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(instant("2000-03-01T00:00:00Z"), Some((951_868_800, 0)));
        assert_eq!(
            instant("2026-06-01T12:00:00+02:00"),
            instant("2026-06-01T10:00:00Z")
        );
        assert_eq!(
            instant("2026-06-01T10:00:00.25Z"),
            Some((instant("2026-06-01T10:00:00Z").unwrap().0, 250_000_000))
        );
        assert!(instant("2026-06-01T10:00:00.5Z") > instant("2026-06-01T10:00:00Z"));
        for bad in [
            "",
            "2026-06-01",
            "2026-13-01T00:00:00Z",
            "2026-06-01T10:00:00",
            "2026-06-01T10:00:00.Z",
            "2026-06-01T10:00:00+2:00",
            "2026-06-01T10:00:00+0x:00",
            "２０２６-06-01T10:00:00Z",
        ] {
            assert_eq!(instant(bad), None, "{bad:?}");
        }
    }
}
