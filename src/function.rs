//! `RunFunction` as a plain function: request in, response out, no I/O.
//!
//! It starts from the request's desired state and context, so whatever the
//! function has no opinion on passes through to Crossplane untouched, then
//! works in named stages: read the XR, read the step's input, check the
//! parameters, compose, and report readiness and status. Any input problem
//! ends in one FATAL result that names every bad field.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use prost::bytes::Buf;
use prost_types::Struct;

use crate::compose::observed::{self, AdoptedRole, RunningRole};
use crate::compose::status::{self, PodIdentityStatus};
use crate::compose::{self, synced, tenancy, Composed, KeptRole, Layout};
use crate::guardrails::input::FunctionInput;
use crate::guardrails::{self, Claim};
pub use crate::params::findings::PolicyFinding;
use crate::params::reader::{Problem, Problems, PARAMETERS_PATH};
use crate::params::{self, Scope};
use crate::protocol::codec::Named;
use crate::protocol::v1::{Ready, Resource, RunFunctionRequest, RunFunctionResponse, State};
use crate::protocol::{lean, path, response, structs};

impl Named for RunFunctionRequest {
    const FULL_NAME: &'static str = crate::protocol::REQUEST_TYPE;

    /// Keeping of each observed composed resource only what the function
    /// reads ([`observed::READ`]): the rest of a large request's observed
    /// state was over half of what a call cost.
    fn decode_whole(buf: impl Buf) -> Result<Self, prost::DecodeError> {
        lean::decode_request(buf, observed::READ)
    }
}

/// The SDKs' default: Crossplane calls again at the latest after this long.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// The reason every refusal of the XR's input carries.
pub const INVALID_PARAMETERS: &str = "InvalidParameters";

/// The reason of the Warning that a composed role existed before its XR.
pub const ROLE_ADOPTED: &str = "RoleAdopted";

/// The reason of the Warning that the claim asks to rename a running role,
/// which IAM cannot do: the function keeps its name.
pub const ROLE_NAME_KEPT: &str = "RoleNameKept";

/// The reason of the Warning that the claim asks to move a running role to
/// another path, which IAM cannot do: the function keeps its path.
pub const ROLE_PATH_KEPT: &str = "RolePathKept";

/// The reason of the Warning that an association EKS says already exists
/// was adopted (`adoptConflictingAssociations`).
pub const ASSOCIATION_ADOPTED: &str = "AssociationAdopted";

/// The reason of the Warning that the claim's `associationId` names
/// another association than the running one, which the function keeps.
pub const ASSOCIATION_ID_KEPT: &str = "AssociationIdKept";

/// The reason of the Warning that an observed resource is not what its
/// key composes (another kind, or another controller), and is ignored.
pub const OBSERVED_IGNORED: &str = "ObservedResourceIgnored";

/// The reason of the Warnings for what the policy lint found.
pub const POLICY_LINT: &str = "PolicyLint";

/// The most lint findings shown as Warning results; the rest are counted
/// in one more.
pub const MAX_FINDING_RESULTS: usize = 5;

/// The longest message of one such Warning, so that all of them together
/// stay within 16 KiB.
pub const MAX_FINDING_MESSAGE_BYTES: usize = 2 * 1024;

/// Where the function reports on the XR: `status.podIdentity`.
pub const STATUS_PATH: &[&str] = &["podIdentity"];

/// The label Crossplane puts on a claim's XR, naming the claim's namespace.
pub const CLAIM_NAMESPACE_LABEL: &str = "crossplane.io/claim-namespace";

/// How many distinct step inputs a `Function` keeps read: one per
/// Composition that calls it, for a handful of Compositions.
pub const REMEMBERED_INPUTS: usize = 4;

/// The composition pipeline and its settings.
///
/// Clones share what they have read of step inputs.
#[derive(Debug, Clone)]
pub struct Function {
    ttl: prost_types::Duration,
    inputs: Arc<Inputs>,
}

impl Default for Function {
    fn default() -> Self {
        Self::new(DEFAULT_TTL)
    }
}

