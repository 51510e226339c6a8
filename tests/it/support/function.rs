//! Builds `RunFunction` requests from JSON, runs the function on them as
//! the server decodes them, and compares whole responses as JSON, printing
//! a "-want +got" line diff on mismatch.

use std::collections::BTreeMap;
use std::fmt::Write;

use function_eks_pod_identity::compose::observed::READ;
use function_eks_pod_identity::function::{Function, Outcome};
use function_eks_pod_identity::protocol::codec;
use function_eks_pod_identity::protocol::lean::{prune, Keep};
use function_eks_pod_identity::protocol::structs::{json_to_struct, struct_to_json};
use function_eks_pod_identity::protocol::v1::{
    Ready, RequestMeta, Resource, RunFunctionRequest, RunFunctionResponse, Severity, State, Status,
    Target,
};
use prost::Message;
use prost_types::value::Kind;
use serde_json::{json, Value};

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(object) => object,
        other => panic!("want a JSON object, got {other}"),
    }
}

/// A resource body as the function protocol carries it.
pub fn resource(body: Value) -> Resource {
    Resource {
        resource: Some(json_to_struct(object(body))),
        ..Resource::default()
    }
}

/// A request for `xr` with observed composed resources, earlier desired
/// resources, the step's input and a pipeline context.
#[derive(Default)]
pub struct Call {
    pub xr: Option<Value>,
    pub observed: Vec<(&'static str, Value)>,
    pub desired: Vec<(&'static str, Value)>,
    pub input: Option<Value>,
    pub context: Option<Value>,
}

impl Call {
    pub fn request(&self) -> RunFunctionRequest {
        let resources = |pairs: &[(&'static str, Value)]| -> BTreeMap<String, Resource> {
            pairs
                .iter()
                .map(|(key, body)| ((*key).to_owned(), resource(body.clone())))
                .collect()
        };
        RunFunctionRequest {
            meta: Some(RequestMeta {
                tag: "tag-1".to_owned(),
                ..RequestMeta::default()
            }),
            observed: Some(State {
                composite: self.xr.clone().map(resource),
                resources: resources(&self.observed),
            }),
            desired: Some(State {
                composite: None,
                resources: resources(&self.desired),
            }),
            input: self
                .input
                .clone()
                .map(|input| json_to_struct(object(input))),
            context: self
                .context
                .clone()
                .map(|context| json_to_struct(object(context))),
            ..RunFunctionRequest::default()
        }
    }
}

fn resource_json(resource: &Resource) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(body) = &resource.resource {
        out.insert(
            "resource".into(),
            Value::Object(struct_to_json(body).unwrap()),
        );
    }
    if resource.ready != i32::from(Ready::Unspecified) {
        out.insert(
            "ready".into(),
            json!(Ready::try_from(resource.ready).unwrap().as_str_name()),
        );
    }
    Value::Object(out)
}

fn state_json(state: &State) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(composite) = &state.composite {
        out.insert("composite".into(), resource_json(composite));
    }
    if !state.resources.is_empty() {
        let resources = state
            .resources
            .iter()
            .map(|(key, resource)| (key.clone(), resource_json(resource)))
            .collect();
        out.insert("resources".into(), Value::Object(resources));
    }
    Value::Object(out)
}

/// Runs a default function on `request` as the server would: on the
/// request as its codec decodes it, which keeps of each observed composed
/// resource only what the function reads. It also runs on the whole
/// request, and panics unless both answers are the same: a read of an
/// observed resource that the codec does not keep fails here.
pub fn run_as_served(request: RunFunctionRequest) -> RunFunctionResponse {
    run_reporting_as_served(&Function::default(), request).response
}

/// [`run_as_served`] for a given function, with what it reports besides the answer.
pub fn run_reporting_as_served(function: &Function, request: RunFunctionRequest) -> Outcome {
    let served = as_served(&request);
    let whole = function.run_reporting(request);
    let outcome = function.run_reporting(served);
    assert_same(
        "the request as served",
        "the codec keeps all the function reads of the observed resources",
        &response_json(&whole.response),
        &response_json(&outcome.response),
    );
    outcome
}

/// `request` as it reaches the function through the server's codec.
pub fn as_served(request: &RunFunctionRequest) -> RunFunctionRequest {
    codec::decode(request.encode_to_vec().as_slice()).expect("the codec decodes what prost encodes")
}

/// `request` as the codec keeps it, by a plain walk of the decoded tree:
/// each observed composed resource pruned to what the function reads,
/// everything else as it is.
pub fn as_the_codec_keeps(mut request: RunFunctionRequest) -> RunFunctionRequest {
    for resource in request
        .observed
        .iter_mut()
        .flat_map(|state| state.resources.values_mut())
    {
        if let Some(body) = resource.resource.take() {
            let mut body = prost_types::Value {
                kind: Some(Kind::StructValue(body)),
            };
            prune(&mut body, Keep::Entries(READ));
            if let Some(Kind::StructValue(body)) = body.kind {
                resource.resource = Some(body);
            }
        }
    }
    request
}

/// The messages of the response's FATAL results, in order.
pub fn fatal_messages(response: &RunFunctionResponse) -> Vec<String> {
    response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Fatal))
        .map(|result| result.message.clone())
        .collect()
}

