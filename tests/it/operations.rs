//! Operating the real binary like a Go function: its `/metrics` after real
//! calls (exact counters and labels), its log lines, server reflection, and
//! every flag taken from its environment variable.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::raw::{raw_call, V1_PATH};
use crate::support::server::{plaintext, TestServer};
use function_eks_pod_identity::protocol::structs::json_to_struct;
use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient as V1Client;
use function_eks_pod_identity::protocol::v1::{
    RequestMeta, Resource, RunFunctionRequest, RunFunctionResponse, Severity, State,
};
use function_eks_pod_identity::protocol::v1beta1::function_runner_service_client::FunctionRunnerServiceClient as V1beta1Client;
use serde_json::Value;
use tonic::transport::Channel;
use tonic::Code;

const BINARY: &str = env!("CARGO_BIN_EXE_function-eks-pod-identity");
const V1: &str = "apiextensions.fn.proto.v1.FunctionRunnerService";
const V1BETA1: &str = "apiextensions.fn.proto.v1beta1.FunctionRunnerService";

/// Every variable the binary reads, cleared so the caller's environment
/// cannot change what a test sees.
const VARIABLES: [&str; 7] = [
    "FUNCTION_ADDRESS",
    "FUNCTION_INSECURE",
    "FUNCTION_DEBUG",
    "FUNCTION_MAX_RECV_MESSAGE_SIZE",
    "FUNCTION_METRICS_ADDRESS",
    "FUNCTION_TTL",
    "TLS_SERVER_CERTS_DIR",
];

/// The binary, serving, with every line it has written to stderr.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    address: SocketAddr,
    metrics: Option<SocketAddr>,
    /// How many lines it had written once it was serving.
    startup_lines: usize,
}

impl Running {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BINARY);
        command.args(args);
        for variable in VARIABLES {
            command.env_remove(variable);
        }
        command.envs(env.iter().copied());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&lines);
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let mut running = Self {
            child,
            lines,
            address: SocketAddr::from(([0, 0, 0, 0], 0)),
            metrics: None,
            startup_lines: 0,
        };
        let serving = running.wait_for(|line| field(line, "address").is_some());
        running.address = field(&serving, "address").unwrap().parse().unwrap();
        let lines = running.lines();
        running.metrics = lines
            .iter()
            .find_map(|line| field(line, "metrics_address"))
            .map(|address| address.parse().unwrap());
        running.startup_lines = lines.len();
        running
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The first line `wanted` accepts, waiting up to 20 s for it.
    fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(line) = self.lines().into_iter().find(|line| wanted(line)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no such line in time; the binary wrote:\n{}",
                self.lines().join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The lines written after startup, once `count` of them have arrived
    /// and a short while has passed without more.
    fn lines_after_startup(&self, count: usize) -> Vec<String> {
        self.wait_for(|_| self.lines().len() >= self.startup_lines + count);
        thread::sleep(Duration::from_millis(300));
        self.lines().split_off(self.startup_lines)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of a log line: JSON (`"fields":{"key":"value"}`) or the
/// human-readable `--debug` form (` key=value`).
fn field(line: &str, key: &str) -> Option<String> {
    if let Ok(record) = serde_json::from_str::<Value>(line) {
        let value = record.pointer(&format!("/fields/{key}"))?;
        return Some(
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        );
    }
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    let value = line.get(start..)?.split_whitespace().next()?;
    Some(value.trim_matches('"').to_owned())
}

/// `GET /metrics`, as a scraper sends it; the body of a 200 answer.
fn scrape(address: SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: function\r\nAccept: text/plain\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    body.to_owned()
}

/// The samples of a scrape whose name starts with `prefix`, series to value.
fn samples(text: &str, prefix: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit_once(' '))
        .map(|(series, value)| (series.to_owned(), value.to_owned()))
        .collect()
}

fn assert_same_samples(
    what: &str,
    want: &BTreeMap<String, String>,
    got: &BTreeMap<String, String>,
) {
    if want == got {
        return;
    }
    let mut diff = String::new();
    for series in want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (want.get(series), got.get(series)) {
            (Some(w), Some(g)) if w == g => {
                let _ = writeln!(diff, "  {series} {w}");
            }
            (w, g) => {
                if let Some(w) = w {
                    let _ = writeln!(diff, "- {series} {w}");
                }
                if let Some(g) = g {
                    let _ = writeln!(diff, "+ {series} {g}");
                }
            }
        }
    }
    panic!("{what}: -want +got\n{diff}");
}

