//! A running claim reaches a fixed point whatever form names its cluster:
//! the provider writes a selector's or reference's resolution back beside
//! it, and a running association or agent keeps its key while the claim
//! asks for its cluster the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render::render;
use serde_json::{json, Value};

use crate::support::control_plane::aws::{Action, Event};
use crate::support::control_plane::crossplane::Managed;
use crate::support::control_plane::{baseline, ControlPlane, Round, Scope};
use crate::support::crd;

const SELECTOR: &str = "crossplane.io/composite";

fn xr(parameters: &Value) -> String {
    json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {"name": "shop"},
        "spec": {"parameters": parameters},
    })
    .to_string()
}

fn compose(parameters: &Value, observed: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let stream: Vec<String> = observed
        .values()
        .map(|body| serde_json::to_string(body).unwrap())
        .collect();
    let stream = stream.join("\n---\n");
    let rendered = render(&Function::default(), &xr(parameters), Some(&stream), None).unwrap();
    assert!(rendered.fatal.is_empty(), "{:?}", rendered.fatal);
    rendered.resources
}

/// What the association and add-on under each key look like once the
/// provider has resolved their cluster and written it back (crossplane-
/// runtime's resolvers set `clusterName`, and `clusterNameRef` for a
/// selector), with the cluster `resolved` reported in `atProvider`.
fn resolved(desired: &BTreeMap<String, Value>, resolved: &str) -> BTreeMap<String, Value> {
    desired
        .iter()
        .map(|(key, body)| {
            let mut body = body.clone();
            body["metadata"]["name"] = json!(format!("shop-{}", key.len()));
            body["metadata"]["annotations"]["crossplane.io/composition-resource-name"] = json!(key);
            let kind = body["kind"].as_str().unwrap_or_default().to_owned();
            if kind == "PodIdentityAssociation" || kind == "Addon" {
                let asked = body["spec"]["forProvider"].clone();
                if asked.get("clusterNameSelector").is_some() {
                    body["spec"]["forProvider"]["clusterNameRef"] = json!({"name": resolved});
                }
                body["spec"]["forProvider"]["clusterName"] = json!(resolved);
                let mut at = json!({"clusterName": resolved, "region": asked["region"]});
                if kind == "PodIdentityAssociation" {
                    at["namespace"] = asked["namespace"].clone();
                    at["serviceAccount"] = asked["serviceAccount"].clone();
                    at["associationId"] = json!("a-0123456789abcdefg");
                    body["metadata"]["annotations"]["crossplane.io/external-name"] =
                        json!("a-0123456789abcdefg");
                }
                body["status"] = json!({"atProvider": at});
            }
            (key.clone(), body)
        })
        .collect()
}

fn upbound(cluster: &Value) -> Value {
    let mut parameters = json!({
        "region": "us-west-2",
        "serviceAccount": {"name": "my-controller", "namespace": "kube-system"},
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
        "podIdentityAgent": {"install": true},
    });
    for (field, value) in cluster.as_object().unwrap() {
        parameters[field] = value.clone();
    }
    parameters
}

fn moving_keys(desired: &BTreeMap<String, Value>) -> Vec<&str> {
    desired
        .iter()
        .filter(|(_, body)| body["kind"] == "PodIdentityAssociation" || body["kind"] == "Addon")
        .map(|(key, _)| key.as_str())
        .collect()
}

struct Case {
    name: &'static str,
    reason: &'static str,
    before: Value,
    after: Value,
    kept: bool,
}

