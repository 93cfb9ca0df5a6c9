"""Figure 3: from a file landing in `source/` to its rows being in DuckDB, under the real `dagster dev`.

The reference project runs under `dagster dev` (webserver and daemon, in their own process
group on 127.0.0.1) over a temporary data root, with a short sensor interval and the sensor
turned on. Files land one at a time (written as `.part`, then renamed, as an uploader does),
on a clock of their own: one slot of at least 20 s each, at a different point of the daemon's
tick cycle in each slot, never just after the previous file's rows. The clock stops when the
run's materialization of that file's partition is recorded: the asset logs it right after its
DuckDB transaction commits. The run is then awaited and the table checked for the file's rows.

Each latency splits into three: the sensor picking the file up (landing to the daemon creating
the run), the run waiting to start (created to started: the run queue dequeues it and a run
worker process starts and imports Dagster and the project), and the run loading the file
(started to rows committed).

Then a backlog: `--backlog` files land at once (all written as `.part`, then all renamed), with
the sensor on, and the clock stops when the last of their partitions is committed to DuckDB (the
latest materialization); every run must have succeeded and every file's rows must be there. The
sensor's per-tick cap (`DAGSTER_ETL_MAX_RUNS_PER_TICK`, 100) spreads 200 files over two ticks.

Both measurements are taken, one server after the other in the same invocation, for each
configuration: `today`, the configuration before issue 12 (the multiprocess executor, which
starts one more process for each run's one step, `multiprocess_definitions.py`, with the pool at
`granularity: run`, so runs go one at a time, start-up included); `run-granularity` (not run by
default), the in-process executor with that same pool; and `reference`, the package as it ships
(the in-process executor, the pool at `granularity: op` with a one-run buffer, which lets the
next run worker start while a writer writes).

    .venv/bin/python benchmarks/landing_to_rows.py
    .venv/bin/python benchmarks/landing_to_rows.py --files 2 --backlog 3 --interval 1 --out /tmp/r
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import dagster as dg
import yaml
from bench_common import (
    BENCHMARKS_DIR,
    RESULTS_DIR,
    dagster_bytecode_cached,
    median,
    print_table,
    temporary_data_root,
    write_results,
)

from dagster_and_etl import settings, warehouse
from dagster_and_etl.dagster_private import PARTITION_NAME_TAG
from dagster_and_etl.defs.assets import raw_dynamic_partition_data
from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.sample_data import FIRST_DAY, ROWS_PER_DAY, day_csv
from dagster_and_etl.teaching.live.daemon_view import wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.live.processes import live_processes_in_group

TARGET_SLACK_SECONDS = 5.0
# Issue 12's targets for the reference configuration, against `today` measured in the same run.
TARGET_MEDIAN_SECONDS = 6.0
TARGET_BACKLOG_SPEEDUP = 3.0
# Files land on a clock of their own, not as soon as the previous file's rows are in. The sensor
# daemon wakes on a fixed loop (`dagster/_daemon/sensor.py`: MIN_INTERVAL_LOOP_TIME, 5 s) and
# ticks no sooner than the interval: a file landed right after the previous one loaded would
# meet the tick cycle at a point set by how long that load took, and the faster configuration
# would wait the longer for its next tick. So each file has a slot (a whole number of tick
# cycles, at least MIN_SLOT_SECONDS), and lands in it at a point of the cycle spread by the
# golden ratio (the fractional parts of n * PHASE_STEP).
DAEMON_LOOP_SECONDS = 5
MIN_SLOT_SECONDS = 20.0
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


@dataclass(frozen=True)
class Configuration:
    """What a server runs: a definitions module (found on `benchmarks/` too) and changes to the
    shipped dagster.yaml's `concurrency: pools:` settings (None removes one)."""

    name: str
    executor: str
    module: str = settings.DEFINITIONS_MODULE
    pool_settings: dict = field(default_factory=dict)


# The shipped pool settings are `granularity: op` with a one-run buffer; the two before them ran
# at `granularity: run`, which reads the buffer too (op_concurrency_limits_counter.py: is_blocked),
# so it goes (None removes a setting).
RUN_GRANULARITY = {"granularity": "run", "op_granularity_run_buffer": None}
CONFIGURATIONS = {
    c.name: c
    for c in [
        Configuration("today", "multiprocess", module="multiprocess_definitions", pool_settings=RUN_GRANULARITY),
        Configuration("run-granularity", "in_process", pool_settings=RUN_GRANULARITY),
        Configuration("reference", "in_process"),
    ]
}
# The reference first: work started beside the benchmark (and fading as it goes on) then slows
# the new configuration, not today's.
DEFAULT_CONFIGURATIONS = ["reference", "today"]


