//! Serving the function over gRPC: the listener's connections, TLS, the
//! runtime, and the services (both protocol versions and health). It binds
//! nothing itself, so callers (the binary, tests, benches) hand in a
//! listener and a shutdown signal.
//!
//! May import: [`crate::function`] (one call, request in, response out) and
//! the protocol's generated services and response helpers. Nothing here
//! knows what the function composes.

pub mod exhausted;
pub mod listen;
pub mod metrics;
pub mod metrics_http;
pub mod runtime;
pub mod service;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::service::InterceptorLayer;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;

use crate::function::Function;
use crate::protocol::{v1, v1beta1};
use exhausted::ExhaustedOnOversize;
use listen::FIRST_REQUEST_DEADLINE;
use metrics::{Metrics, ObserveLayer};
use service::FunctionService;

/// gRPC service names of the two protocol versions, as health checks ask for them.
pub const SERVICE_NAMES: [&str; 2] = [
    "apiextensions.fn.proto.v1.FunctionRunnerService",
    "apiextensions.fn.proto.v1beta1.FunctionRunnerService",
];

/// How long calls in flight may take to finish once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// Crossplane's own client limit, and the Go SDK's default.
pub const DEFAULT_MAX_RECV_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// The most calls one connection may have open at once. Crossplane sends
/// every call to a function over one connection, at most one per XR
/// reconcile in flight: each XR controller runs up to `--max-reconcile-rate`
/// reconciles at once (100 by default), and several XR types may share the
/// function. Its Go client queues calls beyond the server's bound instead of
/// failing them, and each call here takes well under a millisecond, so a
/// bound of this size costs Crossplane nothing, while it caps what one
/// connection's open streams can hold at a few MiB.
pub const MAX_CONCURRENT_STREAMS: u32 = 256;

/// How often an idle connection is pinged, and how long the answer may take
/// before the connection is closed as dead.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// See [`KEEPALIVE_INTERVAL`].
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// What [`serve`] needs besides its listener.
#[derive(Debug)]
pub struct ServerConfig {
    /// mTLS settings; `None` serves plaintext.
    pub tls: Option<ServerTlsConfig>,
    /// Largest request accepted, in bytes.
    pub max_recv_message_size: usize,
    /// The composition pipeline every call runs.
    pub function: Function,
    /// How long a new connection has to make its first request.
    pub first_request_deadline: Duration,
}

impl ServerConfig {
    /// Plaintext serving of `function` with the binary's defaults.
    #[must_use]
    pub fn new(function: Function) -> Self {
        Self {
            tls: None,
            max_recv_message_size: DEFAULT_MAX_RECV_MESSAGE_SIZE,
            function,
            first_request_deadline: FIRST_REQUEST_DEADLINE,
        }
    }
}

/// A failure to start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file of the TLS certificate directory could not be read.
    #[error("cannot read {path}: {source}")]
    TlsFile {
        /// The file that could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// tonic refused the configuration or the transport failed.
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not read the descriptor sets.
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Loads the mTLS configuration Crossplane provides: `tls.crt` and `tls.key`
/// identify the server, `ca.crt` verifies clients, whose certificates are
/// required.
pub fn load_tls(dir: &Path) -> Result<ServerTlsConfig, ServeError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| ServeError::TlsFile { path, source })
    };
    let identity = Identity::from_pem(read("tls.crt")?, read("tls.key")?);
    Ok(ServerTlsConfig::new()
        .identity(identity)
        .client_ca_root(Certificate::from_pem(read("ca.crt")?))
        .client_auth_optional(false)
        .timeout(FIRST_REQUEST_DEADLINE))
}

/// Serves the function and the health service on `listener` until
/// `shutdown` completes, then lets calls in flight finish for at most
/// [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    serve_with_metrics(listener, config, None, shutdown).await
}

/// [`serve`], counting every call in `metrics` if given. Calls that fail at
/// the transport are logged either way.
pub async fn serve_with_metrics(
    listener: TcpListener,
    config: ServerConfig,
    metrics: Option<Arc<Metrics>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in SERVICE_NAMES {
        health
            .set_service_status(name, ServingStatus::Serving)
            .await;
    }
    // Both v1 and v1alpha, as grpc-go's reflection.Register does: grpcurl
    // and older tools ask for the latter.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::protocol::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let service = FunctionService::new(config.function).with_metrics(metrics.clone());
    let limit = config.max_recv_message_size;
    let mut builder = Server::builder()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
    if let Some(tls) = config.tls {
        builder = builder.tls_config(tls)?;
    }
    let router = builder
        .layer(ObserveLayer::new(metrics))
        .layer(InterceptorLayer::new(listen::mark_first_request))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(ExhaustedOnOversize(
            v1::function_runner_service_server::FunctionRunnerServiceServer::new(service.clone())
                .max_decoding_message_size(limit),
        ))
        .add_service(ExhaustedOnOversize(
            v1beta1::function_runner_service_server::FunctionRunnerServiceServer::new(service)
                .max_decoding_message_size(limit),
        ));

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let incoming = listen::incoming(listener, config.first_request_deadline);
    let server = router.serve_with_incoming_shutdown(incoming, async {
        // A dropped sender also means stop.
        let _ = stopped.await;
    });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return Ok(result?),
        () = shutdown => {}
    }
    tracing::info!("shutting down");
    let _ = stop.send(());
    if let Ok(result) = tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        result?;
    } else {
        tracing::warn!("calls still in flight after the shutdown grace period were dropped");
    }
    Ok(())
}
