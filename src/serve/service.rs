//! The gRPC face of the function: `FunctionRunnerService` v1 and v1beta1,
//! both answered by one handler.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use prost::Message;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use crate::function::{Function, Outcome, PolicyFinding, RequestSummary};
use crate::protocol::response;
use crate::protocol::v1::{RunFunctionRequest, RunFunctionResponse, Severity};
use crate::protocol::{v1, v1beta1};
use crate::serve::metrics::Metrics;
use crate::serve::runtime::{self, MAX_COMPOSING};

/// The largest answer sent: what Crossplane's client (and the Go SDK's
/// default) receives. A larger one becomes a FATAL that says so.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The largest request composed on the runtime's own workers, measured
/// as decoded (without what the codec leaves out of the observed
/// resources, which costs composing nothing); larger ones go to the
/// blocking pool. A steady-state request of a typical claim is about 9 kB
/// on the wire; the compose bench's large one, 116 kB with 33 observed
/// resources, is 38 kB decoded and composes in well under a millisecond.
pub const INLINE_REQUEST_BYTES: usize = 64 * 1024;

/// The smallest request (as decoded, like [`INLINE_REQUEST_BYTES`]) after
/// which the worker hands the memory its allocator holds free back to the
/// system when it next idles. An everyday call's pages serve the next
/// call as they are: releasing them after every call cost the load
/// bench's serial 9 kB calls 1.76x the floor's CPU, against 1.15x when
/// only large calls release (two runs). A large call leaves far more
/// behind: after the bench's 38 kB ones (116 kB on the wire) the function
/// held 2.31x the floor's memory unreleased, 1.48x released (two runs of
/// one build).
pub const RELEASE_MEMORY_REQUEST_BYTES: usize = 16 * 1024;

/// Large calls composing on the blocking pool at once, per core. More gain
/// nothing on a busy machine, and each thread that composes keeps its own
/// allocator heap at the size of the largest call it composed: 16
/// concurrent 116 kB calls on 16 threads held 92 MiB resident on a 2-core
/// machine, on at most 4 threads 41 MiB, at the same calls/s (the load
/// bench's comparison with the Python peer).
const LARGE_CALLS_PER_CORE: usize = 2;

/// Answers `RunFunction` calls with the composition pipeline.
#[derive(Debug, Clone)]
pub struct FunctionService {
    function: Arc<Function>,
    metrics: Option<Arc<Metrics>>,
    /// Permits to compose a large call on the blocking pool.
    large_calls: Arc<Semaphore>,
}

impl FunctionService {
    /// A service running `function` for every call.
    #[must_use]
    pub fn new(function: Function) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            function: Arc::new(function),
            metrics: None,
            large_calls: Arc::new(Semaphore::new(
                (cores * LARGE_CALLS_PER_CORE).min(MAX_COMPOSING),
            )),
        }
    }

    /// This service, counting what each answer holds in `metrics` if given.
    #[must_use]
    pub fn with_metrics(self, metrics: Option<Arc<Metrics>>) -> Self {
        Self { metrics, ..self }
    }

    async fn call(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        let request = request.into_inner();
        let function = Arc::clone(&self.function);
        // A large request composes on the blocking pool, so that however
        // long it takes, the runtime's workers keep answering other calls
        // and health checks. An everyday one takes a fraction of a
        // millisecond, less than the hand-over would cost, and runs here.
        // Either way a panic costs its call only.
        let request_bytes = request.encoded_len();
        let answer = if request_bytes > INLINE_REQUEST_BYTES {
            // Never closed, so acquiring fails only if it were; a call then
            // composes without waiting.
            let _permit = self.large_calls.acquire().await.ok();
            tokio::task::spawn_blocking(move || run_logged(&function, request))
                .await
                .map_err(|error| error.to_string())
        } else {
            catch_unwind(AssertUnwindSafe(|| run_logged(&function, request)))
                .map_err(|_| "a call panicked".to_owned())
        };
        if request_bytes > RELEASE_MEMORY_REQUEST_BYTES {
            runtime::release_memory_when_idle();
        }
        match answer {
            Ok(Outcome {
                response: answer,
                findings,
                ..
            }) => {
                // Counted as sent: an oversized answer becomes a FATAL first.
                let answer = response::fit(answer, MAX_ANSWER_BYTES);
                if let Some(metrics) = &self.metrics {
                    metrics.count_answer(&answer);
                    metrics.count_findings(findings.iter().map(PolicyFinding::labels));
                }
                Ok(Response::new(answer))
            }
            Err(error) => {
                tracing::error!(%error, "a call failed unexpectedly");
                Err(Status::internal(
                    "the function failed unexpectedly; its log has the details",
                ))
            }
        }
    }
}

/// Runs one call, logging it at debug level and any FATAL result at warn.
fn run_logged(function: &Function, request: RunFunctionRequest) -> Outcome {
    let summary = RequestSummary::of(&request);
    tracing::debug!(
        tag = summary.tag,
        xr_kind = summary.kind,
        xr_name = summary.name,
        "RunFunction"
    );
    // Owned only for the rare refusal's log line; a short copy otherwise.
    let (tag, kind, name) = (
        summary.tag.to_owned(),
        summary.kind.to_owned(),
        summary.name.to_owned(),
    );
    let outcome = function.run_reporting(request);
    for result in &outcome.response.results {
        if result.severity == i32::from(Severity::Fatal) {
            tracing::warn!(
                tag,
                xr_kind = kind,
                xr_name = name,
                reason = result.reason.as_deref().unwrap_or_default(),
                message = result.message,
                "RunFunction refused the XR"
            );
        }
    }
    outcome
}

#[tonic::async_trait]
impl v1::function_runner_service_server::FunctionRunnerService for FunctionService {
    async fn run_function(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        self.call(request).await
    }
}

#[tonic::async_trait]
impl v1beta1::function_runner_service_server::FunctionRunnerService for FunctionService {
    async fn run_function(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        self.call(request).await
    }
}
