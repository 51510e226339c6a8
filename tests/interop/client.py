"""Calls a running function as Crossplane would, through the official Python
SDK's generated stubs, over both protocol versions on one channel.

Usage: client.py HOST:PORT

Each answer must carry what the SDK's own ``response.to`` would: the
request's tag, the SDK's default TTL, and the request's desired state and
context, unchanged. Prints ``ok v1`` and ``ok v1beta1``; on any difference
prints it to stderr and exits 1.
"""

import sys

import grpc
from crossplane.function import response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.proto.v1beta1 import run_function_pb2 as fnv1beta1
from crossplane.function.proto.v1beta1 import run_function_pb2_grpc as grpcv1beta1

TIMEOUT_SECONDS = 10


def request(tag: str) -> fnv1.RunFunctionRequest:
    """Desired state and context as an earlier pipeline step leaves them,
    and no observed composite, so the function has nothing to compose."""
    req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag=tag))
    composite = req.desired.composite
    composite.resource.update(
        {
            "apiVersion": "example.org/v1alpha1",
            "kind": "XBucket",
            "status": {"observedGeneration": 3, "ratio": 0.25},
        }
    )
    composite.connection_details["password"] = b"\x00s3cr\xffet"
    composite.ready = fnv1.READY_FALSE
    bucket = req.desired.resources["bucket"]
    bucket.resource.update(
        {
            "apiVersion": "s3.aws.upbound.io/v1beta1",
            "kind": "Bucket",
            "spec": {
                "forProvider": {
                    "region": "eu-west-1",
                    "maxSessionDuration": 3600,
                    "forceDestroy": True,
                    "policy": None,
                    "tags": ["a", -1.5, [], {}],
                },
                "empty": {},
            },
        }
    )
    bucket.ready = fnv1.READY_TRUE
    req.desired.resources["placeholder"].SetInParent()
    req.context.update(
        {
            "apiextensions.crossplane.io/environment": {"zone": "a"},
            "step-one/count": 2,
        }
    )
    return req


def differences(got: fnv1.RunFunctionResponse, want: fnv1.RunFunctionResponse) -> list[str]:
    """What the caller relies on, compared field by field."""
    found = []
    for name, got_value, want_value in [
        ("meta.tag", got.meta.tag, want.meta.tag),
        ("meta.ttl", got.meta.ttl, want.meta.ttl),
        ("desired", got.desired, want.desired),
        ("context", got.context, want.context),
        ("has desired", got.HasField("desired"), want.HasField("desired")),
        ("has context", got.HasField("context"), want.HasField("context")),
    ]:
        if got_value != want_value:
            found.append(f"{name}:\n  got  {got_value!r}\n  want {want_value!r}")
    return found


def main() -> int:
    (target,) = sys.argv[1:]
    # Loopback only: never route through a proxy from the environment.
    channel = grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)])
    grpc.channel_ready_future(channel).result(timeout=TIMEOUT_SECONDS)
    failed = False
    for version in ["v1", "v1beta1"]:
        req = request(f"python-{version}")
        want = response.to(req)
        if version == "v1":
            got = grpcv1.FunctionRunnerServiceStub(channel).RunFunction(
                req, timeout=TIMEOUT_SECONDS
            )
        else:
            # v1beta1 has its own generated classes; the wire is the same.
            beta_req = fnv1beta1.RunFunctionRequest.FromString(req.SerializeToString())
            beta_got = grpcv1beta1.FunctionRunnerServiceStub(channel).RunFunction(
                beta_req, timeout=TIMEOUT_SECONDS
            )
            got = fnv1.RunFunctionResponse.FromString(beta_got.SerializeToString())
        found = differences(got, want)
        if found:
            failed = True
            print(f"{version}: the answer differs from response.to(request)", file=sys.stderr)
            for difference in found:
                print(difference, file=sys.stderr)
        else:
            print(f"ok {version}")
    channel.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
