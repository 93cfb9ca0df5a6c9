"""Drop prepared files into a lesson's folder and tick a sensor, by hand or with buttons.

`SensorPlayground` holds a workspace, a `DaemonLikeLoop` and a virtual clock: each drop
happens one step later on the clock (so run keys are the same on every run), each tick runs
what the sensor asks for. Its methods return text; `widget()` only wires buttons to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ipywidgets as widgets

from dagster_and_etl.file_scan import scan_folder
from dagster_and_etl.sample_data import PREPARED_FILES
from dagster_and_etl.teaching.cursors import readable_cursor
from dagster_and_etl.teaching.landing import land_prepared
from dagster_and_etl.teaching.quiet import quiet
from dagster_and_etl.teaching.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.sensor_ticks import TickOutcome, report_lines, tick_lines
from dagster_and_etl.teaching.widgets import show
from dagster_and_etl.teaching.workspace import LessonWorkspace
from dagster_and_etl.warehouse import DYNAMIC_TABLE

# The buttons: (label, prepared file).
DROPS = (
    ("on time", "on_time"),
    ("late", "late"),
    ("corrected re-upload", "corrected"),
    ("partial (.part)", "partial"),
    ("bad file", "bad_price"),
)


class SensorPlayground:
    def __init__(self, workspace: LessonWorkspace, loop: DaemonLikeLoop, start: datetime,
                 step: timedelta = timedelta(minutes=30)):
        self.workspace = workspace
        self.loop = loop
        self.clock = start
        self.step = step
        self.seen = {}

    def drop(self, prepared: str) -> str:
        """Drop a prepared file (a key of `PREPARED_FILES`), written now on the virtual clock."""
        self.clock += self.step
        path = land_prepared(self.workspace, prepared, mtime=self.clock)
        return f"{self.clock:%Y-%m-%d %H:%M} dropped {path.name}: {PREPARED_FILES[prepared].description}"

    def tick(self) -> str:
        """Tick the sensor once and run what it asks for; return the tick, as `play_ticks` shows it."""
        for file in scan_folder(self.workspace.source).landed:
            self.seen[file.run_key] = file
        with quiet():
            report = self.loop.tick()
        outcome = TickOutcome(
            report.cursor_before, report.cursor_after,
            [(r.run_key, r.partition_key) for r in report.requested],
            sorted({r.partition_key for r in report.requested}),
            report.skip_message,
        )
        root = self.workspace.root
        return "\n".join([*tick_lines(outcome, self.seen.values(), root), *report_lines(report, root)])

    def view(self) -> str:
        """The cursor (readable), and the rows per partition in the table."""
        cursor = readable_cursor(self.loop.cursor, self.seen.values())
        rows = self.workspace.row_counts(DYNAMIC_TABLE)
        return "\n".join([
            f"cursor ({len(cursor)} file{'' if len(cursor) == 1 else 's'}):", *(f"  {entry}" for entry in cursor),
            f"{DYNAMIC_TABLE} rows per partition:", *(f"  {key}: {n}" for key, n in rows.items()),
        ])

    def widget(self) -> widgets.VBox:
        last, state = widgets.Output(), widgets.Output()

        def show_step(text: str) -> None:
            show(last, text)
            show(state, self.view())

        buttons = []
        for label, prepared in DROPS:
            button = widgets.Button(
                description=f"drop: {label}", tooltip=PREPARED_FILES[prepared].description,
                layout=widgets.Layout(width="auto"),  # the whole label, not "drop: corrected r..."
            )
            button.on_click(lambda _, prepared=prepared: show_step(self.drop(prepared)))
            buttons.append(button)
        tick = widgets.Button(description="tick the sensor", button_style="primary")
        tick.on_click(lambda _: show_step(self.tick()))
        show_step("Drop files, then tick the sensor.")
        # One under the other: side by side, the lines of a tick wrap in the middle of words.
        return widgets.VBox([widgets.HBox(buttons), tick, last, state])
