from datetime import date
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.csv_format import SourceFileError, parse_iso_date, read_source_file
from dagster_and_etl.defs.partitions import daily_partitions, file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.warehouse import DAILY_TABLE, DYNAMIC_TABLE, replace_partition


def load_partition_file(
    partition_key: str, table: str, expected_date: date | None, source: SourceFolder, database: DuckDBResource
) -> dg.MaterializeResult:
    """Validate the partition's file, then replace the partition's rows with it in one transaction.

    Any problem fails the step with a message naming the file, the row and the problem, before
    the database is opened, so the table keeps exactly its previous rows.
    """
    try:
        path = source.landed_file(partition_key)
        rows = read_source_file(path, expected_date)
    except SourceFileError as err:
        metadata = {"file": str(err.file), "problem": err.problem}
        if err.row is not None:
            metadata["row"] = err.row
        raise dg.Failure(description=str(err), metadata=metadata) from None

    database_file = Path(database.database)
    database_file.parent.mkdir(parents=True, exist_ok=True)
    with database.get_connection() as connection:
        try:
            loaded = replace_partition(connection, table, partition_key, path.name, rows)
        except BaseException:
            # The resource closes its connection only on success; close it here too.
            connection.close()
            raise
    return dg.MaterializeResult(metadata={"rows": loaded, "source_file": path.name, "table": table})


@dg.asset(partitions_def=daily_partitions, kinds={"duckdb"}, group_name="scheduled")
def raw_partition_data(
    context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource
) -> dg.MaterializeResult:
    """One day's file `source/YYYY-MM-DD.csv`, validated and loaded; a re-run replaces the day's rows."""
    key = context.partition_key
    return load_partition_file(key, DAILY_TABLE, date.fromisoformat(key), source, database)


@dg.asset(partitions_def=file_partitions, kinds={"duckdb"}, group_name="event_driven")
def raw_dynamic_partition_data(
    context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource
) -> dg.MaterializeResult:
    """One landed file `source/<key>.csv`, validated and loaded; a re-upload replaces its rows.

    When the key is a date, every row must carry that date, as in the daily asset.
    """
    key = context.partition_key
    return load_partition_file(key, DYNAMIC_TABLE, parse_iso_date(key), source, database)
