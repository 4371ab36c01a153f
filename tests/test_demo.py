"""`make demo`, the README's way to run the main job locally, with and without the Pulumi CLI."""

import os
import subprocess
import sys

from testbed.paths import REPO, TOOLS_BIN


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


def demo(cli_dir: str) -> str:
    """The demo's output; it must leave the working tree as it found it (its stack in .demo/)."""
    before = git_status()
    run = subprocess.run([sys.executable, "-m", "testbed.demo"], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "DEMO_PULUMI_DIR": cli_dir})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert git_status() == before
    return run.stdout


# The three apps' buckets, the host-level one, the system two and the program's two; a mapping
# for each but the system buckets; three tasks an app and four Slack notifiers; the operator's
# token and the task token.
HOLDINGS = "org demo now holds 8 buckets, 6 DBRP mappings, 13 tasks and 2 tokens"
# What the SDK sends the engine as debug diagnostics, which a terminal never shows.
SDK_DEBUG = ("registering resource", "resource registration", "RPCs successfully completed",
             "run_pulumi_func completed")


def test_the_demo_without_the_pulumi_cli_says_how_to_install_it_and_runs_the_program():
    shown = demo("")

    assert "curl -fsSL https://get.pulumi.com | sh" in shown
    assert "3 apps; new apps: gafaelfawr, mobu, nublado" in shown
    up, again = shown.split("$ pulumi up")[1:3]
    assert up.count(" create ") == 26
    assert again.count(" same ") == 26 and " create " not in again
    assert shown.rstrip().splitlines()[-1] == HOLDINGS


def test_the_demo_shows_what_the_real_clis_terminal_shows_and_what_the_org_holds():
    shown = demo(str(TOOLS_BIN))

    assert "get.pulumi.com" not in shown
    preview, up, again = shown.split("$ pulumi ")[1:4]
    assert preview.startswith("preview\nPreviewing update (demo):")
    assert "3 apps; new apps: gafaelfawr, mobu, nublado" in up
    assert "+ 27 created" in up  # the 26 objects (4 of them dashboards and variables), the stack
    assert "27 unchanged" in again
    assert not [line for line in shown.splitlines() if any(debug in line for debug in SDK_DEBUG)]
    assert shown.rstrip().splitlines()[-1] == HOLDINGS