#[test]
fn a_resolved_cluster_keeps_its_key_while_asked_the_same_way() {
    let selector = json!({"clusterNameSelector": {"matchLabels": {SELECTOR: "shop"}}});
    let reference = json!({"clusterNameRef": {"name": "blue"}});
    let cases = [
        Case {
            name: "a selector, resolved",
            reason: "the selector is still what is asked; the resolution written back beside it names the same cluster",
            before: upbound(&selector),
            after: upbound(&selector),
            kept: true,
        },
        Case {
            name: "a reference, resolved",
            reason: "the reference is still what is asked",
            before: upbound(&reference),
            after: upbound(&reference),
            kept: true,
        },
        Case {
            name: "a selector, then the literal name it resolved to",
            reason: "the literal asks for the cluster it runs on",
            before: upbound(&selector),
            after: upbound(&json!({"clusterName": "prod"})),
            kept: true,
        },
        Case {
            name: "a reference, then the literal name it resolved to",
            reason: "the literal asks for the cluster it runs on",
            before: upbound(&reference),
            after: upbound(&json!({"clusterName": "prod"})),
            kept: true,
        },
        Case {
            name: "a selector, then another selector",
            reason: "the provider never resolves a set value again: other labels need a new association",
            before: upbound(&selector),
            after: upbound(&json!({"clusterNameSelector": {"matchLabels": {SELECTOR: "other"}}})),
            kept: false,
        },
        Case {
            name: "a selector, then the reference it resolved to",
            reason: "another form than asked is another association, like every form switch but to a literal",
            before: upbound(&selector),
            after: upbound(&json!({"clusterNameRef": {"name": "prod"}})),
            kept: false,
        },
        Case {
            name: "a reference, then the literal name of another cluster",
            reason: "another cluster",
            before: upbound(&reference),
            after: upbound(&json!({"clusterName": "green"})),
            kept: false,
        },
    ];
    for case in cases {
        let created = compose(&case.before, &BTreeMap::new());
        let running = resolved(&created, "prod");
        let next = compose(&case.after, &running);
        let before = moving_keys(&created);
        let after = moving_keys(&next);
        assert_eq!(
            before,
            ["podIdentityAgent", "podIdentityAssociation"],
            "{}",
            case.name
        );
        if case.kept {
            assert_eq!(after, before, "{}: {}", case.name, case.reason);
            assert_eq!(
                next["podIdentityAssociation"]["metadata"]["annotations"]
                    ["crossplane.io/external-name"],
                json!("a-0123456789abcdefg"),
                "{}: the running association keeps its id",
                case.name
            );
        } else {
            assert!(
                after.iter().all(|key| !before.contains(key)),
                "{}: {}: {before:?} -> {after:?}",
                case.name,
                case.reason
            );
        }
    }
}

// ---------------------------------------------------------------------------
// On the model of the control plane (`support::control_plane`).

const S3: &str = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
const SQS: &str = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess";
const RECEIVE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#;
const DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:DeleteMessage","Resource":"arn:aws:sqs:us-west-2:111122223333:orders"}]}"#;
const EXISTING_ROLE: &str = "arn:aws:iam::111122223333:role/shared-app";
const TARGET_ROLE: &str = "arn:aws:iam::444455556666:role/data";
const TRUE: &str = "STATUS_CONDITION_TRUE";

