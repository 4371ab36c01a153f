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


def test_the_demo_without_the_pulumi_cli_says_how_to_install_it_and_runs_the_program():
    shown = demo("")

    assert "curl -fsSL https://get.pulumi.com | sh" in shown
    assert "3 apps; new apps: gafaelfawr, mobu, nublado" in shown
    up, again = shown.split("== pulumi up")[1:3]
    assert up.count(" create ") == 22
    assert again.count(" same ") == 22 and " create " not in again


def test_the_demo_runs_pulumi_up_with_the_real_cli():
    shown = demo(str(TOOLS_BIN))

    assert "get.pulumi.com" not in shown
    assert "3 apps; new apps: gafaelfawr, mobu, nublado" in shown
    up, again = shown.split("== pulumi up")[1:3]
    assert "+ 23 created" in up  # the 22 objects and the stack
    assert "23 unchanged" in again
