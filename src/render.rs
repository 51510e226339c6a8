//! The `render` subcommand: what the function composes for an XR, offline,
//! printed as a YAML stream shaped like `crossplane render` output.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::function::Function;
use crate::protocol::structs;
use crate::protocol::v1::{Resource, RunFunctionRequest, Severity, State};

/// The annotation naming a composed resource within its composition.
pub const COMPOSITION_RESOURCE_NAME: &str = "crossplane.io/composition-resource-name";

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The composite resource (XR), as YAML.
    pub xr: PathBuf,
    /// Observed composed resources, as a YAML stream; each names its
    /// composition resource in the `crossplane.io/composition-resource-name`
    /// annotation, as with `crossplane render -o`.
    #[arg(long)]
    pub observed: Option<PathBuf>,
    /// The step's `input` (kind `Input`), or a whole Composition whose step
    /// calling this function has one, as YAML.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

/// Why rendering could not run.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A document is not YAML of the expected shape.
    #[error("{what}: {message}")]
    Invalid {
        /// Which document.
        what: String,
        /// What is wrong with it.
        message: String,
    },
}

/// What the function made of an XR.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The XR's desired status (empty until something is observed).
    pub status: Map<String, Value>,
    /// Desired composed resources by composition resource name, exactly as
    /// the function returned them.
    pub resources: BTreeMap<String, Value>,
    /// Which composed resources the function marked ready.
    pub ready: BTreeMap<String, bool>,
    /// Messages of FATAL results.
    pub fatal: Vec<String>,
    /// Every finding of the policy lint, one line each, also when the XR
    /// was refused.
    pub findings: Vec<String>,
}

/// Runs the function on YAML texts: the XR, the observed composed resources
/// (a stream) and the step's input.
pub fn render(
    function: &Function,
    xr: &str,
    observed: Option<&str>,
    input: Option<&str>,
) -> Result<Rendered, RenderError> {
    let xr = object_of(yaml_document(xr, "the XR")?, "the XR")?;
    let mut observed_resources = BTreeMap::new();
    for (position, document) in yaml_stream(observed.unwrap_or_default(), "the observed resources")?
        .into_iter()
        .enumerate()
    {
        let what = format!("observed document {}", position + 1);
        let document = object_of(document, &what)?;
        let Some(key) = document
            .get("metadata")
            .and_then(|metadata| metadata.get("annotations"))
            .and_then(|annotations| annotations.get(COMPOSITION_RESOURCE_NAME))
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(RenderError::Invalid {
                what,
                message: format!("has no {COMPOSITION_RESOURCE_NAME} annotation"),
            });
        };
        observed_resources.insert(key, resource(document));
    }
    let input = input
        .map(|text| {
            yaml_document(text, "the input").and_then(|input| object_of(input, "the input"))
        })
        .transpose()?
        .and_then(step_input);

    let request = RunFunctionRequest {
        observed: Some(State {
            composite: Some(resource(xr)),
            resources: observed_resources,
        }),
        input: input.map(structs::json_to_struct),
        ..RunFunctionRequest::default()
    };
    let outcome = function.run_reporting(request);
    let findings = outcome.findings.iter().map(ToString::to_string).collect();
    let response = outcome.response;

    let invalid = |message: String| RenderError::Invalid {
        what: "the function's response".to_owned(),
        message,
    };
    let fatal = response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Fatal))
        .map(|result| result.message.clone())
        .collect();
    let desired = response.desired.unwrap_or_default();
    let status = match desired.composite.and_then(|xr| xr.resource) {
        Some(xr) => match structs::struct_to_json(&xr)
            .map_err(|error| invalid(error.to_string()))?
            .remove("status")
        {
            Some(Value::Object(status)) => status,
            _ => Map::new(),
        },
        None => Map::new(),
    };
    let mut resources = BTreeMap::new();
    let mut ready = BTreeMap::new();
    for (key, composed) in desired.resources {
        ready.insert(
            key.clone(),
            composed.ready == i32::from(crate::protocol::v1::Ready::True),
        );
        let body = composed.resource.unwrap_or_default();
        let body = structs::struct_to_json(&body).map_err(|error| invalid(error.to_string()))?;
        resources.insert(key, Value::Object(body));
    }
    Ok(Rendered {
        status,
        resources,
        ready,
        fatal,
        findings,
    })
}

