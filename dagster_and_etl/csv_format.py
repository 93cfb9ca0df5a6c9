"""The source CSV format, and the validation every file passes before a single row is loaded.

A file is read whole and checked row by row; the first problem raises `SourceFileError`,
which names the file, the row and the problem. Only a fully valid file reaches the warehouse.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

COLUMNS = ("date", "share_price", "amount", "spend", "shift", "spread")
NUMERIC_COLUMNS = COLUMNS[1:]
HEADER_LINE = ",".join(COLUMNS)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Plain decimal notation only: Python's float() would also take "1_000", "nan" and "inf".
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


class SourceFileError(ValueError):
    """A source file that cannot be loaded: says which file, which row and what is wrong."""

    def __init__(self, file: Path | str, problem: str, row: int | None = None, line: int | None = None):
        self.file = Path(file)
        self.problem = problem
        self.row = row
        self.line = line
        where = self.file.name
        if row is not None:
            where += f", row {row}"
        if line is not None:
            where += f" (line {line})"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class _Row:
    number: int  # 1-based, the header not counted
    line: int


def parse_iso_date(text: str) -> date | None:
    """`YYYY-MM-DD` as a date, or None when the text is anything else."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def decode_source(name: Path | str, raw: bytes) -> str:
    """A source file's bytes as text: UTF-8, a byte-order mark allowed; else `SourceFileError`."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise SourceFileError(
            name, f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start})", line=line
        ) from None


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    unexpected = [n for n in names if n not in COLUMNS]
    repeated = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected column(s) " + ", ".join(repr(n) for n in unexpected))
    if repeated:
        problems.append("repeated column(s) " + ", ".join(repeated))
    if problems:
        raise SourceFileError(path, "; ".join(problems) + f" (the header must be {HEADER_LINE})", line=1)
    return names


def _number(path: Path, where: _Row, column: str, text: str) -> float:
    value = text.strip()
    if not value:
        raise SourceFileError(path, f"{column} is empty", where.number, where.line)
    if value.lower() in _NOT_FINITE:
        raise SourceFileError(path, f"{column} is not a finite number: {value!r}", where.number, where.line)
    if not _NUMBER.fullmatch(value):
        raise SourceFileError(path, f"{column} is not a number: {value!r}", where.number, where.line)
    number = float(value)
    if not math.isfinite(number):
        raise SourceFileError(path, f"{column} is too large to be a number: {value!r}", where.number, where.line)
    return number


def read_source_file(path: Path, expected_date: date | None = None) -> pd.DataFrame:
    """Read and validate one source CSV from disk; return its rows with the six columns typed.

    See `read_source_text`; the file's bytes are decoded first (`decode_source`).
    """
    path = Path(path)
    return read_source_text(path, decode_source(path, path.read_bytes()), expected_date)


def read_source_bytes(name: Path | str, raw: bytes, expected_date: date | None = None) -> pd.DataFrame:
    """Validate the bytes of a source CSV that did not come from a local path (an S3 object's
    body, say) exactly as `read_source_file` validates a file; errors name the file `name`."""
    return read_source_text(name, decode_source(name, raw), expected_date)


def read_source_text(name: Path | str, text: str, expected_date: date | None = None) -> pd.DataFrame:
    """Validate one source CSV given as text (a file's, an object's); return its rows, typed.

    `name` is what errors name: a path, or an object's key. `expected_date`, when given, is the
    date every row must carry (the file's partition). Raises `SourceFileError` at the first
    problem, or when there is no row at all; blank lines carry no data and are skipped.
    """
    path = Path(name)
    if not text.strip():
        raise SourceFileError(path, f"the file is empty; it must start with the header {HEADER_LINE}")

    reader = csv.reader(io.StringIO(text, newline=""))
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    try:
        header = _check_header(path, next(reader))
        for row in reader:
            if not row or all(not field.strip() for field in row):
                continue
            where = _Row(number=len(columns["date"]) + 1, line=reader.line_num)
            if [field.strip() for field in row] == header:
                raise SourceFileError(path, "the header is repeated", where.number, where.line)
            if len(row) != len(header):
                raise SourceFileError(
                    path, f"expected {len(header)} values, found {len(row)}", where.number, where.line
                )
            record = dict(zip(header, row))
            day = parse_iso_date(record["date"].strip())
            if day is None:
                raise SourceFileError(
                    path, f"date {record['date']!r} is not an ISO date (YYYY-MM-DD)", where.number, where.line
                )
            if expected_date is not None and day != expected_date:
                raise SourceFileError(
                    path,
                    f"date {day.isoformat()} does not match the file's partition {expected_date.isoformat()}",
                    where.number,
                    where.line,
                )
            values = {c: _number(path, where, c, record[c]) for c in NUMERIC_COLUMNS}
            if values["share_price"] <= 0:
                raise SourceFileError(
                    path,
                    f"share_price must be greater than 0, got {record['share_price'].strip()}",
                    where.number,
                    where.line,
                )
            columns["date"].append(day)
            for c in NUMERIC_COLUMNS:
                columns[c].append(values[c])
    except csv.Error as err:
        # Past the header, the row being read is the one after the last row kept.
        failed_row = len(columns["date"]) + 1 if reader.line_num > 1 else None
        raise SourceFileError(path, f"cannot be parsed as CSV ({err})", failed_row, reader.line_num) from None
    if not columns["date"]:
        # Loading it would replace the partition's rows with none: a truncated upload looks the same.
        raise SourceFileError(path, "the file has the header but no rows")

    frame = pd.DataFrame({c: pd.Series(columns[c], dtype="float64") for c in NUMERIC_COLUMNS})
    frame.insert(0, "date", pd.Series(pd.to_datetime(columns["date"]), dtype="datetime64[s]"))
    return frame
