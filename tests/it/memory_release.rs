//! Which calls ask the runtime to hand their memory back: the large ones
//! only, once the worker has nothing else to do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::support::function::Call;
use crate::support::server::{plaintext, TestServer};
use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient;
use function_eks_pod_identity::serve::runtime::Runtime;
use function_eks_pod_identity::serve::service::RELEASE_MEMORY_REQUEST_BYTES;
use prost::Message;

static RELEASES: AtomicUsize = AtomicUsize::new(0);

fn count_release() {
    RELEASES.fetch_add(1, Ordering::Relaxed);
}

/// A request for an XR whose one annotation holds `bytes` bytes.
fn request_of(bytes: usize) -> function_eks_pod_identity::protocol::v1::RunFunctionRequest {
    Call {
        xr: Some(json!({
            "apiVersion": "aws.platform.upbound.io/v1alpha1",
            "kind": "XPodIdentity",
            "metadata": {"name": "shop", "annotations": {"note": "x".repeat(bytes)}},
            "spec": {"parameters": {}},
        })),
        ..Call::default()
    }
    .request()
}

#[test]
fn only_a_large_call_asks_for_its_memory_back() {
    let small = request_of(1024);
    let large = request_of(2 * RELEASE_MEMORY_REQUEST_BYTES);
    assert!(small.encoded_len() < RELEASE_MEMORY_REQUEST_BYTES);
    Runtime::per_core()
        .workers(1)
        .release_memory(count_release)
        .run(|| async move {
            let server = TestServer::start(plaintext()).await;
            let client = FunctionRunnerServiceClient::connect(format!("http://{}", server.addr))
                .await
                .expect("connect");
            // The server answers on the worker, the test on its own thread;
            // the pause leaves the worker idle.
            let releases_after = |request| {
                let mut client = client.clone();
                async move {
                    client.run_function(request).await.expect("an answer");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    RELEASES.load(Ordering::Relaxed)
                }
            };
            assert_eq!(releases_after(small.clone()).await, 0, "after a small call");
            assert_eq!(releases_after(large).await, 1, "after a large call");
            assert_eq!(releases_after(small).await, 1, "after a small one again");
            server.stop().await;
        })
        .expect("start the runtime");
}
