//! The `render` subcommand (placeholder until composition lands).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::function::Function;

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The composite resource (XR) or claim, as YAML.
    pub xr: PathBuf,
    /// Observed composed resources, as a YAML stream.
    #[arg(long)]
    pub observed: Option<PathBuf>,
    /// The Composition step's `input`, as YAML.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

/// Runs `render`.
#[must_use]
pub fn main(_args: &RenderArgs, _function: &Function) -> ExitCode {
    ExitCode::FAILURE
}
