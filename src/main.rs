//! The binary: parse flags, set up logging, bind, serve until a signal.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use function_eks_pod_identity::cli::{self, Cli, Command};
use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::render;
use function_eks_pod_identity::serve::{self as server, runtime, ServerConfig};

/// glibc's allocator keeps most of what a thousand closed connections held
/// (freed, but fragmented below the top of its heap); mimalloc gives it
/// back. See `benches/connections.rs`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Render(args)) = &cli.command {
        return render::main(args, &Function::new(cli.ttl));
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
            "no TLS certificates: pass --tls-certs-dir (or set TLS_SERVER_CERTS_DIR), or --insecure to serve plaintext"
        ),
    };
    init_logging(cli.debug);
    // A panic costs only its call (the service catches it); log it as a
    // structured line like everything else instead of raw stderr text.
    std::panic::set_hook(Box::new(|panic| tracing::error!(%panic, "a call panicked")));
    let config = ServerConfig {
        tls,
        max_recv_message_size: cli.max_recv_message_size,
        ..ServerConfig::new(Function::new(cli.ttl))
    };
    runtime::run(|| async {
        let listener = cli::bind(&cli.address)
            .await
            .with_context(|| format!("cannot listen on {}", cli.address))?;
        tracing::info!(address = %listener.local_addr()?, tls = config.tls.is_some(), "serving");
        server::serve(listener, config, runtime::shutdown_signal()).await?;
        Ok(())
    })?
}

fn init_logging(debug: bool) {
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr);
    if debug {
        builder.with_max_level(tracing::Level::DEBUG).init();
    } else {
        builder.json().with_max_level(tracing::Level::INFO).init();
    }
}
