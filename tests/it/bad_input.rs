//! Requests the server must refuse without falling over: malformed bytes,
//! oversized messages and nesting past `codec::MAX_NESTING`; and nesting
//! just within the bound, which it must serve intact.
//!
//! Deep requests are written here as raw wire bytes, back to front, so the
//! test itself never recurses; the server runs on `runtime::Runtime`, whose
//! thread's stack is sized for the bound.

use std::future::Future;
use std::time::Duration;

use function_eks_pod_identity::protocol::nesting::MAX_NESTING;
use function_eks_pod_identity::protocol::v1::function_runner_service_client::FunctionRunnerServiceClient;
use function_eks_pod_identity::protocol::v1::{RequestMeta, ResponseMeta, RunFunctionRequest};
use function_eks_pod_identity::serve::runtime::Runtime;
use function_eks_pod_identity::serve::ServerConfig;
use prost::encoding::WireType;
use prost::Message;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

use crate::support::raw::{raw_call, V1BETA1_PATH, V1_PATH};
use crate::support::server::{plaintext, TestServer};

/// Runs `test` on the binary's runtime, so the server has the stack the
/// nesting bound is sized for.
fn on_server_runtime<F: Future + Send>(test: F) -> F::Output
where
    F::Output: Send,
{
    Runtime::per_core()
        .run(|| test)
        .expect("start the server runtime")
}

async fn connect(server: &TestServer) -> Channel {
    Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .timeout(Duration::from_secs(20))
        .connect()
        .await
        .unwrap()
}

/// A well-formed call through the generated client: proof the server is
/// still serving.
async fn assert_still_serving(channel: &Channel, tag: &str) {
    let request = RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: tag.to_owned(),
            ..RequestMeta::default()
        }),
        ..RunFunctionRequest::default()
    };
    let answer = FunctionRunnerServiceClient::new(channel.clone())
        .run_function(request)
        .await
        .unwrap_or_else(|status| {
            panic!("the server stopped serving well-formed calls: {status:?}")
        });
    assert_eq!(answer.into_inner().meta.unwrap().tag, tag);
}

/// Protobuf bytes written back to front: every byte written so far belongs
/// to the message being built, so wrapping it as a field of its parent only
/// prepends a key and a length, with no copying and no recursion.
#[derive(Default)]
struct Backwards {
    reversed: Vec<u8>,
}

impl Backwards {
    fn prepend(&mut self, bytes: &[u8]) {
        self.reversed.extend(bytes.iter().rev());
    }

    fn prepend_len_field(&mut self, field: u32, length: usize) {
        let mut head = Vec::new();
        prost::encoding::encode_key(field, WireType::LengthDelimited, &mut head);
        prost::encoding::encode_varint(u64::try_from(length).unwrap(), &mut head);
        self.prepend(&head);
    }

    /// Makes everything written so far the value of length-delimited
    /// `field` of the enclosing message.
    fn wrap(&mut self, field: u32) {
        self.prepend_len_field(field, self.reversed.len());
    }

    /// Prepends length-delimited `field` holding `bytes`.
    fn prepend_field(&mut self, field: u32, bytes: &[u8]) {
        self.prepend(bytes);
        self.prepend_len_field(field, bytes.len());
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut bytes = self.reversed;
        bytes.reverse();
        bytes
    }
}

// Field numbers on the path from a request down through Struct nesting.
const REQUEST_META: u32 = 1;
const REQUEST_DESIRED: u32 = 3;
const STATE_COMPOSITE: u32 = 1;
const RESOURCE_RESOURCE: u32 = 1;
const STRUCT_FIELDS: u32 = 1;
const ENTRY_KEY: u32 = 1;
const ENTRY_VALUE: u32 = 2;
const VALUE_STRUCT: u32 = 5;

/// Message levels above the composite's resource `Struct`, itself included:
/// request, desired `State`, composite `Resource`, `Struct`.
const LEVELS_ABOVE_RESOURCE: usize = 4;
/// Message levels each nested JSON object costs: map entry, `Value`, `Struct`.
const LEVELS_PER_OBJECT: usize = 3;

