//! `RunFunction` as a plain function: request in, response out, no I/O.
//!
//! It starts from the request's desired state and context, so whatever the
//! function has no opinion on passes through to Crossplane untouched.

use std::time::Duration;

use std::collections::BTreeMap;

use prost_types::value::Kind;
use prost_types::Struct;

use crate::compose::{self, Composed};
use crate::json;
use crate::observed::{self, PodIdentityStatus};
use crate::params::{self, World};
use crate::proto::v1::{
    Ready, Resource, ResponseMeta, Result as ProtoResult, RunFunctionRequest, RunFunctionResponse,
    Severity, State, Target,
};
use crate::reader::{DEFAULTS_PATH, PARAMETERS_PATH};
use crate::view::Read;

/// The SDKs' default: Crossplane calls again at the latest after this long.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// The composition pipeline and its settings.
#[derive(Debug, Clone)]
pub struct Function {
    ttl: prost_types::Duration,
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
            ttl: prost_types::Duration {
                seconds: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
                // Below one billion by construction.
                nanos: i32::try_from(ttl.subsec_nanos()).unwrap_or_default(),
            },
        }
    }

    /// Answers one call: start from the request's desired state and
    /// context, then compose on top of them. Bad input leaves them as they
    /// came and adds one FATAL result.
    #[must_use]
    pub fn run(&self, request: RunFunctionRequest) -> RunFunctionResponse {
        let RunFunctionRequest {
            meta,
            observed,
            desired,
            input,
            context,
            ..
        } = request;
        let mut response = RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: meta.map(|meta| meta.tag).unwrap_or_default(),
                ttl: Some(self.ttl),
            }),
            desired,
            context,
            ..RunFunctionResponse::default()
        };
        let observed = observed.unwrap_or_default();
        // Without an XR there is nothing to compose (and nothing to refuse).
        let Some(composite) = observed
            .composite
            .as_ref()
            .and_then(|xr| xr.resource.as_ref())
        else {
            return response;
        };
        match plan(composite, input.as_ref()) {
            Ok(plan) => apply(plan, composite, &observed.resources, &mut response),
            Err(message) => response.results.push(fatal(message)),
        }
        response
    }
}

/// What one XR asks for, ready to merge into the desired state.
struct Plan {
    composed: Vec<Composed>,
}

/// Reads the XR and the step's input and composes, or says what is wrong.
fn plan(composite: &Struct, input: Option<&Struct>) -> Result<Plan, String> {
    let xr = Composite::read(composite);
    let world = if xr.namespace.is_some() {
        World::Namespaced
    } else {
        World::Cluster
    };
    let parameters = xr
        .parameters
        .map(|parameters| {
            json::value_to_json(parameters).map_err(|error| format!("{PARAMETERS_PATH}{error}"))
        })
        .transpose()?;
    let defaults = FunctionInput::read(input)?;
    let parameters = params::read(parameters.as_ref(), defaults.as_ref(), world)
        .map_err(|problems| format!("cannot compose EKS Pod Identity: {problems}"))?;
    Ok(Plan {
        composed: compose::compose(&parameters, world),
    })
}

