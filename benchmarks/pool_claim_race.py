"""What the duckdb pool cannot promise on SQLite storage: step-level claims of its one slot can both win.

With `granularity: op` (the shipped setting), each run's step claims a slot of the pool itself, from its run worker,
through the instance's event log storage (`dagster/_core/execution/plan/
instance_concurrency_context.py`: `InstanceConcurrencyContext.claim`, then
`dagster/_core/storage/event_log/sql_event_log.py`: `claim_concurrency_slot`). That call reads
whether a slot is free (`has_unassigned_slots`, then `_claim_concurrency_slot`'s `SELECT`) and
then writes the claim, in separate statements; the `SELECT ... FOR UPDATE SKIP LOCKED` it relies
on is not emitted for SQLite, and SQLite storage's lock (`_db_lock`) is a thread lock, within one
process. `dagster dev`'s instance is SQLite.

Each trial here: a new pool of one slot in a SQLite-backed instance (the shipped dagster.yaml's
pool settings, granularity `op`), and `--claimers` processes that wait at a barrier and then
claim it at the same moment, as the steps of runs started together do. The trial counts how many
claims the storage granted; more than one means two writers are let into DuckDB at once, where the
second waits for the first one's lock (docs/reliability.md). Then each claimer frees its slot, as
a step does when it ends, and the trial checks that the pool has its one slot free again: a
double grant must not lose the slot.

    .venv/bin/python benchmarks/pool_claim_race.py
    .venv/bin/python benchmarks/pool_claim_race.py --trials 5 --out /tmp/r
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import dagster as dg
import yaml
from bench_common import RESULTS_DIR, print_table, write_results

from dagster_and_etl import settings
from dagster_and_etl.warehouse import WRITER_POOL

STEP_KEY = "raw_dynamic_partition_data"


def op_granularity_yaml() -> str:
    """The shipped instance settings, with the pool's granularity `op`."""
    config = yaml.safe_load(settings.INSTANCE_CONFIG.read_text())
    config["concurrency"]["pools"]["granularity"] = "op"
    return yaml.safe_dump(config, sort_keys=False)


def claim_at_the_barrier(home: str, run_id: str, barrier, granted, freed) -> None:
    with dg.DagsterInstance.from_config(home) as instance:
        storage = instance.event_log_storage
        barrier.wait()
        granted.put(storage.claim_concurrency_slot(WRITER_POOL, run_id, STEP_KEY).is_claimed)
        freed.wait()  # every claim is made before any is freed
        storage.free_concurrency_slot_for_step(run_id, STEP_KEY)


def one_trial(claimers: int) -> tuple[int, bool]:
    """A new instance and pool; `claimers` processes claim its one slot at once, then free it.
    Returns the claims granted, and whether the slot was free again afterwards."""
    with tempfile.TemporaryDirectory(prefix="dagster-etl-bench-claims-") as home:
        Path(home, "dagster.yaml").write_text(op_granularity_yaml())
        with dg.DagsterInstance.from_config(home) as instance:
            instance.event_log_storage.initialize_concurrency_limit_to_default(WRITER_POOL)
            slots = instance.event_log_storage.get_concurrency_info(WRITER_POOL).slot_count
            assert slots == 1, f"the {WRITER_POOL} pool has {slots} slots, expected the shipped 1"
        context = multiprocessing.get_context(
            "fork"
        )  # the claimers start fast: the barrier, not imports, sets the moment
        barrier, granted, freed = context.Barrier(claimers), context.Queue(), context.Event()
        processes = [
            context.Process(target=claim_at_the_barrier, args=(home, uuid.uuid4().hex, barrier, granted, freed))
            for _ in range(claimers)
        ]
        for process in processes:
            process.start()
        claims = sum(granted.get(timeout=120) for _ in processes)
        freed.set()
        for process in processes:
            process.join(timeout=120)
        with dg.DagsterInstance.from_config(home) as instance:
            info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
            slot_free_again = info.slot_count == 1 and not info.claimed_slots and not info.pending_steps
        return claims, slot_free_again


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--claimers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    trials = [one_trial(args.claimers) for _ in range(args.trials)]
    granted = [claims for claims, _ in trials]
    counts = Counter(granted)
    print_table(
        f"{args.claimers} simultaneous claims of a one-slot pool, granularity op, SQLite storage, {args.trials} trials",
        ["claims granted", "trials"],
        [[n, counts[n]] for n in sorted(counts)],
    )
    over = sum(n > 1 for n in granted)
    slot_kept = sum(free for _, free in trials)
    print(f"\nThe one slot went to more than one claimer in {over} of {args.trials} trials.")
    print(f"Once every claimer had freed it, the slot was free again in {slot_kept} of {args.trials} trials.")
    results = {
        "claimers": args.claimers,
        "trials": args.trials,
        "claims_granted_per_trial": granted,
        "trials_with_more_than_one_claim": over,
        "trials_with_the_slot_free_again": slot_kept,
    }
    write_results("pool_claim_race", results, args.out)
    return results


if __name__ == "__main__":
    main()
