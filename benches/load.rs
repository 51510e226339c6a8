//! Load benchmark: the real server binary against a gRPC floor, over
//! loopback, in one run.
//!
//! `cargo bench --bench load`; add `-- --smoke` (or set `LOAD_SMOKE=1`) for
//! a short run of the same code path, which is also what a run without
//! `--bench` makes (as `cargo test --benches` runs it).
//!
//! Cargo builds the server binary for every bench, in the same profile as
//! the bench; this one starts it (or the build `LOAD_FUNCTION_BINARY`
//! names) with `--insecure --address 127.0.0.1:0` and reads the bound
//! address off its JSON log line. The floor is this bench executable
//! itself, started again with `--serve-floor`: the same tonic server,
//! listener settings and runtime, answering `RunFunction` by echoing the
//! desired state, with what tonic-prost-build generates by default around
//! it: prost's own codec decoding the whole request, on the system
//! allocator. The function's codec measures the request's nesting on the
//! wire first (one extra pass), then decodes it with prost less what the
//! function never reads of the observed resources, and the function
//! composes on mimalloc. So the floor is what serving a request costs a
//! plain tonic server, and the ratio says whether composing costs more
//! than decoding only what is read saves.
//! `cargo bench --bench compose` counts the same floor's work too. With
//! two or more cores allowed, both servers run pinned to the first and the
//! load generator to the second.
//!
//! Measured for each server: spawn to the first answered call; calls per
//! second, p50, p90 and p99 latency and server CPU time per call, for 1
//! call at a time and for 16 concurrent calls on one connection; resident
//! memory when idle, after load, and its growth across the 16-concurrent
//! calls. Each phase is cut into rounds that take turns between the two
//! servers, so that whatever else the machine does weighs on both alike;
//! the median of the rounds' own p99s shows whether a high p99 comes from
//! every round or from a few the host slowed. Child processes are killed on
//! the way out, error or not.
//!
//! Last, the function, the floor and the Python peer (the same composition
//! written with Crossplane's Python SDK, `benches/peer/compose_peer.py`, run
//! from the test suite's virtualenv) take turns at 16 concurrent calls, with
//! the small request and with the large one of `support::large`: 33 observed
//! resources with managed fields, as a settled XR sends them. The peer's
//! answers are checked for no FATAL and the function's keys, as its
//! encoding differs.
//!
//! On a virtual machine a core with nothing to run halts, and the host may
//! give its physical CPU to another guest; the next packet then waits until
//! the host schedules the core again, which is counted as steal and lands on
//! every call in flight. That is the host's latency, not a server's, and
//! alike for both. So while it runs, the bench keeps both cores from halting
//! with a spinner each ([`SPIN`]) at the `SCHED_IDLE` priority, which runs
//! only when nothing else on its core can and gives way at once when
//! anything wakes. `LOAD_KEEP_AWAKE=0` lets the cores halt instead.
//!
//! The load generator must cost less than the servers, or it measures
//! itself: it speaks plain HTTP/2 (the `h2` crate under tonic, without
//! tonic's channel, codec and middleware), sends the request as one gRPC
//! frame encoded once, and takes each answer's frame as bytes, which must
//! equal, byte for byte, what the server's handler answers in-process
//! (answers are deterministic: maps are ordered), with `grpc-status` 0.

// Figures are printed, never fed back: f64 precision is plenty.
#![allow(clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use function_eks_pod_identity::function::{Function, DEFAULT_TTL};
use function_eks_pod_identity::protocol::v1::{
    ResponseMeta, RunFunctionRequest, RunFunctionResponse, Severity,
};
use function_eks_pod_identity::serve::listen::{self, FIRST_REQUEST_DEADLINE};
use function_eks_pod_identity::serve::{runtime, DEFAULT_MAX_RECV_MESSAGE_SIZE};
use prost::bytes::Bytes;
use prost::Message;
use tokio::task::JoinSet;
use tonic::codegen::{http, Body, BoxFuture, Service, StdError};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::Server as TonicServer;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

mod support;

/// The argument that makes this executable the floor server.
const SERVE_FLOOR: &str = "--serve-floor";

/// The argument that makes this executable a spinner: it keeps its core
/// busy until its standard input closes, which it does when the bench ends
/// however it ends.
const SPIN: &str = "--spin";

/// The Python peer: the same composition with Crossplane's Python SDK.
const PEER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer/compose_peer.py");

/// The Python that runs the peer, if not the test suite's virtualenv
/// (`target/py-venv`, which `bash tests/run.sh` makes).
const PEER_PYTHON_VARIABLE: &str = "LOAD_PEER_PYTHON";

/// Set to `1` to run only the comparison with the Python peer.
const PEER_ONLY_VARIABLE: &str = "LOAD_PEER_ONLY";

/// Set to `0` to let the cores halt when idle, as they do without the bench.
const KEEP_AWAKE_VARIABLE: &str = "LOAD_KEEP_AWAKE";

/// The real server, built by Cargo alongside every bench.
const FUNCTION_BINARY: &str = env!("CARGO_BIN_EXE_function-eks-pod-identity");

/// Names another build of the server to measure instead, such as a copy
/// kept from before a change.
const FUNCTION_BINARY_VARIABLE: &str = "LOAD_FUNCTION_BINARY";

/// The server's flags: plaintext on an ephemeral port, metrics on (as
/// deployed) on another.
const FUNCTION_ARGS: [&str; 5] = [
    "--insecure",
    "--address",
    "127.0.0.1:0",
    "--metrics-address",
    "127.0.0.1:0",
];

/// Concurrent calls on the one connection of the concurrent phase.
const CONCURRENCY: usize = 16;

/// The method every call goes to.
const RUN_FUNCTION: &str = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";

