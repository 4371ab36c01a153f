"""The guard on the user's Pulumi home (testbed/pulumi_home.py): any write below it shows.

The pytest plugin fails the session when the account's ~/.pulumi changed; these tests prove the
fingerprint it compares sees each kind of write the CLI makes there.
"""

from __future__ import annotations

import os

from testbed.pulumi_home import changes, fingerprint


def test_a_missing_home_has_an_empty_fingerprint_and_creating_it_shows(tmp_path):
    home = tmp_path / ".pulumi"
    before = fingerprint(home)
    (home / "logs").mkdir(parents=True)
    assert before == {}
    assert changes(before, fingerprint(home)) == ["added .", "added logs"]


def test_a_new_log_a_rewritten_login_and_a_removed_stack_all_show(tmp_path):
    home = tmp_path / ".pulumi"
    (home / "stacks").mkdir(parents=True)
    (home / "credentials.json").write_text('{"current": "https://api.pulumi.com"}')
    (home / "stacks" / "dev.json").write_text("{}")
    before = fingerprint(home)
    (home / "logs").mkdir()
    (home / "logs" / "pulumi-version.log").write_bytes(b"\x1f\x8b")
    credentials = home / "credentials.json"
    stat = credentials.stat()
    credentials.write_text(credentials.read_text())  # the same bytes again: only its time moves
    os.utime(credentials, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    (home / "stacks" / "dev.json").unlink()

    assert changes(before, fingerprint(home)) == [
        "added logs", "added logs/pulumi-version.log", "changed .", "changed credentials.json",
        "changed stacks", "removed stacks/dev.json"]


def test_reading_the_home_changes_nothing(tmp_path):
    home = tmp_path / ".pulumi"
    (home / "plugins").mkdir(parents=True)
    (home / "plugins" / "link").symlink_to(tmp_path)
    before = fingerprint(home)
    (home / "plugins" / "link").resolve()
    assert changes(before, fingerprint(home)) == []
