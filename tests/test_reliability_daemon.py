"""Against the real `dagster dev` (webserver and daemon), started once for this module by
`DagsterDevServer` on each instance storage (SQLite files; PostgreSQL, the shipped
dagster_postgres.yaml over a throwaway cluster): it listens on 127.0.0.1 only, its daemon survives
the course sensor's cursor, and it skips a request whose run key already ran."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

import dagster as dg
import pytest
from listening import LOOPBACK, listening_addresses

from dagster_and_etl import settings as etl_settings
from dagster_and_etl import warehouse
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.file_scan import CSV_SUFFIX
from dagster_and_etl.sample_data import arrival_time, day_csv, source_days, stamp
from dagster_and_etl.teaching.live.daemon_view import DaemonView, wait_until
from dagster_and_etl.teaching.live.dagster_dev import HOST, DagsterDevServer
from dagster_and_etl.teaching.live.postgres import STORAGES, PostgresCluster
from dagster_and_etl.teaching.simulation.run_loop import RUN_KEY_TAG
from dagster_and_etl.watermark_cursor import FORMAT as CURSOR_FORMAT

pytestmark = pytest.mark.daemon

SENSOR = dynamic_sensor.name
COURSE_CURSOR = '{"2018-01-22.csv": 1516600000.0}'  # the course sensor's {filename: mtime} format
DAYS = source_days()[:3]


@pytest.fixture(scope="module")
def postgres_cluster():
    with PostgresCluster() as cluster:  # stopped by PID and its folder removed, pass or fail
        yield cluster


@pytest.fixture(scope="module", params=STORAGES)
def server(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("daemon-root")
    source = etl_settings.source_dir(root)
    source.mkdir(parents=True)
    for day in DAYS:
        path = source / f"{day.isoformat()}{CSV_SUFFIX}"
        path.write_text(day_csv(day), encoding="utf-8", newline="")
        stamp(path, arrival_time(day))
    with pytest.MonkeyPatch.context() as environment:
        postgres_env = None
        if request.param == "postgres":
            cluster = request.getfixturevalue("postgres_cluster")
            postgres_env = cluster.instance_env(cluster.create_database(f"daemon_{uuid.uuid4().hex[:12]}"))
            for name, value in postgres_env.items():  # this process reads the same instance
                environment.setenv(name, value)
        with DagsterDevServer(
            root, tmp_path_factory.mktemp("dagster-home"), sensor_interval_seconds=1, postgres_env=postgres_env
        ) as running:
            yield running


def test_dagster_dev_listens_on_loopback_only(server):
    addresses = listening_addresses(server.process.pid)
    assert (HOST, server.port) in addresses
    assert {ip for ip, _ in addresses} <= LOOPBACK, addresses


def test_the_daemon_reads_past_the_course_cursor_and_loses_no_file(server):
    server.sensor_command("cursor", SENSOR, "--set", COURSE_CURSOR)
    assert stored_cursor(server) == COURSE_CURSOR
    server.start_sensor(SENSOR)
    database = etl_settings.database_path(server.data_root)
    expected = {day.isoformat(): 8 for day in DAYS}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if database.exists() and warehouse.row_counts(database, warehouse.DYNAMIC_TABLE) == expected:
            break
        time.sleep(1)
    assert warehouse.row_counts(database, warehouse.DYNAMIC_TABLE) == expected, f"see {server.log_path}"

    with server_instance(server) as instance:
        run_keys = [run.tags[RUN_KEY_TAG] for run in instance.get_runs()]
    assert len(run_keys) == len(set(run_keys)) == len(DAYS), run_keys
    # The sensor said why it set the cursor aside, and the daemon stored one in the sensor's format.
    assert "Discarding a cursor this sensor cannot read" in server.log_path.read_text(errors="replace")
    assert CURSOR_FORMAT in stored_cursor(server)


def test_the_daemon_skips_a_request_whose_run_key_already_ran(server):
    """The sensor forgets what it loaded (its cursor deleted) and requests every file again, with
    the same run keys: the daemon's run-key check, a query of the instance's run storage, skips
    them all."""
    database = etl_settings.database_path(server.data_root)
    expected = {day.isoformat(): 8 for day in DAYS}
    server.start_sensor(SENSOR)  # already on after the test above; on, if this test runs alone
    wait_until(
        lambda: database.exists() and warehouse.row_counts(database, warehouse.DYNAMIC_TABLE) == expected,
        180,
        "the daemon's runs to load the three files",
    )
    daemon = DaemonView(server.dagster_home, SENSOR)
    try:
        wait_until(daemon.runs_are_finished, 60, "the runs to finish")
        runs_before = {run.run_id for run in daemon.runs()}
        # Stopped first, so that no tick in flight stores its cursor over the deletion.
        server.sensor_command("stop", SENSOR)
        server.sensor_command("cursor", SENSOR, "--delete")
        assert daemon.stored_cursor() is None
        last_tick = daemon.last_tick_id()
        server.start_sensor(SENSOR)
        outcome = wait_until(
            lambda: next((o for o in daemon.tick_outcomes(last_tick) if o.skipped_run_keys), None),
            60,
            "a tick that requests the loaded files again",
        )
        runs_after = {run.run_id for run in daemon.runs()}
    finally:
        daemon.close()
    assert len(outcome.skipped_run_keys) == len(DAYS), outcome
    assert [r for r in outcome.run_requests if r.partition_key] == [], "a run was launched for a key that ran"
    assert runs_after == runs_before
    assert warehouse.row_counts(database, warehouse.DYNAMIC_TABLE) == expected


@contextmanager
def server_instance(server: DagsterDevServer):
    """The server's own instance storage, read from this process."""
    instance = dg.DagsterInstance.local_temp(str(server.dagster_home))
    try:
        yield instance
    finally:
        instance.dispose()


def stored_cursor(server: DagsterDevServer) -> str | None:
    with server_instance(server) as instance:
        cursors = [s.instigator_data.cursor for s in instance.all_instigator_state() if s.name == SENSOR]
    return cursors[0] if cursors else None
