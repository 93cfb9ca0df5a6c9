"""A week of mornings played with the package's import job in a sandbox of its own: for exercises that need a history.

Each day of the week gets a fate (`FATES`): its file on time or late, re-run or not, never landed,
or the schedule paused. `week_of_mornings` plays them in order, for real: files written into a
temporary source folder, runs of the package's `import_partition_job` in a test instance.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from dagster_and_etl import sample_data, settings
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.teaching.kernel.quiet import QUIET_RUN_CONFIG

ON_TIME = "on time"  # the file before the scheduled run: loaded
LATE_RERUN = "late, re-run"  # the scheduled run failed; the file landed and the day was run again
LATE_NOT_RERUN = "late, not re-run"  # the scheduled run failed; the file landed since
STILL_MISSING = "still missing"  # the scheduled run failed; no file yet
PAUSED_LANDED = "paused, file landed"  # no run (the schedule was paused); the file is there
PAUSED_MISSING = "paused, no file"  # no run, no file
FATES = (ON_TIME, ON_TIME, LATE_RERUN, LATE_NOT_RERUN, LATE_NOT_RERUN, STILL_MISSING, PAUSED_LANDED, PAUSED_MISSING)


@dataclass(frozen=True)
class WeekOfMornings:
    instance: dg.DagsterInstance
    source: Path
    fates: dict[date, str]


@contextmanager
def week_of_mornings(seed: str) -> Iterator[WeekOfMornings]:
    """`FATES` shuffled by `seed` over consecutive days from a day in 2018 picked by `seed`, played
    with the package's job; yields the instance, the source folder and each day's fate."""
    rng = random.Random(seed)
    first = date(2018, 5, 1) + timedelta(days=rng.randrange(200))
    fates = {first + timedelta(days=n): fate for n, fate in enumerate(rng.sample(FATES, len(FATES)))}
    with tempfile.TemporaryDirectory() as root, dg.instance_for_test() as instance:
        job = build_definitions(Path(root)).resolve_job_def("import_partition_job")
        source = settings.source_dir(Path(root))
        source.mkdir(parents=True, exist_ok=True)

        def land(day: date) -> None:
            (source / f"{day}.csv").write_text(sample_data.day_csv(day), encoding="utf-8")

        def run(day: date) -> None:
            job.execute_in_process(
                partition_key=day.isoformat(), instance=instance, run_config=QUIET_RUN_CONFIG, raise_on_error=False
            )

        for day, fate in fates.items():
            if fate == ON_TIME:
                land(day)
            if fate not in (PAUSED_LANDED, PAUSED_MISSING):
                run(day)  # the morning's scheduled run
            if fate in (LATE_RERUN, LATE_NOT_RERUN, PAUSED_LANDED):
                land(day)
            if fate == LATE_RERUN:
                run(day)
        yield WeekOfMornings(instance, source, fates)
