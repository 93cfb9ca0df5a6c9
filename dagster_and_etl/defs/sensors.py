from collections.abc import Callable

import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.defs.jobs import import_dynamic_partition_job, import_s3_partition_job
from dagster_and_etl.defs.partitions import file_partitions, object_partitions
from dagster_and_etl.defs.resources import LandingBucket, SourceFolder
from dagster_and_etl.file_scan import LandedFile, decode_cursor, encode_cursor

Scan = Callable[[set[bytes]], tuple[list[LandedFile], set[bytes], list[str]]]


def request_changes(
    context: dg.SensorEvaluationContext, scan_changes: Scan, where: str, partitions_def: dg.DynamicPartitionsDefinition
) -> dg.SensorResult:
    """One tick of a landing-zone sensor, whatever the zone (a folder, a bucket prefix): one run
    per new or changed file, its partition registered.

    The cursor remembers the run key of every file requested and still present, so a late file
    with an old mtime and a file replaced in place are both found; an unreadable cursor is
    discarded with a warning (every file is requested again, the daemon skips the run keys it
    already ran); each tick requests at most `DAGSTER_ETL_MAX_RUNS_PER_TICK` runs, oldest first.
    """
    seen, cursor_warning = decode_cursor(context.cursor)
    if cursor_warning:
        context.log.warning(cursor_warning)

    changed, still_present, unusable = scan_changes(seen)
    if unusable:
        context.log.warning(
            f"Not requesting {len(unusable)} file(s) whose name cannot be a partition key: "
            + ", ".join(sorted(unusable)[:10])
        )

    pending = sorted(changed, key=lambda f: (f.mtime_ns, f.name))
    batch = pending[: settings.max_runs_per_tick()]
    cursor = context.cursor if still_present == seen and not cursor_warning else encode_cursor(still_present)

    if not batch:
        skip_reason = f"No new or changed files in {where}."
        if unusable:
            skip_reason += f" {len(unusable)} file(s) left out: their names cannot be partition keys (see the log)."
        return dg.SensorResult(skip_reason=skip_reason, cursor=cursor)

    if len(pending) > len(batch):
        context.log.info(f"Requesting {len(batch)} of {len(pending)} pending files; the rest on the next ticks.")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f.run_key, partition_key=f.partition_key, tags={"source_file": f.name})
            for f in batch
        ],
        dynamic_partitions_requests=[partitions_def.build_add_request(sorted({f.partition_key for f in batch}))],
        cursor=encode_cursor(still_present | {f.digest for f in batch}),
    )


@dg.sensor(
    target=import_dynamic_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def dynamic_sensor(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Request one run per new or changed CSV in the source folder, registering its partition
    (see `request_changes`)."""
    if not source.folder.is_dir():
        return dg.SensorResult(
            skip_reason=f"The source folder {source.folder} does not exist: create it, or point "
            "DAGSTER_ETL_DATA_DIR at a data root that has a source/ folder.",
        )
    return request_changes(context, source.scan_changes, str(source.folder), file_partitions)


@dg.sensor(
    target=import_s3_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def s3_sensor(context: dg.SensorEvaluationContext, landing_bucket: LandingBucket) -> dg.SensorResult:
    """Request one run per new or changed CSV object directly under the landing bucket's prefix,
    with the folder sensor's rules and cursor (`request_changes`)."""
    if not landing_bucket.is_configured:
        return dg.SensorResult(
            skip_reason=f"No landing bucket is configured: set {settings.S3_BUCKET_ENV} (and "
            f"{settings.S3_PREFIX_ENV}, or {settings.S3_ENDPOINT_URL_ENV} for a server other than AWS)."
        )
    return request_changes(context, landing_bucket.scan_changes, landing_bucket.location, object_partitions)
