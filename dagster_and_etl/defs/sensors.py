import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.file_scan import decode_cursor, encode_cursor, scan_changes


@dg.sensor(
    target=import_dynamic_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def dynamic_sensor(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Request one run per new or changed CSV in the source folder, registering its partition.

    The cursor remembers the run key (name, mtime, size) of every file requested and still
    present, so a late file with an old mtime and a file replaced in place are both found, and
    each tick requests at most `DAGSTER_ETL_MAX_RUNS_PER_TICK` runs, oldest files first.
    """
    if not source.folder.is_dir():
        return dg.SensorResult(
            skip_reason=f"The source folder {source.folder} does not exist: create it, or point "
            "DAGSTER_ETL_DATA_DIR at a data root that has a source/ folder.",
        )

    seen, cursor_warning = decode_cursor(context.cursor)
    if cursor_warning:
        context.log.warning(cursor_warning)

    changed, still_present, unusable = scan_changes(source.folder, seen)
    if unusable:
        context.log.warning(
            f"Not requesting {len(unusable)} file(s) whose name cannot be a partition key: "
            + ", ".join(sorted(unusable)[:10])
        )

    pending = sorted(changed, key=lambda f: (f.mtime_ns, f.name))
    batch = pending[: settings.max_runs_per_tick()]
    cursor = context.cursor if still_present == seen and not cursor_warning else encode_cursor(still_present)

    if not batch:
        skip_reason = f"No new or changed files in {source.folder}."
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
        dynamic_partitions_requests=[file_partitions.build_add_request(sorted({f.partition_key for f in batch}))],
        cursor=encode_cursor(still_present | {f.digest for f in batch}),
    )