/// A request whose `desired.composite.resource` is `{"a": {"a": ... {}}}`
/// with `objects` objects below the root, so it nests
/// `LEVELS_ABOVE_RESOURCE + LEVELS_PER_OBJECT * objects` messages deep; with
/// `leaf_key`, the innermost object gets one more field (`{"z": <kindless>}`),
/// one level deeper still. Returns the request and its desired state's bytes.
fn nested_request(tag: &str, objects: usize, leaf_key: bool) -> (Vec<u8>, Vec<u8>) {
    let mut wire = Backwards::default();
    if leaf_key {
        wire.prepend_field(ENTRY_KEY, b"z");
        wire.wrap(STRUCT_FIELDS);
    }
    for _ in 0..objects {
        wire.wrap(VALUE_STRUCT);
        wire.wrap(ENTRY_VALUE);
        wire.prepend_field(ENTRY_KEY, b"a");
        wire.wrap(STRUCT_FIELDS);
    }
    wire.wrap(RESOURCE_RESOURCE);
    wire.wrap(STATE_COMPOSITE);
    let desired = wire.reversed.iter().rev().copied().collect();
    wire.wrap(REQUEST_DESIRED);
    let meta = RequestMeta {
        tag: tag.to_owned(),
        ..RequestMeta::default()
    };
    wire.prepend_field(REQUEST_META, &meta.encode_to_vec());
    (wire.into_bytes(), desired)
}

/// The top-level length-delimited fields of a message, in wire order.
fn top_level_fields(bytes: &[u8]) -> Vec<(u32, &[u8])> {
    let mut fields = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (field, wire_type) = prost::encoding::decode_key(&mut rest).unwrap();
        assert_eq!(wire_type, WireType::LengthDelimited, "field {field}");
        let length = usize::try_from(prost::encoding::decode_varint(&mut rest).unwrap()).unwrap();
        let (payload, after) = rest.split_at(length);
        fields.push((field, payload));
        rest = after;
    }
    fields
}

#[test]
fn the_nesting_arithmetic_matches_the_codec() {
    use function_eks_pod_identity::protocol::codec::SCHEMA;
    use function_eks_pod_identity::protocol::REQUEST_TYPE;
    let measure = |bytes: &[u8]| SCHEMA.as_ref().unwrap().depth(bytes, REQUEST_TYPE);
    for objects in [0, 1, 7] {
        let (request, _) = nested_request("t", objects, false);
        assert_eq!(
            measure(&request),
            Some(LEVELS_ABOVE_RESOURCE + LEVELS_PER_OBJECT * objects)
        );
        let (request, _) = nested_request("t", objects, true);
        assert_eq!(
            measure(&request),
            Some(LEVELS_ABOVE_RESOURCE + LEVELS_PER_OBJECT * objects + 1)
        );
    }
    // Shallow enough to decode here; it must be what prost would write.
    let (request, _) = nested_request("t", 2, true);
    let decoded = RunFunctionRequest::decode(request.as_slice()).unwrap();
    assert_eq!(decoded.encode_to_vec(), request);
}

#[test]
fn malformed_protobuf_is_invalid_argument_and_serving_goes_on() {
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        let malformed: [(&str, Vec<u8>); 4] = [
            ("a length running past the end", vec![0x0a, 0x05, 0x01]),
            ("wire type 7", vec![0x0f]),
            ("an unterminated varint", vec![0x08, 0xff, 0xff]),
            // Well nested, but the tag is not UTF-8: only prost can tell.
            (
                "invalid UTF-8 in meta.tag",
                vec![0x0a, 0x03, 0x0a, 0x01, 0xff],
            ),
        ];
        for (what, body) in malformed {
            for path in [V1_PATH, V1BETA1_PATH] {
                let status = raw_call(&channel, path, body.clone())
                    .await
                    .expect_err(what);
                assert_eq!(
                    status.code(),
                    Code::InvalidArgument,
                    "{what} on {path}: {status:?}"
                );
                assert!(status.message().contains("malformed"), "{what}: {status:?}");
            }
            assert_still_serving(&channel, what).await;
        }
        assert_still_serving(&connect(&server).await, "new connection").await;
        server.stop().await;
    });
}

