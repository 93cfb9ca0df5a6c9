"""Figure 5: what the Dagster instance stores per sensor tick, before and after the change-time watermark.

The daemon writes the sensor's cursor into every tick record it keeps, skipped ticks included
(`dagster/_daemon/sensor.py`: `update_state(..., cursor=...)`), and keeps skipped ticks for 7
days, successful ones for ever (`dagster/_core/instance/config.py`). This script runs the real
`dagster dev` (webserver and daemon, own process group, 127.0.0.1) over a folder of N generated
files with a 1-second sensor interval, for each design:

- *before*: `digest_set_sensor` (the run-key digest set, `benchmarks/digest_set_sensor.py`);
- *after*: the reference `dynamic_sensor` (the change-time watermark).

Each sensor starts from its steady cursor (set through the webserver's GraphQL
`setSensorCursor`, the UI's "set cursor"), so every tick is a skipped tick over a quiet folder.
The script counts the sensor's finished ticks and the growth of the instance's schedule storage
(`schedules/schedules.db`, where the ticks table lives) over at least `--ticks` ticks, and reports
bytes per tick and per day at the default 30-second interval (2,880 ticks).

    .venv/bin/python benchmarks/instance_growth.py                  # 10,000 and 100,000 files, 50 ticks
    .venv/bin/python benchmarks/instance_growth.py --sizes 20 --ticks 3 --out /tmp/r
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_common import (
    BENCHMARKS_DIR,
    RESULTS_DIR,
    add_generated_files,
    print_table,
    temporary_data_root,
    write_results,
)
from digest_set_sensor import DIGEST_SET_SENSOR_NAME

from dagster_and_etl import settings
from dagster_and_etl.file_scan import encode_cursor, scan_folder
from dagster_and_etl.teaching.live.daemon_view import DaemonView, wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.watermark_cursor import plan_tick

TICKS_A_DAY = 24 * 3600 // settings.DEFAULT_SENSOR_INTERVAL_SECONDS
SETTLE_SECONDS = 2.0  # the daemon's settle window here: waited out before the steady cursor is made
DESIGNS = {"before (digest set)": DIGEST_SET_SENSOR_NAME, "after (change-time watermark)": "dynamic_sensor"}
SET_CURSOR = """
mutation SetCursor($selector: SensorSelector!, $cursor: String) {
  setSensorCursor(sensorSelector: $selector, cursor: $cursor) { __typename ... on PythonError { message } }
}"""


def steady_cursor(sensor_name: str, folder: Path) -> str:
    """The cursor each design holds once every file was requested and the folder stayed quiet."""
    files = scan_folder(folder).landed
    if sensor_name == DIGEST_SET_SENSOR_NAME:
        return encode_cursor({f.digest for f in files})
    time.sleep(SETTLE_SECONDS * 1.5)
    plan = plan_tick(None, lambda after: scan_folder(folder, after), round(SETTLE_SECONDS * 1e9), len(files))
    return plan_tick(plan.cursor, lambda after: scan_folder(folder, after), round(SETTLE_SECONDS * 1e9), 1).cursor


def schedule_storage_bytes(dagster_home: Path) -> int:
    return sum(path.stat().st_size for path in (dagster_home / "schedules").glob("schedules.db*"))


def measure(root: Path, files: int, sensor_name: str, ticks: int) -> dict:
    folder = settings.source_dir(root)
    dagster_home = root / f"dagster_home-{sensor_name}"
    cursor = steady_cursor(sensor_name, folder)
    with DagsterDevServer(root, dagster_home, sensor_interval_seconds=1, module="digest_set_sensor") as server:
        location = server.code_location_names()[0]
        selector = {"repositoryLocationName": location, "repositoryName": "__repository__", "sensorName": sensor_name}
        answer = server.graphql(SET_CURSOR, {"selector": selector, "cursor": cursor})["setSensorCursor"]
        assert answer["__typename"] != "PythonError", answer
        server.start_sensor(sensor_name)
        view = DaemonView(dagster_home, sensor_name)
        try:
            wait_until(lambda: view.finished_ticks() or None, 120, "the first tick")
            first = view.finished_ticks()[-1].tick_id
            start_bytes, start_count, started = (
                schedule_storage_bytes(dagster_home),
                len(view.finished_ticks()),
                time.monotonic(),
            )
            wait_until(
                lambda: len(view.finished_ticks()) - start_count >= ticks or None, ticks * 30, f"{ticks} more ticks"
            )
            elapsed = time.monotonic() - started
            recorded = [t for t in view.finished_ticks() if t.tick_id > first]
            grown = schedule_storage_bytes(dagster_home) - start_bytes
            requested = sum(len(t.run_keys) for t in recorded)
            stored = {t.cursor for t in recorded}
        finally:
            view.close()
    assert requested == 0, f"{sensor_name} requested {requested} runs over a quiet folder"
    per_tick = grown / len(recorded)
    return {
        "files": files,
        "sensor": sensor_name,
        "ticks": len(recorded),
        "seconds": elapsed,
        "cursor_bytes": len(cursor.encode()),
        "stored_cursor_unchanged": stored == {cursor},
        "storage_growth_bytes": grown,
        "bytes_per_tick": per_tick,
        "bytes_per_day_at_30s": per_tick * TICKS_A_DAY,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--ticks", type=int, default=50, help="ticks measured per size and design (at least)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    # The server's code location imports digest_set_sensor from here; the daemon's ticks read the window.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCHMARKS_DIR), os.environ.get("PYTHONPATH")]))
    os.environ[settings.SENSOR_SETTLE_ENV] = str(SETTLE_SECONDS)

    rows = []
    for size in args.sizes:
        with temporary_data_root("growth") as root:
            add_generated_files(settings.source_dir(root), 0, size)
            for label, sensor_name in DESIGNS.items():
                print(f"Measuring {label} over {size:,} files...", flush=True)
                rows.append({"design": label, **measure(root, size, sensor_name, args.ticks)})
    print_table(
        "Instance storage per sensor tick (skipped ticks over a quiet folder, the real daemon)",
        ["files", "design", "ticks", "cursor bytes", "storage growth", "bytes/tick", "MB/day at 30 s"],
        [
            [
                f"{r['files']:,}",
                r["design"],
                r["ticks"],
                f"{r['cursor_bytes']:,}",
                f"{r['storage_growth_bytes']:,}",
                f"{r['bytes_per_tick']:,.0f}",
                f"{r['bytes_per_day_at_30s'] / 1e6:,.1f}",
            ]
            for r in rows
        ],
    )
    results = {"ticks_per_size": args.ticks, "settle_seconds": SETTLE_SECONDS, "rows": rows}
    write_results("instance_growth", results, args.out)
    return results


if __name__ == "__main__":
    main()
