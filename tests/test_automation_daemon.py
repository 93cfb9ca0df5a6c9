"""Declarative automation under the real daemon: `dagster dev` over the alternative definitions.

`file_event_sensor` (the sensor daemon) records a landed file as a materialization of `source_file`
and registers its partition; `automation_condition_sensor` (the asset daemon) evaluates `eager()`
and launches the run; the rows reach DuckDB, and the daemon's evaluation records say so.
"""

import dagster as dg
import pytest

from dagster_and_etl import settings, warehouse
from dagster_and_etl.dagster_private import AUTOMATION_CONDITION_TAG, PARTITION_NAME_TAG, InstanceRef
from dagster_and_etl.sample_data import FIRST_DAY, day_csv
from dagster_and_etl.teaching.display.automation import stored_evaluations
from dagster_and_etl.teaching.live.daemon_view import DaemonView, wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.live.processes import live_processes_in_group

pytestmark = pytest.mark.daemon

MODULE = "dagster_and_etl.definitions_automation"


def test_the_automation_sensor_materializes_a_landed_file_and_records_its_evaluation(tmp_path):
    data_root = tmp_path / "data"
    settings.source_dir(data_root).mkdir(parents=True)
    database = settings.database_path(data_root)
    home = settings.dagster_home(tmp_path)
    server = DagsterDevServer(data_root, home, sensor_interval_seconds=1, module=MODULE)
    try:
        server.start()
        pgid = server.process.pid
        server.start_sensor("automation_condition_sensor")
        # `eager()` is built on `since_last_handled()`: its first evaluation takes what it sees as
        # handled and requests nothing (docs/reliability.md). So the file lands, and its events
        # start, once the automation sensor has ticked; a file that landed before that first
        # evaluation would be taken as handled and never loaded.
        automation_sensor = DaemonView(home, sensor_name="automation_condition_sensor")
        try:
            wait_until(automation_sensor.finished_ticks, 120, "the automation sensor's first evaluation")
        finally:
            automation_sensor.close()
        server.start_sensor("file_event_sensor")
        (settings.source_dir(data_root) / "2018-01-22.csv").write_text(day_csv(FIRST_DAY))

        counts = wait_until(
            lambda: database.exists() and warehouse.row_counts(database, warehouse.DYNAMIC_TABLE),
            timeout_seconds=180,
            waiting_for="the automation condition sensor's run to load 2018-01-22.csv",
        )
        assert counts == {"2018-01-22": 8}

        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        try:
            evaluations = wait_until(
                lambda: [e for e in stored_evaluations(instance, "raw_dynamic_partition_data") if e["runs"]],
                timeout_seconds=60,
                waiting_for="an evaluation record with a run",
            )
            assert evaluations[0]["requested"] == ["2018-01-22"]
            runs = instance.get_runs(filters=dg.RunsFilter(tags={AUTOMATION_CONDITION_TAG: "true"}))
            assert [run.tags.get(PARTITION_NAME_TAG) for run in runs] == ["2018-01-22"]
            assert instance.get_dynamic_partitions("source_files") == ["2018-01-22"]
        finally:
            instance.dispose()
    finally:
        server.stop()
    assert live_processes_in_group(pgid) == [], "dagster dev left processes behind"
