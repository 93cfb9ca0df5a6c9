"""Files landing step by step, each step followed by one by-hand daemon tick; lesson 05's exercise check.

A step is a label and the `Landing`s that happen before its tick. `tick_after` lands them in a
`LessonWorkspace` and ticks a `DaemonLikeLoop` (`evaluate_tick`, the requested dynamic partitions
added, the run-key check, `execute_in_process` for the rest), with Dagster's logs kept out.
`check_waits_for_whole_files(sensor)` plays mornings of its own (a file on time, one written
slowly in place, a late one, a replaced one) and fails unless the sensor had each complete
version loaded once and no half-written one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import dagster as dg

from dagster_and_etl.sample_data import PREPARED_FILES, day_csv
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace, land_text
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.simulation.ticks import TickOutcome


def utc_time(moment: datetime | str) -> datetime:
    """`moment`, or `"YYYY-MM-DD HH:MM"` read as a UTC time."""
    if isinstance(moment, datetime):
        return moment
    return datetime.fromisoformat(moment).replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Landing:
    """A file written into `source/` (new or in place), modified at `mtime`; `complete` is False
    for a file caught half-written."""

    name: str
    text: str
    mtime: datetime
    complete: bool = True

    @classmethod
    def day(cls, day: str, at: datetime | str, corrected: bool = False) -> Landing:
        """A day's sample file (`corrected`: the re-upload with corrected values), written at `at`."""
        text = day_csv(date.fromisoformat(day), "corrected" if corrected else "original")
        return cls(f"{day}.csv", text, utc_time(at))

    @classmethod
    def prepared(cls, prepared: str, at: datetime | str) -> Landing:
        """A prepared file (a key of `sample_data.PREPARED_FILES`, e.g. `bad_price`), written at `at`."""
        spec = PREPARED_FILES[prepared]
        return cls(spec.target_name, spec.text, utc_time(at))

    def land(self, workspace: LessonWorkspace) -> None:
        land_text(workspace, self.name, self.text, self.mtime)


Step = tuple[str, Sequence[Landing]]


def tick_after(
    loop: DaemonLikeLoop, workspace: LessonWorkspace, label: str, landings: Sequence[Landing] = ()
) -> TickOutcome:
    """Land `landings`, then one tick of `loop`, labelled `label`, its runs' logs kept out."""
    for landing in landings:
        landing.land(workspace)
    with quiet():
        outcome = loop.tick()
    outcome.label = label
    return outcome


def merged_definitions(workspace: LessonWorkspace, sensor: dg.SensorDefinition) -> dg.Definitions:
    """The workspace's reference definitions with `sensor` added (it targets their jobs)."""
    return dg.Definitions.merge(workspace.defs, dg.Definitions(sensors=[sensor]))


# The exercise's check: mornings the lesson never shows.
TICK_EVERY = timedelta(minutes=5)


def _half(text: str, rng: random.Random) -> str:
    """The first part of `text`, cut at a line end or in the middle of a row, as a writer leaves it."""
    lines = text.splitlines(keepends=True)
    kept = rng.randrange(2, len(lines) - 1)
    head = "".join(lines[:kept])
    return head + lines[kept][: rng.randrange(1, len(lines[kept]) - 1)] if rng.random() < 0.5 else head


def check_scenario(rng: random.Random) -> list[Step]:
    """Four days' files over one morning, a tick every five minutes: one on time; one written in
    place in three writes with a tick between each; a late one (written the evening before) with
    the first one replaced; then another slow one. Each file is written a minute before its tick."""
    first = date(2019, 3, 1) + timedelta(days=rng.randrange(0, 20))
    on_time, slow, late, slow_again = (first + timedelta(days=n) for n in range(4))
    clock = datetime.combine(first + timedelta(days=4), time(4, 50), tzinfo=timezone.utc)
    steps: list[Step] = []

    def tick(label: str, *landings: Landing, quiet_ticks: int = 0) -> None:
        nonlocal clock
        steps.append((label, landings))
        steps.extend(("quiet", ()) for _ in range(quiet_ticks))
        clock += TICK_EVERY * (1 + quiet_ticks)

    def written(day: date, text: str | None = None, variant: str = "original") -> Landing:
        full = day_csv(day, variant)
        return Landing(f"{day.isoformat()}.csv", text or full, clock - timedelta(minutes=1), text is None)

    def slowly(day: date) -> None:
        full = day_csv(day)
        half = _half(full, rng)
        tick("half-written", written(day, half))
        tick("still growing", written(day, full[: (len(half) + len(full)) // 2]))
        tick("complete", written(day), quiet_ticks=2)

    tick("empty")
    tick("on time", written(on_time), quiet_ticks=1)
    slowly(slow)
    evening_before = datetime.combine(first + timedelta(days=3), time(22, rng.randrange(0, 59)), tzinfo=timezone.utc)
    late_file = Landing(f"{late.isoformat()}.csv", day_csv(late), evening_before)
    tick("late and replaced", late_file, written(on_time, variant="corrected"), quiet_ticks=2)
    slowly(slow_again)
    return steps


def _raised_not_implemented(err: BaseException | None) -> bool:
    while err is not None:
        if isinstance(err, NotImplementedError):
            return True
        err = err.__cause__ or err.__context__
    return False


def check_waits_for_whole_files(sensor: dg.SensorDefinition, seed: int | None = None) -> str:
    """Play `check_scenario` through the by-hand daemon loop with `sensor`; fail (AssertionError)
    unless every complete version of every file was loaded exactly once and no half-written one
    ever was. The scenario is new on every call (`seed` repeats one)."""
    steps = check_scenario(random.Random(seed))
    complete = {(landing.name, landing.text) for _, landings in steps for landing in landings if landing.complete}
    latest = {landing.name: landing.text for _, landings in steps for landing in landings if landing.complete}
    with LessonWorkspace("05-check", with_source_files=False) as workspace:
        loop = DaemonLikeLoop(merged_definitions(workspace, sensor), workspace.instance, sensor.name)
        loaded: list[tuple[str, str]] = []  # (file name, the text its run read)
        for number, (label, landings) in enumerate(steps, start=1):
            try:
                outcome = tick_after(loop, workspace, label, landings)
            except Exception as err:
                if _raised_not_implemented(err):
                    raise NotImplementedError("the exercise is not solved yet: write the sensor") from None
                raise AssertionError(
                    f"tick {number} ({label}): the sensor raised {type(err).__name__}: {err}"
                ) from None
            for partition in [*outcome.succeeded, *outcome.failed]:
                name = f"{partition}.csv"
                read = (workspace.source / name).read_text(encoding="utf-8")
                if (name, read) not in complete:
                    raise AssertionError(f"tick {number} ({label}): a run loaded {name} while it was half-written")
                if (name, read) in loaded:
                    raise AssertionError(f"tick {number} ({label}): {name} was loaded again, unchanged")
                loaded.append((name, read))
            if outcome.failed:
                raise AssertionError(f"tick {number} ({label}): runs failed: {sorted(outcome.failed.values())}")
    missed = sorted(name for name, text in latest.items() if (name, text) not in loaded)
    assert not missed, f"the latest complete version of {', '.join(missed)} was never loaded"
    return f"Solved: over {len(steps)} ticks, {len(loaded)} complete versions loaded once each, none half-written."
