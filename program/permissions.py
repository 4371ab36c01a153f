"""The scoped token's permissions: what routine task management needs, and nothing more."""

from __future__ import annotations

from pulumi import Input


def task_token_permissions(org_id: Input[str]) -> list[dict]:
    """Read and write tasks in the org, and read the org itself.

    The `Task` resources are created, updated and deleted with this token. It holds no write on
    authorizations, users or orgs and no `instance` permission, so a leaked copy cannot mint
    tokens or take over the org. (At run time a task acts with its owner's rights, not these.)
    """
    return [
        {"action": "read", "resource": {"type": "orgs", "id": org_id}},
        {"action": "read", "resource": {"type": "tasks", "orgID": org_id}},
        {"action": "write", "resource": {"type": "tasks", "orgID": org_id}},
    ]


# The tokens the scoped token takes the place of, by description: the old tokenmaker's task token.
# Never adopted (it holds write on buckets and orgs); each run that makes the scoped token warns
# naming the ones it finds, so the operator deletes them once nothing uses them.
REPLACED_TOKENS = ["Token for task/alert creation"]