impl Function {
    /// A pipeline whose responses ask to be called again after `ttl`.
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl: proto_duration(ttl),
            inputs: Arc::default(),
        }
    }

    /// Answers one call. Bad input leaves the desired state as it came and
    /// adds one FATAL result.
    #[must_use]
    pub fn run(&self, request: RunFunctionRequest) -> RunFunctionResponse {
        self.run_reporting(request).response
    }

    /// Answers one call, and says what the policy lint found in the claim's
    /// inline policies (also when the claim is refused): the answer holds
    /// only a few of them, as Warnings; `render`, `lint` and the metrics
    /// want every one.
    #[must_use]
    pub fn run_reporting(&self, mut request: RunFunctionRequest) -> Outcome {
        let mut answer = response::to(&mut request, self.ttl);
        let mut findings = Vec::new();
        let mut observed = request.observed.unwrap_or_default();
        // Without an XR there is nothing to compose (and nothing to refuse).
        let Some(composite) = observed
            .composite
            .as_ref()
            .and_then(|xr| xr.resource.as_ref())
        else {
            return Outcome {
                response: answer,
                findings,
                refusal: None,
            };
        };
        let xr = Composite::read(composite);
        let ignored = observed::distrust(&mut observed.resources, xr.scope(), xr.uid);
        let mut refusal = None;
        match plan(
            &xr,
            &self.inputs,
            request.input.as_ref(),
            &observed.resources,
            &mut findings,
        ) {
            Ok(mut planned) => {
                // The Composition's own TTL, once its input has been read.
                if let (Some(ttl), Some(meta)) = (planned.ttl, answer.meta.as_mut()) {
                    meta.ttl = Some(proto_duration(ttl));
                }
                let ignored = ignored.into_iter().map(|message| Warning {
                    reason: OBSERVED_IGNORED,
                    message,
                });
                planned.warnings.splice(0..0, ignored);
                apply(planned, composite, &observed.resources, &mut answer);
            }
            Err(refused) => {
                response::fatal(&mut answer, INVALID_PARAMETERS, refused.to_string());
                refusal = Some(refused);
            }
        }
        Outcome {
            response: answer,
            findings,
            refusal,
        }
    }
}

fn proto_duration(duration: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        // Below one billion by construction.
        nanos: i32::try_from(duration.subsec_nanos()).unwrap_or_default(),
    }
}

/// A call's answer, and every lint finding in the claim's inline policies.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The answer for Crossplane.
    pub response: RunFunctionResponse,
    /// What the lint found, policy by policy, in document order.
    pub findings: Vec<PolicyFinding>,
    /// Why the call was refused, when it was: the answer's FATAL result is
    /// its text.
    pub refusal: Option<Refusal>,
}

/// Why the function refused a call. Its `Display` is the FATAL result's
/// message; `lint --format json` reports its problems one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Problems with the parameters or the guardrails, each at its field.
    Problems(Problems),
    /// The input refused as a whole, at no one field.
    Whole(String),
    /// Input the function could not read, its message as it is.
    Unreadable(String),
}

impl Refusal {
    /// Its problems, each at its field (none for a refusal of the whole).
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Problems(problems) => &problems.0,
            Self::Whole(_) | Self::Unreadable(_) => &[],
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Problems(problems) => write!(f, "{REFUSED}{problems}"),
            Self::Whole(message) => write!(f, "{REFUSED}{message}"),
            Self::Unreadable(message) => f.write_str(message),
        }
    }
}

impl From<Problems> for Refusal {
    fn from(problems: Problems) -> Self {
        Self::Problems(problems)
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Self::Unreadable(message)
    }
}

/// The Warnings for a claim's findings: a few of those the author must
/// see, each cut short, and one counting the rest.
fn finding_warnings(findings: &[PolicyFinding]) -> Vec<Warning> {
    let shown: Vec<&PolicyFinding> = findings.iter().filter(|found| found.is_shown()).collect();
    let mut warnings: Vec<Warning> = shown
        .iter()
        .take(MAX_FINDING_RESULTS)
        .map(|found| Warning {
            reason: POLICY_LINT,
            message: response::cut_to(found.to_string(), MAX_FINDING_MESSAGE_BYTES),
        })
        .collect();
    if shown.len() > MAX_FINDING_RESULTS {
        warnings.push(Warning {
            reason: POLICY_LINT,
            message: format!(
                "{} more ERROR and SECURITY_WARNING findings in {PARAMETERS_PATH}.inlinePolicy; `function-eks-pod-identity lint` lists them all",
                shown.len() - MAX_FINDING_RESULTS
            ),
        });
    }
    warnings
}

/// How the one FATAL message for input the function cannot compose starts.
const REFUSED: &str = "cannot compose EKS Pod Identity: ";

