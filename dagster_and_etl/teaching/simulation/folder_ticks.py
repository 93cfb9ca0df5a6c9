"""A lesson's folder sensor played tick by tick through `evaluate_tick`, and the three mornings against the 05:15 schedule."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

import dagster as dg

from dagster_and_etl.defs.assets import raw_dynamic_partition_data, raw_partition_data
from dagster_and_etl.defs.jobs import import_dynamic_partition_job, import_partition_job
from dagster_and_etl.sample_data import LATE_DAY, day_csv
from dagster_and_etl.teaching.kernel.quiet import QUIET_RUN_CONFIG, quiet
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace, land_day, land_prepared, land_text
from dagster_and_etl.teaching.simulation.clock import SUCCESS, SimulatedClock, clock_time
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.simulation.runs import run_summary
from dagster_and_etl.teaching.simulation.ticks import TickOutcome
from dagster_and_etl.warehouse import DYNAMIC_TABLE


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


class TickStep(NamedTuple):
    """One step of a scenario: what lands (`land(workspace)`), then the sensor ticks `at`."""

    label: str
    at: datetime
    land: Callable[[LessonWorkspace], object]


@dataclass
class FolderTick(TickOutcome):
    """A `TickOutcome` with when the tick ran and the CSV files it could see (name: content digest)."""

    at: datetime | None = None
    files: dict[str, str] = field(default_factory=dict)


def _days(*days: int) -> Callable[[LessonWorkspace], None]:
    """Land January 2018 days, each written at 05:00 the next morning."""

    def land(ws: LessonWorkspace) -> None:
        for day in days:
            land_day(ws, date(2018, 1, day))

    return land


# Lesson 04's four ticks: two files waiting, one on time, a corrected re-upload, a late `cp -p` copy.
FOUR_TICKS = (
    TickStep("turned on: 2018-01-24 and 2018-01-25 are waiting", utc(2018, 1, 26, 5, 10), _days(24, 25)),
    TickStep("2018-01-26.csv lands at 05:00", utc(2018, 1, 27, 5, 10), _days(26)),
    TickStep(
        "2018-01-25.csv re-uploaded, corrected, at 09:00",
        utc(2018, 1, 27, 9, 10),
        lambda ws: land_prepared(ws, "corrected", mtime=utc(2018, 1, 27, 9)),
    ),
    TickStep(
        "2018-01-23.csv copied in at 11:00 with cp -p (mtime 2018-01-24 05:00)",
        utc(2018, 1, 27, 11, 10),
        lambda ws: land_day(ws, date(2018, 1, 23), folder_mtime=utc(2018, 1, 27, 11)),
    ),
)


def _resend(ws: LessonWorkspace, days: Sequence[int], at: datetime, corrected: int | None = None) -> None:
    """The vendor copies these days again (a plain `cp`: each gets the mtime `at`); `corrected` with new values."""
    for day in days:
        variant = "corrected" if day == corrected else "original"
        name = f"2018-01-{day:02d}.csv"
        land_text(ws, name, day_csv(date(2018, 1, day), variant), mtime=at)


def _resent_and_new(ws: LessonWorkspace) -> None:
    _resend(ws, [29, 30], utc(2018, 2, 1, 5))
    land_day(ws, date(2018, 1, 31))


def _resent_corrected_and_late(ws: LessonWorkspace) -> None:
    _resend(ws, [29, 30, 31], utc(2018, 2, 2, 5), corrected=30)
    land_day(ws, date(2018, 1, 28), folder_mtime=utc(2018, 2, 2, 5))


# The exercise's scenario (never shown in the lesson): files re-sent unchanged every morning, one
# corrected on a re-send, a late file copied with its old mtime, then a quiet tick.
RESEND_TICKS = (
    TickStep("2018-01-29 and 2018-01-30 land", utc(2018, 1, 31, 5, 10), _days(29, 30)),
    TickStep("both re-sent unchanged; 2018-01-31 lands", utc(2018, 2, 1, 5, 10), _resent_and_new),
    TickStep(
        "all three re-sent, 2018-01-30 corrected; 2018-01-28 copied with cp -p",
        utc(2018, 2, 2, 5, 10),
        _resent_corrected_and_late,
    ),
    TickStep("nothing changes", utc(2018, 2, 2, 5, 40), lambda ws: None),
)


def lesson_definitions(sensor: dg.SensorDefinition, workspace: LessonWorkspace) -> dg.Definitions:
    """The file-partitioned asset, its job and `sensor`, over the workspace's folder and database."""
    return dg.Definitions(
        assets=[raw_dynamic_partition_data],
        jobs=[import_dynamic_partition_job],
        sensors=[sensor],
        resources=workspace.resources,
    )


def _csv_files(workspace: LessonWorkspace) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(workspace.source.glob("*.csv"))}


def play_folder_ticks(
    sensor: dg.SensorDefinition, steps: Sequence[TickStep] = FOUR_TICKS, name: str = "04-ticks"
) -> list[FolderTick]:
    """In a fresh workspace with an empty folder: for each step, land its files, then evaluate one
    tick (`build_sensor_context` with the carried cursor, `evaluate_tick`) on the workspace's instance."""
    played: list[FolderTick] = []
    cursor: str | None = None
    with LessonWorkspace(name, with_source_files=False) as ws:
        instance, defs = ws.instance, lesson_definitions(sensor, ws)
        for step in steps:
            step.land(ws)
            context = dg.build_sensor_context(
                cursor=cursor,
                instance=instance,
                instance_ref=instance.get_ref(),
                definitions=defs,
                resources=defs.resources,
            )
            with quiet():
                data = sensor.evaluate_tick(context)
            outcome = TickOutcome.of_evaluation(cursor, data)
            played.append(FolderTick(**{**vars(outcome), "label": step.label}, at=step.at, files=_csv_files(ws)))
            cursor = outcome.cursor_after
    return played


