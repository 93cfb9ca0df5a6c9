"""Each benchmark script runs end to end at a small size, so none can rot unnoticed.

The scripts run as their README says (`python benchmarks/<script>.py`), writing their JSON into
a temporary folder. Only what they report is checked, never how long anything took.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def run_benchmark(script: str, out: Path, *args: str, timeout: float = 240) -> dict:
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS_DIR / script), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads((out / f"{Path(script).stem}.json").read_text())


@pytest.mark.slow
def test_sensor_tick_smoke(tmp_path):
    plot = tmp_path / "plot.png"
    results = run_benchmark(
        "sensor_tick.py",
        tmp_path,
        "--sizes",
        "20",
        "60",
        "--repeats",
        "2",
        "--evaluate-tick-repeats",
        "1",
        "--plot",
        str(plot),
    )

    assert [row["files"] for row in results["sizes"]] == [20, 60]
    for row in results["sizes"]:
        assert row["late_file_detected"] and row["replaced_file_detected"]
        assert row["atomically_replaced_file_detected"] and row["restored_file_detected"]
        assert row["cursor_bytes"]["course_after_quiet_tick"] == 2  # "{}"
        assert row["cursor_bytes"]["reference"] < 100 < row["cursor_bytes"]["digest_set"]
        assert set(row["tick_seconds"]) == {"floor", "reference", "digest_set", "course_quiet", "course_rerequest"}
    assert results["targets"]["files"] == 60
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_first_turn_on_smoke(tmp_path):
    results = run_benchmark(
        "first_turn_on.py", tmp_path, "--files", "25", "--caps", "10", "25", "--run-creation-samples", "2"
    )

    assert [(row["cap"], row["ticks_to_drain"]) for row in results["caps"]] == [(10, 3), (25, 1)]
    assert [t["requests"] for t in results["caps"][0]["ticks"]] == [10, 10, 5]
    assert results["recommendation"]["cap"] in (10, 25)


@pytest.mark.daemon
def test_landing_to_rows_smoke(tmp_path):
    # Both configurations, each one file and a backlog of one: two servers, two runs each.
    results = run_benchmark(
        "landing_to_rows.py", tmp_path, "--files", "1", "--backlog", "1", "--interval", "1", timeout=420
    )

    measured = {c["name"]: c for c in results["configurations"]}
    assert set(measured) == {"today", "reference"}
    assert measured["today"]["executor"] == "multiprocess" and measured["reference"]["executor"] == "in_process"
    # Today's runs went one at a time (the pool per run, no buffer); the reference's steps claim the slot.
    assert measured["today"]["pools"] == {"default_limit": 1, "granularity": "run"}
    assert measured["reference"]["pools"] == {"default_limit": 1, "granularity": "op", "op_granularity_run_buffer": 1}
    for configuration in measured.values():
        assert [f["file"] for f in configuration["files"]] == ["2018-01-22.csv"]
        assert configuration["files"][0]["run_status"] == "SUCCESS"
        assert configuration["latency"]["all_rows_loaded"]
        backlog = configuration["backlog"]
        assert (backlog["runs_succeeded"], backlog["runs_failed"], backlog["partitions_committed"]) == (1, 0, 1)
        assert backlog["all_rows_loaded"]
    assert "backlog_speedup" in results["against_today"]["reference"]


@pytest.mark.slow
def test_pool_claim_race_smoke(tmp_path):
    # Both storages: SQLite files, and a throwaway PostgreSQL cluster the script starts and stops.
    results = run_benchmark("pool_claim_race.py", tmp_path, "--trials", "2", "--claimers", "2", "3")

    assert [(r["storage"], r["claimers"]) for r in results["rounds"]] == [
        ("sqlite", 2),
        ("sqlite", 3),
        ("postgres", 2),
        ("postgres", 3),
    ]
    for r in results["rounds"]:
        assert r["trials"] == 2 and len(r["claims_granted_per_trial"]) == 2
        assert all(1 <= claims <= r["claimers"] for claims in r["claims_granted_per_trial"])
        # Whoever got it, the slot goes back to the pool once every claimer has freed it.
        assert r["trials_with_the_slot_free_again"] == 2
    # The run queue's one loop: at `run` with no buffer it launches one writer run, and none while
    # one is under way, on either storage; the buffer lets one more through at either granularity.
    launched = {
        (r["storage"], r["granularity"], r["op_granularity_run_buffer"]): (
            r["launched_with_0_under_way"],
            r["launched_with_1_under_way"],
        )
        for r in results["run_queue_pass"]
    }
    for storage in ("sqlite", "postgres"):
        assert launched[storage, "run", 0] == (1, 0)
        assert launched[storage, "run", 1] == launched[storage, "op", 1] == (2, 1)


@pytest.mark.daemon
def test_instance_growth_smoke(tmp_path):
    results = run_benchmark("instance_growth.py", tmp_path, "--sizes", "20", "--ticks", "2", timeout=600)

    rows = {row["design"]: row for row in results["rows"]}
    assert set(rows) == {"before (digest set)", "after (change-time watermark)"}
    assert all(row["ticks"] >= 2 and row["stored_cursor_unchanged"] for row in rows.values())
    assert rows["after (change-time watermark)"]["cursor_bytes"] < rows["before (digest set)"]["cursor_bytes"]


def test_notebook_suite_with_no_notebooks(tmp_path):
    (tmp_path / "notebooks").mkdir()
    results = run_benchmark("notebook_suite.py", tmp_path, "--notebooks-dir", str(tmp_path / "notebooks"))

    assert results["notebooks"] == [] and results["note"] == "no notebooks present"


@pytest.mark.notebook
def test_notebook_suite_times_a_notebook(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# A tiny lesson"},
            {
                "cell_type": "code",
                "id": "answer",
                "metadata": {},
                "execution_count": 1,
                "source": "print(6 * 7)",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "42\n"}],
            },
        ],
    }
    (notebooks / "01_tiny.ipynb").write_text(json.dumps(notebook), encoding="utf-8")

    results = run_benchmark("notebook_suite.py", tmp_path / "results", "--notebooks-dir", str(notebooks))

    assert results["all_passed"], results
    assert [(n["notebook"], n["cells"], n["failed_cells"]) for n in results["notebooks"]] == [("01_tiny.ipynb", 1, 0)]


@pytest.mark.slow
def test_s3_event_tick_smoke(tmp_path):
    results = run_benchmark("s3_event_tick.py", tmp_path, "--sizes", "20", "40", "--repeats", "1")
    assert [row["objects"] for row in results["rows"]] == [20, 40]
    assert all(row["s3_event_sensor_cursor_bytes"] < 2048 for row in results["rows"])
