//! function-eks-pod-identity: a Crossplane composition function that
//! composes everything EKS Pod Identity needs for one service account.
//!
//! # Layout
//!
//! The layers, each importing only those below it:
//!
//! - [`serve`]: the gRPC server: listener and connections, TLS, runtime and
//!   signals, the `FunctionRunnerService` of both protocol versions, health,
//!   reflection, and the Prometheus metrics and their HTTP endpoint.
//! - [`function`]: one call, request in, response out, in named stages.
//!   [`render`] runs the same call offline, from YAML files, and [`lint`]
//!   runs it over claims for their policy findings and guardrail refusals.
//! - [`compose`]: the desired managed resources for checked parameters
//!   and what already runs: the cluster x service account topology, their
//!   keys (kept by what runs, moved where AWS fixes a field), the trust
//!   policy, Usages, readiness, the XR's status, and what observed state
//!   tells the claim (a kept role name, an adopted association, failures),
//!   with the one list of the fields it reads of an observed resource.
//! - [`guardrails`]: the step's input, and with it the platform team's
//!   rules on what a claim may grant and take over, enforced on checked
//!   parameters (a refusal names every field it refuses).
//! - [`params`]: the XR's `spec.parameters`, read into typed values (the
//!   well-known sets asked for among them) and checked against AWS's and
//!   Kubernetes' rules.
//! - [`iam`]: what IAM itself knows, apart from any claim or Crossplane:
//!   policy documents, the action catalogue (its records embedded by
//!   `build.rs`),
//!   action globs and their overlap, ARNs and partitions, the risk each
//!   action carries (from vendored published knowledge), the policy lint,
//!   AWS's managed policies (embedded, read on first use), and the vetted
//!   permission sets of well-known add-ons.
//! - [`protocol`]: the function protocol itself: generated messages, the
//!   nesting-bounded codec and its decoding that keeps of observed resources
//!   only the fields named, `Struct` <-> JSON, reading a `Struct` by path,
//!   building a response.
//!
//! [`cli`] holds the binary's flags.

pub mod cli;
pub mod compose;
pub mod function;
pub mod guardrails;
pub mod iam;
pub mod lint;
pub mod params;
pub mod protocol;
pub mod render;
pub mod serve;
