"""End to end with the real daemon: `dagster dev` ticks the sensor, launches the runs, rows land in
DuckDB; runs requested together, their steps taking the duckdb pool's one slot in turn (the shipped
dagster.yaml), all load their files. Once on SQLite storage (`dagster dev`'s default), once on
PostgreSQL (the shipped dagster_postgres.yaml, over a throwaway cluster on 127.0.0.1)."""

import shutil
import uuid

import pytest

from dagster_and_etl import settings, warehouse
from dagster_and_etl.csv_format import read_source_text
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.sample_data import day_csv, source_days
from dagster_and_etl.teaching.live.daemon_view import DaemonView, wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.live.postgres import STORAGES, PostgresCluster
from dagster_and_etl.teaching.live.processes import live_processes_in_group

pytestmark = pytest.mark.daemon

POOL_CONFIG = "{ instance { poolConfig { poolGranularity defaultPoolLimit opGranularityRunBuffer } } }"


@pytest.fixture(scope="module")
def postgres_cluster():
    with PostgresCluster() as cluster:  # stopped by PID and its folder removed, pass or fail
        yield cluster


@pytest.fixture(params=STORAGES)
def postgres_env(request, monkeypatch):
    """None on SQLite; on PostgreSQL, a new database's DAGSTER_PG_* variables, also set here so
    that this process reads the same instance (DaemonView)."""
    if request.param == "sqlite":
        return None
    cluster = request.getfixturevalue("postgres_cluster")
    variables = cluster.instance_env(cluster.create_database(f"e2e_{uuid.uuid4().hex[:12]}"))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


def test_daemon_launches_a_run_for_a_landed_file_and_its_rows_reach_duckdb(tmp_path, postgres_env):
    data_root = tmp_path / "data"
    settings.source_dir(data_root).mkdir(parents=True)
    database = settings.database_path(data_root)
    server = DagsterDevServer(
        data_root, settings.dagster_home(tmp_path), sensor_interval_seconds=1, postgres_env=postgres_env
    )
    days = source_days()[:3]
    try:
        server.start()
        pgid = server.process.pid
        # The instance runs with the shipped settings: the duckdb pool has one slot, claimed by the
        # writing step, and one more run may start up while it is taken.
        assert server.graphql(POOL_CONFIG)["instance"]["poolConfig"] == {
            "poolGranularity": "op",
            "defaultPoolLimit": 1,
            "opGranularityRunBuffer": 1,
        }
        server.start_sensor(dynamic_sensor.name)
        for day in days:  # one tick requests all three: they queue together
            (settings.source_dir(data_root) / f"{day.isoformat()}.csv").write_text(day_csv(day))

        expected = {day.isoformat(): 8 for day in days}
        counts = wait_until(
            lambda: (
                database.exists()
                and warehouse.row_counts(database, warehouse.DYNAMIC_TABLE) == expected
                and warehouse.row_counts(database, warehouse.DYNAMIC_TABLE)
            ),
            timeout_seconds=300,
            waiting_for="the daemon's runs to load the three files",
        )
        assert counts == expected
        daemon = DaemonView(server.dagster_home)
        try:
            wait_until(daemon.runs_are_finished, 60, "the runs to finish")
            records = daemon.instance.get_run_records()
            storage = type(daemon.instance.run_storage).__name__
        finally:
            daemon.close()
        assert len(records) == 3 and all(r.dagster_run.status.value == "SUCCESS" for r in records)
        # The runs were stored where the instance config said.
        assert storage == ("PostgresRunStorage" if postgres_env else "SqliteRunStorage"), storage
    finally:
        server.stop()
    assert live_processes_in_group(pgid) == [], "dagster dev left processes behind"


def test_a_backup_restored_with_cp_p_is_loaded_by_the_daemon(tmp_path):
    """A file, then a corrected version of it, then the first put back with `cp -p` (its old name,
    mtime and size): the daemon runs the restored landing under a run key of its own, and the
    table ends with the first version's rows."""
    data_root = tmp_path / "data"
    source = settings.source_dir(data_root)
    source.mkdir(parents=True)
    database = settings.database_path(data_root)
    day = source_days()[0]
    path, backup = source / f"{day.isoformat()}.csv", tmp_path / "backup.csv"
    original, corrected = day_csv(day), day_csv(day, "corrected")

    def prices() -> list[float] | None:
        if not database.exists() or not warehouse.table_exists(database, warehouse.DYNAMIC_TABLE):
            return None
        return sorted(warehouse.read_table(database, warehouse.DYNAMIC_TABLE).share_price)

    def expected(text: str) -> list[float]:
        return sorted(read_source_text(path.name, text, day).share_price)

    server = DagsterDevServer(data_root, settings.dagster_home(tmp_path), sensor_interval_seconds=1)
    try:
        server.start()
        pgid = server.process.pid
        server.start_sensor(dynamic_sensor.name)
        path.write_text(original)
        shutil.copy2(path, backup)
        wait_until(lambda: prices() == expected(original), 300, "the first version's rows")
        path.write_text(corrected)
        wait_until(lambda: prices() == expected(corrected), 300, "the corrected version's rows")
        shutil.copy2(backup, path)  # cp -p: the first version's content, mtime and size
        wait_until(lambda: prices() == expected(original), 300, "the restored version's rows")
        daemon = DaemonView(server.dagster_home)
        try:
            wait_until(daemon.runs_are_finished, 60, "the runs to finish")
            records = daemon.instance.get_run_records()
        finally:
            daemon.close()
        assert len(records) == 3 and all(r.dagster_run.status.value == "SUCCESS" for r in records)
    finally:
        server.stop()
    assert live_processes_in_group(pgid) == [], "dagster dev left processes behind"
