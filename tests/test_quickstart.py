"""The README's quickstart, run as written: the "Against your InfluxDB" commands, taken from the
README, in a fresh copy of the repository (what git tracks), against a real InfluxDB, with the
real `pulumi` and `influx` CLIs and a local (`file://`) backend in a throwaway home directory.

The test plays the reader: it sets what the README asks them to set (INFLUX_HOST, INFLUX_ORG,
INFLUX_TOKEN, SLACK_WEBHOOK_URL, PULUMI_CONFIG_PASSPHRASE) and answers `pulumi up`'s prompt
(PULUMI_SKIP_CONFIRMATIONS); the commands themselves run unchanged, `pulumi install` included,
but one: `pulumi login --local` logs in to the same place in the throwaway home (LOCAL_LOGIN), so
that nothing lands in the developer's own ~/.pulumi.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg, create_org, delete_org
from testbed.paths import REPO, TOOLS_BIN

SECTION = "### Against your InfluxDB"
WEBHOOK = "https://hooks.slack.com/services/T0/B0/quickstart"
# `--local` is `file://~`, which the CLI resolves from the user account, not from $HOME: run as
# written it would keep the test's stacks in the developer's own ~/.pulumi. The reader here logs
# in to the same place in their throwaway home.
LOCAL_LOGIN = "pulumi login --local"
READERS_LOCAL_LOGIN = 'pulumi login "file://$HOME"'


def quickstart() -> tuple[str, str]:
    """The README's quickstart section and the one shell block in it, as the reader runs it in
    the test's throwaway home (LOCAL_LOGIN)."""
    readme = (REPO / "README.md").read_text()
    section = re.split(r"^#{1,3} ", readme.split(SECTION, 1)[1], flags=re.MULTILINE)[0]
    [commands] = re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert commands.startswith(LOCAL_LOGIN + " "), "the quickstart no longer logs in first"
    return section, commands.replace(LOCAL_LOGIN, READERS_LOCAL_LOGIN, 1)


def fresh_clone(target: Path) -> Path:
    """The repository's files as a clone has them: tracked or new, nothing git ignores."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


def reader_environment(home: Path, org: InfluxOrg, token: str) -> dict[str, str]:
    """The shell of a reader who followed the README up to its commands, in a home of its own."""
    inherited = {key: value for key, value in os.environ.items()
                 if not key.startswith(("PULUMI_", "INFLUX", "VIRTUAL_ENV", "PYTHON"))}
    # `python3` is the interpreter itself, not a shim that looks for its set-up in $HOME.
    interpreter = Path(sys._base_executable).parent
    # The CLI takes its own home from the user account too: PULUMI_HOME keeps its logs, plugins
    # and login in the reader's.
    return {**inherited, "HOME": str(home), "PULUMI_HOME": str(home / ".pulumi"),
            "PATH": os.pathsep.join([str(TOOLS_BIN), str(interpreter), os.environ["PATH"]]),
            "PULUMI_CONFIG_PASSPHRASE": "correct horse battery staple",
            "PULUMI_SKIP_CONFIRMATIONS": "true", "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "INFLUX_HOST": org.url, "INFLUX_ORG": org.name, "INFLUX_TOKEN": token,
            "SLACK_WEBHOOK_URL": WEBHOOK}


def test_the_quickstart_explains_what_its_commands_need_before_it_runs_them():
    section, commands = quickstart()
    for needed in ("curl -fsSL https://get.pulumi.com | sh", "PULUMI_CONFIG_PASSPHRASE",
                   "encryptionsalt", "commit `Pulumi.prod.yaml`", "influx auth create --operator"):
        assert needed in section, needed
    lines = commands.splitlines()
    secret = next(i for i, line in enumerate(lines) if line.startswith("influx secret update"))
    first_up = next(i for i, line in enumerate(lines) if line.startswith("pulumi up"))
    assert secret < first_up
    assert {"--host", "--org", "--token"} <= set(lines[secret].split())
    # The routine command is the deploy workflow's, which sees drift; a plain up's blind spot
    # is said.
    assert lines[first_up].startswith("pulumi up --refresh ")
    assert "A plain `pulumi up` compares the program with the state of the last run only" \
        in " ".join(section.split())


def test_the_quickstart_commands_deploy_to_a_real_influxdb_as_written(influxd, tmp_path):
    org = create_org(influxd, prefix="quickstart")
    try:
        for bucket in ("nublado", "mobu"):
            add_bucket(org, bucket)
        clone = fresh_clone(tmp_path / "clone")
        home = tmp_path / "home"
        home.mkdir()

        run = subprocess.run(["bash", "-euo", "pipefail", "-c", quickstart()[1]], cwd=clone,
                             env=reader_environment(home, org, org.token),
                             capture_output=True, text=True, timeout=900)

        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
        assert "rubin-influx-tools@v0.1.0" in run.stdout  # the policy pack judged the runs
        secrets = org.server.api("GET", f"/api/v2/orgs/{org.id}/secrets").json()["secrets"]
        assert secrets == ["slack_webhook_url"]
        tasks = org.server.api("GET", "/api/v2/tasks", params={"orgID": org.id}).json()["tasks"]
        names = {task["name"] for task in tasks}
        assert {"Nublado restarts", "_slack_notify_restarts"} <= names
        assert not any(name.startswith("Mobu") for name in names)  # ignoreBuckets[0] mobu
        committed = (clone / "Pulumi.prod.yaml").read_text()
        stack = yaml.safe_load(committed)
        assert stack["encryptionsalt"].startswith("v1:")
        assert stack["config"]["influxdb:url"] == org.url
        assert set(stack["config"]["influxdb:token"]) == {"secure"}
        assert org.token not in committed
    finally:
        delete_org(org)


def test_the_quickstart_stores_a_token_that_starts_with_a_dash(tmp_path, org):
    # influxd's tokens are URL-safe base64: one in 64 starts with "-", which a CLI may take for
    # an option. The README's lines that log in, make the stack and store the token, as written.
    token = "-X" + "t0ken" * 12
    commands = [line for line in quickstart()[1].splitlines()
                if line.startswith(("pulumi login", "pulumi stack select")) or
                "influxdb:token" in line]
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy2(REPO / "Pulumi.yaml", clone)
    home = tmp_path / "home"
    home.mkdir()
    environment = reader_environment(home, org, token)

    run = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(commands)], cwd=clone,
                         env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr.replace(token, "<token>")
    stored = subprocess.run(["pulumi", "config", "get", "influxdb:token"], cwd=clone,
                            env=environment, capture_output=True, text=True, timeout=60)

    assert stored.stdout.strip() == token
    assert token not in (clone / "Pulumi.prod.yaml").read_text()