/// The example XR, with `region` replaced if given.
fn request(tag: &str, region: Option<&str>) -> RunFunctionRequest {
    let text = std::fs::read_to_string("examples/render/xr.yaml").unwrap();
    let mut xr: Value = serde_norway::from_str(&text).unwrap();
    if let Some(region) = region {
        xr["spec"]["parameters"]["region"] = Value::from(region);
    }
    let Value::Object(xr) = xr else {
        panic!("the example XR is not an object")
    };
    RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: tag.to_owned(),
            ..RequestMeta::default()
        }),
        observed: Some(State {
            composite: Some(Resource {
                resource: Some(json_to_struct(xr)),
                ..Resource::default()
            }),
            resources: BTreeMap::new().into_iter().collect(),
        }),
        ..RunFunctionRequest::default()
    }
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn channel(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Kinds and results of `answers`, counted as the metrics should count them.
fn expected_function_samples(answers: &[&RunFunctionResponse]) -> BTreeMap<String, String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for answer in answers {
        for result in &answer.results {
            let severity = match Severity::try_from(result.severity) {
                Ok(Severity::Fatal) => "Fatal",
                Ok(Severity::Warning) => "Warning",
                Ok(Severity::Normal) => "Normal",
                _ => "Unspecified",
            };
            let reason = result.reason.clone().unwrap_or_default();
            *counts
                .entry(format!(
                    r#"function_results_total{{severity="{severity}",reason="{reason}"}}"#
                ))
                .or_default() += 1;
        }
        for resource in answer
            .desired
            .iter()
            .flat_map(|state| state.resources.values())
        {
            let body = resource.resource.as_ref().unwrap();
            let kind = match body
                .fields
                .get("kind")
                .and_then(|value| value.kind.as_ref())
            {
                Some(prost_types::value::Kind::StringValue(kind)) => kind.clone(),
                other => panic!("a composed resource without a kind: {other:?}"),
            };
            *counts
                .entry(format!(
                    r#"function_composed_resources_total{{kind="{kind}"}}"#
                ))
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(series, count)| (series, count.to_string()))
        .collect()
}

/// What the calls of the metrics test leave in the gRPC server metrics:
/// three v1 calls (two answered, one malformed), one v1beta1 call.
fn want_grpc_samples() -> BTreeMap<String, String> {
    let series = |name: &str, service: &str, extra: &str| {
        format!(
            r#"{name}{{grpc_type="unary",grpc_service="{service}",grpc_method="RunFunction"{extra}}}"#
        )
    };
    [
        (series("grpc_server_started_total", V1, ""), "3"),
        (series("grpc_server_started_total", V1BETA1, ""), "1"),
        (
            series("grpc_server_handled_total", V1, r#",grpc_code="OK""#),
            "2",
        ),
        (
            series(
                "grpc_server_handled_total",
                V1,
                r#",grpc_code="InvalidArgument""#,
            ),
            "1",
        ),
        (
            series("grpc_server_handled_total", V1BETA1, r#",grpc_code="OK""#),
            "1",
        ),
        (series("grpc_server_msg_received_total", V1, ""), "3"),
        (series("grpc_server_msg_received_total", V1BETA1, ""), "1"),
        (series("grpc_server_msg_sent_total", V1, ""), "2"),
        (series("grpc_server_msg_sent_total", V1BETA1, ""), "1"),
        (series("grpc_server_handling_seconds_count", V1, ""), "3"),
        (
            series("grpc_server_handling_seconds_count", V1BETA1, ""),
            "1",
        ),
        (
            series("grpc_server_handling_seconds_bucket", V1, r#",le="+Inf""#),
            "3",
        ),
        (
            series(
                "grpc_server_handling_seconds_bucket",
                V1BETA1,
                r#",le="+Inf""#,
            ),
            "1",
        ),
    ]
    .into_iter()
    .map(|(series, value)| (series, value.to_owned()))
    .collect()
}

#[test]
fn metrics_count_both_versions_a_fatal_and_a_transport_error_and_the_log_has_one_line_for_each_failure(
) {
    let running = Running::start(
        &[
            "--insecure",
            "--address",
            "127.0.0.1:0",
            "--metrics-address",
            "127.0.0.1:0",
        ],
        &[],
    );
    let metrics = running
        .metrics
        .expect("the binary logged its metrics address");
    let (ok_v1, ok_v1beta1, fatal, malformed) = client_runtime().block_on(async {
        let channel = channel(running.address).await;
        let mut v1 = V1Client::new(channel.clone());
        let mut v1beta1 = V1beta1Client::new(channel.clone());
        let ok_v1 = v1
            .run_function(request("ok-v1", None))
            .await
            .unwrap()
            .into_inner();
        let ok_v1beta1 = v1beta1
            .run_function(request("ok-v1beta1", None))
            .await
            .unwrap()
            .into_inner();
        let fatal = v1
            .run_function(request("refused", Some("mars-north-1")))
            .await
            .unwrap()
            .into_inner();
        let malformed = raw_call(&channel, V1_PATH, vec![0x0a, 0x05, 0x01])
            .await
            .expect_err("a malformed request is refused");
        (ok_v1, ok_v1beta1, fatal, malformed)
    });
    assert_eq!(malformed.code(), Code::InvalidArgument, "{malformed:?}");
    let fatal_result = fatal
        .results
        .iter()
        .find(|result| result.severity == i32::from(Severity::Fatal))
        .expect("an unknown region is refused with a FATAL result");
    assert!(
        ok_v1
            .results
            .iter()
            .chain(&ok_v1beta1.results)
            .all(|result| result.severity != i32::from(Severity::Fatal)),
        "the example XR is refused: {ok_v1:?}"
    );

    let text = scrape(metrics);
    let want_grpc = want_grpc_samples();
    let mut got_grpc = samples(&text, "grpc_server_");
    got_grpc.retain(|series, _| {
        let sum = series.starts_with("grpc_server_handling_seconds_sum");
        let finite_bucket = series.starts_with("grpc_server_handling_seconds_bucket")
            && !series.contains(r#"le="+Inf""#);
        !sum && !finite_bucket
    });
    assert_same_samples("gRPC server metrics", &want_grpc, &got_grpc);

    let mut got_function = samples(&text, "function_");
    let want_function = expected_function_samples(&[&ok_v1, &ok_v1beta1, &fatal]);
    assert_same_samples("function metrics", &want_function, &got_function);
    let reason = fatal_result.reason.clone().unwrap_or_default();
    assert_eq!(
        got_function.remove(&format!(
            r#"function_results_total{{severity="Fatal",reason="{reason}"}}"#
        )),
        Some("1".to_owned())
    );
    assert_eq!(
        got_function.remove(r#"function_composed_resources_total{kind="Role"}"#),
        Some("2".to_owned()),
        "one Role per composed call"
    );
    for process in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        let value = samples(&text, process)
            .remove(process)
            .unwrap_or_else(|| panic!("{process} missing from\n{text}"));
        // A short-lived process may not have used a whole clock tick yet.
        let floor = if process == "process_cpu_seconds_total" {
            0.0
        } else {
            1.0
        };
        assert!(value.parse::<f64>().unwrap() >= floor, "{process} {value}");
    }

    assert_failure_lines(&running, &fatal_result.message);
}

/// The example XR with a policy of three findings: an `ERROR`, a
/// `SECURITY_WARNING` and a `WARNING`.
fn request_with_findings(tag: &str) -> RunFunctionRequest {
    let mut request = request(tag, None);
    let xr = request
        .observed
        .as_mut()
        .and_then(|state| state.composite.as_mut())
        .and_then(|composite| composite.resource.as_mut())
        .unwrap();
    let mut json =
        Value::Object(function_eks_pod_identity::protocol::structs::struct_to_json(xr).unwrap());
    json["spec"]["parameters"]["inlinePolicy"][0]["policy"] = Value::from(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "kms:Decryptt"], "Resource": "*"}]}"#,
    );
    let Value::Object(json) = json else {
        panic!("the example XR is not an object")
    };
    *xr = json_to_struct(json);
    request
}

#[test]
fn metrics_count_every_policy_finding_by_severity_and_check() {
    let running = Running::start(
        &[
            "--insecure",
            "--address",
            "127.0.0.1:0",
            "--metrics-address",
            "127.0.0.1:0",
        ],
        &[],
    );
    let metrics = running
        .metrics
        .expect("the binary logged its metrics address");
    let answers = client_runtime().block_on(async {
        let mut v1 = V1Client::new(channel(running.address).await);
        let mut answers = Vec::new();
        for tag in ["one", "two"] {
            answers.push(
                v1.run_function(request_with_findings(tag))
                    .await
                    .unwrap()
                    .into_inner(),
            );
        }
        answers
    });
    // The ERROR and SECURITY_WARNING are Warning results; the WARNING is
    // only counted.
    assert!(
        answers.iter().all(|answer| answer.results.len() == 2),
        "{answers:?}"
    );
    let got = samples(&scrape(metrics), "function_policy_findings_total");
    let want: BTreeMap<String, String> = [
        ("ERROR", "INVALID_ACTION"),
        ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        ("WARNING", "RESOURCE_STAR"),
    ]
    .into_iter()
    .map(|(severity, check)| {
        (
            format!(r#"function_policy_findings_total{{severity="{severity}",check="{check}"}}"#),
            "2".to_owned(),
        )
    })
    .collect();
    assert_same_samples("finding metrics", &want, &got);
}

/// One line for the refusal and one for the transport error; nothing for
/// the calls that succeeded.
fn assert_failure_lines(running: &Running, fatal_message: &str) {
    let lines = running.lines_after_startup(2);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let refusal = &lines[0];
    assert_eq!(
        field(refusal, "tag").as_deref(),
        Some("refused"),
        "{refusal}"
    );
    assert_eq!(
        field(refusal, "xr_kind").as_deref(),
        Some("XPodIdentity"),
        "{refusal}"
    );
    assert_eq!(
        field(refusal, "xr_name").as_deref(),
        Some("render-example"),
        "{refusal}"
    );
    assert_eq!(
        field(refusal, "message").as_deref(),
        Some(fatal_message),
        "{refusal}"
    );
    let transport = &lines[1];
    assert_eq!(
        field(transport, "grpc_code").as_deref(),
        Some("InvalidArgument"),
        "{transport}"
    );
    assert_eq!(
        field(transport, "grpc_service").as_deref(),
        Some(V1),
        "{transport}"
    );
    for line in &lines {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["level"], "WARN", "{line}");
    }
}

#[test]
fn an_idle_or_oversized_scraper_does_not_stall_calls_or_other_scrapes() {
    let running = Running::start(
        &[
            "--insecure",
            "--address",
            "127.0.0.1:0",
            "--metrics-address",
            "127.0.0.1:0",
        ],
        &[],
    );
    let metrics = running.metrics.unwrap();
    // More idle connections than the endpoint serves at once.
    let idle: Vec<TcpStream> = (0..16)
        .map(|_| TcpStream::connect(metrics).unwrap())
        .collect();
    let started = Instant::now();
    let answer = client_runtime().block_on(async {
        let mut v1 = V1Client::new(channel(running.address).await);
        v1.run_function(request("while-idle", None))
            .await
            .unwrap()
            .into_inner()
    });
    assert_eq!(answer.meta.unwrap().tag, "while-idle");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // An endless request head is cut off rather than buffered.
    let mut hostile = TcpStream::connect(metrics).unwrap();
    hostile
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut sent = 0;
    let chunk = [b'a'; 1024];
    while sent < 64 * 1024 {
        if hostile.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut rest = Vec::new();
    let _ = hostile.read_to_end(&mut rest);
    assert!(rest.is_empty(), "an oversized request got an answer");
    drop(idle);
    // Once the idle scrapers are gone, scraping works again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = TcpStream::connect(metrics).unwrap();
        stream.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        if answer.starts_with("HTTP/1.1 200 OK") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no scrape served after the idle ones left"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn reflection_lists_both_protocol_versions_and_health() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = TestServer::start(plaintext()).await;
        let channel = channel(server.addr).await;
        let list = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut client = ServerReflectionClient::new(channel.clone());
        let mut answers = client
            .server_reflection_info(tokio_stream::iter([list]))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(listed)) = answer.message_response else {
            panic!("not a service list: {answer:?}");
        };
        let mut names: Vec<String> = listed.service.into_iter().map(|service| service.name).collect();
        names.sort();
        assert_eq!(
            names,
            [
                V1,
                V1BETA1,
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
            ],
        );

        // Describing a service needs its file, with every import.
        let describe = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(V1BETA1.to_owned())),
        };
        let mut answers = client
            .server_reflection_info(tokio_stream::iter([describe]))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.message().await.unwrap().unwrap();
        let Some(MessageResponse::FileDescriptorResponse(files)) = answer.message_response else {
            panic!("no file for {V1BETA1}: {answer:?}");
        };
        assert!(!files.file_descriptor_proto.is_empty());

        // Older tools ask v1alpha.
        let alpha_list = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest::ListServices(
                    String::new(),
                ),
            ),
        };
        let mut alpha = AlphaClient::new(channel);
        let mut answers = alpha
            .server_reflection_info(tokio_stream::iter([alpha_list]))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.message().await.unwrap().unwrap();
        assert!(format!("{answer:?}").contains(V1BETA1), "{answer:?}");
        server.stop().await;
    });
}

