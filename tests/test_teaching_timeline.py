from datetime import datetime, timezone

import pytest

from dagster_and_etl.teaching.timeline import TimelineEvent, plot_timeline


def at(hour, minute=0):
    return datetime(2018, 2, 2, hour, minute, tzinfo=timezone.utc)


def test_one_lane_per_actor_in_the_given_order():
    events = [
        TimelineEvent(at(5), "files", "file expected", "expected"),
        TimelineEvent(at(6), "schedule", "schedule tick"),
        TimelineEvent(at(6), "schedule", "run failed", "2018-02-01"),
        TimelineEvent(at(8), "files", "file landed"),
        TimelineEvent(at(8, 15), "sensor", "sensor tick"),
        TimelineEvent(at(8, 15), "sensor", "run ok"),
    ]
    figure = plot_timeline(events, title="morning", lanes=["files", "schedule", "sensor"])
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["sensor", "schedule", "files"]
    assert axes.get_title() == "morning"
    assert {t.get_text() for t in axes.get_legend().get_texts()} == {
        "file expected", "file landed", "schedule tick", "sensor tick", "run ok", "run failed"
    }


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="unknown event kind 'run maybe'"):
        TimelineEvent(at(6), "schedule", "run maybe")
    with pytest.raises(ValueError, match="not listed: sensor"):
        plot_timeline([TimelineEvent(at(6), "sensor", "sensor tick")], lanes=["files"])
    with pytest.raises(ValueError, match="no events"):
        plot_timeline([])