impl Rendered {
    /// The YAML stream `crossplane render` would print: the XR with its
    /// status, then each composed resource, sorted by resource name, with
    /// the metadata Crossplane would add.
    pub fn to_yaml(&self, xr: &Map<String, Value>) -> Result<String, serde_norway::Error> {
        let metadata = xr.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let xr_name = metadata.get("name").and_then(Value::as_str).unwrap_or("xr");
        let mut documents = Vec::with_capacity(1 + self.resources.len());
        let mut composite = Map::new();
        for key in ["apiVersion", "kind"] {
            if let Some(value) = xr.get(key) {
                composite.insert(key.to_owned(), value.clone());
            }
        }
        let mut identity = Map::new();
        for key in ["name", "namespace"] {
            if let Some(value) = metadata.get(key) {
                identity.insert(key.to_owned(), value.clone());
            }
        }
        composite.insert("metadata".to_owned(), Value::Object(identity));
        if !self.status.is_empty() {
            composite.insert("status".to_owned(), Value::Object(self.status.clone()));
        }
        documents.push(Value::Object(composite));
        for (key, body) in &self.resources {
            let mut body = body.clone();
            if let Some(object) = body.as_object_mut() {
                let metadata = object.entry("metadata").or_insert_with(|| json!({}));
                if let Some(metadata) = metadata.as_object_mut() {
                    let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
                    if let Some(annotations) = annotations.as_object_mut() {
                        annotations
                            .insert(COMPOSITION_RESOURCE_NAME.to_owned(), key.clone().into());
                    }
                    metadata.insert("generateName".to_owned(), format!("{xr_name}-").into());
                    // Crossplane adds its label to the function's own (the
                    // XR's labels and the Usages' selection labels) and
                    // keeps them, so render must not drop them either.
                    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
                    if let Some(labels) = labels.as_object_mut() {
                        labels.insert("crossplane.io/composite".to_owned(), xr_name.into());
                    }
                }
            }
            documents.push(body);
        }
        let mut out = String::new();
        for document in &documents {
            out.push_str("---\n");
            out.push_str(&serde_norway::to_string(document)?);
        }
        Ok(out)
    }
}

/// The input itself, or the input of a Composition's step that calls this
/// function.
pub(crate) fn step_input(document: Map<String, Value>) -> Option<Map<String, Value>> {
    if document.get("kind").and_then(Value::as_str) != Some("Composition") {
        return Some(document);
    }
    let steps = document.get("spec")?.get("pipeline")?.as_array()?;
    steps
        .iter()
        .find(|step| {
            step.get("functionRef")
                .and_then(|reference| reference.get("name"))
                .and_then(Value::as_str)
                .is_some_and(|name| name.starts_with(FUNCTION_NAME))
        })
        .and_then(|step| step.get("input"))
        .and_then(Value::as_object)
        .cloned()
}

/// The Function package's name, which Compositions refer to.
pub const FUNCTION_NAME: &str = "function-eks-pod-identity";

pub(crate) fn resource(body: Map<String, Value>) -> Resource {
    Resource {
        resource: Some(structs::json_to_struct(body)),
        ..Resource::default()
    }
}

pub(crate) fn yaml_stream(text: &str, what: &str) -> Result<Vec<Value>, RenderError> {
    let mut documents = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|error| RenderError::Invalid {
            what: what.to_owned(),
            message: error.to_string(),
        })?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

pub(crate) fn yaml_document(text: &str, what: &str) -> Result<Value, RenderError> {
    let mut documents = yaml_stream(text, what)?;
    match documents.len() {
        1 => Ok(documents.remove(0)),
        count => Err(RenderError::Invalid {
            what: what.to_owned(),
            message: format!("want one YAML document, found {count}"),
        }),
    }
}

pub(crate) fn object_of(value: Value, what: &str) -> Result<Map<String, Value>, RenderError> {
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(RenderError::Invalid {
            what: what.to_owned(),
            message: "want a YAML mapping".to_owned(),
        }),
    }
}

pub(crate) fn read(path: &Path) -> Result<String, RenderError> {
    std::fs::read_to_string(path).map_err(|source| RenderError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Runs `render`: the YAML stream on stdout; the policy lint's findings,
/// and FATAL results with a non-zero exit, on stderr.
#[must_use]
pub fn main(args: &RenderArgs, function: &Function) -> ExitCode {
    match run(args, function) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("function-eks-pod-identity render: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &RenderArgs, function: &Function) -> Result<ExitCode, RenderError> {
    let xr_text = read(&args.xr)?;
    let observed = args.observed.as_deref().map(read).transpose()?;
    let input = args.input.as_deref().map(read).transpose()?;
    let rendered = render(function, &xr_text, observed.as_deref(), input.as_deref())?;
    for finding in &rendered.findings {
        eprintln!("{finding}");
    }
    if !rendered.fatal.is_empty() {
        for message in &rendered.fatal {
            eprintln!("FATAL: {message}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let xr = object_of(yaml_document(&xr_text, "the XR")?, "the XR")?;
    let yaml = rendered
        .to_yaml(&xr)
        .map_err(|error| RenderError::Invalid {
            what: "the output".to_owned(),
            message: error.to_string(),
        })?;
    // A closed pipe (e.g. `| head`) is not worth an error.
    let _ = std::io::stdout().write_all(yaml.as_bytes());
    Ok(ExitCode::SUCCESS)
}
