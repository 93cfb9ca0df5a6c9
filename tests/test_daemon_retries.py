"""Retries under the real daemon (`dagster dev`, started once for this module): DuckDB's write lock,
held by this test, is the transient failure; nothing is mocked.

- A run whose first attempt cannot get the lock is retried by the asset's RetryPolicy and loads
  the file, in the same run: the file's run key is not used up.
- A run whose retries run out fails; the operator's two ways out (docs/reliability.md) both load
  the file: re-execute the run (the UI's Re-execute button, through the same GraphQL mutation),
  or `touch` the file so the sensor requests it under a new run key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import dagster as dg
import duckdb
import pytest

from dagster_and_etl import settings, warehouse
from dagster_and_etl.dagster_private import PARTITION_NAME_TAG, RUN_KEY_TAG
from dagster_and_etl.file_scan import CSV_SUFFIX
from dagster_and_etl.sample_data import arrival_time, day_csv, source_days, stamp
from dagster_and_etl.teaching.live.daemon_view import DaemonView, wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer

pytestmark = pytest.mark.daemon

LOCK_TIMEOUT_SECONDS = 1  # each attempt gives up on the lock after a second
DAYS = source_days()
REEXECUTE = """
mutation Reexecute($parentRunId: String!) {
  launchPipelineReexecution(reexecutionParams: {parentRunId: $parentRunId, strategy: FROM_FAILURE}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("retry-root")
    settings.source_dir(root).mkdir(parents=True)
    with DagsterDevServer(
        root,
        tmp_path_factory.mktemp("dagster-home"),
        sensor_interval_seconds=1,
        lock_timeout_seconds=LOCK_TIMEOUT_SECONDS,
    ) as running:
        running.start_sensor()
        yield running


@pytest.fixture(scope="module")
def daemon(server):
    view = DaemonView(server.dagster_home)
    yield view
    view.close()


def hold_write_lock(server) -> duckdb.DuckDBPyConnection:
    """What a notebook holding the database open read-write does to every other writer."""
    database = settings.database_path(server.data_root)
    database.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(database))


def land(server, day) -> str:
    path = settings.source_dir(server.data_root) / f"{day.isoformat()}{CSV_SUFFIX}"
    path.write_text(day_csv(day), encoding="utf-8", newline="")
    stamp(path, arrival_time(day))
    return day.isoformat()


def events(daemon: DaemonView, run: dg.DagsterRun, event_type: dg.DagsterEventType) -> Sequence[dg.EventLogEntry]:
    return daemon.instance.all_logs(run.run_id, of_type=event_type)


def run_for(daemon: DaemonView, key: str) -> dg.DagsterRun | None:
    runs = [run for run in daemon.runs() if run.tags.get(PARTITION_NAME_TAG) == key]
    return runs[-1] if runs else None


def finished_run(daemon: DaemonView, run_id: str) -> dg.DagsterRun:
    run = wait_until(
        lambda: (
            (run := daemon.instance.get_run_by_id(run_id))
            and run.status in {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
            and run
        ),
        timeout_seconds=240,
        waiting_for=f"run {run_id} to finish",
    )
    assert isinstance(run, dg.DagsterRun)
    return run


def rows(server) -> dict[str, int]:
    return warehouse.row_counts(settings.database_path(server.data_root), warehouse.DYNAMIC_TABLE)


def test_a_run_that_cannot_get_the_lock_is_retried_and_loads_the_file(server, daemon):
    lock = hold_write_lock(server)
    try:
        key = land(server, DAYS[0])
        run = wait_until(lambda: run_for(daemon, key), 120, f"the sensor's run for {key}")
        wait_until(
            lambda: events(daemon, run, dg.DagsterEventType.STEP_UP_FOR_RETRY),
            180,
            f"the first attempt of {run.run_id} to fail on the lock (see {server.log_path})",
        )
    finally:
        lock.close()
    run = finished_run(daemon, run.run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS, daemon.run_failure(run)
    assert len(events(daemon, run, dg.DagsterEventType.STEP_SUCCESS)) == 1
    assert rows(server) == {key: 8}
    assert [r.run_id for r in daemon.runs() if r.tags.get(PARTITION_NAME_TAG) == key] == [run.run_id]


def test_when_retries_run_out_re_executing_the_run_or_touching_the_file_loads_it(server, daemon):
    lock = hold_write_lock(server)
    try:
        first, second = land(server, DAYS[1]), land(server, DAYS[2])
        failed = {}
        for key in (first, second):
            run = wait_until(lambda: run_for(daemon, key), 120, f"the sensor's run for {key}")
            failed[key] = finished_run(daemon, run.run_id)
    finally:
        lock.close()
    for key, run in failed.items():
        assert run.status == dg.DagsterRunStatus.FAILURE
        # Every retry was spent on the lock: one first attempt and three retries.
        assert len(events(daemon, run, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 3
        assert "Could not set lock" in daemon.run_failure(run)
    assert first not in rows(server) and second not in rows(server)

    # Way out 1: re-execute the failed run (the UI's Re-execute button, from failure).
    launched = server.graphql(REEXECUTE, {"parentRunId": failed[first].run_id})["launchPipelineReexecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    rerun = finished_run(daemon, launched["run"]["runId"])
    assert rerun.status == dg.DagsterRunStatus.SUCCESS, daemon.run_failure(rerun)
    assert rows(server)[first] == 8

    # Way out 2: touch the file; its new mtime is a new run key, which the sensor requests.
    path = settings.source_dir(server.data_root) / f"{second}{CSV_SUFFIX}"
    os.utime(path)
    new_run = wait_until(
        lambda: (run := run_for(daemon, second)) and run.run_id != failed[second].run_id and run,
        120,
        f"the sensor's run for the touched {path.name} (see {server.log_path})",
    )
    new_run = finished_run(daemon, new_run.run_id)
    assert new_run.status == dg.DagsterRunStatus.SUCCESS, daemon.run_failure(new_run)
    assert new_run.tags[RUN_KEY_TAG] != failed[second].tags[RUN_KEY_TAG]
    assert rows(server)[second] == 8
