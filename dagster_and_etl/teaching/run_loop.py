"""Evaluate a sensor the way the daemon does, without running the daemon.

Calling a sensor (or its `evaluate_tick`) only says what it *would* request. The daemon then
registers the requested dynamic partitions, skips any run whose run key this sensor has
already launched, and launches the rest. `DaemonLikeLoop` does the same in-process, so a
lesson or a test sees both views: what the sensor asked for and what actually ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from dagster_and_etl.teaching.runs import failure_message

RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"


def sensor_context(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorEvaluationContext:
    """A context like the daemon's: the instance (for dynamic partitions) and the definitions' resources."""
    return dg.build_sensor_context(
        cursor=cursor,
        instance=instance,
        instance_ref=instance.get_ref(),
        definitions=defs,
        resources=defs.resources,
    )


def evaluate_sensor(defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str, cursor: str | None):
    """One tick through `evaluate_tick`, the daemon's path: run requests, partition requests, cursor."""
    return defs.resolve_sensor_def(sensor_name).evaluate_tick(sensor_context(defs, instance, cursor))


def run_key_was_launched(instance: dg.DagsterInstance, sensor_name: str, run_key: str) -> bool:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key, SENSOR_NAME_TAG: sensor_name}), limit=1)
    return bool(runs)


def register_requested_partitions(instance: dg.DagsterInstance, data) -> list[str]:
    """Add the dynamic partitions a tick asked for, as the daemon does; return the keys that were new."""
    registered: list[str] = []
    for request in data.dynamic_partitions_requests or []:
        existing = set(instance.get_dynamic_partitions(request.partitions_def_name))
        new_keys = [k for k in request.partition_keys if k not in existing]
        instance.add_dynamic_partitions(request.partitions_def_name, new_keys)
        registered.extend(new_keys)
    return registered


@dataclass
class TickReport:
    """What one tick asked for and what the loop did with it."""

    cursor_before: str | None
    cursor_after: str | None
    requested: list[dg.RunRequest]
    registered_partitions: list[str]
    skipped_run_keys: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # partition key -> failure message
    skip_message: str | None = None


class DaemonLikeLoop:
    """Tick a sensor and launch its runs in-process, carrying the cursor from tick to tick."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str = "dynamic_sensor"):
        self.defs = defs
        self.instance = instance
        self.sensor_name = sensor_name
        self.cursor: str | None = None
        self.history: list[TickReport] = []

    def tick(self) -> TickReport:
        data = evaluate_sensor(self.defs, self.instance, self.sensor_name, self.cursor)
        registered = register_requested_partitions(self.instance, data)

        report = TickReport(
            cursor_before=self.cursor,
            cursor_after=data.cursor,
            requested=list(data.run_requests or []),
            registered_partitions=registered,
            skip_message=data.skip_message,
        )
        sensor_job = self.defs.resolve_sensor_def(self.sensor_name).job_name
        for request in report.requested:
            if run_key_was_launched(self.instance, self.sensor_name, request.run_key):
                report.skipped_run_keys.append(request.run_key)
                continue
            tags = {**request.tags, RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: self.sensor_name}
            failure = self.execute(request.job_name or sensor_job, request.partition_key, tags)
            if failure is None:
                report.succeeded.append(request.partition_key)
            else:
                report.failed[request.partition_key] = failure
        if data.cursor is not None:
            self.cursor = data.cursor
        self.history.append(report)
        return report

    def execute(self, job_name: str, partition_key: str, tags: dict[str, str]) -> str | None:
        """Run one partition of a job in-process, recorded in the instance with `tags` (the run key
        among them); return None on success, else the failure message."""
        result = self.defs.resolve_job_def(job_name).execute_in_process(
            partition_key=partition_key, instance=self.instance, tags=tags, raise_on_error=False
        )
        return None if result.success else failure_message(result.all_events)

    def drain(self, max_ticks: int = 1000) -> list[TickReport]:
        """Tick until a tick requests nothing new; return those ticks' reports."""
        reports = []
        for _ in range(max_ticks):
            report = self.tick()
            reports.append(report)
            if not report.requested:
                return reports
        raise RuntimeError(f"the sensor still had requests after {max_ticks} ticks")
