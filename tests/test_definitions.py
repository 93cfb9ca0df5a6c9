"""The package's contract: names other tooling relies on, settings, and `dagster definitions validate`."""

import os
import subprocess
import sys
from datetime import datetime, timezone

import dagster as dg
import pytest

from dagster_and_etl import settings
from dagster_and_etl.definitions import defs
from dagster_and_etl.defs import jobs, schedules, sensors
from dagster_and_etl.defs.sensors import dynamic_sensor


def run_python(code: str, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",  # paths must not depend on the working directory
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
def test_dagster_definitions_validate_passes():
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "dagster_and_etl.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_contract_names_resolve():
    assert isinstance(defs, dg.Definitions)
    daily = defs.resolve_job_def("import_partition_job")
    assert daily.name == jobs.import_partition_job.name
    assert isinstance(daily.partitions_def, dg.DailyPartitionsDefinition)
    assert daily.partitions_def.start == datetime(2018, 1, 22, tzinfo=timezone.utc)
    dynamic = defs.resolve_job_def("import_dynamic_partition_job")
    assert isinstance(dynamic.partitions_def, dg.DynamicPartitionsDefinition)
    assert defs.resolve_schedule_def("asset_partitioned_schedule").name == schedules.asset_partitioned_schedule.name
    sensor = defs.resolve_sensor_def(dynamic_sensor.name)
    assert sensor.name == sensors.dynamic_sensor.name
    assert sensor.job_name == "import_dynamic_partition_job"


def test_every_job_runs_its_one_step_in_the_run_workers_process():
    # The in-process executor: no second Python process per run (see definitions.py). The
    # implicit asset job (the UI's Materialize) takes the definitions' executor too.
    for job in [*defs.resolve_all_job_defs(), defs.resolve_implicit_global_asset_job_def()]:
        assert job.executor_def.name == dg.in_process_executor.name, job.name
    for name in [
        jobs.import_partition_job.name,
        jobs.import_dynamic_partition_job.name,
        jobs.import_s3_partition_job.name,
    ]:
        assert len(defs.resolve_job_def(name).nodes) == 1, name


def test_default_data_root_is_the_repos_data_folder_whatever_the_working_directory():
    out = run_python(
        "from dagster_and_etl.definitions import defs; r = defs.resources; print(r['source'].path); print(r['database'].database)",
        **{settings.DATA_DIR_ENV: ""},
    )
    assert out.splitlines() == [
        str(settings.REPO_DIR / "data" / "source"),
        str(settings.REPO_DIR / "data" / "staging" / "data.duckdb"),
    ]


def test_data_root_env_var_moves_the_source_folder_and_the_database(tmp_path):
    out = run_python(
        "from dagster_and_etl.definitions import defs; r = defs.resources; print(r['source'].path); print(r['database'].database)",
        **{settings.DATA_DIR_ENV: str(tmp_path)},
    )
    assert out.splitlines() == [str(tmp_path / "source"), str(tmp_path / "staging" / "data.duckdb")]


def test_sensor_interval_env_var_sets_the_minimum_interval():
    out = run_python(
        "from dagster_and_etl.defs.sensors import dynamic_sensor; print(dynamic_sensor.minimum_interval_seconds)",
        **{settings.SENSOR_INTERVAL_ENV: "3"},
    )
    assert out == "3"
    assert sensors.dynamic_sensor.minimum_interval_seconds == settings.sensor_interval_seconds()


@pytest.mark.parametrize("value", ["0", "-2", "soon"])
def test_bad_tuning_values_are_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv(settings.MAX_RUNS_PER_TICK_ENV, value)
    with pytest.raises(ValueError, match=settings.MAX_RUNS_PER_TICK_ENV):
        settings.max_runs_per_tick()
