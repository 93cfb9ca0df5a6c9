"""Tables and timeline plots for the lessons, with stable text so nbval can check them.

- `table(rows, index=...)`: a DataFrame from a list of dicts, times shown as `YYYY-MM-DD HH:MM`.
- `events_table(events)`: the `TimelineEvent`s of a simulated stretch of time as a table.
- `timeline(events, ...)`: a plot with one lane per kind of event (file arrivals, schedule
  ticks, sensor ticks, runs), or one per actor (`TimelineEvent.lane`: the files, the schedule,
  the sensor, each with the runs it launched), marker by kind, coloured by outcome. It returns a `TimelinePlot`, which Jupyter
  shows as a PNG image; its text form lists the events, so nbval (which does not compare
  images) still checks what the plot shows.

The figures are made with `matplotlib.figure.Figure`, not pyplot: nothing is drawn twice, no
global figure state is kept, and no GUI backend is needed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dagster_and_etl.teaching.simulation.clock import (
    FAILURE,
    FILE_ARRIVAL,
    FILE_EXPECTED,
    KINDS,
    OUTCOMES,
    REQUESTED,
    RUN,
    SCHEDULE_TICK,
    SENSOR_TICK,
    SKIPPED,
    SUCCESS,
    TimelineEvent,
)

TIME_FORMAT = "%Y-%m-%d %H:%M"

OUTCOME_COLOURS = {
    SUCCESS: "#2e7d32",
    FAILURE: "#c62828",
    SKIPPED: "#9e9e9e",
    REQUESTED: "#1565c0",
    None: "#37474f",
}
# How each kind is drawn: marker, size, whether filled. A tick is a moment, drawn as a bar, so a
# run launched by that tick (a circle, drawn on top) still shows in the same lane.
KIND_STYLES = {
    FILE_EXPECTED: ("o", 10, False),
    FILE_ARRIVAL: ("v", 10, True),
    SCHEDULE_TICK: ("|", 24, True),
    SENSOR_TICK: ("|", 18, True),
    RUN: ("o", 10, True),
}
OTHER_KIND_STYLE = ("s", 8, True)


def format_time(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def _cell(value):
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_cell(v)) for v in value)
    return "" if value is None else value


def table(rows: Iterable[dict], index: str | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame of `rows` (dicts), datetimes as `YYYY-MM-DD HH:MM`, lists joined, None as blank.

    `index` names the column to index by (so the table shows no meaningless 0, 1, 2 column).
    """
    rows = list(rows)
    frame = pd.DataFrame([{key: _cell(value) for key, value in row.items()} for row in rows], columns=columns)
    return frame.set_index(index) if index else frame


def events_table(events: Iterable[TimelineEvent]) -> pd.DataFrame:
    """The events in time order (same-moment events in the order they happened)."""
    ordered = sorted(events, key=lambda e: e.time)  # sorted() is stable
    return table(
        ({"time": e.time, "event": e.kind, "what": e.label, "outcome": e.outcome, "detail": e.detail} for e in ordered),
        index="time",
        columns=["time", "event", "what", "outcome", "detail"],
    )


def _lanes(events: Sequence[TimelineEvent], lanes: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(e.lane for e in events))
    if lanes is None:
        return [k for k in KINDS if k in present] + [lane for lane in present if lane not in KINDS]
    unlisted = [lane for lane in present if lane not in lanes]
    if unlisted:
        raise ValueError(f"events in lanes not listed in lanes={list(lanes)}: {', '.join(unlisted)}")
    return list(lanes)


def _what(event: TimelineEvent) -> str:
    """The event's label, prefixed by its kind when its lane does not already say it."""
    if event.lane == event.kind:
        return event.label
    return f"{event.kind}: {event.label}" if event.label else event.kind


class TimelinePlot:
    """A drawn timeline: `figure` is the matplotlib Figure; Jupyter shows it as a PNG."""

    def __init__(
        self, figure: Figure, events: Sequence[TimelineEvent], lanes: Sequence[str], start: datetime, end: datetime
    ):
        self.figure = figure
        self.events = list(events)
        self.lanes = list(lanes)
        self.start = start
        self.end = end

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
        return buffer.getvalue()

    def __repr__(self) -> str:
        lines = [f"Timeline {format_time(self.start)} to {format_time(self.end)}"]
        for lane in self.lanes:
            for event in sorted((e for e in self.events if e.lane == lane), key=lambda e: e.time):
                outcome = f" [{event.outcome}]" if event.outcome else ""
                lines.append(f"  {lane:<13} {format_time(event.time)}  {_what(event)}{outcome}")
        return "\n".join(lines)


