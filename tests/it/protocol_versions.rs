//! Both protocol versions answer over plaintext gRPC: the tag comes back,
//! the TTL is the configured one, and desired state and context pass
//! through untouched when there is no observed composite to compose for.

use std::collections::BTreeMap;
use std::time::Duration;

use function_eks_pod_identity::function::Function;
use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient as V1Client;
use function_eks_pod_identity::protocol::v1::{
    Ready, RequestMeta, Resource, RunFunctionRequest, RunFunctionResponse, State,
};
use function_eks_pod_identity::protocol::v1beta1::function_runner_service_client::FunctionRunnerServiceClient as V1beta1Client;
use function_eks_pod_identity::serve::ServerConfig;
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

use crate::support::server::{plaintext, TestServer};

fn value(kind: Kind) -> Value {
    Value { kind: Some(kind) }
}

fn object<const N: usize>(fields: [(&str, Kind); N]) -> Struct {
    Struct {
        fields: fields
            .into_iter()
            .map(|(key, kind)| (key.to_owned(), value(kind)))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn text(text: &str) -> Kind {
    Kind::StringValue(text.to_owned())
}

/// Desired state and context as an earlier pipeline step leaves them: a
/// composite with status, two composed resources, every kind of value.
fn request(tag: &str) -> RunFunctionRequest {
    let composite = object([
        ("apiVersion", text("example.org/v1alpha1")),
        ("kind", text("XBucket")),
        (
            "status",
            Kind::StructValue(object([
                ("observedGeneration", Kind::NumberValue(3.0)),
                ("ratio", Kind::NumberValue(0.25)),
            ])),
        ),
    ]);
    let bucket = object([
        ("apiVersion", text("s3.aws.upbound.io/v1beta1")),
        ("kind", text("Bucket")),
        (
            "spec",
            Kind::StructValue(object([
                (
                    "forProvider",
                    Kind::StructValue(object([
                        ("region", text("eu-west-1")),
                        ("maxSessionDuration", Kind::NumberValue(3600.0)),
                        ("forceDestroy", Kind::BoolValue(true)),
                        ("policy", Kind::NullValue(0)),
                        (
                            "tags",
                            Kind::ListValue(ListValue {
                                values: vec![
                                    value(text("a")),
                                    value(Kind::NumberValue(-1.5)),
                                    value(Kind::ListValue(ListValue::default())),
                                    value(Kind::StructValue(Struct::default())),
                                ],
                            }),
                        ),
                    ])),
                ),
                ("empty", Kind::StructValue(Struct::default())),
            ])),
        ),
    ]);
    let desired = State {
        composite: Some(Resource {
            resource: Some(composite),
            connection_details: BTreeMap::from([(
                "password".to_owned(),
                b"\x00s3cr\xffet".to_vec(),
            )]),
            ready: Ready::False.into(),
        }),
        resources: BTreeMap::from([
            (
                "bucket".to_owned(),
                Resource {
                    resource: Some(bucket),
                    connection_details: BTreeMap::new(),
                    ready: Ready::True.into(),
                },
            ),
            ("placeholder".to_owned(), Resource::default()),
        ]),
    };
    RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: tag.to_owned(),
            ..RequestMeta::default()
        }),
        desired: Some(desired),
        context: Some(object([
            (
                "apiextensions.crossplane.io/environment",
                Kind::StructValue(object([("zone", text("a"))])),
            ),
            ("step-one/count", Kind::NumberValue(2.0)),
        ])),
        ..RunFunctionRequest::default()
    }
}

/// The checks every answer to [`request`] must pass.
fn assert_passed_through(sent: &RunFunctionRequest, got: &RunFunctionResponse, ttl: Duration) {
    let meta = got.meta.as_ref().expect("response meta");
    assert_eq!(
        meta.tag,
        sent.meta.as_ref().unwrap().tag,
        "the tag is echoed"
    );
    assert_eq!(
        meta.ttl,
        Some(prost_types::Duration::try_from(ttl).unwrap()),
        "the TTL is the configured one"
    );
    assert_eq!(got.desired, sent.desired, "desired state passes through");
    assert_eq!(got.context, sent.context, "context passes through");
}

#[tokio::test]
async fn v1_echoes_tag_ttl_and_passes_state_through() {
    let server = TestServer::start(plaintext()).await;
    let mut client = V1Client::connect(format!("http://{}", server.addr))
        .await
        .unwrap();
    let sent = request("v1-call");
    let got = client
        .run_function(sent.clone())
        .await
        .unwrap()
        .into_inner();
    assert_passed_through(&sent, &got, Duration::from_secs(60));
    server.stop().await;
}

#[tokio::test]
async fn v1beta1_echoes_tag_ttl_and_passes_state_through() {
    let server = TestServer::start(plaintext()).await;
    let mut client = V1beta1Client::connect(format!("http://{}", server.addr))
        .await
        .unwrap();
    let sent = request("v1beta1-call");
    let got = client
        .run_function(sent.clone())
        .await
        .unwrap()
        .into_inner();
    assert_passed_through(&sent, &got, Duration::from_secs(60));
    server.stop().await;
}

#[tokio::test]
async fn both_versions_answer_alike_on_one_port() {
    let server = TestServer::start(plaintext()).await;
    let url = format!("http://{}", server.addr);
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let sent = request("same");
    let v1 = V1Client::new(channel.clone())
        .run_function(sent.clone())
        .await
        .unwrap();
    let v1beta1 = V1beta1Client::new(channel)
        .run_function(sent)
        .await
        .unwrap();
    assert_eq!(v1.into_inner(), v1beta1.into_inner());
    server.stop().await;
}

#[tokio::test]
async fn custom_ttl_is_returned() {
    let ttl = Duration::from_millis(90_500);
    let server = TestServer::start(ServerConfig {
        function: Function::new(ttl),
        ..plaintext()
    })
    .await;
    let url = format!("http://{}", server.addr);
    let sent = request("custom-ttl");
    let got = V1Client::connect(url.clone())
        .await
        .unwrap()
        .run_function(sent.clone())
        .await
        .unwrap();
    assert_passed_through(&sent, &got.into_inner(), ttl);
    let got = V1beta1Client::connect(url)
        .await
        .unwrap()
        .run_function(sent.clone())
        .await
        .unwrap();
    let meta = got.into_inner().meta.unwrap();
    assert_eq!(
        meta.ttl,
        Some(prost_types::Duration {
            seconds: 90,
            nanos: 500_000_000
        })
    );
    server.stop().await;
}

#[tokio::test]
async fn empty_request_gets_tagless_answer_with_default_ttl() {
    let server = TestServer::start(plaintext()).await;
    let url = format!("http://{}", server.addr);
    for got in [
        V1Client::connect(url.clone())
            .await
            .unwrap()
            .run_function(RunFunctionRequest::default())
            .await,
        V1beta1Client::connect(url.clone())
            .await
            .unwrap()
            .run_function(RunFunctionRequest::default())
            .await,
    ] {
        let got = got.unwrap().into_inner();
        let meta = got.meta.expect("response meta");
        assert_eq!(meta.tag, "");
        assert_eq!(
            meta.ttl,
            Some(prost_types::Duration {
                seconds: 60,
                nanos: 0
            })
        );
        // Absent and empty are the same to Crossplane; what matters is
        // that nothing is invented.
        assert_eq!(got.desired.unwrap_or_default(), State::default());
        assert_eq!(got.context.unwrap_or_default(), Struct::default());
    }
    server.stop().await;
}
