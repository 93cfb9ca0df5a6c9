"""Against the real `dagster dev` (webserver and daemon), started once for this module by
`DagsterDevServer`: it listens on 127.0.0.1 only, and its daemon survives the course sensor's cursor."""

from __future__ import annotations

import time
from contextlib import contextmanager

import dagster as dg
import pytest
from listening import LOOPBACK, listening_addresses

from dagster_and_etl import settings as etl_settings
from dagster_and_etl import warehouse
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.file_scan import CSV_SUFFIX
from dagster_and_etl.sample_data import arrival_time, day_csv, source_days, stamp
from dagster_and_etl.teaching.live.dagster_dev import HOST, DagsterDevServer
from dagster_and_etl.teaching.simulation.run_loop import RUN_KEY_TAG
from dagster_and_etl.watermark_cursor import FORMAT as CURSOR_FORMAT

pytestmark = pytest.mark.daemon

SENSOR = dynamic_sensor.name
COURSE_CURSOR = '{"2018-01-22.csv": 1516600000.0}'  # the course sensor's {filename: mtime} format
DAYS = source_days()[:3]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("daemon-root")
    source = etl_settings.source_dir(root)
    source.mkdir(parents=True)
    for day in DAYS:
        path = source / f"{day.isoformat()}{CSV_SUFFIX}"
        path.write_text(day_csv(day), encoding="utf-8", newline="")
        stamp(path, arrival_time(day))
    with DagsterDevServer(root, tmp_path_factory.mktemp("dagster-home"), sensor_interval_seconds=1) as running:
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
