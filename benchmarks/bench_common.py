"""What every benchmark script shares: the machine's description, timing, tables, JSON results
and a folder of many small CSV files.

The scripts import this module by name: run them as `python benchmarks/<script>.py` (Python puts
the script's folder first on the import path), from any working directory.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from dagster_and_etl import settings

T = TypeVar("T")

BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS_DIR / "results"

# The content of every generated file: a header only. The sensors read names and stats, never content.
GENERATED_FILE_TEXT = b"date,share_price,amount,spend,shift,spread\n"


def machine() -> dict:
    """The machine and software a result was measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "dagster": metadata.version("dagster"),
        "duckdb": metadata.version("duckdb"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "dagster_bytecode_cached": dagster_bytecode_cached(),
    }


def dagster_bytecode_cached() -> bool:
    """Whether Python here finds Dagster's compiled bytecode, as the processes a benchmark starts
    (which inherit this environment) will. Without it (`PYTHONDONTWRITEBYTECODE=1` at install, or
    an empty `PYTHONPYCACHEPREFIX`) each of them compiles Dagster from source: figure 3's run
    workers then took 4.1 s to start, against 2.1 s (benchmarks/README.md)."""
    spec = importlib.util.find_spec("dagster")
    if spec is None or spec.origin is None:
        return False
    return Path(importlib.util.cache_from_source(spec.origin)).is_file()


def timed(function: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def print_table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    """A plain-text table: numbers right-aligned, text left-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def is_number(text: str) -> bool:
        return text.replace(",", "").replace(".", "", 1).replace(" min", "").lstrip("-").isdigit()

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if is_number(c) else c.ljust(w) for c, w in zip(row, widths))

    print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def write_results(name: str, results: dict, out_dir: Path) -> Path:
    """Write `results` (with the machine and the time of the run) to `<out_dir>/<name>.json`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    payload = {
        "benchmark": name,
        "measured_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "git_commit": git_commit(),
        "machine": machine(),
        **results,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nResults written to {path}")
    return path


@contextmanager
def temporary_data_root(prefix: str) -> Iterator[Path]:
    """A data root with an empty `source/` folder, deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix=f"dagster-etl-bench-{prefix}-"))
    try:
        settings.source_dir(root).mkdir(parents=True)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def generated_file_name(index: int) -> str:
    return f"file-{index:06d}.csv"


def add_generated_files(folder: Path, start: int, stop: int) -> None:
    """Write files number `start` to `stop - 1` (small, same content) into `folder`."""
    for index in range(start, stop):
        (folder / generated_file_name(index)).write_bytes(GENERATED_FILE_TEXT)


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BENCHMARKS_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def quiet_dagster_logs() -> None:
    """Keep the sensors' per-tick info lines out of the benchmark's table output (each sensor
    context makes its own logger, so the level is set for all loggers; warnings still show)."""
    logging.disable(logging.INFO)
