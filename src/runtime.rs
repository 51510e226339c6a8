//! The tokio runtime the server runs on, and the signals that stop it.

use crate::codec::MAX_NESTING;

/// Stack for each worker thread. Decoding, converting, encoding and dropping
/// a request all recurse once per nesting level, so the stack must hold
/// [`MAX_NESTING`] levels of the deepest of them. Untouched stack costs
/// address space, not memory.
pub const WORKER_STACK_BYTES: usize = MAX_NESTING * 4 * 1024;

/// A multi-threaded runtime with one worker per available core and stacks
/// deep enough for any request the codec admits.
pub fn build() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
}

/// Completes on SIGTERM (how Kubernetes stops a pod) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let wait = |kind: SignalKind| async move {
        match signal(kind) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            // Without the handler the signal keeps its default action.
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = wait(SignalKind::terminate()) => {}
        () = wait(SignalKind::interrupt()) => {}
    }
}
