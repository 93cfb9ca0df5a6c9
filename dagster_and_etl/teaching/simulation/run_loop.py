"""Evaluate a sensor the way the daemon does, without running the daemon.

Calling a sensor (or its `evaluate_tick`) only says what it *would* request. The daemon then
registers the requested dynamic partitions, skips any run whose run key this sensor has
already launched, and launches the rest. `DaemonLikeLoop` does the same in-process, so a
lesson or a test sees both views: what the sensor asked for and what actually ran.
"""

from __future__ import annotations

import dagster as dg

from dagster_and_etl.dagster_private import RUN_KEY_TAG, SENSOR_NAME_TAG
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.teaching.simulation.runs import failure_message
from dagster_and_etl.teaching.simulation.ticks import TickOutcome, evaluate_sensor


def run_key_was_launched(instance: dg.DagsterInstance, sensor_name: str, run_key: str) -> bool:
    """The daemon's run-key check, with the public `get_run_records` (the daemon itself calls
    `get_runs`, `dagster/_daemon/sensor.py`; a run in any status but NOT_STARTED counts there,
    and here every run this loop records has started)."""
    filters = dg.RunsFilter(tags={RUN_KEY_TAG: run_key, SENSOR_NAME_TAG: sensor_name})
    return bool(instance.get_run_records(filters=filters, limit=1))


def register_requested_partitions(instance: dg.DagsterInstance, data) -> list[str]:
    """Add the dynamic partitions a tick asked for, as the daemon does; return the keys that were new."""
    registered: list[str] = []
    for request in data.dynamic_partitions_requests or []:
        existing = set(instance.get_dynamic_partitions(request.partitions_def_name))
        new_keys = [k for k in request.partition_keys if k not in existing]
        instance.add_dynamic_partitions(request.partitions_def_name, new_keys)
        registered.extend(new_keys)
    return registered


class DaemonLikeLoop:
    """Tick a sensor and launch its runs in-process, carrying the cursor from tick to tick."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str = dynamic_sensor.name):
        self.defs = defs
        self.instance = instance
        self.sensor_name = sensor_name
        self.cursor: str | None = None
        self.history: list[TickOutcome] = []

    def tick(self) -> TickOutcome:
        data = evaluate_sensor(self.defs, self.instance, self.sensor_name, self.cursor)
        report = TickOutcome.of_evaluation(self.cursor, data)
        report.registered_partitions = register_requested_partitions(self.instance, data)
        sensor_job = self.defs.resolve_sensor_def(self.sensor_name).job_name
        for request in data.run_requests or []:
            run_key, partition_key = request.run_key, request.partition_key or ""
            # As the daemon: only a request with a run key can be skipped as already launched.
            if run_key is not None and run_key_was_launched(self.instance, self.sensor_name, run_key):
                report.skipped_run_keys.append(run_key)
                continue
            tags = {**request.tags, SENSOR_NAME_TAG: self.sensor_name, **({RUN_KEY_TAG: run_key} if run_key else {})}
            job_name = request.job_name or sensor_job
            assert job_name is not None, f"{self.sensor_name} names no job, and its request names none"
            failure = self.execute(job_name, partition_key, tags)
            if failure is None:
                report.succeeded.append(partition_key)
            else:
                report.failed[partition_key] = failure
        self.cursor = report.cursor_after
        self.history.append(report)
        return report

    def execute(self, job_name: str, partition_key: str, tags: dict[str, str]) -> str | None:
        """Run one partition of a job in-process, recorded in the instance with `tags` (the run key
        among them); return None on success, else the failure message."""
        result = self.defs.resolve_job_def(job_name).execute_in_process(
            partition_key=partition_key, instance=self.instance, tags=tags, raise_on_error=False
        )
        return None if result.success else failure_message(result.all_events)

    def drain(self, max_ticks: int = 1000) -> list[TickOutcome]:
        """Tick until a tick requests nothing new; return those ticks' reports."""
        reports = []
        for _ in range(max_ticks):
            report = self.tick()
            reports.append(report)
            if not report.run_requests:
                return reports
        raise RuntimeError(f"the sensor still had requests after {max_ticks} ticks")
