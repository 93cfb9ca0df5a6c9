"""The last cell of every lesson: do the notebook's own definitions behave like the package's?

Each helper compares one observable thing between the lesson's in-place definitions and the
reference definitions (`LessonWorkspace.defs`) on the same scenario, and fails with an
`AssertionError` that shows both sides, so the lesson code and the package cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from dagster_and_etl import warehouse

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


def _requested_per_tick(steps, definitions, sensor_name: str) -> list[list[str]]:
    """The partitions a sensor requests on each step (`step.land(workspace)`, then one tick through
    `evaluate_tick`, the cursor carried), in a fresh workspace with `definitions(workspace)`."""
    from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace

    with LessonWorkspace("check-sensor", with_source_files=False) as ws:
        defs = definitions(ws)
        sensor = defs.resolve_sensor_def(sensor_name)
        cursor, requested = None, []
        for step in steps:
            step.land(ws)
            context = dg.build_sensor_context(
                cursor=cursor,
                instance=ws.instance,
                instance_ref=ws.instance.get_ref(),
                definitions=defs,
                resources=defs.resources,
            )
            data = sensor.evaluate_tick(context)
            requested.append(sorted(str(request.partition_key) for request in data.run_requests or []))
            cursor = data.cursor if data.cursor is not None else cursor
    return requested


def assert_same_requests_per_tick(lesson_sensor: dg.SensorDefinition, steps) -> list[list[str]]:
    """On the same landings (`steps`, each with a `land(workspace)`), the lesson's folder sensor
    requests the same partitions on every tick as the reference `dynamic_sensor`; return them.
    Run keys and cursors are each design's own and are not compared."""
    from dagster_and_etl.defs.assets import raw_dynamic_partition_data
    from dagster_and_etl.defs.jobs import import_dynamic_partition_job
    from dagster_and_etl.defs.sensors import dynamic_sensor

    def lesson_definitions(ws) -> dg.Definitions:
        return dg.Definitions(
            assets=[raw_dynamic_partition_data],
            jobs=[import_dynamic_partition_job],
            sensors=[lesson_sensor],
            resources=ws.resources,
        )

    return assert_same(
        "partitions requested per tick",
        _requested_per_tick(steps, lesson_definitions, lesson_sensor.name),
        _requested_per_tick(steps, lambda ws: ws.defs, dynamic_sensor.name),
    )
