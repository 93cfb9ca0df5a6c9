"""Evaluate a sensor the way the daemon does, without running the daemon.

Calling a sensor (or its `evaluate_tick`) only says what it *would* request. The daemon then
registers the requested dynamic partitions, skips any run whose run key this sensor has
already launched, and launches the rest. `DaemonLikeLoop` does the same in-process, so a
lesson or a test sees both views: what the sensor asked for and what actually ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

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


def failure_message(events: list[dg.DagsterEvent]) -> str:
    """The first step failure's message among a run's events: the `dg.Failure` description when
    there is one (it names the file, the row and the problem), else the error's message."""
    for event in events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.user_failure_data:
            description = event.step_failure_data.user_failure_data.description
            if description:
                return description
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return event.step_failure_data.error.message.strip()
    return "the run failed"


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
        registered: list[str] = []
        for request in data.dynamic_partitions_requests or []:
            existing = set(self.instance.get_dynamic_partitions(request.partitions_def_name))
            new_keys = [k for k in request.partition_keys if k not in existing]
            self.instance.add_dynamic_partitions(request.partitions_def_name, new_keys)
            registered.extend(new_keys)

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
            result = self.defs.resolve_job_def(request.job_name or sensor_job).execute_in_process(
                partition_key=request.partition_key,
                instance=self.instance,
                tags={**request.tags, RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: self.sensor_name},
                raise_on_error=False,
            )
            if result.success:
                report.succeeded.append(request.partition_key)
            else:
                report.failed[request.partition_key] = failure_message(result.all_events)
        if data.cursor is not None:
            self.cursor = data.cursor
        self.history.append(report)
        return report

    def drain(self, max_ticks: int = 1000) -> list[TickReport]:
        """Tick until a tick requests nothing new; return those ticks' reports."""
        reports = []
        for _ in range(max_ticks):
            report = self.tick()
            reports.append(report)
            if not report.requested:
                return reports
        raise RuntimeError(f"the sensor still had requests after {max_ticks} ticks")
