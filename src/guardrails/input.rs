//! The pipeline step's `input`: composition-wide settings a platform team
//! writes once per Composition, out of reach of claim authors.

use std::time::Duration;

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
    /// How soon Crossplane should call again for this Composition's XRs
    /// (`ttl`), instead of the `--ttl` the function was started with.
    pub ttl: Option<Duration>,
}

/// The shortest and longest `ttl`: under a second Crossplane would call
/// back in a loop; beyond a day a drifted XR waits longer than anyone
/// would notice it.
pub const TTL_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(24 * 3600));

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
        let ttl = match input.and_then(|input| input.get("ttl")) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                let ttl = parse_duration(text).map_err(|error| format!("input.ttl: {error}"))?;
                let (shortest, longest) = TTL_BOUNDS;
                if ttl < shortest || ttl > longest {
                    return Err(format!("input.ttl: {text:?} is outside 1s to 24h"));
                }
                Some(ttl)
            }
            Some(_) => return Err("input.ttl: want a duration such as 90s, 5m or 1h".to_owned()),
        };
        Ok(Self {
            defaults,
            usages,
            adopt_conflicting_associations,
            guardrails,
            ttl,
        })
    }
}

/// Parses a whole number of seconds, minutes or hours.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(split) => text.split_at(split),
        None => (text, "s"),
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 5m or 1h"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{text:?} has unit {unit:?}; use s, m or h")),
    };
    Ok(Duration::from_secs(count.saturating_mul(scale)))
}
