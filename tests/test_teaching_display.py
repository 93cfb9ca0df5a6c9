"""Tables and timeline plots: stable text, the right marks in the right lanes."""

from datetime import date, datetime, timedelta, timezone

import matplotlib.dates as mdates
import pytest
from matplotlib.colors import to_hex

from dagster_and_etl.teaching.display.tables import OUTCOME_COLOURS, events_table, table, timeline
from dagster_and_etl.teaching.simulation.clock import (
    FAILURE,
    FILE_ARRIVAL,
    FILE_EXPECTED,
    REQUESTED,
    RUN,
    SCHEDULE_TICK,
    SENSOR_TICK,
    SKIPPED,
    SUCCESS,
    TimelineEvent,
    clock_time,
)

DAY = date(2018, 2, 2)


def at(hh_mm: str) -> datetime:
    return clock_time(DAY, hh_mm)


MORNING = [
    TimelineEvent(at("08:00"), FILE_ARRIVAL, "2018-02-01.csv lands"),
    TimelineEvent(at("06:00"), SCHEDULE_TICK, "requests 2018-02-01", REQUESTED),
    TimelineEvent(at("06:00"), RUN, "scheduled run", FAILURE, "2018-02-01.csv: file not found"),
    TimelineEvent(at("08:15"), RUN, "operator re-run", SUCCESS),
]


def test_table_formats_times_lists_and_blanks():
    frame = table(
        [
            {"tick": at("06:00"), "requests": ["2018-02-01"], "skip reason": None},
            {"tick": at("06:00") - timedelta(days=11), "requests": [], "skip reason": "no partitions"},
        ],
        index="tick",
    )
    assert list(frame.index) == ["2018-02-02 06:00", "2018-01-22 06:00"]
    assert frame["requests"].tolist() == ["2018-02-01", ""]
    assert frame["skip reason"].tolist() == ["", "no partitions"]
    assert table([{"day": date(2018, 1, 22), "rows": 8}])["day"].tolist() == ["2018-01-22"]


def test_table_of_no_rows_keeps_its_columns():
    assert list(table([], columns=["partition", "status"]).columns) == ["partition", "status"]


def test_events_table_is_in_time_order_and_keeps_same_moment_order():
    frame = events_table(MORNING)
    assert list(frame.index) == ["2018-02-02 06:00", "2018-02-02 06:00", "2018-02-02 08:00", "2018-02-02 08:15"]
    assert frame["what"].tolist() == ["requests 2018-02-01", "scheduled run", "2018-02-01.csv lands", "operator re-run"]
    assert frame["outcome"].tolist() == ["requested", "failure", "", "success"]


def _lanes_top_down(plot):
    axes = plot.figure.axes[0]
    placed = zip(axes.get_yticks(), (label.get_text() for label in axes.get_yticklabels()))
    return [name for _, name in sorted(placed, reverse=True)]


def _marks(plot):
    """(lane name, time, colour) for every marker drawn."""
    axes = plot.figure.axes[0]
    lane_at = {round(y): label.get_text() for y, label in zip(axes.get_yticks(), axes.get_yticklabels())}
    marks = []
    for line in axes.get_lines():
        (x,), (y,) = line.get_xdata(), line.get_ydata()
        when = x if isinstance(x, datetime) else mdates.num2date(x)
        marks.append((lane_at[round(y)], when, to_hex(line.get_color())))
    return sorted(marks, key=lambda m: (m[1], m[0]))


def test_timeline_draws_each_event_in_its_lane_coloured_by_outcome():
    plot = timeline(MORNING, start=at("00:00"), end=at("12:00"))
    assert plot.lanes == [FILE_ARRIVAL, SCHEDULE_TICK, RUN]  # the kinds present, in KINDS order
    axes = plot.figure.axes[0]
    assert _lanes_top_down(plot) == [FILE_ARRIVAL, SCHEDULE_TICK, RUN]
    assert _marks(plot) == [
        (RUN, at("06:00"), OUTCOME_COLOURS[FAILURE]),
        (SCHEDULE_TICK, at("06:00"), OUTCOME_COLOURS[REQUESTED]),
        (FILE_ARRIVAL, at("08:00"), OUTCOME_COLOURS[None]),
        (RUN, at("08:15"), OUTCOME_COLOURS[SUCCESS]),
    ]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [SUCCESS, FAILURE, REQUESTED]
    assert [label.get_text() for label in axes.get_xticklabels()][:3] == ["00:00", "01:00", "02:00"]


