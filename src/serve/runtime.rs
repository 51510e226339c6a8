//! The tokio runtime the server runs on, and the signals that stop it.

use std::future::Future;
use std::time::Duration;

use crate::protocol::nesting::MAX_NESTING;

/// Stack of every runtime thread. Decoding, converting, encoding and
/// dropping a request all recurse once per nesting level, so the stack must
/// hold [`MAX_NESTING`] levels of the deepest of them. Untouched stack costs
/// address space, not memory.
pub const STACK_BYTES: usize = MAX_NESTING * 4 * 1024;

/// The most calls composing at once; more wait for a thread.
pub const MAX_COMPOSING: usize = 64;

/// How long calls still composing after shutdown may hold up the exit.
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// Runs the future `make` returns to completion on tokio's multi-threaded
/// runtime, one worker per core (at least two, so that one busy worker
/// never stalls the health check), every thread with a stack deep enough
/// for any request the codec admits. Work still running on the blocking
/// pool when the future completes is abandoned after a short grace.
pub fn run<F, Fut>(make: F) -> std::io::Result<Fut::Output>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get().max(2));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(MAX_COMPOSING)
        .thread_stack_size(STACK_BYTES)
        .thread_name("function")
        .enable_all()
        .build()?;
    let output = runtime.block_on(make());
    runtime.shutdown_timeout(EXIT_GRACE);
    Ok(output)
}

/// Completes on SIGTERM (how Kubernetes stops a pod) or SIGINT (Ctrl-C).
///
/// The handlers are installed when this is called, not when the future is
/// first polled: the server may answer a call before it polls its shutdown
/// future, and a SIGTERM in between would take the default action and kill
/// the process with calls in flight. Call it inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = signal(SignalKind::terminate()).ok();
    let interrupt = signal(SignalKind::interrupt()).ok();
    let wait = |stream: Option<tokio::signal::unix::Signal>| async move {
        match stream {
            Some(mut stream) => {
                stream.recv().await;
            }
            // Without the handler the signal keeps its default action.
            None => std::future::pending().await,
        }
    };
    async move {
        tokio::select! {
            () = wait(terminate) => {}
            () = wait(interrupt) => {}
        }
    }
}
