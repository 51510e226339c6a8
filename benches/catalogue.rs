//! What the IAM action catalogue and the policy lint cost: reading the
//! embedded catalogue (the first call that needs it pays this once), the
//! memory that stays resident after, one lint of an everyday policy, and
//! the worst a hostile policy can make the lint and the access-level
//! guardrail cost within their bound.
//!
//! `cargo bench --bench catalogue`; without `--bench` (as `cargo test
//! --benches` runs it) it makes a few rounds only. Startup to serving and
//! the whole server's memory after load are the load bench's (`cargo bench
//! --bench load`), and the binary's size is read off the release build;
//! `benches/README.md` says how the figures in docs/performance.md were
//! taken.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use function_eks_pod_identity::iam::budget::Budget;
use function_eks_pod_identity::iam::catalogue::{self, Catalogue, TEXT};
use function_eks_pod_identity::iam::lint::{lint, Check, Kind};
use function_eks_pod_identity::iam::policy::Document;
use function_eks_pod_identity::params::LINT_BUDGET;
use serde_json::json;

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The median of `rounds` timings of `work`.
fn median(rounds: usize, mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() -> ExitCode {
    let full = std::env::args().any(|arg| arg == "--bench");
    let rounds = if full { 31 } else { 3 };

    // First, before anything reads the catalogue: what the first read costs
    // in time and in memory that stays.
    let before = rss_kib();
    let started = Instant::now();
    let catalogue = catalogue::get();
    let first_read = started.elapsed();
    let resident = rss_kib().saturating_sub(before);
    println!(
        "catalogue: {} services, {} actions, {} resource types; embedded text {} KiB",
        catalogue.services().count(),
        catalogue.action_count(),
        catalogue.resource_type_count(),
        TEXT.len() / 1024
    );
    println!("first read (once per process): {first_read:.2?}, resident after it: +{resident} KiB");
    let parse = median(rounds, || {
        black_box(Catalogue::parse(black_box(TEXT)));
    });
    println!("one more parse, median of {rounds}: {parse:.2?}");

    let everyday = Document::read(&json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": ["kms:Decrypt", "kms:DescribeKey"], "Effect": "Allow", "Resource": "*"}]
    }));
    let calls = if full { 10_000 } else { 100 };
    let everyday_time = median(rounds, || {
        for _ in 0..calls {
            black_box(lint(
                black_box(&everyday),
                Kind::Identity,
                &Budget::new(LINT_BUDGET),
            ));
        }
    }) / calls;
    println!("lint of Upbound's example policy: {everyday_time:.2?} per policy");

    // As many prefix patterns matching nothing as IAM's 10,240 characters
    // allow: each one scans every service's actions until the bound stops it.
    let hostile: Vec<String> = (0..700).map(|n| format!("*:*q{n}z*")).collect();
    let hostile = Document::read(&json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": hostile, "Resource": "*"}]
    }));
    let mut stopped = false;
    let hostile_time = median(rounds, || {
        let found = lint(
            black_box(&hostile),
            Kind::Identity,
            &Budget::new(LINT_BUDGET),
        );
        stopped = found
            .iter()
            .any(|finding| finding.check == Check::PolicyTooComplex);
    });
    println!(
        "lint of a hostile policy at the bound ({LINT_BUDGET} units): {hostile_time:.2?} (stopped by the bound: {stopped})"
    );
    let levels = median(rounds, || {
        let budget = Budget::new(LINT_BUDGET);
        for pattern in ["*:*q1z*", "*:*q2z*", "*:*q3z*", "*:*q4z*"]
            .iter()
            .cycle()
            .take(700)
        {
            if budget.exhausted() {
                break;
            }
            black_box(catalogue.matching(pattern, Some(&budget)).next());
        }
    });
    println!("access-level guardrail on the same patterns, at the bound: {levels:.2?}");
    if stopped {
        ExitCode::SUCCESS
    } else {
        eprintln!("the hostile policy was not stopped by the bound");
        ExitCode::FAILURE
    }
}
