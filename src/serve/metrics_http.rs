//! The `/metrics` endpoint: a minimal HTTP/1.1 responder, bounded so that a
//! slow or hostile scraper costs only its own small share: a few
//! connections at once, a few KiB of request each, a deadline per
//! connection, and one answer per connection.
//!
//! It runs on the server's runtime as tasks of their own, never on the
//! blocking pool that composes, so a scrape never waits for a call nor a
//! call for a scrape.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::serve::metrics::{Metrics, CONTENT_TYPE};

/// Scrapes served at once; more connections are closed on arrival.
/// Prometheus scrapes one target once per interval, so a handful is plenty.
pub const MAX_SCRAPERS: usize = 4;

/// The most a request may send, request line and headers together.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024;

/// How long one connection has to send its request and read the answer.
pub const SCRAPE_DEADLINE: Duration = Duration::from_secs(5);

/// Serves `GET /metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let slots = Arc::new(Semaphore::new(MAX_SCRAPERS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a metrics connection; pausing");
                // At the open-file limit accept fails at once, again and again.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // A scraper beyond the bound is refused, not queued: queueing would
        // let idle connections pile up sockets.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(SCRAPE_DEADLINE, answer(stream, &metrics)).await;
            drop(slot);
        });
    }
}

/// What a request asked for, as far as this endpoint cares.
#[derive(Debug, PartialEq, Eq)]
enum Asked {
    Metrics,
    NotFound,
    WrongMethod,
    Malformed,
}

fn parse(head: &[u8]) -> Asked {
    let line = head.split(|&byte| byte == b'\n').next().unwrap_or_default();
    let mut words = line.split(|&byte| byte == b' ');
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Asked::Malformed;
    };
    let path = target
        .split(|&byte| byte == b'?')
        .next()
        .unwrap_or_default();
    match (method, path) {
        (b"GET", b"/metrics") => Asked::Metrics,
        (b"GET", _) => Asked::NotFound,
        _ => Asked::WrongMethod,
    }
}

/// Reads until the end of the request's headers, within the size bound.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0_u8; 512];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        // Only the bytes around the new chunk can complete the blank line.
        let scan_from = head.len().saturating_sub(3);
        head.extend_from_slice(chunk.get(..read)?);
        if head.get(scan_from..)?.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > MAX_REQUEST_BYTES {
            return None;
        }
    }
}

async fn answer(mut stream: TcpStream, metrics: &Metrics) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let (status, content_type, body) = match parse(&head) {
        Asked::Metrics => match metrics.encode() {
            Ok(text) => ("200 OK", CONTENT_TYPE, text),
            Err(_) => (
                "500 Internal Server Error",
                "text/plain",
                "cannot encode metrics\n".to_owned(),
            ),
        },
        Asked::NotFound => ("404 Not Found", "text/plain", "try /metrics\n".to_owned()),
        Asked::WrongMethod => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_owned(),
        ),
        Asked::Malformed => ("400 Bad Request", "text/plain", String::new()),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(header.as_bytes()).await.is_ok()
        && stream.write_all(body.as_bytes()).await.is_ok()
    {
        let _ = stream.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_routed_by_method_and_path() {
        let cases: [(&str, &[u8], Asked); 5] = [
            ("a scrape", b"GET /metrics HTTP/1.1\r\n", Asked::Metrics),
            (
                "a query string is ignored",
                b"GET /metrics?x=1 HTTP/1.1\r\n",
                Asked::Metrics,
            ),
            ("another path", b"GET / HTTP/1.1\r\n", Asked::NotFound),
            (
                "another method",
                b"POST /metrics HTTP/1.1\r\n",
                Asked::WrongMethod,
            ),
            ("no target", b"GET\r\n", Asked::Malformed),
        ];
        for (name, head, want) in cases {
            assert_eq!(parse(head), want, "{name}");
        }
    }
}
