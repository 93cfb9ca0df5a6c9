import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.defs.jobs import import_dynamic_partition_job, import_s3_partition_job
from dagster_and_etl.defs.partitions import file_partitions, object_partitions
from dagster_and_etl.defs.resources import LandingBucket, SourceFolder
from dagster_and_etl.file_scan import TickPlan


def request_changes(
    context: dg.SensorEvaluationContext, plan: TickPlan, where: str, partitions_def: dg.DynamicPartitionsDefinition
) -> dg.SensorResult:
    """The result of one tick of a landing-zone sensor, whatever the zone (a folder, a bucket
    prefix) and its cursor's design: one run per file in the plan's batch (at most
    `DAGSTER_ETL_MAX_RUNS_PER_TICK`), its partition registered, and the plan's cursor.

    The folder's plan is `watermark_cursor.plan_tick` (a change-time watermark); the bucket's is
    `file_scan.plan_digest_tick` (run-key digests: S3's LastModified is not when an object
    landed). Both find late, replaced and atomically replaced files; an unreadable cursor is
    discarded with a warning (every file is compared again, the daemon skips the run keys it
    already ran).
    """
    for warning in plan.warnings:
        context.log.warning(warning)
    if plan.unusable:
        context.log.warning(
            f"Not requesting {len(plan.unusable)} file(s) whose name cannot be a partition key: "
            + ", ".join(sorted(plan.unusable)[:10])
        )

    if not plan.batch:
        skip_reason = f"No new or changed files in {where}."
        if plan.unusable:
            skip_reason += (
                f" {len(plan.unusable)} file(s) left out: their names cannot be partition keys (see the log)."
            )
        return dg.SensorResult(skip_reason=skip_reason, cursor=plan.cursor)

    if plan.pending > len(plan.batch):
        context.log.info(f"Requesting {len(plan.batch)} of {plan.pending} pending files; the rest on the next ticks.")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f.run_key, partition_key=f.partition_key, tags={"source_file": f.name})
            for f in plan.batch
        ],
        dynamic_partitions_requests=[partitions_def.build_add_request(sorted({f.partition_key for f in plan.batch}))],
        cursor=plan.cursor,
    )


@dg.sensor(
    target=import_dynamic_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def dynamic_sensor(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Request one run per new or changed CSV in the source folder, registering its partition
    (see `request_changes`; the cursor is a change-time watermark, `watermark_cursor`)."""
    if not source.folder.is_dir():
        return dg.SensorResult(
            skip_reason=f"The source folder {source.folder} does not exist: create it, or point "
            "DAGSTER_ETL_DATA_DIR at a data root that has a source/ folder.",
        )
    return request_changes(context, source.plan_tick(context.cursor), str(source.folder), file_partitions)


@dg.sensor(
    target=import_s3_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def s3_sensor(context: dg.SensorEvaluationContext, landing_bucket: LandingBucket) -> dg.SensorResult:
    """Request one run per new or changed CSV object directly under the landing bucket's prefix,
    with the folder sensor's rules (`request_changes`) and a run-key digest cursor."""
    if not landing_bucket.is_configured:
        return dg.SensorResult(
            skip_reason=f"No landing bucket is configured: set {settings.S3_BUCKET_ENV} (and "
            f"{settings.S3_PREFIX_ENV}, or {settings.S3_ENDPOINT_URL_ENV} for a server other than AWS)."
        )
    return request_changes(
        context, landing_bucket.plan_tick(context.cursor), landing_bucket.location, object_partitions
    )


@dg.sensor(
    target=import_s3_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def s3_event_sensor(context: dg.SensorEvaluationContext, landing_bucket: LandingBucket) -> dg.SensorResult:
    """`s3_sensor`'s requests from the bucket's event notifications instead of a listing: a tick
    reads the SQS queue the bucket notifies and costs what arrived (`bucket_events`), with the
    same rules, partitions, table and run keys (`request_changes`)."""
    if not (landing_bucket.is_configured and landing_bucket.queue_url):
        return dg.SensorResult(
            skip_reason=f"No notified landing bucket is configured: set {settings.S3_BUCKET_ENV} and "
            f"{settings.S3_QUEUE_URL_ENV} (the SQS queue the bucket notifies of created objects), and "
            f"{settings.S3_PREFIX_ENV} or {settings.S3_ENDPOINT_URL_ENV} as for s3_sensor."
        )
    return request_changes(
        context,
        landing_bucket.plan_event_tick(context.cursor),
        f"{landing_bucket.location} (events)",
        object_partitions,
    )
