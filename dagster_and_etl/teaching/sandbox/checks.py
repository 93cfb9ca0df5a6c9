"""The last cell of every lesson: do the notebook's own definitions behave like the package's?

Each helper compares one observable thing between the lesson's in-place definitions and the
reference definitions (`LessonWorkspace.defs`) on the same scenario, and fails with an
`AssertionError` that shows both sides, so the lesson code and the package cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from dagster_and_etl import warehouse
from dagster_and_etl.sample_data import arrival_time, day_csv
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace, land_text

LANDED_COLUMN = warehouse.TRACKING_COLUMNS[-1]  # source_landed_ns


def assert_same(what: str, lesson: Any, reference: Any) -> Any:
    """`lesson == reference`, or an AssertionError naming `what` and showing both values."""
    if lesson != reference:
        raise AssertionError(f"{what} differ:\n  lesson:    {lesson!r}\n  reference: {reference!r}")
    return lesson


def assert_same_partition_keys(
    lesson: dg.PartitionsDefinition,
    reference: dg.PartitionsDefinition,
    current_time: datetime | None = None,
    dynamic_partitions_store: dg.DagsterInstance | None = None,
) -> list[str]:
    """Both definitions derive the same keys at `current_time`; return them."""

    def keys(partitions: dg.PartitionsDefinition) -> list[str]:
        return list(
            partitions.get_partition_keys(current_time=current_time, dynamic_partitions_store=dynamic_partitions_store)
        )

    return assert_same("partition keys", keys(lesson), keys(reference))


def assert_same_rows(lesson_database: Path | str, reference_database: Path | str, table: str) -> int:
    """Both databases hold the same rows in `table` (same values, same order); return the count.

    `source_landed_ns` is left out: it says when each database's own copy of a file landed (its
    ctime), which differs between the two workspaces even for the same file and version."""
    lesson = warehouse.read_table(Path(lesson_database), table).drop(columns=[LANDED_COLUMN])
    reference = warehouse.read_table(Path(reference_database), table).drop(columns=[LANDED_COLUMN])
    try:
        pd.testing.assert_frame_equal(lesson, reference, check_dtype=not (lesson.empty or reference.empty))
    except AssertionError as err:
        raise AssertionError(
            f"rows of {table} differ: lesson has {len(lesson)}, reference has {len(reference)}\n{err}"
        ) from None
    return len(lesson)


def assert_sensor_requests_like_reference(sensor: dg.SensorDefinition, reference: str = "dynamic_sensor") -> str:
    """`sensor` (a folder sensor on the `source` resource) and the package's `reference` sensor,
    each through `evaluate_tick` with its own cursor, request the same partitions on every tick of
    one scripted morning: files on time, a quiet tick, a late file (older mtime), a replaced file."""
    first, second, late = (date.fromisoformat(day) for day in ("2018-02-01", "2018-02-02", "2018-01-31"))
    steps = [
        ("empty folder", []),
        ("on time", [(first, "original", arrival_time(first))]),
        ("next day, on time", [(second, "original", arrival_time(second))]),
        ("quiet", []),
        ("late, older mtime", [(late, "original", arrival_time(first) - timedelta(hours=8))]),
        ("replaced", [(first, "corrected", arrival_time(second) + timedelta(hours=1))]),
        ("quiet again", []),
    ]
    with LessonWorkspace("checks", with_source_files=False) as workspace:
        defs = dg.Definitions.merge(workspace.defs, dg.Definitions(sensors=[sensor]))
        instance = workspace.instance
        cursors: dict[str, str | None] = {sensor.name: None, reference: None}
        for label, landings in steps:
            for day, variant, mtime in landings:
                land_text(workspace, f"{day.isoformat()}.csv", day_csv(day, variant), mtime)
            requested = {}
            for name in cursors:
                context = dg.build_sensor_context(
                    cursor=cursors[name],
                    instance=instance,
                    instance_ref=instance.get_ref(),
                    definitions=defs,
                    resources=defs.resources,
                )
                result = defs.resolve_sensor_def(name).evaluate_tick(context)
                requested[name] = sorted(str(request.partition_key) for request in result.run_requests or [])
                cursors[name] = result.cursor if result.cursor is not None else cursors[name]
            assert_same(f"partitions requested at the tick '{label}'", requested[sensor.name], requested[reference])
    return f"{sensor.name} requests the same partitions as the package's {reference} on all {len(steps)} ticks."
