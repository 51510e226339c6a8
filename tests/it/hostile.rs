//! A hostile client's requests: valid protobuf under the size limit that
//! once crashed, stalled or bloated the server. Each must be answered (or
//! refused) promptly, and other clients' calls and health checks must go on
//! being served while it runs.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::support::function::run_as_served;
use crate::support::raw::{self, V1_PATH};
use crate::support::server::{plaintext, TestServer};
use function_eks_pod_identity::protocol::response::MAX_MESSAGE_BYTES;
use function_eks_pod_identity::protocol::structs::json_to_struct;
use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient;
use function_eks_pod_identity::protocol::v1::{
    RequestMeta, Resource, RunFunctionRequest, RunFunctionResponse, Severity, State,
};
use function_eks_pod_identity::serve::runtime::Runtime;
use function_eks_pod_identity::serve::service::MAX_ANSWER_BYTES;
use function_eks_pod_identity::serve::{ServerConfig, MAX_CONCURRENT_STREAMS};
use prost::Message;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// How long another client's call may take while a hostile call runs.
const PROMPT: Duration = Duration::from_millis(250);

/// The server's runtime with one worker, as on a one-core machine: the
/// hardest case, since no second worker can answer the others while the
/// hostile call runs.
fn on_server_runtime<F: Future>(test: F) -> F::Output {
    Runtime::per_core()
        .workers(1)
        .run(|| test)
        .expect("start the server runtime")
}

async fn connect(server: &TestServer) -> Channel {
    Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .unwrap()
}

async fn raw_call(channel: Channel, body: Vec<u8>) -> Result<RunFunctionResponse, Status> {
    let answer = raw::raw_call(&channel, V1_PATH, body).await?;
    Ok(RunFunctionResponse::decode(answer.as_slice()).expect("an answer"))
}

/// While `hostile` runs on its own connection, makes well-formed calls and
/// health checks on others, each of which must finish within [`PROMPT`].
/// Returns the hostile call's outcome.
async fn while_others_are_served(
    server: &TestServer,
    hostile: Vec<u8>,
) -> Result<RunFunctionResponse, Status> {
    let hostile_channel = connect(server).await;
    let other = connect(server).await;
    let call = tokio::spawn(raw_call(hostile_channel, hostile));
    let mut checks = 0;
    while !call.is_finished() || checks < 3 {
        let started = Instant::now();
        let health = HealthClient::new(other.clone())
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await;
        assert!(health.is_ok(), "{health:?}");
        let tag = format!("other-{checks}");
        let answer = FunctionRunnerServiceClient::new(other.clone())
            .run_function(RunFunctionRequest {
                meta: Some(RequestMeta {
                    tag: tag.clone(),
                    ..RequestMeta::default()
                }),
                ..RunFunctionRequest::default()
            })
            .await
            .expect("another client's call");
        assert_eq!(answer.into_inner().meta.unwrap().tag, tag);
        let took = started.elapsed();
        assert!(took < PROMPT, "another client waited {took:?}");
        checks += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    call.await.expect("the hostile call's task")
}

fn varint(mut value: usize, out: &mut Vec<u8>) {
    while value >= 0x80 {
        // Low seven bits with the continuation flag; the cast keeps them.
        #[allow(clippy::cast_possible_truncation)]
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(value as u8);
}

fn field(tag: u8, inner: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    varint(inner.len(), &mut out);
    out.extend_from_slice(inner);
    out
}

/// `groups` nested groups of unknown field 15.
fn nested_groups(groups: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 * groups);
    bytes.extend(std::iter::repeat_n(0x7b, groups));
    bytes.extend(std::iter::repeat_n(0x7c, groups));
    bytes
}

/// A request whose `meta` holds `inner` after its tag.
fn with_meta(tag: &str, inner: &[u8]) -> Vec<u8> {
    let mut meta = field(0x0a, tag.as_bytes());
    meta.extend_from_slice(inner);
    field(0x0a, &meta)
}

fn fatal_of(answer: &RunFunctionResponse) -> &str {
    assert_eq!(answer.results.len(), 1, "{answer:?}");
    assert_eq!(answer.results[0].severity, i32::from(Severity::Fatal));
    &answer.results[0].message
}

fn xr(parameters: &Value) -> RunFunctionRequest {
    let Value::Object(xr) = json!({
        "apiVersion": "aws.platform.upbound.io/v1alpha1",
        "kind": "XPodIdentity",
        "metadata": {"name": "hostile"},
        "spec": {"parameters": parameters}
    }) else {
        unreachable!()
    };
    RunFunctionRequest {
        observed: Some(State {
            composite: Some(Resource {
                resource: Some(json_to_struct(xr)),
                ..Resource::default()
            }),
            ..State::default()
        }),
        ..RunFunctionRequest::default()
    }
}

fn parameters() -> Value {
    json!({
        "region": "us-west-2",
        "clusterName": "blue",
        "serviceAccount": {"name": "app", "namespace": "shop"}
    })
}

#[test]
fn deeply_nested_unknown_groups_are_refused_and_serving_goes_on() {
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        // 300,000 groups inside RequestMeta: about 600 kB.
        let in_meta = with_meta("deep", &nested_groups(300_000));
        // The same inside a desired resource's connection details entry.
        let mut entry = field(0x0a, b"k");
        entry.extend(nested_groups(300_000));
        let resource = field(0x12, &entry);
        let resources_entry = [field(0x0a, b"r"), field(0x12, &resource)].concat();
        let in_connection_details = field(0x1a, &field(0x12, &resources_entry));
        for hostile in [in_meta, in_connection_details] {
            let status = while_others_are_served(&server, hostile)
                .await
                .expect_err("nesting past the bound");
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            assert!(status.message().contains("deeper than 10000"), "{status:?}");
        }
        server.stop().await;
    });
}

