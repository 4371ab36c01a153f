"""The resource classes a Pulumi program declares: their type names, their inputs, and the
secrets they ask the engine to keep (a token given to a resource, the value a token resource
creates). Registered through the SDK's mock monitor, in a process of their own so the runtime
settings the mocks install stay out of the other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

from testbed.influx.server import REPO

PROGRAM = """
import asyncio, json
from pulumi.runtime import Mocks, rpc, set_mocks
from pulumi.runtime.mocks import MockMonitor

registered = {}

class Echo(Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", args.inputs
    def call(self, args):
        return {}

class Recorder(MockMonitor):
    def RegisterResource(self, request):
        inputs = rpc.deserialize_properties(request.object)
        registered[request.type] = {
            "inputs": sorted(key for key in inputs if key != "__provider"),
            "secret_inputs": sorted(key for key, value in inputs.items()
                                    if rpc.is_rpc_secret(value) and key != "__provider"),
            "secret_outputs": sorted(request.additionalSecretOutputs)}
        return super().RegisterResource(request)

set_mocks(Echo(), monitor=Recorder(Echo()), preview=False)
from providers import AuthorizationToken, Bucket, Dbrp, Task

org, bucket, flux = "00000000000000a1", "00000000000000b2", 'option task = {name: "t", every: 1h}'
resources = [
    Bucket("bucket", org_id=org, name="app", token="a-token"),
    Dbrp("mapping", org_id=org, bucket_id=bucket, bucket_name="app", database="app",
         retention_policy="autogen", token="a-token"),
    AuthorizationToken("token", org_id=org, permissions=[
        {"action": "read", "resource": {"type": "buckets", "orgID": org}}]),
    Task("task", org_id=org, name="t", flux=flux, token="a-token"),
]
asyncio.get_event_loop().run_until_complete(
    asyncio.gather(*(resource.urn.future() for resource in resources)))
print(json.dumps(registered))
"""


def test_resources_register_their_inputs_and_keep_every_token_secret():
    run = subprocess.run([sys.executable, "-c", PROGRAM], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    registered = json.loads(run.stdout.splitlines()[-1])
    prefix = "pulumi-python:dynamic/influxdb:"
    assert registered[prefix + "Bucket"] == {
        "inputs": ["description", "name", "org_id", "retention_seconds", "token"],
        "secret_inputs": ["token"], "secret_outputs": ["token"]}
    assert registered[prefix + "Dbrp"] == {
        "inputs": ["bucket_id", "bucket_name", "database", "default", "org_id",
                   "retention_policy", "token"],
        "secret_inputs": ["token"], "secret_outputs": ["token"]}
    assert registered[prefix + "AuthorizationToken"] == {
        "inputs": ["description", "org_id", "permissions", "replaces", "status"],
        "secret_inputs": [], "secret_outputs": ["token"]}
    assert registered[prefix + "Task"] == {
        "inputs": ["description", "flux", "name", "org_id", "status", "token"],
        "secret_inputs": ["token"], "secret_outputs": ["token"]}
