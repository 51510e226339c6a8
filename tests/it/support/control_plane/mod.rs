//! A model of the control plane a claim runs in: Crossplane's
//! function-composite reconciler ([`crossplane`]), the AWS provider's
//! managed reconcilers ([`provider`]) and the AWS account behind them
//! ([`aws`]), each written from the sources its module names.
//!
//! One [`ControlPlane::reconcile`] is one round: Crossplane runs the
//! function on the XR and everything composed, deletes what is no longer
//! desired, creates and server-side applies what is, then the provider
//! reconciles every managed resource once (the XR's Role first, so that
//! references to it resolve in the same round), creating before the
//! deleted ones are gone, which is the order that makes EKS answer 409 to
//! a replacement of the same association. What AWS saw is logged
//! ([`aws::Event`]), so a test can say which objects a change replaced.
//!
//! ```ignore
//! let mut plane = ControlPlane::new(Scope::Namespaced).with_input(baseline(Scope::Namespaced));
//! let round = plane.reconcile(&parameters);
//! assert!(round.fatal.is_empty());
//! ```
//!
//! Not modelled: timing (each reconcile happens once a round, in a fixed
//! order), Crossplane's readiness checks beyond the function's, deletion
//! finalizers (a deleted resource is gone within its round), resolve
//! policies `Always` and `Optional`, and late initialization of fields
//! beyond those [`provider`] lists.

pub mod aws;
pub mod crossplane;
pub mod provider;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use self::aws::{Aws, Event};
use self::crossplane::{generated_name, run_function, with_metadata, Managed};
use self::provider::{ClusterObject, World};

/// When the XR was created.
pub const XR_CREATED: &str = "2026-06-01T10:00:00Z";

/// The claim's namespace: the namespaced XR's, or the v1 claim's label.
pub const NAMESPACE: &str = "shop";

/// Which XRD the XR is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// v1: a cluster-scoped `XPodIdentity` made for a claim in
    /// [`NAMESPACE`].
    Cluster,
    /// v2: a `PodIdentity` in [`NAMESPACE`].
    Namespaced,
}

impl Scope {
    pub const BOTH: [Self; 2] = [Self::Cluster, Self::Namespaced];
}

