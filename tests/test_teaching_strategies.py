"""The measuring helper: the strategies themselves are written (and their misses shown) in lesson 04."""

import json
from typing import NamedTuple

import dagster as dg

from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.teaching.simulation.strategies import (
    folder_sensor,
    measure_steady_ticks,
    synthetic_listing,
    write_listing,
)


class Tick(NamedTuple):
    requested: list
    cursor: str


def seen_names(cursor, landed, cap=None):
    seen = set(json.loads(cursor)) if cursor else set()
    batch = sorted((f for f in landed if f.name not in seen), key=lambda f: (f.mtime_ns, f.name))[:cap]
    return Tick(batch, json.dumps(sorted(seen | {f.name for f in batch})))


def high_water_mark(cursor, landed, cap=None):
    mark = int(cursor) if cursor else 0
    batch = sorted((f for f in landed if f.mtime_ns > mark), key=lambda f: f.mtime_ns)[:cap]
    return Tick(batch, str(max([mark, *(f.mtime_ns for f in batch)])))


def test_synthetic_files_are_written_with_their_size_and_mtime(tmp_path):
    listing = synthetic_listing(3)
    assert [f.name for f in listing[:2]] == ["file-000000.csv", "file-000001.csv"]
    write_listing(tmp_path, listing)
    assert sorted(SourceFolder(path=str(tmp_path)).scan().landed, key=lambda f: f.name) == listing


def test_folder_sensor_lists_the_folder_and_keeps_the_strategys_cursor(tmp_path):
    write_listing(tmp_path, synthetic_listing(2))
    (tmp_path / "file-000009.csv.part").write_text("half")  # the folder's listing rules apply
    sensor = folder_sensor(seen_names)
    resources = {"source": SourceFolder(path=str(tmp_path))}
    first = sensor(dg.build_sensor_context(cursor=None, resources=resources))
    assert sensor.name == "seen_names"
    assert [r.partition_key for r in first.run_requests] == ["file-000000", "file-000001"]
    assert first.dynamic_partitions_requests[0].partition_keys == ["file-000000", "file-000001"]
    assert json.loads(first.cursor) == ["file-000000.csv", "file-000001.csv"]
    assert sensor(dg.build_sensor_context(cursor=first.cursor, resources=resources)).run_requests == []


def test_steady_ticks_measure_exact_cursor_sizes():
    measured = measure_steady_ticks({"names": seen_names, "mark": high_water_mark}, [10, 50], repeats=1)
    assert [t.files for t in measured["names"]] == [10, 50]
    listing = synthetic_listing(50)
    assert measured["mark"][1].cursor_bytes == len(str(listing[-1].mtime_ns))
    assert measured["names"][1].cursor_bytes == len(json.dumps([f.name for f in listing]))
    assert all(t.median_seconds > 0 for ticks in measured.values() for t in ticks)  # a real tick takes time
