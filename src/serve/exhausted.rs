//! Reports oversized messages as `RESOURCE_EXHAUSTED`, the code the gRPC
//! specification gives a message over the receive limit; tonic itself
//! answers `OUT_OF_RANGE`, which clients would not retry or explain as a
//! size problem.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::codegen::{http, Service};
use tonic::server::NamedService;
use tonic::Code;

/// Wraps a generated gRPC server, relabelling its size-limit refusals.
#[derive(Debug, Clone)]
pub struct ExhaustedOnOversize<S>(pub S);

impl<S: NamedService> NamedService for ExhaustedOnOversize<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, Request, Body> Service<Request> for ExhaustedOnOversize<S>
where
    S: Service<Request, Response = http::Response<Body>>,
    S::Future: Unpin,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Relabel<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        Relabel(self.0.call(request))
    }
}

/// The wrapped server's response future, relabelled when it completes.
#[derive(Debug)]
pub struct Relabel<F>(F);

impl<F, Body, Error> Future for Relabel<F>
where
    F: Future<Output = Result<http::Response<Body>, Error>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_ok(|mut response| {
            // The handler never answers OUT_OF_RANGE: here it can only be
            // tonic's message-size check, which fails before the call, with
            // the status in the headers of a trailers-only response.
            let headers = response.headers_mut();
            let status = headers
                .get("grpc-status")
                .map(|value| Code::from_bytes(value.as_bytes()));
            if status == Some(Code::OutOfRange) {
                let exhausted = http::HeaderValue::from(i32::from(Code::ResourceExhausted));
                headers.insert("grpc-status", exhausted);
            }
            response
        })
    }
}
