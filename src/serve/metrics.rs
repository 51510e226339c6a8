//! Prometheus metrics: the gRPC server metrics under the names Go functions
//! expose (go-grpc-middleware's Prometheus provider), the function's own
//! counters, and the process metrics, plus the tower layer that observes
//! every call and logs the ones that fail at the transport.
//!
//! Labels come only from fixed tables or from what the function itself
//! answers, never from what a client sends, so no client can grow the
//! registry: a call to a method this server does not serve is neither
//! counted nor labelled.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tonic::codegen::http::{self, HeaderMap};
use tonic::codegen::Service;
use tonic::Code;

use crate::protocol::path;
use crate::protocol::v1::{RunFunctionResponse, Severity};

/// What a scrape of `/metrics` answers with.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of `grpc_server_handling_seconds`: go-grpc-middleware's
/// defaults (the Prometheus client's), so that dashboards' bucket queries
/// match the Go functions'.
const HANDLING_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One method this server serves: its gRPC service, name and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Method {
    path: &'static str,
    service: &'static str,
    name: &'static str,
    kind: &'static str,
    unary: bool,
}

const fn method(
    path: &'static str,
    service: &'static str,
    name: &'static str,
    kind: &'static str,
) -> Method {
    Method {
        path,
        service,
        name,
        kind,
        unary: matches!(kind.as_bytes(), b"unary"),
    }
}

/// Every method served, as go-grpc-middleware labels them: Go counts every
/// registered service, so health and reflection are counted too.
const METHODS: [Method; 6] = [
    method(
        "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction",
        "apiextensions.fn.proto.v1.FunctionRunnerService",
        "RunFunction",
        "unary",
    ),
    method(
        "/apiextensions.fn.proto.v1beta1.FunctionRunnerService/RunFunction",
        "apiextensions.fn.proto.v1beta1.FunctionRunnerService",
        "RunFunction",
        "unary",
    ),
    method(
        "/grpc.health.v1.Health/Check",
        "grpc.health.v1.Health",
        "Check",
        "unary",
    ),
    method(
        "/grpc.health.v1.Health/Watch",
        "grpc.health.v1.Health",
        "Watch",
        "server_stream",
    ),
    method(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "grpc.reflection.v1.ServerReflection",
        "ServerReflectionInfo",
        "bidi_stream",
    ),
    method(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "grpc.reflection.v1alpha.ServerReflection",
        "ServerReflectionInfo",
        "bidi_stream",
    ),
];

fn method_of(path: &str) -> Option<&'static Method> {
    METHODS.iter().find(|method| method.path == path)
}

// The label names are go-grpc-middleware's, prefix and all.
#[allow(clippy::struct_field_names)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodLabels {
    grpc_type: &'static str,
    grpc_service: &'static str,
    grpc_method: &'static str,
}

// The label names are go-grpc-middleware's, prefix and all.
#[allow(clippy::struct_field_names)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HandledLabels {
    grpc_type: &'static str,
    grpc_service: &'static str,
    grpc_method: &'static str,
    grpc_code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ResultLabels {
    severity: &'static str,
    reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// A lint finding's labels: both from fixed sets, never from a claim's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FindingLabels {
    severity: &'static str,
    check: &'static str,
}

