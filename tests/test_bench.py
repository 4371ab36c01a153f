"""The benchmark's request counts at 50 application buckets: what each phase costs, exactly.

One benchmark run (bench/phases.py) on a fresh org of each server, paired with an engine as the
program tests pair them: the engine stand-in on the emulator, the real CLI on the real influxd
(with the floor beside it). Then one test per phase. Each expected count is spelled out from the
plan (50 apps, `roundtable_internal_`, `_monitoring` and `_tasks`) and the paging (buckets 100 a
page, tasks 500, a listing ends at an empty page), and must also equal what bench/targets.py
derives from the program's own plan, which the report checks at every size. Times and memory are
reported by the benchmark, never asserted.

Then the steady state (bench/steady.py) on the real influxd at 3 apps of 3 pods, one cycle: the
runs of each task kind and the findings each writes and posts, counted.
"""

from __future__ import annotations

import pytest

from bench.phases import PHASES, benchmark, floor
from bench.report import (
    NOTES_MARKER,
    PLOT,
    count_targets,
    cpu_model,
    render,
    steady_title,
    write_report,
)
from bench.steady import steady_state
from bench.targets import Counts, expected_counts
from testbed.influx.server import InfluxServer, create_org, delete_org

APPS = 10  # enough for every count to show its rule; `make bench` runs 10, 100 and 1000
PROGRAM = 1 + 1 + 2  # the program's reads: the org, its secret keys, 2 bucket pages


@pytest.fixture(scope="module")
def run(influxdb: InfluxServer) -> dict:
    engine = "standin" if influxdb.is_emulator else "real"
    org = create_org(influxdb, prefix="bench")
    try:
        run = benchmark(influxdb, org.name, APPS, engine)
    finally:
        delete_org(org)
    if engine == "real":
        run["floor"] = floor(APPS)
    return run


def measured(run: dict, phase: str) -> Counts:
    return Counts(run["phases"][phase]["reads"], run["phases"][phase]["writes"])


def expected(run: dict, phase: str) -> Counts:
    return expected_counts(APPS, run["engine"])[phase]


def program_run(run: dict) -> int:
    """The real CLI's refresh and destroy run the program (`--run-program`); the stand-in's
    do not."""
    return PROGRAM if run["engine"] == "real" else 0


def test_preview_reads_the_org_its_secret_keys_and_the_bucket_pages_and_writes_nothing(run):
    # The org, its secret keys, and the buckets (APPS + 3): one page, then the empty page that
    # ends the listing.
    assert measured(run, "preview") == Counts(reads=PROGRAM, writes=0) == expected(run, "preview")


def test_first_up_writes_each_object_once_and_lists_each_kind_once(run):
    # The program: org + secret keys + 2 bucket pages. The providers' adoption checks: 2 bucket
    # pages, 1 DBRP listing, 1 authorization listing, 1 (empty) task page, 1 variable listing,
    # 1 (empty) dashboard listing; then the 2 dashboards each read once their views are set.
    reads = PROGRAM + 2 + 1 + 1 + 1 + 1 + 1 + 2
    # The listed buckets mapped (the apps' and the host bucket) + 2 owned buckets and their
    # mappings + the token + 3 tasks per app and the 4 org-wide tasks + 2 variables + 2
    # dashboards.
    objects = (APPS + 1) + 2 * 2 + 1 + (3 * APPS + 4) + 2 + 2
    views = 4 + 3  # influxd makes a new dashboard's views empty: each cell's is PATCHed
    assert measured(run, "up") == Counts(reads, objects + views) == expected(run, "up")
    assert run["phases"]["up"]["steps"] == {"create": objects}


def test_up_with_nothing_changed_reads_the_org_its_secret_keys_and_the_bucket_pages_only(run):
    assert measured(run, "noop_up") == Counts(reads=PROGRAM, writes=0) == expected(run, "noop_up")
    assert set(run["phases"]["noop_up"]["steps"]) == {"same"}


def test_adding_a_bucket_writes_its_mapping_and_three_tasks_only(run):
    # The program: org + secret keys + 2 bucket pages; adoption checks: 1 DBRP listing, 2 task
    # pages (one, then the empty page that ends the listing).
    reads = PROGRAM + 1 + 2
    assert measured(run, "add_one") == Counts(reads, writes=1 + 3) == expected(run, "add_one")


