"""`make demo`, the README's way to run the main job locally, works on a machine without Pulumi."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_demo_without_the_pulumi_cli_says_how_to_install_it_and_runs_the_program():
    path = os.pathsep.join(folder for folder in os.environ["PATH"].split(os.pathsep)
                           if not (Path(folder) / "pulumi").exists())
    assert shutil.which("pulumi", path=path) is None

    demo = subprocess.run([sys.executable, "-m", "testbed.demo"], cwd=REPO, capture_output=True,
                          text=True, timeout=180, env={**os.environ, "PATH": path})

    assert demo.returncode == 0, demo.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in demo.stdout
    assert "3 apps; new apps: gafaelfawr, mobu, nublado" in demo.stdout
    up, again = demo.stdout.split("== pulumi up")[1:3]
    assert up.count(" create ") == 18
    assert again.count(" same ") == 18 and " create " not in again