/// How much work one run does.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Servers started (and all but the last stopped) to time startup.
    startups: usize,
    /// Calls before anything is measured.
    warmup: usize,
    /// Calls made one at a time.
    serial: usize,
    /// Calls made 16 at a time; memory growth is measured across them.
    concurrent: usize,
    /// Rounds each phase is cut into, taking turns between the servers.
    rounds: usize,
    /// The longest any one phase may take on one server; it stops early
    /// past it.
    phase_limit: Duration,
    /// Calls 16 at a time to each of the function, the floor and the
    /// Python peer, with the small request and with the large one.
    peer_calls: [usize; 2],
}

const FULL: Plan = Plan {
    startups: 5,
    warmup: 5_000,
    serial: 20_000,
    concurrent: 200_000,
    rounds: 20,
    phase_limit: Duration::from_secs(120),
    peer_calls: [30_000, 6_000],
};

const SMOKE: Plan = Plan {
    startups: 2,
    warmup: 200,
    serial: 500,
    concurrent: 3_000,
    rounds: 4,
    phase_limit: Duration::from_secs(30),
    peer_calls: [400, 80],
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == SPIN) {
        spin();
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|arg| arg == SERVE_FLOOR) {
        return match serve_floor() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("floor: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // gets the smoke run.
    let smoke = args.iter().any(|arg| arg == "--smoke")
        || !args.iter().any(|arg| arg == "--bench")
        || std::env::var_os("LOAD_SMOKE").is_some_and(|value| value == "1");
    match run(if smoke { SMOKE } else { FULL }, smoke) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------- the floor

/// The floor's service, as tonic-prost-build generates one for
/// `RunFunction` with prost's codec, around [`echo`].
#[derive(Debug, Clone, Copy)]
struct PlainEcho;

impl NamedService for PlainEcho {
    const NAME: &'static str = "apiextensions.fn.proto.v1.FunctionRunnerService";
}

impl<B> Service<http::Request<B>> for PlainEcho
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        Box::pin(async move {
            let codec = ProstCodec::<RunFunctionResponse, RunFunctionRequest>::default();
            let mut grpc = Grpc::new(codec)
                .apply_max_message_size_config(Some(DEFAULT_MAX_RECV_MESSAGE_SIZE), None);
            Ok(grpc.unary(PlainEcho, request).await)
        })
    }
}

impl UnaryService<RunFunctionRequest> for PlainEcho {
    type Response = RunFunctionResponse;
    type Future = std::future::Ready<Result<Response<RunFunctionResponse>, Status>>;

    fn call(&mut self, request: Request<RunFunctionRequest>) -> Self::Future {
        std::future::ready(Ok(Response::new(echo(request.into_inner()))))
    }
}

/// Answers with the request's desired state and context.
fn echo(request: RunFunctionRequest) -> RunFunctionResponse {
    RunFunctionResponse {
        meta: Some(ResponseMeta {
            tag: request.meta.map(|meta| meta.tag).unwrap_or_default(),
            ttl: Some(prost_types::Duration {
                seconds: i64::try_from(DEFAULT_TTL.as_secs()).unwrap_or(i64::MAX),
                nanos: 0,
            }),
        }),
        desired: request.desired,
        context: request.context,
        ..RunFunctionResponse::default()
    }
}

// ---------------------------------------------------------- the raw client

/// One HTTP/2 connection, over which each call sends an encoded request
/// as one gRPC frame and takes the answer's frame as bytes: no codec, no
/// channel task, so that the load generator costs less than the servers.
#[derive(Clone)]
struct Client {
    send: h2::client::SendRequest<Bytes>,
    uri: http::Uri,
}

impl Client {
    /// Connects as tonic's channel would: without Nagle's algorithm, and
    /// with hyper's client windows.
    async fn connect(address: SocketAddr) -> anyhow::Result<Self> {
        let tcp = tokio::net::TcpStream::connect(address).await?;
        tcp.set_nodelay(true)?;
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(2 * 1024 * 1024)
            .initial_connection_window_size(5 * 1024 * 1024)
            .handshake(tcp)
            .await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            send,
            uri: format!("http://{address}{RUN_FUNCTION}").parse()?,
        })
    }

    /// Sends one gRPC frame; the answer's frame, once the call ended with
    /// status 0.
    async fn unary(&mut self, frame: Bytes) -> anyhow::Result<Bytes> {
        let request = http::Request::post(self.uri.clone())
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())?;
        let mut send = self.send.clone().ready().await?;
        let (response, mut body) = send.send_request(request, false)?;
        body.send_data(frame, true)?;
        let (parts, mut body) = response.await?.into_parts();
        ensure!(
            parts.status == http::StatusCode::OK,
            "HTTP {}",
            parts.status
        );
        let mut answer = prost::bytes::BytesMut::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            body.flow_control().release_capacity(chunk.len())?;
            answer.extend_from_slice(&chunk);
        }
        // A call that fails at once answers with headers alone.
        let trailers = body.trailers().await?.unwrap_or_default();
        let status = trailers
            .get("grpc-status")
            .or_else(|| parts.headers.get("grpc-status"))
            .map(|status| String::from_utf8_lossy(status.as_bytes()).into_owned());
        ensure!(
            status.as_deref() == Some("0"),
            "grpc-status {status:?}: {:?}",
            trailers
                .get("grpc-message")
                .or_else(|| parts.headers.get("grpc-message"))
        );
        Ok(answer.freeze())
    }
}

/// A gRPC frame's header: a compression flag, then the message's length.
const FRAME_HEADER: usize = 5;

