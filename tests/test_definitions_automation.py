"""The alternative definitions (`dagster_and_etl.definitions_automation`), evaluated directly."""

from datetime import datetime, timezone

import dagster as dg
import pytest

from dagster_and_etl import automation, warehouse
from dagster_and_etl.definitions_automation import build_definitions
from dagster_and_etl.teaching.display.automation import requested
from dagster_and_etl.teaching.kernel.quiet import QUIET_RUN_CONFIG
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
from dagster_and_etl.teaching.simulation.ticks import sensor_context


def utc(*args) -> datetime:
    return datetime(*args).replace(tzinfo=timezone.utc)


@pytest.fixture
def workspace():
    with LessonWorkspace("test-automation", with_source_files=False) as ws:
        yield ws


def tick(ws, defs, state, moment):
    """What the daemon does on one tick of each sensor: record the file events, register the
    partitions, evaluate the conditions, run what they request."""
    data = defs.resolve_sensor_def("file_event_sensor").evaluate_tick(
        sensor_context(defs, ws.instance, state.get("sensor"))
    )
    assert not data.run_requests
    state["sensor"] = data.cursor
    for event in data.asset_events:
        ws.instance.report_runless_asset_event(event)
    for request in data.dynamic_partitions_requests:
        new = [
            k for k in request.partition_keys if not ws.instance.has_dynamic_partition(request.partitions_def_name, k)
        ]
        ws.instance.add_dynamic_partitions(request.partitions_def_name, new)
    result = dg.evaluate_automation_conditions(
        defs=defs, instance=ws.instance, evaluation_time=moment, cursor=state.get("conditions")
    )
    state["conditions"] = result.cursor
    ran = {}
    for asset in (automation.raw_partition_data, automation.raw_dynamic_partition_data):
        for key in requested(result, asset):
            ran[(asset.key.to_user_string(), key)] = dg.materialize(
                [asset],
                partition_key=key,
                resources=ws.resources,
                instance=ws.instance,
                run_config=QUIET_RUN_CONFIG,
                raise_on_error=False,
            ).success
    return ran


def test_the_sensors_start_stopped_and_the_sensor_requests_no_runs(workspace):
    defs = build_definitions(workspace.root)
    for name in ("file_event_sensor", "automation_condition_sensor"):
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.STOPPED
    assert isinstance(defs.resolve_sensor_def("automation_condition_sensor"), dg.AutomationConditionSensorDefinition)


@pytest.mark.slow
def test_a_late_file_an_on_time_file_and_a_replaced_file_each_run_once(workspace):
    defs = build_definitions(workspace.root)
    state = {}
    assert tick(workspace, defs, state, utc(2018, 2, 2, 4)) == {}  # the baseline
    assert tick(workspace, defs, state, utc(2018, 2, 2, 6)) == {}  # no file: nothing requested, nothing failed
    workspace.drop("late", mtime=utc(2018, 2, 2, 8))
    assert tick(workspace, defs, state, utc(2018, 2, 2, 8)) == {
        ("raw_partition_data", "2018-02-01"): True,
        ("raw_dynamic_partition_data", "2018-02-01"): True,
    }
    assert tick(workspace, defs, state, utc(2018, 2, 2, 9)) == {}
    workspace.drop("on_time", mtime=utc(2018, 2, 3, 5))
    assert tick(workspace, defs, state, utc(2018, 2, 3, 5)) == {
        ("raw_partition_data", "2018-02-02"): True,
        ("raw_dynamic_partition_data", "2018-02-02"): True,
    }
    assert tick(workspace, defs, state, utc(2018, 2, 3, 6)) == {}
    workspace.drop("bad_price", mtime=utc(2018, 2, 3, 7))  # replaced by a bad version: requested, fails
    assert tick(workspace, defs, state, utc(2018, 2, 3, 7)) == {
        ("raw_partition_data", "2018-02-02"): False,
        ("raw_dynamic_partition_data", "2018-02-02"): False,
    }
    assert workspace.row_counts(warehouse.DAILY_TABLE) == {"2018-02-01": 8, "2018-02-02": 8}
