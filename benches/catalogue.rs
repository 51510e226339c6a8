//! What the IAM action catalogue and the policy lint cost: reading the
//! embedded catalogue (the first call that needs it pays this once), the
//! memory that stays resident after, one lint of an everyday policy, and
//! the worst a hostile policy can make the lint and the access-level
//! guardrail cost within their bound.
//!
//! `cargo bench --bench catalogue`; without `--bench` (as `cargo test
//! --benches` runs it) it makes a few rounds only.
//!
//! With `CATALOGUE_BEFORE_BINARY=<path>` set to a build from before the
//! catalogue, it also starts that build and this one's server binary in
//! turns, 21 times each: spawn to the first answered call (which, in this
//! build, reads the catalogue), and resident memory after 2,000 calls of
//! Upbound's example claim; so that both figures come from one run on the
//! same machine state. The binary's size is read off the release build;
//! `benches/README.md` says how the figures in docs/performance.md were
//! taken.

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use function_eks_pod_identity::iam::budget::Budget;
use function_eks_pod_identity::iam::catalogue::{self, Catalogue, TEXT};
use function_eks_pod_identity::iam::lint::{lint, Check, Kind};
use function_eks_pod_identity::iam::policy::Document;
use function_eks_pod_identity::params::LINT_BUDGET;
use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient;
use serde_json::json;

#[allow(dead_code)] // only the small request is sent
mod support;

/// The server binary Cargo builds beside every bench.
const FUNCTION_BINARY: &str = env!("CARGO_BIN_EXE_function-eks-pod-identity");

/// Names a build from before the catalogue, to compare with.
const BEFORE_VARIABLE: &str = "CATALOGUE_BEFORE_BINARY";

/// Starts `binary`, makes `calls` calls of Upbound's example claim; the time
/// from spawn to the first answer and the resident KiB after the last.
fn serve_and_call(
    binary: &str,
    calls: usize,
    runtime: &tokio::runtime::Runtime,
) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args([
            "--insecure",
            "--address",
            "127.0.0.1:0",
            "--metrics-address",
            "",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let stderr = child.stderr.take().expect("its stderr");
    let address = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let start = line.find(r#""address":""#)? + r#""address":""#.len();
            let end = start + line[start..].find('"')?;
            Some(line[start..end].to_owned())
        })
        .expect("the serving line");
    let (first, rss) = runtime.block_on(async {
        let mut client = FunctionRunnerServiceClient::connect(format!("http://{address}"))
            .await
            .expect("connect");
        client
            .run_function(support::small())
            .await
            .expect("the first call");
        let first = started.elapsed();
        for _ in 1..calls {
            client.run_function(support::small()).await.expect("a call");
        }
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let rss = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        (first, rss)
    });
    let _ = child.kill();
    let _ = child.wait();
    (first, rss)
}

/// The server binaries before and after the catalogue, in turns.
// Figures are printed, never fed back: f64 precision is plenty.
#[allow(clippy::cast_precision_loss)]
fn compare(before: &str, rounds: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut startups = [Vec::new(), Vec::new()];
    let mut memory = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (index, binary) in [before, FUNCTION_BINARY].into_iter().enumerate() {
            let (startup, rss) = serve_and_call(binary, 2_000, &runtime);
            startups[index].push(startup);
            memory[index].push(rss);
        }
    }
    for list in &mut startups {
        list.sort();
    }
    for list in &mut memory {
        list.sort_unstable();
    }
    let middle = rounds / 2;
    let (before_start, after_start) = (startups[0][middle], startups[1][middle]);
    let (before_rss, after_rss) = (memory[0][middle], memory[1][middle]);
    println!(
        "spawn to first answer, median of {rounds} in turns: {before_start:.2?} before, {after_start:.2?} with the catalogue ({:+.2} ms)",
        (after_start.as_secs_f64() - before_start.as_secs_f64()) * 1000.0
    );
    println!(
        "resident after 2,000 calls, median: {:.1} MiB before, {:.1} MiB with the catalogue ({:+.1} MiB)",
        before_rss as f64 / 1024.0,
        after_rss as f64 / 1024.0,
        (after_rss as f64 - before_rss as f64) / 1024.0
    );
}

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
    if let Ok(before) = std::env::var(BEFORE_VARIABLE) {
        compare(&before, if full { 21 } else { 3 });
    }
    if stopped {
        ExitCode::SUCCESS
    } else {
        eprintln!("the hostile policy was not stopped by the bound");
        ExitCode::FAILURE
    }
}
