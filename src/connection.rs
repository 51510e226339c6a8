//! A served TCP connection whose answers leave together: what is written
//! while the runtime works through its ready tasks goes out in one write.
//!
//! h2 holds an answer's body of more than 256 bytes by reference and flushes
//! it before it encodes the next frame, so with answers of a few kilobytes
//! each call costs a write system call and, on loopback or a virtual NIC,
//! the delivery to the peer on the server's own CPU time. Here a flush of
//! less than [`SEND_AT`] bytes only holds them and asks to be polled again
//! once the tasks ready now have run: answers that finish together then
//! leave in one write, and the peer wakes once for all of them. Reads, for
//! the same reason, take up to [`READ_AHEAD`] bytes from the socket at once,
//! where h2 asks for a frame's worth at a time.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Held bytes that go out at once rather than at the end of the round:
/// enough to save most writes, few enough to keep the peer busy meanwhile.
pub const SEND_AT: usize = 16 * 1024;

/// Read from the socket at once when h2 asks for less: requests that
/// arrive together then take one system call, not one each.
pub const READ_AHEAD: usize = 64 * 1024;

/// One accepted connection, as the server reads and writes it.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    /// Read from the socket and not yet handed to h2, from `start` to `end`.
    inbox: Box<[u8]>,
    start: usize,
    end: usize,
    /// Written by h2 and not yet sent, from `sent` on.
    held: Vec<u8>,
    sent: usize,
}

impl Connection {
    /// Takes over `stream`.
    #[must_use]
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            inbox: vec![0; READ_AHEAD].into_boxed_slice(),
            start: 0,
            end: 0,
            held: Vec::new(),
            sent: 0,
        }
    }

    /// Sends everything held.
    fn poll_send(&mut self, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.held.len() {
            let written =
                ready!(Pin::new(&mut self.stream).poll_write(context, &self.held[self.sent..]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += written;
        }
        self.held.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }

    fn unsent(&self) -> usize {
        self.held.len() - self.sent
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // h2 reads first whenever it is polled: the round that held these
        // bytes is over.
        if self.unsent() > 0 {
            if let Poll::Ready(Err(error)) = self.poll_send(context) {
                return Poll::Ready(Err(error));
            }
        }
        let this = self.get_mut();
        if this.start == this.end {
            if buf.remaining() >= READ_AHEAD {
                return Pin::new(&mut this.stream).poll_read(context, buf);
            }
            let mut inbox = ReadBuf::new(&mut this.inbox);
            ready!(Pin::new(&mut this.stream).poll_read(context, &mut inbox))?;
            this.start = 0;
            this.end = inbox.filled().len();
        }
        let taken = buf.remaining().min(this.end - this.start);
        buf.put_slice(&this.inbox[this.start..this.start + taken]);
        this.start += taken;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(context, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.unsent() >= SEND_AT {
            ready!(self.poll_send(context))?;
        }
        let mut written = 0;
        for buf in bufs {
            self.held.extend_from_slice(buf);
            written += buf.len();
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.unsent() >= SEND_AT {
            return self.poll_send(context);
        }
        if self.unsent() > 0 {
            // Polled again after the tasks ready now, this connection sends
            // what they have written meanwhile too.
            context.waker().wake_by_ref();
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send(context))?;
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

impl Drop for Connection {
    /// Sends what is still held, as far as the socket takes it without
    /// waiting: a connection dropped without a shutdown, such as one whose
    /// TLS handshake failed, still tells the peer why (the alert is the
    /// last thing written).
    fn drop(&mut self) {
        while self.unsent() > 0 {
            match self.stream.try_write(&self.held[self.sent..]) {
                Ok(written) if written > 0 => self.sent += written,
                _ => break,
            }
        }
    }
}