#[test]
fn groups_within_the_bound_are_accepted_whatever_the_size() {
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        for (size, depth) in [
            (19_980, 1),
            (20_000, 1),
            (20_000, 9_000),
            (4_000_000, 9_997),
        ] {
            let groups = nested_groups(depth);
            // Padding in an unknown length-delimited field (16) of meta.
            let padding_length = size - groups.len() - 20;
            let mut inner = groups;
            inner.extend([0x82, 0x01]);
            varint(padding_length, &mut inner);
            inner.extend(std::iter::repeat_n(b'p', padding_length));
            let request = with_meta("padded", &inner);
            let answer = raw_call(channel.clone(), request)
                .await
                .unwrap_or_else(|status| panic!("{size} bytes, {depth} groups: {status:?}"));
            assert_eq!(answer.meta.unwrap().tag, "padded");
        }
        server.stop().await;
    });
}

#[test]
fn huge_lists_are_refused_at_once_while_others_are_served() {
    let arns: Vec<String> = (0..115_000)
        .map(|index| format!("arn:aws:iam::aws:policy/{index}"))
        .collect();
    let policies: Vec<Value> = (0..30_000)
        .map(|index| json!({"name": format!("p{index}"), "policy": "{}"}))
        .collect();
    let tags: serde_json::Map<String, Value> = (0..100_000)
        .map(|index| (format!("k{index}"), json!("v")))
        .collect();
    let cases = [
        (
            "managedPolicyArns",
            json!(arns),
            "115000 policies; IAM attaches at most 20",
        ),
        (
            "inlinePolicy",
            json!(policies),
            "30000 policies; at most 100 inline policies",
        ),
        ("tags", Value::Object(tags), "100000 tags; AWS allows 50"),
        (
            "managementPolicies",
            json!(vec!["Observe"; 200_000]),
            "200000 policies; a set of at most 6",
        ),
    ];
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        for (name, list, want) in cases {
            let mut parameters = parameters();
            parameters[name] = list;
            let request = xr(&parameters).encode_to_vec();
            assert!(
                request.len() < 4 * 1024 * 1024,
                "{name}: {} bytes",
                request.len()
            );
            let answer = while_others_are_served(&server, request)
                .await
                .unwrap_or_else(|status| panic!("{name}: {status:?}"));
            let message = fatal_of(&answer);
            assert!(message.contains(want), "{name}: {message}");
        }
        server.stop().await;
    });
}

#[test]
fn a_policy_built_to_be_costly_is_cut_short_while_others_are_served() {
    // As many patterns matching nothing across every service as IAM's size
    // limit allows: each would scan the whole catalogue.
    let patterns: Vec<String> = (0..700).map(|n| format!("*:*q{n}z*")).collect();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": patterns, "Resource": "*"}]});
    let mut parameters = parameters();
    parameters["inlinePolicy"] = json!([{"name": "costly", "policy": policy.to_string()}]);
    let linted = xr(&parameters);
    let mut guarded = linted.clone();
    let Value::Object(input) =
        json!({"guardrails": {"inlinePolicies": {"denyAccessLevels": ["Permissions management"]}}})
    else {
        unreachable!()
    };
    guarded.input = Some(json_to_struct(input));
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let answer = while_others_are_served(&server, linted.encode_to_vec())
            .await
            .expect("an answer");
        assert!(
            answer
                .results
                .iter()
                .any(|result| result.message.contains("WARNING POLICY_TOO_COMPLEX")),
            "{:?}",
            answer.results
        );
        let answer = while_others_are_served(&server, guarded.encode_to_vec())
            .await
            .expect("an answer");
        let fatal = fatal_of(&answer);
        assert_eq!(
            fatal
                .matches(
                    "costs more to expand than guardrails.inlinePolicies.denyAccessLevels allows"
                )
                .count(),
            1,
            "{fatal}"
        );
        server.stop().await;
    });
}

