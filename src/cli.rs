//! Command-line flags, following the functions specification and the Go
//! SDK's template, and the listener they ask for.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::guardrails::input::parse_duration;

/// The default listen address: every interface, IPv6 and (dual stack) IPv4.
pub const DEFAULT_ADDRESS: &str = "[::]:9443";

/// The default metrics address: the port Crossplane's package runtime
/// declares as `metrics` on every function pod.
pub const DEFAULT_METRICS_ADDRESS: &str = ":8080";

/// The largest `--max-recv-message-size`, in MB: far beyond anything
/// Crossplane sends (its own limit is 4 MB), and small enough that the
/// product in bytes never overflows.
pub const MAX_RECV_MESSAGE_MB: u64 = 1024;

/// A Crossplane composition function that composes EKS Pod Identity.
///
/// Every flag may also come from the environment variable named in its help.
#[derive(Debug, Parser)]
#[command(name = "function-eks-pod-identity", version, about)]
pub struct Cli {
    /// Address to serve gRPC on; `:PORT` means every interface.
    #[arg(long, env = "FUNCTION_ADDRESS", default_value = DEFAULT_ADDRESS)]
    pub address: String,

    /// Serve plaintext gRPC, without TLS (wins over --tls-server-certs-dir).
    #[arg(long, env = "FUNCTION_INSECURE", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub insecure: bool,

    /// Directory holding tls.crt, tls.key and ca.crt for mTLS.
    #[arg(
        long = "tls-server-certs-dir",
        alias = "tls-certs-dir",
        env = "TLS_SERVER_CERTS_DIR"
    )]
    pub tls_certs_dir: Option<PathBuf>,

    /// Log human-readable lines at debug level, one per call, instead of
    /// JSON at info level.
    #[arg(short, long, env = "FUNCTION_DEBUG", value_parser = BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub debug: bool,

    /// Largest request accepted, in MB (MiB), as in the Go function template.
    #[arg(long, env = "FUNCTION_MAX_RECV_MESSAGE_SIZE", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=MAX_RECV_MESSAGE_MB))]
    pub max_recv_message_size: u64,

    /// Address to serve Prometheus metrics on, at `GET /metrics`; empty
    /// turns the metrics server off.
    #[arg(long, env = "FUNCTION_METRICS_ADDRESS", default_value = DEFAULT_METRICS_ADDRESS)]
    pub metrics_address: String,

    /// How soon Crossplane should call again: `90`, `90s`, `5m` or `1h`.
    #[arg(long, env = "FUNCTION_TTL", default_value = "60s", value_parser = parse_duration)]
    pub ttl: Duration,

    /// Run a tool instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// `--max-recv-message-size` in bytes.
    #[must_use]
    pub fn max_recv_message_bytes(&self) -> usize {
        let bytes = self.max_recv_message_size.saturating_mul(1024 * 1024);
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}

/// The offline tools.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print what the function composes for an XR, like `crossplane render`.
    Render(crate::render::RenderArgs),
    /// Lint the inline policies of claims or XRs, and check them against
    /// a Composition's guardrails: exit 0 when clean, 1 on an ERROR finding
    /// or a refusal, 2 when a file cannot be read.
    Lint(crate::lint::LintArgs),
}

/// Binds a listen address. `:PORT`, as Go spells every interface, binds
/// `[::]:PORT`; that and the default `[::]` fall back to `0.0.0.0` on hosts
/// without IPv6. Any other address is bound as given.
pub async fn bind(address: &str) -> std::io::Result<TcpListener> {
    let every_interface = match address.strip_prefix(':') {
        Some(port) => Some(port),
        None => address.strip_prefix("[::]:"),
    };
    let Some(port) = every_interface else {
        return TcpListener::bind(address).await;
    };
    let port: u16 = port.parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{address:?} has no valid port"),
        )
    })?;
    match TcpListener::bind((Ipv6Addr::UNSPECIFIED, port)).await {
        Err(error) if is_ipv6_unavailable(&error) => {
            let fallback: SocketAddr = (Ipv4Addr::UNSPECIFIED, port).into();
            tracing::info!(%error, %fallback, "IPv6 is unavailable; serving IPv4 only");
            TcpListener::bind(fallback).await
        }
        other => other,
    }
}

fn is_ipv6_unavailable(error: &std::io::Error) -> bool {
    // EAFNOSUPPORT (97) without an IPv6 stack, EADDRNOTAVAIL (99) with IPv6
    // disabled on every interface.
    matches!(error.raw_os_error(), Some(97 | 99))
}