/// A message as one uncompressed gRPC frame.
fn frame(message: &[u8]) -> Bytes {
    let mut framed = Vec::with_capacity(FRAME_HEADER + message.len());
    framed.push(0);
    framed.extend_from_slice(
        &u32::try_from(message.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    framed.extend_from_slice(message);
    framed.into()
}

/// Serves [`PlainEcho`] on an ephemeral loopback port the way the function's
/// binary serves the function, and logs the address the same way.
fn serve_floor() -> anyhow::Result<()> {
    runtime::run(|| async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        eprintln!(
            r#"{{"fields":{{"message":"serving","address":"{}"}}}}"#,
            listener.local_addr()?
        );
        // The same connection handling as the binary's, deadline lifting
        // included: without it every connection closes after the deadline.
        TonicServer::builder()
            .layer(tonic::service::InterceptorLayer::new(
                listen::mark_first_request,
            ))
            .add_service(PlainEcho)
            .serve_with_incoming(listen::incoming(listener, FIRST_REQUEST_DEADLINE))
            .await?;
        Ok(())
    })?
}

// ------------------------------------------------------------ child servers

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running server and the one connection the load goes over.
struct Server {
    process: Process,
    client: Client,
    /// Spawn to the first answered call.
    startup: Duration,
}

impl Server {
    /// Spawns `command`, waits for its address on stderr and makes the
    /// first call.
    fn start(
        mut command: Command,
        runtime: &tokio::runtime::Runtime,
        check: &Check,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {command:?}"))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let process = Process(child);
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = String::new();
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                match (address_in(&line), found.take()) {
                    (Some(address), Some(sender)) => {
                        let _ = sender.send(Ok(address));
                    }
                    (_, sender) => {
                        found = sender;
                        if found.is_some() {
                            seen.push_str(&line);
                            seen.push('\n');
                        }
                    }
                }
            }
            if let Some(sender) = found {
                let _ = sender.send(Err(seen));
            }
        });
        let address = match address.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(address)) => address,
            Ok(Err(stderr)) => bail!("{command:?} ended before serving:\n{stderr}"),
            Err(_) => bail!("{command:?} logged no address within 10 s"),
        };
        let client = runtime.block_on(async {
            let mut client = Client::connect(address).await?;
            check.call(&mut client).await?;
            anyhow::Ok(client)
        })?;
        Ok(Self {
            process,
            client,
            startup: started.elapsed(),
        })
    }

    fn pid(&self) -> u32 {
        self.process.0.id()
    }
}

/// The address in a JSON log line: `"address":"127.0.0.1:PORT"`.
fn address_in(line: &str) -> Option<SocketAddr> {
    let start = line.find(r#""address":""#)? + r#""address":""#.len();
    let end = start + line[start..].find('"')?;
    line[start..end].parse().ok()
}

/// CPU time of every thread of `pid`, from the scheduler's nanosecond
/// counters (or, without them, from clock ticks).
fn cpu_time(pid: &str) -> anyhow::Result<Duration> {
    let mut nanos = 0_u64;
    let mut counted = false;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Ok(text) = std::fs::read_to_string(task?.path().join("schedstat")) else {
            continue;
        };
        if let Some(on_cpu) = text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
        {
            nanos += on_cpu;
            counted = true;
        }
    }
    if counted {
        return Ok(Duration::from_nanos(nanos));
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which ends with the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("malformed stat")?
        .1
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15, the 12th and 13th after it.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 10))
}

/// Resident memory of `pid`, in KiB.
fn rss_kib(pid: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line.trim().trim_end_matches("kB").trim().parse()?)
}

// ------------------------------------------------------------------ pinning

/// Which cores the servers and the load generator run on.
struct Pinning {
    server: Option<usize>,
    client: Option<usize>,
    note: String,
}

impl Pinning {
    /// Pins this process (before it starts any thread) to the second
    /// allowed core and keeps the first for the servers, when there are two.
    fn apply() -> anyhow::Result<Self> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        let allowed = status
            .lines()
            .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
            .map(|list| cpu_list(list.trim()))
            .unwrap_or_default();
        if allowed.len() < 2 {
            return Ok(Self {
                server: None,
                client: None,
                note: format!(
                    "UNPINNED: {} core(s) allowed, so servers and load generator share them",
                    allowed.len()
                ),
            });
        }
        let (server, client) = (allowed[0], allowed[1]);
        let pinned = Command::new("taskset")
            .args(["-a", "-p", "-c", &client.to_string()])
            .arg(std::process::id().to_string())
            .stdout(Stdio::null())
            .status();
        if !pinned.is_ok_and(|status| status.success()) {
            return Ok(Self {
                server: None,
                client: None,
                note: "UNPINNED: taskset failed, so servers and load generator share cores"
                    .to_owned(),
            });
        }
        Ok(Self {
            server: Some(server),
            client: Some(client),
            note: format!("server on core {server}, load generator on core {client}"),
        })
    }

    /// `program args`, under `taskset` when pinning.
    fn command(&self, program: &Path, args: &[&str]) -> Command {
        if let Some(core) = self.server {
            let mut command = Command::new("taskset");
            command
                .args(["-c", &core.to_string()])
                .arg(program)
                .args(args);
            command
        } else {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }
}

