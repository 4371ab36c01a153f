"""The pure decision: which resources for which buckets (program/plan.py)."""

import pytest

from flux import TaskSettings
from program.plan import (
    ListingLooksPartial,
    PlanError,
    plan_org,
    retention_policy_name,
)
from providers.bucket import bucket_settings


def bucket(name: str, seconds: int = 0, id_: str | None = None) -> dict:
    return {"id": id_ or f"{abs(hash(name)) % 16**16:016x}", "name": name,
            "type": "system" if name.startswith("_") else "user",
            "retentionRules": [{"type": "expire", "everySeconds": seconds}]}


ORG = [bucket("_monitoring", 604800), bucket("_tasks", 259200), bucket("multiapp_", 3600),
       bucket("roundtable_internal_", 2592000), bucket("nublado"), bucket("gafaelfawr", 100000)]


@pytest.mark.parametrize(("seconds", "name"), [
    (0, "infinite"), (1, "1s"), (100, "1m40s"), (3600, "1h"), (10000, "2h46m40s"),
    (100000, "1d3h46m40s"), (604800, "1w"), (1000000, "1w4d13h46m40s"), (2592000, "4w2d"),
    (10000000, "16w3d17h46m40s"),
])
def test_retention_policy_names_match_the_old_bucketmapper(seconds, name):
    assert retention_policy_name(seconds) == name


def test_apps_are_buckets_neither_starting_nor_ending_with_underscore():
    plan = plan_org(ORG, TaskSettings())
    assert plan.apps == ["gafaelfawr", "nublado"]
    assert sorted(plan.app_tasks) == ["gafaelfawr", "nublado"]


def test_every_user_bucket_gets_a_mapping_and_owned_buckets_are_mapped_from_their_resource():
    plan = plan_org(ORG, TaskSettings())
    mapped = [m.bucket_name for m in plan.mappings]
    assert mapped == ["gafaelfawr", "nublado", "roundtable_internal_"]
    assert [b.name for b in plan.owned_buckets] == ["multiapp_", "alerted_"]
    assert {m.bucket_name: m.retention_policy for m in plan.mappings}["gafaelfawr"] == "1d3h46m40s"


def test_system_buckets_are_mapped_only_when_asked():
    plan = plan_org(ORG, TaskSettings(), map_system_buckets=True)
    assert {"_monitoring", "_tasks"} <= {m.bucket_name for m in plan.mappings}


def test_ignored_buckets_are_mapped_but_not_apps():
    plan = plan_org(ORG, TaskSettings(), ignore_buckets=["nublado"])
    assert plan.apps == ["gafaelfawr"]
    assert "nublado" in {m.bucket_name for m in plan.mappings}


def test_a_bucket_named_like_db_slash_rp_gets_no_stored_mapping():
    plan = plan_org([*ORG, bucket("telegraf/autogen")], TaskSettings())
    assert plan.unmappable == ["telegraf/autogen"]
    assert "telegraf/autogen" not in {m.bucket_name for m in plan.mappings}


def test_a_listing_without_the_system_buckets_is_refused_naming_the_permission_it_takes():
    with pytest.raises(ListingLooksPartial, match="_monitoring, _tasks") as refused:
        plan_org([bucket("nublado")], TaskSettings())
    assert "read on the org itself" in str(refused.value)


def test_a_listing_naming_a_bucket_twice_is_refused():
    with pytest.raises(ListingLooksPartial, match="more than once"):
        plan_org([*ORG, bucket("nublado")], TaskSettings())


def test_buckets_whose_task_names_collide_are_refused_with_both_names():
    with pytest.raises(PlanError, match="'Nublado' and 'nublado'"):
        plan_org([*ORG, bucket("Nublado")], TaskSettings())


def test_the_disk_check_is_declared_only_when_its_bucket_exists():
    with_disk = {t.name for t in plan_org(ORG, TaskSettings()).global_tasks}
    without = [b for b in ORG if b["name"] != "roundtable_internal_"]
    without_disk = {t.name for t in plan_org(without, TaskSettings()).global_tasks}
    assert with_disk - without_disk == {"_slack_notify_disk_checks"}


def test_a_declared_app_is_planned_before_its_bucket_exists_and_mapped_from_its_own_bucket():
    plan = plan_org(ORG, TaskSettings(), app_buckets=["sasquatch", "nublado"],
                    app_bucket_retention_seconds=86400)

    assert plan.apps == ["gafaelfawr", "nublado", "sasquatch"]
    assert "sasquatch" in plan.app_tasks
    declared = {spec.name: spec for spec in plan.owned_buckets if spec.holds_app_data}
    assert declared["sasquatch"].listed_id is None  # made by this run
    assert declared["nublado"].listed_id == bucket("nublado")["id"]  # adopted
    assert {spec.retention_policy for spec in declared.values()} == {"1d"}
    assert not {"sasquatch", "nublado"} & {m.bucket_name for m in plan.mappings}


def test_the_program_and_the_bucket_provider_read_one_retention_from_rules_of_several_types():
    # influxd enforces the first `expire` rule; a rule of another type comes first here.
    odd = {**bucket("sasquatch"), "orgID": "0" * 16, "retentionRules": [
        {"type": "shardGroup", "everySeconds": 86400},
        {"type": "expire", "everySeconds": 7 * 86400}]}

    [mapping] = [m for m in plan_org([*ORG, odd], TaskSettings()).mappings
                 if m.bucket_name == "sasquatch"]

    assert mapping.retention_policy == "1w"
    assert bucket_settings(odd)["retention_seconds"] == 7 * 86400
