//! The integration tests, linked into one binary (`cargo test --test it`)
//! instead of one per file: every test binary links the library and its
//! dependencies again, which cost most of the suite's build time. One
//! module per behaviour; `support` holds what several of them share.

mod support;

mod activation;
mod bad_input;
mod composition;
mod convergence;
mod crd_validation;
mod crossplane_crds;
mod day_two;
mod deployment_runtime_config;
mod examples;
mod guardrails;
mod guardrails_by_meaning;
mod guardrails_by_risk;
mod health;
mod hostile;
mod iam_catalogue;
mod iam_managed;
mod iam_precision;
mod iam_risk;
mod image;
mod lint_command;
mod memory_release;
mod observed;
mod operations;
mod packages;
mod policy_lint;
mod properties;
mod protocol_versions;
mod pruned_reads;
mod python_interop;
mod shutdown;
mod takeover;
mod tenancy;
mod tls;
mod topologies;
mod topology_examples;
mod well_known;
mod well_known_claims;