/// What one call composes and reports.
#[derive(Debug, Default)]
struct Planned {
    /// The desired composed resources.
    composed: Vec<Composed>,
    /// `status.podIdentity`, from what is observed.
    status: PodIdentityStatus,
    /// Real problems the claim's author should see, as Warning results.
    warnings: Vec<Warning>,
    /// Conditions for the composite and its claim.
    conditions: Vec<Condition>,
    /// The input's `ttl`, when it sets one.
    ttl: Option<Duration>,
}

/// One condition for the composite and its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    /// Its type, in Pascal case.
    kind: &'static str,
    /// Whether it holds.
    holds: bool,
    /// Its reason, in Pascal case.
    reason: &'static str,
    /// What it means, when there is more to say.
    message: Option<String>,
}

/// One Warning result for the composite and its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Warning {
    /// Its reason, in Pascal case.
    reason: &'static str,
    /// What is wrong and what to do about it.
    message: String,
}

/// Reads the step's input and the XR's parameters (the XR itself read once,
/// by the caller) and composes, or says what is wrong.
fn plan(
    xr: &Composite<'_>,
    inputs: &Inputs,
    input: Option<&Struct>,
    observed: &BTreeMap<String, Resource>,
    findings: &mut Vec<PolicyFinding>,
) -> Result<Planned, Refusal> {
    let scope = xr.scope();
    let tenant = tenancy::of_xr(xr.namespace, xr.claim_namespace);
    tenancy::check(observed, scope, tenant).map_err(Refusal::Whole)?;
    let parameters = xr
        .parameters
        .map(|parameters| {
            structs::value_to_json(parameters).map_err(|error| format!("{PARAMETERS_PATH}{error}"))
        })
        .transpose()?;
    let input = inputs.read(input)?;
    let mut parameters = params::read(parameters.as_ref(), input.defaults.as_ref(), scope)?;
    findings.extend(PolicyFinding::of(&parameters));
    if let Some(rules) = &input.guardrails {
        let claim = Claim {
            namespace: xr.namespace.or(xr.claim_namespace),
            agent_by_default: guardrails::agent_by_default(input.defaults.as_ref()),
        };
        rules.enforce(&mut parameters, claim)?;
    }
    let layout = Layout::new(&parameters, observed);
    let clusters = compose::trust::Clusters::known(&parameters, &layout, observed);
    compose::trust::check_size(&parameters, &clusters).map_err(|message| {
        let mut problems = Problems::default();
        problems.add(format!("{PARAMETERS_PATH}.serviceAccounts"), message);
        Refusal::Problems(problems)
    })?;
    let status = PodIdentityStatus::observe(observed, &layout.pairs, &parameters);
    let mut warnings = finding_warnings(findings);
    let observed_role = observed
        .get(compose::keys::ROLE)
        .and_then(|resource| resource.resource.as_ref());
    // An existing role (`roleArn`) is not ours to keep or report on; a role
    // still observed is one Crossplane is deleting.
    // A claim's new role without roleName is named inside its tenant's
    // space; a running role keeps whatever name it has.
    let generated = if parameters.role_arn.is_none() {
        xr.name.and_then(|name| tenancy::role_name(tenant, name))
    } else {
        None
    };
    let mut kept = if parameters.role_arn.is_some() {
        KeptRole::default()
    } else {
        read_role(
            observed_role,
            xr.created,
            generated.as_deref(),
            &parameters,
            &mut warnings,
        )
    };
    let named = observed_role
        .and_then(|role| path::text(role, &["metadata", "annotations", compose::EXTERNAL_NAME]));
    if parameters.role.name.is_none()
        && kept.name.is_none()
        && (observed_role.is_none() || named == generated.as_deref())
    {
        kept.name = generated.as_deref();
    }
    let association_ids = association_ids(
        &layout,
        &parameters,
        input.adopt_conflicting_associations,
        observed,
        &mut warnings,
    );
    let options = compose::Options {
        usages: input.usages,
        namespace: xr.namespace,
        tenant,
        layout: &layout,
        role: kept,
        association_ids: &association_ids,
        clusters: &clusters,
        agent_clusters: &agent_clusters(&layout, observed),
    };
    let composed = compose::compose(&parameters, scope, options);
    let conditions = vec![explain_failures(&composed, observed, &mut warnings)];
    Ok(Planned {
        composed,
        status,
        warnings,
        conditions,
        ttl: input.ttl,
    })
}