#[test]
fn oversized_request_is_resource_exhausted_and_serving_goes_on() {
    const LIMIT: usize = 64 * 1024;
    on_server_runtime(async {
        let server = TestServer::start(ServerConfig {
            max_recv_message_size: LIMIT,
            ..plaintext()
        })
        .await;
        let channel = connect(&server).await;
        let with_tag_of = |length: usize| RunFunctionRequest {
            meta: Some(RequestMeta {
                tag: "x".repeat(length),
                ..RequestMeta::default()
            }),
            ..RunFunctionRequest::default()
        };
        let mut client = FunctionRunnerServiceClient::new(channel.clone());

        // meta (1 + 3 length bytes) holding tag (1 + 3 length bytes).
        let fits = with_tag_of(LIMIT - 8);
        assert_eq!(fits.encoded_len(), LIMIT);
        let answer = client
            .run_function(fits)
            .await
            .expect("a request of exactly the limit");
        assert_eq!(answer.into_inner().meta.unwrap().tag.len(), LIMIT - 8);

        let too_big = with_tag_of(LIMIT - 7);
        assert_eq!(too_big.encoded_len(), LIMIT + 1);
        let status = client
            .run_function(too_big)
            .await
            .expect_err("one byte over the limit");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

        let status = client
            .run_function(with_tag_of(4 * LIMIT))
            .await
            .expect_err("far over the limit");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

        assert_still_serving(&channel, "after oversized").await;
        assert_still_serving(&connect(&server).await, "new connection").await;
        server.stop().await;
    });
}

#[test]
fn ten_thousand_json_levels_are_refused_and_the_process_survives() {
    const OBJECTS: usize = 10_000;
    const { assert!(LEVELS_ABOVE_RESOURCE + LEVELS_PER_OBJECT * OBJECTS > MAX_NESTING) };
    let (request, _) = nested_request("deep", OBJECTS, false);
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        for path in [V1_PATH, V1BETA1_PATH] {
            let status = raw_call(&channel, path, request.clone())
                .await
                .expect_err("a request past the nesting bound");
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            assert!(
                status
                    .message()
                    .contains(&format!("deeper than {MAX_NESTING}")),
                "{status:?}"
            );
            assert_still_serving(&channel, path).await;
        }
        server.stop().await;
    });
}

#[test]
fn nesting_at_the_bound_is_served_and_one_level_more_is_refused() {
    let objects = (MAX_NESTING - LEVELS_ABOVE_RESOURCE) / LEVELS_PER_OBJECT;
    assert_eq!(
        LEVELS_ABOVE_RESOURCE + LEVELS_PER_OBJECT * objects,
        MAX_NESTING
    );
    let (at_bound, desired) = nested_request("at-bound", objects, false);
    let (past_bound, _) = nested_request("past-bound", objects, true);
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        let answer = raw_call(&channel, V1_PATH, at_bound)
            .await
            .expect("a request exactly at the nesting bound");
        assert_answer_carries(&answer, "at-bound", &desired);

        refused_then_serving(&channel, past_bound, "one level past the bound").await;
        server.stop().await;
    });
}

/// Sends `request`, which `what` says is past a bound: it must be refused
/// as an invalid argument, and the server must go on serving.
async fn refused_then_serving(channel: &Channel, request: Vec<u8>, what: &str) {
    let status = raw_call(channel, V1_PATH, request).await.expect_err(what);
    assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
    assert_still_serving(channel, &format!("after {what}")).await;
}

