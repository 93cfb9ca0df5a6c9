"""`warehouse.replace_partition` and the version it records: the newest-wins guard in one process
(two processes racing are in test_reliability_concurrency.py), the bytes' digest (a landing of the
same bytes rewrites nothing), and tables from before versions and digests."""

import duckdb
import pytest

from dagster_and_etl import warehouse
from dagster_and_etl.csv_format import read_source_text
from dagster_and_etl.file_scan import FileVersion
from dagster_and_etl.sample_data import FIRST_DAY, day_csv

KEY = FIRST_DAY.isoformat()
DIGEST, CORRECTED_DIGEST = warehouse.content_digest(b"rows"), warehouse.content_digest(b"corrected rows")
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
        assert warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, same, ROWS).rows == 8
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
        assert warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, loaded, ROWS, DIGEST).rows == 8
        assert stored(connection) == [(loaded.run_key, 5)]


def digests(connection) -> set:
    return {row[0] for row in connection.execute(f"SELECT source_digest FROM {warehouse.DYNAMIC_TABLE}").fetchall()}


def test_the_same_bytes_landed_again_replace_no_row_and_move_the_version_to_the_newer_landing(tmp_path):
    with duckdb.connect(str(tmp_path / "db.duckdb")) as connection:
        first = version(mtime_ns=1, landed_ns=100)
        load = warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, first, ROWS, DIGEST)
        assert (load.unchanged, load.version) == (False, first.run_key)
        row_ids = connection.execute(f"SELECT rowid FROM {warehouse.DYNAMIC_TABLE} ORDER BY rowid").fetchall()
        # A chmod, a hard link, `mv` away and back: the same bytes, landed later.
        again = version(mtime_ns=1, landed_ns=300)
        load = warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, again, ROWS, DIGEST)
        assert (load.unchanged, load.version, load.rows) == (True, again.run_key, 8)
        assert connection.execute(f"SELECT rowid FROM {warehouse.DYNAMIC_TABLE} ORDER BY rowid").fetchall() == row_ids
        # The guard now measures from the newer landing: a slower run of a version of other bytes
        # that landed in between is refused (else it would win over the file the folder holds).
        with pytest.raises(warehouse.OlderVersionError):
            warehouse.replace_partition(
                connection, warehouse.DYNAMIC_TABLE, KEY, version(2, landed_ns=200), CORRECTED, CORRECTED_DIGEST
            )
        # The same bytes read by a run of an older landing: unchanged, the version stays.
        load = warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, first, ROWS, DIGEST)
        assert (load.unchanged, load.version) == (True, again.run_key)
        assert stored(connection) == [(again.run_key, 300)] and digests(connection) == {DIGEST}
        # Other bytes that landed later replace the rows.
        restored = version(mtime_ns=1, landed_ns=400)  # `cp -p` of a backup: an old mtime, a new landing
        load = warehouse.replace_partition(
            connection, warehouse.DYNAMIC_TABLE, KEY, restored, CORRECTED, CORRECTED_DIGEST
        )
        assert load.unchanged is False and digests(connection) == {CORRECTED_DIGEST}


def test_a_table_loaded_before_rows_had_a_digest_gains_the_column_without_a_reload(tmp_path):
    with duckdb.connect(str(tmp_path / "db.duckdb")) as connection:
        columns = ", ".join(f"{c} {t} NOT NULL" for c, t in warehouse._COLUMN_TYPES.items() if c != "source_digest")
        connection.execute(f"CREATE TABLE {warehouse.DYNAMIC_TABLE} ({columns})")
        old = version(mtime_ns=1, landed_ns=5)
        connection.execute(
            f"INSERT INTO {warehouse.DYNAMIC_TABLE} VALUES ('2018-01-22', 1, 1, 1, 1, 1, ?, ?, ?, ?)",
            [KEY, f"{KEY}.csv", old.run_key, 5],
        )
        # Its old rows have no digest: the next landing, whatever its bytes, loads.
        load = warehouse.replace_partition(connection, warehouse.DYNAMIC_TABLE, KEY, version(1, 6), ROWS, DIGEST)
        assert load.unchanged is False and digests(connection) == {DIGEST}
