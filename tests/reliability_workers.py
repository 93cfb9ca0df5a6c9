"""Processes for the concurrency tests (tests/test_reliability_concurrency.py): each runs on its own.

    python tests/reliability_workers.py load ROOT KEY... [--rounds N] [--pause-before-commit FLAG]
                                                        [--pause-after-read FLAG GO]
                                                        [--hold-before-commit FLAG GO] [--flag-lock-wait FLAG]
        Real runs of the dynamic job (`execute_in_process`) for each key, `--rounds` times over.
        With `--pause-before-commit`, the load stops inside its transaction, after its DELETE and
        INSERT and before COMMIT, creates FLAG and waits there to be killed.
        With `--pause-after-read`, the load reads and validates its file, creates FLAG and waits
        until GO exists before it opens the database: a run that waited its turn for the lock.
        With `--hold-before-commit`, the load stops before COMMIT (holding DuckDB's write lock),
        creates FLAG and commits once GO exists: a writer another writer meets at the lock.
        With `--flag-lock-wait`, the worker creates FLAG when its connection first finds the lock
        taken, and reports `lock_waits`, how many times it did.
    python tests/reliability_workers.py read DATABASE STOP_FLAG
        Queries the dynamic table with `warehouse.query` in a loop until STOP_FLAG exists.

Each prints one line of JSON saying what happened.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

POLL_SECONDS = 0.02  # a notebook or dashboard polling as fast as a person could want


def load(
    root: Path,
    keys: list[str],
    rounds: int,
    pause_flag: Path | None,
    pause_after_read: list[Path] | None,
    hold_before_commit: list[Path] | None = None,
    lock_wait_flag: Path | None = None,
) -> dict:
    import dagster as dg

    from dagster_and_etl.definitions import build_definitions
    from dagster_and_etl.defs import assets
    from dagster_and_etl.defs.partitions import file_partitions
    from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop

    if pause_flag is not None or hold_before_commit is not None:
        # The test hook: the asset's own load runs unchanged on the real DuckDB connection, which
        # only waits when it is asked to COMMIT. Nothing of DuckDB is replaced.
        real_replace_partition = assets.replace_partition
        flag, go = (pause_flag, None) if pause_flag is not None else hold_before_commit

        class PauseBeforeCommit:
            def __init__(self, connection: duckdb.DuckDBPyConnection):
                self._connection = connection

            def execute(self, sql: str, *args):
                if sql == "COMMIT":
                    flag.touch()
                    deadline = time.monotonic() + 600
                    while (go is None or not go.exists()) and time.monotonic() < deadline:
                        time.sleep(0.05)
                return self._connection.execute(sql, *args)

            def __getattr__(self, name):
                return getattr(self._connection, name)

        def pausing_replace_partition(connection, *args):
            return real_replace_partition(PauseBeforeCommit(connection), *args)

        assets.replace_partition = pausing_replace_partition

    if pause_after_read is not None:
        # The test hook: the real read of the real file, then a wait before the database is opened.
        read_flag, go_flag = pause_after_read
        real_read_landed_file = assets.read_landed_file

        def read_then_wait(path):
            read = real_read_landed_file(path)
            read_flag.touch()
            while not go_flag.exists():
                time.sleep(0.05)
            return read

        assets.read_landed_file = read_then_wait

    lock_waits = 0
    if lock_wait_flag is not None:
        # The test hook: watch, without changing, the connections `warehouse.connect` opens.
        real_connect = duckdb.connect

        def watched_connect(*args, **kwargs):
            nonlocal lock_waits
            try:
                return real_connect(*args, **kwargs)
            except duckdb.IOException as err:
                if "lock" in str(err).lower():
                    lock_waits += 1
                    lock_wait_flag.touch()
                raise

        duckdb.connect = watched_connect

    failures = []
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(file_partitions.name, keys)
        loop = DaemonLikeLoop(build_definitions(root), instance)
        job = loop.defs.resolve_sensor_def(loop.sensor_name).job_name
        for _ in range(rounds):
            for key in keys:
                failure = loop.execute(job, key, {})
                if failure is not None:
                    failures.append(failure)
    outcome = {"runs": rounds * len(keys), "failures": failures}
    if lock_wait_flag is not None:
        outcome["lock_waits"] = lock_waits
    return outcome


def read(database: Path, stop_flag: Path) -> dict:
    from dagster_and_etl import warehouse

    queries, errors, partial_partitions, locked_probes = 0, [], [], 0
    while not stop_flag.exists():
        # A bare connection, only to show that a writer really held the lock at times.
        try:
            duckdb.connect(str(database), read_only=True).close()
        except duckdb.Error as err:
            locked_probes += "lock" in str(err).lower()
        try:
            counts = warehouse.query(
                database, f"SELECT partition_key, count(*) AS n FROM {warehouse.DYNAMIC_TABLE} GROUP BY 1"
            )
        except Exception as err:  # noqa: BLE001 - any error reaching the reader is what the test looks for
            errors.append(f"{type(err).__name__}: {err}")
            continue
        queries += 1
        partial_partitions += [key for key, n in zip(counts["partition_key"], counts["n"]) if n != 8]
        time.sleep(POLL_SECONDS)
    return {"queries": queries, "errors": errors, "partial": partial_partitions, "locked_probes": locked_probes}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    load_args = commands.add_parser("load")
    load_args.add_argument("root", type=Path)
    load_args.add_argument("keys", nargs="+")
    load_args.add_argument("--rounds", type=int, default=1)
    load_args.add_argument("--pause-before-commit", type=Path, default=None)
    load_args.add_argument("--pause-after-read", type=Path, nargs=2, default=None)
    load_args.add_argument("--hold-before-commit", type=Path, nargs=2, default=None)
    load_args.add_argument("--flag-lock-wait", type=Path, default=None)
    read_args = commands.add_parser("read")
    read_args.add_argument("database", type=Path)
    read_args.add_argument("stop_flag", type=Path)
    args = parser.parse_args(argv)
    if args.command == "load":
        outcome = load(
            args.root,
            args.keys,
            args.rounds,
            args.pause_before_commit,
            args.pause_after_read,
            args.hold_before_commit,
            args.flag_lock_wait,
        )
    else:
        outcome = read(args.database, args.stop_flag)
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
