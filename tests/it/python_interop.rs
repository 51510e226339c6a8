//! The official Python SDK (`tests/interop/client.py`, run with the
//! virtualenv `bash tests/run.sh` makes) calls the server over v1 and
//! v1beta1: an independent client built from Crossplane's own definition.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::server::{plaintext, TestServer};

/// Where `bash tests/run.sh` puts the virtualenv's interpreter, unless
/// `FUNCTION_TEST_PYTHON` names another.
fn python() -> PathBuf {
    match std::env::var_os("FUNCTION_TEST_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/py-venv/bin/python"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_calls_v1_and_v1beta1() {
    let python = python();
    assert!(
        python.is_file(),
        "no Python interpreter at {}: run `bash tests/run.sh` (it creates the virtualenv \
         with the pinned Crossplane Python SDK), or set FUNCTION_TEST_PYTHON",
        python.display()
    );
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/client.py");
    let server = TestServer::start(plaintext()).await;
    let target = server.addr.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&client)
            .arg(target)
            // Keep the work tree free of __pycache__.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap_or_else(|error| panic!("run {}: {error}", python.display()))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["ok v1", "ok v1beta1"],
        "{stderr}"
    );
    server.stop().await;
}