/// Puts the composed resources, their readiness and the XR's status into
/// the response's desired state.
fn apply(
    plan: Plan,
    composite: &Struct,
    observed: &BTreeMap<String, Resource>,
    response: &mut RunFunctionResponse,
) {
    let desired = response.desired.get_or_insert_with(State::default);
    for (key, body) in plan.composed {
        let ready = observed
            .get(&key)
            .and_then(|resource| resource.resource.as_ref())
            .is_some_and(observed::is_ready);
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
    let status = PodIdentityStatus::observe(observed);
    if !status.is_empty() {
        let xr = desired.composite.get_or_insert_with(|| Resource {
            resource: Some(identity_of(composite)),
            ..Resource::default()
        });
        write_status(xr.resource.get_or_insert_with(Struct::default), status);
    }
}

/// The composite's `apiVersion` and `kind`, which a desired XR carries.
fn identity_of(composite: &Struct) -> Struct {
    let mut identity = Struct::default();
    for key in ["apiVersion", "kind"] {
        if let Some(value) = composite.fields.get(key) {
            identity.fields.insert(key.to_owned(), value.clone());
        }
    }
    identity
}

/// Merges `status.podIdentity` into the desired XR, keeping whatever else
/// earlier steps put in its status.
fn write_status(xr: &mut Struct, status: PodIdentityStatus) {
    with_object(xr, "status", |status_object| {
        with_object(status_object, "podIdentity", |pod_identity| {
            pod_identity.fields.extend(
                status
                    .into_fields()
                    .map(|(name, value)| (name.to_owned(), value.into())),
            );
        });
    });
}

/// Runs `change` on the object at `key`, made (or replacing a non-object)
/// if need be.
fn with_object(parent: &mut Struct, key: &str, change: impl FnOnce(&mut Struct)) {
    let mut object = match parent.fields.remove(key).and_then(|value| value.kind) {
        Some(Kind::StructValue(object)) => object,
        _ => Struct::default(),
    };
    change(&mut object);
    parent.fields.insert(
        key.to_owned(),
        prost_types::Value {
            kind: Some(Kind::StructValue(object)),
        },
    );
}

fn fatal(message: String) -> ProtoResult {
    ProtoResult {
        severity: Severity::Fatal.into(),
        message,
        reason: Some("InvalidParameters".to_owned()),
        target: Some(Target::CompositeAndClaim.into()),
    }
}

/// All the function reads of the observed XR: [`Composite::read`],
/// [`identity_of`] and [`RequestSummary::of`]. The server decodes no more.
pub const XR_READS: &[Read] = &[
    Read::whole("apiVersion"),
    Read::whole("kind"),
    Read::within("metadata", &[Read::whole("name"), Read::whole("namespace")]),
    Read::within("spec", &[Read::whole("parameters")]),
];

/// The parts of the observed XR the function reads.
struct Composite<'a> {
    namespace: Option<&'a str>,
    parameters: Option<&'a prost_types::Value>,
}

impl<'a> Composite<'a> {
    fn read(composite: &'a Struct) -> Self {
        let object = |parent: &'a Struct, key: &str| match parent
            .fields
            .get(key)
            .and_then(|v| v.kind.as_ref())
        {
            Some(Kind::StructValue(inner)) => Some(inner),
            _ => None,
        };
        let namespace = object(composite, "metadata")
            .and_then(|metadata| metadata.fields.get("namespace"))
            .and_then(|value| match value.kind.as_ref() {
                Some(Kind::StringValue(namespace)) if !namespace.is_empty() => {
                    Some(namespace.as_str())
                }
                _ => None,
            });
        let parameters = object(composite, "spec").and_then(|spec| spec.fields.get("parameters"));
        Self {
            namespace,
            parameters,
        }
    }
}

/// The step's `input`: composition-wide defaults under `defaults`.
struct FunctionInput;

impl FunctionInput {
    fn read(
        input: Option<&Struct>,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
        let Some(defaults) = input.and_then(|input| input.fields.get("defaults")) else {
            return Ok(None);
        };
        match json::value_to_json(defaults) {
            Ok(serde_json::Value::Object(defaults)) => Ok(Some(defaults)),
            Ok(serde_json::Value::Null) => Ok(None),
            Ok(_) => Err(format!("{DEFAULTS_PATH}: want an object")),
            Err(error) => Err(format!("{DEFAULTS_PATH}{error}")),
        }
    }
}

/// What one debug log line says about a call: its tag and composite.
#[derive(Debug)]
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
        let text = |object: Option<&'a prost_types::Struct>, key: &str| -> &'a str {
            match object
                .and_then(|object| object.fields.get(key))
                .and_then(|v| v.kind.as_ref())
            {
                Some(prost_types::value::Kind::StringValue(text)) => text,
                _ => "",
            }
        };
        let metadata = composite
            .and_then(|object| object.fields.get("metadata"))
            .and_then(|value| match value.kind.as_ref() {
                Some(prost_types::value::Kind::StructValue(object)) => Some(object),
                _ => None,
            });
        Self {
            tag: request.meta.as_ref().map_or("", |meta| meta.tag.as_str()),
            kind: text(composite, "kind"),
            name: text(metadata, "name"),
        }
    }
}
