"""The last cells of lessons 01 and 02: `check_lesson_01` and `check_lesson_02` pass on the package's
own definitions and fail, naming what differs, on definitions that behave otherwise."""

from datetime import date

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from dagster_and_etl import warehouse
from dagster_and_etl.defs import assets, partitions
from dagster_and_etl.defs.assets import file_check, load_partition_file, with_check_on_failure
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.teaching.sandbox.checks import check_lesson_01, check_lesson_02

pytestmark = pytest.mark.slow  # each check runs a dozen runs in-process


def daily_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The lesson's daily asset over other partitions: the package's load, its blocking check."""

    @dg.asset(
        name=warehouse.DAILY_TABLE, partitions_def=partitions_def, check_specs=[file_check(warehouse.DAILY_TABLE)]
    )
    def raw_partition_data(context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource):
        key = context.partition_key
        yield from with_check_on_failure(
            lambda: load_partition_file(key, warehouse.DAILY_TABLE, date.fromisoformat(key), source, database)
        )

    return raw_partition_data


def test_lesson_01_check_passes_on_the_package_definitions(workspace, capsys):
    check_lesson_01(
        workspace, partitions.daily_partitions, assets.raw_partition_data, assets.raw_dynamic_partition_data
    )
    assert "same partition keys; same runs:" in capsys.readouterr().out


def test_lesson_01_check_fails_on_other_partitions(workspace):
    other = dg.DailyPartitionsDefinition(start_date="2018-01-21")
    with pytest.raises(AssertionError, match="partition keys differ"):
        check_lesson_01(workspace, other, daily_asset(other), assets.raw_dynamic_partition_data)


def test_lesson_01_check_fails_on_an_asset_without_its_check(workspace):
    @dg.asset(name=warehouse.DAILY_TABLE, partitions_def=partitions.daily_partitions)
    def unchecked(context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource):
        path = source.landed_file(context.partition_key)
        with database.get_connection() as connection:
            connection.execute(f"CREATE TABLE IF NOT EXISTS {warehouse.DAILY_TABLE} (x INTEGER)")
        return dg.MaterializeResult(metadata={"file": path.name})

    with pytest.raises(AssertionError, match="runs and check results differ"):
        check_lesson_01(workspace, partitions.daily_partitions, unchecked, assets.raw_dynamic_partition_data)


def schedule_defs(workspace, partitions_def: dg.PartitionsDefinition, hour: int, minute: int) -> dg.Definitions:
    asset = daily_asset(partitions_def)
    job = dg.define_asset_job("import_partition_job", selection=[asset])
    schedule = dg.build_schedule_from_partitioned_job(
        job, name="morning_schedule", hour_of_day=hour, minute_of_hour=minute
    )
    return dg.Definitions(assets=[asset], jobs=[job], schedules=[schedule], resources=workspace.resources)


def test_lesson_02_check_passes_on_a_schedule_at_any_time_of_day(workspace, capsys):
    check_lesson_02(
        workspace,
        schedule_defs(workspace, partitions.daily_partitions, 5, 15),
        "morning_schedule",
        "import_partition_job",
    )
    out = capsys.readouterr().out
    assert "same runs at 05:15" in out and "'05:45': 'failure'" in out


def test_lesson_02_check_fails_on_a_schedule_over_other_partitions(workspace):
    other = dg.DailyPartitionsDefinition(start_date="2018-01-21")
    with pytest.raises(AssertionError, match="requested partitions differ"):
        check_lesson_02(workspace, schedule_defs(workspace, other, 5, 15), "morning_schedule", "import_partition_job")
