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

LANDED_COLUMN = warehouse.LANDED_COLUMN  # source_landed_ns


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


def _without_landing(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.drop(columns=[LANDED_COLUMN])
    if len(rows):  # `name@mtime_ns:size:landed_ns` -> `name@mtime_ns:size` (an object's ETag is kept)
        rows["source_version"] = rows["source_version"].str.replace(r"^(.*@\d+:\d+):\d+$", r"\1", regex=True)
    return rows


def assert_same_rows(lesson_database: Path | str, reference_database: Path | str, table: str) -> int:
    """Both databases hold the same rows in `table` (same values, same order); return the count.

    `source_landed_ns` is left out, and so is the landing part of `source_version` (a file's run
    key ends with its change time): they say when each database's own copy of a file landed,
    which differs between the two workspaces even for the same file and version."""
    lesson = _without_landing(warehouse.read_table(Path(lesson_database), table))
    reference = _without_landing(warehouse.read_table(Path(reference_database), table))
    try:
        pd.testing.assert_frame_equal(lesson, reference, check_dtype=not (lesson.empty or reference.empty))
    except AssertionError as err:
        raise AssertionError(
            f"rows of {table} differ: lesson has {len(lesson)}, reference has {len(reference)}\n{err}"
        ) from None
    return len(lesson)
