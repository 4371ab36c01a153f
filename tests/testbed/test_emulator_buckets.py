"""Buckets behave like InfluxDB 2.7's: paging, lookups, validation, retention, permissions."""

from __future__ import annotations

import pytest

from testbed.influx.contract import api_call
from testbed.influx.seed import scoped_token

DAY = 86400


def create_bucket(org, name: str, retention: int = 0, **fields) -> dict:
    response = post_bucket(org, name, retention, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def post_bucket(org, name: str, retention: int = 0, **fields):
    body = {"orgID": org.id, "name": name,
            "retentionRules": [{"type": "expire", "everySeconds": retention}], **fields}
    return api_call(org, "POST", "/api/v2/buckets", json=body)


def list_buckets(org, token: str | None = None, **params) -> dict:
    response = api_call(org, "GET", "/api/v2/buckets", token=token,
                        params={"orgID": org.id, **params})
    assert response.status_code == 200, response.text
    return response.json()


def names(page: dict) -> list[str]:
    return [bucket["name"] for bucket in page["buckets"]]


def test_a_new_org_has_the_system_buckets_monitoring_and_tasks(org):
    system = {b["name"]: b for b in list_buckets(org)["buckets"] if b["type"] == "system"}
    assert set(system) == {"_monitoring", "_tasks"}
    assert system["_monitoring"]["retentionRules"][0]["everySeconds"] == 7 * DAY
    assert system["_tasks"]["retentionRules"][0]["everySeconds"] == 3 * DAY


def test_limit_must_be_between_1_and_100(org):
    for limit in (0, 101):
        response = api_call(org, "GET", "/api/v2/buckets", params={"orgID": org.id,
                                                                   "limit": limit})
        assert response.status_code == 400
        assert response.json()["message"] == "limit must be between 1 and 100"
    assert list_buckets(org, limit=100)["buckets"]


def test_the_default_page_is_20_buckets(org):
    for number in range(20):
        create_bucket(org, f"app{number:02}")
    page = list_buckets(org)
    assert len(page["buckets"]) == 20
    assert "next" in page["links"]


def test_an_orgs_buckets_page_in_name_byte_order_by_offset(org):
    for name in ("b-app", "Zeta", "a-app", "c-app"):
        create_bucket(org, name)
    first = list_buckets(org, limit=3)
    second = list_buckets(org, limit=3, offset=3)
    # "_" sorts after upper case letters and before lower case ones.
    assert names(first) + names(second) == ["Zeta", "_monitoring", "_tasks", "a-app", "b-app",
                                            "c-app"]
    assert "offset=3" in first["links"]["next"]
    assert "next" in second["links"]


def test_after_skips_up_to_that_bucket_in_name_order(org):
    ids = {name: create_bucket(org, name)["id"] for name in ("app-c", "app-a", "app-b")}
    assert names(list_buckets(org, after=ids["app-a"])) == ["app-b", "app-c"]
    assert names(list_buckets(org, after=ids["app-c"])) == []


def test_a_name_lookup_of_a_missing_bucket_is_404_not_an_empty_list(org):
    create_bucket(org, "present")
    assert names(list_buckets(org, name="present")) == ["present"]
    response = api_call(org, "GET", "/api/v2/buckets", params={"orgID": org.id,
                                                               "name": "absent"})
    assert response.status_code == 404
    assert response.json()["message"] == 'bucket "absent" not found'


def test_an_unknown_org_name_is_404(org):
    response = api_call(org, "GET", "/api/v2/buckets", params={"org": f"{org.name}-nope"})
    assert response.status_code == 404
    assert response.json()["code"] == "not found"


@pytest.mark.parametrize("name", ["_private", 'say "hi"'])
def test_underscore_prefixes_and_quotes_make_a_bucket_name_invalid(org, name):
    response = post_bucket(org, name)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_duplicate_bucket_name_is_422_conflict_not_409(org):
    create_bucket(org, "twice")
    response = post_bucket(org, "twice")
    assert response.status_code == 422
    assert response.json() == {"code": "conflict",
                               "message": "bucket with name twice already exists"}


def test_creating_a_bucket_needs_org_id_not_an_org_name(org):
    response = api_call(org, "POST", "/api/v2/buckets", json={"org": org.name, "name": "x"})
    assert response.status_code == 400
    assert response.json()["message"] == "organization id must be provided"


def test_a_retention_under_an_hour_is_a_500_internal_error(org):
    response = post_bucket(org, "short", 3599)
    assert response.status_code == 500
    assert response.json() == {"code": "internal error",
                               "message": "retention policy duration must be at least 1h0m0s"}
    assert create_bucket(org, "hour", 3600)["retentionRules"][0]["everySeconds"] == 3600


@pytest.mark.parametrize(("retention", "shard"), [
    (0, 7 * DAY), (3600, 3600), (2 * DAY, DAY), (30 * DAY, DAY), (180 * DAY, 7 * DAY)])
def test_the_shard_group_duration_follows_the_retention(org, retention, shard):
    rule = create_bucket(org, f"r{retention}", retention)["retentionRules"][0]
    assert rule == {"type": "expire", "everySeconds": retention,
                    "shardGroupDurationSeconds": shard}


def test_lowering_retention_below_the_shard_duration_is_a_422(org):
    bucket = create_bucket(org, "month", 30 * DAY)
    response = api_call(org, "PATCH", f"/api/v2/buckets/{bucket['id']}",
                        json={"retentionRules": [{"type": "expire", "everySeconds": 3600}]})
    assert response.status_code == 422
    assert response.json()["message"] == ("shard-group duration must also be updated to be "
                                          "smaller than new retention duration")


def test_creating_a_bucket_with_retention_below_its_shard_duration_is_a_500(org):
    response = api_call(org, "POST", "/api/v2/buckets", json={
        "orgID": org.id, "name": "short", "retentionRules": [
            {"type": "expire", "everySeconds": 7200, "shardGroupDurationSeconds": DAY}]})
    assert response.status_code == 500
    assert response.json()["message"] == ("retention policy duration must be greater than the "
                                          "shard duration")


def test_patch_changes_description_retention_and_name(org):
    bucket = create_bucket(org, "before", 7 * DAY)
    response = api_call(org, "PATCH", f"/api/v2/buckets/{bucket['id']}", json={
        "name": "after", "description": "changed",
        "retentionRules": [{"type": "expire", "everySeconds": 14 * DAY}]})
    assert response.status_code == 200
    changed = api_call(org, "GET", f"/api/v2/buckets/{bucket['id']}").json()
    assert (changed["name"], changed["description"]) == ("after", "changed")
    assert changed["retentionRules"][0]["everySeconds"] == 14 * DAY


def test_renaming_to_an_existing_name_is_422(org):
    create_bucket(org, "taken")
    bucket = create_bucket(org, "mine")
    response = api_call(org, "PATCH", f"/api/v2/buckets/{bucket['id']}", json={"name": "taken"})
    assert response.status_code == 422
    assert response.json()["code"] == "conflict"


def test_a_bucket_name_longer_than_its_index_key_takes_is_413_key_too_large(org):
    """bolt keys are at most 32768 bytes; the name index keys a bucket by org ID and name."""
    longest = create_bucket(org, "é" * 16376)  # 32752 bytes
    too_long = post_bucket(org, "x" * 32753)
    renamed = api_call(org, "PATCH", f"/api/v2/buckets/{longest['id']}", json={"name": "y" * 32753})
    for response in (too_long, renamed):
        assert response.status_code == 413
        assert response.json() == {"code": "request too large", "message": "key too large"}


def test_system_buckets_cannot_be_deleted(org):
    tasks_bucket = list_buckets(org, name="_tasks")["buckets"][0]
    response = api_call(org, "DELETE", f"/api/v2/buckets/{tasks_bucket['id']}")
    assert response.status_code == 400


def test_deleting_a_bucket_deletes_its_mappings(org):
    bucket = create_bucket(org, "mapped")
    mapping = api_call(org, "POST", "/api/v2/dbrps", json={
        "orgID": org.id, "bucketID": bucket["id"], "database": "mapped",
        "retention_policy": "custom", "default": True}).json()
    assert api_call(org, "DELETE", f"/api/v2/buckets/{bucket['id']}").status_code == 204
    assert api_call(org, "GET", f"/api/v2/buckets/{bucket['id']}").status_code == 404
    response = api_call(org, "GET", f"/api/v2/dbrps/{mapping['id']}", params={"orgID": org.id})
    assert response.status_code == 404


def test_a_token_reading_some_buckets_gets_short_pages_while_more_exist(org):
    created = {name: create_bucket(org, name)["id"] for name in ("a1", "a2", "a3", "a4", "a5")}
    token = scoped_token(org, ("read", "buckets", created["a2"]),
                         ("read", "buckets", created["a5"]))
    # Name order: _monitoring, _tasks, a1 ... a5. The page is cut first, then filtered.
    first = list_buckets(org, token=token, limit=3)
    assert names(first) == []
    assert "next" not in first["links"]  # a client stopping at a short page misses a2 and a5
    second = list_buckets(org, token=token, limit=3, offset=3)
    third = list_buckets(org, token=token, limit=3, offset=6)
    assert names(second) + names(third) == ["a2", "a5"]


def test_system_buckets_are_listed_to_a_token_reading_the_org_not_to_a_bucket_reader(org):
    bucket_reader = scoped_token(org, ("read", "buckets", None))
    org_reader = scoped_token(org, ("read", "orgs", org.id))
    both = scoped_token(org, ("read", "buckets", None), ("read", "orgs", org.id))
    create_bucket(org, "app")

    def system(token):
        return sorted(name for name in names(list_buckets(org, token=token, limit=100))
                      if name.startswith("_"))

    assert system(bucket_reader) == []
    assert system(org_reader) == system(both) == ["_monitoring", "_tasks"]
    assert "app" in names(list_buckets(org, token=both, limit=100))
    assert "app" not in names(list_buckets(org, token=org_reader, limit=100))
    monitoring = next(b for b in list_buckets(org, limit=100)["buckets"]
                      if b["name"] == "_monitoring")
    read = api_call(org, "GET", f"/api/v2/buckets/{monitoring['id']}", token=bucket_reader)
    assert (read.status_code, read.json()["message"]) == (
        401, f"read:orgs/{org.id} is unauthorized")


def test_after_a_deleted_bucket_the_list_is_empty(org):
    # The cursor must name a bucket that still exists: a client paging by `after` would stop.
    gone = create_bucket(org, "b-gone")
    create_bucket(org, "c-stays")
    api_call(org, "DELETE", f"/api/v2/buckets/{gone['id']}")
    assert names(list_buckets(org, after=gone["id"], limit=100)) == []


def test_reading_a_bucket_without_permission_is_401(org):
    visible, hidden = create_bucket(org, "visible"), create_bucket(org, "hidden")
    token = scoped_token(org, ("read", "buckets", visible["id"]))
    assert api_call(org, "GET", f"/api/v2/buckets/{visible['id']}", token=token).ok
    response = api_call(org, "GET", f"/api/v2/buckets/{hidden['id']}", token=token)
    assert response.status_code == 401
    assert response.json()["message"] == (
        f"read:orgs/{org.id}/buckets/{hidden['id']} is unauthorized")


def test_deleting_a_bucket_needs_write_on_it(org):
    bucket = create_bucket(org, "guarded")
    token = scoped_token(org, ("read", "buckets", bucket["id"]))
    response = api_call(org, "DELETE", f"/api/v2/buckets/{bucket['id']}", token=token)
    assert response.status_code == 401
    assert api_call(org, "GET", f"/api/v2/buckets/{bucket['id']}").status_code == 200


def test_without_an_org_buckets_are_listed_in_id_order_both_ways(org):
    # IDs are not in creation order on a real server: the cursor is an ID, not a position.
    created = sorted(create_bucket(org, f"ordered{n}")["id"] for n in range(3))
    ascending = [b["id"] for b in api_call(org, "GET", "/api/v2/buckets",
                                           params={"after": created[0]}).json()["buckets"]]
    assert ascending == sorted(ascending) and all(id_ > created[0] for id_ in ascending)
    assert set(created[1:]) <= set(ascending)
    descending = api_call(org, "GET", "/api/v2/buckets",
                          params={"descending": "true", "limit": 100}).json()["buckets"]
    ids = [b["id"] for b in descending]
    assert ids == sorted(ids, reverse=True)
    assert created[2] in ids
