"""The last cell of every lesson: do the notebook's own definitions behave like the package's?

Each helper compares one observable thing between the lesson's in-place definitions and the
reference definitions (`LessonWorkspace.defs`) on the same scenario, and fails with an
`AssertionError` that shows both sides, so the lesson code and the package cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import dagster as dg
import pandas as pd

from dagster_and_etl import warehouse
from dagster_and_etl.sample_data import arrival_time, day_csv
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace, land_text

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


# Lessons 01 and 02 (main path). `sandbox` imports nothing from the subpackages below it, so the
# quiet run config of `kernel.quiet` is repeated here: Dagster's console logger at CRITICAL.
_QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def check_lesson_01(
    workspace: Any, daily_partitions: dg.PartitionsDefinition, daily_asset: Any, dynamic_asset: Any
) -> None:
    """Lesson 01's last cell: its partitions and assets against the package's on the same days (two
    that load, one whose file has not landed, one bad file, one dynamic key); prints what agreed."""
    from datetime import timezone

    from dagster_duckdb import DuckDBResource

    from dagster_and_etl.defs.resources import SourceFolder

    reference = workspace.defs
    assert_same_partition_keys(
        daily_partitions,
        reference.resolve_assets_def(warehouse.DAILY_TABLE).partitions_def,
        datetime(2018, 2, 3, tzinfo=timezone.utc),
    )
    workspace.remove("2018-02-01.csv")  # not landed
    workspace.drop("bad_price", mtime=datetime(2018, 2, 3, 7, 0, tzinfo=timezone.utc))  # 2018-02-02, row 3 bad
    check_database = workspace.root / "check" / "lesson.duckdb"
    check_database.parent.mkdir(exist_ok=True)
    resources = {
        "source": SourceFolder(path=str(workspace.source)),
        "database": DuckDBResource(database=str(check_database)),
    }

    def outcome(result: dg.ExecuteInProcessResult) -> tuple:
        return result.success, [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()]

    reference_job = reference.resolve_job_def("import_partition_job")
    lesson, theirs = {}, {}
    for key in ["2018-01-22", "2018-01-31", "2018-02-01", "2018-02-02"]:
        lesson[key] = outcome(
            dg.materialize(
                [daily_asset],
                partition_key=key,
                resources=resources,
                instance=workspace.instance,
                run_config=_QUIET_RUN,
                raise_on_error=False,
            )
        )
        theirs[key] = outcome(
            reference_job.execute_in_process(
                partition_key=key, instance=workspace.instance, run_config=_QUIET_RUN, raise_on_error=False
            )
        )
    assert_same("runs and check results", lesson, theirs)

    dynamic_name = assert_same(
        "dynamic partitions",
        dynamic_asset.partitions_def.name,
        reference.resolve_assets_def(warehouse.DYNAMIC_TABLE).partitions_def.name,
    )
    workspace.instance.add_dynamic_partitions(dynamic_name, ["2018-01-23"])
    dg.materialize(
        [dynamic_asset],
        partition_key="2018-01-23",
        resources=resources,
        instance=workspace.instance,
        run_config=_QUIET_RUN,
    )
    reference.resolve_job_def("import_dynamic_partition_job").execute_in_process(
        partition_key="2018-01-23", instance=workspace.instance, run_config=_QUIET_RUN
    )
    for table in (warehouse.DAILY_TABLE, warehouse.DYNAMIC_TABLE):
        assert_same_rows(check_database, workspace.database, table)
    print("same partition keys; same runs:", {key: "success" if ok else "failure" for key, (ok, _) in lesson.items()})
    print("same check results; same rows in", warehouse.DAILY_TABLE, "and", warehouse.DYNAMIC_TABLE)


def _requested(schedule: dg.ScheduleDefinition, tick_time: datetime) -> list:
    """The partitions `schedule`'s tick at `tick_time` requests."""
    result = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick_time))
    return [request.partition_key or "" for request in result.run_requests or []]


