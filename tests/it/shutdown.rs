//! The real binary: it serves until SIGTERM or SIGINT and then exits 0
//! promptly, and refuses to start without certificates or `--insecure`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient;
use function_eks_pod_identity::protocol::v1::{RequestMeta, RunFunctionRequest};

const BINARY: &str = env!("CARGO_BIN_EXE_function-eks-pod-identity");

/// The binary, started serving plaintext on an ephemeral loopback port.
struct Running {
    child: Child,
    addr: SocketAddr,
}

impl Running {
    fn start() -> Self {
        let mut child = Command::new(BINARY)
            .args(["--insecure", "--address", "127.0.0.1:0"])
            .env_remove("TLS_SERVER_CERTS_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary");
        let (lines, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        // Drains stderr to the end, so the binary never writes to a full or
        // closed pipe, even once nobody reads the lines any more.
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = stderr
                .recv_timeout(left)
                .expect("the binary logged no listen address in time");
            if let Some(addr) = logged_address(&line) {
                break addr;
            }
        };
        Self { child, addr }
    }

    /// Sends `signal` (a name `kill -s` takes) to the binary.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} failed");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test must not leave the binary behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in the binary's JSON "serving" log line, if `line` is it.
fn logged_address(line: &str) -> Option<SocketAddr> {
    let record: serde_json::Value = serde_json::from_str(line).ok()?;
    let address = record
        .pointer("/fields/address")
        .or_else(|| record.get("address"))?;
    address.as_str()?.parse().ok()
}

/// Waits for `child` to exit, for at most `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// One call, proving the binary serves before it is stopped.
fn call(addr: SocketAddr) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = runtime.block_on(async {
        let mut client = FunctionRunnerServiceClient::connect(format!("http://{addr}")).await?;
        let request = RunFunctionRequest {
            meta: Some(RequestMeta {
                tag: "before-signal".to_owned(),
                ..RequestMeta::default()
            }),
            ..RunFunctionRequest::default()
        };
        Ok::<_, Box<dyn std::error::Error>>(client.run_function(request).await?.into_inner())
    });
    let answer = answer.expect("the binary serves RunFunction");
    assert_eq!(answer.meta.unwrap().tag, "before-signal");
}

fn assert_stops_cleanly_on(signal: &str) {
    let mut running = Running::start();
    assert!(running.addr.ip().is_loopback(), "{}", running.addr);
    assert_ne!(running.addr.port(), 0);
    call(running.addr);
    running.signal(signal);
    let status = wait_at_most(&mut running.child, Duration::from_secs(3))
        .unwrap_or_else(|| panic!("still running 3 s after SIG{signal}"));
    assert_eq!(status.code(), Some(0), "exit after SIG{signal}: {status}");
}

#[test]
fn sigterm_stops_the_server_with_exit_code_zero() {
    assert_stops_cleanly_on("TERM");
}

#[test]
fn sigint_stops_the_server_with_exit_code_zero() {
    assert_stops_cleanly_on("INT");
}

#[test]
fn without_certificates_or_insecure_it_refuses_to_start() {
    let mut child = Command::new(BINARY)
        .args(["--address", "127.0.0.1:0"])
        .env_remove("TLS_SERVER_CERTS_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let status = wait_at_most(&mut child, Duration::from_secs(10));
    let Some(status) = status else {
        panic!("the binary started serving without certificates or --insecure");
    };
    let output = child.wait_with_output().unwrap();
    assert!(!status.success(), "exit status {status}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains("--tls-certs-dir"), "{stderr:?}");
    assert!(stderr.contains("--insecure"), "{stderr:?}");
}
