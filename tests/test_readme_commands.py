"""Every `pulumi ...` command the README gives runs as written under the real CLI, against a real
stack on the real influxd: those of the quickstart's block in `tests/test_quickstart.py`, every
other one here (in the README's order, destroys last), with only its placeholders filled in.
"""

from __future__ import annotations

import re
import subprocess

from testbed.engine.result import succeeded
from testbed.paths import REPO
from tests.test_quickstart import quickstart

# Commands the README names but no test can run here, and why.
NOT_RUN = {
    "pulumi login": "logs in to Pulumi Cloud: needs an account",
    "pulumi login s3://<bucket>": "needs a cloud bucket",
    "pulumi config set <key> <value>": "the form of every setting command; each is run as given",
}
# What a reader puts in for a placeholder (`<org>` and a token come from the test's org).
PLACEHOLDERS = {"<new name>": "renamed"}
# Run after every other command, in this order; a rename is followed by what the README says.
LAST = ("pulumi stack rename", "pulumi destroy")
FOLLOW_UP = {"pulumi stack rename <new name>": "pulumi up"}
# The README gives these right after a run; here, settings changed since the last one.
AFTER_A_RUN = {"pulumi preview --expect-no-changes": "pulumi up"}


def readme_commands(readme: str | None = None) -> list[str]:
    """Every `pulumi ...` command of the README (or of this text), once, in order: inline code
    spans (joined across a line break) and the lines of its shell blocks (without comments)."""
    readme = (REPO / "README.md").read_text() if readme is None else readme
    found = []
    for block, span in re.findall(r"^```sh\n(.*?)^```|(?<!`)`([^`\n]+(?:\n[^`\n]+)?)`(?!`)",
                                  readme, re.MULTILINE | re.DOTALL):
        if block:
            found += [match.group(1).strip() for line in block.splitlines()
                      if (match := re.search(r"(?:^|[|&(] *)(pulumi [^#)]*)", line))]
        elif span.startswith("pulumi "):
            found.append(" ".join(span.split()))
    return list(dict.fromkeys(found))


def runnable(command: str, org_name: str) -> str:
    for placeholder, value in {**PLACEHOLDERS, "<name>": org_name}.items():
        command = command.replace(placeholder, value)
    return command


def test_the_readme_commands_are_found_and_each_is_run_or_says_why_not():
    commands = readme_commands()
    in_block = readme_commands(f"```sh\n{quickstart()[1]}```\n")
    assert "pulumi config set --plaintext --path 'slackRoutes[0].secretKey' slack_webhook_summit" \
        in commands
    assert "pulumi stack select --create prod" in commands
    assert "pulumi stack select --create prod" in in_block and "pulumi up" not in in_block
    assert set(NOT_RUN) <= set(commands)
    assert not [command for command in commands if "<" in runnable(command, "o")
                and command not in NOT_RUN], "a placeholder without a value in PLACEHOLDERS"


def test_every_pulumi_command_of_the_readme_runs_as_written(cli, monitored_org, influxd):
    cli.config["rubin-influx-tools:ignoreBuckets"] = ["mobu"]
    succeeded(cli.up())  # the stack the reader has once the quickstart is done
    project, environment = cli.shell()
    subprocess.run(["pulumi", "stack", "select", cli.stack_name], cwd=project, env=environment,
                   check=True, capture_output=True, timeout=60)
    block = readme_commands(f"```sh\n{quickstart()[1]}```\n")  # run by test_quickstart.py
    todo = [command for command in readme_commands()
            if command not in NOT_RUN and command not in block]
    ordered = [step for command in todo if not command.startswith(LAST)
               for step in (*filter(None, [AFTER_A_RUN.get(command)]), command)]
    for last in LAST:
        for command in (command for command in todo if command.startswith(last)):
            ordered += [command, *filter(None, [FOLLOW_UP.get(command)])]
    failed = {}
    for command in ordered:
        run = subprocess.run(["bash", "-c", runnable(command, monitored_org.name)], cwd=project,
                             env=environment, input=monitored_org.token, capture_output=True,
                             text=True, timeout=300)
        if run.returncode != 0:
            failed[command] = (run.stdout + run.stderr)[-1500:].replace(monitored_org.token,
                                                                         "<token>")
    assert failed == {}, "\n\n".join(f"$ {command}\n{output}" for command, output in failed.items())
    assert len(ordered) >= 15