/// Every metric this server keeps, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    started: Family<MethodLabels, Counter>,
    handled: Family<HandledLabels, Counter>,
    received: Family<MethodLabels, Counter>,
    sent: Family<MethodLabels, Counter>,
    handling: Family<MethodLabels, Histogram>,
    results: Family<ResultLabels, Counter>,
    composed: Family<KindLabels, Counter>,
    findings: Family<FindingLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry holding every metric, the process metrics among them.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let started = Family::<MethodLabels, Counter>::default();
        let handled = Family::<HandledLabels, Counter>::default();
        let received = Family::<MethodLabels, Counter>::default();
        let sent = Family::<MethodLabels, Counter>::default();
        let handling = Family::<MethodLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(HANDLING_BUCKETS)) as fn() -> Histogram,
        );
        let results = Family::<ResultLabels, Counter>::default();
        let composed = Family::<KindLabels, Counter>::default();
        let findings = Family::<FindingLabels, Counter>::default();
        // The encoder appends `_total` to counters' names.
        registry.register(
            "grpc_server_started",
            "Total number of RPCs started on the server.",
            started.clone(),
        );
        registry.register(
            "grpc_server_handled",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            handled.clone(),
        );
        registry.register(
            "grpc_server_msg_received",
            "Total number of RPC stream messages received on the server.",
            received.clone(),
        );
        registry.register(
            "grpc_server_msg_sent",
            "Total number of gRPC stream messages sent by the server.",
            sent.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
            Family::clone(&handling),
        );
        registry.register(
            "function_results",
            "Results the function returned, by severity and reason.",
            results.clone(),
        );
        registry.register(
            "function_composed_resources",
            "Composed resources the function returned, by kind.",
            composed.clone(),
        );
        registry.register(
            "function_policy_findings",
            "Findings of the policy lint in the claims' inline policies, by severity and check.",
            findings.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector::new()));
        Self {
            registry,
            started,
            handled,
            received,
            sent,
            handling,
            results,
            composed,
            findings,
        }
    }

    /// Every metric in the Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    /// Counts what one answer of the function holds: its results by
    /// severity and reason, its composed resources by kind.
    pub fn count_answer(&self, answer: &RunFunctionResponse) {
        for result in &answer.results {
            let labels = ResultLabels {
                severity: severity_name(result.severity),
                reason: result.reason.clone().unwrap_or_default(),
            };
            self.results.get_or_create(&labels).inc();
        }
        let resources = answer
            .desired
            .iter()
            .flat_map(|state| state.resources.values());
        // Tallied first, so that each kind costs one label lookup (and one
        // label allocation) per call, not one per resource.
        let mut kinds: Vec<(&str, u64)> = Vec::new();
        for resource in resources {
            let kind = resource
                .resource
                .as_ref()
                .and_then(|body| path::text(body, &["kind"]))
                .unwrap_or_default();
            match kinds.iter_mut().find(|(seen, _)| *seen == kind) {
                Some((_, count)) => *count += 1,
                None => kinds.push((kind, 1)),
            }
        }
        for (kind, count) in kinds {
            let labels = KindLabels {
                kind: kind.to_owned(),
            };
            self.composed.get_or_create(&labels).inc_by(count);
        }
    }

    /// Counts one call's lint findings, given as (severity, check) names.
    pub fn count_findings(&self, findings: impl IntoIterator<Item = (&'static str, &'static str)>) {
        // Tallied first: a policy's findings often repeat one check.
        let mut tally: Vec<((&'static str, &'static str), u64)> = Vec::new();
        for labels in findings {
            match tally.iter_mut().find(|(seen, _)| *seen == labels) {
                Some((_, count)) => *count += 1,
                None => tally.push((labels, 1)),
            }
        }
        for ((severity, check), count) in tally {
            self.findings
                .get_or_create(&FindingLabels { severity, check })
                .inc_by(count);
        }
    }

    fn start(&self, method: &Method) {
        let labels = method_labels(method);
        self.started.get_or_create(&labels).inc();
        if method.unary {
            self.received.get_or_create(&labels).inc();
        }
    }

    fn finish(&self, method: &Method, code: Code, started: Instant) {
        let labels = method_labels(method);
        let handled = HandledLabels {
            grpc_type: method.kind,
            grpc_service: method.service,
            grpc_method: method.name,
            grpc_code: code_name(code),
        };
        self.handled.get_or_create(&handled).inc();
        if method.unary && code == Code::Ok {
            self.sent.get_or_create(&labels).inc();
        }
        self.handling
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
    }
}

