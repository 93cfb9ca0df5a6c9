"""Figure 2: the first time the sensor is turned on over a full folder (10,000 files).

Every file is new, so the backlog drains over ticks of at most `DAGSTER_ETL_MAX_RUNS_PER_TICK`
requests each. Each tick goes through `evaluate_tick` (the daemon's path, which checks every
requested partition key against the instance's registered partitions) with a real on-disk
instance, and the tick's partition requests are then registered, as the daemon does. The runs
themselves are not executed: this figure is the sensor's cost, not the job's.

For each cap: the ticks until the backlog is drained, the slowest tick, the total time, and how
long the drain takes in wall-clock time at the default sensor interval.

The daemon then creates one run per request within the same tick. That cost is sampled here
(`create_run_for_job` on the same kind of instance, which builds the run's execution plan as the
daemon has its code server do) and added to the slowest tick as an estimate of a full daemon
tick: the recommended cap is the largest whose estimate fits in a quarter of the default sensor
interval, so a backlog never makes the sensor late for the files that land meanwhile, even on a
busy machine (creating a run took 7 times longer here while other work was running).

    .venv/bin/python benchmarks/first_turn_on.py
    .venv/bin/python benchmarks/first_turn_on.py --files 30 --caps 10 30 --out /tmp/r
"""

from __future__ import annotations

import argparse
from pathlib import Path

import dagster as dg
from bench_common import (
    RESULTS_DIR,
    add_generated_files,
    median,
    ms,
    print_table,
    quiet_dagster_logs,
    temporary_data_root,
    timed,
    write_results,
)

from dagster_and_etl import settings
from dagster_and_etl.dagster_private import PARTITION_NAME_TAG, RUN_KEY_TAG
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.teaching.live.processes import environment
from dagster_and_etl.teaching.simulation.run_loop import evaluate_sensor, register_requested_partitions

SENSOR_NAME = dynamic_sensor.name
RUN_CREATION_SAMPLES = 20
# The share of the default sensor interval a full daemon tick may take at the recommended cap.
DAEMON_TICK_SHARE_OF_INTERVAL = 0.25


def drain(defs: dg.Definitions, instance: dg.DagsterInstance, cap: int, file_count: int) -> dict:
    """Tick from an empty cursor until a tick requests nothing; time each tick."""
    cursor, ticks = None, []
    requested: set[str | None] = set()
    with environment({settings.MAX_RUNS_PER_TICK_ENV: str(cap)}):
        while True:
            evaluate_seconds, data = timed(lambda: evaluate_sensor(defs, instance, SENSOR_NAME, cursor))
            register_seconds, registered = timed(lambda: register_requested_partitions(instance, data))
            cursor = data.cursor
            if not data.run_requests:
                break
            assert len(data.run_requests) <= cap
            requested.update(r.run_key for r in data.run_requests)
            ticks.append(
                {
                    "requests": len(data.run_requests),
                    "evaluate_seconds": evaluate_seconds,
                    "register_seconds": register_seconds,
                    "registered": len(registered),
                }
            )
    assert len(requested) == file_count, f"{len(requested)} files requested, expected {file_count}"
    evaluate = [t["evaluate_seconds"] for t in ticks]
    register = [t["register_seconds"] for t in ticks]
    return {
        "cap": cap,
        "ticks_to_drain": len(ticks),
        "slowest_tick_seconds": max(evaluate),
        "slowest_tick_with_registration_seconds": max(e + r for e, r in zip(evaluate, register)),
        "first_tick_seconds": evaluate[0],
        "last_tick_seconds": evaluate[-1],
        "total_evaluate_seconds": sum(evaluate),
        "total_register_seconds": sum(register),
        "drain_wall_clock_at_default_interval_seconds": len(ticks) * settings.DEFAULT_SENSOR_INTERVAL_SECONDS,
        "ticks": ticks,
    }


