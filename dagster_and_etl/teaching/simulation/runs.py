"""Reading what a run did, in stable text for tables: no run id, no timestamps, no temporary paths.

- `failure_message(events)`: why a run failed, as the step said it.
- `run_summary(result, root)`: partition, status (success/failure), rows loaded, problem.
- `relative_to_root(text, root)`: a workspace's temporary root shown as `<root>`.

To run without Dagster's console logs, see `teaching.kernel.quiet`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from dagster_and_etl.dagster_private import PARTITION_NAME_TAG, TableMetadataSet
from dagster_and_etl.teaching.simulation.clock import FAILURE, SUCCESS

_WRAPPER_ERRORS = {"DagsterExecutionStepExecutionError", "RetryRequestedFromPolicy"}


def failure_message(events: Iterable[dg.DagsterEvent]) -> str:
    """Why a run failed, from its events (`result.all_events`, or the daemon's event log): the
    `Failure` description the step raised, else the step's own error.

    Dagster wraps an unexpected exception in `DagsterExecutionStepExecutionError` ("Error
    occurred while executing op ..."), and, once a retry policy's retries are spent, in
    `RetryRequestedFromPolicy` ("Exceeded max_retries of 3"); the message is the wrapped one,
    e.g. "RuntimeError: ..." or DuckDB's "IOException: ... Could not set lock on file ...".
    """
    for event in events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.user_failure_data:
            description = event.step_failure_data.user_failure_data.description
            if description:
                return description
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cls_name in _WRAPPER_ERRORS and error.cause is not None:
                error = error.cause
            return error.message.strip()
    return "the run failed"


def relative_to_root(text: str, root: Path | str | None) -> str:
    """`text` with the workspace's temporary root shown as `<root>`, so outputs are the same on every run."""
    return text.replace(str(root), "<root>") if root else text


def materialized_rows(result: dg.ExecuteInProcessResult) -> int | None:
    """The row count of the run's materialization (Dagster's standard `dagster/row_count`), or None
    when nothing was materialized."""
    for event in result.get_asset_materialization_events():
        rows = TableMetadataSet.extract(event.materialization.metadata).row_count
        if rows is not None:
            return rows
    return None


def run_summary(result: dg.ExecuteInProcessResult, root: Path | str | None = None) -> dict:
    """partition, status (success/failure), rows loaded, and the problem when it failed.

    `root`, when given, is shown as `<root>` in the problem text (see `relative_to_root`).
    """
    problem = "" if result.success else relative_to_root(failure_message(result.all_events), root)
    return {
        "partition": result.dagster_run.tags.get(PARTITION_NAME_TAG, ""),
        "status": SUCCESS if result.success else FAILURE,
        "rows": materialized_rows(result),
        "problem": problem,
    }