def check_lesson_02(workspace: Any, defs: dg.Definitions, schedule_name: str, job_name: str) -> None:
    """Lesson 02's last cell: its schedule against the package's `asset_partitioned_schedule`: the
    same partition at each morning's tick, and the same runs on the 2018-02-02 mornings (the file
    at 05:00, 05:45, 08:00), both evaluated at the lesson's time of day; prints what agreed."""
    from datetime import date, timedelta, timezone

    lesson = defs.resolve_schedule_def(schedule_name)
    lesson_job = defs.resolve_job_def(job_name)
    reference = workspace.defs.resolve_schedule_def("asset_partitioned_schedule")
    reference_job = workspace.defs.resolve_job_def("import_partition_job")
    days = [date(2018, 1, 22) + timedelta(days=n) for n in range(13)]
    assert_same(
        "requested partitions",
        {day.isoformat(): _requested(lesson, _tick_time(lesson, day)) for day in days},
        {day.isoformat(): _requested(reference, _tick_time(lesson, day)) for day in days},
    )

    def mornings(schedule: dg.ScheduleDefinition, job: dg.JobDefinition) -> dict:
        tick_time = _tick_time(lesson, date(2018, 2, 2))
        outcomes = {}
        for arrival in ["05:00", "05:45", "08:00"]:
            workspace.remove("2018-02-01.csv")
            landed = datetime.combine(date(2018, 2, 2), datetime.strptime(arrival, "%H:%M").time(), timezone.utc)
            if landed <= tick_time:
                workspace.drop("late", mtime=landed)
            outcomes[arrival] = [
                job.execute_in_process(
                    partition_key=request.partition_key,
                    tags=request.tags,
                    instance=workspace.instance,
                    run_config=_QUIET_RUN,
                    raise_on_error=False,
                ).success
                for request in schedule.evaluate_tick(
                    dg.build_schedule_context(scheduled_execution_time=tick_time)
                ).run_requests
                or []
            ]
        return outcomes

    runs = assert_same("runs", mornings(lesson, lesson_job), mornings(reference, reference_job))
    print(f"same requested partitions from {days[0]} to {days[-1]}")
    print(
        f"same runs at {_tick_time(lesson, days[0]):%H:%M}, file landing at:",
        {arrival: ", ".join("success" if ok else "failure" for ok in oks) for arrival, oks in runs.items()},
    )


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
        return {day.isoformat(): _requested(sd, _tick_time(sd, day)) for day in days}

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


def _requested_per_tick(steps, definitions, sensor_name: str) -> list[list[str]]:
    """The partitions a sensor requests on each step (`step.land(workspace)`, then one tick through
    `evaluate_tick`, the cursor carried), in a fresh workspace with `definitions(workspace)`."""

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


class _Landings(NamedTuple):
    """One scripted tick's landings: (day, sample variant, mtime) each."""

    label: str
    landings: list

    def land(self, workspace: Any) -> None:
        for day, variant, mtime in self.landings:
            land_text(workspace, f"{day.isoformat()}.csv", day_csv(day, variant), mtime)


def assert_sensor_requests_like_reference(sensor: dg.SensorDefinition, reference: str = "dynamic_sensor") -> str:
    """`sensor` (a folder sensor on the `source` resource) and the package's `reference` sensor,
    each through `evaluate_tick` with its own cursor, request the same partitions on every tick of
    one scripted morning: files on time, a quiet tick, a late file (older mtime), a replaced file."""
    first, second, late = (date.fromisoformat(day) for day in ("2018-02-01", "2018-02-02", "2018-01-31"))
    steps = [
        _Landings("empty folder", []),
        _Landings("on time", [(first, "original", arrival_time(first))]),
        _Landings("next day, on time", [(second, "original", arrival_time(second))]),
        _Landings("quiet", []),
        _Landings("late, older mtime", [(late, "original", arrival_time(first) - timedelta(hours=8))]),
        _Landings("replaced", [(first, "corrected", arrival_time(second) + timedelta(hours=1))]),
        _Landings("quiet again", []),
    ]
    ours = _requested_per_tick(
        steps, lambda ws: dg.Definitions.merge(ws.defs, dg.Definitions(sensors=[sensor])), sensor.name
    )
    theirs = _requested_per_tick(steps, lambda ws: ws.defs, reference)
    for step, lesson, package in zip(steps, ours, theirs):
        assert_same(f"partitions requested at the tick '{step.label}'", lesson, package)
    return f"{sensor.name} requests the same partitions as the package's {reference} on all {len(steps)} ticks."


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
    from dagster_and_etl import automation
    from dagster_and_etl.definitions_automation import build_definitions as automation_definitions
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
