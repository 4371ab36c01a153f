"""What an org holds, read with the operator token, as the tests check it: its tasks, stored
mappings, buckets and tokens, and the writes the emulator's request log shows.
"""

from __future__ import annotations

from testbed.influx.server import InfluxOrg, InfluxServer

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def tasks(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/tasks",
                          params={"orgID": org.id, "limit": 500}).json()["tasks"]


def stored_mappings(org: InfluxOrg) -> list[dict]:
    content = org.server.api("GET", "/api/v2/dbrps", params={"orgID": org.id}).json()["content"]
    return [mapping for mapping in content if not mapping["virtual"]]


def buckets(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/buckets",
                          params={"orgID": org.id, "limit": 100}).json()["buckets"]


def bucket_names(org: InfluxOrg) -> set[str]:
    return {bucket["name"] for bucket in buckets(org)}


def find_bucket(org: InfluxOrg, name: str) -> dict:
    """The org's one bucket of that name, as the server has it."""
    [found] = [bucket for bucket in buckets(org) if bucket["name"] == name]
    return found


def authorizations(org: InfluxOrg) -> list[dict]:
    return org.server.api("GET", "/api/v2/authorizations",
                          params={"orgID": org.id}).json()["authorizations"]


def writes(server: InfluxServer) -> list[tuple[str, str]]:
    """The (method, path) of every write in the emulator's request log."""
    return [(entry["method"], entry["path"]) for entry in server.request_log()
            if entry["method"] in WRITES]
