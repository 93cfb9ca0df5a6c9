"""The DuckDB side: the two raw tables, an idempotent per-partition load, and safe reads.

Writers hold a connection only for one transaction; readers open short-lived read-only
connections and retry briefly while a writer holds the file lock (DuckDB allows one writer
process at a time).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dagster_and_etl.csv_format import COLUMNS
from dagster_and_etl.file_scan import FileVersion

DAILY_TABLE = "raw_partition_data"
DYNAMIC_TABLE = "raw_dynamic_partition_data"
S3_TABLE = "raw_s3_partition_data"
TABLES = (DAILY_TABLE, DYNAMIC_TABLE, S3_TABLE)
# Each row says where it came from: its partition, its file, and the version of that file it was
# read from (the file's run key `name@mtime_ns:size:landing`; when that version landed, which
# orders versions for the newest-wins guard in `replace_partition`; and the SHA-256 of the bytes
# loaded, so a landing of the same bytes again rewrites nothing).
TRACKING_COLUMNS = ("partition_key", "source_file", "source_version", "source_landed_ns", "source_digest")
LANDED_COLUMN = "source_landed_ns"
# Added to tables in place (ALTER TABLE), oldest first: rows loaded before a column existed hold NULL.
_ADDED_COLUMNS = ("source_version", "source_landed_ns", "source_digest")
# The Dagster concurrency pool of every asset that writes this database: DuckDB takes one writer
# process at a time, and the shipped dagster.yaml gives the pool one slot.
WRITER_POOL = "duckdb"

_COLUMN_TYPES = {
    "date": "DATE",
    "share_price": "DOUBLE",
    "amount": "DOUBLE",
    "spend": "DOUBLE",
    "shift": "DOUBLE",
    "spread": "DOUBLE",
    "partition_key": "VARCHAR",
    "source_file": "VARCHAR",
    "source_version": "VARCHAR",
    "source_landed_ns": "BIGINT",
    "source_digest": "VARCHAR",
}


def content_digest(raw: bytes) -> str:
    """The SHA-256 of a file's bytes, in hex (what `sha256sum` prints): what the load compares."""
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class LoadOutcome:
    """What `replace_partition` did: the partition's row count, and whether the version read had
    the bytes already loaded (`unchanged`: no row was replaced). `version` is the run key the
    partition's rows now record."""

    rows: int
    unchanged: bool
    version: str


class OlderVersionError(Exception):
    """A load would replace a partition's rows with an older version of its file than the one loaded."""

    def __init__(self, incoming: FileVersion, loaded_version: str, loaded_landed_ns: int):
        self.incoming = incoming
        self.loaded_version = loaded_version
        self.loaded_landed_ns = loaded_landed_ns
        super().__init__(
            f"{incoming.name}: not loaded: the version read ({incoming.run_key}) landed before the version "
            f"already loaded ({loaded_version}); the partition keeps the newer rows. If the older file is "
            "the one you want, land it again (copy or `touch` it): every landing is requested."
        )


def _checked_table(table: str) -> str:
    # Identifiers cannot be bound as parameters: only our own table names reach the SQL text.
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    return table


def create_table_sql(table: str) -> str:
    # The digest may be NULL: a load through `replace_partition` without one (it is then never "unchanged").
    columns = ", ".join(
        f"{name} {kind}{'' if name == 'source_digest' else ' NOT NULL'}" for name, kind in _COLUMN_TYPES.items()
    )
    return f"CREATE TABLE IF NOT EXISTS {_checked_table(table)} ({columns})"


