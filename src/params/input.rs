//! The pipeline step's `input`: composition-wide settings a platform team
//! writes once per Composition, out of reach of claim authors.

use serde_json::{Map, Value};

use crate::params::guardrails::Guardrails;
use crate::params::reader::DEFAULTS_PATH;

/// What the step's input holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionInput {
    /// Defaults for parameters the XR leaves out, under `defaults`.
    pub defaults: Option<Map<String, Value>>,
    /// Whether to compose a Crossplane `Usage` per resource that uses the
    /// role, so that deletion goes in order. Off by default: `Usage` is
    /// beta only from Crossplane 1.19.
    pub usages: bool,
    /// What claims may grant, under `guardrails`.
    pub guardrails: Option<Guardrails>,
}

impl FunctionInput {
    /// Reads the input, given as JSON (`None` when the step has none).
    pub fn read(input: Option<&Map<String, Value>>) -> Result<Self, String> {
        let defaults = match input.and_then(|input| input.get("defaults")) {
            None | Some(Value::Null) => None,
            Some(Value::Object(defaults)) => Some(defaults.clone()),
            Some(_) => return Err(format!("{DEFAULTS_PATH}: want an object")),
        };
        let usages = match input.and_then(|input| input.get("usages")) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(usages)) => *usages,
            Some(_) => return Err("input.usages: want true or false".to_owned()),
        };
        let guardrails = match input.and_then(|input| input.get("guardrails")) {
            None | Some(Value::Null) => None,
            Some(guardrails) => Some(
                Guardrails::read(guardrails)
                    .map_err(|problems| format!("cannot compose EKS Pod Identity: {problems}"))?,
            ),
        };
        Ok(Self {
            defaults,
            usages,
            guardrails,
        })
    }
}
