"""Sensor ticks played for people: a scripted scenario, or buttons that drop files and tick.

- `tick_lines(outcome)`: what a tick asked for, with the cursor as a readable diff;
  `report_lines(outcome)`: what a `DaemonLikeLoop` did with it (runs skipped, succeeded, failed).
- `play_ticks(steps, workspace, loop)`: for each scripted step, change the folder, call the sensor
  directly and tick the loop, check both paths agree, and print the tick.
- `SensorPlayground` holds a workspace, a `DaemonLikeLoop` and a virtual clock: each drop happens
  one step later on the clock (so run keys are the same on every run), each tick runs what the
  sensor asks for. Its methods return text; `widget()` only wires buttons to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import ipywidgets as widgets

from dagster_and_etl.file_scan import LandedFile, scan_folder
from dagster_and_etl.sample_data import PREPARED_FILES
from dagster_and_etl.teaching.display.cursors import cursor_diff, readable_cursor
from dagster_and_etl.teaching.display.run_keys import RunKeyNames, shown_run_key
from dagster_and_etl.teaching.display.widgets import show
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace, land_prepared
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.simulation.runs import relative_to_root
from dagster_and_etl.teaching.simulation.ticks import TickOutcome, call_sensor
from dagster_and_etl.warehouse import DYNAMIC_TABLE


def tick_lines(
    outcome: TickOutcome,
    known_files: Iterable[LandedFile] = (),
    root: Path | None = None,
    names: RunKeyNames | None = None,
) -> list[str]:
    """The tick for people: the cursor diff, the run requests and the partitions to add. A
    reference run key, which names its file's change time, is shown as `name, landing N`
    (numbered by `names`, shared across a story's ticks)."""
    names = names or RunKeyNames()
    lines = cursor_diff(outcome.cursor_before, outcome.cursor_after, known_files)
    keys = sorted(shown_run_key(str(request.run_key), names) for request in outcome.run_requests)
    lines.append(f"run requests: {len(keys)}" + (f"  (run keys {', '.join(keys)})" if keys else ""))
    lines.append(f"partitions to add: {', '.join(repr(k) for k in sorted(outcome.added_partitions)) or 'none'}")
    if outcome.skip_message:
        lines.append(f"skipped: {relative_to_root(outcome.skip_message, root)}")
    lines.extend(f"warning: {relative_to_root(w, root)}" for w in outcome.warnings)
    return lines


def report_lines(outcome: TickOutcome, root: Path | None = None, names: RunKeyNames | None = None) -> list[str]:
    """What a `DaemonLikeLoop` tick did: skipped run keys (as `tick_lines` shows them), runs that
    succeeded and failed."""
    names = names or RunKeyNames()
    skipped = sorted(shown_run_key(key, names) for key in outcome.skipped_run_keys)
    lines = [
        f"daemon: {len(outcome.run_requests)} requested, {len(skipped)} skipped as already run"
        + (f" ({', '.join(skipped)})" if skipped else "")
    ]
    if outcome.succeeded:
        lines.append(f"  ran ok: {', '.join(sorted(outcome.succeeded))}")
    for key, message in sorted(outcome.failed.items()):
        lines.append(f"  run failed for partition {key!r}: {relative_to_root(message, root)}")
    return lines


def _remember_files(workspace: LessonWorkspace, seen: dict[str, LandedFile]) -> None:
    """Add the folder's files to `seen` (by run key), so a cursor's digests can be named."""
    for file in scan_folder(workspace.source).landed:
        seen[file.run_key] = file


def play_ticks(
    steps: Iterable[tuple[str, Callable[[LessonWorkspace], object]]],
    workspace: LessonWorkspace,
    loop: DaemonLikeLoop,
    show: bool = True,
) -> list[TickOutcome]:
    """For each (label, step): change the folder, call the sensor directly with the loop's cursor,
    then tick the loop (`evaluate_tick`, register partitions, skip run keys already run, run the
    rest). Checks that both paths asked for the same runs and cursor; each outcome is the direct
    call's (with its log and skip message) with the step's label and what the loop's runs did."""
    sensor = loop.defs.resolve_sensor_def(loop.sensor_name)
    seen: dict[str, LandedFile] = {}
    names = RunKeyNames()
    played = []
    for label, step in steps:
        step(workspace)
        _remember_files(workspace, seen)
        direct = call_sensor(sensor, loop.defs.resources or {}, loop.cursor)
        with quiet():
            ticked = loop.tick()
        if sorted(ticked.run_requests) != sorted(direct.run_requests) or ticked.cursor_after != direct.cursor_after:
            raise AssertionError(f"{label}: {sensor.name} called directly and through evaluate_tick disagree")
        # What the sensor asked for, as the direct call returned it; what the loop's runs did.
        played.append(
            replace(
                direct,
                label=label,
                registered_partitions=ticked.registered_partitions,
                skipped_run_keys=ticked.skipped_run_keys,
                succeeded=ticked.succeeded,
                failed=ticked.failed,
            )
        )
        if show:
            lines = tick_lines(played[-1], seen.values(), workspace.root, names)
            lines += report_lines(played[-1], workspace.root, names)
            print("\n".join([f"== {label}", *lines]))
    return played


# The buttons: (label, prepared file).
DROPS = (
    ("on time", "on_time"),
    ("late", "late"),
    ("corrected re-upload", "corrected"),
    ("partial (.part)", "partial"),
    ("bad file", "bad_price"),
)


class SensorPlayground:
    def __init__(
        self, workspace: LessonWorkspace, loop: DaemonLikeLoop, start: datetime, step: timedelta = timedelta(minutes=30)
    ):
        self.workspace = workspace
        self.loop = loop
        self.clock = start
        self.step = step
        self.seen: dict[str, LandedFile] = {}
        self.names = RunKeyNames()

    def drop(self, prepared: str) -> str:
        """Drop a prepared file (a key of `PREPARED_FILES`), written now on the virtual clock."""
        self.clock += self.step
        path = land_prepared(self.workspace, prepared, mtime=self.clock)
        return f"{self.clock:%Y-%m-%d %H:%M} dropped {path.name}: {PREPARED_FILES[prepared].description}"

    def tick(self) -> str:
        """Tick the sensor once and run what it asks for; return the tick, as `play_ticks` shows it."""
        _remember_files(self.workspace, self.seen)
        with quiet():
            outcome = self.loop.tick()
        root = self.workspace.root
        lines = [*tick_lines(outcome, self.seen.values(), root, self.names), *report_lines(outcome, root, self.names)]
        return "\n".join(lines)

    def view(self) -> str:
        """The cursor (readable), and the rows per partition in the table."""
        cursor = readable_cursor(self.loop.cursor, self.seen.values())
        rows = self.workspace.row_counts(DYNAMIC_TABLE)
        return "\n".join(
            [
                f"cursor ({len(cursor)} file{'' if len(cursor) == 1 else 's'}):",
                *(f"  {entry}" for entry in cursor),
                f"{DYNAMIC_TABLE} rows per partition:",
                *(f"  {key}: {n}" for key, n in rows.items()),
            ]
        )

    def widget(self) -> widgets.VBox:
        last, state = widgets.Output(), widgets.Output()

        def show_step(text: str) -> None:
            show(last, text)
            show(state, self.view())

        buttons = []
        for label, prepared in DROPS:
            button = widgets.Button(
                description=f"drop: {label}",
                tooltip=PREPARED_FILES[prepared].description,
                layout=widgets.Layout(width="auto"),  # the whole label, not "drop: corrected r..."
            )
            button.on_click(lambda _, prepared=prepared: show_step(self.drop(prepared)))
            buttons.append(button)
        tick = widgets.Button(description="tick the sensor", button_style="primary")
        tick.on_click(lambda _: show_step(self.tick()))
        show_step("Drop files, then tick the sensor.")
        # One under the other: side by side, the lines of a tick wrap in the middle of words.
        return widgets.VBox([widgets.HBox(buttons), tick, last, state])