def replace_partition(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    partition_key: str,
    source: FileVersion,
    rows: pd.DataFrame,
    digest: str | None = None,
) -> LoadOutcome:
    """Replace one partition's rows with `rows`, read from version `source` of its file (whose
    bytes have the SHA-256 `digest`, `content_digest`), in a single transaction.

    Either the old rows stay untouched or the new ones are all there: a failure at any point
    rolls back. Re-running the same file leaves the same rows, never duplicates. A version whose
    bytes are the loaded version's replaces no row (`unchanged`): when it landed later, only the
    rows' version columns move to it, so the newest-wins guard keeps measuring from the newest
    landing (else a slower run of a version that landed in between would win over it). A
    version of other bytes that landed before the one already loaded raises `OlderVersionError`
    and changes nothing: a run that read a file and then waited for the lock cannot overwrite a
    newer version's rows.
    """
    table = _checked_table(table)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(create_table_sql(table))
        # A table created before rows recorded their version (or its digest) gains the columns;
        # its old rows have none (NULL), and any version may replace them.
        for column in _ADDED_COLUMNS:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {_COLUMN_TYPES[column]}")
        # Checked inside the transaction that writes: DuckDB has one writer, so nothing can
        # commit another version of this partition between this read and the COMMIT.
        loaded = connection.execute(
            f"SELECT source_version, source_landed_ns, source_digest FROM {table} WHERE partition_key = ? "
            "ORDER BY source_landed_ns DESC NULLS LAST LIMIT 1",
            [partition_key],
        ).fetchone()
        if loaded is not None and digest is not None and loaded[2] == digest:
            outcome = LoadOutcome(len(rows), unchanged=True, version=loaded[0])
            if loaded[1] is None or source.landed_ns > loaded[1]:
                connection.execute(
                    f"UPDATE {table} SET source_version = ?, source_landed_ns = ? WHERE partition_key = ?",
                    [source.run_key, source.landed_ns, partition_key],
                )
                outcome = LoadOutcome(len(rows), unchanged=True, version=source.run_key)
            connection.execute("COMMIT")
            return outcome
        if loaded is not None and loaded[1] is not None and loaded[1] > source.landed_ns:
            raise OlderVersionError(source, loaded[0], loaded[1])
        connection.execute(f"DELETE FROM {table} WHERE partition_key = ?", [partition_key])
        connection.register("incoming_rows", rows)
        try:
            selected = ", ".join(f"CAST({c} AS {_COLUMN_TYPES[c]})" for c in COLUMNS)
            connection.execute(
                f"INSERT INTO {table} ({', '.join([*COLUMNS, *TRACKING_COLUMNS])}) "
                f"SELECT {selected}, ?, ?, ?, ?, ? FROM incoming_rows",
                [partition_key, source.name, source.run_key, source.landed_ns, digest],
            )
        finally:
            connection.unregister("incoming_rows")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return LoadOutcome(len(rows), unchanged=False, version=source.run_key)


def connect(
    database: Path, read_only: bool, timeout_seconds: float, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to `database`, waiting up to `timeout_seconds` while another process holds the
    file lock (DuckDB allows one writer process; a read-only connection also blocks writers).
    Past the timeout, the lock error is raised: a transient error, for the caller to retry."""
    deadline = time.monotonic() + timeout_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(database), read_only=read_only, config=config or {})
        except duckdb.IOException as err:
            # Another process holds the lock: wait for its short transaction.
            if "lock" not in str(err).lower() or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def query(database: Path, sql: str, parameters: list | None = None, timeout_seconds: float = 10.0) -> pd.DataFrame:
    """Run one read-only query on a short-lived connection and return the result as a DataFrame."""
    with connect(Path(database), read_only=True, timeout_seconds=timeout_seconds) as connection:
        return connection.execute(sql, parameters or []).df()


def table_exists(database: Path, table: str) -> bool:
    if not Path(database).exists():
        return False
    found = query(database, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [table])
    return bool(found["n"].iloc[0])


def read_table(database: Path, table: str) -> pd.DataFrame:
    """All rows of a raw table in a stable order; empty (with the columns) if nothing is loaded yet."""
    table = _checked_table(table)
    if not table_exists(database, table):
        return pd.DataFrame(columns=[*COLUMNS, *TRACKING_COLUMNS])
    return query(database, f"SELECT * FROM {table} ORDER BY partition_key, date, share_price, amount")


def row_counts(database: Path, table: str) -> dict[str, int]:
    """Rows per partition key: what a learner checks after a load or a re-run."""
    table = _checked_table(table)
    if not table_exists(database, table):
        return {}
    counts = query(database, f"SELECT partition_key, count(*) AS n FROM {table} GROUP BY 1 ORDER BY 1")
    return dict(zip(counts["partition_key"], counts["n"].astype(int)))
