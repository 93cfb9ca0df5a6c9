"""Widget wiring for the lessons: controls that re-run a plain function and redraw its results.

Every widget in a lesson sits on a plain function the notebook also calls with fixed arguments
(those outputs are committed and checked by nbval). `LiveView(render, **controls)` calls
`render(**values)` once at the start and again whenever a control's value changes, and shows
what it returns in an `Output` widget: a DataFrame, a `TimelinePlot`, a string, or a tuple of
them, one under the other.

Results are added with `Output.append_display_data` / `append_stdout`, never by printing inside
`with output:` (nbval would see that text as the cell's own output). A `render` that raises
shows the error as text in the view and keeps it in `view.error`, instead of the traceback
being swallowed by the widget callback machinery.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Callable

import ipywidgets as widgets

from dagster_and_etl.teaching.clock import clock_time


def time_options(day: date, start: str = "00:00", end: str = "12:00", step_minutes: int = 15) -> list[tuple[str, datetime]]:
    """(`"HH:MM"`, UTC datetime) pairs for `day` from `start` to `end` inclusive, `step_minutes` apart."""
    if step_minutes < 1:
        raise ValueError(f"step_minutes must be at least 1, got {step_minutes}")
    first, last = clock_time(day, start), clock_time(day, end)
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    options, moment = [], first
    while moment <= last:
        options.append((moment.strftime("%H:%M"), moment))
        moment += timedelta(minutes=step_minutes)
    return options


def time_slider(
    description: str, day: date, value: str, start: str = "00:00", end: str = "12:00", step_minutes: int = 15
) -> widgets.SelectionSlider:
    """A slider over the times of one day; its `value` is a UTC datetime, shown as HH:MM."""
    options = time_options(day, start, end, step_minutes)
    chosen = clock_time(day, value)
    if chosen not in [moment for _, moment in options]:
        raise ValueError(f"{value} is not one of the slider's times ({start} to {end} every {step_minutes} min)")
    return widgets.SelectionSlider(
        description=description,
        options=options,
        value=chosen,
        continuous_update=False,  # redraw when the handle is released: each redraw runs real code
        style={"description_width": "initial"},
        layout=widgets.Layout(width="480px"),
    )


class LiveView:
    """Controls above an output area that shows `render(**control_values)`, redrawn on every change.

    Display it as the last expression of a cell. `result` is what the last render returned,
    `error` the exception of the last render that failed (None after a successful one), and
    `renders` how many renders ran.
    """

    def __init__(self, render: Callable[..., Any], **controls: widgets.ValueWidget):
        if not controls:
            raise ValueError("a LiveView needs at least one control")
        self.render = render
        self.controls = controls
        self.output = widgets.Output()
        self.widget = widgets.VBox([*controls.values(), self.output])
        self.result: Any = None
        self.error: BaseException | None = None
        self.renders = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.redraw()

    def redraw(self) -> None:
        self.renders += 1
        try:
            result = self.render(**self.values)
        except Exception as err:  # shown in the view; a widget callback would swallow it
            self.error = err
            self.output.outputs = ()
            self.output.append_stderr(f"{type(err).__name__}: {err}\n")
            return
        self.result, self.error = result, None
        self.output.outputs = ()
        for item in result if isinstance(result, tuple) else (result,):
            if isinstance(item, str):
                self.output.append_stdout(item if item.endswith("\n") else item + "\n")
            elif item is not None:
                self.output.append_display_data(item)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