#[test]
fn every_flag_can_come_from_its_environment_variable() {
    let running = Running::start(
        &[],
        &[
            ("FUNCTION_ADDRESS", "127.0.0.1:0"),
            ("FUNCTION_INSECURE", "true"),
            ("FUNCTION_METRICS_ADDRESS", "127.0.0.1:0"),
            ("FUNCTION_TTL", "5m"),
            ("FUNCTION_MAX_RECV_MESSAGE_SIZE", "1"),
            ("FUNCTION_DEBUG", "true"),
        ],
    );
    assert!(
        running.address.ip().is_loopback(),
        "FUNCTION_ADDRESS: {}",
        running.address
    );
    let metrics = running
        .metrics
        .expect("FUNCTION_METRICS_ADDRESS: no metrics address logged");
    let (answer, oversized) = client_runtime().block_on(async {
        // Plaintext answers: FUNCTION_INSECURE.
        let mut v1 = V1Client::new(channel(running.address).await);
        let answer = v1
            .run_function(request("from-env", None))
            .await
            .unwrap()
            .into_inner();
        let mut big = request("too-big", None);
        big.context = Some(json_to_struct(
            [("padding".to_owned(), Value::from("x".repeat(1536 * 1024)))]
                .into_iter()
                .collect(),
        ));
        let oversized = v1
            .run_function(big)
            .await
            .expect_err("1.5 MB over a 1 MB limit");
        (answer, oversized)
    });
    assert_eq!(
        answer.meta.unwrap().ttl.map(|ttl| ttl.seconds),
        Some(300),
        "FUNCTION_TTL"
    );
    assert_eq!(
        oversized.code(),
        Code::ResourceExhausted,
        "FUNCTION_MAX_RECV_MESSAGE_SIZE: {oversized:?}"
    );
    assert!(
        scrape(metrics).contains("grpc_server_started_total"),
        "FUNCTION_METRICS_ADDRESS"
    );
    // FUNCTION_DEBUG: human-readable lines, one per call.
    let line = running.wait_for(|line| line.contains("from-env"));
    assert!(
        line.contains("RunFunction") && line.contains("DEBUG"),
        "{line}"
    );
    assert!(serde_json::from_str::<Value>(&line).is_err(), "{line}");
}

#[test]
fn an_empty_metrics_address_turns_metrics_off_and_the_certs_directory_comes_from_the_environment() {
    let running = Running::start(
        &["--address", "127.0.0.1:0"],
        &[
            ("FUNCTION_METRICS_ADDRESS", ""),
            ("TLS_SERVER_CERTS_DIR", "tests/fixtures/tls/server"),
        ],
    );
    assert_eq!(running.metrics, None, "{:#?}", running.lines());
    let serving = running.wait_for(|line| field(line, "address").is_some());
    assert_eq!(field(&serving, "tls").as_deref(), Some("true"), "{serving}");
}

#[test]
fn a_false_boolean_variable_is_false() {
    // FUNCTION_INSECURE=false with no certificates must refuse to start.
    let output = Command::new(BINARY)
        .args(["--address", "127.0.0.1:0", "--metrics-address", ""])
        .env_remove("TLS_SERVER_CERTS_DIR")
        .env("FUNCTION_INSECURE", "false")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no TLS certificates"), "{stderr}");
}