/// What the observed role says: whether it was adopted, and the name and
/// path it keeps whatever the claim now asks (each change it refuses is a
/// Warning).
fn read_role<'o>(
    role: Option<&'o Struct>,
    xr_created: Option<&str>,
    generated: Option<&str>,
    parameters: &params::Parameters,
    warnings: &mut Vec<Warning>,
) -> KeptRole<'o> {
    if let Some(adopted) = role
        .zip(xr_created)
        .and_then(|(role, created)| AdoptedRole::of(role, created))
    {
        warnings.push(Warning {
            reason: ROLE_ADOPTED,
            message: adopted.message(),
        });
    }
    let settings = role
        .and_then(RunningRole::of)
        .map(|mut running| {
            // A role the function named within its tenant's space is as
            // generated as one the provider named.
            if generated == Some(running.name) {
                running.generated = Some(running.name);
            }
            running.keep(&parameters.role)
        })
        .unwrap_or_default();
    for (reason, message) in [
        (ROLE_NAME_KEPT, settings.name),
        (ROLE_PATH_KEPT, settings.path),
    ] {
        if let Some(message) = message {
            warnings.push(Warning { reason, message });
        }
    }
    settings.kept
}

/// The id each association keeps or adopts, by key: a running
/// association keeps its own (a differing `associationId` is a Warning);
/// with `adopt`, one EKS says already exists adopts the id EKS names (each
/// adoption a Warning), on a cluster the claim names literally or that the
/// provider has resolved, never for a reference or selector still open.
fn association_ids(
    layout: &Layout<'_>,
    parameters: &params::Parameters,
    adopt: bool,
    observed: &BTreeMap<String, Resource>,
    warnings: &mut Vec<Warning>,
) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for pair in &layout.pairs {
        let Some(running) = observed
            .get(&pair.key)
            .and_then(|resource| resource.resource.as_ref())
            .and_then(observed::running_association_id)
        else {
            continue;
        };
        if let Some(asked) = parameters
            .association_id
            .as_ref()
            .filter(|asked| asked.as_str() != running)
        {
            warnings.push(Warning {
                reason: ASSOCIATION_ID_KEPT,
                message: observed::association_id_kept(&pair.key, running, asked.as_str()),
            });
        }
        ids.insert(pair.key.clone(), running.to_owned());
    }
    if !adopt || parameters.association_id.is_some() {
        return ids;
    }
    // Only where the cluster is known: named literally by the claim, or
    // resolved by the provider and observed. EKS names whichever
    // association serves the namespace and service account on the cluster
    // the provider asked for; a cluster no one has resolved yet is no
    // cluster the claim can be said to have named.
    let unnamed = layout
        .pairs
        .iter()
        .filter(|pair| {
            compose::trust::known_cluster(&pair.target.cluster, observed, &pair.key).is_some()
        })
        .map(|pair| pair.key.as_str())
        .filter(|key| !ids.contains_key(*key));
    for (key, id) in observed::adoptions(unnamed, observed) {
        warnings.push(Warning {
            reason: ASSOCIATION_ADOPTED,
            message: format!(
                "{key}: EKS refuses to create this association because {id} already serves its cluster, namespace and service account (the provider lost the id of the association it created, and would retry forever); adopting {id} through crossplane.io/external-name, as the Composition's input.adoptConflictingAssociations allows"
            ),
        });
        ids.insert(key, id);
    }
    ids
}

/// The cluster each agent goes to, by key, where it is known: a literal
/// name, or the name the provider resolved and wrote back.
fn agent_clusters(
    layout: &Layout<'_>,
    observed: &BTreeMap<String, Resource>,
) -> BTreeMap<String, String> {
    layout
        .agents
        .iter()
        .filter_map(|agent| {
            let name = compose::trust::known_cluster(&agent.target.cluster, observed, &agent.key)?;
            Some((agent.key.clone(), name.to_owned()))
        })
        .collect()
}

/// `ResourcesSynced`, and a Warning per composed resource that fails.
fn explain_failures(
    composed: &[Composed],
    observed: &BTreeMap<String, Resource>,
    warnings: &mut Vec<Warning>,
) -> Condition {
    let kinds = composed.iter().map(|resource| {
        (
            resource.key.as_str(),
            path::text(&resource.body, &["kind"]).unwrap_or("resource"),
        )
    });
    let failures = synced::failures(kinds, observed);
    if failures.is_empty() {
        return Condition {
            kind: synced::CONDITION,
            holds: true,
            reason: synced::SYNCED,
            message: None,
        };
    }
    warnings.extend(
        synced::warnings(&failures)
            .into_iter()
            .map(|message| Warning {
                reason: synced::FAILING,
                message,
            }),
    );
    Condition {
        kind: synced::CONDITION,
        holds: false,
        reason: synced::FAILING,
        message: Some(synced::condition_message(&failures)),
    }
}

