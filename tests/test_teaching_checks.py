"""The lessons' final checks: they pass on equal behaviour and say what differs otherwise."""

from datetime import date, datetime, timezone

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_and_etl import warehouse
from dagster_and_etl.csv_format import read_source_text
from dagster_and_etl.file_scan import read_landed_file
from dagster_and_etl.sample_data import arrival_time, day_csv, stamp
from dagster_and_etl.teaching.sandbox.checks import assert_same, assert_same_partition_keys, assert_same_rows

NOW = datetime(2018, 1, 26, tzinfo=timezone.utc)


def test_assert_same_returns_the_value_or_shows_both_sides():
    assert assert_same("outcomes", {"a": True}, {"a": True}) == {"a": True}
    with pytest.raises(AssertionError, match=r"outcomes differ:\n  lesson:    \[1\]\n  reference: \[2\]"):
        assert_same("outcomes", [1], [2])


def test_partition_keys_compared_at_a_moment():
    lesson = dg.DailyPartitionsDefinition(start_date="2018-01-22")
    assert assert_same_partition_keys(lesson, dg.DailyPartitionsDefinition(start_date="2018-01-22"), NOW) == [
        "2018-01-22",
        "2018-01-23",
        "2018-01-24",
        "2018-01-25",
    ]
    with pytest.raises(AssertionError, match="partition keys differ"):
        assert_same_partition_keys(lesson, dg.DailyPartitionsDefinition(start_date="2018-01-23"), NOW)


def test_dynamic_partition_keys_come_from_the_instance():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("files", ["a", "b"])
        same = assert_same_partition_keys(
            dg.DynamicPartitionsDefinition(name="files"),
            dg.DynamicPartitionsDefinition(name="files"),
            dynamic_partitions_store=instance,
        )
        assert same == ["a", "b"]


def _load(database, day: date, text: str, tmp_path) -> None:
    source = tmp_path / f"{day.isoformat()}.csv"
    source.write_text(text)
    stamp(source, arrival_time(day))  # as lessons stamp their files: the same version on both sides
    with duckdb.connect(str(database)) as connection:
        raw, version = read_landed_file(source)
        rows = read_source_text(source, raw.decode(), day)
        warehouse.replace_partition(connection, warehouse.DAILY_TABLE, day.isoformat(), version, rows)


def test_rows_compared_table_by_table(tmp_path):
    day = date(2018, 1, 22)
    lesson, reference = tmp_path / "lesson.duckdb", tmp_path / "reference.duckdb"
    assert assert_same_rows(lesson, reference, warehouse.DAILY_TABLE) == 0  # nothing loaded on either side
    _load(lesson, day, day_csv(day), tmp_path)
    _load(reference, day, day_csv(day), tmp_path)
    assert assert_same_rows(lesson, reference, warehouse.DAILY_TABLE) == 8

    _load(reference, day, day_csv(day, "corrected"), tmp_path)
    with pytest.raises(AssertionError, match="rows of raw_partition_data differ: lesson has 8, reference has 8"):
        assert_same_rows(lesson, reference, warehouse.DAILY_TABLE)


def test_rows_missing_on_one_side_are_a_difference(tmp_path):
    day = date(2018, 1, 22)
    lesson, reference = tmp_path / "lesson.duckdb", tmp_path / "reference.duckdb"
    _load(lesson, day, day_csv(day), tmp_path)
    with pytest.raises(AssertionError, match="lesson has 8, reference has 0"):
        assert_same_rows(lesson, reference, warehouse.DAILY_TABLE)
    assert isinstance(warehouse.read_table(reference, warehouse.DAILY_TABLE), pd.DataFrame)


def _lesson_03_definitions(asset, deadline_cron: str, hour: int, minute: int, resources: dict) -> dg.Definitions:
    """Lesson 03's shape: the import job on a daily schedule, and a freshness check on `asset`."""
    from dagster_and_etl.defs.assets import raw_partition_data

    job = dg.define_asset_job("import_partition_job", selection=[raw_partition_data])
    schedule = dg.build_schedule_from_partitioned_job(job, name="ours", hour_of_day=hour, minute_of_hour=minute)
    with pytest.warns(Warning, match="superseded"):
        checks = dg.build_time_partition_freshness_checks(assets=[asset], deadline_cron=deadline_cron)
    return dg.Definitions(
        assets=[raw_partition_data], asset_checks=checks, jobs=[job], schedules=[schedule], resources=resources
    )


def test_alerts_match_reference_checks_days_asset_and_deadline(tmp_path):
    from dagster_and_etl.definitions import build_definitions
    from dagster_and_etl.defs.assets import raw_dynamic_partition_data, raw_partition_data
    from dagster_and_etl.teaching.sandbox.checks import assert_alerts_match_reference

    reference = build_definitions(tmp_path)
    resources = dict(reference.resources or {})
    days = [date(2018, 1, 22), date(2018, 1, 23), date(2018, 2, 2)]
    summary = assert_alerts_match_reference(
        _lesson_03_definitions(raw_partition_data, "0 6 * * *", 5, 15, resources), reference, "ours", days
    )
    assert summary == "same partitions on 3 days; freshness checked on raw_partition_data by 06:00"
    with pytest.raises(AssertionError, match="before the schedule's 05:15 tick"):
        assert_alerts_match_reference(
            _lesson_03_definitions(raw_partition_data, "0 5 * * *", 5, 15, resources), reference, "ours", days
        )
    with pytest.raises(AssertionError, match="not on an asset the job loads"):
        assert_alerts_match_reference(
            _lesson_03_definitions(raw_dynamic_partition_data, "0 6 * * *", 5, 15, resources), reference, "ours", days
        )


def test_week_of_mornings_plays_each_fate():
    from dagster_and_etl.defs.assets import raw_partition_data
    from dagster_and_etl.teaching.simulation import week_of_mornings as mornings

    with mornings.week_of_mornings("test") as week:
        days = sorted(week.fates)
        status = week.instance.get_status_by_partition(
            raw_partition_data.key, [d.isoformat() for d in days], raw_partition_data.partitions_def
        )
        for day, fate in week.fates.items():
            loaded = status[day.isoformat()] == dg.AssetPartitionStatus.MATERIALIZED
            failed = status[day.isoformat()] == dg.AssetPartitionStatus.FAILED
            assert loaded == (fate in (mornings.ON_TIME, mornings.LATE_RERUN)), (day, fate)
            assert failed == (fate in (mornings.LATE_NOT_RERUN, mornings.STILL_MISSING)), (day, fate)
            has_file = (week.source / f"{day}.csv").is_file()
            assert has_file == (fate not in (mornings.STILL_MISSING, mornings.PAUSED_MISSING)), (day, fate)
    assert sorted(week.fates.values()) == sorted(mornings.FATES)
