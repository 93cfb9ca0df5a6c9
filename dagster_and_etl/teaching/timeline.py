"""A timeline of a (virtual) morning: files landing, schedule and sensor ticks, runs that
succeeded or failed, one horizontal lane per actor.

    plot_timeline([TimelineEvent(when, "schedule", "schedule tick"), ...], title="...")

returns a matplotlib `Figure` (closed, so a notebook shows it once, where the cell returns it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

# How each kind of event is drawn: marker, colour, size.
EVENT_STYLES = {
    "file expected": ("o", "none", 90),
    "file landed": ("v", "tab:blue", 90),
    "schedule tick": ("|", "tab:gray", 220),
    "sensor tick": ("|", "tab:gray", 120),
    "run ok": ("o", "tab:green", 80),
    "run failed": ("X", "tab:red", 100),
}


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime
    lane: str  # who: "files", "schedule", "sensor", ...
    kind: str  # a key of EVENT_STYLES
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_STYLES:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {', '.join(EVENT_STYLES)}")


def plot_timeline(
    events: Iterable[TimelineEvent], title: str = "", lanes: Sequence[str] | None = None, width: float = 9.0
) -> plt.Figure:
    """One lane per actor (top to bottom in `lanes` order, else first appearance), time across."""
    events = list(events)
    if not events:
        raise ValueError("nothing to plot: no events")
    lanes = list(lanes) if lanes else list(dict.fromkeys(e.lane for e in events))
    unknown = {e.lane for e in events} - set(lanes)
    if unknown:
        raise ValueError(f"events in lanes not listed: {', '.join(sorted(unknown))}")
    row = {lane: len(lanes) - 1 - i for i, lane in enumerate(lanes)}

    figure, axes = plt.subplots(figsize=(width, 0.8 + 0.7 * len(lanes)))
    for kind, (marker, colour, size) in EVENT_STYLES.items():
        chosen = [e for e in events if e.kind == kind]
        if not chosen:
            continue
        # An open marker ("none") is drawn by its edge; a line marker ("|") by its colour alone.
        colours = {"edgecolors": "tab:blue", "facecolors": "none"} if colour == "none" else {"c": colour}
        axes.scatter(
            [e.when for e in chosen], [row[e.lane] for e in chosen], marker=marker, s=size,
            label=kind, zorder=3, **colours,
        )
        for e in chosen:
            if e.label:
                axes.annotate(e.label, (mdates.date2num(e.when), row[e.lane]), textcoords="offset points",
                              xytext=(0, 9), ha="center", fontsize=8)
    axes.set_yticks(range(len(lanes)), list(reversed(lanes)))
    axes.set_ylim(-0.7, len(lanes) - 0.3)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if title:
        axes.set_title(title)
    figure.tight_layout()
    plt.close(figure)
    return figure
