"""Calls a running function once over v1, as Crossplane would, through the
official Python SDK's generated stubs, and prints what it composed.

Usage: compose.py HOST:PORT [--tls CLIENT_DIR]

Reads the RunFunctionRequest as protobuf JSON on stdin. Plaintext by default;
with --tls, mutual TLS as Crossplane dials a function: CLIENT_DIR holds the
client's tls.crt and tls.key and the ca.crt that signed the server's
certificate. Prints one JSON object: the TTL in seconds, the composite's
desired status, each desired composed resource, which of them are ready, and
the results as (severity, message) pairs.
"""

import json
import pathlib
import sys

import grpc
from google.protobuf import json_format
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

TIMEOUT_SECONDS = 10


def channel(target: str, client_dir: str | None) -> grpc.Channel:
    # Loopback only: never route through a proxy from the environment.
    options = [("grpc.enable_http_proxy", 0)]
    if client_dir is None:
        return grpc.insecure_channel(target, options=options)
    directory = pathlib.Path(client_dir)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(directory / "ca.crt").read_bytes(),
        private_key=(directory / "tls.key").read_bytes(),
        certificate_chain=(directory / "tls.crt").read_bytes(),
    )
    return grpc.secure_channel(target, credentials, options=options)


def summary(response: fnv1.RunFunctionResponse) -> dict:
    composite = json_format.MessageToDict(response.desired.composite.resource)
    return {
        "ttlSeconds": response.meta.ttl.seconds,
        "status": composite.get("status", {}),
        "resources": {
            name: json_format.MessageToDict(resource.resource)
            for name, resource in response.desired.resources.items()
        },
        "ready": {
            name: resource.ready == fnv1.READY_TRUE
            for name, resource in response.desired.resources.items()
        },
        "results": [
            [fnv1.Severity.Name(result.severity), result.message]
            for result in response.results
        ],
    }


def main() -> int:
    arguments = sys.argv[1:]
    client_dir = None
    if len(arguments) == 3 and arguments[1] == "--tls":
        client_dir = arguments[2]
    elif len(arguments) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    request = json_format.Parse(sys.stdin.read(), fnv1.RunFunctionRequest())
    with channel(arguments[0], client_dir) as open_channel:
        grpc.channel_ready_future(open_channel).result(timeout=TIMEOUT_SECONDS)
        response = grpcv1.FunctionRunnerServiceStub(open_channel).RunFunction(
            request, timeout=TIMEOUT_SECONDS
        )
    print(json.dumps(summary(response), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
