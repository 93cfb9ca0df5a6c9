"""What the real daemon did, read from the Dagster instance it writes to.

`dagster dev` keeps everything in its DAGSTER_HOME: the sensor's state (with the cursor it
stored after its last tick), one record per tick (status, the run keys it requested, the runs
it launched) and the runs themselves. `DaemonView` opens that same instance from another
process and reads it; it never writes. The daemon works on its own clock, so `wait_until`
polls for a state with a bounded timeout instead of sleeping for a guessed time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.dagster_private import (
    PARTITION_NAME_TAG,
    RUN_KEY_TAG,
    SENSOR_NAME_TAG,
    InstigatorState,
    InstigatorTick,
    SensorInstigatorData,
    TickStatus,
    open_instance,
    sensor_states,
    sensor_ticks,
    step_failure_records,
)
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.teaching.simulation.runs import failure_message
from dagster_and_etl.teaching.simulation.ticks import RequestedRun, TickOutcome

FINISHED_RUN_STATUSES = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}

T = TypeVar("T")


def wait_until(
    check: Callable[[], T], timeout_seconds: float, waiting_for: str | Callable[[], str], interval_seconds: float = 0.5
) -> T:
    """Call `check` until it returns something truthy and return that; raise TimeoutError after the
    timeout, saying what was awaited (`waiting_for` may be a function, to describe the last state)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            described = waiting_for() if callable(waiting_for) else waiting_for
            raise TimeoutError(f"Gave up after {timeout_seconds:.0f} s waiting for {described}.")
        time.sleep(interval_seconds)


class DaemonView:
    """Read-only view of one DAGSTER_HOME: a sensor's stored cursor, its ticks and its runs."""

    def __init__(self, dagster_home: Path, sensor_name: str = dynamic_sensor.name):
        self.sensor_name = sensor_name
        self.instance = open_instance(dagster_home)

    def sensor_state(self) -> InstigatorState | None:
        for state in sensor_states(self.instance):
            if state.name == self.sensor_name:
                return state
        return None

    def sensor_is_running(self) -> bool:
        state = self.sensor_state()
        return state is not None and state.is_running

    def stored_cursor(self) -> str | None:
        """The cursor the daemon stored after the sensor's last finished tick."""
        state = self.sensor_state()
        data = state.instigator_data if state is not None else None
        return data.cursor if isinstance(data, SensorInstigatorData) else None

    def finished_ticks(self) -> list[InstigatorTick]:
        """The sensor's finished ticks, oldest first (a tick in progress is left out)."""
        state = self.sensor_state()
        if state is None:
            return []
        ticks = sensor_ticks(self.instance, state)
        return sorted((t for t in ticks if t.status != TickStatus.STARTED), key=lambda t: t.tick_id)

    def last_tick_id(self) -> int:
        ticks = self.finished_ticks()
        return ticks[-1].tick_id if ticks else 0

    def runs(self) -> list[dg.DagsterRun]:
        """The runs this sensor launched, oldest first."""
        # One query: the records carry the creation time (no look-up per run).
        records = self.instance.get_run_records(filters=dg.RunsFilter(tags={SENSOR_NAME_TAG: self.sensor_name}))
        return [record.dagster_run for record in sorted(records, key=lambda record: record.create_timestamp)]

    def run_for_key(self, run_key: str) -> dg.DagsterRun | None:
        for run in self.runs():
            if run.tags.get(RUN_KEY_TAG) == run_key:
                return run
        return None

    def tick_outcomes(self, after_tick_id: int = 0) -> list[TickOutcome]:
        """The finished ticks after `after_tick_id`, oldest first, as `TickOutcome`s. A run key a tick
        requested but launched no run for was skipped: a run with that key already existed. The
        partitions of the runs it launched are `succeeded` or `failed` once those runs finish."""
        ticks = self.finished_ticks()
        runs = {run.run_id: run for run in self.runs()} if ticks and ticks[-1].tick_id > after_tick_id else {}
        outcomes = []
        for previous, tick in zip([None, *ticks], ticks):
            if tick.tick_id <= after_tick_id:
                continue
            launched = {runs[run_id].tags.get(RUN_KEY_TAG): runs[run_id] for run_id in tick.run_ids if run_id in runs}
            outcome = TickOutcome(
                cursor_before=previous.cursor if previous is not None else None,
                cursor_after=tick.cursor,
                run_requests=[
                    RequestedRun(key, launched[key].tags.get(PARTITION_NAME_TAG) if key in launched else None)
                    for key in tick.run_keys
                ],
                added_partitions=[],
                skip_message=tick.skip_reason,
                skipped_run_keys=[key for key in tick.run_keys if key not in launched],
            )
            for run in launched.values():
                partition = run.tags.get(PARTITION_NAME_TAG, "")
                if run.status == dg.DagsterRunStatus.SUCCESS:
                    outcome.succeeded.append(partition)
                elif run.status == dg.DagsterRunStatus.FAILURE:
                    outcome.failed[partition] = self.run_failure(run) or ""
            outcomes.append(outcome)
        return outcomes

    def runs_are_finished(self) -> bool:
        return all(run.status in FINISHED_RUN_STATUSES for run in self.runs())

    def run_failure(self, run: dg.DagsterRun) -> str | None:
        """The failure message of a failed run (the step's `dg.Failure` description), else None."""
        if run.status != dg.DagsterRunStatus.FAILURE:
            return None
        records = step_failure_records(self.instance, run.run_id)
        events = [record.dagster_event for record in records if record.dagster_event is not None]
        return failure_message(events)

    def close(self) -> None:
        self.instance.dispose()


def ui_page(base_url: str, page: str, sensor_name: str = dynamic_sensor.name) -> str:
    """A page of the Dagster UI: 'overview', 'sensor', 'runs', 'asset', or a path such as '/runs/<id>'."""
    paths = {
        "overview": "/overview/automation",
        "sensor": f"/locations/{settings.DEFINITIONS_MODULE}/sensors/{sensor_name}",
        "runs": "/runs",
        "asset": "/assets/raw_dynamic_partition_data?view=partitions",
    }
    return base_url + paths.get(page, page)
