from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.csv_format import SourceFileError, decode_source, parse_iso_date, read_source_text
from dagster_and_etl.defs.partitions import daily_partitions, file_partitions, object_partitions
from dagster_and_etl.defs.resources import LandingBucket, SourceFolder
from dagster_and_etl.file_scan import FileVersion, read_landed_file
from dagster_and_etl.warehouse import (
    DAILY_TABLE,
    DYNAMIC_TABLE,
    S3_TABLE,
    WRITER_POOL,
    OlderVersionError,
    content_digest,
    replace_partition,
)

# The blocking check each asset reports on every run: did the file pass validation?
VALID_FILE_CHECK = "valid_source_file"

# Transient errors are retried: DuckDB's lock held past the resource's timeout (IOException), a
# file rewritten while it was read, any other OSError. A file whose content breaks a rule is
# not: it raises `dg.Failure(allow_retries=False)`, which the policy lets through
# (dagster/_core/execution/plan/utils.py: op_execution_error_boundary).
LOAD_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=1, backoff=dg.Backoff.EXPONENTIAL)


class LoadRefused(dg.Failure):
    """The load was refused for good (no retry): the file breaks a rule, or an older version than
    the one loaded was read. `check_result` is the file check's result, emitted before the failure."""

    def __init__(self, description: str, metadata: dict, check_result: dg.AssetCheckResult):
        super().__init__(description=description, metadata=metadata, allow_retries=False)
        self.check_result = check_result


def version_metadata(version: FileVersion) -> dict:
    """What a materialization and a check say about the file version: name, mtime, size, run key."""
    return {
        "source_file": version.name,
        "source_version": version.run_key,
        "source_mtime_ns": version.mtime_ns,
        "source_size": version.size,
    }


def rejected(err: SourceFileError) -> LoadRefused:
    """A file that breaks a rule: the failed check and the run's failure name the file, row and problem."""
    metadata: dict[str, str | int] = {"file": str(err.file), "problem": err.problem}
    if err.row is not None:
        metadata["row"] = err.row
    if err.line is not None:
        metadata["line"] = err.line
    check = dg.AssetCheckResult(
        check_name=VALID_FILE_CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=str(err),
        metadata=metadata,
    )
    return LoadRefused(str(err), metadata, check)


def validate_and_load(
    name: Path | str,
    partition_key: str,
    table: str,
    read: Callable[[], tuple[bytes, FileVersion]],
    expected_date: date | None,
    database: DuckDBResource,
) -> dg.MaterializeResult:
    """Read a file's bytes and version with `read`, validate them, then replace the partition's rows
    in one transaction. The shared body of every loading asset, whatever the file came from.
    Bytes equal to those already loaded (a chmod, a hard link, the same object uploaded again)
    replace nothing, and the materialization says `unchanged: True`.

    A file that breaks a rule raises `LoadRefused` before the database is opened, so the table
    keeps exactly its previous rows. The check result (passed) travels in the materialization.
    """
    try:
        raw, version = read()
        rows = read_source_text(name, decode_source(name, raw), expected_date)
    except SourceFileError as err:
        raise rejected(err) from None

    passed = dg.AssetCheckResult(
        check_name=VALID_FILE_CHECK, passed=True, metadata={**version_metadata(version), "rows": len(rows)}
    )
    digest = content_digest(raw)
    with database.get_connection() as connection:
        try:
            loaded = replace_partition(connection, table, partition_key, version, rows, digest)
        except OlderVersionError as err:
            raise LoadRefused(
                str(err), {**version_metadata(version), "loaded_version": err.loaded_version}, passed
            ) from None
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(loaded.rows),
            **version_metadata(version),
            "source_sha256": digest,
            # True when the bytes read were the ones already loaded: no row was replaced, and
            # `loaded_version` is the version the rows record (this one when it landed later).
            "unchanged": loaded.unchanged,
            "loaded_version": loaded.version,
            "table": table,
        },
        check_results=[passed],
    )