/// The step inputs read last, each with what it reads as.
///
/// A Composition sends the same input on every call, and reading it (its
/// guardrails above all: patterns checked and compiled) costs more than
/// comparing it with one read before. An input is reused only for an
/// equal input, so one Composition's settings never apply to another's
/// calls; only inputs that read without error are kept.
#[derive(Debug, Default)]
struct Inputs {
    /// Oldest first, at most `REMEMBERED_INPUTS`.
    read: RwLock<VecDeque<(Struct, Arc<FunctionInput>)>>,
    /// What a step without input reads as.
    none: Arc<FunctionInput>,
}

impl Inputs {
    /// What `input` reads as, from memory when it was read before.
    fn read(&self, input: Option<&Struct>) -> Result<Arc<FunctionInput>, String> {
        let Some(input) = input else {
            return Ok(Arc::clone(&self.none));
        };
        let known = self
            .read
            .read()
            // The lock guards no invariant a panicking reader could break.
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(seen, _)| same_struct(seen, input))
            .map(|(_, read)| Arc::clone(read));
        if let Some(read) = known {
            return Ok(read);
        }
        let json = structs::struct_to_json(input).map_err(|error| format!("input{error}"))?;
        let read = Arc::new(FunctionInput::read(Some(&json))?);
        let mut remembered = self.read.write().unwrap_or_else(PoisonError::into_inner);
        // Another call may have read the same input meanwhile.
        if !remembered.iter().any(|(seen, _)| same_struct(seen, input)) {
            if remembered.len() == REMEMBERED_INPUTS {
                remembered.pop_front();
            }
            remembered.push_back((input.clone(), Arc::clone(&read)));
        }
        Ok(read)
    }
}

/// Whether two structs are the same to the last bit: `==` would take
/// `-0.0` for `0.0`, which read differently.
fn same_struct(one: &Struct, other: &Struct) -> bool {
    one.fields.len() == other.fields.len()
        && one
            .fields
            .iter()
            .zip(&other.fields)
            .all(|((key, one), (other_key, other))| key == other_key && same_value(one, other))
}

fn same_value(one: &prost_types::Value, other: &prost_types::Value) -> bool {
    use prost_types::value::Kind;
    match (&one.kind, &other.kind) {
        (None, None) => true,
        (Some(Kind::NullValue(one)), Some(Kind::NullValue(other))) => one == other,
        (Some(Kind::NumberValue(one)), Some(Kind::NumberValue(other))) => {
            one.to_bits() == other.to_bits()
        }
        (Some(Kind::StringValue(one)), Some(Kind::StringValue(other))) => one == other,
        (Some(Kind::BoolValue(one)), Some(Kind::BoolValue(other))) => one == other,
        (Some(Kind::StructValue(one)), Some(Kind::StructValue(other))) => same_struct(one, other),
        (Some(Kind::ListValue(one)), Some(Kind::ListValue(other))) => {
            one.values.len() == other.values.len()
                && one
                    .values
                    .iter()
                    .zip(&other.values)
                    .all(|(one, other)| same_value(one, other))
        }
        _ => false,
    }
}

/// Puts the composed resources, their readiness and the XR's status into
/// the response's desired state, and the warnings and conditions beside it.
fn apply(
    planned: Planned,
    composite: &Struct,
    observed: &BTreeMap<String, Resource>,
    answer: &mut RunFunctionResponse,
) {
    let Planned {
        composed,
        status,
        warnings,
        conditions,
        ttl: _,
    } = planned;
    for Warning { reason, message } in warnings {
        response::warning(answer, reason, message);
    }
    for Condition {
        kind,
        holds,
        reason,
        message,
    } in conditions
    {
        response::condition(answer, kind, holds, reason, message);
    }
    let desired = answer.desired.get_or_insert_with(State::default);
    for Composed {
        key,
        body,
        always_ready,
    } in composed
    {
        let ready = always_ready
            || observed
                .get(&key)
                .and_then(|resource| resource.resource.as_ref())
                .is_some_and(status::is_ready);
        let resource = Resource {
            resource: Some(body),
            ready: if ready {
                Ready::True
            } else {
                Ready::Unspecified
            }
            .into(),
            ..Resource::default()
        };
        desired.resources.insert(key, resource);
    }
    if !status.is_empty() {
        let fields = status
            .into_fields()
            .map(|(name, value)| (name.to_owned(), value));
        response::set_composite_status(answer, composite, STATUS_PATH, fields);
    }
}

