"""`warehouse.replace_partition` and the version it records: the newest-wins guard in one process
(two processes racing are in test_reliability_concurrency.py), and a table from before versions."""

import duckdb
import pytest

from dagster_and_etl import warehouse
from dagster_and_etl.csv_format import read_source_text
from dagster_and_etl.file_scan import FileVersion
from dagster_and_etl.sample_data import FIRST_DAY, day_csv

KEY = FIRST_DAY.isoformat()
ROWS = read_source_text(f"{KEY}.csv", day_csv(FIRST_DAY), FIRST_DAY)
CORRECTED = read_source_text(f"{KEY}.csv", day_csv(FIRST_DAY, "corrected"), FIRST_DAY)


def version(mtime_ns: int, landed_ns: int) -> FileVersion:
    return FileVersion(f"{KEY}.csv", mtime_ns, 400, landed_ns=landed_ns)


def stored(connection) -> list[tuple]:
    return connection.execute(
        f"SELECT DISTINCT source_version, source_landed_ns FROM {warehouse.DYNAMIC_TABLE}"
    ).fetchall()


def test_a_version_that_landed_earlier_is_refused_and_changes_nothing(tmp_path):
    with duckdb.connect(str(tmp_path / "db.duckdb")) as connection:
        newer = version(mtime_ns=1, landed_ns=200)  # an old mtime (cp -p), landed last
        warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, newer, CORRECTED)
        with pytest.raises(warehouse.OlderVersionError, match=r"not loaded: the version read .* landed before"):
            warehouse.replace_partition(
                connection, warehouse.DYNAMIC_TABLE, KEY, version(mtime_ns=9, landed_ns=100), ROWS
            )
        assert stored(connection) == [(newer.run_key, 200)]
        # The same landing time (a re-run of the same file, or two writes in one clock tick) replaces.
        same = version(mtime_ns=9, landed_ns=200)
        assert warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, same, ROWS) == 8
        assert stored(connection) == [(same.run_key, 200)]


def test_a_table_created_before_rows_had_versions_gains_the_columns(tmp_path):
    with duckdb.connect(str(tmp_path / "db.duckdb")) as connection:
        connection.execute(  # the table as the project created it before
            f"CREATE TABLE {warehouse.DYNAMIC_TABLE} (date DATE NOT NULL, share_price DOUBLE NOT NULL, "
            "amount DOUBLE NOT NULL, spend DOUBLE NOT NULL, shift DOUBLE NOT NULL, spread DOUBLE NOT NULL, "
            "partition_key VARCHAR NOT NULL, source_file VARCHAR NOT NULL)"
        )
        connection.execute(
            f"INSERT INTO {warehouse.DYNAMIC_TABLE} VALUES ('2018-01-22', 1, 1, 1, 1, 1, ?, ?)", [KEY, f"{KEY}.csv"]
        )
        loaded = version(mtime_ns=1, landed_ns=5)
        assert warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, loaded, ROWS) == 8
        assert stored(connection) == [(loaded.run_key, 5)]
