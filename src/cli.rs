//! Command-line flags, following the functions specification and the Go
//! SDK's template, and the listener they ask for.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::serve::DEFAULT_MAX_RECV_MESSAGE_SIZE;

/// The default listen address: every interface, IPv6 and (dual stack) IPv4.
pub const DEFAULT_ADDRESS: &str = "[::]:9443";

/// A Crossplane composition function that composes EKS Pod Identity.
#[derive(Debug, Parser)]
#[command(name = "function-eks-pod-identity", version, about)]
pub struct Cli {
    /// Address to serve gRPC on.
    #[arg(long, default_value = DEFAULT_ADDRESS)]
    pub address: String,

    /// Serve plaintext gRPC, without TLS (wins over --tls-certs-dir).
    #[arg(long)]
    pub insecure: bool,

    /// Directory holding tls.crt, tls.key and ca.crt for mTLS.
    #[arg(long, env = "TLS_SERVER_CERTS_DIR")]
    pub tls_certs_dir: Option<PathBuf>,

    /// Log human-readable lines at debug level instead of JSON at info level.
    #[arg(long)]
    pub debug: bool,

    /// Largest request accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_RECV_MESSAGE_SIZE)]
    pub max_recv_message_size: usize,

    /// How soon Crossplane should call again: `90`, `90s`, `5m` or `1h`.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub ttl: Duration,

    /// Run a tool instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The offline tools.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print what the function composes for an XR, like `crossplane render`.
    Render(crate::render::RenderArgs),
}

/// Parses a whole number of seconds, minutes or hours.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(split) => text.split_at(split),
        None => (text, "s"),
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 5m or 1h"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{text:?} has unit {unit:?}; use s, m or h")),
    };
    Ok(Duration::from_secs(count.saturating_mul(scale)))
}

/// Binds the listen address. The default `[::]` falls back to `0.0.0.0` on
/// hosts without IPv6; an address given explicitly is bound as given.
pub async fn bind(address: &str) -> std::io::Result<TcpListener> {
    match TcpListener::bind(address).await {
        Err(error) if address == DEFAULT_ADDRESS && is_ipv6_unavailable(&error) => {
            let fallback: SocketAddr = (Ipv4Addr::UNSPECIFIED, 9443).into();
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