def load_partition_file(
    partition_key: str, table: str, expected_date: date | None, source: SourceFolder, database: DuckDBResource
) -> dg.MaterializeResult:
    """Validate the partition's file in the source folder, then replace the partition's rows with it."""
    try:
        path = source.landed_file(partition_key)
    except SourceFileError as err:
        raise rejected(err) from None
    return validate_and_load(path, partition_key, table, lambda: read_landed_file(path), expected_date, database)


def load_partition_object(
    partition_key: str, table: str, expected_date: date | None, bucket: LandingBucket, database: DuckDBResource
) -> dg.MaterializeResult:
    """Validate the partition's object in the landing bucket, then replace the partition's rows with it."""
    try:
        raw, version = bucket.read(partition_key)
    except SourceFileError as err:
        raise rejected(err) from None
    name = f"{bucket.prefix}{version.name}"
    return validate_and_load(name, partition_key, table, lambda: (raw, version), expected_date, database)


def with_check_on_failure(load: Callable[[], dg.MaterializeResult]) -> Iterator:
    """The asset's events: the materialization (its check result inside) on success; when the load
    is refused, the check result first, then the failure, so the run fails and the Checks tab
    says why. A failed blocking check alone would not do: Dagster would fail the step only after
    the op returned (dagster/_core/execution/plan/execute_step.py: core_dagster_event_sequence_for_step),
    with its own message instead of the file, row and problem."""
    try:
        result = load()
    except LoadRefused as refused:
        yield refused.check_result
        raise
    yield result


def file_check(asset_key: str) -> dg.AssetCheckSpec:
    # Not partitioned: AssetCheckSpec(partitions_def=...) is a preview feature in 1.13. Each run
    # records its result with the run's partition, shown in the asset's Checks tab.
    return dg.AssetCheckSpec(
        VALID_FILE_CHECK,
        asset=asset_key,
        blocking=True,
        description="The partition's file passed validation; on failure, the file, row and problem.",
    )


def loading_asset(table: str, partitions_def: dg.PartitionsDefinition, group_name: str, kinds=("duckdb",)) -> dict:
    """What every asset that loads files into a DuckDB table declares: its partitions and group,
    the duckdb pool, the retry policy and its blocking file check."""
    return {
        "name": table,
        "partitions_def": partitions_def,
        "kinds": set(kinds),
        "group_name": group_name,
        "pool": WRITER_POOL,
        "retry_policy": LOAD_RETRY_POLICY,
        "check_specs": [file_check(table)],
    }


@dg.asset(**loading_asset(DAILY_TABLE, daily_partitions, "scheduled"))
def raw_partition_data(context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource):
    """One day's file `source/YYYY-MM-DD.csv`, validated and loaded; a re-run replaces the day's rows."""
    key = context.partition_key
    yield from with_check_on_failure(
        lambda: load_partition_file(key, DAILY_TABLE, date.fromisoformat(key), source, database)
    )


@dg.asset(**loading_asset(DYNAMIC_TABLE, file_partitions, "event_driven"))
def raw_dynamic_partition_data(context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource):
    """One landed file `source/<key>.csv`, validated and loaded; a re-upload replaces its rows.

    When the key is a date, every row must carry that date, as in the daily asset.
    """
    key = context.partition_key
    yield from with_check_on_failure(
        lambda: load_partition_file(key, DYNAMIC_TABLE, parse_iso_date(key), source, database)
    )


@dg.asset(**loading_asset(S3_TABLE, object_partitions, "event_driven", kinds=("duckdb", "s3")))
def raw_s3_partition_data(context: dg.AssetExecutionContext, landing_bucket: LandingBucket, database: DuckDBResource):
    """One landed object `<prefix><key>.csv` of the S3 landing zone, validated and loaded like a
    file; a re-upload replaces its rows. When the key is a date, every row must carry it."""
    key = context.partition_key
    yield from with_check_on_failure(
        lambda: load_partition_object(key, S3_TABLE, parse_iso_date(key), landing_bucket, database)
    )
