//! The gRPC health service reports both protocol versions as serving.

use function_eks_pod_identity::protocol::{v1, v1beta1};
use function_eks_pod_identity::serve::SERVICE_NAMES;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::support::server::{plaintext, TestServer};

async fn health_client(server: &TestServer) -> HealthClient<Channel> {
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(channel)
}

#[tokio::test]
async fn both_protocol_versions_report_serving() {
    let server = TestServer::start(plaintext()).await;
    let mut health = health_client(&server).await;
    assert_eq!(SERVICE_NAMES.len(), 2);
    for name in SERVICE_NAMES {
        let answer = health
            .check(HealthCheckRequest {
                service: name.to_owned(),
            })
            .await
            .unwrap_or_else(|status| panic!("health check of {name}: {status}"))
            .into_inner();
        assert_eq!(answer.status(), ServingStatus::Serving, "{name}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_names_are_the_served_services_and_others_are_unknown() {
    let server = TestServer::start(plaintext()).await;
    let mut health = health_client(&server).await;
    // The names checked above are exactly the gRPC services RunFunction is
    // served under.
    assert_eq!(
        SERVICE_NAMES,
        [
            v1::function_runner_service_server::SERVICE_NAME,
            v1beta1::function_runner_service_server::SERVICE_NAME,
        ]
    );
    let unknown = health
        .check(HealthCheckRequest {
            service: "apiextensions.fn.proto.v1alpha1.FunctionRunnerService".to_owned(),
        })
        .await
        .expect_err("an unregistered service has no health");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    server.stop().await;
}