def test_refresh_lists_each_kind_once_instead_of_reading_each_resource(run):
    # 2 bucket pages, 1 DBRP listing, 1 authorization listing, 2 task pages, 1 variable
    # listing; the 2 dashboards are read each (their listing has no views).
    reads = program_run(run) + 2 + 1 + 1 + 2 + 1 + 2
    assert measured(run, "refresh") == Counts(reads, writes=0) == expected(run, "refresh")
    assert set(run["phases"]["refresh"]["steps"]) == {"refresh-same"}


def test_destroy_deletes_what_was_created_except_the_retained_buckets(run):
    # The mappings (the apps', one more, the host bucket's and the 2 owned buckets') + the token
    # + the tasks + 2 variables + 2 dashboards; multiapp_ and alerted_ stay
    # (retainBucketsOnDelete).
    writes = (APPS + 4) + 1 + (3 * (APPS + 1) + 4) + 2 + 2
    assert measured(run, "destroy") == Counts(program_run(run), writes) == expected(run, "destroy")


def test_every_phase_reports_its_seconds_and_peak_memory(run):
    for phase in PHASES:
        assert run["phases"][phase]["seconds"] > 0
        assert run["phases"][phase]["peak_rss_mb"] > 0


def test_the_floor_declares_as_many_resources_as_the_program_in_every_phase(run, influxd):
    # The floor runs beside the real CLI, which the test bed pairs with the real influxd.
    for phase in PHASES:
        assert run["floor"]["phases"][phase]["steps"] == run["phases"][phase]["steps"], phase
        assert run["floor"]["phases"][phase]["seconds"] > 0


def test_report_checks_the_targets_and_keeps_the_hand_written_notes(run, tmp_path):
    report = tmp_path / "RESULTS.md"
    report.write_text(render([run], "") + "Why up costs what it does.\n")
    write_report(report, [run])
    text = report.read_text()
    counts = "\n".join(count_targets([run]))
    assert cpu_model() in text and counts in text
    assert counts.count("| met |") == len(PHASES) and "**missed**" not in counts
    assert ("## The real CLI against the floor" in text) == ("floor" in run)
    assert text.endswith(f"{NOTES_MARKER}\nWhy up costs what it does.\n")


# The steady state: every task run once per cycle over data for a few pods per app.
STEADY_APPS, STEADY_PODS, CYCLES = 3, 3, 1


@pytest.fixture(scope="module")
def steady(influxdb: InfluxServer) -> dict:
    """Its tests ask for `influxd` too: the emulator runs no Flux, so they run on influxd only."""
    org = create_org(influxdb, prefix="bench")
    try:
        return steady_state(influxdb, org, STEADY_APPS, STEADY_PODS, CYCLES)
    finally:
        delete_org(org)


def test_the_steady_state_runs_every_task_of_every_kind_once_per_cycle(steady, influxd):
    runs = {name: kind["runs"] for name, kind in steady["kinds"].items()}
    assert runs == {"restarts": STEADY_APPS, "state_checks": STEADY_APPS,
                    "cpu_checks": STEADY_APPS, "notify restarts": 1, "notify state_checks": 1,
                    "notify cpu_checks": 1, "notify disk_checks": 1}


def test_the_steady_state_finds_each_apps_troubled_containers_and_posts_each_finding_once(
        steady, influxd):
    kinds = steady["kinds"]
    # One container of each app restarts every 5 minutes: once or twice in a 10-minute look-back.
    restarts = kinds["restarts"]["multiapp_points"]
    assert STEADY_APPS <= restarts <= 2 * STEADY_APPS
    # One waits in CrashLoopBackOff, one runs at 95% of its CPU limit; the state check also
    # writes that it read the app's cluster (postResolved: the evidence a resolved notice needs).
    assert kinds["state_checks"]["multiapp_points"] == 2 * STEADY_APPS
    # The hot container stays over its limit, so its check writes no evidence of it cleared.
    assert kinds["cpu_checks"]["multiapp_points"] == STEADY_APPS
    posted = {name: kind["alerted_points"] for name, kind in kinds.items()}
    assert posted == {"restarts": 0, "state_checks": 0, "cpu_checks": 0,
                      "notify restarts": restarts, "notify state_checks": STEADY_APPS,
                      "notify cpu_checks": STEADY_APPS, "notify disk_checks": 0}


def test_the_steady_state_report_gives_each_kinds_cost_and_plots_it(steady, influxd,
                                                                     tmp_path):
    report = tmp_path / "RESULTS.md"
    write_report(report, [steady])
    text = report.read_text()
    assert f"### {steady_title(steady)}" in text
    for name in steady["kinds"]:
        assert f"| {name} |" in text
    assert (tmp_path / PLOT).read_bytes().startswith(b"\x89PNG")
