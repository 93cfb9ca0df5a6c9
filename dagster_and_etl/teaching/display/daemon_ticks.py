"""By-hand daemon ticks as a table: one row per tick, with the partitions requested, skipped and run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from dagster_and_etl.teaching.display.tables import table
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
from dagster_and_etl.teaching.simulation.landings import Step, tick_after
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.simulation.ticks import TickOutcome


def tick_row(outcome: TickOutcome) -> dict:
    """What the sensor asked for and what the by-hand daemon did with it, by partition."""
    partition_of = {request.run_key: request.partition_key for request in outcome.run_requests}
    ran = [f"{key}: SUCCESS" for key in outcome.succeeded] + [f"{key}: FAILURE" for key in outcome.failed]
    return {
        "tick": outcome.label,
        "requested": [request.partition_key for request in outcome.run_requests] or "-",
        "skipped (run key used)": [partition_of[key] for key in outcome.skipped_run_keys] or "-",
        "ran": ran or "-",
    }


def ticks_table(outcomes: Iterable[TickOutcome]) -> pd.DataFrame:
    return table((tick_row(outcome) for outcome in outcomes), index="tick")


def play_landings(loop: DaemonLikeLoop, workspace: LessonWorkspace, steps: Sequence[Step]) -> pd.DataFrame:
    """For each (label, landings): land the files, tick the loop once; a row per tick."""
    return ticks_table(tick_after(loop, workspace, label, landings) for label, landings in steps)
