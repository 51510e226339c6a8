//! The composition path without the network: `Function::run` alone, and
//! with the codec's work around it (`codec::decode` of the request,
//! prost's encoding of the response), for a small and a large claim;
//! and, as the load bench's floor does, prost's decoding of the whole
//! request around a handler that only echoes the desired state.
//!
//! `cargo bench --bench compose` runs it under criterion. With
//! `COMPOSE_PROFILE_CALLS=N` set it instead makes N calls with each request
//! (or only the one `COMPOSE_PROFILE_REQUEST` names, `small` or `large`) and
//! exits: a fixed amount of work to count the instructions of under
//! `valgrind --tool=callgrind`. Two counts, for two values of N, differ by
//! the cost of the extra calls alone. `COMPOSE_PROFILE_HANDLER=echo` makes
//! those calls to the echoing floor instead of the function.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::iam::arn::Partition;
use function_eks_pod_identity::iam::managed;
use function_eks_pod_identity::protocol::codec;
use function_eks_pod_identity::protocol::structs::{json_to_struct, struct_to_json};
use function_eks_pod_identity::protocol::v1::{RunFunctionRequest, RunFunctionResponse};
use prost::bytes::Bytes;
use prost::Message;

mod support;

/// The binary's allocator, which the load bench's floor uses too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What one gRPC call costs the server besides transport: what its codec
/// and handler do with the request bytes.
fn decode_run_encode(function: &Function, bytes: &Bytes) -> Vec<u8> {
    let request: RunFunctionRequest = codec::decode(bytes.clone()).expect("a request");
    encode(&function.run(request))
}

/// What the load bench's floor does: prost's own decoding of the whole
/// request, a handler that composes nothing and answers with the desired
/// state and context, and prost's encoding.
fn decode_echo_encode(bytes: &Bytes) -> Vec<u8> {
    let request = RunFunctionRequest::decode(bytes.clone()).expect("a request");
    encode(&RunFunctionResponse {
        desired: request.desired,
        context: request.context,
        ..RunFunctionResponse::default()
    })
}

/// The answer's bytes, as the server's codec writes them.
fn encode(response: &RunFunctionResponse) -> Vec<u8> {
    // tonic's encoding buffer starts at 8 KiB.
    let mut bytes = Vec::with_capacity(8 * 1024);
    response.encode(&mut bytes).expect("a Vec grows");
    bytes
}

