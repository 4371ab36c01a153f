"""Where the emulator still answers differently from the real influxd 2.7.12.

Found by running every server test on both (`testbed/pytest_plugin.py`). The real server is
right: each entry is a bug of the emulator (or of the program on real semantics), to be fixed
there and the test's assertion moved to what influxd answers; never the other way round. The
tests listed here are expected to fail on influxd, strictly: when one starts passing, the run
fails until its entry is removed, so this list only shrinks.
"""

from __future__ import annotations

# test name (with its parameter id where only some cases differ) -> what influxd does instead
ON_INFLUXD: dict[str, str] = {
    "test_the_api_root_lists_the_routes_without_a_token":
        "GET /api/v2/ without a token is 401 on influxd",
    "test_a_malformed_request_is_400[change3-org id required]":
        "influxd checks the ID's length first: 'invalid json structure: id must have a length "
        "of 16 bytes'",
    "test_asking_for_a_permission_the_caller_does_not_hold_is_403":
        "influxd's message adds ': <permission> is unauthorized'",
    "test_an_inactive_token_is_refused_with_401_until_reactivated":
        "influxd lets an inactive token in (200) and fails its permission checks instead",
    "test_lowering_retention_below_the_shard_duration_is_a_500":
        "influxd answers 422",
    "test_without_an_org_buckets_are_listed_in_id_order_both_ways":
        "influxd's order of an org-less bucket list is not the emulator's",
    "test_unsetting_the_only_mapping_of_a_database_keeps_it_default":
        "influxd lets the only mapping of a database stop being the default",
    "test_mapping_permissions_are_bucket_permissions":
        "influxd answers 401 where the emulator creates the mapping",
    "test_the_list_filters_on_whether_a_mapping_is_the_default":
        "influxd's default filter returns fewer mappings",
    "test_creating_a_task_needs_write_on_tasks_in_the_org":
        "influxd answers 500 (unauthorized, wrapped as an internal error), not 401",
    'test_a_syntax_error_is_400_invalid_options_with_its_position[option task = {name: "a", '
    'every: 1h]':
        "influxd's message is 'invalid options: loc 1:15-1:36: expected RBRACE, got EOF'",
    'test_a_syntax_error_is_400_invalid_options_with_its_position[option task = {name: "a, '
    'every: 1h}]':
        "influxd's message is 'invalid options: loc ...', not 'error @...'",
    "test_patching_name_or_every_rewrites_the_option_block_and_reformats":
        "influxd rewrites `every` differently",
    "test_an_inactive_scoped_token_stops_task_updates":
        "influxd lets the inactive token in and answers the task PATCH with 500, not 401",
}
