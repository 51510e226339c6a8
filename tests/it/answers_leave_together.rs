//! The served connection holds small writes until it is polled again, so
//! that answers finishing together leave in one write; it sends at once
//! what is too much to hold, and everything before it shuts down.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use function_eks_pod_identity::connection::{Connection, SEND_AT};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Long enough for loopback to deliver anything that was sent.
const SETTLE: Duration = Duration::from_millis(50);

/// A served connection and the client's end of it.
async fn pair() -> (Connection, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    (Connection::new(accepted), client)
}

fn on_runtime(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

/// Whether the client has anything to read, after giving it time to arrive.
async fn arrived(client: &TcpStream) -> bool {
    tokio::time::sleep(SETTLE).await;
    let mut probe = [0; 1];
    client.try_read(&mut probe).is_ok()
}

/// Counts how often the connection's task is woken.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn small_writes_leave_together_when_the_connection_is_next_polled() {
    on_runtime(async {
        let (mut server, mut client) = pair().await;
        server.write_all(b"one answer, ").await.unwrap();
        server.flush().await.unwrap();
        server.write_all(b"another").await.unwrap();
        server.flush().await.unwrap();
        assert!(!arrived(&client).await, "sent before the next poll");

        // h2 reads first whenever its task is polled again.
        let mut request = [0; 16];
        let read = tokio::time::timeout(SETTLE, server.read(&mut request)).await;
        assert!(read.is_err(), "the client sent nothing");

        let mut answers = [0; 64];
        let got = tokio::time::timeout(Duration::from_secs(5), client.read(&mut answers))
            .await
            .expect("sent by the read")
            .unwrap();
        assert_eq!(&answers[..got], b"one answer, another", "in one read");
    });
}

#[test]
fn a_flush_that_holds_bytes_asks_for_another_poll() {
    on_runtime(async {
        let (mut server, _client) = pair().await;
        let woken = Arc::new(Wakes::default());
        let waker = Waker::from(Arc::clone(&woken));
        let mut context = Context::from_waker(&waker);

        let flushed = Pin::new(&mut server).poll_flush(&mut context);
        assert!(matches!(flushed, Poll::Ready(Ok(()))));
        assert_eq!(woken.0.load(Ordering::SeqCst), 0, "nothing held");

        let written = Pin::new(&mut server).poll_write(&mut context, b"answer");
        assert!(matches!(written, Poll::Ready(Ok(6))));
        let flushed = Pin::new(&mut server).poll_flush(&mut context);
        assert!(matches!(flushed, Poll::Ready(Ok(()))));
        assert_eq!(woken.0.load(Ordering::SeqCst), 1, "bytes held");

        // Polled again: the read sends them, and nothing is held any more.
        let mut buf = [0; 16];
        let mut read = ReadBuf::new(&mut buf);
        assert!(Pin::new(&mut server)
            .poll_read(&mut context, &mut read)
            .is_pending());
        let flushed = Pin::new(&mut server).poll_flush(&mut context);
        assert!(matches!(flushed, Poll::Ready(Ok(()))));
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "nothing held after the read"
        );
    });
}

#[test]
fn enough_held_bytes_leave_at_the_flush() {
    on_runtime(async {
        let (mut server, mut client) = pair().await;
        let answer = vec![b'a'; SEND_AT];
        server.write_all(&answer).await.unwrap();
        server.flush().await.unwrap();
        let mut got = vec![0; SEND_AT];
        tokio::time::timeout(Duration::from_secs(5), client.read_exact(&mut got))
            .await
            .expect("sent without another poll")
            .unwrap();
        assert_eq!(got, answer);
    });
}

/// Everything the client receives until the server's side closes.
async fn until_closed(client: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut got))
        .await
        .expect("closed")
        .unwrap();
    got
}

#[test]
fn shutdown_sends_what_is_held_then_closes() {
    on_runtime(async {
        let (mut server, mut client) = pair().await;
        server.write_all(b"last answer").await.unwrap();
        server.flush().await.unwrap();
        server.shutdown().await.unwrap();
        assert_eq!(until_closed(&mut client).await, b"last answer");
    });
}

#[test]
fn dropping_sends_what_is_held() {
    on_runtime(async {
        let (mut server, mut client) = pair().await;
        server.write_all(b"a TLS alert").await.unwrap();
        server.flush().await.unwrap();
        drop(server);
        assert_eq!(until_closed(&mut client).await, b"a TLS alert");
    });
}

#[test]
fn reads_hand_over_everything_in_order_whatever_their_size() {
    on_runtime(async {
        let (mut server, mut client) = pair().await;
        let sent: Vec<u8> = (0..200_000_u32).map(|at| (at % 251) as u8).collect();
        let sending = sent.clone();
        let writer = tokio::spawn(async move {
            client.write_all(&sending).await.unwrap();
            client.shutdown().await.unwrap();
            client
        });
        let mut got = Vec::new();
        // Small reads, as h2 makes them, and large ones, which bypass the
        // read-ahead.
        for size in [1000, 100_000].into_iter().cycle() {
            let mut buf = vec![0; size];
            let read = server.read(&mut buf).await.unwrap();
            if read == 0 {
                break;
            }
            got.extend_from_slice(&buf[..read]);
        }
        drop(writer.await.unwrap());
        assert_eq!(got.len(), sent.len());
        assert!(got == sent, "the bytes came out of order");
    });
}
