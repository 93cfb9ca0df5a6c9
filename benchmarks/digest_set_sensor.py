"""The folder sensor as it was before the change-time watermark: its cursor is the set of run-key
digests (`file_scan.plan_digest_tick`), through the same `request_changes`. The benchmarks measure
it beside the reference sensor; `defs` serves both to `dagster dev -m digest_set_sensor`."""

import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.defs.sensors import request_changes
from dagster_and_etl.file_scan import plan_digest_tick, scan_changes

DIGEST_SET_SENSOR_NAME = "digest_set_sensor"


@dg.sensor(
    name=DIGEST_SET_SENSOR_NAME,
    target=import_dynamic_partition_job,
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def digest_set_sensor(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    plan = plan_digest_tick(
        context.cursor, lambda seen, legacy: scan_changes(source.folder, seen, legacy), settings.max_runs_per_tick()
    )
    return request_changes(context, plan, str(source.folder), file_partitions)


defs = dg.Definitions.merge(build_definitions(), dg.Definitions(sensors=[digest_set_sensor]))
