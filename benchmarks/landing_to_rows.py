"""Figure 3: from a file landing in `source/` to its rows being in DuckDB, under the real `dagster dev`.

The reference project runs under `dagster dev` (webserver and daemon, in their own process
group on 127.0.0.1) over a temporary data root, with a short sensor interval and the sensor
turned on. Files land one at a time (written as `.part`, then renamed, as an uploader does),
each at a different point of the sensor's interval, and the clock stops when the run's
materialization of that file's partition is recorded: the asset logs it right after its DuckDB
transaction commits. The run is then awaited and the table checked for the file's rows.

Each latency splits into three: the sensor picking the file up (landing to the daemon creating
the run), the run waiting to start (created to started: the run queue dequeues it and a run
worker process starts and imports Dagster and the project), and the run loading the file
(started to rows committed).

    .venv/bin/python benchmarks/landing_to_rows.py
    .venv/bin/python benchmarks/landing_to_rows.py --files 2 --interval 1 --out /tmp/r
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
from bench_common import RESULTS_DIR, median, print_table, temporary_data_root, write_results

from dagster_and_etl import settings, warehouse
from dagster_and_etl.dagster_private import PARTITION_NAME_TAG
from dagster_and_etl.defs.assets import raw_dynamic_partition_data
from dagster_and_etl.sample_data import FIRST_DAY, ROWS_PER_DAY, day_csv
from dagster_and_etl.teaching.live.daemon_view import wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.live.processes import live_processes_in_group

TARGET_SLACK_SECONDS = 5.0
# Spreads the landings over the sensor's interval (the fractional parts of n * golden ratio).
PHASE_STEP = 0.618_033_988_75


def land(folder: Path, name: str, text: str) -> float:
    """Write `name` as an uploader does (a `.part` file, then a rename); return the landing time."""
    partial = folder / f"{name}.part"
    partial.write_text(text, encoding="utf-8", newline="")
    os.replace(partial, folder / name)
    return time.time()


def materialization_time(instance: dg.DagsterInstance, partition_key: str) -> float | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=raw_dynamic_partition_data.key, asset_partitions=[partition_key]), limit=1
    ).records
    return records[0].timestamp if records else None


def finished_run(instance: dg.DagsterInstance, partition_key: str) -> dg.RunRecord | None:
    records = instance.get_run_records(filters=dg.RunsFilter(tags={PARTITION_NAME_TAG: partition_key}), limit=1)
    if records and records[0].dagster_run.is_finished:
        return records[0]
    return None


def measure_one(server: DagsterDevServer, instance: dg.DagsterInstance, index: int, timeout_seconds: float) -> dict:
    day = FIRST_DAY + timedelta(days=index)
    key = day.isoformat()
    landed_at = land(settings.source_dir(server.data_root), f"{key}.csv", day_csv(day))
    committed_at = wait_until(
        lambda: materialization_time(instance, key),
        timeout_seconds,
        f"rows of {key}.csv (see {server.log_path})",
        interval_seconds=0.1,
    )
    run = wait_until(
        lambda: finished_run(instance, key),
        timeout_seconds,
        f"the run for {key}.csv (see {server.log_path})",
        interval_seconds=0.1,
    )
    rows = warehouse.row_counts(settings.database_path(server.data_root), warehouse.DYNAMIC_TABLE).get(key, 0)
    created_at = run.create_timestamp.timestamp()
    return {
        "file": f"{key}.csv",
        "latency_seconds": committed_at - landed_at,
        "pickup_seconds": created_at - landed_at,
        "start_seconds": run.start_time - created_at,
        "load_seconds": committed_at - run.start_time,
        "run_status": run.dagster_run.status.value,
        "rows_in_duckdb": rows,
        "rows_expected": ROWS_PER_DAY,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--interval", type=int, default=5, help="the sensor's minimum interval, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one file's rows")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    files = []
    with temporary_data_root("landing") as root:
        server = DagsterDevServer(root, settings.dagster_home(root), sensor_interval_seconds=args.interval)
        with server:
            process_group = server.process.pid
            instance = dg.DagsterInstance.local_temp(str(server.dagster_home))
            try:
                server.start_sensor()
                for index in range(args.files):
                    time.sleep((index * PHASE_STEP % 1.0) * args.interval)
                    files.append(measure_one(server, instance, index, args.timeout))
                    print(f"{files[-1]['file']}: {files[-1]['latency_seconds']:.1f} s", flush=True)
            finally:
                instance.dispose()
        leftovers = live_processes_in_group(process_group)
        if leftovers:
            raise RuntimeError(f"dagster dev left processes behind: {leftovers}")

    latencies = [f["latency_seconds"] for f in files]
    target = args.interval + TARGET_SLACK_SECONDS
    summary = {
        "median_seconds": median(latencies),
        "worst_seconds": max(latencies),
        "best_seconds": min(latencies),
        "median_pickup_seconds": median([f["pickup_seconds"] for f in files]),
        "median_start_seconds": median([f["start_seconds"] for f in files]),
        "median_load_seconds": median([f["load_seconds"] for f in files]),
        "all_rows_loaded": all(f["rows_in_duckdb"] == f["rows_expected"] for f in files),
        "target_seconds": target,
        "target_met": median(latencies) <= target,
    }
    print_table(
        f"Landing to rows in DuckDB under dagster dev, sensor interval {args.interval} s",
        ["file", "landing to rows s", "pickup s", "run start s", "load s", "run", "rows"],
        [
            [
                f["file"],
                f"{f['latency_seconds']:.1f}",
                f"{f['pickup_seconds']:.1f}",
                f"{f['start_seconds']:.1f}",
                f"{f['load_seconds']:.1f}",
                f["run_status"],
                f["rows_in_duckdb"],
            ]
            for f in files
        ],
    )
    print(
        f"\nMedian {summary['median_seconds']:.1f} s (pickup {summary['median_pickup_seconds']:.1f} s, run start "
        f"{summary['median_start_seconds']:.1f} s, load {summary['median_load_seconds']:.1f} s), worst {summary['worst_seconds']:.1f} s over {len(files)} files. "
        f"Target: median within the interval + {TARGET_SLACK_SECONDS:g} s = {target:g} s: "
        f"{'met' if summary['target_met'] else 'MISSED by %.1f s' % (summary['median_seconds'] - target)}"
    )
    results = {"sensor_interval_seconds": args.interval, "files": files, "summary": summary}
    write_results("landing_to_rows", results, args.out)
    return results


if __name__ == "__main__":
    main()
