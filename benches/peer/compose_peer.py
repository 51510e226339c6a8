"""The load bench's Python peer: the same composition as the function,
written with the official Crossplane Python SDK, served by grpcio's asyncio
server as the SDK's own `runtime.serve` builds it.

Usage: compose_peer.py (run by `cargo bench --bench load` from the test
suite's virtualenv, target/py-venv, with the SDK versions pinned in
tests/interop/requirements.txt).

It listens on an ephemeral loopback port and logs the bound address as one
JSON line on stderr, as the function's binary does, so that the bench starts
it like any other server. For each request it reads the XR's
`spec.parameters` and the observed composed resources, and answers with the
resources the function composes for the same parameters: the Role with the
Pod Identity trust policy, one RolePolicyAttachment per managed policy, one
RolePolicy per inline policy, the PodIdentityAssociation and, when asked, the
agent's Addon; it marks the observed ones ready when their Ready condition is
True and writes the role ARN and association id to the XR's status. It leaves
out what the bench does not send (guardrails, the lint, day-2 keeping of
names), which only makes the peer cheaper.
"""

import asyncio
import datetime
import json
import sys

import grpc
from crossplane.function import resource, response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

IAM = "iam.aws.upbound.io/v1beta1"
EKS = "eks.aws.upbound.io/v1beta1"
TTL = datetime.timedelta(seconds=60)
TENANT_LABEL = "eks-pod-identity.fn.crossplane.io/tenant"


def key(prefix: str, readable: str, identity: str) -> str:
    """A composed resource's key as the function derives it (see
    src/compose/keys.rs): the prefix, a slug of `readable`, and the low 32
    bits of the FNV-1a hash of `identity`, at most 63 characters; so that the
    peer finds the observed resources of the same request under the same
    keys."""
    room = 63 - len(prefix) - 8 - 2
    slug = ""
    for c in readable:
        if len(slug) == room:
            break
        if c.isascii() and c.isalnum():
            slug += c.lower()
        elif slug and not slug.endswith("-"):
            slug += "-"
    digest = 0xCBF29CE484222325
    for byte in identity.encode():
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{prefix}-{slug.rstrip('-')}-{digest & 0xFFFFFFFF:08x}"


def trust_policy(namespace: str, service_account: str) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {
                            "aws:RequestTag/kubernetes-namespace": namespace,
                            "aws:RequestTag/kubernetes-service-account": service_account,
                        }
                    },
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                }
            ],
            "Version": "2012-10-17",
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def is_ready(observed: dict) -> bool:
    conditions = observed.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


class PodIdentityRunner(grpcv1.FunctionRunnerServiceServicer):
    async def RunFunction(  # noqa: N802  # the name gRPC gives the method
        self, req: fnv1.RunFunctionRequest, _: grpc.aio.ServicerContext
    ) -> fnv1.RunFunctionResponse:
        rsp = response.to(req, ttl=TTL)
        xr = resource.struct_to_dict(req.observed.composite.resource)
        parameters = xr.get("spec", {}).get("parameters", {})
        labels = xr.get("metadata", {}).get("labels", {})
        tenant = labels.get("crossplane.io/claim-namespace") or "platform.xr"
        observed = {
            key: resource.struct_to_dict(composed.resource)
            for key, composed in req.observed.resources.items()
        }
        try:
            desired = compose(parameters, tenant)
        except (KeyError, TypeError, ValueError) as error:
            response.fatal(rsp, f"spec.parameters: {error}")
            return rsp
        for name, body in desired.items():
            resource.update(rsp.desired.resources[name], body)
            seen = observed.get(name)
            if seen is not None and is_ready(seen):
                rsp.desired.resources[name].ready = fnv1.READY_TRUE
        status = {}
        role = observed.get("iamRole", {})
        if arn := role.get("status", {}).get("atProvider", {}).get("arn"):
            status["roleArn"] = arn
        association = observed.get("podIdentityAssociation", {})
        if association_id := association.get("status", {}).get("atProvider", {}).get("associationId"):
            status["associationId"] = association_id
        resource.update(rsp.desired.composite, {"status": {"podIdentity": status}})
        return rsp


def compose(parameters: dict, tenant: str) -> dict[str, dict]:
    provider_config = parameters.get("providerConfigName", "default")
    region = parameters["region"]
    account = parameters["serviceAccount"]

    def managed(api_version: str, kind: str, for_provider: dict) -> dict:
        return {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"labels": {TENANT_LABEL: tenant}},
            "spec": {
                "deletionPolicy": "Delete",
                "forProvider": for_provider,
                "providerConfigRef": {"name": provider_config},
            },
        }

    role_fields = {"assumeRolePolicy": trust_policy(account["namespace"], account["name"])}
    for field in ("rolePath", "roleDescription", "maxSessionDuration", "permissionsBoundaryArn"):
        if field in parameters:
            name = {"rolePath": "path", "roleDescription": "description"}.get(field, field)
            role_fields[name] = parameters[field]
    if tags := parameters.get("tags"):
        role_fields["tags"] = dict(tags)
    desired = {"iamRole": managed(IAM, "Role", role_fields)}
    if role_name := parameters.get("roleName"):
        desired["iamRole"]["metadata"]["annotations"] = {"crossplane.io/external-name": role_name}
    role_ref = {"roleSelector": {"matchControllerRef": True}}
    for arn in parameters.get("managedPolicyArns", []):
        desired[key("attach", arn.rsplit("/", 1)[-1], arn)] = managed(IAM, "RolePolicyAttachment", {"policyArn": arn, **role_ref})
    for inline in parameters.get("inlinePolicy", []):
        json.loads(inline["policy"])  # refuse what IAM could not read
        body = managed(IAM, "RolePolicy", {"policy": inline["policy"], **role_ref})
        body["metadata"]["annotations"] = {"crossplane.io/external-name": inline["name"]}
        desired[key("inline", inline["name"], inline["name"])] = body
    cluster = {}
    for field in ("clusterName", "clusterNameRef", "clusterNameSelector"):
        if field in parameters:
            cluster[field] = parameters[field]
    desired["podIdentityAssociation"] = managed(
        EKS,
        "PodIdentityAssociation",
        {
            **cluster,
            "namespace": account["namespace"],
            "region": region,
            "roleArnSelector": {"matchControllerRef": True},
            "serviceAccount": account["name"],
        },
    )
    agent = parameters.get("podIdentityAgent", {})
    if agent.get("install"):
        addon = {**cluster, "addonName": "eks-pod-identity-agent", "region": region}
        if version := agent.get("version"):
            addon["addonVersion"] = version
        desired["podIdentityAgent"] = managed(EKS, "Addon", addon)
    return desired


async def serve() -> None:
    # As the SDK's runtime.serve builds its server, with its default options,
    # but on port 0, whose bound port only the server knows.
    server = grpc.aio.server()
    grpcv1.add_FunctionRunnerServiceServicer_to_server(PodIdentityRunner(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    line = {"fields": {"message": "serving", "address": f"127.0.0.1:{port}"}}
    print(json.dumps(line, separators=(",", ":")), file=sys.stderr, flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve())
