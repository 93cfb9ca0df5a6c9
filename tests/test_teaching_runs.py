"""Quiet runs (`teaching.kernel.quiet`) and run summaries (`teaching.simulation.runs`), on real runs of the
reference job in a lesson workspace."""

import asyncio
import warnings

import dagster as dg
import pytest

from dagster_and_etl.teaching.kernel.quiet import QUIET_RUN_CONFIG, hide_event_loop_cleanup_warning
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.simulation.runs import failure_message, relative_to_root, run_summary


@pytest.fixture(scope="module")
def ws():
    with LessonWorkspace("test-runs") as workspace:
        yield workspace


def run(ws, key, **kwargs):
    job = ws.defs.resolve_job_def("import_partition_job")
    return job.execute_in_process(partition_key=key, instance=ws.instance, raise_on_error=False, **kwargs)


def test_quiet_run_config_silences_the_console_logger_only(ws, capfd):
    loud = run(ws, "2018-01-22")
    assert "RUN_SUCCESS" in capfd.readouterr().err  # without it, every event goes to stderr

    quiet = run(ws, "2018-01-22", run_config=QUIET_RUN_CONFIG)
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert loud.success and quiet.success
    # The run's events are still stored in the instance.
    assert ws.instance.get_run_by_id(quiet.run_id).is_success
    assert any(e.is_step_success for e in quiet.all_events)


def test_the_event_loop_cleanup_warning_is_hidden_and_nothing_else(ws):
    async def run_inside_a_running_loop():  # as in a Jupyter kernel
        return run(ws, "2018-01-23", run_config=QUIET_RUN_CONFIG)

    for hidden in (False, True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if hidden:
                hide_event_loop_cleanup_warning()
            asyncio.run(run_inside_a_running_loop())
            warnings.warn("another warning", RuntimeWarning)
        messages = [str(w.message) for w in caught]
        assert ("coroutine 'BaseEventLoop.shutdown_asyncgens' was never awaited" in messages) is not hidden
        assert "another warning" in messages


def test_summary_of_a_successful_run(ws):
    assert run_summary(run(ws, "2018-01-24", run_config=QUIET_RUN_CONFIG)) == {
        "partition": "2018-01-24",
        "status": "success",
        "rows": 8,
        "problem": "",
    }


def test_summary_of_a_run_whose_file_has_not_landed(ws):
    ws.remove("2018-02-01.csv")
    result = run(ws, "2018-02-01", run_config=QUIET_RUN_CONFIG)
    assert str(ws.root) in failure_message(result.all_events)
    assert run_summary(result, ws.root) == {
        "partition": "2018-02-01",
        "status": "failure",
        "rows": None,
        "problem": "2018-02-01.csv: file not found in <root>/source: it has not landed yet. "
        "Re-run this partition once the file is there.",
    }


def test_summary_of_a_run_with_a_bad_file(ws):
    ws.drop("bad_value")
    summary = run_summary(run(ws, "2018-02-02", run_config=QUIET_RUN_CONFIG), ws.root)
    assert summary["status"] == "failure"
    assert summary["problem"] == "2018-02-02.csv, row 5 (line 6): amount is not a number: 'n/a'"


def test_failure_message_of_an_unexpected_error():
    @dg.asset
    def broken():
        raise RuntimeError("the disk is full")

    result = dg.materialize([broken], raise_on_error=False, run_config=QUIET_RUN_CONFIG)
    assert "RuntimeError: the disk is full" in failure_message(result.all_events)
    assert run_summary(result)["rows"] is None


def test_relative_to_root():
    assert relative_to_root("/tmp/x-1/source/a.csv: missing in /tmp/x-1/source", "/tmp/x-1") == (
        "<root>/source/a.csv: missing in <root>/source"
    )
    assert relative_to_root("nothing to hide", "/tmp/x-1") == "nothing to hide"
    assert relative_to_root("/tmp/x-1 stays", None) == "/tmp/x-1 stays"


def test_run_loop_reports_failures_with_the_same_message(ws):
    ws.drop("bad_value")
    expected = "2018-02-02.csv, row 5 (line 6): amount is not a number: 'n/a'"
    assert failure_message(run(ws, "2018-02-02", run_config=QUIET_RUN_CONFIG).all_events) == expected
    loop = DaemonLikeLoop(ws.defs, ws.instance)
    assert loop.execute("import_partition_job", "2018-02-02", tags={}) == expected
