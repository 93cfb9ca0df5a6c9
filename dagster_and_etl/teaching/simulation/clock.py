"""Simulated time for a lesson: a morning (or a week) played out in a fraction of a second.

A `SimulatedClock` holds actions due at given moments (a file lands, a schedule ticks, a
sensor ticks, an operator re-runs a partition). `run_until` performs them in time order, with
`clock.now` set to each action's moment, and keeps what they report as `TimelineEvent`s. Each
action does the real thing (copies a real file, evaluates a real tick, executes a real run);
only the waiting is skipped. Actions due at the same moment run in the order they were added.

The events feed `teaching.display.tables.events_table` and `teaching.display.tables.timeline`.
`dagster_clock_at` sets Dagster's own "now" to a moment of such a morning, for what reads it
(a freshness check).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from unittest import mock

from dagster_and_etl.dagster_private import dagster_time

# The kinds of event a timeline shows, top to bottom when each kind has its own lane.
FILE_EXPECTED = "file expected"  # when a file is due, whether or not it comes
FILE_ARRIVAL = "file arrival"
SCHEDULE_TICK = "schedule tick"
SENSOR_TICK = "sensor tick"
RUN = "run"
KINDS = (FILE_EXPECTED, FILE_ARRIVAL, SCHEDULE_TICK, SENSOR_TICK, RUN)

# Outcomes an event can carry (None for an event that has no outcome, such as a file landing).
SUCCESS = "success"
FAILURE = "failure"
SKIPPED = "skipped"
REQUESTED = "requested"
OUTCOMES = (SUCCESS, FAILURE, SKIPPED, REQUESTED)


@dataclass(frozen=True)
class TimelineEvent:
    """Something that happened at a moment: what kind, a short label, and how it went.

    `lane` is the timeline row the event sits on. It defaults (when empty) to the kind (one lane per kind);
    name an actor instead ("schedule", "sensor") to put a run in the lane of whoever launched it.
    """

    time: datetime
    kind: str
    label: str
    outcome: str | None = None
    detail: str = ""
    lane: str = ""

    def __post_init__(self):
        if not self.lane:
            object.__setattr__(self, "lane", self.kind)  # frozen: set once, here
        if self.time.tzinfo is None:
            raise ValueError(f"event time {self.time} has no time zone; use UTC (clock_time does)")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {', '.join(OUTCOMES)}")


Reported = TimelineEvent | Iterable[TimelineEvent] | None
Action = Callable[[datetime], Reported]


def clock_time(day: date, hh_mm: str) -> datetime:
    """`day` at `"HH:MM"` in UTC, the time zone the lessons' partitions and schedules use."""
    try:
        moment = time.fromisoformat(hh_mm)
    except ValueError:
        raise ValueError(f"expected a time as HH:MM, got {hh_mm!r}") from None
    return datetime.combine(day, moment, tzinfo=timezone.utc)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no time zone; use UTC (clock_time does)")
    return moment


class SimulatedClock:
    """Virtual time starting at `start`: add actions with `at` or `every`, play them with `run_until`."""

    def __init__(self, start: datetime):
        self.now = _aware(start)
        self.events: list[TimelineEvent] = []
        self._due: list[tuple[datetime, int, Action]] = []
        self._order = itertools.count()

    def at(self, when: datetime, action: Action) -> None:
        """Perform `action(when)` at `when`; it returns the events to record (or None)."""
        if _aware(when) < self.now:
            raise ValueError(f"cannot schedule an action at {when}: the clock is already at {self.now}")
        heapq.heappush(self._due, (when, next(self._order), action))

    def every(self, first: datetime, interval: timedelta, until: datetime, action: Action) -> None:
        """Perform `action` at `first`, then every `interval`, up to and including `until`."""
        if interval <= timedelta(0):
            raise ValueError(f"the interval must be positive, got {interval}")
        moment = first
        while moment <= until:
            self.at(moment, action)
            moment += interval

    def record(self, event: TimelineEvent) -> TimelineEvent:
        """Keep an event that happened outside an action (it still belongs on the timeline)."""
        self.events.append(event)
        return event

    def run_until(self, end: datetime) -> list[TimelineEvent]:
        """Perform every action due up to and including `end`, in time order; return their events."""
        _aware(end)
        recorded: list[TimelineEvent] = []
        while self._due and self._due[0][0] <= end:
            when, _, action = heapq.heappop(self._due)
            self.now = when
            reported = action(when)
            if isinstance(reported, TimelineEvent):
                reported = [reported]
            for event in reported or []:
                recorded.append(self.record(event))
        self.now = max(self.now, end)
        return recorded

    @property
    def pending(self) -> list[datetime]:
        """The moments of the actions not performed yet, in order."""
        return [when for when, _, _ in sorted(self._due)]


@contextmanager
def dagster_clock_at(moment: datetime) -> Iterator[None]:
    """Inside the block, Dagster's own "now" is `moment`: what a freshness check compares its
    deadline with (and any other current time Dagster reads). Outside it, the real time again."""
    utc = _aware(moment).astimezone(timezone.utc)
    with (
        mock.patch.object(dagster_time, "_mockable_get_current_datetime", return_value=utc),
        mock.patch.object(dagster_time, "_mockable_get_current_timestamp", return_value=utc.timestamp()),
    ):
        yield
