//! mTLS with certificates made the way Crossplane makes them: RSA-2048,
//! PKCS#1 keys, CA and leaves sharing the subject `CN=Crossplane`
//! (`tests/fixtures/tls/README.md` tells how they were made).

use std::path::{Path, PathBuf};
use std::time::Duration;

use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient as V1Client;
use function_eks_pod_identity::protocol::v1::{
    RequestMeta, RunFunctionRequest, RunFunctionResponse,
};
use function_eks_pod_identity::protocol::v1beta1::function_runner_service_client::FunctionRunnerServiceClient as V1beta1Client;
use function_eks_pod_identity::serve::{load_tls, ServeError, ServerConfig};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::support::server::{plaintext, TestServer};

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(dir)
}

fn read(dir: &str, file: &str) -> Vec<u8> {
    std::fs::read(fixtures(dir).join(file)).unwrap()
}

/// Serves with the server fixtures, loaded as the binary loads them.
async fn start() -> TestServer {
    let tls = load_tls(&fixtures("server")).expect("load the server fixtures");
    TestServer::start(ServerConfig {
        tls: Some(tls),
        ..plaintext()
    })
    .await
}

/// Trusts the Crossplane CA and checks the server as `domain`.
fn trusting_crossplane(domain: &str) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("server", "ca.crt")))
        .domain_name(domain)
}

/// Presents the client certificate in `dir`.
fn presenting(config: ClientTlsConfig, dir: &str) -> ClientTlsConfig {
    config.identity(Identity::from_pem(
        read(dir, "tls.crt"),
        read(dir, "tls.key"),
    ))
}

#[derive(Clone, Copy, Debug)]
enum Version {
    V1,
    V1beta1,
}

/// One call over TLS; any failure, at connect or at the call, as text.
async fn call(
    server: &TestServer,
    tls: ClientTlsConfig,
    version: Version,
) -> Result<RunFunctionResponse, String> {
    tokio::time::timeout(Duration::from_secs(10), call_once(server, tls, version))
        .await
        .expect("a TLS call must end, one way or the other, in time")
}

async fn call_once(
    server: &TestServer,
    tls: ClientTlsConfig,
    version: Version,
) -> Result<RunFunctionResponse, String> {
    let channel = Channel::from_shared(format!("https://{}", server.addr))
        .unwrap()
        .tls_config(tls)
        .map_err(|error| format!("tls config: {error}"))?
        .connect()
        .await
        .map_err(|error| format!("connect: {error:?}"))?;
    let request = RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: format!("{version:?}"),
            ..RequestMeta::default()
        }),
        ..RunFunctionRequest::default()
    };
    let answer = match version {
        Version::V1 => V1Client::new(channel).run_function(request).await,
        Version::V1beta1 => V1beta1Client::new(channel).run_function(request).await,
    };
    answer
        .map(tonic::Response::into_inner)
        .map_err(|status| format!("call: {status:?}"))
}

fn assert_answered(answer: Result<RunFunctionResponse, String>, version: Version) {
    let answer = answer.unwrap_or_else(|error| panic!("{version:?} over mTLS failed: {error}"));
    assert_eq!(answer.meta.unwrap().tag, format!("{version:?}"));
}

#[test]
fn fixtures_are_shaped_like_crossplanes() {
    for dir in ["server", "client", "untrusted"] {
        let key = String::from_utf8(read(dir, "tls.key")).unwrap();
        assert!(
            key.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
            "{dir}: PKCS#1 key"
        );
    }
    assert_eq!(read("server", "ca.crt"), read("client", "ca.crt"));
    assert_ne!(read("server", "ca.crt"), read("untrusted", "ca.crt"));
}

#[tokio::test]
async fn client_signed_by_the_ca_is_served_on_v1_and_v1beta1() {
    let server = start().await;
    for version in [Version::V1, Version::V1beta1] {
        let tls = presenting(trusting_crossplane("localhost"), "client");
        assert_answered(call(&server, tls, version).await, version);
    }
    server.stop().await;
}

#[tokio::test]
async fn server_certificate_names_the_kubernetes_service() {
    let server = start().await;
    for domain in [
        "function-eks-pod-identity",
        "function-eks-pod-identity.crossplane-system",
        "function-eks-pod-identity.crossplane-system.svc",
    ] {
        let tls = presenting(trusting_crossplane(domain), "client");
        let answer = call(&server, tls, Version::V1).await;
        assert!(answer.is_ok(), "as {domain}: {answer:?}");
    }
    let tls = presenting(trusting_crossplane("elsewhere.example"), "client");
    let answer = call(&server, tls, Version::V1).await;
    assert!(answer.is_err(), "a name not on the certificate must fail");
    server.stop().await;
}

#[tokio::test]
async fn client_without_a_certificate_is_rejected() {
    let server = start().await;
    let answer = call(&server, trusting_crossplane("localhost"), Version::V1).await;
    let error = answer.expect_err("a client without a certificate must be refused");
    // The server's TLS layer said why.
    assert!(error.contains("CertificateRequired"), "{error}");
    // The refusal cost that client only.
    let tls = presenting(trusting_crossplane("localhost"), "client");
    assert_answered(call(&server, tls, Version::V1).await, Version::V1);
    server.stop().await;
}

#[tokio::test]
async fn client_signed_by_another_ca_is_rejected() {
    let server = start().await;
    for version in [Version::V1, Version::V1beta1] {
        let tls = presenting(trusting_crossplane("localhost"), "untrusted");
        let answer = call(&server, tls, version).await;
        let error = answer.expect_err("a certificate from another CA must be refused");
        // The issuer's name matches the trusted CA's, so rustls tries that
        // CA and the signature check fails: the server answers with a fatal
        // alert about the certificate, never with a gRPC status.
        assert!(
            ["DecryptError", "BadCertificate", "UnknownCA"]
                .iter()
                .any(|alert| error.contains(&format!("fatal alert: {alert}"))),
            "{error}"
        );
    }
    let tls = presenting(trusting_crossplane("localhost"), "client");
    assert_answered(call(&server, tls, Version::V1).await, Version::V1);
    server.stop().await;
}

#[tokio::test]
async fn plaintext_client_is_not_served() {
    let server = start().await;
    let answer = async {
        let mut client = V1Client::connect(format!("http://{}", server.addr))
            .await
            .map_err(|error| error.to_string())?;
        client
            .run_function(RunFunctionRequest::default())
            .await
            .map_err(|status| status.to_string())
    }
    .await;
    assert!(answer.is_err(), "plaintext must not be served: {answer:?}");
    server.stop().await;
}

#[test]
fn a_missing_certificate_file_is_named() {
    let empty = std::env::temp_dir().join(format!("no-tls-{}", std::process::id()));
    let error = load_tls(&empty).expect_err("an empty directory has no certificates");
    assert!(matches!(error, ServeError::TlsFile { .. }), "{error:?}");
    assert!(error.to_string().contains("tls.crt"), "{error}");
}