/// How a claim names a cluster; each names one of the model's clusters
/// (`blue`, `green`, `red`, `prod`), a literal by its EKS name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Name(&'static str),
    Ref(&'static str),
    Selector(&'static str),
}

impl Form {
    fn cluster(self) -> &'static str {
        match self {
            Self::Name(cluster) | Self::Ref(cluster) | Self::Selector(cluster) => cluster,
        }
    }

    fn fields(self) -> Value {
        match self {
            Self::Name(cluster) => json!({"clusterName": format!("{cluster}-eks")}),
            Self::Ref(cluster) => json!({"clusterNameRef": {"name": cluster}}),
            Self::Selector(cluster) => {
                json!({"clusterNameSelector": {"matchLabels": {"env": cluster}}})
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    form: Form,
    region: Option<&'static str>,
}

impl Target {
    fn region(self) -> &'static str {
        self.region.unwrap_or("us-west-2")
    }

    /// The cluster to EKS: its region and name.
    fn eks(self) -> (String, String) {
        (
            self.region().to_owned(),
            format!("{}-eks", self.form.cluster()),
        )
    }
}

/// A claim, written out by [`Claim::parameters`].
// Each switch is a claim field.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq)]
struct Claim {
    targets: Vec<Target>,
    listed: bool,
    accounts: Vec<(&'static str, &'static str)>,
    agent: bool,
    well_known: bool,
    role_arn: bool,
    target_role: bool,
    managed: Vec<&'static str>,
    inline: Vec<(&'static str, &'static str)>,
    tags: Vec<(&'static str, &'static str)>,
    session_tags_off: bool,
    max_session: Option<u64>,
    description: Option<&'static str>,
}

impl Claim {
    fn new(form: Form) -> Self {
        Self {
            targets: vec![Target { form, region: None }],
            listed: false,
            accounts: vec![("shop", "app")],
            agent: false,
            well_known: false,
            role_arn: false,
            target_role: false,
            managed: vec![S3],
            inline: vec![("orders", RECEIVE)],
            tags: vec![("team", "shop")],
            session_tags_off: false,
            max_session: None,
            description: None,
        }
    }

    fn parameters(&self) -> Value {
        let mut parameters = json!({"region": "us-west-2"});
        match self.targets.as_slice() {
            [only] if !self.listed && only.region.is_none() => {
                for (field, value) in only.form.fields().as_object().unwrap() {
                    parameters[field] = value.clone();
                }
            }
            targets => {
                let listed: Vec<Value> = targets
                    .iter()
                    .map(|target| {
                        let mut entry = target.form.fields();
                        if let Some(region) = target.region {
                            entry["region"] = json!(region);
                        }
                        entry
                    })
                    .collect();
                parameters["clusters"] = json!(listed);
            }
        }
        match self.accounts.as_slice() {
            [(namespace, name)] => {
                parameters["serviceAccount"] = json!({"name": name, "namespace": namespace});
            }
            accounts => {
                parameters["serviceAccounts"] = accounts
                    .iter()
                    .map(|(namespace, name)| json!({"name": name, "namespace": namespace}))
                    .collect();
            }
        }
        if self.agent {
            parameters["podIdentityAgent"] = json!({"install": true});
        }
        if self.role_arn {
            parameters["roleArn"] = json!(EXISTING_ROLE);
        } else {
            if !self.managed.is_empty() {
                parameters["managedPolicyArns"] = json!(self.managed);
            }
            if !self.inline.is_empty() {
                parameters["inlinePolicy"] = self
                    .inline
                    .iter()
                    .map(|(name, policy)| json!({"name": name, "policy": policy}))
                    .collect();
            }
            if self.well_known {
                parameters["wellKnownPolicies"] = json!({"loadBalancerController": true});
            }
            if self.target_role {
                parameters["targetRoleArn"] = json!(TARGET_ROLE);
            }
            if let Some(seconds) = self.max_session {
                parameters["maxSessionDuration"] = json!(seconds);
            }
            if let Some(description) = self.description {
                parameters["roleDescription"] = json!(description);
            }
        }
        if !self.tags.is_empty() {
            parameters["tags"] = self
                .tags
                .iter()
                .map(|(key, value)| ((*key).to_owned(), json!(value)))
                .collect::<serde_json::Map<String, Value>>()
                .into();
        }
        if self.session_tags_off {
            parameters["disableSessionTags"] = json!(true);
        }
        parameters
    }

    /// Whether the shipped baselines refuse it: the platform's own features.
    fn platform_only(&self) -> bool {
        self.agent || self.well_known || self.role_arn || self.target_role
    }

    /// Every association to EKS (region, cluster, namespace, service
    /// account), with the form that asks for its cluster.
    fn associations(&self) -> BTreeMap<String, Form> {
        let mut pairs = BTreeMap::new();
        for target in &self.targets {
            let (region, cluster) = target.eks();
            for (namespace, name) in &self.accounts {
                pairs.insert(
                    format!("{region}/{cluster} {namespace}/{name}"),
                    target.form,
                );
            }
        }
        pairs
    }

    /// Every agent add-on to EKS, with the form that asks for its cluster.
    fn agents(&self) -> BTreeMap<String, Form> {
        if !self.agent {
            return BTreeMap::new();
        }
        self.targets
            .iter()
            .map(|target| {
                let (region, cluster) = target.eks();
                (
                    format!("{region}/{cluster} eks-pod-identity-agent"),
                    target.form,
                )
            })
            .collect()
    }
}

/// Which step input the Composition gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guardrails {
    None,
    Baseline,
}

fn plane(scope: Scope, guardrails: Guardrails) -> ControlPlane {
    let plane = ControlPlane::new(scope);
    match guardrails {
        Guardrails::None => plane,
        Guardrails::Baseline => plane.with_input(baseline(scope)),
    }
}

fn log(events: &[Event]) -> String {
    events.iter().fold(String::new(), |mut out, event| {
        let _ = write!(
            out,
            "
    {event}"
        );
        out
    })
}

/// Every desired and observed resource validates against its CRD.
fn assert_valid(what: &str, desired: &BTreeMap<String, Value>, observed: &BTreeMap<String, Value>) {
    for (key, body) in desired {
        if let Err(errors) = crd::validate(body) {
            panic!("{what}: desired {key} is invalid: {errors:#?}");
        }
    }
    for (key, body) in observed {
        if let Err(errors) = crd::validate_observed(body) {
            panic!("{what}: observed {key} is invalid: {errors:#?}");
        }
    }
}

/// Runs `limit` rounds of `claim`, then five more, and checks that the
/// last five change nothing and report everything; returns every round.
fn converge(plane: &mut ControlPlane, claim: &Claim, limit: usize, what: &str) -> Vec<Round> {
    let parameters = claim.parameters();
    let mut rounds: Vec<Round> = (0..limit + 5)
        .map(|_| plane.reconcile(&parameters))
        .collect();
    let seen = |rounds: &[Round]| {
        log(&rounds
            .iter()
            .flat_map(|round| round.aws.clone())
            .collect::<Vec<_>>())
    };
    let fixed = rounds[limit - 1].desired.clone();
    for round in &rounds[limit..] {
        let at = format!("{what}, round {}", round.number);
        assert!(round.fatal.is_empty(), "{at}: {:?}", round.fatal);
        for key in fixed.keys().chain(round.desired.keys()) {
            assert_eq!(
                fixed.get(key),
                round.desired.get(key),
                "{at}: {key} still changes after {limit} rounds; AWS saw:{}",
                seen(&rounds)
            );
        }
        assert!(
            round.created.is_empty() && round.deleted.is_empty() && round.aws.is_empty(),
            "{at}: created {:?}, deleted {:?}, AWS saw:{}",
            round.created,
            round.deleted,
            seen(&rounds)
        );
        assert!(round.wedged.is_empty(), "{at}: wedged {:?}", round.wedged);
        assert!(round.warnings.is_empty(), "{at}: {:?}", round.warnings);
        assert!(
            round
                .conditions
                .contains(&("ResourcesSynced".to_owned(), TRUE.to_owned())),
            "{at}: {:?}",
            round.conditions
        );
        assert!(
            round.status["roleArn"].is_string(),
            "{at}: no role ARN in {}",
            round.status
        );
        let entries = round.status["associations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            entries.len(),
            claim.associations().len(),
            "{at}: {}",
            round.status
        );
        for entry in entries {
            assert!(
                entry["associationId"].is_string(),
                "{at}: {entry} has no id"
            );
        }
    }
    assert_valid(what, &rounds[limit + 4].desired, &plane.observed());
    let running: Vec<String> = plane
        .aws
        .associations
        .values()
        .map(super::support::control_plane::aws::Association::detail)
        .collect();
    let wanted: Vec<String> = claim.associations().into_keys().collect();
    let mut sorted = running.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        wanted,
        "{what}: AWS runs other associations; AWS saw:{}",
        seen(&rounds)
    );
    let addons: Vec<String> = plane
        .aws
        .addons
        .keys()
        .map(|(region, cluster, name)| format!("{region}/{cluster} {name}"))
        .collect();
    // Every agent the claim asks for runs; those it asked for before stay
    // (an agent is never deleted).
    let agents: Vec<String> = claim.agents().into_keys().collect();
    assert!(
        agents.iter().all(|agent| addons.contains(agent)),
        "{what}: AWS runs {addons:?}, not every agent of {agents:?}; AWS saw:{}",
        seen(&rounds)
    );
    rounds.truncate(limit + 5);
    rounds
}

