"""A bucket renamed by hand keeps its ID and its data: its monitoring moves to the new name (the
tasks are made again under it, the mapping's database becomes the new name), an alert already
posted is not posted again, and the safety stop tells a rename from a loss.
"""

from __future__ import annotations

from flux.settings import TaskSettings
from testbed.alerts import watch_deployed
from testbed.engine.result import succeeded
from testbed.influx.holdings import find_bucket, stored_mappings, tasks
from testbed.influx.seed import APPS, add_bucket, set_secret
from testbed.influx.server import InfluxOrg
from testbed.kubernetes.pods import Container, Pod
from testbed.slack import FakeSlack


def rename_bucket(org: InfluxOrg, name: str, new_name: str) -> str:
    """Rename the bucket as an operator would (UI or `influx bucket update`); its ID."""
    bucket = find_bucket(org, name)
    org.server.api("PATCH", f"/api/v2/buckets/{bucket['id']}",
                   json={"name": new_name}).raise_for_status()
    return bucket["id"]


def test_an_alert_posted_before_its_bucket_is_renamed_is_not_posted_again(
        cli, monitored_org, influxd, telegraf):
    slack = FakeSlack()
    try:
        set_secret(monitored_org, "slack_webhook_url", slack.url)
        succeeded(cli.up())
        settings = TaskSettings(org=monitored_org.name)
        monitoring = watch_deployed(monitored_org, slack, settings, list(APPS), telegraf)
        monitoring.observe(Pod("mobu", "mobu-7d9f-x2", (Container("mobu"),)), app="mobu")
        monitoring.observe(Pod("mobu", "mobu-7d9f-x2", (Container(
            "mobu", state="waiting", reason="CrashLoopBackOff", restarts=1),)), app="mobu")
        posted = monitoring.check()
        bucket_id = rename_bucket(monitored_org, "mobu", "mobu-ci")

        succeeded(cli.up())
        again = watch_deployed(monitored_org, slack, settings, list(APPS), telegraf).check()
    finally:
        slack.stop()

    assert sorted(post.text.split(":")[0] for post in posted) == [
        "Container not running", "Container restarted"]
    assert again == []
    names = {task["name"] for task in tasks(monitored_org)}
    assert "Mobu-ci restarts" in names and "Mobu restarts" not in names
    mappings = {m["database"]: m["bucketID"] for m in stored_mappings(monitored_org)}
    assert mappings.get("mobu-ci") == bucket_id and "mobu" not in mappings


def test_the_safety_stop_tells_buckets_renamed_by_hand_from_buckets_gone(engine, monitored_org):
    add_bucket(monitored_org, "sasquatch")
    succeeded(engine.up())
    rename_bucket(monitored_org, "gafaelfawr", "gafaelfawr-2")
    rename_bucket(monitored_org, "mobu", "mobu-2")
    nublado = find_bucket(monitored_org, "nublado")
    monitored_org.server.api("DELETE", f"/api/v2/buckets/{nublado['id']}")

    result = engine.up()

    assert result.error is not None
    assert ("2 buckets renamed by hand (gafaelfawr -> gafaelfawr-2, mobu -> mobu-2), whose "
            "monitoring moves to the new names") in result.error
    assert "1 buckets gone (nublado), whose monitoring ends" in result.error
    assert "allowMassDeletion" in result.error
    assert not set(result.ops()) & {"create", "update", "delete", "replace"}
