"""Lesson 05's helpers: scripted landings ticked by hand, the exercise's check, and the lesson-vs-reference check.

The check must accept any sensor that loads every complete version once and never a half-written
one, and reject each way of getting it wrong: loading a file while it is written, missing a late
file, missing a replaced file, loading a version twice, never solving the exercise.
"""

import json
import random

import dagster as dg
import pytest

from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.teaching.display.daemon_ticks import play_landings
from dagster_and_etl.teaching.sandbox.checks import assert_sensor_requests_like_reference
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
from dagster_and_etl.teaching.simulation.landings import (
    Landing,
    check_scenario,
    check_waits_for_whole_files,
    merged_definitions,
)
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop


def versions(source: SourceFolder) -> dict[str, str]:
    return {p.name: f"{p.stat().st_mtime:.0f}:{p.stat().st_size}" for p in sorted(source.folder.glob("*.csv"))}


def requests_for(names: dict[str, str]) -> dg.SensorResult:
    requests = [dg.RunRequest(run_key=f"{n}@{v}", partition_key=n.removesuffix(".csv")) for n, v in names.items()]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[file_partitions.build_add_request([r.partition_key for r in requests])],
    )


def with_cursor(result: dg.SensorResult, cursor: object) -> dg.SensorResult:
    return dg.SensorResult(
        run_requests=result.run_requests,
        dynamic_partitions_requests=result.dynamic_partitions_requests,
        cursor=json.dumps(cursor),
    )


@dg.sensor(target=import_dynamic_partition_job)
def every_new_version(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Lesson 05's folder sensor: right on late and replaced files, wrong on half-written ones."""
    seen = json.loads(context.cursor or "{}")
    new = {name: version for name, version in versions(source).items() if seen.get(name) != version}
    return with_cursor(requests_for(new), {**seen, **new})


@dg.sensor(target=import_dynamic_partition_job)
def whole_files(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """A solution: a version is requested once a tick sees it unchanged since the tick before."""
    state = json.loads(context.cursor or '{"requested": {}, "last": {}}')
    now = versions(source)
    ready = {n: v for n, v in now.items() if state["last"].get(n) == v and state["requested"].get(n) != v}
    return with_cursor(requests_for(ready), {"requested": {**state["requested"], **ready}, "last": now})


@dg.sensor(target=import_dynamic_partition_job)
def whole_files_by_name_only(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Waits for whole files but remembers names, not versions: misses the replaced file."""
    state = json.loads(context.cursor or '{"requested": [], "last": {}}')
    now = versions(source)
    ready = {n: v for n, v in now.items() if state["last"].get(n) == v and n not in state["requested"]}
    return with_cursor(requests_for(ready), {"requested": [*state["requested"], *ready], "last": now})


@dg.sensor(target=import_dynamic_partition_job)
def whole_files_after_a_watermark(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Waits for whole files but keeps only the newest requested mtime: misses the late file."""
    state = json.loads(context.cursor or '{"mark": 0, "last": {}}')
    now = versions(source)
    mtime = {n: float(v.split(":")[0]) for n, v in now.items()}
    ready = {n: v for n, v in now.items() if state["last"].get(n) == v and mtime[n] > state["mark"]}
    mark = max([state["mark"], *(mtime[n] for n in ready)])
    return with_cursor(requests_for(ready), {"mark": mark, "last": now})


@dg.sensor(target=import_dynamic_partition_job)
def whole_files_over_and_over(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Requests every unchanged file on every tick, with a run key per tick: loads versions twice."""
    state = json.loads(context.cursor or '{"tick": 0, "last": {}}')
    now = versions(source)
    ready = {n: v for n, v in now.items() if state["last"].get(n) == v}
    result = requests_for(ready)
    requests = [r.with_replaced_attrs(run_key=f"{r.run_key}#{state['tick']}") for r in result.run_requests]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=result.dynamic_partitions_requests,
        cursor=json.dumps({"tick": state["tick"] + 1, "last": now}),
    )


@dg.sensor(target=import_dynamic_partition_job)
def unsolved(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    raise NotImplementedError("Exercise: replace this line with your answer")


@pytest.mark.parametrize("seed", range(5))
def test_the_check_scenario_shows_each_case_and_no_half_written_version_twice(seed):
    steps = check_scenario(random.Random(seed))
    landings = [landing for _, batch in steps for landing in batch]
    assert steps == check_scenario(random.Random(seed)), "a seed repeats its scenario"
    halves = [index for index, (_, batch) in enumerate(steps) if any(not landing.complete for landing in batch)]
    for index in halves:  # the next tick already sees the file changed
        written = {landing.name for landing in steps[index][1]}
        assert written <= {landing.name for landing in steps[index + 1][1]}
    assert len(halves) == 4, "two files are each seen half-written on two ticks"
    names = [landing.name for landing in landings if landing.complete]
    assert len(names) == len(set(names)) + 1, "exactly one file is replaced by a complete version"
    older = [b for a, b in zip(landings, landings[1:]) if b.mtime < a.mtime]
    assert older, "one file lands with an older mtime than one before it"


def test_play_landings_prints_what_was_requested_skipped_and_run():
    with LessonWorkspace("test-landings", with_source_files=False) as workspace:
        loop = DaemonLikeLoop(merged_definitions(workspace, every_new_version), workspace.instance, "every_new_version")
        shown = play_landings(
            loop,
            workspace,
            [
                ("lands", [Landing.day("2018-02-01", "2018-02-02 05:00")]),
                ("bad", [Landing.prepared("bad_price", "2018-02-03 06:00")]),
            ],
        )
        loop.cursor = None
        again = play_landings(loop, workspace, [("reset", [])])
    assert shown.loc["lands", "ran"] == "2018-02-01: SUCCESS"
    assert shown.loc["bad", "ran"] == "2018-02-02: FAILURE"
    assert again.loc["reset", "skipped (run key used)"] == "2018-02-01, 2018-02-02"
    assert again.loc["reset", "ran"] == "-"


@pytest.mark.slow
def test_the_check_accepts_a_sensor_that_waits_for_whole_files():
    assert check_waits_for_whole_files(whole_files).startswith("Solved")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sensor", "complaint"),
    [
        (every_new_version, "while it was half-written"),
        (whole_files_by_name_only, "was never loaded"),
        (whole_files_after_a_watermark, "was never loaded"),
        (whole_files_over_and_over, "loaded again, unchanged"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_the_check_rejects_each_wrong_sensor(sensor, complaint):
    with pytest.raises(AssertionError, match=complaint):
        check_waits_for_whole_files(sensor, seed=7)


def test_the_check_says_an_unsolved_exercise_is_unsolved():
    with pytest.raises(NotImplementedError, match="not solved"):
        check_waits_for_whole_files(unsolved)


def test_the_lesson_sensor_requests_like_the_reference_and_a_name_only_one_does_not():
    assert "on all 7 ticks" in assert_sensor_requests_like_reference(every_new_version)

    @dg.sensor(target=import_dynamic_partition_job, name="names_only")
    def names_only(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
        seen = json.loads(context.cursor or "[]")
        new = {name: version for name, version in versions(source).items() if name not in seen}
        return with_cursor(requests_for(new), [*seen, *new])

    with pytest.raises(AssertionError, match="'replaced' differ"):
        assert_sensor_requests_like_reference(names_only)
