"""The last cell of every lesson: do the notebook's own definitions behave like the package's?

Each helper compares one observable thing between the lesson's in-place definitions and the
reference definitions (`LessonWorkspace.defs`) on the same scenario, and fails with an
`AssertionError` that shows both sides, so the lesson code and the package cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timezone
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


def _tick_time(schedule: dg.ScheduleDefinition | str, day: date) -> datetime:
    """The tick on `day` of a daily cron ("M H * * *", as `build_schedule_from_partitioned_job`
    makes), given as a string or as the schedule's."""
    cron = schedule if isinstance(schedule, str) else schedule.cron_schedule
    minute, hour = (cron if isinstance(cron, str) else cron[0]).split()[:2]
    return datetime.combine(day, time(int(hour), int(minute)), tzinfo=timezone.utc)


def assert_alerts_match_reference(
    lesson: dg.Definitions,
    reference: dg.Definitions,
    schedule: str,
    days: Sequence[date],
    reference_schedule: str = "asset_partitioned_schedule",
) -> str:
    """Lesson 03: the lesson's `schedule` requests, on each of `days`, the partition the package's
    schedule requests that day (each at its own time of day); and each freshness check in the
    lesson's definitions is on an asset that job loads, with a deadline no earlier than the
    schedule's tick (a deadline before the tick would fail every morning). Returns a summary."""
    ours, theirs = lesson.resolve_schedule_def(schedule), reference.resolve_schedule_def(reference_schedule)

    def requested(sd: dg.ScheduleDefinition) -> dict[str, list[str]]:
        results = {
            day: sd.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=_tick_time(sd, day)))
            for day in days
        }
        return {
            day.isoformat(): [r.partition_key or "" for r in result.run_requests or []]
            for day, result in results.items()
        }

    assert_same("partitions requested", requested(ours), requested(theirs))
    job = reference.resolve_job_def(str(theirs.job_name))
    job_assets = {
        key
        for assets in reference.assets or []
        if isinstance(assets, dg.AssetsDefinition) and assets.partitions_def == job.partitions_def
        for key in assets.keys
    }
    deadlines = []
    for checks in lesson.asset_checks or []:
        for spec in getattr(checks, "check_specs", []):
            params = spec.metadata.get("dagster/freshness_params")
            if params is None:
                continue
            assert spec.asset_key in job_assets, (
                f"the freshness check is on {spec.asset_key.to_user_string()}, not on an asset the job loads"
            )
            deadline = _tick_time(params.data["deadline_cron"], days[0])
            tick = _tick_time(ours, days[0])
            assert deadline >= tick, f"the deadline {deadline:%H:%M} is before the schedule's {tick:%H:%M} tick"
            deadlines.append(f"{spec.asset_key.to_user_string()} by {deadline:%H:%M}")
    assert deadlines, "no freshness check in the lesson's definitions"
    return f"same partitions on {len(days)} days; freshness checked on {', '.join(deadlines)}"