fn method_labels(method: &Method) -> MethodLabels {
    MethodLabels {
        grpc_type: method.kind,
        grpc_service: method.service,
        grpc_method: method.name,
    }
}

fn severity_name(severity: i32) -> &'static str {
    match Severity::try_from(severity) {
        Ok(Severity::Fatal) => "Fatal",
        Ok(Severity::Warning) => "Warning",
        Ok(Severity::Normal) => "Normal",
        Ok(Severity::Unspecified) | Err(_) => "Unspecified",
    }
}

/// A code as Go's `codes.Code.String()` spells it, which is what
/// go-grpc-middleware puts in `grpc_code`.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// The process metrics every Prometheus client library exports, read from
/// `/proc/self` at scrape time (Linux only; elsewhere they are left out).
#[derive(Debug)]
struct ProcessCollector {
    start_time_seconds: Option<f64>,
}

/// Clock ticks per second of `/proc/self/stat`'s times: `USER_HZ`, which
/// Linux fixes at 100 on every architecture Kubernetes runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// `/proc`'s page size on the architectures Kubernetes nodes run (x86-64
/// and arm64 with 4 KiB pages).
const PAGE_BYTES: u64 = 4096;

impl ProcessCollector {
    fn new() -> Self {
        Self {
            start_time_seconds: start_time_seconds(),
        }
    }
}

/// The fields of `/proc/self/stat` after the command name, which may itself
/// hold spaces and parentheses, so it is skipped up to its last `)`.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().collect())
}

/// CPU seconds (user plus system) and resident bytes of this process.
fn cpu_and_rss() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields = stat_fields(&stat)?;
    // Fields counted from the state (field 3 of proc(5)): utime is 14,
    // stime 15, rss 24.
    let ticks = |index: usize| fields.get(index)?.parse::<u64>().ok();
    let cpu = ticks(11)?.saturating_add(ticks(12)?);
    let rss_pages = ticks(21)?;
    #[allow(clippy::cast_precision_loss)] // Seconds of CPU fit a double's 52 bits for ages.
    let seconds = cpu as f64 / TICKS_PER_SECOND;
    Some((seconds, rss_pages.saturating_mul(PAGE_BYTES)))
}

/// When the process started, in seconds since the epoch: the boot time of
/// `/proc/stat` plus the start ticks of `/proc/self/stat`.
fn start_time_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields = stat_fields(&stat)?;
    // starttime is field 22 of proc(5).
    let start_ticks: u64 = fields.get(19)?.parse().ok()?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let boot_seconds: u64 = boot
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    #[allow(clippy::cast_precision_loss)] // Epoch seconds fit a double exactly.
    let started_at = boot_seconds as f64 + start_ticks as f64 / TICKS_PER_SECOND;
    Some(started_at)
}

/// Open file descriptors; the directory's own handle is not counted.
fn open_fds() -> Option<i64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    let count = entries.count().saturating_sub(1);
    i64::try_from(count).ok()
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        if let Some((cpu_seconds, rss_bytes)) = cpu_and_rss() {
            let cpu = ConstCounter::new(cpu_seconds);
            cpu.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds.",
                None,
                MetricType::Counter,
            )?)?;
            let rss = ConstGauge::new(i64::try_from(rss_bytes).unwrap_or(i64::MAX));
            rss.encode(encoder.encode_descriptor(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                None,
                MetricType::Gauge,
            )?)?;
        }
        if let Some(fds) = open_fds() {
            ConstGauge::new(fds).encode(encoder.encode_descriptor(
                "process_open_fds",
                "Number of open file descriptors.",
                None,
                MetricType::Gauge,
            )?)?;
        }
        if let Some(start) = self.start_time_seconds {
            ConstGauge::new(start).encode(encoder.encode_descriptor(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                None,
                MetricType::Gauge,
            )?)?;
        }
        Ok(())
    }
}