/// The whole response as JSON, enums by name, empty parts left out.
pub fn response_json(response: &RunFunctionResponse) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(meta) = &response.meta {
        let ttl = meta.ttl.map(|ttl| format!("{}s", ttl.seconds));
        out.insert("meta".into(), json!({"tag": meta.tag, "ttl": ttl}));
    }
    if let Some(desired) = &response.desired {
        out.insert("desired".into(), state_json(desired));
    }
    if !response.results.is_empty() {
        let results = response
            .results
            .iter()
            .map(|result| {
                json!({
                    "severity": Severity::try_from(result.severity).unwrap().as_str_name(),
                    "message": result.message,
                    "reason": result.reason,
                })
            })
            .collect();
        out.insert("results".into(), Value::Array(results));
    }
    if !response.conditions.is_empty() {
        let conditions = response
            .conditions
            .iter()
            .map(|condition| {
                let mut out = json!({
                    "type": condition.r#type,
                    "status": Status::try_from(condition.status).unwrap().as_str_name(),
                    "reason": condition.reason,
                });
                if let Some(message) = &condition.message {
                    out["message"] = json!(message);
                }
                if let Some(target) = condition.target {
                    out["target"] = json!(Target::try_from(target).unwrap().as_str_name());
                }
                out
            })
            .collect();
        out.insert("conditions".into(), Value::Array(conditions));
    }
    if let Some(context) = &response.context {
        out.insert(
            "context".into(),
            Value::Object(struct_to_json(context).unwrap()),
        );
    }
    Value::Object(out)
}

/// Panics with a "-want +got" diff of the pretty JSON when they differ.
pub fn assert_same(case: &str, reason: &str, want: &Value, got: &Value) {
    if want == got {
        return;
    }
    let want = serde_json::to_string_pretty(want).unwrap();
    let got = serde_json::to_string_pretty(got).unwrap();
    panic!("{case}: {reason}\n-want +got:\n{}", line_diff(&want, &got));
}

/// A longest-common-subsequence line diff, small inputs only.
fn line_diff(want: &str, got: &str) -> String {
    let a: Vec<&str> = want.lines().collect();
    let b: Vec<&str> = got.lines().collect();
    let mut common = vec![vec![0_usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            writeln!(out, "  {}", a[i]).unwrap();
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || common[i][j + 1] >= common[i + 1][j]) {
            writeln!(out, "+ {}", b[j]).unwrap();
            j += 1;
        } else {
            writeln!(out, "- {}", a[i]).unwrap();
            i += 1;
        }
    }
    out
}