/// A request observing one composed resource whose `status.conditions`
/// is `lists` lists, each the only item of the one around it: a path the
/// codec keeps and prunes item by item, itself, without prost.
fn nested_conditions(tag: &str, lists: usize) -> Vec<u8> {
    const VALUE_LIST: u32 = 6;
    const LIST_VALUES: u32 = 1;
    const REQUEST_OBSERVED: u32 = 2;
    const STATE_RESOURCES: u32 = 2;
    let mut wire = Backwards::default();
    for _ in 0..lists {
        wire.wrap(LIST_VALUES);
        wire.wrap(VALUE_LIST);
    }
    for key in [&b"conditions"[..], b"status"] {
        wire.wrap(ENTRY_VALUE);
        wire.prepend_field(ENTRY_KEY, key);
        wire.wrap(STRUCT_FIELDS);
        if key == b"conditions" {
            wire.wrap(VALUE_STRUCT);
        }
    }
    wire.wrap(RESOURCE_RESOURCE);
    wire.wrap(ENTRY_VALUE);
    wire.prepend_field(ENTRY_KEY, b"iamRole");
    wire.wrap(STATE_RESOURCES);
    wire.wrap(REQUEST_OBSERVED);
    let meta = RequestMeta {
        tag: tag.to_owned(),
        ..RequestMeta::default()
    };
    wire.prepend_field(REQUEST_META, &meta.encode_to_vec());
    wire.into_bytes()
}

#[test]
fn lists_nested_to_the_bound_in_what_the_codec_keeps_are_served() {
    use function_eks_pod_identity::protocol::codec::SCHEMA;
    use function_eks_pod_identity::protocol::REQUEST_TYPE;
    let measure = |bytes: &[u8]| SCHEMA.as_ref().unwrap().depth(bytes, REQUEST_TYPE);
    // Each list costs two levels: a `Value` and its `ListValue`.
    let base = measure(&nested_conditions("t", 0)).unwrap();
    assert_eq!(measure(&nested_conditions("t", 1)), Some(base + 2));
    let lists = (MAX_NESTING - base) / 2;
    let at_bound = nested_conditions("at-bound", lists);
    let past_bound = nested_conditions("past-bound", lists + 1);
    assert!(measure(&at_bound).unwrap() <= MAX_NESTING);
    assert!(measure(&past_bound).unwrap() > MAX_NESTING);
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        raw_call(&channel, V1_PATH, at_bound)
            .await
            .expect("lists nested to the bound");
        refused_then_serving(&channel, past_bound, "one list past the bound").await;
        server.stop().await;
    });
}

#[test]
fn three_thousand_json_levels_pass_through_intact() {
    const OBJECTS: usize = 3_000;
    let (request, desired) = nested_request("3000", OBJECTS, false);
    const { assert!(LEVELS_ABOVE_RESOURCE + LEVELS_PER_OBJECT * OBJECTS < MAX_NESTING) };
    on_server_runtime(async {
        let server = TestServer::start(plaintext()).await;
        let channel = connect(&server).await;
        for path in [V1_PATH, V1BETA1_PATH] {
            let answer = raw_call(&channel, path, request.clone())
                .await
                .unwrap_or_else(|status| panic!("{path}: {status:?}"));
            assert_answer_carries(&answer, "3000", &desired);
        }
        assert_still_serving(&channel, "after deep").await;
        server.stop().await;
    });
}

/// The answer echoes `tag` and carries `desired`'s bytes unchanged as its
/// desired state, read without decoding the deep part.
fn assert_answer_carries(answer: &[u8], tag: &str, desired: &[u8]) {
    const RESPONSE_META: u32 = 1;
    const RESPONSE_DESIRED: u32 = 2;
    let fields = top_level_fields(answer);
    let field = |number: u32| {
        let mut found = fields.iter().filter(|(field, _)| *field == number);
        let (_, payload) = found
            .next()
            .unwrap_or_else(|| panic!("answer has no field {number}"));
        assert!(found.next().is_none(), "field {number} appears twice");
        *payload
    };
    let meta = ResponseMeta::decode(field(RESPONSE_META)).unwrap();
    assert_eq!(meta.tag, tag);
    assert_eq!(
        meta.ttl,
        Some(prost_types::Duration {
            seconds: 60,
            nanos: 0
        })
    );
    let echoed = field(RESPONSE_DESIRED);
    assert_eq!(echoed.len(), desired.len(), "desired state changed size");
    assert!(
        echoed == desired,
        "desired state changed on the way through"
    );
}