/// Keeps both pinned cores from halting for as long as the returned
/// spinners live, unless `LOAD_KEEP_AWAKE=0`; and says which.
fn keep_awake(pinning: &Pinning, this: &Path) -> (Vec<Process>, String) {
    let (Some(server), Some(client)) = (pinning.server, pinning.client) else {
        return (
            Vec::new(),
            "cores may halt when idle (not pinned)".to_owned(),
        );
    };
    if std::env::var_os(KEEP_AWAKE_VARIABLE).is_some_and(|value| value == "0") {
        return (
            Vec::new(),
            format!("cores may halt when idle ({KEEP_AWAKE_VARIABLE}=0)"),
        );
    }
    let mut spinners = Vec::new();
    for core in [server, client] {
        let spawned = Command::new("chrt")
            .args(["--idle", "0", "taskset", "-c", &core.to_string()])
            .arg(this)
            .arg(SPIN)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = spawned else {
            return (
                Vec::new(),
                "cores may halt when idle: chrt failed".to_owned(),
            );
        };
        spinners.push(Process(child));
    }
    // chrt and taskset fail at once, if at all.
    std::thread::sleep(Duration::from_millis(50));
    if spinners
        .iter_mut()
        .any(|spinner| !matches!(spinner.0.try_wait(), Ok(None)))
    {
        return (
            Vec::new(),
            "cores may halt when idle: a spinner did not start".to_owned(),
        );
    }
    (
        spinners,
        "both cores kept from halting by SCHED_IDLE spinners".to_owned(),
    )
}

/// Busy until standard input closes. A plain loop, without the pause
/// hint, which a hypervisor may take for a stalled lock and deschedule.
fn spin() {
    let closed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&closed);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        flag.store(true, Ordering::Relaxed);
    });
    while !closed.load(Ordering::Relaxed) {}
}

/// Parses a kernel CPU list such as `0-3,6`.
fn cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|part| !part.is_empty()) {
        let (start, end) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(start), Ok(end)) = (start.parse::<usize>(), end.parse::<usize>()) {
            cpus.extend(start..=end);
        }
    }
    cpus
}

// --------------------------------------------------------------------- load

/// The request every call sends, and the answer it must get.
struct Check {
    request: Bytes,
    answer: Expect,
}

/// What an answer must be.
enum Expect {
    /// These bytes, encoded: the answer of a handler run in-process.
    Exact(Bytes),
    /// No FATAL result, and desired resources under exactly these keys: the
    /// Python peer composes the same resources, but encodes them its own way.
    Composed(Vec<String>),
}

impl Check {
    /// `request` and the answer `handler` gives it in-process.
    fn new(
        request: &RunFunctionRequest,
        handler: impl FnOnce(RunFunctionRequest) -> RunFunctionResponse,
    ) -> Self {
        Self {
            request: frame(&request.encode_to_vec()),
            answer: Expect::Exact(frame(&handler(request.clone()).encode_to_vec())),
        }
    }

    /// `request`, answered with the resources `function` composes for it.
    fn composed(request: &RunFunctionRequest, function: &Function) -> Self {
        let keys = function
            .run(request.clone())
            .desired
            .unwrap_or_default()
            .resources
            .into_keys()
            .collect();
        Self {
            request: frame(&request.encode_to_vec()),
            answer: Expect::Composed(keys),
        }
    }

    /// The size of the request, without its frame header.
    fn request_len(&self) -> usize {
        self.request.len() - FRAME_HEADER
    }

    /// The size of the answer expected byte for byte, without its frame
    /// header; 0 when only its keys are.
    fn answer_len(&self) -> usize {
        match &self.answer {
            Expect::Exact(answer) => answer.len() - FRAME_HEADER,
            Expect::Composed(_) => 0,
        }
    }

    async fn call(&self, client: &mut Client) -> anyhow::Result<()> {
        let answer = client
            .unary(self.request.clone())
            .await
            .context("RunFunction failed")?;
        let expected = match &self.answer {
            Expect::Exact(expected) => expected,
            Expect::Composed(keys) => return composed_as(&answer, keys),
        };
        if answer != *expected {
            let fatal = RunFunctionResponse::decode(answer.get(FRAME_HEADER..).unwrap_or_default())
                .ok()
                .and_then(|response| {
                    response
                        .results
                        .into_iter()
                        .find(|result| result.severity == i32::from(Severity::Fatal))
                });
            match fatal {
                Some(fatal) => bail!("FATAL result: {}", fatal.message),
                None => bail!(
                    "the answer ({} bytes) is not the one given in-process ({} bytes)",
                    answer.len(),
                    expected.len()
                ),
            }
        }
        Ok(())
    }
}

/// Whether the framed `answer` has no FATAL result and composes exactly
/// `keys`.
fn composed_as(answer: &[u8], keys: &[String]) -> anyhow::Result<()> {
    let response = RunFunctionResponse::decode(answer.get(FRAME_HEADER..).unwrap_or_default())
        .context("the answer is no RunFunctionResponse")?;
    if let Some(fatal) = response
        .results
        .iter()
        .find(|result| result.severity == i32::from(Severity::Fatal))
    {
        bail!("FATAL result: {}", fatal.message);
    }
    let composed: Vec<String> = response
        .desired
        .unwrap_or_default()
        .resources
        .into_keys()
        .collect();
    ensure!(
        composed == keys,
        "composed {composed:?}, not the function's {keys:?}"
    );
    Ok(())
}

/// What one phase of load measured.
#[derive(Clone)]
struct Sample {
    calls: usize,
    elapsed: Duration,
    /// Sorted.
    latencies: Vec<Duration>,
    /// The p99 latency of each round alone: a round hit by the host taking
    /// the CPU away shows as one high value, not as a higher overall p99.
    round_p99s: Vec<Duration>,
    server_cpu: Duration,
    client_cpu: Duration,
    stopped_early: bool,
}

impl Sample {
    /// Both samples as one.
    fn merge(mut self, other: Sample) -> Sample {
        self.calls += other.calls;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
        self.latencies.sort_unstable();
        self.round_p99s.extend(other.round_p99s);
        self.server_cpu += other.server_cpu;
        self.client_cpu += other.client_cpu;
        self.stopped_early |= other.stopped_early;
        self
    }

    fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }

    /// The median over the rounds of each round's p99 latency.
    fn median_round_p99(&self) -> Duration {
        let mut p99s = self.round_p99s.clone();
        p99s.sort_unstable();
        p99s[p99s.len() / 2]
    }

    /// The nearest-rank percentile `p` (0 to 100) of the latencies.
    fn percentile(&self, p: usize) -> Duration {
        let rank = (self.latencies.len() * p).div_ceil(100).max(1);
        self.latencies[rank - 1]
    }

    fn server_cpu_per_call(&self) -> Duration {
        self.server_cpu / u32::try_from(self.calls).unwrap_or(u32::MAX)
    }

    fn client_cpu_per_call(&self) -> Duration {
        self.client_cpu / u32::try_from(self.calls).unwrap_or(u32::MAX)
    }

    /// The share of one core the server used.
    fn server_load(&self) -> f64 {
        self.server_cpu.as_secs_f64() / self.elapsed.as_secs_f64()
    }
}

/// Makes `calls` calls to each of two servers, `concurrency` at a time, in
/// turns: see [`take_turns`].
async fn alternate(
    servers: [(&Server, &Arc<Check>); 2],
    concurrency: usize,
    calls: usize,
    plan: Plan,
) -> anyhow::Result<[Sample; 2]> {
    let [first, second] =
        <[Sample; 2]>::try_from(take_turns(&servers, concurrency, calls, plan).await?)
            .map_err(|_| anyhow::anyhow!("not two samples"))?;
    Ok([first, second])
}

