"""Running a job in a lesson without Dagster's log noise, and reading what a run did.

`execute_in_process` logs every event (run start, step start, materialization, ...) to stderr
through the job's default `console` logger, with a timestamp and the run id. In a notebook that
text lands in the committed outputs, changes on every run and is compared by nbval. Passing
`run_config=QUIET_RUN_CONFIG` raises that logger's level to CRITICAL: the run itself, its
events in the instance and the result are unchanged, only the console echo is gone. Remove it
to see the logs while exploring.

In Jupyter there is a second source of noise: the kernel's event loop is already running, so
Dagster's end-of-run clean-up (`event_loop.shutdown_asyncgens()`, which Dagster expects to fail
there and ignores) leaves an un-awaited coroutine behind, and Python prints a RuntimeWarning
after every run. Importing this module hides exactly that warning (see
`hide_event_loop_cleanup_warning`); every other warning still shows.

`run_summary` turns a result into a short, stable record (partition, status, rows, problem)
for tables: no run id, no timestamps.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

from dagster_and_etl.teaching.clock import FAILURE, SUCCESS

QUIET_RUN_CONFIG: dict = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

EVENT_LOOP_CLEANUP_WARNING = r"coroutine 'BaseEventLoop\.shutdown_asyncgens' was never awaited"


def hide_event_loop_cleanup_warning() -> None:
    """Ignore the RuntimeWarning a run in a running event loop (a Jupyter kernel) leaves behind.

    Dagster runs `shutdown_asyncgens()` on its own loop at the end of a run and ignores the
    RuntimeError it gets when another loop is running; only the dropped coroutine is reported.
    Called on import; call it again inside `warnings.catch_warnings()` (as pytest uses).
    """
    warnings.filterwarnings("ignore", message=EVENT_LOOP_CLEANUP_WARNING, category=RuntimeWarning)


hide_event_loop_cleanup_warning()


def quiet_run_config(run_config: dict | None = None) -> dict:
    """`run_config` with the console logger turned down; the given config wins on everything else."""
    return {**QUIET_RUN_CONFIG, **(run_config or {})}


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """Why a run failed: the `Failure` description the step raised, else the step's own error.

    Dagster wraps an unexpected exception in `DagsterExecutionStepExecutionError` ("Error
    occurred while executing op ..."); the message is the wrapped one, e.g. "RuntimeError: ...".
    """
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.user_failure_data:
            description = event.step_failure_data.user_failure_data.description
            if description:
                return description
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            if error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
                error = error.cause
            return error.message.strip()
    return "the run failed"


def relative_to_root(text: str, root: Path | str) -> str:
    """`text` with the absolute `root/` prefix removed, so printed paths are the same on every machine."""
    root_text = str(root).rstrip("/")
    return text.replace(root_text + "/", "").replace(root_text, ".")


def materialized_rows(result: dg.ExecuteInProcessResult) -> int | None:
    """The `rows` metadata of the run's materialization, or None when nothing was materialized."""
    for event in result.get_asset_materialization_events():
        rows = event.materialization.metadata.get("rows")
        if rows is not None:
            return int(rows.value)
    return None


def run_summary(result: dg.ExecuteInProcessResult, root: Path | str | None = None) -> dict:
    """partition, status (success/failure), rows loaded, and the problem when it failed.

    `root`, when given, is stripped from the problem text (see `relative_to_root`).
    """
    problem = "" if result.success else failure_message(result)
    if root is not None:
        problem = relative_to_root(problem, root)
    return {
        "partition": result.dagster_run.tags.get("dagster/partition", ""),
        "status": SUCCESS if result.success else FAILURE,
        "rows": materialized_rows(result),
        "problem": problem,
    }
