//! Runs the real server in-process on an ephemeral loopback port.

use std::net::SocketAddr;

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::serve::{self as server, ServeError, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server serving on `127.0.0.1:<ephemeral>` until [`TestServer::stop`].
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl TestServer {
    /// Binds a loopback port and serves `config` on it, on the current
    /// runtime. The socket is bound before this returns, so clients may dial
    /// at once: the kernel queues them until the server accepts.
    pub async fn start(config: ServerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, config, async {
            let _ = stopped.await;
        }));
        Self { addr, stop, task }
    }

    /// Signals shutdown and checks the server then ends cleanly.
    pub async fn stop(self) {
        self.stop
            .send(())
            .expect("the server ended before it was stopped");
        let ended = tokio::time::timeout(server::SHUTDOWN_GRACE * 3, self.task)
            .await
            .expect("the server did not stop in time");
        ended
            .expect("the server task panicked")
            .expect("the server failed");
    }
}

/// Plaintext serving with the defaults the binary uses.
pub fn plaintext() -> ServerConfig {
    ServerConfig::new(Function::default())
}
