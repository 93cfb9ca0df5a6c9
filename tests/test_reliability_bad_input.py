"""A catalogue of bad and odd source files, each with its documented outcome.

Every case lands one file in a source folder where `2018-01-22` and `2018-02-02` are already
loaded, then ticks the reference sensor and runs what it requests the way the daemon does
(`DaemonLikeLoop`: real `evaluate_tick`, real `execute_in_process`, a real DuckDB file). The
outcome is one of: loaded (the partition now holds exactly the file's rows), rejected (the run
fails with exactly the documented message and the table is left exactly as it was), or not
requested (the sensor leaves the file alone).

The table of outcomes in docs/reliability.md is rendered from this catalogue and checked here,
so the documentation cannot drift from the behaviour. After changing the catalogue, rewrite it
with `.venv/bin/python scripts/bad_input_table.py`.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from dagster_and_etl import settings as etl_settings
from dagster_and_etl.csv_format import COLUMNS, HEADER_LINE, parse_iso_date, read_source_file
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.file_scan import CSV_SUFFIX, scan_folder
from dagster_and_etl.sample_data import BAD_DAY, FIRST_DAY, PREPARED_FILES, arrival_time, day_csv, stamp
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.warehouse import DYNAMIC_TABLE, read_table
from dagster_and_etl.watermark_cursor import WatermarkCursor, read_cursor

# The docs' table is written by scripts/bad_input_table.py (loaded by path: scripts/ is no package).
_SPEC = importlib.util.spec_from_file_location(
    "bad_input_table", etl_settings.REPO_DIR / "scripts" / "bad_input_table.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bad_input_table = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bad_input_table)

DAY_FILE = f"{BAD_DAY.isoformat()}{CSV_SUFFIX}"  # 2018-02-02.csv, already loaded before each case
# The cases' own content differs from what is loaded before, so a load shows in the table.
GOOD = day_csv(BAD_DAY, "catalogue")
GOOD_LINES = GOOD.splitlines()


def rows_with(edit_row: int, column: str, value: str, text: str = GOOD) -> str:
    """`text` with one value replaced (rows counted from 1, the header not counted)."""
    lines = text.splitlines()
    fields = lines[edit_row].split(",")
    fields[COLUMNS.index(column)] = value
    lines[edit_row] = ",".join(fields)
    return "\n".join(lines) + "\n"


def prepared(name: str) -> bytes:
    return PREPARED_FILES[name].text.encode()


@dataclass(frozen=True)
class Outcome:
    kind: str  # "loaded", "rejected" or "not requested"
    detail: str  # the row count, the exact failure message, or why the sensor leaves the file alone

    def render(self) -> str:
        shown = self.detail.replace("|", "\\|")
        if self.kind == "loaded":
            return f"loaded, {shown} rows"
        return f"{self.kind}: `{shown}`" if self.kind == "rejected" else f"{self.kind}: {shown}"


def loaded(rows: int) -> Outcome:
    return Outcome("loaded", str(rows))


def rejected(message: str) -> Outcome:
    return Outcome("rejected", message)


def not_requested(why: str) -> Outcome:
    return Outcome("not requested", why)


@dataclass(frozen=True)
class Case:
    kind: str
    file_name: str
    content: bytes
    outcome: Outcome

    @property
    def partition_key(self) -> str:
        return self.file_name[: -len(CSV_SUFFIX)] if self.file_name.endswith(CSV_SUFFIX) else self.file_name


HEADER_REQUIRED = f"(the header must be {HEADER_LINE})"
LATIN_1_ROW = f"{BAD_DAY.isoformat()},101.5,10,1015.0,0.1,0.05 (café)"

CATALOGUE = [
    Case(
        "Empty file",
        DAY_FILE,
        b"",
        rejected(f"{DAY_FILE}: the file is empty; it must start with the header {HEADER_LINE}"),
    ),
    Case(
        "Header only",
        DAY_FILE,
        f"{HEADER_LINE}\n".encode(),
        rejected(f"{DAY_FILE}: the file has the header but no rows"),
    ),
    Case("UTF-8 byte-order mark", DAY_FILE, b"\xef\xbb\xbf" + GOOD.encode(), loaded(8)),
    Case("CRLF line ends", DAY_FILE, GOOD.replace("\n", "\r\n").encode(), loaded(8)),
    Case(
        "Quoted numbers",
        DAY_FILE,
        "\n".join([GOOD_LINES[0], *(",".join(f'"{v}"' for v in line.split(",")) for line in GOOD_LINES[1:])]).encode(),
        loaded(8),
    ),
    Case(
        "Columns in another order",
        DAY_FILE,
        ("\n".join(",".join(reversed(line.split(","))) for line in GOOD_LINES) + "\n").encode(),
        loaded(8),
    ),
    Case("Blank lines between rows", DAY_FILE, GOOD.replace("\n", "\n\n").encode(), loaded(8)),
    Case(
        "Extra column",
        DAY_FILE,
        ("\n".join(f"{line},{'note' if n == 0 else 'x'}" for n, line in enumerate(GOOD_LINES)) + "\n").encode(),
        rejected(f"{DAY_FILE} (line 1): unexpected column(s) 'note' {HEADER_REQUIRED}"),
    ),
    Case(
        "Missing column",
        DAY_FILE,
        prepared("bad_columns"),
        rejected(f"{DAY_FILE} (line 1): missing column(s) spread {HEADER_REQUIRED}"),
    ),
    Case(
        "One value too many in a row",
        DAY_FILE,
        rows_with(4, "spread", "0.05,0.07").encode(),
        rejected(f"{DAY_FILE}, row 4 (line 5): expected 6 values, found 7"),
    ),
    Case(
        "NaN",
        DAY_FILE,
        rows_with(2, "spread", "NaN").encode(),
        rejected(f"{DAY_FILE}, row 2 (line 3): spread is not a finite number: 'NaN'"),
    ),
    Case(
        "Infinity",
        DAY_FILE,
        rows_with(6, "spend", "inf").encode(),
        rejected(f"{DAY_FILE}, row 6 (line 7): spend is not a finite number: 'inf'"),
    ),
    Case(
        "A number too large for a double",
        DAY_FILE,
        rows_with(1, "amount", "1e999").encode(),
        rejected(f"{DAY_FILE}, row 1 (line 2): amount is too large to be a number: '1e999'"),
    ),
    Case(
        "Negative share price",
        DAY_FILE,
        prepared("bad_price"),
        rejected(f"{DAY_FILE}, row 3 (line 4): share_price must be greater than 0, got -3.50"),
    ),
    Case(
        "Zero share price",
        DAY_FILE,
        rows_with(8, "share_price", "0.00").encode(),
        rejected(f"{DAY_FILE}, row 8 (line 9): share_price must be greater than 0, got 0.00"),
    ),
    Case(
        "A value that is not a number",
        DAY_FILE,
        prepared("bad_value"),
        rejected(f"{DAY_FILE}, row 5 (line 6): amount is not a number: 'n/a'"),
    ),
    Case(
        "An empty value",
        DAY_FILE,
        rows_with(3, "shift", "").encode(),
        rejected(f"{DAY_FILE}, row 3 (line 4): shift is empty"),
    ),
    Case(
        "Date that does not match the partition",
        DAY_FILE,
        prepared("bad_date"),
        rejected(f"{DAY_FILE}, row 2 (line 3): date 2018-02-03 does not match the file's partition 2018-02-02"),
    ),
    Case(
        "Non-ISO date",
        DAY_FILE,
        rows_with(1, "date", "02/02/2018").encode(),
        rejected(f"{DAY_FILE}, row 1 (line 2): date '02/02/2018' is not an ISO date (YYYY-MM-DD)"),
    ),
    Case(
        "Invalid UTF-8 (a Latin-1 file)",
        DAY_FILE,
        (GOOD + LATIN_1_ROW + "\n").encode("latin-1"),
        rejected(f"{DAY_FILE} (line 10): not valid UTF-8 (byte 0xe9 at offset {len(GOOD) + LATIN_1_ROW.index('é')})"),
    ),
    Case(
        "An enormous line (a 200,000-character value)",
        DAY_FILE,
        rows_with(2, "amount", "9" * 200_000).encode(),
        rejected(f"{DAY_FILE}, row 2 (line 3): cannot be parsed as CSV (field larger than field limit (131072))"),
    ),
    Case(
        "A NUL byte inside a value",
        DAY_FILE,
        rows_with(7, "share_price", "10\x006.5").encode(),
        rejected(f"{DAY_FILE}, row 7 (line 8): share_price is not a number: '10\\x006.5'"),
    ),
    Case(
        "Repeated header (two files concatenated)",
        DAY_FILE,
        (GOOD + GOOD).encode(),
        rejected(f"{DAY_FILE}, row 9 (line 10): the header is repeated"),
    ),
    Case(
        "Semicolon-separated file",
        DAY_FILE,
        GOOD.replace(",", ";").encode(),
        rejected(
            f"{DAY_FILE} (line 1): missing column(s) {', '.join(COLUMNS)}; unexpected column(s) "
            f"'{HEADER_LINE.replace(',', ';')}' {HEADER_REQUIRED}"
        ),
    ),
    Case("Name with quotes and spaces", 'O\'Brien "desk" trades.csv', GOOD.encode(), loaded(8)),
    Case("Name with non-ASCII letters", "Kurse München 2018-02-02 株価.csv", GOOD.encode(), loaded(8)),
    Case(
        "Name that cannot be a partition key",
        "trades...2018-02-02.csv",
        GOOD.encode(),
        not_requested(
            "the sensor logs `Not requesting 1 file(s) whose name cannot be a partition key: trades...2018-02-02.csv`"
        ),
    ),
    Case("Hidden file", f".{DAY_FILE}", GOOD.encode(), not_requested("hidden files are not landed files")),
    Case(
        "Partial upload (.part name)",
        f"{DAY_FILE}.part",
        GOOD.encode()[:100],
        not_requested("requested once it is renamed to its .csv name"),
    ),
]


# ---- The runs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture(scope="module")
def loaded_before(tmp_path_factory, instance) -> tuple[Path, str]:
    """A data root where 2018-01-22 and 2018-02-02 are loaded by real runs, and the sensor's cursor then."""
    root = tmp_path_factory.mktemp("before")
    source = etl_settings.source_dir(root)
    source.mkdir(parents=True)
    for day, text in ((FIRST_DAY, day_csv(FIRST_DAY)), (BAD_DAY, PREPARED_FILES["on_time"].text)):
        path = source / f"{day.isoformat()}{CSV_SUFFIX}"
        path.write_text(text, encoding="utf-8", newline="")
        stamp(path, arrival_time(day))
    loop = DaemonLikeLoop(build_definitions(root), instance)
    loop.drain()
    assert len(read_table(etl_settings.database_path(root), DYNAMIC_TABLE)) == 16
    return root, loop.cursor


