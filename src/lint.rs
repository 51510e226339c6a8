//! The `lint` subcommand: the policy lint and the guardrails on claims and
//! XRs, offline, for CI before a claim reaches a cluster.
//!
//! Each YAML document with `spec.parameters` goes through the function as
//! `render` sends it, so what `lint` reports is what the function would
//! report in the cluster: every finding of every inline policy, and the
//! FATAL a refused (or unreadable) claim gets.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Map, Value};

use crate::function::{Function, PolicyFinding, Refusal};
use crate::protocol::structs;
use crate::protocol::v1::{RunFunctionRequest, Severity, State};
use crate::render::{
    object_of, read, resource, step_input, yaml_document, yaml_stream, RenderError,
};

/// Arguments of `lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Claims or composite resources (XRs), as YAML; a file may hold
    /// several documents, and those without `spec.parameters` are skipped.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The step's `input` (kind `Input`), or a whole Composition whose step
    /// calling this function has one, as YAML: its guardrails apply.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per finding: `FILE:DOCUMENT: FIELD: PATH "VALUE": SEVERITY CHECK: MESSAGE`.
    Text,
    /// One JSON object with every finding and every refused field.
    Json,
}

/// What linting one document found.
#[derive(Debug, Clone)]
pub struct Linted {
    /// The file.
    pub file: PathBuf,
    /// The document's position in its file, from 1.
    pub document: usize,
    /// Every finding of its inline policies.
    pub findings: Vec<PolicyFinding>,
    /// The FATAL messages it got (a guardrail refusal or bad parameters).
    pub refusals: Vec<String>,
    /// The refusal behind them, its problems each at its field.
    pub refusal: Option<Refusal>,
}

/// Lints every document of `files` (name and YAML text) with the step
/// input `input`; a file without a claim or XR is an error.
pub fn lint(
    function: &Function,
    files: &[(PathBuf, String)],
    input: Option<&str>,
) -> Result<Vec<Linted>, RenderError> {
    let input = input
        .map(|text| {
            yaml_document(text, "the input").and_then(|input| object_of(input, "the input"))
        })
        .transpose()?
        .and_then(step_input);
    let mut linted = Vec::new();
    for (file, text) in files {
        let what = file.display().to_string();
        let mut found = false;
        for (position, document) in yaml_stream(text, &what)?.into_iter().enumerate() {
            let Value::Object(document) = document else {
                continue;
            };
            let has_parameters = document
                .get("spec")
                .and_then(|spec| spec.get("parameters"))
                .is_some();
            if !has_parameters {
                continue;
            }
            found = true;
            linted.push(lint_one(
                function,
                file,
                position + 1,
                document,
                input.as_ref(),
            ));
        }
        if !found {
            return Err(RenderError::Invalid {
                what,
                message: "holds no claim or XR (no document has spec.parameters)".to_owned(),
            });
        }
    }
    Ok(linted)
}

fn lint_one(
    function: &Function,
    file: &Path,
    document: usize,
    xr: Map<String, Value>,
    input: Option<&Map<String, Value>>,
) -> Linted {
    let request = RunFunctionRequest {
        observed: Some(State {
            composite: Some(resource(xr)),
            ..State::default()
        }),
        input: input.cloned().map(structs::json_to_struct),
        ..RunFunctionRequest::default()
    };
    let outcome = function.run_reporting(request);
    let refusals = outcome
        .response
        .results
        .iter()
        .filter(|result| result.severity == i32::from(Severity::Fatal))
        .map(|result| result.message.clone())
        .collect();
    Linted {
        file: file.to_owned(),
        document,
        findings: outcome.findings,
        refusals,
        refusal: outcome.refusal,
    }
}

/// Whether a lint run fails CI: an ERROR finding or a refusal.
#[must_use]
pub fn fails(linted: &[Linted]) -> bool {
    linted
        .iter()
        .any(|one| !one.refusals.is_empty() || one.findings.iter().any(PolicyFinding::is_error))
}

/// The text report: one line per finding and refusal.
#[must_use]
pub fn to_text(linted: &[Linted]) -> String {
    let mut out = String::new();
    for one in linted {
        let at = format!("{}:{}", one.file.display(), one.document);
        for finding in &one.findings {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{at}: {finding}");
        }
        for refusal in &one.refusals {
            let _ = writeln!(out, "{at}: FATAL: {refusal}");
        }
    }
    out
}

/// The JSON report.
#[must_use]
pub fn to_json(linted: &[Linted]) -> Value {
    let mut findings = Vec::new();
    let mut refusals = Vec::new();
    for one in linted {
        let file = one.file.display().to_string();
        for found in &one.findings {
            findings.push(json!({
                "file": file,
                "document": one.document,
                "field": found.field(),
                "path": found.finding.path,
                "statement": found.finding.statement,
                "severity": found.severity(),
                "check": found.check(),
                "value": found.finding.value,
                "message": found.finding.message,
            }));
        }
        // One row per problem, at its field and, within a document, its
        // path; a refusal at no one field is one row of its own message.
        let problems = one.refusal.as_ref().map_or(&[][..], Refusal::problems);
        if problems.is_empty() {
            for message in &one.refusals {
                refusals.push(json!({
                    "file": file,
                    "document": one.document,
                    "field": null,
                    "path": null,
                    "message": message,
                }));
            }
        }
        for problem in problems {
            refusals.push(json!({
                "file": file,
                "document": one.document,
                "field": problem.path,
                "path": problem.at,
                "message": problem.message,
            }));
        }
    }
    json!({
        "documents": linted.len(),
        "findings": findings,
        "refusals": refusals,
        "failed": fails(linted),
    })
}

/// Runs `lint`: the report on stdout; exit 0 when clean, 1 on an ERROR
/// finding or a refusal, 2 when a file cannot be read.
#[must_use]
pub fn main(args: &LintArgs, function: &Function) -> ExitCode {
    let run = || -> Result<Vec<Linted>, RenderError> {
        let input = args.input.as_deref().map(read).transpose()?;
        let files = args
            .files
            .iter()
            .map(|file| read(file).map(|text| (file.clone(), text)))
            .collect::<Result<Vec<_>, _>>()?;
        lint(function, &files, input.as_deref())
    };
    let linted = match run() {
        Ok(linted) => linted,
        Err(error) => {
            eprintln!("function-eks-pod-identity lint: {error}");
            return ExitCode::from(2);
        }
    };
    let report = match args.format {
        Format::Text => to_text(&linted),
        Format::Json => format!("{:#}\n", to_json(&linted)),
    };
    // A closed pipe (e.g. `| head`) is not worth an error.
    let _ = std::io::stdout().write_all(report.as_bytes());
    if fails(&linted) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