/// The step input of the Composition shipped for `scope` (the baseline
/// guardrails), as `package/configuration*/apis/composition.yaml` has it.
#[must_use]
pub fn baseline(scope: Scope) -> Value {
    let folder = match scope {
        Scope::Cluster => "configuration",
        Scope::Namespaced => "configuration-v2",
    };
    let path = format!(
        "{}/package/{folder}/apis/composition.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let composition: Value = serde_norway::from_str(&text).unwrap();
    composition["spec"]["pipeline"][0]["input"].clone()
}

/// What the provider reports for `desired` (as the function answered it
/// for the XR named `xr`, in `namespace` or cluster-scoped) once it has
/// reconciled each resource once on a fresh control plane.
#[must_use]
pub fn created(
    xr: &str,
    namespace: Option<&str>,
    desired: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut plane = match namespace {
        Some(namespace) => ControlPlane::new(Scope::Namespaced).in_namespace(namespace),
        None => ControlPlane::new(Scope::Cluster),
    }
    .named(xr);
    plane.settle(desired);
    plane.observed()
}

/// The uid the model gives the XR named `name`, and so the uid in the
/// controller reference of everything it creates for that XR: a test that
/// builds its own XR gives it this uid to own what [`created`] made.
#[must_use]
pub fn xr_uid(name: &str) -> String {
    format!("{}-0000-4000-8000-000000000000", aws::token(name, 8))
}

/// The external name of a resource body.
#[must_use]
pub fn external_name(body: &Value) -> Option<&str> {
    body["metadata"]["annotations"]["crossplane.io/external-name"].as_str()
}

/// What one round did.
#[derive(Debug, Clone, Default)]
pub struct Round {
    pub number: usize,
    /// FATAL results: nothing was applied.
    pub fatal: Vec<String>,
    /// What the function desired, by key.
    pub desired: BTreeMap<String, Value>,
    /// Warning results as (reason, message).
    pub warnings: Vec<(String, String)>,
    /// The XR's conditions, as (type, status name).
    pub conditions: Vec<(String, String)>,
    /// The XR's `status.podIdentity`.
    pub status: Value,
    /// Keys whose managed resource Crossplane created, and deleted.
    pub created: Vec<String>,
    pub deleted: Vec<String>,
    /// What AWS saw this round.
    pub aws: Vec<Event>,
    /// Keys whose managed resource ends the round `Synced=False`, with why.
    pub wedged: Vec<(String, String)>,
}

/// Crossplane, the provider and AWS for one XR.
pub struct ControlPlane {
    scope: Scope,
    name: String,
    namespace: String,
    input: Option<Value>,
    objects: BTreeMap<String, Managed>,
    clusters: Vec<ClusterObject>,
    status: Value,
    serial: usize,
    round: usize,
    pub aws: Aws,
}

impl ControlPlane {
    /// An empty control plane for an XR named `shop`, with the clusters of
    /// [`ControlPlane::clusters`] and no step input.
    #[must_use]
    pub fn new(scope: Scope) -> Self {
        let mut clusters: Vec<ClusterObject> = ["blue", "green", "red", "prod"]
            .into_iter()
            .map(|name| ClusterObject {
                name: name.to_owned(),
                external: format!("{name}-eks"),
                labels: [("env".to_owned(), name.to_owned())].into(),
            })
            .collect();
        // What Upbound's example claim selects.
        clusters.push(ClusterObject {
            name: "configuration-aws-eks-pod-identity".to_owned(),
            external: "configuration-aws-eks-pod-identity".to_owned(),
            labels: [(
                "crossplane.io/composite".to_owned(),
                "configuration-aws-eks-pod-identity".to_owned(),
            )]
            .into(),
        });
        Self {
            scope,
            name: "shop".to_owned(),
            namespace: NAMESPACE.to_owned(),
            input: None,
            objects: BTreeMap::new(),
            clusters,
            status: Value::Null,
            serial: 0,
            round: 0,
            aws: Aws::default(),
        }
    }

    /// The XR's name.
    #[must_use]
    pub fn named(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// The claim's namespace (the namespaced XR's own), [`NAMESPACE`]
    /// unless told.
    #[must_use]
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        namespace.clone_into(&mut self.namespace);
        self
    }

    /// The step's input (the Composition's), e.g. [`baseline`].
    #[must_use]
    pub fn with_input(mut self, input: Value) -> Self {
        self.input = Some(input);
        self
    }

    /// The XR as Crossplane sends it, with `parameters` and the status
    /// the function gave it last.
    #[must_use]
    pub fn xr(&self, parameters: &Value) -> Value {
        let mut metadata = json!({
            "name": self.name,
            "uid": xr_uid(&self.name),
            "creationTimestamp": XR_CREATED,
            "labels": {"crossplane.io/composite": self.name},
        });
        let kind = match self.scope {
            Scope::Cluster => {
                metadata["labels"]["crossplane.io/claim-name"] = json!(self.name);
                metadata["labels"]["crossplane.io/claim-namespace"] = json!(self.namespace);
                "XPodIdentity"
            }
            Scope::Namespaced => {
                metadata["namespace"] = json!(self.namespace);
                "PodIdentity"
            }
        };
        let mut xr = json!({
            "apiVersion": "aws.platform.upbound.io/v1alpha1",
            "kind": kind,
            "metadata": metadata,
            "spec": {"parameters": parameters},
        });
        if self.status.is_object() {
            xr["status"] = self.status.clone();
        }
        xr
    }

    /// Every composed resource as the API server holds it, by key.
    #[must_use]
    pub fn observed(&self) -> BTreeMap<String, Value> {
        self.objects
            .iter()
            .map(|(key, managed)| (key.clone(), managed.body.clone()))
            .collect()
    }

    /// The log of everything AWS saw.
    #[must_use]
    pub fn events(&self) -> &[Event] {
        &self.aws.log
    }

    /// One round: the function on the XR with `parameters`, then
    /// Crossplane, then the provider.
    pub fn reconcile(&mut self, parameters: &Value) -> Round {
        let xr = self.xr(parameters);
        let answer = run_function(&xr, &self.observed(), self.input.as_ref());
        let mut round = if answer.fatal.is_empty() {
            self.settle(&answer.desired)
        } else {
            // Crossplane stops; the provider goes on with what exists.
            self.settle_none()
        };
        if answer.fatal.is_empty() && !answer.status.is_null() {
            self.status = answer.status.clone();
        }
        round.fatal = answer.fatal;
        round.desired = answer.desired;
        round.warnings = answer.warnings;
        round.conditions = answer.conditions;
        round.status = self.status["podIdentity"].clone();
        round
    }

    fn settle_none(&mut self) -> Round {
        self.round += 1;
        self.aws.round = self.round;
        let first = self.aws.log.len();
        self.provider_pass(&[]);
        self.finish(first, Vec::new(), Vec::new())
    }

    /// Crossplane's part of a round for `desired` (as the function
    /// answered it), then the provider's: for tests that run the function
    /// themselves.
    pub fn settle(&mut self, desired: &BTreeMap<String, Value>) -> Round {
        self.round += 1;
        self.aws.round = self.round;
        let first = self.aws.log.len();
        let xr = self.xr(&Value::Null);
        let gone: Vec<String> = self
            .objects
            .keys()
            .filter(|key| !desired.contains_key(*key))
            .cloned()
            .collect();
        let mut created = Vec::new();
        for (key, body) in desired {
            let body = with_metadata(body, key, &xr);
            if let Some(managed) = self.objects.get_mut(key) {
                managed.apply(&body);
            } else {
                self.serial += 1;
                let name = generated_name(&self.name, self.serial);
                let uid = format!(
                    "{}-0000-4000-8000-{:012}",
                    aws::token(&name, 8),
                    self.serial
                );
                self.objects
                    .insert(key.clone(), Managed::create(key, &name, &uid, &body));
                created.push(key.clone());
            }
        }
        self.provider_pass(&gone);
        self.finish(first, created, gone)
    }

    /// The provider reconciles every resource once, the Role first; the
    /// deleted ones go last.
    fn provider_pass(&mut self, gone: &[String]) {
        let mut order: Vec<String> = self
            .objects
            .iter()
            .filter(|(key, _)| !gone.contains(key))
            .map(|(key, managed)| (managed.kind() != "Role", key.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|(_, key)| key)
            .collect();
        order.dedup();
        for key in order {
            let roles: Vec<(String, String, Option<String>)> = self
                .objects
                .values()
                .filter(|managed| managed.kind() == "Role")
                .map(|managed| {
                    (
                        managed.body["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        managed.external_name().unwrap_or_default().to_owned(),
                        managed.body["status"]["atProvider"]["arn"]
                            .as_str()
                            .map(str::to_owned),
                    )
                })
                .collect();
            let world = World {
                clusters: &self.clusters,
                roles: &roles,
            };
            if let Some(managed) = self.objects.get_mut(&key) {
                provider::reconcile(managed, &mut self.aws, &world);
            }
        }
        for key in gone {
            if let Some(managed) = self.objects.remove(key) {
                provider::delete(&managed, &mut self.aws);
            }
        }
    }

    fn finish(&self, first: usize, created: Vec<String>, deleted: Vec<String>) -> Round {
        let wedged = self
            .objects
            .iter()
            .filter_map(|(key, managed)| {
                let conditions = managed.body["status"]["conditions"].as_array()?;
                let synced = conditions.iter().find(|c| c["type"] == "Synced")?;
                (synced["status"] == "False").then(|| {
                    (
                        key.clone(),
                        synced["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
            })
            .collect();
        Round {
            number: self.round,
            created,
            deleted,
            aws: self.aws.log[first..].to_vec(),
            wedged,
            ..Round::default()
        }
    }
}
