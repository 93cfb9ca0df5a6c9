"""Widget wiring for the lessons: controls that re-run a plain function and redraw its results.

Every widget in a lesson sits on a plain function the notebook also calls with fixed arguments
(those outputs are committed and checked by nbval). `LiveView(render, **controls)` calls
`render(**values)` once at the start and again whenever a control's value changes, and shows
what it returns in an `Output` widget: a DataFrame, a `TimelinePlot`, a string, or a tuple of
them, one under the other.

Results are shown by setting the `Output` widget's `outputs` in one assignment (`show`), never by
printing inside `with output:` (nbval would see that text as the cell's own output), nor with
`clear_output()`, which is a message that can reach the browser after the new outputs and wipe
them. A `render` that raises shows the error as text in the view and keeps it in `view.error`,
instead of the traceback being swallowed by the widget callback machinery.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import ipywidgets as widgets
from IPython.core.interactiveshell import InteractiveShell

from dagster_and_etl.teaching.simulation.clock import clock_time


def time_options(
    day: date, start: str = "00:00", end: str = "12:00", step_minutes: int = 15
) -> list[tuple[str, datetime]]:
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


def stream_output(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text if text.endswith("\n") else text + "\n"}


def display_output(item: Any) -> dict:
    """`item` as a display output, the way Jupyter formats a cell's result (a PNG, an HTML table...)."""
    formatter = InteractiveShell.instance().display_formatter
    assert formatter is not None  # an InteractiveShell always has one
    data, metadata = formatter.format(item)
    # Bytes (a PNG) in a widget's state travel as a binary buffer, which the Output widget's
    # front end shows as a broken image: send them as base64 text, as cell outputs are.
    data = {
        mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
        for mime, value in data.items()
    }
    return {"output_type": "display_data", "data": data, "metadata": metadata}


def show(output: widgets.Output, *items: Any) -> None:
    """Replace what `output` shows with `items` (text as stdout, anything else as display data)."""
    output.outputs = tuple(
        stream_output(item) if isinstance(item, str) else display_output(item) for item in items if item is not None
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
            self.output.outputs = (stream_output(f"{type(err).__name__}: {err}", name="stderr"),)
            return
        self.result, self.error = result, None
        show(self.output, *(result if isinstance(result, tuple) else (result,)))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
