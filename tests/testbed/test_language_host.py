"""The test bed's own Python language host (testbed/builds/language-python) on the paths where users
meet the official one, under the real CLI: a preview before `pulumi install` makes the missing
virtualenv and installs requirements.txt, and `pulumi about` lists the program's dependencies.

The first test installs the pinned `pulumi` from the package index into a new virtualenv, as a
user's first preview does: it needs the network and takes the better part of a minute.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from testbed.engine.cli import PulumiCli
from testbed.engine.result import succeeded
from testbed.paths import REPO

PINNED_SDK = re.search(r"^pulumi==(\S+)$", (REPO / "requirements.txt").read_text(),
                       re.MULTILINE).group(1)


def uninstalled_project(folder: Path) -> Path:
    """A project as a clone has it before `pulumi install`: no virtualenv yet."""
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": "uninstalled", "runtime": {"name": "python",
                                           "options": {"toolchain": "pip", "virtualenv": "venv"}}}))
    (folder / "requirements.txt").write_text(f"pulumi=={PINNED_SDK}\n")
    (folder / "__main__.py").write_text("import sys\n\nimport pulumi\n\n"
                                        'pulumi.export("python", sys.executable)\n')
    return folder


def test_a_preview_before_pulumi_install_makes_the_virtualenv_and_installs_requirements(tmp_path):
    project = uninstalled_project(tmp_path / "project")
    home = tmp_path / "home"  # pip's cache and configuration: the user's own stay untouched
    cli = PulumiCli(project, state_dir=tmp_path / "pulumi",
                    env={"HOME": str(home), "PIP_CACHE_DIR": str(home / "pip-cache")})

    succeeded(cli.preview())

    python = project / "venv" / "bin" / "python"
    shown = subprocess.run([str(python), "-m", "pip", "show", "pulumi"], capture_output=True,
                           text=True, check=True).stdout
    assert f"Version: {PINNED_SDK}" in shown.splitlines()
    assert succeeded(cli.up()).outputs["python"] == str(python)  # the program ran in it


def test_pulumi_about_lists_the_programs_dependencies_as_pip_does(tmp_path):
    sample = REPO / "testbed" / "sample_program"  # runs in the repository's virtualenv
    cli = PulumiCli(sample, state_dir=tmp_path / "pulumi")

    about = cli.about()

    # The packages nothing else requires, names normalised as PEP 503 does.
    listed = json.loads(subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "pip", "list", "--not-required",
         "--format", "json"], capture_output=True, text=True, check=True).stdout)
    assert about["errors"] == []
    assert sorted((d["name"], d["version"]) for d in about["dependencies"]) == sorted(
        (re.sub(r"[-_.]+", "-", p["name"]).lower(), p["version"]) for p in listed)
