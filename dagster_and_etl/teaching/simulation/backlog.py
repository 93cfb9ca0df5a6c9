"""The first turn-on over a backlog: what the package's folder sensor requests, tick by tick, under a cap.

`requests_per_tick(folder, cap)` plays the reference sensor's own planning (`watermark_cursor.plan_tick`,
the change-time watermark `dynamic_sensor` uses) with the cap as a parameter, so no environment
variable is set; `check_first_turn_on(first_turn_on)` is lesson 06's self-check.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from dagster_and_etl import settings, watermark_cursor
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.sample_data import day_csv
from dagster_and_etl.teaching.sandbox.workspace import past_its_change_time

MAX_TICKS = 1000


def requests_per_tick(folder: Path, cap: int) -> list[list[str]]:
    """The partitions the reference folder sensor requests on each tick after it is turned on over
    `folder`, at most `cap` a tick, until a tick requests nothing (that tick is not listed)."""
    source = SourceFolder(path=str(folder))
    settle_ns = round(settings.DEFAULT_SENSOR_SETTLE_SECONDS * 1e9)
    cursor: str | None = None
    ticks: list[list[str]] = []
    for _ in range(MAX_TICKS):
        plan = watermark_cursor.plan_tick(cursor, source.scan, settle_ns, cap)
        cursor = plan.cursor
        if not plan.batch:
            return ticks
        ticks.append([f.partition_key for f in plan.batch])
    raise AssertionError(f"the backlog did not drain in {MAX_TICKS} ticks")


STRAYS = ["notes.txt", ".2019-12-31.csv", "2019-12-30.csv.part", "upload.tmp", "2019-12-29.csv.tmp"]


def _landed_backlog(folder: Path, rng: random.Random, days: int, strays: int) -> list[str]:
    """Land `days` day files in a shuffled order, with `strays` files that are not finished CSVs among
    them; return every name in landing order."""
    first = date(2019, 3, 1) + timedelta(days=rng.randint(0, 300))
    texts = {f"{first + timedelta(days=n)}.csv": day_csv(first + timedelta(days=n)) for n in range(days)}
    names = list(texts)
    rng.shuffle(names)
    for stray in rng.sample(STRAYS, strays):
        names.insert(rng.randint(0, len(names)), stray)
    for name in names:
        path = folder / name
        path.write_text(texts.get(name, day_csv(first)))
        past_its_change_time(path)  # the next file gets a later change time: landing order is kept
    return names


def check_first_turn_on(first_turn_on: Callable[[list[str], int], tuple[int, list[str]]]) -> None:
    """Turn the reference sensor on over backlogs of its own; `first_turn_on(names, cap)` must give
    how many ticks request something and the partitions the first tick requests."""
    rng = random.Random("lesson 06, exercise")
    scenarios = [(rng.randint(13, 19), 4, 3), (12, 4, 2), (5, 8, 1), (0, 3, 2)]  # (day files, cap, stray files)
    for number, (days, cap, strays) in enumerate(scenarios, start=1):
        with tempfile.TemporaryDirectory(prefix="dagster-etl-06-exercise-") as folder:
            names = _landed_backlog(Path(folder), rng, days, strays)
            expected = requests_per_tick(Path(folder), cap)
        answer = first_turn_on(list(names), cap)
        assert answer is not None, "first_turn_on returned nothing"
        ticks, first_tick = answer
        assert ticks == len(expected), (
            f"backlog {number} ({days} day files, {strays} other files, cap {cap}): {ticks} ticks is not how many the sensor takes"
        )
        assert sorted(first_tick) == sorted(expected[0] if expected else []), (
            f"backlog {number}: the first tick does not request {sorted(first_tick)}"
        )
    print("Solved.")
