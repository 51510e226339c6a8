//! The binary: parse flags, set up logging, bind, serve until a signal.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Parser;
use function_eks_pod_identity::cli::{self, Cli, Command};
use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::serve::metrics::Metrics;
use function_eks_pod_identity::serve::runtime::{self, Runtime};
use function_eks_pod_identity::serve::{self as server, metrics_http, ServerConfig};
use function_eks_pod_identity::{lint, render};

/// glibc's allocator keeps most of what a thousand closed connections held
/// (freed, but fragmented below the top of its heap); mimalloc gives it
/// back. See `benches/connections.rs`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands the pages the calling thread's allocator heap holds free back to
/// the system now. Left to itself, mimalloc returns a freed page a second
/// later, and only when a later allocation gets round to it, so a server
/// idle after a burst of large calls keeps what the burst freed. The
/// runtime calls this when a worker runs out of work after a large call
/// (`service::RELEASE_MEMORY_REQUEST_BYTES`).
#[allow(unsafe_code)]
fn return_freed_memory() {
    // SAFETY: `mi_collect` takes no pointer and has no precondition;
    // mimalloc's API lets any thread call it at any time, for its own heap.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Render(args)) => return render::main(args, &Function::new(cli.ttl)),
        Some(Command::Lint(args)) => return lint::main(args, &Function::new(cli.ttl)),
        None => {}
    }
    match serve(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("function-eks-pod-identity: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(cli: &Cli) -> anyhow::Result<()> {
    let tls = match (&cli.tls_certs_dir, cli.insecure) {
        (_, true) => None,
        (Some(dir), false) => Some(server::load_tls(dir)?),
        (None, false) => bail!(
            "no TLS certificates: pass --tls-server-certs-dir (alias --tls-certs-dir, or set TLS_SERVER_CERTS_DIR), or --insecure to serve plaintext"
        ),
    };
    init_logging(cli.debug);
    // A panic costs only its call (the service catches it); log it as a
    // structured line like everything else instead of raw stderr text.
    std::panic::set_hook(Box::new(|panic| tracing::error!(%panic, "a call panicked")));
    let config = ServerConfig {
        tls,
        max_recv_message_size: cli.max_recv_message_bytes(),
        ..ServerConfig::new(Function::new(cli.ttl))
    };
    Runtime::per_core().release_memory(return_freed_memory).run(|| async {
        // Before anything is bound: from the "serving" line on, a signal
        // stops the server gracefully.
        let shutdown = runtime::shutdown_signal();
        let listener = cli::bind(&cli.address)
            .await
            .with_context(|| format!("cannot listen on {}", cli.address))?;
        let metrics = serve_metrics(&cli.metrics_address).await;
        tracing::info!(address = %listener.local_addr()?, tls = config.tls.is_some(), "serving");
        server::serve_with_metrics(listener, config, metrics, shutdown).await?;
        Ok(())
    })?
}

/// Starts the metrics server unless `address` is empty. Metrics must never
/// stop the function from serving: an address that cannot be bound is
/// logged as an error, and the function serves without metrics.
async fn serve_metrics(address: &str) -> Option<Arc<Metrics>> {
    if address.is_empty() {
        return None;
    }
    let listener = match cli::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, metrics_address = address, "cannot serve metrics; serving without them");
            return None;
        }
    };
    let metrics = Arc::new(Metrics::new());
    match listener.local_addr() {
        Ok(bound) => tracing::info!(metrics_address = %bound, "serving metrics"),
        Err(error) => tracing::info!(%error, "serving metrics"),
    }
    // Dropped with the runtime once serving ends.
    tokio::spawn(metrics_http::serve(listener, Arc::clone(&metrics)));
    Some(metrics)
}

fn init_logging(debug: bool) {
    // Colour only for a person at a terminal, not for a log collector.
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if debug {
        builder.with_max_level(tracing::Level::DEBUG).init();
    } else {
        builder.json().with_max_level(tracing::Level::INFO).init();
    }
}
