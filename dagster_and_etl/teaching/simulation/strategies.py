"""Measure one whole tick of a file sensor, for any way of remembering what it has seen.

Lesson 04 writes the strategies in its own cells: plain functions `strategy(cursor, landed, cap)`
that take the cursor and this tick's listing (`LandedFile`s, from a folder or an object store)
and return the files to request (`.requested`) and the new cursor (`.cursor`). This module only
measures them:

- `folder_sensor(strategy)` is the strategy as a sensor over the landing folder: list and stat
  the folder (`SourceFolder.scan`), the strategy's bookkeeping, the `SensorResult`;
- `measure_steady_ticks(strategies, counts)` times that whole sensor, called directly, once it
  has caught up with a folder of n files and one new file has landed, and reports the cursor
  the daemon would store after that tick.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.file_scan import LandedFile

# (cursor, landed, cap) -> an object with `.requested` (LandedFiles) and `.cursor` (str)
Strategy = Callable[[str | None, Sequence[LandedFile], int | None], Any]


def synthetic_listing(count: int, first_mtime_ns: int = 1_516_683_600 * 10**9) -> list[LandedFile]:
    """`count` files named like `file-000000.csv`, one a minute apart, of 300 to 399 bytes."""
    return [LandedFile(f"file-{n:06d}.csv", first_mtime_ns + n * 60 * 10**9, 300 + n % 100) for n in range(count)]


def write_listing(folder: Path, listing: Iterable[LandedFile]) -> None:
    """Create each file of `listing` in `folder`, with its size and its mtime."""
    for file in listing:
        path = Path(folder) / file.name
        path.write_bytes(b"x" * file.size)
        os.utime(path, ns=(file.mtime_ns, file.mtime_ns))


def folder_sensor(strategy: Strategy, name: str | None = None) -> dg.SensorDefinition:
    """`strategy` as a sensor over the landing folder, shaped like the reference sensor's tick."""

    @dg.sensor(name=name or strategy.__name__, target=import_dynamic_partition_job)
    def strategy_sensor(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
        landed, _unusable = source.scan()
        tick = strategy(context.cursor, landed, None)
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f.run_key, partition_key=f.partition_key) for f in tick.requested],
            dynamic_partitions_requests=[file_partitions.build_add_request([f.partition_key for f in tick.requested])],
            cursor=tick.cursor,
        )

    return strategy_sensor


# Creating thousands of files on a busy disk takes far longer than listing them: build the
# measured folders in memory where the system has a tmpfs (Linux), else in the usual temp dir.
MEASURE_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@dataclass(frozen=True)
class TickCost:
    files: int
    cursor_bytes: int  # after the tick that found the one new file
    median_seconds: float
    quiet_cursor_bytes: int  # on a tick that finds nothing, once caught up (and quiet, with `quiet_seconds`)


def _call(sensor: dg.SensorDefinition, resources: dict, instance: dg.DagsterInstance, cursor: str | None):
    # With no instance, building the resources creates an ephemeral instance on every call
    # (a few hundred ms): the daemon has one, so the measured tick has one too.
    return sensor(dg.build_sensor_context(cursor=cursor, resources=resources, instance=instance))


def measure_steady_ticks(
    strategies: dict[str, Strategy], counts: Sequence[int], repeats: int = 5, quiet_seconds: float = 0.0
) -> dict[str, list[TickCost]]:
    """For each folder size n: n - 1 files seen, one new. Each strategy's sensor is called
    directly (context, listing, bookkeeping, result); the cursor bytes are exact, the time is the
    median of `repeats` ticks, the strategies interleaved (volatile: compare, never assert).

    With `quiet_seconds`, the folder stays quiet that long after the strategies caught up, and
    each has one quiet tick before the new file lands (a settle window then runs out)."""
    sensors = {name: folder_sensor(strategy) for name, strategy in strategies.items()}
    measured: dict[str, list[TickCost]] = {name: [] for name in sensors}
    with dg.instance_for_test() as instance:
        for count in counts:
            for name, tick in _steady_ticks(strategies, sensors, count, repeats, instance, quiet_seconds).items():
                measured[name].append(tick)
    return measured


def _steady_ticks(
    strategies: dict[str, Strategy],
    sensors: dict,
    count: int,
    repeats: int,
    instance: dg.DagsterInstance,
    quiet_seconds: float,
) -> dict[str, TickCost]:
    listing = synthetic_listing(count)
    times: dict[str, list[float]] = {name: [] for name in sensors}
    cursors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="steady-tick-", dir=MEASURE_DIR) as folder:
        resources = {"source": SourceFolder(path=folder)}
        write_listing(Path(folder), listing[:-1])
        # Caught up: the strategy's own first tick over the n - 1 files (a sensor returning
        # thousands of run requests would only slow the set-up down).
        seen = resources["source"].scan().landed
        caught_up = {name: strategies[name](None, seen, None).cursor for name in sensors}
        if quiet_seconds:
            time.sleep(quiet_seconds)
            caught_up = {name: strategies[name](caught_up[name], seen, None).cursor for name in sensors}
        write_listing(Path(folder), listing[-1:])
        for _ in range(repeats):
            for name, sensor in sensors.items():
                start = time.perf_counter()
                result = _call(sensor, resources, instance, caught_up[name])
                times[name].append(time.perf_counter() - start)
                if [r.partition_key for r in result.run_requests] != [listing[-1].partition_key]:
                    raise AssertionError(f"{name} did not request exactly the one new file")
                cursors[name] = result.cursor
    return {
        name: TickCost(
            count, len(cursors[name].encode()), statistics.median(times[name]), len(caught_up[name].encode())
        )
        for name in sensors
    }