class ConfiguredServer(DagsterDevServer):
    """`DagsterDevServer` for one `Configuration`: its module, with `benchmarks/` on the import
    path, and the shipped instance settings with the configuration's pool settings on top."""

    def __init__(self, configuration: Configuration, data_root: Path, **kwargs):
        super().__init__(data_root, settings.dagster_home(data_root), module=configuration.module, **kwargs)
        self.configuration = configuration
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCHMARKS_DIR), os.environ.get("PYTHONPATH")]))

    def instance_yaml(self) -> str:
        config = yaml.safe_load(super().instance_yaml())
        pools = config["concurrency"]["pools"]
        for name, value in self.configuration.pool_settings.items():
            if value is None:
                pools.pop(name, None)
            else:
                pools[name] = value
        return yaml.safe_dump(config, sort_keys=False)

    def pool_settings(self) -> dict:
        return yaml.safe_load(self.instance_yaml())["concurrency"]["pools"]


def finished_runs(instance: dg.DagsterInstance, keys: set[str]) -> list[dg.RunRecord]:
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=import_dynamic_partition_job.name, statuses=FINISHED_STATUSES)
    )
    return [r for r in records if r.dagster_run.tags.get(PARTITION_NAME_TAG) in keys]


FINISHED_STATUSES = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
PROGRESS_EVERY = 20


def most_runs_at_once(instance: dg.DagsterInstance, records: list[dg.RunRecord]) -> int:
    """The most of these finished runs that were under way at the same moment, each from the run
    queue launching it (its run worker starting up) to its end."""
    edges = []
    for record in records:
        launched = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.RUN_STARTING)
        if launched and record.end_time:
            edges += [(launched[0].timestamp, 1), (record.end_time, -1)]
    # A run ending at the moment another is launched did not overlap it: at a tie, the end counts first.
    most = under_way = 0
    for _, change in sorted(edges):
        under_way += change
        most = max(most, under_way)
    return most


def measure_backlog(
    server: DagsterDevServer, instance: dg.DagsterInstance, first_index: int, count: int, timeout_seconds: float
) -> dict:
    """Land `count` files at once and wait until every one's run has finished; the drain time is
    from the landing to the last partition's rows being committed."""
    folder = settings.source_dir(server.data_root)
    days = [FIRST_DAY + timedelta(days=first_index + i) for i in range(count)]
    keys = {day.isoformat() for day in days}
    for day in days:
        (folder / f"{day.isoformat()}.csv.part").write_text(day_csv(day), encoding="utf-8", newline="")
    landed_at = time.time()
    for day in days:
        os.replace(folder / f"{day.isoformat()}.csv.part", folder / f"{day.isoformat()}.csv")
    deadline = time.monotonic() + timeout_seconds
    reported = 0
    while len(runs := finished_runs(instance, keys)) < count:
        if len(runs) >= reported + PROGRESS_EVERY:  # a long drain says how far it has got
            reported = len(runs) - len(runs) % PROGRESS_EVERY
            print(f"  {len(runs)} of {count} runs finished after {time.time() - landed_at:.0f} s", flush=True)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(runs)} of {count} backlog runs finished in {timeout_seconds:.0f} s")
        time.sleep(1.0)
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=raw_dynamic_partition_data.key, asset_partitions=sorted(keys)),
        limit=4 * count,
    ).records
    committed = {r.partition_key for r in records}
    last_commit = max(r.timestamp for r in records) if records else float("nan")
    rows = warehouse.row_counts(settings.database_path(server.data_root), warehouse.DYNAMIC_TABLE)
    starts = sorted(r.start_time for r in runs if r.start_time)
    return {
        "files": count,
        "drain_seconds": last_commit - landed_at,
        "last_run_created_seconds": max(r.create_timestamp.timestamp() for r in runs) - landed_at,
        "first_run_started_seconds": starts[0] - landed_at if starts else None,
        "most_runs_at_once": most_runs_at_once(instance, runs),
        "runs_succeeded": sum(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in runs),
        "runs_failed": sum(r.dagster_run.status != dg.DagsterRunStatus.SUCCESS for r in runs),
        "partitions_committed": len(committed),
        "all_rows_loaded": all(rows.get(k, 0) == ROWS_PER_DAY for k in keys),
    }