/// What AWS saw of associations or add-ons (by `detail`) while a claim
/// changed from `before` to `after`: exactly the replacements promised,
/// and nothing of a pair the change does not touch.
fn assert_replacements(
    what: &str,
    kind: &str,
    before: &BTreeMap<String, Form>,
    after: &BTreeMap<String, Form>,
    events: &[Event],
) {
    let count = |action: Action, identity: &str| {
        events
            .iter()
            .filter(|event| {
                event.kind == kind && event.action == action && event.detail == identity
            })
            .count()
    };
    let identities: std::collections::BTreeSet<&String> =
        before.keys().chain(after.keys()).collect();
    for identity in identities {
        let seen = (
            count(Action::Delete, identity),
            count(Action::Create, identity),
        );
        let promised: &[(usize, usize)] = match (before.get(identity), after.get(identity)) {
            // The agent is never deleted: a claim that stops asking for it
            // leaves it running, and one asking for it again (in any form)
            // finds it there, or creates it.
            (_, after) if kind == "Addon" => {
                if after.is_some() {
                    &[(0, 0), (0, 1)]
                } else {
                    &[(0, 0)]
                }
            }
            (Some(_), None) => &[(1, 0)],
            (None, Some(_)) => &[(0, 1)],
            (Some(was), Some(now)) if was == now || matches!(now, Form::Name(_)) => &[(0, 0)],
            // Another form of the same cluster: a new key, replaced (or
            // kept, where the provider wrote that form back itself).
            (Some(_), Some(_)) => &[(1, 1), (0, 0)],
            (None, None) => &[(0, 0)],
        };
        assert!(
            promised.contains(&seen),
            "{what}: {kind} {identity}: (deleted, created) {seen:?}, promised {promised:?}; AWS saw:{}",
            log(events)
        );
    }
    let refused: Vec<&Event> = events
        .iter()
        .filter(|event| event.action == Action::Refused)
        .collect();
    assert!(
        refused.is_empty(),
        "{what}: AWS refused updates:{}",
        log(events)
    );
}

