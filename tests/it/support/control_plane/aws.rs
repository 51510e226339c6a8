//! The AWS account the provider talks to: IAM roles, their inline policies
//! and attachments, EKS Pod Identity associations and add-ons, each with
//! what AWS fixes at creation, and a log of every call that changed
//! something or was refused.
//!
//! What AWS refuses, from its API references:
//!
//! - EKS `CreatePodIdentityAssociation` answers 409
//!   (`ResourceInUseException: Association already exists: <id>`) while an
//!   association of the same cluster, namespace and service account
//!   exists; `UpdatePodIdentityAssociation` takes only the role, the target
//!   role and `disableSessionTags` (and tags).
//! - EKS `CreateAddon` answers 409 while the cluster has that add-on;
//!   `UpdateAddon` cannot move it to another cluster.
//! - IAM `UpdateRole` cannot rename a role or change its path.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Value};

/// The account every resource lives in.
pub const ACCOUNT: &str = "111122223333";

/// The add-on version EKS installs when none is asked for.
pub const DEFAULT_ADDON_VERSION: &str = "v1.3.8-eksbuild.2";

/// What a call to AWS did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// An update of what AWS fixes at creation, refused.
    Refused,
    /// A create EKS answered with 409.
    Conflict,
}

/// One call AWS saw, for a managed resource under a composition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub round: usize,
    pub action: Action,
    pub kind: &'static str,
    pub key: String,
    /// The AWS object: a role's name, an association's id, ...
    pub id: String,
    /// What it is to AWS (an association's region, cluster, namespace and
    /// service account) and, for refusals, what was asked.
    pub detail: String,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "round {}: {:?} {} {} ({}) {}",
            self.round, self.action, self.kind, self.id, self.key, self.detail
        )
    }
}

/// An association as EKS holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    pub region: String,
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub target_role_arn: Option<String>,
    pub disable_session_tags: bool,
    pub tags: Value,
}

impl Association {
    /// What EKS allows once: region, cluster, namespace, service account.
    #[must_use]
    pub fn identity(&self) -> (String, String, String, String) {
        (
            self.region.clone(),
            self.cluster.clone(),
            self.namespace.clone(),
            self.service_account.clone(),
        )
    }

    /// `region/cluster namespace/serviceAccount`, as the log names it.
    #[must_use]
    pub fn detail(&self) -> String {
        format!(
            "{}/{} {}/{}",
            self.region, self.cluster, self.namespace, self.service_account
        )
    }
}

/// A role as IAM holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub path: String,
    pub max_session_duration: u64,
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub permissions_boundary: Option<String>,
    pub tags: Value,
    pub unique_id: String,
}

/// An add-on as EKS holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addon {
    pub version: String,
    pub tags: Value,
}

/// The account: every object by what AWS knows it by, and the log.
#[derive(Debug, Default)]
pub struct Aws {
    /// Roles by name.
    pub roles: BTreeMap<String, Role>,
    /// Inline policies by (role, name), their documents.
    pub inline_policies: BTreeMap<(String, String), String>,
    /// Attachments by id, each (role, policy ARN).
    pub attachments: BTreeMap<String, (String, String)>,
    /// Associations by id.
    pub associations: BTreeMap<String, Association>,
    /// Add-ons by (region, cluster, name).
    pub addons: BTreeMap<(String, String, String), Addon>,
    /// Every call that changed something or was refused, in order.
    pub log: Vec<Event>,
    /// Which round the calls belong to.
    pub round: usize,
    made: u64,
}

/// Why EKS refused a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict(pub String);

impl Aws {
    pub fn record(
        &mut self,
        action: Action,
        kind: &'static str,
        key: &str,
        id: &str,
        detail: String,
    ) {
        self.log.push(Event {
            round: self.round,
            action,
            kind,
            key: key.to_owned(),
            id: id.to_owned(),
            detail,
        });
    }

    /// `length` lowercase letters and digits, new on every call: AWS's ids.
    pub fn fresh(&mut self, length: usize) -> String {
        self.made += 1;
        token(&format!("aws-{}", self.made), length)
    }

    pub fn role_arn(name: &str, path: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role{path}{name}")
    }

    /// `CreatePodIdentityAssociation`: its new id, or EKS's 409.
    pub fn create_association(
        &mut self,
        key: &str,
        association: Association,
    ) -> Result<String, Conflict> {
        let identity = association.identity();
        if let Some((id, _)) = self
            .associations
            .iter()
            .find(|(_, running)| running.identity() == identity)
        {
            let message = format!(
                "creating EKS Pod Identity Association: operation error EKS: CreatePodIdentityAssociation, https response error StatusCode: 409, RequestID: 5e0c1b9a, ResourceInUseException: Association already exists: {id}"
            );
            let id = id.clone();
            self.record(
                Action::Conflict,
                "PodIdentityAssociation",
                key,
                &id,
                association.detail(),
            );
            return Err(Conflict(message));
        }
        let id = format!("a-{}", self.fresh(17));
        self.record(
            Action::Create,
            "PodIdentityAssociation",
            key,
            &id,
            association.detail(),
        );
        self.associations.insert(id.clone(), association);
        Ok(id)
    }

    /// `CreateAddon`: EKS's 409 while the cluster has the add-on.
    pub fn create_addon(
        &mut self,
        key: &str,
        at: (String, String, String),
        addon: Addon,
    ) -> Result<(), Conflict> {
        let detail = format!("{}/{} {}", at.0, at.1, at.2);
        let id = format!("{}:{}", at.1, at.2);
        if self.addons.contains_key(&at) {
            self.record(Action::Conflict, "Addon", key, &id, detail);
            return Err(Conflict(format!(
                "creating EKS Add-On ({id}): operation error EKS: CreateAddon, https response error StatusCode: 409, ResourceInUseException: Addon already exists."
            )));
        }
        self.record(Action::Create, "Addon", key, &id, detail);
        self.addons.insert(at, addon);
        Ok(())
    }
}

/// `length` lowercase letters and digits derived from `seed`.
#[must_use]
pub fn token(seed: &str, length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    (0..length)
        .map(|_| {
            hash = hash
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(ALPHABET[usize::try_from(hash >> 33).unwrap() % ALPHABET.len()])
        })
        .collect()
}

/// A JSON object of tags, `{}` for none.
#[must_use]
pub fn tags_of(for_provider: &Value) -> Value {
    for_provider
        .get("tags")
        .cloned()
        .unwrap_or_else(|| json!({}))
}
