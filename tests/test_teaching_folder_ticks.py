"""Lesson 04's harness: a folder sensor played tick by tick, its table, the exercise's self-check,
the three mornings against the 05:15 schedule, and the check against the reference sensor."""

import hashlib
import json
import re
from datetime import datetime, timezone

import dagster as dg
import pytest

from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.teaching.display.tick_table import cursor_text, tick_table
from dagster_and_etl.teaching.sandbox.checks import assert_same_requests_per_tick
from dagster_and_etl.teaching.simulation.folder_ticks import (
    FOUR_TICKS,
    check_resend_sensor,
    play_folder_ticks,
    replay_mornings,
)


def _mtime(path) -> str:
    return f"{datetime.fromtimestamp(path.stat().st_mtime, timezone.utc):%Y-%m-%d %H:%M:%S}"


def folder_sensor(version, key=lambda name, version: f"{name}@{version}", name="folder_sensor"):
    """A sensor like the lesson's second version: the cursor maps each CSV name to `version(path)`."""

    @dg.sensor(name=name, target=import_dynamic_partition_job)
    def sensor(context: dg.SensorEvaluationContext, source: SourceFolder):
        seen = json.loads(context.cursor) if context.cursor else {}
        landed = {path.name: version(path) for path in sorted(source.folder.glob("*.csv"))}
        changed = [n for n, v in landed.items() if seen.get(n) != v]
        keys = [n.removesuffix(".csv") for n in changed]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=key(n, landed[n]), partition_key=k) for n, k in zip(changed, keys)],
            dynamic_partitions_requests=[file_partitions.build_add_request(keys)],
            cursor=json.dumps(landed),
        )

    return sensor


@dg.sensor(target=import_dynamic_partition_job)
def watermark_sensor(context: dg.SensorEvaluationContext, source: SourceFolder):
    newest = context.cursor or ""
    landed = {path.name: _mtime(path) for path in sorted(source.folder.glob("*.csv"))}
    new = [n for n, m in landed.items() if m > newest]
    keys = [n.removesuffix(".csv") for n in new]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=n, partition_key=k) for n, k in zip(new, keys)],
        dynamic_partitions_requests=[file_partitions.build_add_request(keys)],
        cursor=max([newest, *landed.values()]),
    )


version_sensor = folder_sensor(lambda path: f"{_mtime(path)} {path.stat().st_size}B", name="version_sensor")
content_sensor = folder_sensor(lambda path: hashlib.sha256(path.read_bytes()).hexdigest()[:16], name="content")
# Right partitions, but the run key names only the file: a correction's key was used before.
name_keyed_content_sensor = folder_sensor(
    lambda path: hashlib.sha256(path.read_bytes()).hexdigest()[:16], key=lambda name, _: name, name="by_name"
)


def requested(ticks):
    return [sorted(str(r.partition_key) for r in tick.run_requests) for tick in ticks]


def test_the_high_water_mark_misses_the_late_copy_and_reuses_the_name_key():
    ticks = play_folder_ticks(watermark_sensor, FOUR_TICKS, name="test-04-v1")
    assert requested(ticks) == [["2018-01-24", "2018-01-25"], ["2018-01-26"], ["2018-01-25"], []]
    assert [len(tick.files) for tick in ticks] == [2, 3, 3, 4]
    assert [tick.cursor_after for tick in ticks] == [
        "2018-01-26 05:00:00",
        "2018-01-27 05:00:00",
        "2018-01-27 09:00:00",
        "2018-01-27 09:00:00",
    ]
    table = repr(tick_table(ticks))
    assert "2018-01-25 ← 2018-01-25.csv  (key used at tick 1: skipped)" in table
    assert table.splitlines()[-1].split()[:4] == ["4", "01-27", "11:10", "4"] and "nothing" in table


def test_remembering_each_version_catches_both_with_readable_keys():
    ticks = play_folder_ticks(version_sensor, FOUR_TICKS, name="test-04-v2")
    assert requested(ticks) == [["2018-01-24", "2018-01-25"], ["2018-01-26"], ["2018-01-25"], ["2018-01-23"]]
    keys = [str(r.run_key) for tick in ticks for r in tick.run_requests]
    assert len(set(keys)) == len(keys)
    assert "2018-01-25.csv@2018-01-27 09:00:00 " in " | ".join(keys)
    table = repr(tick_table(ticks))
    assert "skipped" not in table and "4 entries" in table
    assert not re.search(r"\d{19}", table)
    assert max(len(line) for line in table.splitlines()) <= 100


def test_cursor_text():
    assert cursor_text(None) == "none"
    assert cursor_text('{"a.csv": "x"}') == "1 entry"
    assert cursor_text("2018-01-26 05:00:00") == "2018-01-26 05:00:00"


@pytest.mark.slow
def test_the_resend_check_accepts_a_content_sensor_and_refuses_the_others():
    assert "the right files" in check_resend_sensor(content_sensor)
    with pytest.raises(AssertionError, match="tick 2 .*not the set of files whose content is new"):
        check_resend_sensor(version_sensor)  # reloads every copy sent again
    with pytest.raises(AssertionError, match="already used at tick 1: the daemon would skip it"):
        check_resend_sensor(name_keyed_content_sensor)


def test_an_unsolved_exercise_fails_with_not_implemented():
    @dg.sensor(target=import_dynamic_partition_job)
    def blank(context: dg.SensorEvaluationContext, source: SourceFolder):
        raise NotImplementedError("Exercise: replace this line with your answer")

    with pytest.raises(NotImplementedError):
        check_resend_sensor(blank)


@pytest.mark.slow
def test_the_lesson_sensor_requests_what_the_reference_requests():
    assert assert_same_requests_per_tick(version_sensor, FOUR_TICKS) == requested(
        play_folder_ticks(version_sensor, FOUR_TICKS, name="test-04-ref")
    )
    with pytest.raises(AssertionError, match="partitions requested per tick differ"):
        assert_same_requests_per_tick(watermark_sensor, FOUR_TICKS)


@pytest.mark.slow
def test_the_three_mornings_schedule_fails_late_files_the_sensor_loads_them():
    rows = replay_mornings(version_sensor)
    assert [row["file lands"] for row in rows] == ["05:00", "05:45", "08:00"]
    assert [row["schedule ticks at 05:15"] for row in rows] == [
        "05:15 run: 8 rows loaded",
        "05:15 run: fails, file not landed yet",
        "05:15 run: fails, file not landed yet",
    ]
    assert [row["sensor ticks every 5 min"] for row in rows] == [
        "05:00 run: 8 rows loaded",
        "05:45 run: 8 rows loaded",
        "08:00 run: 8 rows loaded",
    ]