/// A claim converges from nothing, then through `edits` one by one; each
/// edit converges within 4 rounds with exactly the promised replacements.
fn story(scope: Scope, guardrails: Guardrails, start: &Claim, edits: &[(String, Claim)]) {
    let mut plane = plane(scope, guardrails);
    let what = format!("{scope:?}, {guardrails:?}");
    let refused = guardrails == Guardrails::Baseline && start.platform_only();
    if refused {
        let round = plane.reconcile(&start.parameters());
        assert!(
            !round.fatal.is_empty(),
            "{what}: the baseline lets {start:?} through"
        );
        assert!(
            plane.events().is_empty(),
            "{what}: a refused claim reached AWS"
        );
        return;
    }
    converge(&mut plane, start, 3, &format!("{what}, created {start:?}"));
    let roles = |plane: &ControlPlane| {
        plane
            .events()
            .iter()
            .filter(|event| event.kind == "Role")
            .cloned()
            .collect::<Vec<_>>()
    };
    let role_events = roles(&plane);
    let mut current = start.clone();
    for (name, next) in edits {
        let step = format!("{what}, {name}");
        let first = plane.events().len();
        converge(&mut plane, next, 4, &step);
        let events = plane.events()[first..].to_vec();
        assert_replacements(
            &step,
            "PodIdentityAssociation",
            &current.associations(),
            &next.associations(),
            &events,
        );
        assert_replacements(&step, "Addon", &current.agents(), &next.agents(), &events);
        let now = roles(&plane);
        assert!(
            now.iter()
                .skip(role_events.len())
                .all(|event| event.action == Action::Update),
            "{step}: the role was replaced:{}",
            log(&now)
        );
        current = next.clone();
    }
}

fn topologies() -> Vec<(&'static str, Claim)> {
    let with = |change: &dyn Fn(&mut Claim)| {
        let mut claim = Claim::new(Form::Name("blue"));
        change(&mut claim);
        claim
    };
    vec![
        ("a literal name", with(&|_| {})),
        (
            "a reference",
            with(&|claim| claim.targets[0].form = Form::Ref("blue")),
        ),
        (
            "a selector",
            with(&|claim| claim.targets[0].form = Form::Selector("blue")),
        ),
        (
            "clusters mixing the three forms and regions",
            with(&|claim| {
                claim.targets = vec![
                    Target {
                        form: Form::Name("blue"),
                        region: None,
                    },
                    Target {
                        form: Form::Ref("green"),
                        region: Some("us-east-1"),
                    },
                    Target {
                        form: Form::Selector("red"),
                        region: None,
                    },
                ];
            }),
        ),
        (
            "several service accounts",
            with(&|claim| {
                claim.accounts = vec![("shop", "app"), ("shop", "worker"), ("shop", "jobs")];
            }),
        ),
        (
            "the agent on selected clusters",
            with(&|claim| {
                claim.agent = true;
                claim.targets = vec![
                    Target {
                        form: Form::Selector("blue"),
                        region: None,
                    },
                    Target {
                        form: Form::Ref("green"),
                        region: None,
                    },
                ];
            }),
        ),
        ("a well-known set", with(&|claim| claim.well_known = true)),
        (
            "an existing role",
            with(&|claim| {
                claim.role_arn = true;
                claim.targets[0].form = Form::Selector("prod");
            }),
        ),
        ("a target role", with(&|claim| claim.target_role = true)),
    ]
}

