"""The DuckDB side: the two raw tables, an idempotent per-partition load, and safe reads.

Writers hold a connection only for one transaction; readers open short-lived read-only
connections and retry briefly while a writer holds the file lock (DuckDB allows one writer
process at a time).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pandas as pd

from dagster_and_etl.csv_format import COLUMNS

DAILY_TABLE = "raw_partition_data"
DYNAMIC_TABLE = "raw_dynamic_partition_data"
TABLES = (DAILY_TABLE, DYNAMIC_TABLE)
TRACKING_COLUMNS = ("partition_key", "source_file")

_COLUMN_TYPES = {
    "date": "DATE",
    "share_price": "DOUBLE",
    "amount": "DOUBLE",
    "spend": "DOUBLE",
    "shift": "DOUBLE",
    "spread": "DOUBLE",
    "partition_key": "VARCHAR",
    "source_file": "VARCHAR",
}


def _checked_table(table: str) -> str:
    # Identifiers cannot be bound as parameters: only our own table names reach the SQL text.
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    return table


def create_table_sql(table: str) -> str:
    columns = ", ".join(f"{name} {kind} NOT NULL" for name, kind in _COLUMN_TYPES.items())
    return f"CREATE TABLE IF NOT EXISTS {_checked_table(table)} ({columns})"


def replace_partition(
    connection: duckdb.DuckDBPyConnection, table: str, partition_key: str, source_file: str, rows: pd.DataFrame
) -> int:
    """Replace one partition's rows with `rows` in a single transaction; return the row count.

    Either the old rows stay untouched or the new ones are all there: a failure at any point
    rolls back. Re-running the same file leaves the same rows, never duplicates.
    """
    table = _checked_table(table)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(create_table_sql(table))
        connection.execute(f"DELETE FROM {table} WHERE partition_key = ?", [partition_key])
        connection.register("incoming_rows", rows)
        try:
            selected = ", ".join(f"CAST({c} AS {_COLUMN_TYPES[c]})" for c in COLUMNS)
            connection.execute(
                f"INSERT INTO {table} SELECT {selected}, ?, ? FROM incoming_rows", [partition_key, source_file]
            )
        finally:
            connection.unregister("incoming_rows")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return len(rows)


def _connect_read_only(database: Path, timeout_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(database), read_only=True)
        except duckdb.IOException as err:
            # A writer in another process holds the lock: wait for its short transaction.
            if "lock" not in str(err).lower() or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def query(database: Path, sql: str, parameters: list | None = None, timeout_seconds: float = 10.0) -> pd.DataFrame:
    """Run one read-only query on a short-lived connection and return the result as a DataFrame."""
    with _connect_read_only(Path(database), timeout_seconds) as connection:
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
