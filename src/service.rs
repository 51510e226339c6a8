//! The gRPC face of the function: `FunctionRunnerService` v1 and v1beta1,
//! both answered by one handler.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::function::{Function, RequestSummary};
use crate::proto::v1::{RunFunctionRequest, RunFunctionResponse};
use crate::proto::{v1, v1beta1};

/// Answers `RunFunction` calls with the composition pipeline.
#[derive(Debug, Clone)]
pub struct FunctionService {
    function: Arc<Function>,
}

impl FunctionService {
    /// A service running `function` for every call.
    #[must_use]
    pub fn new(function: Function) -> Self {
        Self {
            function: Arc::new(function),
        }
    }

    fn call(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        let request = request.into_inner();
        // The summary is only read when debug logging is on.
        tracing::debug!(
            tag = RequestSummary::of(&request).tag,
            xr_kind = RequestSummary::of(&request).kind,
            xr_name = RequestSummary::of(&request).name,
            "RunFunction"
        );
        // A bug must cost one call, never the process or its other calls.
        catch_unwind(AssertUnwindSafe(|| self.function.run(request)))
            .map(Response::new)
            .map_err(|_| {
                Status::internal("the function failed unexpectedly; its log has the details")
            })
    }
}

#[tonic::async_trait]
impl v1::function_runner_service_server::FunctionRunnerService for FunctionService {
    async fn run_function(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        self.call(request)
    }
}

#[tonic::async_trait]
impl v1beta1::function_runner_service_server::FunctionRunnerService for FunctionService {
    async fn run_function(
        &self,
        request: Request<RunFunctionRequest>,
    ) -> Result<Response<RunFunctionResponse>, Status> {
        self.call(request)
    }
}