/// Makes `calls` calls to each server, `concurrency` at a time, in
/// `plan.rounds` rounds that take turns, the order reversed every other
/// round (floor, function, function, floor, ...), so that whatever else the
/// machine does weighs on all alike. A server that cannot make its share
/// of a round within the round's part of `plan.phase_limit` stops early.
async fn take_turns(
    servers: &[(&Server, &Arc<Check>)],
    concurrency: usize,
    calls: usize,
    plan: Plan,
) -> anyhow::Result<Vec<Sample>> {
    let rounds = plan.rounds.clamp(1, calls.max(1));
    let mut totals: Vec<Option<Sample>> = vec![None; servers.len()];
    for round in 0..rounds {
        // Spread the remainder over the first rounds.
        let share = calls / rounds + usize::from(round < calls % rounds);
        let mut order: Vec<usize> = (0..servers.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for index in order {
            let (server, check) = servers[index];
            let limit = plan.phase_limit / u32::try_from(rounds).unwrap_or(u32::MAX);
            let sample = load(server, check, concurrency, share, limit).await?;
            totals[index] = Some(match totals[index].take() {
                Some(total) => total.merge(sample),
                None => sample,
            });
        }
    }
    totals
        .into_iter()
        .map(|total| total.context("no round ran"))
        .collect()
}

/// Makes `calls` calls, `concurrency` at a time, over clones of the one
/// client (one connection), for at most `limit`.
async fn load(
    server: &Server,
    check: &Arc<Check>,
    concurrency: usize,
    calls: usize,
    limit: Duration,
) -> anyhow::Result<Sample> {
    let pid = server.pid().to_string();
    let issued = Arc::new(AtomicUsize::new(0));
    let server_before = cpu_time(&pid)?;
    let client_before = cpu_time("self")?;
    let started = Instant::now();
    let deadline = started + limit;
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let mut client = server.client.clone();
        let check = Arc::clone(check);
        let issued = Arc::clone(&issued);
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(calls / concurrency + 1);
            while issued.fetch_add(1, Ordering::Relaxed) < calls && Instant::now() < deadline {
                let begun = Instant::now();
                check.call(&mut client).await?;
                latencies.push(begun.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(calls);
    while let Some(worker) = workers.join_next().await {
        latencies.extend(worker??);
    }
    let elapsed = started.elapsed();
    let server_cpu = cpu_time(&pid)?.saturating_sub(server_before);
    let client_cpu = cpu_time("self")?.saturating_sub(client_before);
    latencies.sort_unstable();
    ensure!(!latencies.is_empty(), "no call finished within {limit:?}");
    let mut sample = Sample {
        calls: latencies.len(),
        stopped_early: latencies.len() < calls,
        elapsed,
        latencies,
        round_p99s: Vec::new(),
        server_cpu,
        client_cpu,
    };
    sample.round_p99s.push(sample.percentile(99));
    Ok(sample)
}

/// Everything measured of one server.
struct Figures {
    startups: Vec<Duration>,
    rss_idle: u64,
    serial: Sample,
    concurrent: Sample,
    rss_before_concurrent: u64,
    rss_after_load: u64,
}

impl Figures {
    fn startup(&self) -> Duration {
        let mut sorted = self.startups.clone();
        sorted.sort_unstable();
        sorted[sorted.len() / 2]
    }

    fn rss_growth(&self) -> i64 {
        i64::try_from(self.rss_after_load).unwrap_or(i64::MAX)
            - i64::try_from(self.rss_before_concurrent).unwrap_or(i64::MAX)
    }
}

/// Starts `plan.startups` servers with `command`, keeping the last.
fn start(
    plan: Plan,
    command: &dyn Fn() -> Command,
    runtime: &tokio::runtime::Runtime,
    check: &Check,
) -> anyhow::Result<(Server, Vec<Duration>)> {
    let mut startups = Vec::with_capacity(plan.startups);
    loop {
        let server = Server::start(command(), runtime, check)?;
        startups.push(server.startup);
        if startups.len() >= plan.startups {
            return Ok((server, startups));
        }
    }
}

fn run(plan: Plan, smoke: bool) -> anyhow::Result<()> {
    let pinning = Pinning::apply()?;
    let this = std::env::current_exe()?;
    // Killed when this function returns, error or not.
    let (_spinners, awake) = keep_awake(&pinning, &this);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let request = support::small();
    let function = Function::default();
    let function_check = Arc::new(Check::new(&request, |request| function.run(request)));
    let floor_check = Arc::new(Check::new(&request, echo));
    let binary = std::env::var_os(FUNCTION_BINARY_VARIABLE)
        .map_or_else(|| PathBuf::from(FUNCTION_BINARY), PathBuf::from);
    println!(
        "load{}: {}\nsmall steady-state request of {} bytes (answer {} bytes); {}; {awake}",
        if smoke { " (smoke)" } else { "" },
        binary.display(),
        function_check.request_len(),
        function_check.answer_len(),
        pinning.note
    );
    let floor_command = || pinning.command(&this, &[SERVE_FLOOR]);
    // Metrics on, as deployed, but on an ephemeral port rather than :8080.
    let function_command = || pinning.command(&binary, &FUNCTION_ARGS);
    let (floor, floor_startups) = start(plan, &floor_command, &runtime, &floor_check)?;
    let (function, function_startups) = start(plan, &function_command, &runtime, &function_check)?;
    if std::env::var_os(PEER_ONLY_VARIABLE).is_some_and(|value| value == "1") {
        print!(
            "{}",
            against_peer(plan, &pinning, &runtime, &floor, &function)?
        );
        return Ok(());
    }
    let servers = [(&floor, &floor_check), (&function, &function_check)];

    let steal_before = host_steal();
    let rss = |server: &Server| rss_kib(&server.pid().to_string());
    let rss_idle = [rss(&floor)?, rss(&function)?];
    let (serial, concurrent, rss_before, rss_after) = runtime.block_on(async {
        alternate(servers, CONCURRENCY, plan.warmup, plan).await?;
        let serial = alternate(servers, 1, plan.serial, plan).await?;
        let rss_before = [rss(&floor)?, rss(&function)?];
        let concurrent = alternate(servers, CONCURRENCY, plan.concurrent, plan).await?;
        let rss_after = [rss(&floor)?, rss(&function)?];
        anyhow::Ok((serial, concurrent, rss_before, rss_after))
    })?;
    // The same binary with metrics off, loaded in turns with the one with
    // metrics on, so that the ratio is what the metrics cost.
    let metrics_off_command = || {
        pinning.command(
            &binary,
            &[
                "--insecure",
                "--address",
                "127.0.0.1:0",
                "--metrics-address",
                "",
            ],
        )
    };
    let metrics_off = Server::start(metrics_off_command(), &runtime, &function_check)?;
    let [off, on] = runtime.block_on(alternate(
        [
            (&metrics_off, &function_check),
            (&function, &function_check),
        ],
        CONCURRENCY,
        plan.concurrent,
        plan,
    ))?;
    let rss_on = rss(&function)?;
    let rss_off = rss(&metrics_off)?;
    drop(metrics_off);
    let against_peer = against_peer(plan, &pinning, &runtime, &floor, &function)?;
    drop((floor, function));
    let [floor_figures, function_figures] = [0, 1].map(|index| Figures {
        startups: [&floor_startups, &function_startups][index].clone(),
        rss_idle: rss_idle[index],
        serial: serial[index].clone(),
        concurrent: concurrent[index].clone(),
        rss_before_concurrent: rss_before[index],
        rss_after_load: rss_after[index],
    });
    print!("{}", report(plan, &function_figures, &floor_figures));
    print_metrics_cost(&on, &off, rss_on, rss_off);
    print!("{against_peer}");
    if let (Some((total_before, steal_before)), Some((total, steal))) = (steal_before, host_steal())
    {
        let share = (steal - steal_before) as f64 / (total - total_before).max(1) as f64;
        println!(
            "host steal during the load: {:.1}% of this machine's CPU time went to other guests",
            share * 100.0
        );
    }
    Ok(())
}

/// The most RSS after load with metrics on: 10 MiB for the server and its
/// metrics, and 2 MiB for the IAM catalogue the lint reads on the first
/// call (measured at +1.8 MiB by the catalogue bench; its budget is 8).
const RSS_WITH_METRICS_KIB: u64 = 12 * 1024;

/// What serving metrics costs: the same binary with metrics on and off.
fn print_metrics_cost(on: &Sample, off: &Sample, rss_on: u64, rss_off: u64) {
    let cost = on.rate() / off.rate().max(f64::MIN_POSITIVE);
    println!(
        "metrics cost ({} concurrent calls each, in turns): {:.0} calls/s with metrics on, {:.0} with --metrics-address \"\"; ratio {cost:.3} (target >= 0.95: {}); RSS after load with metrics on {} (target < {}: {}), off {}",
        on.calls,
        on.rate(),
        off.rate(),
        if cost >= 0.95 { "met" } else { "MISSED" },
        mib(rss_on),
        mib(RSS_WITH_METRICS_KIB),
        if rss_on < RSS_WITH_METRICS_KIB {
            "met"
        } else {
            "MISSED"
        },
        mib(rss_off),
    );
}

/// This machine's CPU time so far and the part of it the hypervisor gave
/// to other guests (steal), in clock ticks: the first line of `/proc/stat`.
/// Figures are noisier the more is stolen.
fn host_steal() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // user nice system idle iowait irq softirq steal
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|ticks| ticks.parse().ok())
        .collect::<Option<_>>()?;
    Some((ticks.iter().sum(), *ticks.get(7)?))
}

// ----------------------------------------------------------- the Python peer

/// The Python that runs the peer: [`PEER_PYTHON_VARIABLE`], else the test
/// suite's virtualenv when it exists.
fn peer_python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os(PEER_PYTHON_VARIABLE) {
        return Some(PathBuf::from(python));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    Some(target.join("py-venv/bin/python")).filter(|python| python.exists())
}

/// The peer's Python, SDK, grpcio and protobuf versions, as it reports them.
fn peer_versions(python: &Path) -> String {
    let script = "import importlib.metadata as m, platform; print(f\"Python {platform.python_version()}, \" + \", \".join(f\"{p} {m.version(p)}\" for p in ('crossplane-function-sdk-python', 'grpcio', 'protobuf')))";
    Command::new(python)
        .args(["-c", script])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map_or_else(
            || "versions unknown".to_owned(),
            |output| String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        )
}

/// The function, the floor and the Python peer, loaded in turns with 16
/// concurrent calls, with the small request and then the large one: the
/// report of issue 33's comparison.
fn against_peer(
    plan: Plan,
    pinning: &Pinning,
    runtime: &tokio::runtime::Runtime,
    floor: &Server,
    function: &Server,
) -> anyhow::Result<String> {
    let Some(python) = peer_python() else {
        return Ok(format!(
            "Python peer: skipped, no target/py-venv (run `bash tests/run.sh` once, or set {PEER_PYTHON_VARIABLE})\n"
        ));
    };
    let handler = Function::default();
    let small = support::small();
    let peer_command = || pinning.command(&python, &[PEER_SCRIPT]);
    let peer = Server::start(peer_command(), runtime, &Check::composed(&small, &handler))
        .context("the Python peer")?;
    let mut report = format!(
        "against the Python peer ({}; {CONCURRENCY} concurrent calls on 1 connection, in turns)\n",
        peer_versions(&python)
    );
    let _ = writeln!(
        report,
        "  {:<24} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "", "function", "floor", "peer", "fn/floor", "fn/peer"
    );
    let mut verdicts = Vec::new();
    for (name, request, calls) in [
        ("small", small, plan.peer_calls[0]),
        ("large", support::large(), plan.peer_calls[1]),
    ] {
        let checks = [
            Arc::new(Check::new(&request, |request| handler.run(request))),
            Arc::new(Check::new(&request, echo)),
            Arc::new(Check::composed(&request, &handler)),
        ];
        let servers = [
            (function, &checks[0]),
            (floor, &checks[1]),
            (&peer, &checks[2]),
        ];
        let (samples, rss) = runtime.block_on(async {
            take_turns(&servers, CONCURRENCY, calls / 10, plan).await?;
            let warm = [function, floor, &peer]
                .map(|server| rss_kib(&server.pid().to_string()).unwrap_or_default());
            eprintln!("{name}: RSS after warm-up {warm:?} KiB");
            let samples = take_turns(&servers, CONCURRENCY, calls, plan).await?;
            let rss = [function, floor, &peer]
                .map(|server| rss_kib(&server.pid().to_string()).unwrap_or_default());
            anyhow::Ok((samples, rss))
        })?;
        let bytes = checks[0].request_len();
        peer_rows(
            &mut report,
            &mut verdicts,
            (name, bytes, calls),
            &samples,
            rss,
        );
    }
    let _ = writeln!(
        report,
        "targets of issue 33{}",
        if calls_too_few(plan) {
            " (a smoke run is too short to judge them)"
        } else {
            ""
        }
    );
    for (target, figure, goal, met) in verdicts {
        let _ = writeln!(
            report,
            "  {target:<34} {figure:>12} {goal:>12} {:>7}",
            if met { "met" } else { "MISSED" }
        );
    }
    Ok(report)
}

/// A verdict on one of issue 33's targets: what, the figure, the goal, met.
type Verdict = (String, String, &'static str, bool);

/// The rows of one request's comparison, and its verdicts.
fn peer_rows(
    report: &mut String,
    verdicts: &mut Vec<Verdict>,
    (name, bytes, calls): (&str, usize, usize),
    samples: &[Sample],
    rss: [u64; 3],
) {
    let [function, floor, peer] = [&samples[0], &samples[1], &samples[2]];
    let _ = writeln!(
        report,
        "{name} request, {} bytes ({} calls each{})",
        bytes,
        calls,
        if samples.iter().any(|sample| sample.stopped_early) {
            "; * stopped early"
        } else {
            ""
        }
    );
    let mut row = |label: &str, [a, b, c]: [f64; 3], show: &dyn Fn(f64) -> String| {
        let _ = writeln!(
            report,
            "  {label:<24} {:>12} {:>12} {:>12} {:>9} {:>9}",
            show(a),
            show(b),
            show(c),
            ratio(a, b),
            ratio(a, c)
        );
    };
    row(
        "calls/s",
        [function.rate(), floor.rate(), peer.rate()],
        &|rate| format!("{rate:.0}"),
    );
    let cpu = |sample: &Sample| sample.server_cpu_per_call().as_secs_f64() * 1e6;
    row(
        "server CPU per call",
        [cpu(function), cpu(floor), cpu(peer)],
        &|micros| format!("{micros:.0} us"),
    );
    let p99 = |sample: &Sample| sample.percentile(99).as_secs_f64() * 1e3;
    row(
        "p99 latency",
        [p99(function), p99(floor), p99(peer)],
        &|millis| format!("{millis:.2} ms"),
    );
    row("RSS after load", rss.map(|kib| kib as f64), &|kib| {
        format!("{:.1} MiB", kib / 1024.0)
    });
    let to_peer = function.rate() / peer.rate();
    verdicts.push((
        format!("{name}: calls/s of the peer's"),
        format!("{to_peer:.1}x"),
        ">= 10x",
        to_peer >= 10.0,
    ));
    if name == "large" {
        let to_floor = function.rate() / floor.rate();
        verdicts.push((
            format!("{name}: calls/s of the floor's"),
            format!("{to_floor:.2}x"),
            ">= 1.0x",
            to_floor >= 1.0,
        ));
        let memory = rss[0] as f64 / rss[1].max(1) as f64;
        verdicts.push((
            format!("{name}: RSS of the floor's"),
            format!("{memory:.2}x"),
            "<= 1.5x",
            memory <= 1.5,
        ));
    }
}

/// Whether `plan` is a smoke run's.
fn calls_too_few(plan: Plan) -> bool {
    plan.concurrent < FULL.concurrent
}

// ------------------------------------------------------------------- report

fn micros(duration: Duration) -> String {
    format!("{:.1} us", duration.as_secs_f64() * 1e6)
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn signed_mib(kib: i64) -> String {
    format!("{:+.2} MiB", kib as f64 / 1024.0)
}

fn ratio(function: f64, floor: f64) -> String {
    if floor > 0.0 {
        format!("{:.2}x", function / floor)
    } else {
        "-".to_owned()
    }
}

/// A four-column table: label, function, floor, ratio.
#[derive(Default)]
struct Table(String);

impl Table {
    fn row(&mut self, label: &str, function: &str, floor: &str, ratio: &str) {
        let _ = writeln!(
            self.0,
            "  {label:<34} {function:>12} {floor:>12} {ratio:>7}"
        );
    }

    fn heading(&mut self, title: &str) {
        let _ = writeln!(self.0, "{title}");
    }

    fn durations(
        &mut self,
        label: &str,
        show: fn(Duration) -> String,
        function: Duration,
        floor: Duration,
    ) {
        let ratio = ratio(function.as_secs_f64(), floor.as_secs_f64());
        self.row(label, &show(function), &show(floor), &ratio);
    }

    fn sizes(&mut self, label: &str, function: u64, floor: u64) {
        let ratio = ratio(function as f64, floor as f64);
        self.row(label, &mib(function), &mib(floor), &ratio);
    }
}

fn report(plan: Plan, function: &Figures, floor: &Figures) -> String {
    let mut table = Table::default();
    table.row("", "function", "floor", "ratio");
    table.durations(
        "startup to serving (median)",
        millis,
        function.startup(),
        floor.startup(),
    );
    let phases = [
        ("1 call at a time", &function.serial, &floor.serial),
        (
            "16 concurrent calls on 1 connection",
            &function.concurrent,
            &floor.concurrent,
        ),
    ];
    for (title, a, b) in phases {
        table.heading(title);
        let calls = |sample: &Sample| {
            format!(
                "{}{}",
                sample.calls,
                if sample.stopped_early { "*" } else { "" }
            )
        };
        table.row("calls", &calls(a), &calls(b), "");
        let rate = ratio(a.rate(), b.rate());
        table.row(
            "calls/s",
            &format!("{:.0}", a.rate()),
            &format!("{:.0}", b.rate()),
            &rate,
        );
        table.durations("p50 latency", micros, a.percentile(50), b.percentile(50));
        table.durations("p90 latency", micros, a.percentile(90), b.percentile(90));
        table.durations("p99 latency", micros, a.percentile(99), b.percentile(99));
        table.durations(
            "p99 of the median round",
            micros,
            a.median_round_p99(),
            b.median_round_p99(),
        );
        table.durations(
            "server CPU per call",
            micros,
            a.server_cpu_per_call(),
            b.server_cpu_per_call(),
        );
        let busy = |sample: &Sample| format!("{:.0}%", sample.server_load() * 100.0);
        table.row("server core busy", &busy(a), &busy(b), "");
        table.durations(
            "client CPU per call",
            micros,
            a.client_cpu_per_call(),
            b.client_cpu_per_call(),
        );
    }
    table.heading("memory (VmRSS)");
    table.sizes("idle", function.rss_idle, floor.rss_idle);
    table.sizes("after load", function.rss_after_load, floor.rss_after_load);
    table.row(
        "growth over the 16-concurrent calls",
        &signed_mib(function.rss_growth()),
        &signed_mib(floor.rss_growth()),
        "",
    );
    if [function, floor]
        .iter()
        .any(|figures| figures.serial.stopped_early || figures.concurrent.stopped_early)
    {
        table.heading(&format!(
            "* stopped early at the {:?} limit of a phase",
            plan.phase_limit
        ));
    }

    // A smoke run's p99 is its 30th-worst call, so one stall of the host
    // in one of its short rounds decides it; its other figures swing too.
    let short = calls_too_few(plan);
    targets(&mut table, function, floor, short);
    table.0
}

/// The function's figures against the targets of issue 5.
fn targets(table: &mut Table, function: &Figures, floor: &Figures, short: bool) {
    let throughput = function.concurrent.rate() / floor.concurrent.rate();
    let cpu = function.concurrent.server_cpu_per_call();
    let p99 = function.concurrent.percentile(99);
    let rss = function.rss_after_load;
    let growth = function.rss_growth();
    let startup = function.startup();
    let targets = [
        (
            "throughput at 16, of the floor's",
            format!("{throughput:.2}x"),
            ">= 0.70x",
            throughput >= 0.7,
        ),
        (
            "server CPU per call at 16",
            micros(cpu),
            "<= 60 us",
            cpu <= Duration::from_micros(60),
        ),
        (
            "p99 latency at 16",
            millis(p99),
            "< 2 ms",
            p99 < Duration::from_millis(2),
        ),
        ("RSS after load", mib(rss), "< 16 MiB", rss < 16 * 1024),
        ("RSS growth", signed_mib(growth), "< 1 MiB", growth < 1024),
        (
            "startup to serving",
            millis(startup),
            "< 50 ms",
            startup < Duration::from_millis(50),
        ),
    ];
    table.heading(if short {
        "targets (function; a smoke run is too short to judge them: see a full run)"
    } else {
        "targets (function)"
    });
    for (target, figure, goal, met) in targets {
        table.row(target, &figure, goal, if met { "met" } else { "MISSED" });
    }
}