def _time_axis(axes, start: datetime, end: datetime) -> None:
    span = end - start
    if span <= timedelta(days=1):
        axes.xaxis.set_major_locator(mdates.HourLocator(interval=max(1, round(span / timedelta(hours=1)) // 12)))
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=start.tzinfo))
    else:
        axes.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, span.days // 12)))
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d", tz=start.tzinfo))


def _draw(axes, event: TimelineEvent, y: int) -> None:
    marker, size, filled = KIND_STYLES.get(event.kind, OTHER_KIND_STYLE)
    colour = OUTCOME_COLOURS.get(event.outcome, OUTCOME_COLOURS[None])
    axes.plot(
        [event.time],
        [y],
        linestyle="none",
        marker=marker,
        markersize=size,
        color=colour,
        markerfacecolor=colour if filled else "white",
        markeredgewidth=2.5 if marker == "|" else 1.5,
        zorder=3 if event.kind == RUN else 2,
    )


def _legend(axes, events: Sequence[TimelineEvent]) -> None:
    """Which marker is which kind (only needed when a lane holds several kinds), then the colours."""
    handles = []
    if any(e.lane != e.kind for e in events):
        for kind in [k for k in KINDS if any(e.kind == k for e in events)]:
            marker, _, filled = KIND_STYLES[kind]
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=marker,
                    markersize=8,
                    color=OUTCOME_COLOURS[None],
                    markerfacecolor=OUTCOME_COLOURS[None] if filled else "white",
                    markeredgewidth=1.5,
                    label=kind,
                )
            )
    for outcome in [o for o in OUTCOMES if any(e.outcome == o for e in events)]:
        handles.append(
            Line2D([], [], linestyle="none", marker="s", markersize=8, color=OUTCOME_COLOURS[outcome], label=outcome)
        )
    if handles:
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def timeline(
    events: Iterable[TimelineEvent],
    start: datetime | None = None,
    end: datetime | None = None,
    title: str = "",
    lanes: Sequence[str] | None = None,
    width: float = 9.0,
) -> TimelinePlot:
    """Plot events on their lanes, marker by kind, colour by outcome, labelled.

    `start`/`end` default to the first and last event with a little margin. `lanes` fixes which
    lanes are drawn and in what order, so plots compared side by side keep the same layout; by
    default, the kinds present in `clock.KINDS` order, then other lanes (actors) as they appear.
    Every event's lane must be drawn: one that is not is refused rather than silently left out.
    """
    events = list(events)
    if start is None or end is None:
        if not events:
            raise ValueError("an empty timeline needs an explicit start and end")
        first, last = min(e.time for e in events), max(e.time for e in events)
        margin = max((last - first) / 10, timedelta(minutes=30))
        start = start or first - margin
        end = end or last + margin
    lane_names = _lanes(events, lanes)
    figure = Figure(figsize=(width, 0.8 + 0.7 * max(1, len(lane_names))), layout="constrained")
    axes = figure.add_subplot()
    rows = {lane: len(lane_names) - 1 - i for i, lane in enumerate(lane_names)}  # first lane on top
    close = (end - start) / 4  # labels of events closer than this in one lane would overlap
    # A label that would run past the right edge ends at its marker instead. Its width is
    # estimated (8-point text, about 4.8 points a character; the axes take about 70% of the width).
    axes_points = 0.7 * width * 72
    for lane, y in rows.items():
        previous, below = None, False
        for event in sorted((e for e in events if e.lane == lane and start <= e.time <= end), key=lambda e: e.time):
            _draw(axes, event, y)
            if not event.label:  # e.g. a sensor's routine ticks: a marker is enough
                continue
            # Alternate the label above and below the lane while labelled events crowd together.
            below = previous is not None and event.time - previous < close and not below
            room = (end - event.time) / (end - start) * axes_points
            on_the_right = len(event.label) * 4.8 + 8 > room
            axes.annotate(
                event.label,
                (mdates.date2num(event.time), y),
                xytext=(-4 if on_the_right else 4, -14 if below else 7),
                textcoords="offset points",
                fontsize=8,
                ha="right" if on_the_right else "left",
            )
            previous = event.time
    axes.set_yticks(list(rows.values()), list(rows.keys()))
    axes.set_ylim(-0.6, len(lane_names) - 0.3)
    axes.set_xlim(mdates.date2num(start), mdates.date2num(end))
    _time_axis(axes, start, end)
    axes.grid(axis="x", alpha=0.3)
    _legend(axes, events)
    if title:
        axes.set_title(title, fontsize=10)
    return TimelinePlot(figure, events, lane_names, start, end)
