"""One sensor tick, evaluated two ways and shown for people.

Lesson 03 writes these calls out in its cells first; the helpers here repeat them.
`call_sensor` calls the sensor function directly (`sensor(build_sensor_context(...))`), the
way a unit test does; `run_loop.evaluate_sensor` goes through `evaluate_tick`, the daemon's
path. Both give a `TickOutcome`; `tick_lines` shows it with the cursor as a readable diff, and
`play_ticks` plays a scripted scenario through both paths and a `DaemonLikeLoop`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from dagster_and_etl.file_scan import LandedFile, scan_folder
from dagster_and_etl.teaching.cursors import cursor_diff
from dagster_and_etl.teaching.quiet import CapturedLog, quiet
from dagster_and_etl.teaching.run_loop import DaemonLikeLoop, TickReport, evaluate_sensor
from dagster_and_etl.teaching.runs import relative_to_root
from dagster_and_etl.teaching.workspace import LessonWorkspace


@dataclass
class TickOutcome:
    """What one tick asked for: run requests as (run key, partition key), partitions to add, the new cursor."""

    cursor_before: str | None
    cursor_after: str | None
    run_requests: list[tuple[str, str]]
    added_partitions: list[str]
    skip_message: str | None = None
    warnings: list[str] = field(default_factory=list)


def _outcome(cursor: str | None, new_cursor: str | None, run_requests, partitions_requests,
             skip_message: str | None, log: CapturedLog) -> TickOutcome:
    """A tick's result (a `SensorResult` or `evaluate_tick`'s data) as a `TickOutcome`."""
    return TickOutcome(
        cursor_before=cursor,
        cursor_after=new_cursor if new_cursor is not None else cursor,
        run_requests=[(r.run_key, r.partition_key) for r in run_requests or []],
        added_partitions=[key for request in partitions_requests or [] for key in request.partition_keys],
        skip_message=skip_message,
        warnings=log.messages(),
    )


def call_sensor(sensor: dg.SensorDefinition, resources: dict, cursor: str | None) -> TickOutcome:
    """Call the sensor function directly with a cursor and the resources it declares."""
    with quiet() as log:
        result = sensor(dg.build_sensor_context(cursor=cursor, resources=resources))
    if isinstance(result, dg.SkipReason):
        return TickOutcome(cursor, cursor, [], [], result.skip_message, log.messages())
    if not isinstance(result, dg.SensorResult):
        raise TypeError(f"{sensor.name} returned {type(result).__name__}; this helper reads a SensorResult")
    skip = result.skip_reason.skip_message if result.skip_reason else None
    return _outcome(cursor, result.cursor, result.run_requests, result.dynamic_partitions_requests, skip, log)


def evaluate_tick(defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str, cursor: str | None) -> TickOutcome:
    """One tick through `evaluate_tick` (the daemon's path), summarised like `call_sensor`."""
    with quiet() as log:
        data = evaluate_sensor(defs, instance, sensor_name, cursor)
    return _outcome(cursor, data.cursor, data.run_requests, data.dynamic_partitions_requests, data.skip_message, log)


def tick_lines(outcome: TickOutcome, known_files: Iterable[LandedFile] = (), root: Path | None = None) -> list[str]:
    """The tick for people: the cursor diff, the run requests and the partitions to add."""
    lines = cursor_diff(outcome.cursor_before, outcome.cursor_after, known_files)
    keys = sorted(run_key for run_key, _ in outcome.run_requests)
    lines.append(f"run requests: {len(keys)}" + (f"  (run keys {', '.join(keys)})" if keys else ""))
    lines.append(f"partitions to add: {', '.join(repr(k) for k in sorted(outcome.added_partitions)) or 'none'}")
    if outcome.skip_message:
        lines.append(f"skipped: {relative_to_root(outcome.skip_message, root)}")
    lines.extend(f"warning: {relative_to_root(w, root)}" for w in outcome.warnings)
    return lines


def report_lines(report: TickReport, root: Path | None = None) -> list[str]:
    """What a `DaemonLikeLoop` tick did: skipped run keys, runs that succeeded and failed."""
    skipped = sorted(report.skipped_run_keys)
    lines = [f"daemon: {len(report.requested)} requested, {len(skipped)} skipped as already run"
             + (f" ({', '.join(skipped)})" if skipped else "")]
    if report.succeeded:
        lines.append(f"  ran ok: {', '.join(sorted(report.succeeded))}")
    for key, message in sorted(report.failed.items()):
        lines.append(f"  run failed for partition {key!r}: {relative_to_root(message, root)}")
    return lines


@dataclass
class PlayedTick:
    """One scripted tick: what the sensor asked for (called directly) and what the daemon-like loop did."""

    label: str
    outcome: TickOutcome
    report: TickReport
    known_files: list[LandedFile]

    def lines(self, root: Path | None = None) -> list[str]:
        return [f"== {self.label}", *tick_lines(self.outcome, self.known_files, root), *report_lines(self.report, root)]


def play_ticks(
    steps: Iterable[tuple[str, Callable[[LessonWorkspace], object]]],
    workspace: LessonWorkspace,
    loop: DaemonLikeLoop,
    show: bool = True,
) -> list[PlayedTick]:
    """For each (label, step): change the folder, call the sensor directly with the loop's cursor,
    then tick the loop (`evaluate_tick`, register partitions, skip run keys already run, run the
    rest). Checks that both paths asked for the same runs and cursor."""
    sensor = loop.defs.resolve_sensor_def(loop.sensor_name)
    seen: dict[str, LandedFile] = {}
    played = []
    for label, step in steps:
        step(workspace)
        for file in scan_folder(workspace.source).landed:
            seen[file.run_key] = file
        outcome = call_sensor(sensor, loop.defs.resources, loop.cursor)
        with quiet():
            report = loop.tick()
        through_tick = sorted((r.run_key, r.partition_key) for r in report.requested)
        if through_tick != sorted(outcome.run_requests) or report.cursor_after != outcome.cursor_after:
            raise AssertionError(f"{label}: {sensor.name} called directly and through evaluate_tick disagree")
        played.append(PlayedTick(label, outcome, report, list(seen.values())))
        if show:
            print("\n".join(played[-1].lines(workspace.root)))
    return played