/// Observes every call: counts it when metrics are on, and logs it at warn
/// when it ends with a status other than OK, which only the transport (a
/// malformed or oversized request, a cancelled call) produces: the function
/// itself answers refusals with a FATAL result and status OK.
#[derive(Debug, Clone)]
pub struct ObserveLayer {
    metrics: Option<Arc<Metrics>>,
}

impl ObserveLayer {
    /// Observes calls, counting them in `metrics` if any.
    #[must_use]
    pub fn new(metrics: Option<Arc<Metrics>>) -> Self {
        Self { metrics }
    }
}

impl<S> tower_layer::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`ObserveLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Option<Arc<Metrics>>,
}

/// One call being observed; it records its end exactly once.
#[derive(Debug)]
struct Call {
    method: &'static Method,
    metrics: Option<Arc<Metrics>>,
    started: Instant,
    done: bool,
}

impl Call {
    fn finish(&mut self, code: Code, headers: Option<&HeaderMap>) {
        if self.done {
            return;
        }
        self.done = true;
        if let Some(metrics) = &self.metrics {
            metrics.finish(self.method, code, self.started);
        }
        if code != Code::Ok {
            let message = headers
                .and_then(|headers| headers.get("grpc-message"))
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::warn!(
                grpc_service = self.method.service,
                grpc_method = self.method.name,
                grpc_code = code_name(code),
                message,
                "call failed"
            );
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // The body was dropped before its trailers: the client went away.
        self.finish(Code::Cancelled, None);
    }
}

fn status_in(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|value| Code::from_bytes(value.as_bytes()))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for Observe<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    ResponseBody: http_body::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    ResponseBody::Error: Into<BoxError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let call = method_of(request.uri().path()).map(|method| {
            if let Some(metrics) = &self.metrics {
                metrics.start(method);
            }
            Call {
                method,
                metrics: self.metrics.clone(),
                started: Instant::now(),
                done: false,
            }
        });
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            let Some(mut call) = call else {
                return Ok(response.map(tonic::body::Body::new));
            };
            // A trailers-only response carries its status in the headers.
            if let Some(code) = status_in(response.headers()) {
                call.finish(code, Some(response.headers()));
                return Ok(response.map(tonic::body::Body::new));
            }
            Ok(response.map(|body| {
                // Boxed first, so that the tracker needs no pin projection.
                let inner = tonic::body::Body::new(body);
                tonic::body::Body::new(Tracked { inner, call })
            }))
        })
    }
}

/// A response body that records its call's status from its trailers.
#[derive(Debug)]
struct Tracked<B> {
    inner: B,
    call: Call,
}

impl<B: http_body::Body + Unpin> http_body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = status_in(trailers).unwrap_or(Code::Unknown);
                    self.call.finish(code, Some(trailers));
                }
            }
            Poll::Ready(Some(Err(_))) => self.call.finish(Code::Internal, None),
            Poll::Ready(None) => self.call.finish(Code::Unknown, None),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spelled_as_go_spells_them() {
        assert_eq!(code_name(Code::InvalidArgument), "InvalidArgument");
        assert_eq!(code_name(Code::Cancelled), "Canceled");
        assert_eq!(code_name(Code::Ok), "OK");
    }

    #[test]
    fn a_command_name_with_parentheses_does_not_shift_the_fields() {
        let stat = "42 (a) b) S 1 2 3 4 5 6 7 8 9 10 11";
        let fields = stat_fields(stat).unwrap();
        assert_eq!(fields[0], "S");
        assert_eq!(fields[11], "11");
    }

    #[test]
    fn the_process_metrics_are_read_on_linux() {
        let text = Metrics::new().encode().unwrap();
        for name in [
            "process_cpu_seconds_total ",
            "process_resident_memory_bytes ",
            "process_open_fds ",
            "process_start_time_seconds ",
        ] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }

    #[test]
    fn unknown_paths_are_not_labelled() {
        assert!(method_of("/grpc.health.v1.Health/Check").is_some());
        assert!(method_of("/attacker.Service/Anything").is_none());
    }
}