def latency_summary(files: list[dict], interval: int) -> dict:
    latencies = [f["latency_seconds"] for f in files]
    target = interval + TARGET_SLACK_SECONDS
    return {
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


def measure_configuration(configuration: Configuration, args: argparse.Namespace) -> dict:
    """Start a server for `configuration` over a new data root; measure the latencies, then the backlog."""
    print(f"\n== {configuration.name}: {configuration.executor} executor, module {configuration.module}", flush=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    files = []
    with temporary_data_root(f"landing-{configuration.name}") as root:
        server = ConfiguredServer(configuration, root, sensor_interval_seconds=args.interval)
        with server:
            process_group = server.process.pid
            instance = dg.DagsterInstance.local_temp(str(server.dagster_home))
            try:
                server.start_sensor()
                cycle = max(args.interval, DAEMON_LOOP_SECONDS)
                slot_seconds = cycle * math.ceil(MIN_SLOT_SECONDS / cycle)
                started, slot = time.time(), 0
                for index in range(args.files):
                    landing_at = started + slot * slot_seconds + (index * PHASE_STEP % 1.0) * cycle
                    time.sleep(max(0.0, landing_at - time.time()))
                    files.append(measure_one(server, instance, index, args.timeout))
                    # A file still loading at its successor's slot pushes that one a slot on.
                    slot = max(slot + 1, math.ceil((time.time() - started) / slot_seconds))
                    print(f"{files[-1]['file']}: {files[-1]['latency_seconds']:.1f} s", flush=True)
                backlog = measure_backlog(server, instance, args.files, args.backlog, args.backlog_timeout)
                print(f"backlog of {args.backlog} files: {backlog['drain_seconds']:.1f} s", flush=True)
            finally:
                instance.dispose()
        leftovers = live_processes_in_group(process_group)
        if leftovers:
            raise RuntimeError(f"dagster dev left processes behind: {leftovers}")
    return {
        "name": configuration.name,
        "executor": configuration.executor,
        "module": configuration.module,
        "pools": server.pool_settings(),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "files": files,
        "latency": latency_summary(files, args.interval),
        "backlog": backlog,
    }


def print_configuration(measured: dict, interval: int) -> None:
    files, summary = measured["files"], measured["latency"]
    print_table(
        f"{measured['name']}: landing to rows in DuckDB under dagster dev, sensor interval {interval} s",
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
    backlog = measured["backlog"]
    print(
        f"\nMedian {summary['median_seconds']:.1f} s (pickup {summary['median_pickup_seconds']:.1f} s, run start "
        f"{summary['median_start_seconds']:.1f} s, load {summary['median_load_seconds']:.1f} s), worst "
        f"{summary['worst_seconds']:.1f} s over {len(files)} files. Backlog of {backlog['files']} files: "
        f"{backlog['drain_seconds']:.1f} s ({backlog['runs_succeeded']} runs succeeded, {backlog['runs_failed']} "
        f"failed, all rows loaded: {backlog['all_rows_loaded']}). Load average {measured['load_average_before']} "
        f"before, {measured['load_average_after']} after."
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=12, help="files landed one at a time, for the latency")
    parser.add_argument("--backlog", type=int, default=200, help="files landed at once, for the drain time")
    parser.add_argument("--interval", type=int, default=5, help="the sensor's minimum interval, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one file's rows")
    parser.add_argument("--backlog-timeout", type=float, default=3600.0, help="seconds to wait for the backlog")
    parser.add_argument("--configurations", nargs="+", choices=sorted(CONFIGURATIONS), default=DEFAULT_CONFIGURATIONS)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    if not dagster_bytecode_cached():
        print("Warning: Dagster's bytecode is not cached here, so every run worker compiles Dagster from source")
    results: dict = {"sensor_interval_seconds": args.interval, "configurations": []}
    for name in args.configurations:
        results["configurations"].append(measure_configuration(CONFIGURATIONS[name], args))
        print_configuration(results["configurations"][-1], args.interval)
        write_results("landing_to_rows", results, args.out)  # after each one: a long run keeps what it measured

    measured = {c["name"]: c for c in results["configurations"]}
    if "today" in measured:
        today = measured["today"]
        comparisons = {}
        for name, other in measured.items():
            if name == "today":
                continue
            speedup = today["backlog"]["drain_seconds"] / other["backlog"]["drain_seconds"]
            comparisons[name] = {
                "median_seconds": other["latency"]["median_seconds"],
                "median_seconds_today": today["latency"]["median_seconds"],
                "median_target_met": other["latency"]["median_seconds"] <= TARGET_MEDIAN_SECONDS,
                "backlog_speedup": speedup,
                "backlog_target_met": speedup >= TARGET_BACKLOG_SPEEDUP,
            }
            print(
                f"\n{name} against today: median {other['latency']['median_seconds']:.1f} s against "
                f"{today['latency']['median_seconds']:.1f} s (target {TARGET_MEDIAN_SECONDS:g} s: "
                f"{'met' if comparisons[name]['median_target_met'] else 'MISSED'}); backlog "
                f"{other['backlog']['drain_seconds']:.1f} s against {today['backlog']['drain_seconds']:.1f} s, "
                f"{speedup:.2f}x faster (target {TARGET_BACKLOG_SPEEDUP:g}x: "
                f"{'met' if comparisons[name]['backlog_target_met'] else 'MISSED'})"
            )
        results["against_today"] = comparisons
        write_results("landing_to_rows", results, args.out)
    return results


if __name__ == "__main__":
    main()
