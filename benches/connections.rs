//! Memory per connection: the server binary's resident set while a client
//! holds many idle connections open, after open/close cycles, and while one
//! connection attempts far more streams than the server allows.
//!
//! `cargo bench --bench connections` starts the binary built with the bench
//! (`--insecure --address 127.0.0.1:0`), reads its address off its JSON log
//! line, and reads `VmRSS` from `/proc/<pid>/status` (Linux). Everything it
//! sends goes to loopback and every loop is bounded. It prints one table,
//! figures and the targets they are held to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_function-eks-pod-identity");

const IDLE_CONNECTIONS: usize = 1_000;
const CYCLES: usize = 5;
const ATTEMPTED_STREAMS: u32 = 20_000;

/// The server, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Self {
        let mut child = Command::new(BINARY)
            .args(["--insecure", "--address", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| address_in(&line))
            .expect("the server logs its address");
        // Keep draining its log so that it never blocks on a full pipe.
        thread::spawn(move || lines.for_each(drop));
        Self { child, address }
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's status");
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS");
        kib / 1024.0
    }
}

fn address_in(line: &str) -> Option<SocketAddr> {
    let start = line.find(r#""address":""#)? + r#""address":""#.len();
    let end = start + line[start..].find('"')?;
    line[start..end].parse().ok()
}

fn settle() {
    thread::sleep(Duration::from_millis(500));
}

/// One HPACK header, as a literal with a new name, never indexed.
fn header(block: &mut Vec<u8>, name: &str, value: &str) {
    block.push(0x00);
    for text in [name, value] {
        // Every name and value here is shorter than 127 bytes.
        block.push(u8::try_from(text.len()).expect("a short header"));
        block.extend_from_slice(text.as_bytes());
    }
}

/// Opens `streams` request streams on one connection, none of them ever
/// finished, as raw HTTP/2 frames, so that the client's own stream limit
/// never holds them back.
fn attempt_streams(address: SocketAddr, streams: u32) -> TcpStream {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut drain = stream.try_clone().expect("a second handle");
    thread::spawn(move || {
        let mut sink = [0_u8; 16 * 1024];
        while matches!(drain.read(&mut sink), Ok(read) if read > 0) {}
    });
    let mut block = Vec::new();
    header(&mut block, ":method", "POST");
    header(&mut block, ":scheme", "http");
    header(
        &mut block,
        ":path",
        "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction",
    );
    header(&mut block, ":authority", "localhost");
    header(&mut block, "content-type", "application/grpc");
    header(&mut block, "te", "trailers");
    let length = u32::try_from(block.len())
        .expect("a short block")
        .to_be_bytes();
    let mut frames = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0".to_vec();
    for index in 0..streams {
        // HEADERS with END_HEADERS and no END_STREAM, on odd stream ids.
        frames.extend_from_slice(&length[1..]);
        frames.extend_from_slice(&[0x01, 0x04]);
        frames.extend_from_slice(&(2 * index + 1).to_be_bytes());
        frames.extend_from_slice(&block);
    }
    stream.write_all(&frames).expect("send the streams");
    stream
}

fn main() {
    // `cargo test --benches` runs benches once as tests; this one is quick
    // enough to run whole either way.
    let server = Server::start();
    settle();
    let start = server.rss_mib();

    let idle: Vec<TcpStream> = (0..IDLE_CONNECTIONS)
        .map(|_| TcpStream::connect(server.address).expect("connect"))
        .collect();
    settle();
    let with_idle = server.rss_mib();
    drop(idle);
    for _ in 0..CYCLES {
        let cycle: Vec<TcpStream> = (0..IDLE_CONNECTIONS)
            .map(|_| TcpStream::connect(server.address).expect("connect"))
            .collect();
        settle();
        drop(cycle);
    }
    settle();
    let after_cycles = server.rss_mib();

    // A fresh server, so that memory the cycles still hold, or give back,
    // does not blur the figure.
    let server = Server::start();
    settle();
    let before_streams = server.rss_mib();
    let streams = attempt_streams(server.address, ATTEMPTED_STREAMS);
    thread::sleep(Duration::from_secs(1));
    let with_streams = server.rss_mib();
    drop(streams);

    println!("| measure | RSS | change | target |");
    println!("|---|---|---|---|");
    println!("| idle server | {start:.1} MiB | | |");
    println!(
        "| {IDLE_CONNECTIONS} idle connections open | {with_idle:.1} MiB | {:+.1} MiB | at most +24 MiB |",
        with_idle - start
    );
    println!(
        "| after {CYCLES} open/close cycles of {IDLE_CONNECTIONS} | {after_cycles:.1} MiB | {:+.1} MiB | within 24 MiB of the start |",
        after_cycles - start
    );
    println!("| a fresh server | {before_streams:.1} MiB | | |");
    println!(
        "| {ATTEMPTED_STREAMS} streams attempted on one connection | {with_streams:.1} MiB | {:+.1} MiB | at most +64 MiB |",
        with_streams - before_streams
    );
}
