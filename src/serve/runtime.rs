//! The tokio runtime the server runs on, and the signals that stop it.

use std::cell::Cell;
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

/// The runtime the server runs on: tokio's multi-threaded one, one
/// worker per core, every thread with a stack deep enough for any request
/// the codec admits. Work still running on the blocking pool when the
/// served future completes is abandoned after a short grace.
///
/// One worker per core, not at least two: a second worker on one core
/// adds no calls/s, and each worker's allocator heap keeps pages of its
/// own, the more so when one worker frees what the other allocated. On
/// one core, after the load bench's 16 concurrent 116 kB calls, two
/// workers held 3.98x the floor's resident memory and one 2.22x; at
/// 9 kB, the p99 latency fell from 2.69x the floor's to 1.34x. Health
/// checks need no second worker: a call composes on a worker only when
/// it is small enough to take under a millisecond (see
/// `service::INLINE_REQUEST_BYTES`), larger ones go to the blocking pool,
/// and the hostile-client tests hold with the server on one worker.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Runtime {
    workers: usize,
    release_memory: fn(),
}

thread_local! {
    /// Whether a call that ran on this thread asked for its memory to be
    /// released once the thread has nothing else to do.
    static RELEASE_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Asks for the memory the calling worker's allocator holds free to be
/// handed back to the system (by the runtime's [`Runtime::release_memory`]
/// hook) once the worker runs out of work: for a call large enough that
/// what it freed is worth the next call's cost of mapping fresh pages.
pub fn release_memory_when_idle() {
    RELEASE_PENDING.with(|pending| pending.set(true));
}

impl Runtime {
    /// One worker per core, no memory release hook.
    pub fn per_core() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            release_memory: || {},
        }
    }

    /// This runtime with `workers` workers (at least one) whatever the
    /// cores: for tests that must hold on a one-core machine wherever
    /// they run.
    pub fn workers(self, workers: usize) -> Self {
        Self {
            workers: workers.max(1),
            ..self
        }
    }

    /// This runtime, calling `hook` on a worker that runs out of work and
    /// is about to sleep, when a call on it asked for that (see
    /// [`release_memory_when_idle`]). The binary hands its allocator's
    /// freed pages back to the system there: a choice of the binary's
    /// allocator, which the library does not make.
    pub fn release_memory(self, hook: fn()) -> Self {
        Self {
            release_memory: hook,
            ..self
        }
    }

    /// Runs the future `make` returns to completion.
    pub fn run<F, Fut>(self, make: F) -> std::io::Result<Fut::Output>
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.workers)
            .max_blocking_threads(MAX_COMPOSING)
            .thread_stack_size(STACK_BYTES)
            .thread_name("function")
            .on_thread_park(move || {
                if RELEASE_PENDING.with(|pending| pending.replace(false)) {
                    (self.release_memory)();
                }
            })
            .enable_all()
            .build()?;
        let output = runtime.block_on(make());
        runtime.shutdown_timeout(EXIT_GRACE);
        Ok(output)
    }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{release_memory_when_idle, Duration, Runtime};

    // One counter per test: tests run at once.
    static ASKED: AtomicUsize = AtomicUsize::new(0);
    static UNASKED: AtomicUsize = AtomicUsize::new(0);

    /// Runs `work` on a one-worker runtime whose release hook is `hook`,
    /// then idles.
    fn run_then_idle(work: fn(), hook: fn()) {
        Runtime::per_core()
            .workers(1)
            .release_memory(hook)
            .run(|| async move {
                tokio::spawn(async move { work() })
                    .await
                    .expect("the task runs");
                // Nothing for the worker to do while the timer runs.
                tokio::time::sleep(Duration::from_millis(20)).await;
            })
            .expect("start the runtime");
    }

    #[test]
    fn memory_is_released_once_when_a_worker_idles_after_asking() {
        run_then_idle(release_memory_when_idle, || {
            ASKED.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ASKED.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn an_idle_worker_releases_nothing_unasked() {
        run_then_idle(
            || {},
            || {
                UNASKED.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(UNASKED.load(Ordering::Relaxed), 0);
    }
}
