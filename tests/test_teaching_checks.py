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
