"""No run deletes data by shortening a bucket's retention: not by a setting, not by a refresh
that puts back a retention an operator raised by hand, unless allowRetentionCut allows it for a
bucket the stack made; never for one it adopted. Under the real CLI against the real influxd,
which checks retention every second here (`testbed/influx/influxd.py`): the points a cut would
delete are written first and counted after.
"""

from __future__ import annotations

from testbed.engine.result import succeeded
from testbed.influx.holdings import await_retention_check, find_bucket, point_count
from testbed.influx.points import Point, write
from testbed.influx.seed import add_bucket
from testbed.influx.server import InfluxOrg

DAY = 86400
DECLARED = "rubin-influx-tools:appBuckets"
RETENTION = "rubin-influx-tools:appBucketRetention"
ALLOW_CUT = "rubin-influx-tools:allowRetentionCut"
CHANGES = {"create", "update", "delete", "replace"}


def write_old_and_new(org: InfluxOrg, bucket: str) -> int:
    """A point of ten days ago (kept by 4w2d, cut by 1w) and one of now; the points held."""
    write(org, bucket, [Point("sample", {"app": bucket}, {"value": 1}, seconds_ago)
                        for seconds_ago in (10 * DAY, 0)])
    return point_count(org, bucket)


def retention(org: InfluxOrg, bucket: str) -> int:
    return find_bucket(org, bucket)["retentionRules"][0]["everySeconds"]


def test_no_setting_shortens_a_bucket_the_stack_adopted(cli, monitored_org, influxd):
    add_bucket(monitored_org, "sasquatch", 30 * DAY)
    held = write_old_and_new(monitored_org, "sasquatch")
    cli.config[DECLARED] = ["sasquatch"]
    cli.config[RETENTION] = "4w2d"
    succeeded(cli.up())  # adopted as it is
    cli.config[RETENTION] = "1w"
    cli.config[ALLOW_CUT] = True  # allows cutting what the stack made, not what it adopted

    refused = cli.up()
    await_retention_check(monitored_org)

    assert refused.error is not None
    assert ("appBuckets lists 'sasquatch', a bucket this stack did not make, that keeps its "
            "data for 4w2d: appBucketRetention=1w would cut that") in refused.error
    assert "`pulumi config set appBucketRetention 4w2d`" in refused.error
    assert not set(refused.ops()) & CHANGES
    assert retention(monitored_org, "sasquatch") == 30 * DAY
    assert point_count(monitored_org, "sasquatch") == held


def test_lowering_the_retention_of_a_bucket_the_stack_made_needs_allow_retention_cut(
        cli, monitored_org, influxd):
    cli.config[DECLARED] = ["sasquatch"]
    cli.config[RETENTION] = "4w2d"
    succeeded(cli.up())  # the stack makes the bucket
    held = write_old_and_new(monitored_org, "sasquatch")
    cli.config[RETENTION] = "1w"

    refused = cli.up()
    await_retention_check(monitored_org)

    assert refused.error is not None
    assert ("bucket 'sasquatch' keeps its data for 4w2d now, and this run would cut its "
            "retention to 1w (appBucketRetention)") in refused.error
    assert "`pulumi config set allowRetentionCut true`" in refused.error
    assert not set(refused.ops()) & CHANGES
    assert point_count(monitored_org, "sasquatch") == held

    cli.config[ALLOW_CUT] = True
    succeeded(cli.up())
    await_retention_check(monitored_org)

    assert retention(monitored_org, "sasquatch") == 7 * DAY
    assert point_count(monitored_org, "sasquatch") == held // 2  # the old sample is gone


def test_up_refresh_does_not_put_back_a_shorter_retention_over_one_raised_by_hand(
        cli, monitored_org, influxd):
    cli.config[DECLARED] = ["sasquatch"]
    succeeded(cli.up())  # the stack makes the bucket, keeping 1w
    made = find_bucket(monitored_org, "sasquatch")
    # An operator keeps an incident's data longer, by hand.
    monitored_org.server.api("PATCH", f"/api/v2/buckets/{made['id']}", json={
        "retentionRules": [{"type": "expire", "everySeconds": 30 * DAY}]}).raise_for_status()
    held = write_old_and_new(monitored_org, "sasquatch")

    refused = cli.up_refreshing()  # the deploy workflow's command
    await_retention_check(monitored_org)

    assert refused.error is not None
    assert ("bucket 'sasquatch' keeps its data for 4w2d now, and this run would cut its "
            "retention to 1w") in refused.error
    assert not set(refused.ops()) & CHANGES
    assert retention(monitored_org, "sasquatch") == 30 * DAY
    assert point_count(monitored_org, "sasquatch") == held
