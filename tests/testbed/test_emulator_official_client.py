"""InfluxData's own Python client (influxdb-client, generated from the contract) works against
the server: a client nobody here wrote is the test of faithfulness that cannot be argued with."""

from __future__ import annotations

import pytest
from influxdb_client import BucketRetentionRules, InfluxDBClient, Permission, PermissionResource
from influxdb_client.domain import (
    DBRPCreate,
    DBRPUpdate,
    OnboardingRequest,
    SecretKeys,
    TaskCreateRequest,
    TaskUpdateRequest,
)
from influxdb_client.rest import ApiException
from influxdb_client.service import DBRPsService, SecretsService, SetupService


@pytest.fixture
def client(org):
    with InfluxDBClient(url=org.url, token=org.token, org=org.name, timeout=30_000) as client:
        yield client


def test_onboarding_sets_up_user_org_bucket_and_operator_token(fresh_influxdb):
    with InfluxDBClient(url=fresh_influxdb.url, token="") as anonymous:
        setup = SetupService(anonymous.api_client)
        assert setup.get_setup().allowed is True
        done = setup.post_setup(onboarding_request=OnboardingRequest(
            username="admin", password="secret-password", org="observatory", bucket="first",
            retention_period_seconds=86400))
        assert setup.get_setup().allowed is False
    assert (done.user.name, done.org.name, done.bucket.name) == ("admin", "observatory", "first")
    assert done.bucket.retention_rules[0].every_seconds == 86400
    with InfluxDBClient(url=fresh_influxdb.url, token=done.auth.token) as operator:
        names = {b.name for b in operator.buckets_api().find_buckets(org="observatory").buckets}
    assert names == {"first", "_monitoring", "_tasks"}


def test_orgs_are_found_created_and_deleted(client, org):
    orgs = client.organizations_api()
    assert [o.id for o in orgs.find_organizations(org=org.name)] == [org.id]
    created = orgs.create_organization(name=f"{org.name}-second")
    assert orgs.find_organization(created.id).name == created.name
    orgs.delete_organization(created.id)
    with pytest.raises(ApiException) as missing:
        orgs.find_organization(created.id)
    assert missing.value.status == 404


def test_buckets_are_created_found_paged_updated_and_deleted(client, org):
    buckets = client.buckets_api()
    made = [buckets.create_bucket(bucket_name=f"app{n}", org=org.name,
                                  retention_rules=BucketRetentionRules(type="expire",
                                                                       every_seconds=3600 * n))
            for n in range(1, 6)]
    assert buckets.find_bucket_by_name("app3").id == made[2].id
    paged = [b.name for b in buckets.find_buckets_iter(org_id=org.id, limit=2)]
    assert paged == ["_monitoring", "_tasks", "app1", "app2", "app3", "app4", "app5"]
    made[0].description = "first app"
    made[0].retention_rules = [BucketRetentionRules(type="expire", every_seconds=7200)]
    updated = buckets.update_bucket(made[0])
    assert (updated.description, updated.retention_rules[0].every_seconds) == ("first app", 7200)
    buckets.delete_bucket(made[1])
    assert buckets.find_bucket_by_id(made[2].id).name == "app3"
    with pytest.raises(ApiException) as gone:
        buckets.find_bucket_by_id(made[1].id)
    assert gone.value.status == 404


def test_dbrp_mappings_are_created_listed_read_patched_and_deleted(client, org):
    bucket = client.buckets_api().create_bucket(bucket_name="mapped", org=org.name)
    dbrps = DBRPsService(client.api_client)
    created = dbrps.post_dbrp(DBRPCreate(org_id=org.id, bucket_id=bucket.id, database="mapped",
                                         retention_policy="1h", default=True))
    listed = dbrps.get_dbr_ps(org_id=org.id, db="mapped").content
    assert [(m.id, m.virtual) for m in listed] == [(created.id, False), (bucket.id, True)]
    assert dbrps.get_dbr_ps_id(created.id, org_id=org.id).content.retention_policy == "1h"
    patched = dbrps.patch_dbrpid(created.id, DBRPUpdate(retention_policy="2h"), org_id=org.id)
    assert patched.content.retention_policy == "2h"
    dbrps.delete_dbrpid(created.id, org_id=org.id)
    assert all(m.virtual for m in dbrps.get_dbr_ps(org_id=org.id, db="mapped").content)


def test_authorizations_are_created_listed_and_deleted(client, org):
    auths = client.authorizations_api()
    read = Permission(action="read", resource=PermissionResource(type="buckets", org_id=org.id))
    created = auths.create_authorization(org_id=org.id, permissions=[read])
    assert created.permissions[0].resource.org == org.name
    assert created.id in {a.id for a in auths.find_authorizations(org_id=org.id)}
    auths.delete_authorization(created)
    assert created.id not in {a.id for a in auths.find_authorizations(org_id=org.id)}


def test_tasks_are_created_found_updated_and_deleted(client, org):
    tasks = client.tasks_api()
    flux = 'option task = {name: "restarts", every: 5m}\n\nfrom(bucket: "app")\n'
    created = tasks.create_task(task_create_request=TaskCreateRequest(
        org_id=org.id, flux=flux, status="active", description="per app"))
    assert (created.name, created.every, created.flux) == ("restarts", "5m", flux)
    assert [t.id for t in tasks.find_tasks(org_id=org.id)] == [created.id]
    updated = tasks.update_task_request(created.id, TaskUpdateRequest(status="inactive",
                                                                      every="10m"))
    assert (updated.status, updated.every) == ("inactive", "10m")
    assert tasks.find_task_by_id(created.id).every == "10m"
    tasks.delete_task(created.id)
    assert list(tasks.find_tasks(org_id=org.id)) == []


def test_secrets_are_set_listed_and_deleted(client, org):
    secrets = SecretsService(client.api_client)
    secrets.patch_orgs_id_secrets(org.id, {"slack": "https://hooks.example/1", "other": "x"})
    assert sorted(secrets.get_orgs_id_secrets(org.id).secrets) == ["other", "slack"]
    secrets.post_orgs_id_secrets(org.id, SecretKeys(secrets=["other"]))
    secrets.delete_orgs_id_secrets_id(org.id, "slack")
    assert secrets.get_orgs_id_secrets(org.id).secrets == []
