"""The scripted live demo: the reference project under `dagster dev`, and a morning of files landing.

    python -m dagster_and_etl.instructor.demo [--step-seconds 20] [--sensor-interval 5] [--data-root DIR]

It starts `dagster dev` (webserver and daemon) on 127.0.0.1 with a short sensor interval, turns
the file sensor on and, every `--step-seconds`, lands a file in `source/`, printing what to look
at in the UI: a partial `.part` file (ignored), renamed when complete (the on-time file), a late
file, a corrected re-upload, and a bad file (a failed run that names the file, row and problem).

By default it works on a temporary copy of the sample data, deleted at the end: the repository's
`data/` is never touched and the demo can be replayed at once. `--data-root data` plays it on
the repository's `data/` instead (its Dagster home is then `data/dagster_home`, kept after the
demo for browsing); `python -m dagster_and_etl.instructor.reset` puts `data/` back afterwards.

Ctrl-C (or SIGTERM) stops everything it started: the whole `dagster dev` process group,
including runs in progress.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dagster_and_etl import settings
from dagster_and_etl.sample_data import BAD_DAY, LATE_DAY, PREPARED_FILES, arrival_time, stamp, write_sample_data
from dagster_and_etl.teaching.live.daemon_view import DaemonView, ui_page, wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace, drop_prepared


@dataclass(frozen=True)
class Event:
    title: str
    land: Callable[[Path], str]  # lands the file(s) under a data root; returns what happened
    look_at: str  # what to look at, and where
    page: str  # the UI page for it (see `ui_page`)


def _land_partial(root: Path) -> str:
    drop_prepared(root, "partial")
    return f"source/{PREPARED_FILES['partial'].target_name} appears: an upload still being written."


def _finish_partial(root: Path) -> str:
    # The uploader writes the whole file under the .part name, then renames it: a rename is atomic,
    # so the sensor never sees a half-written 2018-02-02.csv.
    partial = settings.source_dir(root) / PREPARED_FILES["partial"].target_name
    partial.write_text(PREPARED_FILES["on_time"].text, encoding="utf-8", newline="")
    stamp(partial, arrival_time(BAD_DAY))
    partial.rename(settings.source_dir(root) / PREPARED_FILES["on_time"].target_name)
    return f"The upload completes: renamed to source/{PREPARED_FILES['on_time'].target_name}, on time."


def _land_late(root: Path) -> str:
    drop_prepared(root, "late", mtime=arrival_time(LATE_DAY))
    return (
        f"source/{PREPARED_FILES['late'].target_name} lands late, with a modification time older "
        "than the 2018-02-02 file."
    )


def _land_corrected(root: Path) -> str:
    drop_prepared(root, "corrected", mtime=datetime.now(timezone.utc) - timedelta(seconds=1))
    return f"source/{PREPARED_FILES['corrected'].target_name} is re-uploaded with corrected values."


def _land_bad(root: Path) -> str:
    drop_prepared(root, "bad_price", mtime=datetime.now(timezone.utc) - timedelta(seconds=1))
    return (
        f"source/{PREPARED_FILES['bad_price'].target_name} is re-uploaded: {PREPARED_FILES['bad_price'].description}."
    )


MORNING = [
    Event(
        "A partial file",
        _land_partial,
        "The sensor's ticks: it skips ('No new or changed files'); a .part name has not landed yet.",
        "sensor",
    ),
    Event(
        "The on-time file",
        _finish_partial,
        "Runs: a run for partition 2018-02-02, launched by dynamic_sensor; then the asset's partitions.",
        "runs",
    ),
    Event(
        "A late file",
        _land_late,
        "Runs: a run for 2018-02-01 although its file is older: the sensor remembers run keys, not a newest time.",
        "runs",
    ),
    Event(
        "A corrected re-upload",
        _land_corrected,
        "The asset's partitions: 2018-01-25 is materialized a second time; its rows are replaced, not doubled.",
        "asset",
    ),
    Event(
        "A bad file",
        _land_bad,
        "Runs: the 2018-02-02 run fails; open it: the error names the file, row 3 and the problem. "
        "The table keeps the good rows.",
        "runs",
    ),
]


def _say(text: str = "") -> None:
    print(text, flush=True)


def _daemon_so_far(daemon: DaemonView) -> str:
    statuses: dict[str, int] = {}
    for run in daemon.runs():
        statuses[run.status.value] = statuses.get(run.status.value, 0) + 1
    shown = ", ".join(f"{count} {status.lower()}" for status, count in sorted(statuses.items())) or "none yet"
    return f"runs launched by the sensor so far: {shown}"


# Ctrl-C (or SIGTERM) sets this flag as well as raising KeyboardInterrupt: library code that
# happens to be running when the signal lands (Dagster's instance queries) may swallow the
# exception, so every wait also checks the flag and the demo still stops.
_stop_requested = threading.Event()


def _request_stop(signum, frame) -> None:
    _stop_requested.set()
    raise KeyboardInterrupt


def _stop_point() -> None:
    if _stop_requested.is_set():
        raise KeyboardInterrupt


def _stopping() -> bool:
    """`_stop_point()` where a condition is checked: False, unless it raises."""
    _stop_point()
    return False


def _pause(seconds: float) -> None:
    if _stop_requested.wait(seconds):
        raise KeyboardInterrupt


def play(data_root: Path, dagster_home: Path, step_seconds: float, sensor_interval: int, port: int | None) -> None:
    server = DagsterDevServer(data_root, dagster_home, sensor_interval_seconds=sensor_interval, port=port)
    daemon = None
    try:
        _say(f"Starting dagster dev over {data_root} (10 to 20 seconds)...")
        process = server.start().process
        assert process is not None
        _say(f"dagster dev is up at {server.url} (process group {process.pid}; log: {server.log_path})")
        daemon = view = DaemonView(server.dagster_home)
        server.start_sensor()
        files = sorted(p.name for p in settings.source_dir(data_root).glob("*.csv"))
        _say(f"The sensor is on, ticking every {sensor_interval} s: {ui_page(server.url, 'sensor')}")
        if files:
            _say(f"Its first tick requests the {len(files)} files already in source/; they load one at a time")
            _say(f"(DuckDB takes one writer), the next run starting up meanwhile: {ui_page(server.url, 'runs')}")
            wait_until(
                lambda: _stopping() or (len(view.runs()) >= len(files) and view.runs_are_finished()),
                timeout_seconds=60 + 30 * len(files),
                waiting_for=f"the runs of the {len(files)} files already in source/",
                interval_seconds=1,
            )
            _say(f"Done ({_daemon_so_far(view)}). The morning begins.")
        for number, event in enumerate(MORNING, start=1):
            _stop_point()
            _say()
            _say(f"[{number}/{len(MORNING)}] {event.title}: {event.land(data_root)}")
            _say(f"    Look at: {event.look_at}")
            _say(f"    {ui_page(server.url, event.page)}")
            _pause(step_seconds)
            _say(f"    {step_seconds:g} s later, {_daemon_so_far(view)}")
        _say()
        _say("The morning is over.")
        _say(f"The UI stays up at {server.url}. Press Ctrl-C to stop everything.")
        while True:
            _pause(3600)
    except KeyboardInterrupt:
        _say()
        _say("Stopping dagster dev and everything it started...")
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave the server running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if daemon is not None:
            daemon.close()
        server.stop()
    _say("Stopped.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_and_etl.instructor.demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--step-seconds", type=float, default=20.0, help="time between two files landing (20)")
    parser.add_argument("--sensor-interval", type=int, default=5, help="the sensor's minimum interval in seconds (5)")
    parser.add_argument("--port", type=int, default=None, help="the UI's port (default: a free one)")
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="play on this data root, e.g. 'data' for the repository's (default: a temporary copy, deleted after)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)

    if args.data_root is None:
        workspace = LessonWorkspace("demo")
        try:
            play(
                workspace.root,
                settings.dagster_home(workspace.root),
                args.step_seconds,
                args.sensor_interval,
                args.port,
            )
        finally:
            workspace.close()
        return 0

    root = args.data_root.resolve()
    if not (root / "extras").is_dir():
        write_sample_data(root)
    play(root, settings.dagster_home(root), args.step_seconds, args.sensor_interval, args.port)
    _say(
        f"The Dagster home is kept in {settings.dagster_home(root)}; `python -m dagster_and_etl.instructor.reset {root}` clears it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
