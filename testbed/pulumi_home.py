"""The user's own Pulumi home, which no test and no benchmark run may touch.

The CLI finds its home from the user account, not from $HOME: a run without PULUMI_HOME logs
there (every command, `pulumi version` included), `pulumi login` records the current backend
there (logging a developer out of Pulumi Cloud), and a `file://~` backend keeps stacks, history
and backups there. The test bed gives every CLI run a PULUMI_HOME of its own; the pytest plugin
compares this fingerprint of the account's `~/.pulumi` before and after the session.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

ACCOUNT_PULUMI_HOME = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".pulumi"
Entry = tuple[str, int, int, int, str]  # kind, size, mode, modification time (ns), link target


def fingerprint(root: Path = ACCOUNT_PULUMI_HOME) -> dict[str, Entry]:
    """Every entry at and below `root` by relative path, with what any write changes; empty when
    `root` does not exist. Links are recorded, not followed."""
    found: dict[str, Entry] = {}
    if not root.exists() and not root.is_symlink():
        return found
    found["."] = _entry(root)
    for folder, folders, files in os.walk(root):
        for name in (*folders, *files):
            path = Path(folder, name)
            found[str(path.relative_to(root))] = _entry(path)
    return found


def changes(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """What differs between two fingerprints, one phrase per path, sorted."""
    return sorted([*(f"added {path}" for path in after.keys() - before.keys()),
                   *(f"removed {path}" for path in before.keys() - after.keys()),
                   *(f"changed {path}" for path in before.keys() & after.keys()
                     if before[path] != after[path])])


def _entry(path: Path) -> Entry:
    stat = path.lstat()
    kind = "link" if path.is_symlink() else "folder" if path.is_dir() else "file"
    target = os.readlink(path) if kind == "link" else ""
    return kind, stat.st_size if kind == "file" else 0, stat.st_mode, stat.st_mtime_ns, target
