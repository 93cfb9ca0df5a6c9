"""End to end with the real daemon: `dagster dev` ticks the sensor, launches the run, rows land in DuckDB."""


import pytest

from dagster_and_etl import settings, warehouse
from dagster_and_etl.sample_data import FIRST_DAY, day_csv
from dagster_and_etl.teaching.daemon_view import wait_until
from dagster_and_etl.teaching.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.processes import live_processes_in_group

pytestmark = pytest.mark.daemon


def test_daemon_launches_a_run_for_a_landed_file_and_its_rows_reach_duckdb(tmp_path):
    data_root = tmp_path / "data"
    settings.source_dir(data_root).mkdir(parents=True)
    database = settings.database_path(data_root)
    server = DagsterDevServer(data_root, tmp_path / "dagster_home", sensor_interval_seconds=1)
    try:
        server.start()
        pgid = server.process.pid
        server.start_sensor("dynamic_sensor")
        (settings.source_dir(data_root) / "2018-01-22.csv").write_text(day_csv(FIRST_DAY))

        counts = wait_until(
            lambda: database.exists() and warehouse.row_counts(database, warehouse.DYNAMIC_TABLE),
            timeout_seconds=180,
            waiting_for="the daemon's run to load 2018-01-22.csv",
        )
        assert counts == {"2018-01-22": 8}
    finally:
        server.stop()
    assert live_processes_in_group(pgid) == [], "dagster dev left processes behind"