#[test]
fn upbound_example_claim_creates_its_resources_once_in_both_scopes() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/anchors/upbound-configuration-aws-eks-pod-identity/v0.1.0-example-xr.yaml"
    ))
    .unwrap();
    let example: Value = serde_norway::from_str(&text).unwrap();
    let parameters = &example["spec"]["parameters"];
    for scope in Scope::BOTH {
        let mut plane = ControlPlane::new(scope);
        let rounds: Vec<Round> = (0..10).map(|_| plane.reconcile(parameters)).collect();
        for round in &rounds {
            assert!(round.fatal.is_empty(), "{scope:?}: {:?}", round.fatal);
            assert!(
                round.wedged.is_empty(),
                "{scope:?} round {}: {:?}",
                round.number,
                round.wedged
            );
            // Round 2 adds the cluster the selector resolved to to the
            // role's trust, in place; nothing changes after it.
            if round.number == 2 {
                let updates: Vec<String> = round.aws.iter().map(ToString::to_string).collect();
                assert_eq!(
                    updates,
                    ["round 2: Update Role shop.shop (iamRole) ".to_owned()],
                    "{scope:?}"
                );
                assert!(round.created.is_empty() && round.deleted.is_empty());
            }
            if round.number > 2 {
                assert!(
                    round.aws.is_empty() && round.created.is_empty() && round.deleted.is_empty(),
                    "{scope:?} round {}: created {:?}, deleted {:?}; AWS saw:{}",
                    round.number,
                    round.created,
                    round.deleted,
                    log(&round.aws)
                );
            }
        }
        let last = rounds.last().unwrap();
        assert!(
            last.desired.contains_key("podIdentityAssociation"),
            "{scope:?}"
        );
        assert!(
            last.status["associationId"].is_string(),
            "{scope:?}: {}",
            last.status
        );
        let association = &plane.observed()["podIdentityAssociation"];
        let asked = &association["spec"]["forProvider"];
        assert_eq!(
            (
                asked["clusterName"].as_str(),
                asked["clusterNameRef"]["name"].as_str()
            ),
            (
                Some("configuration-aws-eks-pod-identity"),
                Some("configuration-aws-eks-pod-identity")
            ),
            "{scope:?}: the provider wrote the selector's resolution back"
        );
        assert!(asked["clusterNameSelector"].is_object(), "{scope:?}");
    }
}

#[test]
fn every_topology_reaches_a_fixed_point_in_both_scopes_under_every_guardrail_set() {
    for scope in Scope::BOTH {
        for guardrails in [Guardrails::None, Guardrails::Baseline] {
            for (name, claim) in topologies() {
                story(scope, guardrails, &claim, &[]);
                let _ = name;
            }
        }
    }
}

/// Every change of docs/day-2.md's table that reaches AWS and that
/// `guardrails` let a claim make, from a claim with the cluster in `form`.
fn table_edits(start: &Claim, guardrails: Guardrails) -> Vec<(String, Claim)> {
    let edit = |name: &str, change: &dyn Fn(&mut Claim)| {
        let mut next = start.clone();
        change(&mut next);
        (name.to_owned(), next)
    };
    let form = start.targets[0].form;
    let cluster = form.cluster();
    let mut edits = vec![
        edit("service account renamed", &|claim| {
            claim.accounts[0].1 = "worker";
        }),
        edit("a service account added", &|claim| {
            claim.accounts.push(("shop", "jobs"));
        }),
        edit("clusterName changed", &|claim| {
            claim.targets[0].form = Form::Name("green");
        }),
        edit("clusterNameRef changed", &|claim| {
            claim.targets[0].form = Form::Ref("red");
        }),
        edit("clusterNameSelector changed", &|claim| {
            claim.targets[0].form = Form::Selector("prod");
        }),
        edit("the literal name it runs on", &|claim| {
            claim.targets[0].form = Form::Name(cluster);
        }),
        edit("the same cluster by reference", &|claim| {
            claim.targets[0].form = Form::Ref(cluster);
        }),
        edit("region changed", &|claim| {
            claim.targets[0].region = Some("us-east-1");
        }),
        edit("a cluster added", &|claim| {
            claim.targets.push(Target {
                form: Form::Selector("red"),
                region: None,
            });
        }),
        edit("managed policy added", &|claim| claim.managed.push(SQS)),
        edit("inline policy rewritten", &|claim| {
            claim.inline[0].1 = DELETE;
        }),
        edit("inline policy renamed", &|claim| {
            claim.inline[0].0 = "payments";
        }),
        edit("tags changed", &|claim| {
            claim.tags = vec![("team", "orders"), ("env", "prod")];
        }),
        edit("description and session length", &|claim| {
            claim.description = Some("Pods of shop/app");
            claim.max_session = Some(7200);
        }),
    ];
    // The baselines refuse turning session tags off (guardrails.md).
    if guardrails == Guardrails::None {
        edits.push(edit("session tags disabled", &|claim| {
            claim.session_tags_off = true;
        }));
    }
    edits
}