/// The parts of the observed XR the function reads.
struct Composite<'a> {
    /// Its `metadata.name`.
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    /// Its `metadata.uid`, which its composed resources' controller
    /// reference names.
    uid: Option<&'a str>,
    /// The claim's namespace, on a cluster-scoped XR made for a claim.
    claim_namespace: Option<&'a str>,
    /// When the XR was created (`metadata.creationTimestamp`).
    created: Option<&'a str>,
    parameters: Option<&'a prost_types::Value>,
}

impl<'a> Composite<'a> {
    fn read(composite: &'a Struct) -> Self {
        Self {
            name: path::text(composite, &["metadata", "name"]),
            namespace: path::text(composite, &["metadata", "namespace"]),
            uid: path::text(composite, &["metadata", "uid"]),
            claim_namespace: path::text(composite, &["metadata", "labels", CLAIM_NAMESPACE_LABEL]),
            created: path::text(composite, &["metadata", "creationTimestamp"]),
            parameters: path::object(composite, &["spec"])
                .and_then(|spec| spec.fields.get("parameters")),
        }
    }

    /// Namespaced XRs compose namespaced managed resources.
    fn scope(&self) -> Scope {
        if self.namespace.is_some() {
            Scope::Namespaced
        } else {
            Scope::Cluster
        }
    }
}

/// What a log line says about a call: its tag and composite.
#[derive(Debug, Clone, Copy)]
pub struct RequestSummary<'a> {
    /// The call's tag, empty when Crossplane sent none.
    pub tag: &'a str,
    /// The composite's kind, empty when the request has none.
    pub kind: &'a str,
    /// The composite's name, empty when the request has none.
    pub name: &'a str,
}

impl<'a> RequestSummary<'a> {
    /// Reads the summary off a request without copying anything.
    #[must_use]
    pub fn of(request: &'a RunFunctionRequest) -> Self {
        let composite = request
            .observed
            .as_ref()
            .and_then(|state| state.composite.as_ref())
            .and_then(|composite| composite.resource.as_ref());
        let text = |path: &[&str]| composite.and_then(|xr| path::text(xr, path)).unwrap_or("");
        Self {
            tag: request.meta.as_ref().map_or("", |meta| meta.tag.as_str()),
            kind: text(&["kind"]),
            name: text(&["metadata", "name"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use prost_types::value::Kind;
    use prost_types::{ListValue, Struct, Value};

    use super::same_struct;

    fn one(key: &str, kind: Kind) -> Struct {
        Struct {
            fields: [(key.to_owned(), Value { kind: Some(kind) })].into(),
        }
    }

    #[test]
    fn structs_are_the_same_only_to_the_last_bit() {
        let list = |numbers: &[f64]| {
            Kind::ListValue(ListValue {
                values: numbers
                    .iter()
                    .map(|n| Value {
                        kind: Some(Kind::NumberValue(*n)),
                    })
                    .collect(),
            })
        };
        let cases = [
            (
                one("a", list(&[1.0, 2.0])),
                one("a", list(&[1.0, 2.0])),
                true,
            ),
            (one("a", list(&[1.0])), one("a", list(&[1.0, 2.0])), false),
            (one("a", list(&[0.0])), one("a", list(&[-0.0])), false),
            (one("a", list(&[1.0])), one("b", list(&[1.0])), false),
            (
                one("a", Kind::StringValue("x".to_owned())),
                one("a", Kind::StructValue(one("x", Kind::BoolValue(true)))),
                false,
            ),
            (
                one("a", Kind::StructValue(one("x", Kind::BoolValue(true)))),
                one("a", Kind::StructValue(one("x", Kind::BoolValue(true)))),
                true,
            ),
            (Struct::default(), one("a", Kind::NullValue(0)), false),
        ];
        for (one, other, want) in cases {
            assert_eq!(same_struct(&one, &other), want, "{one:?} vs {other:?}");
            assert_eq!(same_struct(&other, &one), want, "{other:?} vs {one:?}");
        }
    }
}
