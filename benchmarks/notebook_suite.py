"""Figure 4: the lesson notebooks under strict nbval, as the test suite runs them: wall time per
notebook, in total, and what dominates it.

Every `notebooks/*.ipynb` and `notebooks/deep_dives/*.ipynb` present is run in one pytest process with the project's own pytest
configuration (strict `--nbval`, the sanitize file, the current environment's kernel), serially
as `make test` does. pytest's JUnit report gives each cell's time; a notebook's time is the sum
of its cells' (its kernel's start-up is counted in its first cell), and the rest of the wall
time is pytest's own start-up and collection. With no notebooks present it says so and records
an empty result.

    .venv/bin/python benchmarks/notebook_suite.py
    .venv/bin/python benchmarks/notebook_suite.py --notebooks-dir /tmp/some/notebooks --out /tmp/r
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

from bench_common import RESULTS_DIR, print_table, write_results

from dagster_and_etl.settings import REPO_DIR

TARGET_SECONDS = 120.0
SLOWEST_CELLS_SHOWN = 5


def run_suite(notebooks: list[Path]) -> tuple[float, int, list[dict], str]:
    """Run the notebooks under nbval; return the wall time, pytest's exit code, one entry per cell and pytest's output."""
    with tempfile.TemporaryDirectory(prefix="dagster-etl-bench-nbval-") as scratch:
        report = Path(scratch) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO_DIR / "pyproject.toml"),
            "--rootdir",
            str(REPO_DIR),
            "-q",
            f"--junitxml={report}",
            "-o",
            "junit_family=xunit1",
            *map(str, notebooks),
        ]
        start = time.perf_counter()
        process = subprocess.run(command, cwd=REPO_DIR, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        cells = []
        if report.exists():
            for case in ElementTree.parse(report).iter("testcase"):
                failed = any(child.tag in ("failure", "error") for child in case)
                cells.append(
                    {
                        "file": case.get("file", ""),
                        "cell": case.get("name", ""),
                        "seconds": float(case.get("time", 0.0)),
                        "passed": not failed,
                    }
                )
    return wall, process.returncode, cells, process.stdout[-3000:] + process.stderr[-2000:]


def notebook_of(cell_file: str, notebooks: list[Path]) -> Path | None:
    for notebook in notebooks:
        if cell_file.endswith(notebook.name):
            return notebook
    return None


@functools.cache
def code_cell_sources(notebook: Path) -> list:
    """The sources of the notebook's code cells, read once per notebook (not once per cell)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [c["source"] for c in cells if c["cell_type"] == "code"]


def first_line(notebook: Path | None, cell_name: str) -> str:
    """The first line of nbval's "Cell N": the notebook's N-th code cell, counted from 0."""
    try:
        source = code_cell_sources(notebook)[int(cell_name.split()[-1])]
        text = "".join(source) if isinstance(source, list) else source
        return text.strip().splitlines()[0][:70] if text.strip() else ""
    except (AttributeError, OSError, ValueError, KeyError, IndexError):
        return ""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks-dir", type=Path, default=REPO_DIR / "notebooks")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    notebooks_dir = args.notebooks_dir.resolve()
    # The main path (and the course map), then the deep dives: the two levels of the layout.
    notebooks = sorted(notebooks_dir.glob("*.ipynb")) + sorted(notebooks_dir.glob("deep_dives/*.ipynb"))
    if not notebooks:
        print(f"No notebooks in {args.notebooks_dir}: nothing to time.")
        results = {
            "notebooks": [],
            "total_wall_seconds": None,
            "target_seconds": TARGET_SECONDS,
            "target_met": None,
            "note": "no notebooks present",
        }
        write_results("notebook_suite", results, args.out)
        return results

    print(f"Running {len(notebooks)} notebook(s) under strict nbval...", flush=True)
    wall, exit_code, cells, output = run_suite(notebooks)
    per_notebook: dict[str, list[dict]] = defaultdict(list)
    for cell in cells:
        notebook = notebook_of(cell["file"], notebooks)
        cell["notebook"] = str(notebook.relative_to(notebooks_dir)) if notebook else cell["file"]
        cell["first_line"] = first_line(notebook, cell["cell"])
        per_notebook[cell["notebook"]].append(cell)
    rows = [
        {
            "notebook": name,
            "seconds": sum(c["seconds"] for c in cells_of),
            "cells": len(cells_of),
            "failed_cells": sum(not c["passed"] for c in cells_of),
            "first_cell_seconds": cells_of[0]["seconds"] if cells_of else 0.0,
        }
        for name, cells_of in sorted(per_notebook.items())
    ]
    slowest = sorted(cells, key=lambda c: c["seconds"], reverse=True)[:SLOWEST_CELLS_SHOWN]
    in_cells = sum(r["seconds"] for r in rows)
    results = {
        "notebooks": rows,
        "total_wall_seconds": wall,
        "seconds_in_cells": in_cells,
        "seconds_outside_cells": wall - in_cells,
        "slowest_cells": slowest,
        "pytest_exit_code": exit_code,
        "all_passed": exit_code == 0,
        "target_seconds": TARGET_SECONDS,
        "target_met": wall <= TARGET_SECONDS,
    }
    print_table(
        "Notebooks under strict nbval (serial, one pytest process)",
        ["notebook", "seconds", "cells", "failed", "first cell (kernel start) s"],
        [
            [r["notebook"], f"{r['seconds']:.1f}", r["cells"], r["failed_cells"], f"{r['first_cell_seconds']:.1f}"]
            for r in rows
        ]
        + [["total wall time", f"{wall:.1f}", len(cells), sum(r["failed_cells"] for r in rows), ""]],
    )
    print_table(
        "Slowest cells",
        ["notebook", "cell", "seconds", "first line"],
        [[c["notebook"], c["cell"], f"{c['seconds']:.1f}", c["first_line"]] for c in slowest],
    )
    print(
        f"\npytest start-up and collection: {wall - in_cells:.1f} s. Target: under {TARGET_SECONDS:g} s: "
        f"{'met' if results['target_met'] else 'MISSED by %.1f s' % (wall - TARGET_SECONDS)}"
    )
    if exit_code != 0:
        print(f"\nSome notebooks failed under nbval (pytest exit code {exit_code}):\n{output}")
    write_results("notebook_suite", results, args.out)
    return results


if __name__ == "__main__":
    main()
