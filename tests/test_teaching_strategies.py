import dagster as dg
import pytest

from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.file_scan import LandedFile, scan_folder
from dagster_and_etl.sample_data import PREPARED_FILES
from dagster_and_etl.teaching.strategies import (
    STRATEGIES,
    measure_steady_tick,
    mtime_high_water_mark,
    name_to_mtime,
    run_key_digests,
    seen_names,
    synthetic_listing,
)
from dagster_and_etl.teaching.workspace import LessonWorkspace

MINUTE = 60 * 10**9
JAN = [LandedFile(f"2018-01-2{n}.csv", (n + 1) * MINUTE, 300) for n in range(3)]
REPLACED = LandedFile("2018-01-21.csv", 10 * MINUTE, 301)
LATE = LandedFile("2018-02-01.csv", 2 * MINUTE, 300)  # older than files already seen
NEWER = LandedFile("2018-02-02.csv", 20 * MINUTE, 300)


def names(tick):
    return [f.name for f in tick.requested]


@pytest.mark.parametrize("strategy", STRATEGIES.values(), ids=STRATEGIES.keys())
def test_every_strategy_requests_each_new_file_once(strategy):
    first = strategy(None, JAN, None)
    assert names(first) == [f.name for f in JAN]
    assert names(strategy(first.cursor, JAN, None)) == []


def test_what_each_strategy_misses():
    def after(strategy, *listings):
        cursor, requested = None, []
        for listing in listings:
            tick = strategy(cursor, listing, None)
            cursor, requested = tick.cursor, names(tick)
        return requested

    replaced = [JAN[0], REPLACED, JAN[2]]
    assert after(seen_names, JAN, replaced) == []
    assert after(name_to_mtime, JAN, replaced) == ["2018-01-21.csv"]
    assert after(run_key_digests, JAN, replaced) == ["2018-01-21.csv"]
    late = [*JAN, NEWER, LATE]
    for strategy in (seen_names, name_to_mtime, run_key_digests):
        assert after(strategy, [*JAN, NEWER], late) == ["2018-02-01.csv"]
    assert after(mtime_high_water_mark, [*JAN, NEWER], late) == []


@pytest.mark.parametrize("strategy", STRATEGIES.values(), ids=STRATEGIES.keys())
def test_cap_takes_the_oldest_first(strategy):
    tick = strategy(None, list(reversed(JAN)), 2)
    assert names(tick) == ["2018-01-20.csv", "2018-01-21.csv"]
    assert names(strategy(tick.cursor, JAN, 2)) == ["2018-01-22.csv"]


def test_run_key_digests_matches_the_reference_sensor_on_a_folder():
    with LessonWorkspace("test-strategies") as ws:
        def reference(cursor):
            return dynamic_sensor(dg.build_sensor_context(cursor=cursor, resources=ws.resources))

        ours = run_key_digests(None, scan_folder(ws.source)[0], 100)
        theirs = reference(None)
        assert [(f.run_key, f.partition_key) for f in ours.requested] == [(r.run_key, r.partition_key) for r in theirs.run_requests]
        assert ours.cursor == theirs.cursor
        ws.drop("corrected", at=None)
        ours_next = run_key_digests(ours.cursor, scan_folder(ws.source)[0], 100)
        theirs_next = reference(theirs.cursor)
        assert [f.run_key for f in ours_next.requested] == [r.run_key for r in theirs_next.run_requests]
        assert ours_next.cursor == theirs_next.cursor
        assert PREPARED_FILES["corrected"].target_name in ours_next.requested[0].run_key


def test_steady_tick_measures_exact_cursor_sizes():
    assert [f.name for f in synthetic_listing(2)] == ["file-000000.csv", "file-000001.csv"]
    assert measure_steady_tick(mtime_high_water_mark, 50, repeats=1).cursor_bytes == len(str(synthetic_listing(50)[-1].mtime_ns))
    digests = measure_steady_tick(run_key_digests, 100, repeats=1)
    names_list = measure_steady_tick(seen_names, 100, repeats=1)
    assert digests.cursor_bytes < names_list.cursor_bytes
    assert digests.median_seconds >= 0