#[test]
fn every_change_in_the_day_2_table_converges_with_exactly_the_promised_replacements() {
    for scope in Scope::BOTH {
        for guardrails in [Guardrails::None, Guardrails::Baseline] {
            for form in [
                Form::Name("blue"),
                Form::Ref("blue"),
                Form::Selector("blue"),
            ] {
                let start = Claim::new(form);
                for edit in table_edits(&start, guardrails) {
                    story(scope, guardrails, &start, &[edit]);
                }
                let mut agent = start.clone();
                agent.agent = true;
                if guardrails == Guardrails::None {
                    for edit in table_edits(&agent, guardrails) {
                        story(scope, guardrails, &agent, &[edit]);
                    }
                }
            }
        }
    }
}

/// One random change, picked by `choice` and placed by `at`.
// One arm per change reads best as one match.
#[allow(clippy::too_many_lines)]
fn random_edit(claim: &Claim, guardrails: Guardrails, choice: u8, at: u8) -> (String, Claim) {
    const CLUSTERS: [&str; 4] = ["blue", "green", "red", "prod"];
    let mut next = claim.clone();
    let pick = |len: usize| usize::from(at) % len.max(1);
    let cluster = CLUSTERS[pick(CLUSTERS.len())];
    let form = match at % 3 {
        0 => Form::Name(cluster),
        1 => Form::Ref(cluster),
        _ => Form::Selector(cluster),
    };
    let index = pick(next.targets.len());
    let name = match choice % 16 {
        0 => {
            next.targets[index].form = form;
            "cluster form or cluster changed"
        }
        1 => {
            let cluster = next.targets[index].form.cluster();
            next.targets[index].form = Form::Name(cluster);
            "the literal name it runs on"
        }
        2 => {
            next.targets[index].region = if next.targets[index].region.is_some() {
                None
            } else {
                Some("us-east-1")
            };
            "region changed"
        }
        3 => {
            next.targets.push(Target { form, region: None });
            "a cluster added"
        }
        4 => {
            if next.targets.len() > 1 {
                next.targets.remove(index);
            }
            "a cluster removed"
        }
        5 => {
            next.listed = !next.listed;
            "one cluster listed or not"
        }
        6 => {
            let names = ["app", "worker", "jobs", "cron"];
            next.accounts.push(("shop", names[pick(names.len())]));
            "a service account added"
        }
        7 => {
            if next.accounts.len() > 1 {
                next.accounts.remove(pick(next.accounts.len()));
            }
            "a service account removed"
        }
        8 => {
            let account = pick(next.accounts.len());
            next.accounts[account].1 = if next.accounts[account].1 == "app" {
                "api"
            } else {
                "app"
            };
            "a service account renamed"
        }
        9 => {
            if next.managed.contains(&SQS) {
                next.managed.retain(|arn| *arn != SQS);
            } else {
                next.managed.push(SQS);
            }
            "a managed policy added or removed"
        }
        10 => {
            if next.inline.is_empty() {
                next.inline.push(("orders", RECEIVE));
            } else if at.is_multiple_of(2) {
                next.inline[0].1 = if next.inline[0].1 == RECEIVE {
                    DELETE
                } else {
                    RECEIVE
                };
            } else {
                next.inline.clear();
            }
            "an inline policy changed"
        }
        11 => {
            next.tags = if next.tags.len() == 1 {
                vec![("team", "orders"), ("env", "prod")]
            } else {
                vec![("team", "shop")]
            };
            "tags changed"
        }
        // The baselines refuse turning session tags off (guardrails.md).
        12 if guardrails == Guardrails::None => {
            next.session_tags_off = !next.session_tags_off;
            "session tags switched"
        }
        13 => {
            next.max_session = if next.max_session.is_some() {
                None
            } else {
                Some(7200)
            };
            next.description = if next.description.is_some() {
                None
            } else {
                Some("Pods of shop")
            };
            "session length and description"
        }
        14 if guardrails == Guardrails::None => {
            next.agent = !next.agent;
            "the agent installed or removed"
        }
        _ if guardrails == Guardrails::None => {
            next.target_role = !next.target_role;
            "a target role added or removed"
        }
        _ => "nothing",
    };
    // Two entries may not name one cluster of one region: EKS would hold
    // one association for both.
    let mut seen = std::collections::BTreeSet::new();
    next.targets.retain(|target| seen.insert(target.eks()));
    let mut accounts = std::collections::BTreeSet::new();
    next.accounts.retain(|account| accounts.insert(*account));
    (format!("{name} ({choice}/{at})"), next)
}

