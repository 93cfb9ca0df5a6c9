"""Write the table of bad-input outcomes in docs/reliability.md from the test's catalogue.

    .venv/bin/python scripts/bad_input_table.py

The catalogue (each kind of bad or odd file and its outcome) is `CATALOGUE` in
tests/test_reliability_bad_input.py, which runs every case and checks that the table here is
current: after changing the catalogue, run this script and commit docs/reliability.md.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
DOCS = REPO_DIR / "docs" / "reliability.md"
CATALOGUE_MODULE = REPO_DIR / "tests" / "test_reliability_bad_input.py"
TABLE_START = "<!-- bad-input-table: generated from tests/test_reliability_bad_input.py -->"
TABLE_END = "<!-- end of bad-input-table -->"


def render_table(catalogue: Iterable[Any]) -> str:
    """The Markdown table: one row per case (its `kind`, `file_name` and `outcome.render()`)."""
    lines = ["| Kind of input | File name | Outcome |", "| --- | --- | --- |"]
    for case in catalogue:
        lines.append(f"| {case.kind} | `{case.file_name}` | {case.outcome.render()} |")
    return "\n".join(lines)


def _table_bounds(text: str) -> tuple[int, int]:
    return text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)


def documented_table() -> str:
    """The table as docs/reliability.md holds it now."""
    text = DOCS.read_text(encoding="utf-8")
    start, end = _table_bounds(text)
    return text[start:end].strip()


def write_documented_table(table: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = _table_bounds(text)
    DOCS.write_text(text[:start] + "\n" + table + "\n" + text[end:], encoding="utf-8")


def _catalogue() -> list[Any]:
    spec = importlib.util.spec_from_file_location(CATALOGUE_MODULE.stem, CATALOGUE_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.CATALOGUE


if __name__ == "__main__":
    write_documented_table(render_table(_catalogue()))
    print(f"wrote the bad-input table into {DOCS.relative_to(REPO_DIR)}")
