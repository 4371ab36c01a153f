"""`make demo`: the program against a local InfluxDB emulator, with a throwaway local stack.

Starts the emulator on a free loopback port with a few application buckets, then runs
`pulumi up` with a file backend in `.demo/` (no account; passphrase `demo`). Without the Pulumi
CLI it says how to install it and runs the same program through the engine stand-in the tests
use, printing every step `pulumi up` would take.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from testbed.engine.stand_in import Engine
from testbed.influx.server import REPO, InfluxServer, start_emulator

DEMO_DIR = REPO / ".demo"
STACK = "demo"
APPS = ("nublado", "gafaelfawr", "mobu")
INSTALL_HINT = """\
The Pulumi CLI is not installed here. Install it (https://www.pulumi.com/docs/install/):
    curl -fsSL https://get.pulumi.com | sh
then run `make demo` again. Meanwhile, here is the same program run through the test suite's
engine stand-in against the emulator:"""


def seed_org(server: InfluxServer) -> None:
    """Give the demo org the buckets a monitoring InfluxDB has: apps and a host-level one."""
    org_id = server.api("GET", "/api/v2/orgs", params={"org": server.org}).json()["orgs"][0]["id"]
    for name in (*APPS, "roundtable_internal_"):
        server.api("POST", "/api/v2/buckets", json={"orgID": org_id, "name": name,
                                                     "retentionRules": []}).raise_for_status()


def run_pulumi(server: InfluxServer) -> None:
    DEMO_DIR.mkdir(exist_ok=True)
    (DEMO_DIR / "state").mkdir(exist_ok=True)
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{DEMO_DIR / 'state'}",
           "PULUMI_CONFIG_PASSPHRASE": "demo", "PULUMI_SKIP_UPDATE_CHECK": "1"}
    config_file = ["--config-file", str(DEMO_DIR / f"Pulumi.{STACK}.yaml")]

    def pulumi(*args: str, stdin: str | None = None) -> None:
        subprocess.run(["pulumi", *args], cwd=REPO, env=env, input=stdin, text=True,
                       check=True)

    # A fresh emulator each time, so a fresh stack each time.
    subprocess.run(["pulumi", "stack", "rm", STACK, "--yes", "--force"], cwd=REPO, env=env,
                   check=False, capture_output=True)
    pulumi("stack", "init", STACK, "--secrets-provider", "passphrase")
    pulumi("config", "set", "influxdb:url", server.url, *config_file)
    pulumi("config", "set", "influxdb:org", server.org, *config_file)
    # The token goes in on stdin, never on a command line.
    pulumi("config", "set", "--secret", "influxdb:token", *config_file, stdin=server.token)
    pulumi("up", "--yes", *config_file)


def run_engine(server: InfluxServer) -> None:
    print(INSTALL_HINT)
    DEMO_DIR.mkdir(exist_ok=True)
    (DEMO_DIR / "engine-state.json").unlink(missing_ok=True)
    engine = Engine(project_dir=REPO, state_path=DEMO_DIR / "engine-state.json", stack=STACK,
                    config={"influxdb:url": server.url, "influxdb:org": server.org,
                            "influxdb:token": server.token},
                    secret_config_keys={"influxdb:token"})
    for title, run in (("pulumi preview", engine.preview), ("pulumi up", engine.up),
                       ("pulumi up (again: nothing to do)", engine.up)):
        result = run()
        print(f"\n== {title}")
        for line in result.log:
            print(f"   {line}")
        for step in result.steps:
            print(f"   {step.op:>8}  {step.type.rsplit(':', 1)[-1]:<18} {step.name}")
        if result.error:
            sys.exit(f"failed: {result.error}")


def main() -> None:
    server = start_emulator(org="demo")
    try:
        seed_org(server)
        print(f"InfluxDB emulator at {server.url}, org 'demo', apps: {', '.join(APPS)}")
        if shutil.which("pulumi"):
            run_pulumi(server)
        else:
            run_engine(server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