#[test]
fn seeded_random_edit_sequences_keep_converging() {
    use proptest::prelude::{any, prop, Strategy};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    let cases = 240;
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let sequences = (
        any::<bool>(),
        any::<bool>(),
        0_u8..3,
        prop::collection::vec((any::<u8>(), any::<u8>()), 2..6),
    )
        .boxed();
    runner
        .run(&sequences, |(namespaced, baseline, form, edits)| {
            let scope = if namespaced {
                Scope::Namespaced
            } else {
                Scope::Cluster
            };
            let guardrails = if baseline {
                Guardrails::Baseline
            } else {
                Guardrails::None
            };
            let form = [
                Form::Name("blue"),
                Form::Ref("blue"),
                Form::Selector("blue"),
            ][usize::from(form)];
            let start = Claim::new(form);
            let mut claim = start.clone();
            let steps: Vec<(String, Claim)> = edits
                .iter()
                .map(|(choice, at)| {
                    let (name, next) = random_edit(&claim, guardrails, *choice, *at);
                    claim = next.clone();
                    (name, next)
                })
                .collect();
            story(scope, guardrails, &start, &steps);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// The model's own behaviours that the properties above lean on.

#[test]
fn server_side_apply_removes_what_the_function_left_out_unless_the_provider_wrote_it() {
    let selector = json!({"matchLabels": {"env": "blue"}});
    let asked = |for_provider: Value| json!({"kind": "PodIdentityAssociation", "spec": {"forProvider": for_provider}});
    let mut managed = Managed::create(
        "podIdentityAssociation",
        "shop-abcde",
        "uid-1",
        &asked(json!({"clusterNameSelector": selector, "region": "us-west-2"})),
    );
    // Resolution writes back; then the claim asks for the literal name.
    managed.write(
        &["spec", "forProvider", "clusterNameRef"],
        json!({"name": "blue"}),
    );
    managed.write(&["spec", "forProvider", "clusterName"], json!("blue-eks"));
    managed.apply(&asked(
        json!({"clusterName": "blue-eks", "region": "us-west-2"}),
    ));
    assert_eq!(
        managed.body["spec"]["forProvider"],
        json!({"clusterName": "blue-eks", "clusterNameRef": {"name": "blue"}, "region": "us-west-2"}),
        "the selector only the function applied is gone; what the provider wrote stays"
    );
    // A field only the function applied goes when it is left out.
    managed.apply(&asked(
        json!({"clusterName": "blue-eks", "region": "us-west-2", "tags": {"a": "b"}}),
    ));
    managed.apply(&asked(
        json!({"clusterName": "blue-eks", "region": "us-west-2"}),
    ));
    assert!(managed.body["spec"]["forProvider"].get("tags").is_none());
    assert_eq!(managed.body["metadata"]["name"], json!("shop-abcde"));
}

#[test]
fn the_model_refuses_what_aws_fixes_and_answers_409_to_a_second_pair() {
    let claim = Claim::new(Form::Name("blue"));
    let mut plane = ControlPlane::new(Scope::Cluster);
    let first = plane.reconcile(&claim.parameters());
    assert!(first.wedged.is_empty(), "{:?}", first.wedged);
    let running = plane.observed();
    let id = running["podIdentityAssociation"]["metadata"]["annotations"]
        ["crossplane.io/external-name"]
        .clone();

    // The same key asked for another service account: refused, forever.
    let mut desired = first.desired.clone();
    desired.get_mut("podIdentityAssociation").unwrap()["spec"]["forProvider"]["serviceAccount"] =
        json!("worker");
    // A second key for the running pair: EKS's 409.
    let mut twin = first.desired["podIdentityAssociation"].clone();
    twin["spec"]["forProvider"]["serviceAccount"] = json!("app");
    desired.insert("assoc-twin".to_owned(), twin);
    for _ in 0..2 {
        let round = plane.settle(&desired);
        let wedged: Vec<&str> = round.wedged.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(
            wedged,
            ["assoc-twin", "podIdentityAssociation"],
            "{:?}",
            round.wedged
        );
        assert!(
            round.wedged[0].1.contains("409") && round.wedged[0].1.contains(id.as_str().unwrap())
        );
        let actions: Vec<Action> = round.aws.iter().map(|event| event.action).collect();
        assert_eq!(
            actions,
            [Action::Conflict, Action::Refused],
            "{}",
            log(&round.aws)
        );
    }
    let association = &plane.aws.associations[id.as_str().unwrap()];
    assert_eq!(
        association.service_account, "app",
        "AWS keeps what it fixed"
    );
}
