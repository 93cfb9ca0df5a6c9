"""What the duckdb pool cannot promise at `granularity: op`, on SQLite and on PostgreSQL storage:
simultaneous step claims of its one slot can both win. And what the run queue does at `run`.

With `granularity: op` (the shipped setting), each run's step claims a slot of the pool itself, from
its run worker, through the instance's event log storage (`dagster/_core/execution/plan/
instance_concurrency_context.py`: `InstanceConcurrencyContext.claim`, then
`dagster/_core/storage/event_log/sql_event_log.py`: `claim_concurrency_slot`). That call counts
the free slots (`has_unassigned_slots`), then selects a free slot row and updates it, in separate
autocommitted statements, and the final UPDATE has no "still free" guard. SQLAlchemy drops
`FOR UPDATE SKIP LOCKED` on SQLite (whose `_db_lock` is a thread lock, within one process); on
PostgreSQL the row lock it takes ends with that SELECT. Both storages can therefore grant one slot
twice.

Each trial: a new pool of one slot (the shipped dagster.yaml's `default_limit`, granularity `op`)
in an instance on SQLite (files in a temporary DAGSTER_HOME) or on PostgreSQL (a throwaway
cluster of Debian's PostgreSQL 15, `teaching/live/postgres.py`, configured by the shipped
dagster_postgres.yaml), and `claimers` processes that wait at a barrier and then claim it at the
same moment, as the steps of runs started together do. The trial counts how many claims the
storage granted; more than one means two writers are let into DuckDB at once, where the second
waits for the first one's lock (docs/reliability.md). Then each claimer frees its slot, as a step
does when it ends, and the trial checks that the pool has its one slot free again.

With `granularity: run` no step claims anything: the run queue decides, in one loop of one daemon,
which queued runs to launch, counting the runs under way in each pool
(`dagster/_core/op_concurrency_limits_counter.py`: `GlobalOpConcurrencyLimitsCounter.is_blocked`,
called run after run by `queued_run_coordinator_daemon.py`). The last table makes one such pass
over four queued writer runs, as the daemon does, for the shipped settings and for `run`, with and
without the one-run buffer (which Dagster applies at `run` granularity too).

    .venv/bin/python benchmarks/pool_claim_race.py
    .venv/bin/python benchmarks/pool_claim_race.py --trials 5 --claimers 2 --storages sqlite --out /tmp/r
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml
from bench_common import RESULTS_DIR, print_table, write_results

from dagster_and_etl.dagster_private import GlobalOpConcurrencyLimitsCounter, RunOpConcurrency
from dagster_and_etl.teaching.live.postgres import STORAGES, PostgresCluster, instance_config
from dagster_and_etl.teaching.live.processes import environment
from dagster_and_etl.warehouse import WRITER_POOL

STEP_KEY = "raw_dynamic_partition_data"
QUEUED_WRITER_RUNS = 4


@contextmanager
def instance_home(storage: str, cluster: PostgresCluster | None, granularity: str = "op", buffer: int | None = None):
    """A DAGSTER_HOME with the shipped settings on `storage` (a new database of `cluster` for
    PostgreSQL, its connection in this process's environment, which forked claimers inherit)."""
    config = instance_config(storage)
    pools = config["concurrency"]["pools"]
    pools["granularity"] = granularity
    if buffer is not None:
        pools["op_granularity_run_buffer"] = buffer
    with tempfile.TemporaryDirectory(prefix="dagster-etl-bench-claims-") as home:
        Path(home, "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        if cluster is None:
            yield home
        else:
            database = cluster.create_database(f"claims_{uuid.uuid4().hex[:12]}")
            with environment(cluster.instance_env(database)):
                yield home


def claim_at_the_barrier(home: str, pool: str, run_id: str, barrier, granted, freed) -> None:
    with dg.DagsterInstance.from_config(home) as instance:
        storage = instance.event_log_storage
        barrier.wait()
        granted.put(storage.claim_concurrency_slot(pool, run_id, STEP_KEY).is_claimed)
        freed.wait()  # every claim is made before any is freed
        storage.free_concurrency_slot_for_step(run_id, STEP_KEY)


def one_trial(home: str, pool: str, claimers: int) -> tuple[int, bool]:
    """A new one-slot pool; `claimers` processes claim its slot at once, then free it.
    Returns the claims granted, and whether the slot was free again afterwards."""
    with dg.DagsterInstance.from_config(home) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)
        slots = instance.event_log_storage.get_concurrency_info(pool).slot_count
        assert slots == 1, f"the pool has {slots} slots, expected the shipped 1"
    # Forked: the claimers start fast, so the barrier, not imports, sets the moment.
    context = multiprocessing.get_context("fork")
    barrier, granted, freed = context.Barrier(claimers), context.Queue(), context.Event()
    processes = [
        context.Process(target=claim_at_the_barrier, args=(home, pool, uuid.uuid4().hex, barrier, granted, freed))
        for _ in range(claimers)
    ]
    for process in processes:
        process.start()
    claims = sum(granted.get(timeout=120) for _ in processes)
    freed.set()
    for process in processes:
        process.join(timeout=120)
    with dg.DagsterInstance.from_config(home) as instance:
        info = instance.event_log_storage.get_concurrency_info(pool)
        slot_free_again = info.slot_count == 1 and not info.claimed_slots and not info.pending_steps
    return claims, slot_free_again


def claim_round(storage: str, cluster: PostgresCluster | None, claimers: int, trials: int) -> dict:
    """`trials` trials on one instance, each with a pool of its own."""
    with instance_home(storage, cluster) as home:
        outcomes = [one_trial(home, f"{WRITER_POOL}-trial-{n}", claimers) for n in range(trials)]
    granted = [claims for claims, _ in outcomes]
    return {
        "storage": storage,
        "claimers": claimers,
        "trials": trials,
        "claims_granted_per_trial": granted,
        "trials_with_more_than_one_claim": sum(n > 1 for n in granted),
        "most_claims_granted_at_once": max(granted),
        "trials_with_the_slot_free_again": sum(free for _, free in outcomes),
    }


def _writer_run(status: dg.DagsterRunStatus) -> dg.DagsterRun:
    pools = RunOpConcurrency(
        root_key_counts={WRITER_POOL: 1}, has_unconstrained_root_nodes=False, all_pools={WRITER_POOL}
    )
    return dg.DagsterRun(job_name="import_dynamic_partition_job", status=status, run_op_concurrency=pools)


def runs_one_pass_launches(home: str, under_way: int) -> int:
    """One pass of the run queue over QUEUED_WRITER_RUNS waiting writer runs (stored NOT_STARTED: a
    queued run needs a code location's origin, which the decision never reads), with `under_way` writer
    runs already started: the daemon's loop (`QueuedRunCoordinatorDaemon._dequeue_runs_iteration`),
    its blocking decision and its count of what it launched. Returns how many it would launch."""
    with dg.DagsterInstance.from_config(home) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default(WRITER_POOL)
        started = [instance.add_run(_writer_run(dg.DagsterRunStatus.STARTING)) for _ in range(under_way)]
        queued = [instance.add_run(_writer_run(dg.DagsterRunStatus.NOT_STARTED)) for _ in range(QUEUED_WRITER_RUNS)]
        config = instance.get_concurrency_config()
        counter = GlobalOpConcurrencyLimitsCounter(
            instance,
            queued,
            instance.get_run_records(dg.RunsFilter(run_ids=[run.run_id for run in started])) if started else [],
            concurrency_keys=instance.event_log_storage.get_concurrency_keys(),
            pool_limits=instance.event_log_storage.get_pool_limits(),
            slot_count_offset=config.run_queue_config.op_concurrency_slot_buffer,
            pool_granularity=config.pool_config.pool_granularity,
        )
        launched = 0
        for run in queued:
            if not counter.is_blocked(run):
                counter.update_counters_with_launched_item(run)
                launched += 1
        return launched


RUN_QUEUE_SETTINGS = [("op", 1), ("run", 1), ("run", 0)]  # the shipped settings first


def run_queue_rows(storage: str, cluster: PostgresCluster | None) -> list[dict]:
    rows = []
    for granularity, buffer in RUN_QUEUE_SETTINGS:
        row: dict = {"storage": storage, "granularity": granularity, "op_granularity_run_buffer": buffer}
        for under_way in (0, 1):
            with instance_home(storage, cluster, granularity, buffer) as home:
                row[f"launched_with_{under_way}_under_way"] = runs_one_pass_launches(home, under_way)
        rows.append(row)
    return rows


@contextmanager
def storage_cluster(storage: str) -> Iterator[PostgresCluster | None]:
    if storage != "postgres":
        yield None
        return
    with PostgresCluster() as cluster:
        yield cluster


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100, help="trials per storage and number of claimers")
    parser.add_argument("--claimers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--storages", nargs="+", choices=STORAGES, default=list(STORAGES))
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    rounds, run_queue = [], []
    for storage in args.storages:
        with storage_cluster(storage) as cluster:
            for claimers in args.claimers:
                rounds.append(claim_round(storage, cluster, claimers, args.trials))
            run_queue.extend(run_queue_rows(storage, cluster))

    for r in rounds:
        counts = Counter(r["claims_granted_per_trial"])
        print_table(
            f"{r['claimers']} simultaneous claims of a one-slot pool, granularity op, {r['storage']} storage, "
            f"{r['trials']} trials",
            ["claims granted", "trials"],
            [[n, counts[n]] for n in sorted(counts)],
        )
    print_table(
        "Granularity op: simultaneous claims of one slot",
        ["storage", "claimers", "trials", "more than one granted", "most at once", "slot free again"],
        [
            [
                r["storage"],
                r["claimers"],
                r["trials"],
                r["trials_with_more_than_one_claim"],
                r["most_claims_granted_at_once"],
                r["trials_with_the_slot_free_again"],
            ]
            for r in rounds
        ],
    )
    print_table(
        f"One pass of the run queue over {QUEUED_WRITER_RUNS} queued writer runs: how many it launches",
        ["storage", "granularity", "run buffer", "none under way", "one under way"],
        [
            [
                r["storage"],
                r["granularity"],
                r["op_granularity_run_buffer"],
                r["launched_with_0_under_way"],
                r["launched_with_1_under_way"],
            ]
            for r in run_queue
        ],
    )
    results = {
        "trials": args.trials,
        "claimers": args.claimers,
        "storages": args.storages,
        "postgres_instance_config": "dagster.yaml + dagster_postgres.yaml (psycopg2), PostgreSQL 15 on 127.0.0.1"
        if "postgres" in args.storages
        else None,
        "rounds": rounds,
        "queued_writer_runs": QUEUED_WRITER_RUNS,
        "run_queue_pass": run_queue,
    }
    write_results("pool_claim_race", results, args.out)
    return results


if __name__ == "__main__":
    main()
