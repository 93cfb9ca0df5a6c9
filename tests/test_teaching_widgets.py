"""Widget wiring: sliders over the times of a day, and a view redrawn on every change.

ipywidgets runs without a browser here: setting `.value` fires the observers at once.
"""

import base64
from datetime import date, datetime, timezone

import ipywidgets as widgets
import pandas as pd
import pytest

from dagster_and_etl.teaching.display.tables import timeline
from dagster_and_etl.teaching.display.widgets import LiveView, time_options, time_slider
from dagster_and_etl.teaching.simulation.clock import RUN, SUCCESS, TimelineEvent, clock_time

DAY = date(2018, 2, 2)


def test_time_options_cover_the_range_inclusive():
    options = time_options(DAY, "05:00", "06:00", step_minutes=15)
    assert [label for label, _ in options] == ["05:00", "05:15", "05:30", "05:45", "06:00"]
    assert options[-1][1] == datetime(2018, 2, 2, 6, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="step_minutes"):
        time_options(DAY, step_minutes=0)
    with pytest.raises(ValueError, match="before start"):
        time_options(DAY, "08:00", "07:00")


def test_time_slider_holds_a_utc_datetime():
    slider = time_slider("file lands at", DAY, "05:00", start="03:00", end="11:00")
    assert slider.value == clock_time(DAY, "05:00")
    assert slider.label == "05:00"
    assert len(slider.options) == 33
    with pytest.raises(ValueError, match="not one of the slider's times"):
        time_slider("file lands at", DAY, "05:07")


def test_live_view_renders_at_once_and_on_every_change():
    calls = []

    def render(arrival, tick_time):
        calls.append((arrival, tick_time))
        return f"{arrival:%H:%M} -> {tick_time:%H:%M}"

    arrival = time_slider("file lands at", DAY, "05:00")
    tick_time = time_slider("schedule ticks at", DAY, "06:00")
    view = LiveView(render, arrival=arrival, tick_time=tick_time)
    assert view.renders == 1 and view.result == "05:00 -> 06:00"
    assert view.output.outputs == ({"output_type": "stream", "name": "stdout", "text": "05:00 -> 06:00\n"},)

    arrival.value = clock_time(DAY, "08:00")
    tick_time.value = clock_time(DAY, "06:30")
    assert view.renders == 3
    assert calls[-1] == (clock_time(DAY, "08:00"), clock_time(DAY, "06:30"))
    assert [o["text"] for o in view.output.outputs] == ["08:00 -> 06:30\n"]  # replaced, not appended
    assert view.widget.children == (arrival, tick_time, view.output)


def test_live_view_shows_tables_and_plots_as_rich_output():
    moment = clock_time(DAY, "06:00")

    def render(value):
        events = [TimelineEvent(moment, RUN, "scheduled run", SUCCESS)]
        return (
            "verdict",
            pd.DataFrame({"value": [value]}),
            timeline(events, start=clock_time(DAY, "00:00"), end=clock_time(DAY, "12:00")),
        )

    view = LiveView(render, value=widgets.IntSlider(value=3))
    text, frame, plot = view.output.outputs
    assert text["text"] == "verdict\n"
    assert "text/html" in frame["data"] and "3" in frame["data"]["text/plain"]
    assert "image/png" in plot["data"] and "scheduled run [success]" in plot["data"]["text/plain"]
    # As base64 text: bytes would travel as a binary buffer, shown as a broken image in the browser.
    assert base64.b64decode(plot["data"]["image/png"]).startswith(b"\x89PNG")


def test_a_failing_render_is_shown_and_the_next_change_recovers():
    def render(n):
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        return f"n = {n}"

    slider = widgets.IntSlider(value=1, min=-5, max=5)
    view = LiveView(render, n=slider)
    slider.value = -2
    assert isinstance(view.error, ValueError)
    assert view.output.outputs[-1]["name"] == "stderr"
    assert "n must not be negative, got -2" in view.output.outputs[-1]["text"]
    assert view.result == "n = 1"  # the last good result is kept
    slider.value = 2
    assert view.error is None and view.result == "n = 2"
    assert [o["text"] for o in view.output.outputs] == ["n = 2\n"]


def test_live_view_needs_a_control_and_displays_as_its_widget():
    with pytest.raises(ValueError, match="at least one control"):
        LiveView(lambda: None)
    view = LiveView(lambda n: None, n=widgets.IntSlider())
    assert view.output.outputs == ()
    assert "application/vnd.jupyter.widget-view+json" in view._repr_mimebundle_()