#[test]
fn a_fatal_quotes_long_values_shortened_with_their_length() {
    let region: String = (0..2_000_000_u32)
        .map(|index| char::from(u8::try_from(index % 32).unwrap()))
        .collect();
    let mut parameters = parameters();
    parameters["region"] = json!(region);
    parameters["roleName"] = json!("r".repeat(1_000_000));
    let answer = run_as_served(xr(&parameters));
    let message = fatal_of(&answer);
    assert!(message.len() < 4096, "{} bytes", message.len());
    assert!(message.contains("(2000000 bytes in all)"), "{message}");
    assert!(message.contains("(1000000 bytes in all)"), "{message}");
    assert!(message.contains("spec.parameters.region"), "{message}");
    assert!(message.contains("spec.parameters.roleName"), "{message}");
    assert!(answer.encoded_len() <= MAX_MESSAGE_BYTES + 1024);
}

#[test]
fn an_answer_too_large_for_the_caller_becomes_a_small_fatal() {
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        // A desired state (passed through) just under the request limit, to
        // which the composed resources add a few kB.
        let with_filler = |length: usize| {
            let mut request = xr(&parameters());
            let filler = "x".repeat(length);
            let Value::Object(body) = json!({"apiVersion": "v1", "kind": "Filler", "data": filler})
            else {
                unreachable!()
            };
            request.desired = Some(State {
                resources: [(
                    "filler".to_owned(),
                    Resource {
                        resource: Some(json_to_struct(body)),
                        ..Resource::default()
                    },
                )]
                .into(),
                ..State::default()
            });
            request
        };
        let room = 4 * 1024 * 1024 - 64 - with_filler(0).encoded_len();
        let request = with_filler(room);
        assert!(request.encoded_len() < 4 * 1024 * 1024);
        assert!(run_as_served(request.clone()).encoded_len() > MAX_ANSWER_BYTES);
        let answer = raw_call(channel, request.encode_to_vec())
            .await
            .expect("an answer");
        let message = fatal_of(&answer);
        assert!(message.contains("more than the 4194304 bytes"), "{message}");
        assert!(answer.encoded_len() < 1024);
        server.stop().await;
    });
}

#[test]
fn a_connection_that_never_speaks_is_closed_and_one_that_did_is_kept() {
    on_server_runtime(async {
        let server = TestServer::start(ServerConfig {
            first_request_deadline: Duration::from_millis(300),
            ..plaintext()
        })
        .await;
        let mut silent = TcpStream::connect(server.addr).await.unwrap();
        let spoken = connect(&server).await;
        HealthClient::new(spoken.clone())
            .check(HealthCheckRequest::default())
            .await
            .expect("a first request");
        // The server writes its settings, then closes: read to the end.
        let mut bytes = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut bytes)).await;
        assert!(read.is_ok(), "the silent connection was not closed");
        tokio::time::sleep(Duration::from_millis(500)).await;
        HealthClient::new(spoken)
            .check(HealthCheckRequest::default())
            .await
            .expect("a connection that made a request stays open");
        server.stop().await;
    });
}

#[test]
fn the_server_bounds_concurrent_streams() {
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        // The client preface, then an empty SETTINGS frame.
        stream
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
            .await
            .unwrap();
        // The server's first frame is its SETTINGS: 9-byte header, then
        // 6-byte entries of a 16-bit id and a 32-bit value.
        let mut header = [0_u8; 9];
        stream.read_exact(&mut header).await.unwrap();
        assert_eq!(header[3], 0x04, "a SETTINGS frame");
        let length = usize::from(header[1]) << 8 | usize::from(header[2]);
        let mut payload = vec![0_u8; length];
        stream.read_exact(&mut payload).await.unwrap();
        let max_streams = payload.chunks_exact(6).find_map(|entry| {
            (entry[..2] == [0, 3])
                .then(|| u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]))
        });
        assert_eq!(max_streams, Some(MAX_CONCURRENT_STREAMS));
        server.stop().await;
    });
}