def seconds_per_run_created(defs: dg.Definitions, samples: int) -> float:
    """The median time to create one partitioned run record, as the daemon does for each request."""
    job = defs.resolve_job_def(defs.resolve_sensor_def(SENSOR_NAME).job_name)
    keys = [f"run-creation-sample-{n}" for n in range(samples)]
    with dg.instance_for_test() as instance:
        assert isinstance(job.partitions_def, dg.DynamicPartitionsDefinition)
        instance.add_dynamic_partitions(job.partitions_def.name, keys)
        times = [
            timed(
                lambda: instance.create_run_for_job(
                    job_def=job, run_config={}, tags={PARTITION_NAME_TAG: key, RUN_KEY_TAG: key}
                )
            )[0]
            for key in keys
        ]
    return median(times)


def recommend(rows: list[dict], run_creation_seconds: float) -> dict:
    """The largest cap whose estimated daemon tick (slowest sensor tick, registration, and one run
    created per request) fits in a quarter of the default sensor interval."""
    interval = settings.DEFAULT_SENSOR_INTERVAL_SECONDS
    budget = interval * DAEMON_TICK_SHARE_OF_INTERVAL
    for row in rows:
        row["estimated_daemon_tick_seconds"] = (
            row["slowest_tick_with_registration_seconds"] + row["cap"] * run_creation_seconds
        )
    fitting = [r for r in rows if r["estimated_daemon_tick_seconds"] <= budget]
    best = max(fitting, key=lambda r: r["cap"]) if fitting else min(rows, key=lambda r: r["cap"])
    return {
        "cap": best["cap"],
        "rule": f"the largest cap measured whose estimated daemon tick fits in a quarter of the default "
        f"{interval} s interval ({budget:g} s)",
        "estimated_daemon_tick_seconds": best["estimated_daemon_tick_seconds"],
        "slowest_tick_seconds": best["slowest_tick_with_registration_seconds"],
        "ticks_to_drain": best["ticks_to_drain"],
        "run_creation_seconds": run_creation_seconds,
        "current_default": settings.DEFAULT_MAX_RUNS_PER_TICK,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--caps", type=int, nargs="+", default=[50, 100, 250, 1_000, 10_000])
    parser.add_argument("--run-creation-samples", type=int, default=RUN_CREATION_SAMPLES)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    quiet_dagster_logs()

    rows = []
    with temporary_data_root("turn-on") as root:
        add_generated_files(settings.source_dir(root), 0, args.files)
        defs = build_definitions(root)
        for cap in args.caps:
            print(f"Draining {args.files:,} files at a cap of {cap:,} per tick...", flush=True)
            with dg.instance_for_test() as instance:  # a fresh instance: nothing registered yet
                rows.append(drain(defs, instance, cap, args.files))
        run_creation_seconds = seconds_per_run_created(defs, args.run_creation_samples)
    recommendation = recommend(rows, run_creation_seconds)

    print_table(
        f"First turn-on over {args.files:,} files (evaluate_tick, then partitions registered as the daemon does)",
        [
            "cap",
            "ticks",
            "slowest tick ms",
            "slowest incl. registration ms",
            "total evaluate s",
            "total register s",
            f"drain at {settings.DEFAULT_SENSOR_INTERVAL_SECONDS} s interval",
            "est. daemon tick s",
        ],
        [
            [
                f"{r['cap']:,}",
                r["ticks_to_drain"],
                ms(r["slowest_tick_seconds"]),
                ms(r["slowest_tick_with_registration_seconds"]),
                f"{r['total_evaluate_seconds']:.1f}",
                f"{r['total_register_seconds']:.1f}",
                f"{r['drain_wall_clock_at_default_interval_seconds'] / 60:.1f} min",
                f"{r['estimated_daemon_tick_seconds']:.1f}",
            ]
            for r in rows
        ],
    )
    print(
        f"\nCreating one run record took {ms(run_creation_seconds)} ms (median of {args.run_creation_samples}); the "
        "estimated daemon tick adds one per request to the slowest sensor tick."
    )
    print(
        f"Recommended cap: {recommendation['cap']:,} ({recommendation['rule']}: "
        f"{recommendation['estimated_daemon_tick_seconds']:.1f} s, {recommendation['ticks_to_drain']} ticks to drain)"
    )
    results = {
        "files": args.files,
        "caps": rows,
        "run_creation_seconds": run_creation_seconds,
        "recommendation": recommendation,
    }
    write_results("first_turn_on", results, args.out)
    return results


if __name__ == "__main__":
    main()
