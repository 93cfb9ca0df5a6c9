"""Helpers for the lessons and tests: everything that is not the lesson's subject.

The Dagster definitions live in `dagster_and_etl.defs`; this package holds what the notebooks use
around them, in one subpackage per purpose (each one imports only from those listed before it):

- `sandbox`: a lesson's temporary data root, instance and files, and the lesson-vs-reference checks;
- `kernel`: Dagster inside a Jupyter kernel (quiet logs, one-line errors);
- `simulation`: sensor ticks, the daemon-like loop, virtual time, what a run did;
- `display`: stable text, tables, timelines and widgets;
- `live`: real servers (`dagster dev`, a local S3 endpoint) and what the daemon stored.

Lessons import from here, `from dagster_and_etl.teaching import LessonWorkspace`: each name is
loaded from its subpackage on first use, so a lesson that needs no S3 server never imports moto,
and one that draws nothing never imports matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name a lesson uses, and the module (under this package) that defines it.
_EXPORTS = {
    "LessonWorkspace": "sandbox.workspace",
    "land_day": "sandbox.workspace",
    "land_prepared": "sandbox.workspace",
    "land_text": "sandbox.workspace",
    "past_its_change_time": "sandbox.workspace",
    "remove": "sandbox.workspace",
    "rename": "sandbox.workspace",
    "assert_same": "sandbox.checks",
    "assert_same_partition_keys": "sandbox.checks",
    "assert_same_rows": "sandbox.checks",
    "check_lesson_01": "sandbox.checks",
    "check_lesson_02": "sandbox.checks",
    "assert_alerts_match_reference": "sandbox.checks",
    "assert_same_requests_per_tick": "sandbox.checks",
    "assert_sensor_requests_like_reference": "sandbox.checks",
    "check_lesson_06": "sandbox.checks",
    "check_lesson_07": "sandbox.checks",
    "QUIET_RUN_CONFIG": "kernel.quiet",
    "quiet": "kernel.quiet",
    "short_tracebacks": "kernel.tracebacks",
    "SimulatedClock": "simulation.clock",
    "TimelineEvent": "simulation.clock",
    "clock_time": "simulation.clock",
    "dagster_clock_at": "simulation.clock",
    "FAILURE": "simulation.clock",
    "FILE_ARRIVAL": "simulation.clock",
    "FILE_EXPECTED": "simulation.clock",
    "REQUESTED": "simulation.clock",
    "RUN": "simulation.clock",
    "SCHEDULE_TICK": "simulation.clock",
    "SENSOR_TICK": "simulation.clock",
    "SKIPPED": "simulation.clock",
    "SUCCESS": "simulation.clock",
    "DaemonLikeLoop": "simulation.run_loop",
    "week_of_mornings": "simulation.week_of_mornings",
    "Landing": "simulation.landings",
    "check_waits_for_whole_files": "simulation.landings",
    "call_sensor": "simulation.ticks",
    "evaluate_sensor": "simulation.ticks",
    "sensor_context": "simulation.ticks",
    "failure_message": "simulation.runs",
    "relative_to_root": "simulation.runs",
    "run_summary": "simulation.runs",
    "measure_steady_ticks": "simulation.strategies",
    "FOUR_TICKS": "simulation.folder_ticks",
    "check_resend_sensor": "simulation.folder_ticks",
    "play_folder_ticks": "simulation.folder_ticks",
    "replay_mornings": "simulation.folder_ticks",
    "check_first_turn_on": "simulation.backlog",
    "check_load_or_alert": "simulation.mornings",
    "day_runs": "simulation.mornings",
    "replay_schedule_and_sensor": "simulation.mornings",
    "cursor_diff": "display.cursors",
    "format_timestamp": "display.cursors",
    "readable_cursor": "display.cursors",
    "RunKeyNames": "display.run_keys",
    "readable_run_key": "display.run_keys",
    "events_table": "display.tables",
    "table": "display.tables",
    "timeline": "display.tables",
    "LiveView": "display.widgets",
    "time_slider": "display.widgets",
    "play_landings": "display.daemon_ticks",
    "SensorPlayground": "display.playground",
    "play_ticks": "display.playground",
    "report_lines": "display.playground",
    "tick_table": "display.tick_table",
    "condition_tree": "display.automation",
    "cursor_lines": "display.automation",
    "in_a_thread": "display.automation",
    "DagsterDevServer": "live.dagster_dev",
    "ui_page": "live.daemon_view",
    "wait_until": "live.daemon_view",
    "CREDENTIALS": "live.object_store",
    "LocalObjectStore": "live.object_store",
    "landed_files": "live.object_store",
    "list_objects": "live.object_store",
    "s3_client": "live.object_store",
    "PostgresCluster": "live.postgres",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