@pytest.mark.slow  # 29 real runs, about 2 s each
@pytest.mark.parametrize("number, case", list(enumerate(CATALOGUE)), ids=[c.kind for c in CATALOGUE])
def test_bad_input_outcome(tmp_path, instance, loaded_before, number, case):
    before_root, cursor = loaded_before
    root = tmp_path / "root"
    shutil.copytree(before_root, root)
    database = etl_settings.database_path(root)
    table_before = read_table(database, DYNAMIC_TABLE)

    # The copy gave every file a new change time, so a new landing and a new run key: the cursor
    # counts these copies as requested (its settle window's digests), as the loaded root's were.
    copied = scan_folder(etl_settings.source_dir(root)).landed
    cursor = WatermarkCursor(read_cursor(cursor).watermark_ns, frozenset(f.digest for f in copied)).encode()

    path = etl_settings.source_dir(root) / case.file_name
    path.write_bytes(case.content)
    # Its own mtime: a run key no other case (sharing the instance) has launched.
    stamp(path, arrival_time(BAD_DAY) + timedelta(hours=1, seconds=number))

    loop = DaemonLikeLoop(build_definitions(root), instance)
    loop.cursor = cursor
    with quiet() as sensor_log:
        report = loop.tick()
    table_after = read_table(database, DYNAMIC_TABLE)

    if case.outcome.kind == "not requested":
        assert report.run_requests == [] and not report.failed
        pd.testing.assert_frame_equal(table_after, table_before)
        if "logs" in case.outcome.detail:
            logged = case.outcome.detail.split("`")[1]
            assert logged in sensor_log.messages("WARNING")
        return

    assert [r.partition_key for r in report.run_requests] == [case.partition_key]
    if case.outcome.kind == "rejected":
        assert report.failed == {case.partition_key: case.outcome.detail}
        pd.testing.assert_frame_equal(table_after, table_before)
    else:
        assert report.succeeded == [case.partition_key], report.failed
        rows = table_after[table_after["partition_key"] == case.partition_key]
        expected = read_source_file(path, parse_iso_date(case.partition_key))
        assert len(rows) == int(case.outcome.detail) == len(expected)
        pd.testing.assert_frame_equal(
            rows[list(COLUMNS)].reset_index(drop=True),
            expected.sort_values(["date", "share_price", "amount"]).reset_index(drop=True),
            check_dtype=False,
        )
        assert set(rows["source_file"]) == {case.file_name}
        # Every other partition keeps its rows.
        others = table_after[table_after["partition_key"] != case.partition_key].reset_index(drop=True)
        kept = table_before[table_before["partition_key"] != case.partition_key].reset_index(drop=True)
        pd.testing.assert_frame_equal(others, kept)


def test_the_catalogue_covers_at_least_fifteen_kinds():
    assert len({case.kind for case in CATALOGUE}) == len(CATALOGUE) >= 15


def test_the_documented_outcomes_are_the_catalogues():
    assert bad_input_table.documented_table() == bad_input_table.render_table(CATALOGUE), (
        "docs/reliability.md is out of date: run .venv/bin/python scripts/bad_input_table.py"
    )
