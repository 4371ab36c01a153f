"""Creating an object exactly once: adopt the one that exists, else create it, and after a create
whose answer was lost, look for it long enough before creating again.

Which existing object a create adopts: one marked by this stack, else an unmarked one (made by
hand or by the old scripts), the oldest first; never one marked by another stack
(`ManagedElsewhere`). A create that went unanswered (a timeout or a dropped connection) may still
be under way on the server: it gets one more answer timeout to show in the listing before the
object is created again. One that shows up later still is a duplicate, which the caller learns
(`Made.unseen_creates`) so the next run can remove it.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from providers.client import InfluxClient
from providers.errors import AmbiguousWrite, Conflict, ManagedElsewhere
from providers.listing import Listing
from providers.marks import stack_of

CREATE_ATTEMPTS = 5
OURS, UNMARKED, OTHERS = range(3)

log = logging.getLogger(__name__)
Finder = Callable[[list[dict]], "dict | None"]


@dataclass(frozen=True)
class Made:
    """The object a create ended with, and how many of its lost creates were never seen."""

    object: dict
    unseen_creates: int = 0


def pick(found: list[dict], is_same: Callable[[dict], bool], stack: str | None,
         what: str) -> dict | None:
    """The object to adopt among `found`: the same identity, this stack's (or an unmarked one),
    the oldest first; ManagedElsewhere when only another stack's has it."""
    candidates = sorted((item for item in found if is_same(item)),
                        key=lambda item: (owner(item, stack), item.get("createdAt", ""),
                                          item["id"]))
    if not candidates:
        return None
    chosen = candidates[0]
    if owner(chosen, stack) == OTHERS:
        raise ManagedElsewhere(
            "POST", what, f"{what.rsplit('/', 1)[-1].removesuffix('s')} {chosen['id']} "
            f"({chosen.get('name') or chosen.get('description')!r}) is managed by stack "
            f"{stack_of(chosen.get('description'))}, not by {stack or 'this one'}",
            hint="one organization is managed by one stack: destroy the other stack, or "
                 "point this one at another organization")
    if len(candidates) > 1:
        log.warning("%d objects match %s %r; adopting the oldest (%s), leaving %s alone",
                    len(candidates), what, chosen.get("name") or chosen.get("description"),
                    chosen["id"], ", ".join(item["id"] for item in candidates[1:]))
    return chosen


def owner(item: dict, stack: str | None) -> int:
    """OURS, UNMARKED or OTHERS: whose the object is, by the mark in its description."""
    found = stack_of(item.get("description"))
    if found is None:
        return UNMARKED
    return OURS if found == stack else OTHERS


def adopt_or_create(
    client: InfluxClient,
    listing: Listing,
    find: Finder,
    adopt: Callable[[dict], dict],
    create: Callable[[], dict],
) -> Made:
    """Adopt the object `find` picks from the listing, else create one.

    A create that failed ambiguously, or lost a race (conflict), lists again and retries, so it
    adopts what the lost answer created instead of creating a duplicate.
    """
    started = time.monotonic()
    unseen = 0  # creates that went unanswered and whose object has not shown up
    for attempt in itertools.count(1):
        existing = find(listing.objects())
        if existing is None and unseen:
            existing = await_lost_create(client, listing, find)
        if existing is not None and unseen:
            unseen -= 1  # one lost create found
        try:
            made = create() if existing is None else adopt(existing)
        except (AmbiguousWrite, Conflict) as failure:
            if isinstance(failure, AmbiguousWrite) and failure.unanswered:
                unseen += 1
            if attempt >= CREATE_ATTEMPTS or time.monotonic() - started > client.retry.budget:
                raise
            log.warning("%s; looking for it before trying again", failure)
            listing.reload()
            time.sleep(client.retry.backoff(attempt))
            continue
        listing.remember(made)
        return Made(made, unseen)


def await_lost_create(client: InfluxClient, listing: Listing, find: Finder) -> dict | None:
    """The object an unanswered create made, listed again until one more answer timeout has
    passed (the server may still be working on it); None if it has not shown up by then."""
    deadline = time.monotonic() + client.answer_timeout
    for attempt in itertools.count(1):
        time.sleep(max(0.0, min(client.retry.backoff(attempt), deadline - time.monotonic())))
        listing.reload()
        found = find(listing.objects())
        if found is not None or time.monotonic() >= deadline:
            return found
