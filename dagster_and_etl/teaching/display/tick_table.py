"""A folder sensor's ticks as one short table: files seen, runs requested (partition and run key), the cursor."""

from __future__ import annotations

import json
from collections.abc import Sequence

from dagster_and_etl.teaching.simulation.folder_ticks import FolderTick

ARROW = "←"


def cursor_text(cursor: str | None) -> str:
    """A cursor in a few words: none, a JSON object as its number of entries, anything else as it is."""
    if not cursor:
        return "none"
    try:
        state = json.loads(cursor)
    except ValueError:
        return cursor
    if isinstance(state, dict):
        return f"{len(state)} entr{'y' if len(state) == 1 else 'ies'}"
    return cursor


def request_lines(ticks: Sequence[FolderTick]) -> list[list[str]]:
    """Per tick, each request as `partition ← run key`, marked when an earlier tick used its run key
    (the daemon skips such a request: a run key is used once)."""
    first_use: dict[str, int] = {}
    per_tick = []
    for number, tick in enumerate(ticks, start=1):
        lines = []
        for request in sorted(tick.run_requests, key=lambda r: str(r.partition_key)):
            line = f"{request.partition_key} {ARROW} {request.run_key}"
            key = str(request.run_key)
            if key in first_use:
                line += f"  (key used at tick {first_use[key]}: skipped)"
            else:
                first_use[key] = number
            lines.append(line)
        per_tick.append(lines or ["nothing"])
    return per_tick


class TickTable:
    """The table as text (what Jupyter shows), one row per tick and one line per request."""

    def __init__(self, ticks: Sequence[FolderTick]):
        self.ticks = list(ticks)
        header = ("tick", "at", "files", f"requested: partition {ARROW} run key", "cursor after")
        requests = request_lines(self.ticks)
        rows = []
        for number, (tick, lines) in enumerate(zip(self.ticks, requests), start=1):
            at = f"{tick.at:%m-%d %H:%M}" if tick.at else ""
            rows.append((str(number), at, str(len(tick.files)), lines[0], cursor_text(tick.cursor_after)))
            rows.extend(("", "", "", line, "") for line in lines[1:])
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        self.lines = [
            "  ".join(
                cell.rjust(w) if i == 2 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()
            for row in [header, *rows]
        ]

    def __repr__(self) -> str:
        return "\n".join(self.lines)


def tick_table(ticks: Sequence[FolderTick]) -> TickTable:
    """`play_folder_ticks`'s ticks as a table: tick number and time, CSV files in the folder, the
    runs requested (partition and run key), and the cursor the tick returned."""
    return TickTable(ticks)
