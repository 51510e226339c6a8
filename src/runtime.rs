//! The tokio runtime the server runs on, and the signals that stop it.

use std::future::Future;

use crate::codec::MAX_NESTING;

/// Stack of the thread the server runs on. Decoding, converting, encoding
/// and dropping a request all recurse once per nesting level, so the stack
/// must hold [`MAX_NESTING`] levels of the deepest of them. Untouched stack
/// costs address space, not memory.
pub const STACK_BYTES: usize = MAX_NESTING * 4 * 1024;

/// Runs the future `make` returns to completion on the server's runtime:
/// tokio's current-thread scheduler, on a thread of its own whose stack is
/// deep enough for any request the codec admits.
///
/// One thread, because a call costs tens of microseconds, so one core
/// answers thousands a second, far more than Crossplane asks of a function.
/// And on one thread, answers that finish together leave in one write: a
/// multi-threaded scheduler runs a connection's writer as soon as any one
/// answer wakes it, so each answer costs its own system call and wake-up
/// of the client, which measured as a third more CPU per call under load.
pub fn run<F, Fut>(make: F) -> std::io::Result<Fut::Output>
where
    F: FnOnce() -> Fut + Send,
    Fut: Future,
    Fut::Output: Send,
{
    std::thread::scope(|scope| {
        let server = std::thread::Builder::new()
            .name("server".to_owned())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                Ok(runtime.block_on(make()))
            })?;
        server
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
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
