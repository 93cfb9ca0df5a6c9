"""Lessons 06 and 07's helpers: the reference sensor over a backlog, the mornings' landings and runs as text."""

from datetime import datetime, timezone

import pytest

from dagster_and_etl.sample_data import day_csv
from dagster_and_etl.teaching.sandbox.workspace import past_its_change_time
from dagster_and_etl.teaching.simulation.backlog import check_first_turn_on, requests_per_tick
from dagster_and_etl.teaching.simulation.mornings import day_runs, due


def utc(day: int, hour: int) -> datetime:
    return datetime(2018, 2, day, hour, tzinfo=timezone.utc)


def test_a_day_that_never_loaded_says_so():
    assert day_runs([("05:15", False)]) == "05:15 failed, never loaded"
    assert day_runs([("05:15", False), ("08:00", True)]) == "05:15 failed, 08:00 loaded"
    assert day_runs([]) == "no run, never loaded"


def test_due_takes_the_landings_after_the_last_moment_up_to_this_one_in_time_order():
    landings = [(utc(2, 7), "b", "x"), (utc(2, 5), "a", "x"), (utc(2, 9), "c", "x")]
    assert [day for _, day, _ in due(landings, None, utc(2, 7))] == ["a", "b"]
    assert [day for _, day, _ in due(landings, utc(2, 7), utc(2, 9))] == ["c"]


def test_a_backlog_drains_oldest_landing_first_at_most_the_cap_a_tick(tmp_path):
    for name in ["2019-01-03.csv", "notes.txt", "2019-01-01.csv", "2019-01-05.csv.part", "2019-01-02.csv"]:
        (tmp_path / name).write_text(day_csv(datetime.fromisoformat(name[:10]).date()) if name[0] == "2" else "")
        past_its_change_time(tmp_path / name)
    assert requests_per_tick(tmp_path, 2) == [["2019-01-03", "2019-01-01"], ["2019-01-02"]]


@pytest.mark.slow  # four folders of landed files, each file past the kernel's change-time clock
def test_the_exercise_check_takes_a_right_answer_and_refuses_name_order():
    def finished(landed):
        return [name for name in landed if name.endswith(".csv") and not name.startswith(".")]

    def right(landed, cap):
        names = finished(landed)
        return -(-len(names) // cap), [name[:-4] for name in names[:cap]]

    def by_name(landed, cap):
        names = sorted(finished(landed))
        return -(-len(names) // cap), [name[:-4] for name in names[:cap]]

    check_first_turn_on(right)
    with pytest.raises(AssertionError, match="first tick"):
        check_first_turn_on(by_name)
