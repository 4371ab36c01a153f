"""Tasks behave like InfluxDB 2.7's: options only from the Flux `option task` record, the
"invalid options" errors, the PATCH rewrite, paging, owners and permissions."""

from __future__ import annotations

import pytest

from testbed.influx.contract import api_call, user_id
from testbed.influx.seed import scoped_token

SCRIPT = 'option task = {name: "restarts", every: 2m30s, offset: 5s}\n\nfrom(bucket: "app")\n'


def post_task(org, flux: str, token: str | None = None, **fields):
    return api_call(org, "POST", "/api/v2/tasks", token=token,
                    json={"orgID": org.id, "flux": flux, **fields})


def create_task(org, flux: str = SCRIPT, **fields) -> dict:
    response = post_task(org, flux, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def patch_task(org, task: dict, **fields):
    return api_call(org, "PATCH", f"/api/v2/tasks/{task['id']}", json=fields)


def list_tasks(org, token: str | None = None, **params) -> dict:
    response = api_call(org, "GET", "/api/v2/tasks", token=token,
                        params={"orgID": org.id, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_name_and_schedule_come_only_from_the_option_block(org):
    task = create_task(org, name="ignored", every="1h", description="per app")
    assert (task["name"], task["every"], task["offset"]) == ("restarts", "2m30s", "5s")
    assert (task["status"], task["description"], task["flux"]) == ("active", "per app", SCRIPT)
    assert "cron" not in task


def test_a_cron_schedule_is_kept_as_written(org):
    task = create_task(org, 'option task = {name: "nightly", cron: "0 2 * * *"}\n')
    assert task["cron"] == "0 2 * * *"
    assert "every" not in task


def test_the_owner_is_the_user_of_the_creating_token(org):
    writer = scoped_token(org, ("write", "tasks", None))
    response = post_task(org, SCRIPT, token=writer)
    assert response.status_code == 201
    assert response.json()["ownerID"] == user_id(org)


def test_creating_a_task_needs_write_on_tasks_in_the_org(org):
    # The task service checks permissions itself, and its denial reaches the client as a 500.
    reader = scoped_token(org, ("read", "tasks", None))
    response = post_task(org, SCRIPT, token=reader)
    assert response.status_code == 500
    assert response.json() == {"code": "internal error",
                               "message": "failed to create task: unauthorized"}


def test_a_task_denied_to_a_token_is_404_to_read_and_500_to_change(org):
    task_id = post_task(org, SCRIPT).json()["id"]
    other = scoped_token(org, ("read", "buckets", None))
    path = f"/api/v2/tasks/{task_id}"
    answers = [(answer.status_code, answer.json()["message"]) for answer in (
        api_call(org, "GET", path, token=other),
        api_call(org, "PATCH", path, token=other, json={"status": "inactive"}),
        api_call(org, "DELETE", path, token=other))]
    assert answers == [(404, "failed to find task: unauthorized"),
                       (500, "failed to update task: unauthorized"),
                       (500, "failed to delete task: unauthorized")]
    listed = api_call(org, "GET", "/api/v2/tasks", token=other, params={"orgID": org.id})
    assert listed.json()["tasks"] == []


@pytest.mark.parametrize(("flux", "detail"), [
    ('from(bucket: "x")', "no task options defined"),
    ('option task = {name: "a", every: 1h}\noption task = {name: "b", every: 1h}',
     "multiple task options defined"),
    ("option task = {every: 1h}", "missing required option: name"),
    ('option task = {name: "a"}', "missing required option: cron or every"),
    ('option task = {name: "a", every: 1h, cron: "* * * * *"}',
     "cannot use both cron and every in task options"),
    ("option task = {name: a, every: 1h}", "failed to parse field 'name' in task options"),
    ('option task = {name: "a", every: "1h"}', "failed to parse field 'every' in task options"),
    ('option task = {name: "a", every: 500ms}',
     "invalid options: every option must be at least 1 second"),
    ('option task = {name: "a", every: 90500ms}',
     "invalid options: every option must be expressible as whole seconds"),
    ('option task = {name: "", every: 1h}', "invalid options: name required"),
    ('option task = {name: "a", every: 1h, retry: 11}',
     "invalid options: retry exceeded max of 10"),
])
def test_bad_task_options_are_400_invalid_options(org, flux, detail):
    response = post_task(org, flux)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": f"invalid options: {detail}"}


@pytest.mark.parametrize("flux", ['option task = {name: "a", every: 1h',
                                  'option task = {name: "a, every: 1h}'])
def test_a_syntax_error_is_400_invalid_options_with_its_position(org, flux):
    response = post_task(org, flux)
    assert response.status_code == 400
    assert response.json()["message"] == "invalid options: loc 1:15-1:36: expected RBRACE, got EOF"


def test_a_malformed_duration_is_400_invalid_options(org):
    response = post_task(org, 'option task = {name: "a", every: 1x}')
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid options: ")


def test_a_patch_with_a_malformed_duration_is_400(org):
    task = create_task(org)
    response = patch_task(org, task, every="soon")
    assert response.status_code == 400
    assert response.json()["message"].startswith("failed to decode request: ")


def test_an_offset_in_days_is_a_500(org):
    response = post_task(org, 'option task = {name: "a", every: 1d, offset: 1d}')
    assert response.status_code == 500


def test_several_tasks_may_share_a_name(org):
    first, second = create_task(org), create_task(org)
    assert first["id"] != second["id"]
    assert [t["id"] for t in list_tasks(org, name="restarts")["tasks"]] == [first["id"],
                                                                            second["id"]]


def test_the_task_list_limit_is_1_to_500(org):
    for limit in (0, 501):
        response = api_call(org, "GET", "/api/v2/tasks", params={"orgID": org.id,
                                                                 "limit": limit})
        assert response.status_code == 400
        assert "limit must be between 1 and 500" in response.json()["message"]


def test_tasks_page_by_id_with_after_and_a_next_link_on_full_pages(org):
    ids = [create_task(org)["id"] for _ in range(3)]
    first = list_tasks(org, limit=2)
    assert [t["id"] for t in first["tasks"]] == ids[:2]
    assert f"after={ids[1]}" in first["links"]["next"]
    rest = list_tasks(org, limit=2, after=ids[1])
    assert [t["id"] for t in rest["tasks"]] == ids[2:]
    assert "next" not in rest["links"]


def test_after_a_deleted_task_the_list_skips_the_task_that_follows_it(org):
    # influxd seeks to the cursor and steps past it, whether or not it is still there: a
    # client whose page ended on a task deleted since misses the next one.
    ids = sorted(create_task(org)["id"] for _ in range(3))
    api_call(org, "DELETE", f"/api/v2/tasks/{ids[0]}")
    assert [t["id"] for t in list_tasks(org, limit=100, after=ids[0])["tasks"]] == ids[2:]


def test_a_token_reading_some_tasks_gets_short_pages_while_more_exist(org):
    ids = sorted(create_task(org)["id"] for _ in range(4))
    token = scoped_token(org, ("read", "tasks", ids[1]), ("read", "tasks", ids[3]))
    first = list_tasks(org, token=token, limit=2)
    assert [t["id"] for t in first["tasks"]] == [ids[1]]
    rest = list_tasks(org, token=token, limit=2, after=ids[1])
    assert [t["id"] for t in rest["tasks"]] == [ids[3]]


def test_an_unknown_org_name_in_the_task_list_is_400(org):
    response = api_call(org, "GET", "/api/v2/tasks", params={"org": f"{org.name}-none"})
    assert response.status_code == 400


def test_patching_only_the_flux_stores_the_text_as_sent(org):
    task = create_task(org)
    flux = 'option task = {name: "renamed",   every: 1h}\n\n\nfrom(bucket: "other")  \n'
    patched = patch_task(org, task, flux=flux).json()
    assert (patched["flux"], patched["name"], patched["every"]) == (flux, "renamed", "1h")
    assert "offset" not in patched


def test_patching_name_or_every_rewrites_the_option_block_of_a_formatted_script(org):
    task = create_task(org)
    patched = patch_task(org, task, name="faster", every="1m").json()
    assert (patched["name"], patched["every"], patched["offset"]) == ("faster", "1m", "5s")
    assert patched["flux"] == SCRIPT.replace("restarts", "faster").replace("2m30s", "1m")


def test_patching_cron_replaces_every_and_a_zero_offset_removes_the_offset(org):
    task = create_task(org)
    patched = patch_task(org, task, cron="*/5 * * * *", offset="0s").json()
    assert patched["cron"] == "*/5 * * * *"
    assert "every" not in patched and "offset" not in patched
    assert 'option task = {name: "restarts", cron: "*/5 * * * *"}' in patched["flux"]


def test_a_patch_with_nothing_to_change_is_400(org):
    task = create_task(org)
    for body in ({}, {"description": "only a description"}):
        response = patch_task(org, task, **body)
        assert response.status_code == 400
        assert "cannot update task without content" in response.json()["message"]


def test_a_patch_with_bad_flux_is_400_and_changes_nothing(org):
    task = create_task(org)
    response = patch_task(org, task, flux='from(bucket: "x")')
    assert response.status_code == 400
    assert response.json()["message"] == (
        "failed to update task: invalid options: no task options defined")
    assert api_call(org, "GET", f"/api/v2/tasks/{task['id']}").json()["flux"] == SCRIPT


def test_status_and_description_change_with_a_patch(org):
    task = create_task(org)
    patched = patch_task(org, task, status="inactive", description="paused").json()
    assert (patched["status"], patched["description"]) == ("inactive", "paused")
    assert [t["id"] for t in list_tasks(org, status="inactive")["tasks"]] == [task["id"]]


def test_reading_a_missing_or_forbidden_task_is_always_404(org):
    task = create_task(org)
    response = api_call(org, "GET", "/api/v2/tasks/0123456789abcdef")
    assert response.status_code == 404
    assert response.json()["message"] == "failed to find task: task not found"
    outsider = scoped_token(org, ("read", "buckets", None))
    response = api_call(org, "GET", f"/api/v2/tasks/{task['id']}", token=outsider)
    assert response.status_code == 404


def test_a_deleted_task_is_gone(org):
    task = create_task(org)
    assert api_call(org, "DELETE", f"/api/v2/tasks/{task['id']}").status_code == 204
    response = api_call(org, "DELETE", f"/api/v2/tasks/{task['id']}")
    assert response.status_code == 404
    assert response.json()["message"] == "failed to delete task: task not found"