def test_close_labels_in_one_lane_alternate_above_and_below():
    plot = timeline(MORNING, start=at("00:00"), end=at("12:00"))
    offsets = {a.get_text(): a.xyann[1] for a in plot.figure.axes[0].texts}
    assert offsets["scheduled run"] > 0 > offsets["operator re-run"]
    assert offsets["2018-02-01.csv lands"] > 0


def test_explicit_lanes_fix_the_layout_and_unlabelled_events_get_no_text():
    ticks = [TimelineEvent(at("05:00") + timedelta(minutes=m), SENSOR_TICK, "") for m in range(0, 60, 10)]
    plot = timeline(ticks, start=at("04:00"), end=at("07:00"), lanes=[FILE_ARRIVAL, SENSOR_TICK, RUN])
    axes = plot.figure.axes[0]
    assert _lanes_top_down(plot) == [FILE_ARRIVAL, SENSOR_TICK, RUN]
    assert len(axes.get_lines()) == 6
    assert len(axes.texts) == 0


def test_events_outside_the_window_are_left_out():
    plot = timeline(MORNING, start=at("05:00"), end=at("07:00"))
    assert [when for _, when, _ in _marks(plot)] == [at("06:00"), at("06:00")]


def test_default_window_spans_the_events_with_a_margin():
    plot = timeline(MORNING)
    assert plot.start < at("06:00") and plot.end > at("08:15")
    with pytest.raises(ValueError, match="explicit start and end"):
        timeline([])


def test_a_window_of_several_days_is_labelled_by_date():
    week = [TimelineEvent(clock_time(date(2018, 1, 22 + n), "06:00"), SCHEDULE_TICK, "") for n in range(7)]
    plot = timeline(week, start=clock_time(date(2018, 1, 22), "00:00"), end=clock_time(date(2018, 1, 29), "00:00"))
    assert [label.get_text() for label in plot.figure.axes[0].get_xticklabels()][:2] == ["01-22", "01-23"]


def test_text_form_lists_the_events_and_the_image_is_a_png():
    plot = timeline(MORNING, start=at("00:00"), end=at("12:00"), title="the late file")
    assert repr(plot).splitlines() == [
        "Timeline 2018-02-02 00:00 to 2018-02-02 12:00",
        "  file arrival  2018-02-02 08:00  2018-02-01.csv lands",
        "  schedule tick 2018-02-02 06:00  requests 2018-02-01 [requested]",
        "  run           2018-02-02 06:00  scheduled run [failure]",
        "  run           2018-02-02 08:15  operator re-run [success]",
    ]
    png = plot._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert plot._repr_png_() == png  # the same figure draws the same bytes
    assert plot.figure.axes[0].get_title() == "the late file"


def test_times_keep_their_zone_on_the_axis():
    plot = timeline(MORNING, start=at("00:00"), end=at("12:00"))
    left, right = plot.figure.axes[0].get_xlim()
    assert mdates.num2date(left) == datetime(2018, 2, 2, 0, 0, tzinfo=timezone.utc)
    assert mdates.num2date(right) == datetime(2018, 2, 2, 12, 0, tzinfo=timezone.utc)


# Lesson 03's morning: one lane per actor, each run in the lane of whoever launched it.
BY_ACTOR = [
    TimelineEvent(at("05:00"), FILE_EXPECTED, "2018-02-01.csv", lane="files"),
    TimelineEvent(at("06:00"), SCHEDULE_TICK, "", REQUESTED, lane="schedule"),
    TimelineEvent(at("06:00"), RUN, "2018-02-01", FAILURE, "file not found", lane="schedule"),
    TimelineEvent(at("07:45"), SENSOR_TICK, "", SKIPPED, lane="sensor"),
    TimelineEvent(at("08:00"), FILE_ARRIVAL, "2018-02-01.csv", lane="files"),
    TimelineEvent(at("08:15"), SENSOR_TICK, "", REQUESTED, lane="sensor"),
    TimelineEvent(at("08:15"), RUN, "2018-02-01", SUCCESS, lane="sensor"),
]


