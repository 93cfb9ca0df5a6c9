"""The simulated clock: actions in time order, ties in the order added, events kept."""

from datetime import date, datetime, timedelta, timezone

import pytest

from dagster_and_etl.teaching.simulation.clock import (
    FAILURE,
    FILE_ARRIVAL,
    RUN,
    SCHEDULE_TICK,
    SENSOR_TICK,
    SimulatedClock,
    TimelineEvent,
    clock_time,
)

DAY = date(2018, 2, 2)


def at(hh_mm: str) -> datetime:
    return clock_time(DAY, hh_mm)


def test_clock_time_is_utc_on_the_day():
    assert clock_time(DAY, "05:45") == datetime(2018, 2, 2, 5, 45, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["5h", "25:00", "", "06:00 pm"])
def test_clock_time_rejects_what_is_not_hh_mm(text):
    with pytest.raises(ValueError, match="HH:MM"):
        clock_time(DAY, text)


def test_event_needs_a_time_zone_and_a_known_outcome():
    with pytest.raises(ValueError, match="time zone"):
        TimelineEvent(datetime(2018, 2, 2, 6), RUN, "run")
    with pytest.raises(ValueError, match="unknown outcome"):
        TimelineEvent(at("06:00"), RUN, "run", outcome="fine")


def test_an_event_sits_in_its_kinds_lane_unless_given_one():
    assert TimelineEvent(at("06:00"), RUN, "scheduled run").lane == RUN
    assert TimelineEvent(at("06:00"), RUN, "2018-02-01", lane="schedule").lane == "schedule"


def test_actions_run_in_time_order_with_the_clock_at_their_moment():
    clock = SimulatedClock(at("00:00"))
    seen = []

    def note(label):
        def action(now):
            seen.append((label, now, clock.now))
            return TimelineEvent(now, RUN, label)

        return action

    clock.at(at("08:00"), note("late"))
    clock.at(at("05:00"), note("early"))
    clock.at(at("06:00"), note("middle"))
    events = clock.run_until(at("12:00"))

    assert [label for label, _, _ in seen] == ["early", "middle", "late"]
    assert all(now == clock_now for _, now, clock_now in seen)
    assert [e.label for e in events] == ["early", "middle", "late"]
    assert clock.events == events
    assert clock.now == at("12:00")


def test_actions_at_the_same_moment_run_in_the_order_added():
    clock = SimulatedClock(at("00:00"))
    order = []
    for label in ["file lands", "schedule ticks", "sensor ticks"]:
        clock.at(at("06:00"), lambda now, label=label: order.append(label))
    clock.run_until(at("06:00"))
    assert order == ["file lands", "schedule ticks", "sensor ticks"]


def test_run_until_stops_at_the_end_and_keeps_later_actions():
    clock = SimulatedClock(at("00:00"))
    clock.at(at("06:00"), lambda now: TimelineEvent(now, SCHEDULE_TICK, "tick"))
    clock.at(at("08:00"), lambda now: TimelineEvent(now, FILE_ARRIVAL, "file"))
    assert [e.label for e in clock.run_until(at("07:00"))] == ["tick"]
    assert clock.now == at("07:00")
    assert clock.pending == [at("08:00")]
    # Actions can still be added between now and the pending ones: an operator steps in.
    clock.at(at("07:30"), lambda now: TimelineEvent(now, RUN, "re-run", FAILURE))
    assert [e.label for e in clock.run_until(at("12:00"))] == ["re-run", "file"]
    assert [e.label for e in clock.events] == ["tick", "re-run", "file"]


def test_an_action_may_report_nothing_one_event_or_several():
    clock = SimulatedClock(at("00:00"))
    clock.at(at("01:00"), lambda now: None)
    clock.at(at("02:00"), lambda now: TimelineEvent(now, RUN, "one"))
    clock.at(at("03:00"), lambda now: [TimelineEvent(now, SCHEDULE_TICK, "two"), TimelineEvent(now, RUN, "three")])
    assert [e.label for e in clock.run_until(at("04:00"))] == ["one", "two", "three"]


def test_the_past_cannot_be_scheduled():
    clock = SimulatedClock(at("06:00"))
    with pytest.raises(ValueError, match="already at"):
        clock.at(at("05:59"), lambda now: None)
    with pytest.raises(ValueError, match="time zone"):
        clock.at(datetime(2018, 2, 2, 7), lambda now: None)


def test_every_repeats_up_to_and_including_until():
    clock = SimulatedClock(at("00:00"))
    clock.every(at("05:00"), timedelta(seconds=30), at("05:02"), lambda now: TimelineEvent(now, SENSOR_TICK, ""))
    events = clock.run_until(at("06:00"))
    assert [e.time for e in events] == [at("05:00") + timedelta(seconds=30 * n) for n in range(5)]
    with pytest.raises(ValueError, match="positive"):
        clock.every(at("07:00"), timedelta(0), at("08:00"), lambda now: None)


def test_record_keeps_an_event_from_outside_an_action():
    clock = SimulatedClock(at("00:00"))
    event = clock.record(TimelineEvent(at("00:00"), FILE_ARRIVAL, "already there"))
    assert clock.events == [event]


def test_dagster_clock_at_sets_dagster_now_inside_the_block_only():
    import time

    import dagster as dg

    from dagster_and_etl.dagster_private import dagster_time
    from dagster_and_etl.teaching.simulation.clock import dagster_clock_at

    with dagster_clock_at(at("06:00")):
        assert dagster_time.get_current_timestamp() == at("06:00").timestamp()
        assert dagster_time.get_current_datetime() == at("06:00")
    assert abs(dagster_time.get_current_timestamp() - time.time()) < 60
    with pytest.raises(ValueError, match="time zone"), dagster_clock_at(datetime(2018, 2, 2, 6)):
        pass
    assert dg  # Dagster itself imported before the clock is set, as in a lesson
