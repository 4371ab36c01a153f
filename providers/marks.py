"""The mark each object carries in its description: the Pulumi stack that manages it.

A description reads as the operator's text followed by "(managed by stack <project>/<stack>)".
The mark lets a create recognise its own objects (the late commit of a create whose answer was
lost, a duplicate left by an earlier run) and refuse one that another stack manages: one
organization is one stack. Objects without a mark (made by hand or by the old scripts) may be
adopted; the adopting update adds the mark.
"""

from __future__ import annotations

import re

MARK = re.compile(r" \(managed by stack (?P<stack>[^\s()]+)\)$")


def marked(description: str, stack: str) -> str:
    """The description with the stack's mark (any earlier mark replaced)."""
    return f"{unmarked(description)} (managed by stack {stack})"


def unmarked(description: str | None) -> str:
    """The operator's text of a description, without the mark."""
    return MARK.sub("", description or "")


def stack_of(description: str | None) -> str | None:
    """The stack a description names as the manager, None when it carries no mark."""
    found = MARK.search(description or "")
    return found["stack"] if found else None