def check_resend_sensor(sensor: dg.SensorDefinition) -> str:
    """The exercise's self-check: on files re-sent unchanged, corrected and copied late, `sensor`
    requests exactly the files whose content is new, each under a run key never used before."""
    ticks = play_folder_ticks(sensor, RESEND_TICKS, name="04-check")
    loaded: dict[str, str] = {}  # name: digest of the content last requested
    used_keys: dict[str, int] = {}
    for number, tick in enumerate(ticks, start=1):
        wanted = sorted(name.removesuffix(".csv") for name, digest in tick.files.items() if loaded.get(name) != digest)
        requested = sorted(str(request.partition_key) for request in tick.run_requests)
        if requested != wanted:
            raise AssertionError(
                f"tick {number} ({tick.label}): your sensor requested {requested or 'nothing'}; "
                "that is not the set of files whose content is new"
            )
        for request in tick.run_requests:
            key = str(request.run_key)
            if key in used_keys:
                raise AssertionError(
                    f"tick {number}: run key {key!r} was already used at tick {used_keys[key]}: the daemon would skip it"
                )
            used_keys[key] = number
        loaded.update({name: digest for name, digest in tick.files.items() if name.removesuffix(".csv") in wanted})
    return f"{len(ticks)} ticks of re-sent, corrected and late files: the right files, each under a new run key."


MORNING = LATE_DAY + timedelta(days=1)  # 2018-02-02: the morning the 2018-02-01 file is due at 05:00


SCHEDULE_COLUMN = "schedule ticks at 05:15"


def _why(problem: str) -> str:
    return "fails, file not landed yet" if "has not landed yet" in problem else f"fails: {problem}"


def _morning(sensor: dg.SensorDefinition, arrival: str, tick_every: timedelta) -> dict[str, str]:
    """One morning from 04:00 to 09:00: the file lands at `arrival`, the schedule ticks at 05:15,
    the sensor every `tick_every`; each run they ask for is executed."""
    with LessonWorkspace(f"04-morning-{arrival.replace(':', '')}", with_source_files=False) as ws:
        defs = dg.Definitions(
            assets=[raw_partition_data, raw_dynamic_partition_data],
            jobs=[import_partition_job, import_dynamic_partition_job],
            schedules=[
                # The course's schedule: the latest complete day, daily at 05:15.
                dg.build_schedule_from_partitioned_job(
                    import_partition_job, name="course_schedule", hour_of_day=5, minute_of_hour=15
                )
            ],
            sensors=[sensor],
            resources=ws.resources,
        )
        schedule, daily_job = (
            defs.resolve_schedule_def("course_schedule"),
            defs.resolve_job_def(import_partition_job.name),
        )
        loop = DaemonLikeLoop(defs, ws.instance, sensor.name)
        sensor_column = f"sensor ticks every {tick_every.total_seconds() / 60:g} min"
        row = {"file lands": arrival, SCHEDULE_COLUMN: "", sensor_column: "no run"}

        def schedule_ticks(now: datetime) -> None:
            with warnings.catch_warnings(), quiet():
                warnings.simplefilter("ignore", DeprecationWarning)  # Dagster's own, on every tick of this schedule
                context = dg.build_schedule_context(instance=ws.instance, scheduled_execution_time=now)
                [request] = schedule.evaluate_tick(context).run_requests or []
                result = daily_job.execute_in_process(
                    partition_key=request.partition_key,
                    instance=ws.instance,
                    run_config=QUIET_RUN_CONFIG,
                    raise_on_error=False,
                )
            summary = run_summary(result)
            row[SCHEDULE_COLUMN] = f"{now:%H:%M} run: " + (
                f"{summary['rows']} rows loaded" if summary["status"] == SUCCESS else _why(summary["problem"])
            )

        def sensor_ticks(now: datetime) -> None:
            with quiet():
                outcome = loop.tick()
            rows = ws.row_counts(DYNAMIC_TABLE)
            for key in outcome.succeeded:
                row[sensor_column] = f"{now:%H:%M} run: {rows.get(key, 0)} rows loaded"
            for key, problem in outcome.failed.items():
                row[sensor_column] = f"{now:%H:%M} run: {_why(problem)}"

        def file_lands(now: datetime) -> None:
            land_prepared(ws, "late", mtime=now)  # written as it lands

        clock = SimulatedClock(clock_time(MORNING, "04:00"))
        clock.at(clock_time(MORNING, arrival), file_lands)  # added first: it lands before a tick at its minute
        clock.at(clock_time(MORNING, "05:15"), schedule_ticks)
        clock.every(clock_time(MORNING, "04:00"), tick_every, clock_time(MORNING, "09:00"), sensor_ticks)
        clock.run_until(clock_time(MORNING, "09:00"))
    return row


def replay_mornings(
    sensor: dg.SensorDefinition,
    arrivals: Sequence[str] = ("05:00", "05:45", "08:00"),
    tick_every: timedelta = timedelta(minutes=5),
) -> list[dict[str, str]]:
    """The 2018-02-01 file landing at each of `arrivals` on the morning of 2018-02-02, each morning
    in a fresh workspace: what the 05:15 schedule's run and `sensor`'s run did, one row a morning."""
    return [_morning(sensor, arrival, tick_every) for arrival in arrivals]