def test_lanes_by_actor_hold_several_kinds_and_the_legend_names_the_markers():
    plot = timeline(BY_ACTOR, start=at("04:00"), end=at("09:00"))
    assert plot.lanes == ["files", "schedule", "sensor"]  # not kinds: in order of first appearance
    assert _lanes_top_down(plot) == ["files", "schedule", "sensor"]
    assert _marks(plot) == [
        ("files", at("05:00"), OUTCOME_COLOURS[None]),
        ("schedule", at("06:00"), OUTCOME_COLOURS[REQUESTED]),
        ("schedule", at("06:00"), OUTCOME_COLOURS[FAILURE]),
        ("sensor", at("07:45"), OUTCOME_COLOURS[SKIPPED]),
        ("files", at("08:00"), OUTCOME_COLOURS[None]),
        ("sensor", at("08:15"), OUTCOME_COLOURS[REQUESTED]),
        ("sensor", at("08:15"), OUTCOME_COLOURS[SUCCESS]),
    ]
    legend = [t.get_text() for t in plot.figure.axes[0].get_legend().get_texts()]
    assert legend == [
        FILE_EXPECTED,
        FILE_ARRIVAL,
        SCHEDULE_TICK,
        SENSOR_TICK,
        RUN,
        SUCCESS,
        FAILURE,
        SKIPPED,
        REQUESTED,
    ]


def test_an_expected_file_is_an_open_marker_and_runs_are_drawn_over_ticks():
    plot = timeline(BY_ACTOR, start=at("04:00"), end=at("09:00"))
    lines = plot.figure.axes[0].get_lines()
    expected = [line for line in lines if line.get_marker() == "o" and line.get_markerfacecolor() == "white"]
    assert len(expected) == 1 and expected[0].get_xdata()[0] == at("05:00")
    runs = [line for line in lines if line.get_marker() == "o" and line.get_markerfacecolor() != "white"]
    ticks = [line for line in lines if line.get_marker() == "|"]
    assert len(runs) == 2 and len(ticks) == 3
    assert min(run.get_zorder() for run in runs) > max(tick.get_zorder() for tick in ticks)


def test_text_form_names_the_kind_when_the_lane_is_an_actor():
    plot = timeline(BY_ACTOR, start=at("04:00"), end=at("09:00"), lanes=["files", "schedule", "sensor"])
    assert repr(plot).splitlines() == [
        "Timeline 2018-02-02 04:00 to 2018-02-02 09:00",
        "  files         2018-02-02 05:00  file expected: 2018-02-01.csv",
        "  files         2018-02-02 08:00  file arrival: 2018-02-01.csv",
        "  schedule      2018-02-02 06:00  schedule tick [requested]",
        "  schedule      2018-02-02 06:00  run: 2018-02-01 [failure]",
        "  sensor        2018-02-02 07:45  sensor tick [skipped]",
        "  sensor        2018-02-02 08:15  sensor tick [requested]",
        "  sensor        2018-02-02 08:15  run: 2018-02-01 [success]",
    ]


def test_a_label_near_the_right_edge_ends_at_its_marker():
    plot = timeline(MORNING, start=at("00:00"), end=at("08:30"))
    alignment = {a.get_text(): a.get_horizontalalignment() for a in plot.figure.axes[0].texts}
    assert alignment["scheduled run"] == "left"
    assert alignment["operator re-run"] == "right"


def test_an_event_in_a_lane_not_drawn_is_refused_not_dropped():
    with pytest.raises(ValueError, match=r"events in lanes not listed in lanes=\['files', 'schedule'\]: sensor"):
        timeline(BY_ACTOR, start=at("04:00"), end=at("09:00"), lanes=["files", "schedule"])
