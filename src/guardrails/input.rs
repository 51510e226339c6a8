//! The pipeline step's `input`: composition-wide settings a platform team
//! writes once per Composition, out of reach of claim authors.

use serde_json::{Map, Value};

use super::Guardrails;
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
    /// Whether to adopt an association EKS says already exists when the
    /// provider lost its id (`adoptConflictingAssociations`). Off by
    /// default: adopting takes over an association something else may
    /// have made.
    pub adopt_conflicting_associations: bool,
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
        let switch = |name: &str| match input.and_then(|input| input.get(name)) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(on)) => Ok(*on),
            Some(_) => Err(format!("input.{name}: want true or false")),
        };
        let usages = switch("usages")?;
        let adopt_conflicting_associations = switch("adoptConflictingAssociations")?;
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
            adopt_conflicting_associations,
            guardrails,
        })
    }
}
