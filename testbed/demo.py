"""`make demo`: the program against a local InfluxDB emulator, with a throwaway local stack.

Starts the emulator on a free loopback port with a few application buckets, then runs
`pulumi preview`, `pulumi up` and `pulumi up` again with a file backend in `.demo/` (no account; a
throwaway passphrase), with the CLI on PATH or else the one `make tools` built, and shows what a
user's terminal shows: the CLI's own output (in colour on a terminal), not the SDK's debug lines
the engine also sends. Without a CLI it says how to install it and runs the same program through
the engine stand-in the tests use, printing every step `pulumi up` would take. Either way it ends
with one line saying what the org now holds. DEMO_PULUMI_DIR, when set, names the CLI's folder
instead ("" for none).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from testbed.engine.cli import PulumiCli
from testbed.engine.result import Result
from testbed.engine.stand_in import Engine
from testbed.influx.holdings import authorizations, buckets, stored_mappings, tasks
from testbed.influx.seed import APPS, org_named, seed_monitored, set_secret
from testbed.influx.server import InfluxOrg, InfluxServer, start_emulator
from testbed.paths import REPO, TOOLS_BIN

DEMO_DIR = REPO / ".demo"
STACK = "demo"
INSTALL_HINT = """\
The Pulumi CLI is not installed here. Install it (https://www.pulumi.com/docs/install/):
    curl -fsSL https://get.pulumi.com | sh
then run `make demo` again. Meanwhile, here is the same program run through the test suite's
engine stand-in against the emulator:"""


def seed_org(server: InfluxServer) -> InfluxOrg:
    """Give the demo org what a monitoring InfluxDB has: app buckets, a host-level one, and the
    Slack webhook secret the README's quickstart creates before the first `up`."""
    org = seed_monitored(org_named(server, server.org))
    set_secret(org, "slack_webhook_url", "https://hooks.slack.invalid/services/demo")
    return org


def pulumi_path() -> str | None:
    """The folder of the Pulumi CLI to use: the one on PATH, else the one `make tools` built."""
    if "DEMO_PULUMI_DIR" in os.environ:
        return os.environ["DEMO_PULUMI_DIR"] or None
    on_path = shutil.which("pulumi")
    if on_path:
        return str(Path(on_path).parent)
    return str(TOOLS_BIN) if (TOOLS_BIN / "pulumi").exists() else None


def run(server: InfluxServer, cli_dir: str | None) -> None:
    """Preview, up, and up again, showing what each did; under the CLI if there is one."""
    config = {"influxdb:url": server.url, "influxdb:org": server.org,
              "influxdb:token": server.token}
    shutil.rmtree(DEMO_DIR, ignore_errors=True)  # a fresh emulator each time: a fresh stack too
    DEMO_DIR.mkdir()
    if cli_dir:
        engine = PulumiCli(REPO, state_dir=DEMO_DIR, stack=STACK, config=config,
                           secret_config_keys={"influxdb:token"}, cli_dir=Path(cli_dir))
        engine.color = "always" if sys.stdout.isatty() else "never"
    else:
        print(INSTALL_HINT)
        engine = Engine(REPO, state_path=DEMO_DIR / "engine-state.json", stack=STACK,
                        config=config, secret_config_keys={"influxdb:token"})
    for title, step in (("pulumi preview", engine.preview), ("pulumi up", engine.up),
                        ("pulumi up (again: nothing to do)", engine.up)):
        result = step()
        print(f"\n$ {title}")
        print("\n".join(shown(result, under_cli=bool(cli_dir))))
        if result.error:
            sys.exit(f"failed: {result.error}")


def shown(result: Result, *, under_cli: bool) -> list[str]:
    """The CLI's own output; under the stand-in, the program's messages and every step."""
    if under_cli:
        return result.output
    return [*result.log, *(f"   {each.op:>8}  {each.type.rsplit(':', 1)[-1]:<18} {each.name}"
                           for each in result.steps)]


def holdings_line(org: InfluxOrg) -> str:
    """One line saying what the org holds now, as its server lists it."""
    return (f"org {org.name} now holds {len(buckets(org))} buckets, "
            f"{len(stored_mappings(org))} DBRP mappings, {len(tasks(org))} tasks and "
            f"{len(authorizations(org))} tokens")


def main() -> None:
    server = start_emulator(org="demo")
    try:
        org = seed_org(server)
        print(f"InfluxDB emulator at {server.url}, org 'demo', apps: {', '.join(APPS)}")
        run(server, pulumi_path())
        print(f"\n{holdings_line(org)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