fn requests() -> [(&'static str, RunFunctionRequest); 4] {
    [
        ("small", support::small()),
        ("large", support::large()),
        ("small+strict", strict(support::small())),
        ("large+strict", strict(support::large())),
    ]
}

/// The request with a strict multi-tenant guardrails profile in its input,
/// one both bench claims pass: every rule set, so the pair against the plain
/// request is what guardrails cost.
fn strict(mut request: RunFunctionRequest) -> RunFunctionRequest {
    let input = serde_json::json!({
        "apiVersion": "eks-pod-identity.fn.crossplane.io/v1beta1",
        "kind": "Input",
        "guardrails": {
            "serviceAccountNamespaces": ["SameAsClaim", "platform-*", "kube-system"],
            "clusterNames": ["prod-*", "AllowReferences"],
            "managedPolicyArns": {
                "allow": [
                    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                    "arn:aws:iam::aws:policy/Amazon*ReadOnly*",
                    "arn:aws:iam::123456789012:policy/platform/*",
                ],
                "deny": [
                    "arn:aws:iam::aws:policy/AdministratorAccess",
                    "arn:aws:iam::aws:policy/PowerUserAccess",
                    "arn:aws:iam::aws:policy/IAMFullAccess",
                ],
            },
            "inlinePolicies": {
                "denyActions": ["iam:*", "organizations:*", "account:*", "sts:*"],
                "allowNotAction": false,
            },
            "permissionsBoundaryArn": "arn:aws:iam::123456789012:policy/boundaries/platform",
            "rolePath": "/platform/",
            "targetRoleArns": ["arn:aws:iam::444455556666:role/data-*"],
            "podIdentityAgent": true,
        },
    });
    let serde_json::Value::Object(input) = input else {
        unreachable!("an object literal");
    };
    request.input = Some(json_to_struct(input));
    let answer = Function::default().run(request.clone());
    assert!(
        answer.results.is_empty(),
        "the strict profile refuses the bench request: {:?}",
        answer.results
    );
    request
}

/// The packaged v1 baseline's guardrails, read from its Composition.
fn baseline_input() -> serde_json::Map<String, serde_json::Value> {
    let text = include_str!("../package/configuration/apis/composition.yaml");
    let composition: serde_json::Value = serde_norway::from_str(text).expect("the Composition");
    composition["spec"]["pipeline"]
        .as_array()
        .and_then(|steps| steps.iter().find_map(|step| step["input"].as_object()))
        .cloned()
        .expect("a step with input")
}

/// `request` under the baseline, its claim attaching `arns` when given.
/// Whether the baseline refuses the claim does not matter: the cost is
/// the judging.
fn under_baseline(mut request: RunFunctionRequest, arns: Option<&[String]>) -> RunFunctionRequest {
    request.input = Some(json_to_struct(baseline_input()));
    if let Some(arns) = arns {
        let composite = request
            .observed
            .as_mut()
            .and_then(|observed| observed.composite.as_mut())
            .and_then(|composite| composite.resource.as_mut())
            .expect("an observed XR");
        let mut xr = struct_to_json(composite).expect("a JSON XR");
        xr["spec"]["parameters"]["managedPolicyArns"] = serde_json::json!(arns);
        *composite = json_to_struct(xr);
    }
    request
}

/// The 20 AWS managed policies (a role's most) with the longest documents:
/// the costliest set of managed policies a claim could name.
fn costliest_managed() -> Vec<String> {
    let mut policies: Vec<(usize, String)> = managed::get()
        .iter()
        .map(|policy| {
            let length = policy.document_json().map_or(0, |json| json.len());
            (length, policy.arn(Partition::Aws))
        })
        .collect();
    policies.sort_by_key(|(length, _)| std::cmp::Reverse(*length));
    policies.into_iter().take(20).map(|(_, arn)| arn).collect()
}

/// What the baseline's rules cost: the largest claim, and a claim naming
/// the 20 costliest AWS managed policies, each judged by content.
fn baseline_benches(criterion: &mut Criterion) {
    let function = Function::default();
    let costliest = costliest_managed();
    for (name, request) in [
        ("large+baseline", under_baseline(support::large(), None)),
        (
            "small+20-managed+baseline",
            under_baseline(support::small(), Some(&costliest)),
        ),
    ] {
        let mut group = criterion.benchmark_group(format!("compose/{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("run", |bencher| {
            bencher.iter_batched(
                || request.clone(),
                |request| function.run(black_box(request)),
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

fn benches(criterion: &mut Criterion) {
    let function = Function::default();
    for (name, request) in requests() {
        // As tonic hands a message over: shared bytes, sliced without copying.
        let bytes = Bytes::from(request.encode_to_vec());
        let mut group = criterion.benchmark_group(format!("compose/{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("run", |bencher| {
            bencher.iter_batched(
                || request.clone(),
                |request| function.run(black_box(request)),
                BatchSize::SmallInput,
            );
        });
        group.bench_function("decode+run+encode", |bencher| {
            bencher.iter(|| decode_run_encode(&function, black_box(&bytes)));
        });
        group.bench_function("decode+echo+encode", |bencher| {
            bencher.iter(|| decode_echo_encode(black_box(&bytes)));
        });
        group.finish();
    }
}

/// Runs the decode+run+encode path (or, with `echo`, decode+echo+encode)
/// `calls` times for each request that `only` (when given) names, for
/// instruction counting.
fn profile(calls: usize, only: Option<&str>, echo: bool) {
    let function = Function::default();
    for (name, request) in requests() {
        if only.is_some_and(|only| only != name) {
            continue;
        }
        // As tonic hands a message over: shared bytes, sliced without copying.
        let bytes = Bytes::from(request.encode_to_vec());
        let mut encoded = 0;
        for _ in 0..calls {
            encoded += if echo {
                decode_echo_encode(black_box(&bytes))
            } else {
                decode_run_encode(&function, black_box(&bytes))
            }
            .len();
        }
        println!(
            "{name}: {calls} calls, request {} bytes, {encoded} response bytes in all",
            bytes.len()
        );
    }
}

fn main() {
    if let Some(calls) = std::env::var_os("COMPOSE_PROFILE_CALLS") {
        let calls = calls
            .to_str()
            .and_then(|calls| calls.parse().ok())
            .expect("COMPOSE_PROFILE_CALLS is a number of calls");
        let only = std::env::var("COMPOSE_PROFILE_REQUEST").ok();
        let echo = std::env::var("COMPOSE_PROFILE_HANDLER").is_ok_and(|handler| handler == "echo");
        profile(calls, only.as_deref(), echo);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    baseline_benches(&mut criterion);
    criterion.final_summary();
}
