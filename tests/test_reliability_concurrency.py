"""Concurrency and state: a reader beside running loads, two writers at once, a load killed mid-transaction,
unreadable cursors.

The tests with `workers` use real processes (tests/reliability_workers.py), each in its own process
group, killed by id at the end whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_and_etl import settings as etl_settings
from dagster_and_etl import warehouse
from dagster_and_etl.csv_format import read_source_file
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.file_scan import CSV_SUFFIX, run_key
from dagster_and_etl.sample_data import FIRST_DAY, arrival_time, day_csv, source_days, stamp, write_sample_data
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.warehouse import DYNAMIC_TABLE, read_table

WORKERS = Path(__file__).resolve().parent / "reliability_workers.py"


class Workers:
    """Starts worker processes in their own process groups; `stop_all` kills whatever is left."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # Dagster's logs, kept out of pipes
        process = subprocess.Popen(
            [sys.executable, str(WORKERS), *args],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def result(self, process: subprocess.Popen, timeout: float = 180) -> dict:
        out, _ = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"worker exited with {process.returncode}; see {self.log_dir}"
        return json.loads(out.strip().splitlines()[-1])

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def workers(tmp_path):
    started = Workers(tmp_path)
    yield started
    started.stop_all()


@pytest.mark.slow
def test_a_reader_never_sees_a_lock_error_while_runs_write(tmp_path, workers):
    root = tmp_path / "root"
    write_sample_data(root, include_extras=False)
    database = etl_settings.database_path(root)
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute(warehouse.create_table_sql(DYNAMIC_TABLE))
    stop_flag = tmp_path / "stop-reading"
    keys = [day.isoformat() for day in source_days()][:5]

    reader = workers.start("read", str(database), str(stop_flag))
    writer = workers.start("load", str(root), *keys, "--rounds", "3")
    written = workers.result(writer)
    stop_flag.touch()
    read = workers.result(reader)

    assert written == {"runs": 15, "failures": []}
    assert read["errors"] == [], read["errors"][:3]
    assert read["partial"] == [], "a reader saw a partition with some of its rows"
    assert read["queries"] > 0
    # Without this the test would prove nothing: the reader did meet a writer holding the lock.
    assert read["locked_probes"] > 0
    assert warehouse.row_counts(database, DYNAMIC_TABLE) == {key: 8 for key in keys}


def land_first_day(tmp_path: Path) -> tuple[Path, str, Path]:
    """A data root whose source/ holds the first day's file: (root, its key, its path)."""
    root = tmp_path / "root"
    source = etl_settings.source_dir(root)
    source.mkdir(parents=True)
    key = FIRST_DAY.isoformat()
    path = source / f"{key}{CSV_SUFFIX}"
    path.write_text(day_csv(FIRST_DAY), encoding="utf-8", newline="")
    return root, key, path


@pytest.mark.slow
def test_a_run_killed_inside_its_transaction_leaves_the_previous_rows(tmp_path, workers):
    root, key, path = land_first_day(tmp_path)
    assert workers.result(workers.start("load", str(root), key)) == {"runs": 1, "failures": []}
    database = etl_settings.database_path(root)
    before = read_table(database, DYNAMIC_TABLE)
    assert len(before) == 8

    # A corrected file lands; its load is killed after DELETE and INSERT, before COMMIT.
    corrected = day_csv(FIRST_DAY, "corrected")
    path.write_text(corrected + corrected.split("\n", 1)[1], encoding="utf-8", newline="")  # 16 rows
    stamp(path, arrival_time(FIRST_DAY))
    paused = tmp_path / "paused-before-commit"
    killed = workers.start("load", str(root), key, "--pause-before-commit", str(paused))
    deadline = time.monotonic() + 120
    while not paused.exists():
        assert killed.poll() is None, "the load ended before reaching its COMMIT"
        assert time.monotonic() < deadline, "the load never reached its COMMIT"
        time.sleep(0.1)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL

    pd.testing.assert_frame_equal(read_table(database, DYNAMIC_TABLE), before)

    # The next run completes it.
    assert workers.result(workers.start("load", str(root), key)) == {"runs": 1, "failures": []}
    after = read_table(database, DYNAMIC_TABLE)
    expected = read_source_file(path, FIRST_DAY).sort_values(["date", "share_price", "amount"]).reset_index(drop=True)
    assert len(after) == 16
    pd.testing.assert_frame_equal(after[expected.columns.tolist()], expected, check_dtype=False)


def wait_for_flag(flag: Path, process: subprocess.Popen, what: str, timeout_seconds: float = 120) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not flag.exists():
        assert process.poll() is None, f"the worker ended before {what}"
        assert time.monotonic() < deadline, f"the worker never reached {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_run_that_read_an_older_version_never_overwrites_a_newer_one(tmp_path, workers):
    """The race: run 1 reads version 1 and waits its turn for the lock; version 2 lands and run 2
    loads it; then run 1 reaches the database. Its commit must not bring version 1 back."""
    root, key, path = land_first_day(tmp_path)
    read_flag, go_flag = tmp_path / "version-1-read", tmp_path / "go"
    first = workers.start("load", str(root), key, "--pause-after-read", str(read_flag), str(go_flag))
    wait_for_flag(read_flag, first, "reading version 1")

    # Version 2 lands (written in place, as an upload tool would) and its run commits first.
    # Its mtime is even set back to an older time, as `cp -p` would: the guard orders versions
    # by when they landed, not by the mtime a copy can carry.
    path.write_text(day_csv(FIRST_DAY, "corrected"), encoding="utf-8", newline="")
    stamp(path, arrival_time(FIRST_DAY) - timedelta(days=30))
    version_2 = path.stat()
    assert workers.result(workers.start("load", str(root), key)) == {"runs": 1, "failures": []}

    go_flag.touch()
    outcome = workers.result(first)
    assert outcome["runs"] == 1
    [failure] = outcome["failures"]
    assert failure.startswith(f"{key}.csv: not loaded: the version read ({key}.csv@"), failure
    assert "landed before the version already loaded" in failure

    table = read_table(etl_settings.database_path(root), DYNAMIC_TABLE)
    assert set(table["source_version"]) == {
        run_key(path.name, version_2.st_mtime_ns, version_2.st_size, landed_ns=version_2.st_ctime_ns)
    }
    expected = read_source_file(path, FIRST_DAY).sort_values(["date", "share_price", "amount"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(table[expected.columns.tolist()], expected, check_dtype=False)


@pytest.mark.slow
def test_two_writers_let_in_at_once_both_load_one_after_the_other(tmp_path, workers):
    """What the duckdb pool's claim can let happen at `granularity: op`, on SQLite and PostgreSQL
    storage alike (benchmarks/pool_claim_race.py):
    two runs' steps open DuckDB at the same moment. The second waits for the first's lock; both land."""
    root = tmp_path / "root"
    write_sample_data(root, include_extras=False)
    first_key, second_key = [day.isoformat() for day in source_days()][:2]
    holding, go, waiting = tmp_path / "first-holds-the-lock", tmp_path / "go", tmp_path / "second-waits"
    first = workers.start("load", str(root), first_key, "--hold-before-commit", str(holding), str(go))
    wait_for_flag(holding, first, "its COMMIT, holding the lock")
    second = workers.start("load", str(root), second_key, "--flag-lock-wait", str(waiting))
    wait_for_flag(waiting, second, "the lock the first writer holds")

    go.touch()
    assert workers.result(first) == {"runs": 1, "failures": []}
    outcome = workers.result(second)
    assert outcome["failures"] == [] and outcome["lock_waits"] > 0
    database = etl_settings.database_path(root)
    assert warehouse.row_counts(database, DYNAMIC_TABLE) == {first_key: 8, second_key: 8}


UNREADABLE_CURSORS = {
    "garbage": "definitely not a cursor",
    "the course sensor's cursor": '{"2018-01-22.csv": 1516600000.0}',
    "another sensor's JSON": '{"format": "something-else/2", "digests": ""}',
    "truncated digests": '{"format": "run-key-digests/1", "digests": "AAAA"}',
    "not base64": '{"format": "run-key-digests/1", "digests": "***"}',
    "a JSON list": "[1, 2, 3]",
    "a watermark that is not a number": '{"format": "change-time/1", "watermark_ns": "soon", "recent": ""}',
    "a watermark cursor with truncated digests": '{"format": "change-time/1", "watermark_ns": 5, "recent": "AAAA"}',
}


@pytest.mark.slow
def test_the_sensor_survives_unreadable_cursors_without_losing_files(tmp_path):
    root = tmp_path / "root"
    source = etl_settings.source_dir(root)
    source.mkdir(parents=True)
    days = source_days()

    def land(day) -> str:
        path = source / f"{day.isoformat()}{CSV_SUFFIX}"
        path.write_text(day_csv(day), encoding="utf-8", newline="")
        stamp(path, arrival_time(day))
        return day.isoformat()

    with dg.instance_for_test() as instance:
        loop = DaemonLikeLoop(build_definitions(root), instance)
        present = [land(days[0])]
        loop.drain()
        for (label, garbage), day in zip(UNREADABLE_CURSORS.items(), days[1:]):
            new_key = land(day)  # a file lands while the cursor is unreadable: it must not be lost
            present.append(new_key)
            loop.cursor = garbage
            with quiet() as sensor_log:
                report = loop.tick()
            warnings = sensor_log.messages("WARNING")
            assert any(m.startswith("Discarding a cursor this sensor cannot read") for m in warnings), label
            # Every file is requested again; the runs already made are skipped by their run key.
            assert sorted(r.partition_key for r in report.run_requests) == sorted(present), label
            assert report.succeeded == [new_key] and not report.failed, label
            assert len(report.skipped_run_keys) == len(present) - 1, label
            assert loop.tick().run_requests == [], f"{label}: the next cursor is readable and complete"

    assert warehouse.row_counts(etl_settings.database_path(root), DYNAMIC_TABLE) == {key: 8 for key in present}
