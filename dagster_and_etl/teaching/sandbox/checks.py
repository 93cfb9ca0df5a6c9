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


# Lessons 06 and 07 (main path). Their checks start servers and play ticks, so they import what
# they need when called: checking a lesson must not load moto or Dagster's runs for the others.


def check_lesson_06(bucket_sensor: dg.SensorDefinition, bucket_type: type) -> None:
    """Lesson 06's bucket sensor, with its resource `bucket_type(endpoint_url, bucket, prefix,
    max_runs_per_tick)`, on a moto bucket of its own: tick by tick, it requests the same partitions
    as the package's `s3_sensor` (three objects; a late one, a replaced one and a `.part` key;
    nothing new); with a cap of 2, five objects are requested once each, over three ticks."""
    from dagster_and_etl.defs.assets import raw_s3_partition_data
    from dagster_and_etl.defs.jobs import import_s3_partition_job
    from dagster_and_etl.defs.sensors import s3_sensor
    from dagster_and_etl.sample_data import day_csv
    from dagster_and_etl.teaching.kernel.quiet import quiet
    from dagster_and_etl.teaching.live.object_store import LocalObjectStore, lesson_landing_bucket
    from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
    from dagster_and_etl.teaching.simulation.run_loop import register_requested_partitions
    from dagster_and_etl.teaching.simulation.ticks import evaluate_sensor

    def day(text: str, variant: str = "original") -> str:
        return day_csv(datetime.fromisoformat(text).date(), variant)

    def ticks(defs: dg.Definitions, workspace: LessonWorkspace, name: str, cursor: str | None):
        with quiet():
            data = evaluate_sensor(defs, workspace.instance, name, cursor)
        register_requested_partitions(workspace.instance, data)
        return sorted(r.partition_key or "" for r in data.run_requests or []), data.cursor

    with LocalObjectStore(bucket="check-06") as store, LessonWorkspace("06-check", with_source_files=False) as ws:
        resources = {
            **ws.resources,
            "bucket": bucket_type(
                endpoint_url=store.endpoint_url, bucket=store.bucket, prefix="daily/", max_runs_per_tick=100
            ),
            "landing_bucket": lesson_landing_bucket(store.endpoint_url or "", store.bucket, "daily/"),
        }
        defs = dg.Definitions(
            assets=[raw_s3_partition_data],
            jobs=[import_s3_partition_job],
            sensors=[bucket_sensor, s3_sensor],
            resources=resources,
        )
        steps = [
            {
                "daily/2018-01-22.csv": day("2018-01-22"),
                "daily/2018-01-23.csv": day("2018-01-23"),
                "daily/2018-01-24.csv": day("2018-01-24"),
            },
            {
                "daily/2018-02-01.csv": day("2018-02-01"),
                "daily/2018-01-23.csv": day("2018-01-23", "corrected"),
                "daily/2018-02-02.csv.part": day("2018-02-02"),
            },
            {},
        ]
        cursors: dict[str, str | None] = {bucket_sensor.name: None, s3_sensor.name: None}
        for number, uploads in enumerate(steps, start=1):
            for key, text in uploads.items():
                store.put(key, text)
            requested = {}
            for name in cursors:
                requested[name], cursors[name] = ticks(defs, ws, name, cursors[name])
            assert_same(
                f"tick {number}'s requested partitions", requested[bucket_sensor.name], requested[s3_sensor.name]
            )

        capped = bucket_type(
            endpoint_url=store.endpoint_url, bucket=store.bucket, prefix="capped/", max_runs_per_tick=2
        )
        capped_defs = dg.Definitions(
            assets=[raw_s3_partition_data],
            jobs=[import_s3_partition_job],
            sensors=[bucket_sensor],
            resources={**resources, "bucket": capped},
        )
        backlog = [f"2019-01-0{n}" for n in range(1, 6)]
        for key in backlog:
            store.put(f"capped/{key}.csv", day(key))
        per_tick, cursor = [], None
        for _ in range(10):
            keys, cursor = ticks(capped_defs, ws, bucket_sensor.name, cursor)
            if not keys:
                break
            per_tick.append(keys)
        assert all(len(keys) <= 2 for keys in per_tick), f"more than the cap in one tick: {per_tick}"
        assert_same("partitions requested over the capped ticks", sorted(k for keys in per_tick for k in keys), backlog)
    print(
        f"Same partitions as the package's s3_sensor on {len(steps)} ticks; a cap of 2 drains 5 objects in {len(per_tick)} ticks."
    )


def check_lesson_07(daily_file: dg.AssetSpec, asset: dg.AssetsDefinition, landings, moments) -> None:
    """Lesson 07's file asset and `eager()` asset, played over `landings` and `moments`, request
    the same partitions at the same evaluations, with the same outcomes and rows, as the package's
    `definitions_automation` (`daily_file` and `raw_partition_data`)."""
    from dagster_and_etl.definitions_automation import build_definitions as automation_definitions
    from dagster_and_etl.defs import automation
    from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
    from dagster_and_etl.teaching.simulation.mornings import play_conditions

    with (
        LessonWorkspace("07-check", with_source_files=False) as ours,
        LessonWorkspace("07-check-package", with_source_files=False) as theirs,
    ):
        lesson_defs = dg.Definitions(assets=[daily_file, asset], resources=ours.resources)
        lesson_runs = play_conditions(ours, lesson_defs, [asset], landings, moments, daily_file.key)
        package_runs = play_conditions(
            theirs,
            automation_definitions(theirs.root),
            [automation.raw_partition_data],
            landings,
            moments,
            automation.daily_file.key,
        )
        assert_same("requests and outcomes", list(lesson_runs.values()), list(package_runs.values()))
        rows = assert_same_rows(ours.database, theirs.database, warehouse.DAILY_TABLE)
    print(f"Same requests, outcomes and rows ({rows}) as the package's definitions_automation.")
