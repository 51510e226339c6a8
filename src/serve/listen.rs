//! Accepting connections: a back-off, and a log line, when `accept` fails
//! (at the open-file limit it fails at once, again and again), and a
//! deadline by which each connection must have made its first request, so
//! that one which never speaks cannot hold its socket and memory forever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Sleep;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::transport::server::{Connected, TcpConnectInfo, TlsConnectInfo};
use tonic::Status;

/// How long a new connection has for its TLS and HTTP/2 handshakes and its
/// first request. Crossplane sends a request as soon as it has connected.
pub const FIRST_REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// The first pause after a failed `accept`; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Accepted connections not yet taken up by the server.
const ACCEPT_QUEUE: usize = 64;

/// The connections `listener` accepts, without Nagle's algorithm (which
/// would hold back the last small write of an answer until the client's
/// delayed acknowledgement), each with [`FIRST_REQUEST_DEADLINE`] to make
/// its first request. Accepting stops when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    deadline: Duration,
) -> impl Stream<Item = io::Result<Connection>> {
    let (sender, receiver) = mpsc::channel(ACCEPT_QUEUE);
    tokio::spawn(accept(listener, sender, deadline));
    ReceiverStream::new(receiver)
}

async fn accept(
    listener: TcpListener,
    sender: mpsc::Sender<io::Result<Connection>>,
    deadline: Duration,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = sender.closed() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                backoff = FIRST_BACKOFF;
                // Only an optimisation: a connection without it still works.
                let _ = stream.set_nodelay(true);
                if sender
                    .send(Ok(Connection::new(stream, deadline)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, backoff_ms = backoff.as_millis(), "cannot accept a connection; pausing");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Whether a connection has made its first request, shared between the
/// connection and the requests it carries.
#[derive(Debug, Clone, Default)]
pub struct FirstRequest(Arc<AtomicBool>);

impl FirstRequest {
    fn arrived(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What the server knows of a connection, in each request's extensions.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The peer's and our addresses.
    pub tcp: TcpConnectInfo,
    first_request: FirstRequest,
}

/// An accepted TCP connection that fails its reads once the deadline passes
/// with no request made on it.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    first_request: FirstRequest,
    /// Dropped once the first request has arrived.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Connection {
    fn new(stream: TcpStream, deadline: Duration) -> Self {
        Self {
            stream,
            first_request: FirstRequest::default(),
            deadline: Some(Box::pin(tokio::time::sleep(deadline))),
        }
    }
}

impl Connected for Connection {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        ConnectionInfo {
            tcp: self.stream.connect_info(),
            first_request: self.first_request.clone(),
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(deadline) = this.deadline.as_mut() {
            if this.first_request.arrived() {
                this.deadline = None;
            } else if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no request within the deadline for a new connection",
                )));
            }
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Marks the connection a request came on as having spoken, lifting its
/// deadline. Used as a server-wide interceptor; it never refuses a request.
#[allow(clippy::result_large_err)] // The signature is tonic's `Interceptor`.
pub fn mark_first_request(request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
    let extensions = request.extensions();
    if let Some(info) = extensions.get::<ConnectionInfo>() {
        info.first_request.mark();
    } else if let Some(info) = extensions.get::<TlsConnectInfo<ConnectionInfo>>() {
        info.get_ref().first_request.mark();
    }
    Ok(request)
}
