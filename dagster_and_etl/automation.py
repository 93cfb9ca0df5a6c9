"""The alternative to the schedule and the file sensor's runs: declarative automation.

An automation condition only sees what the Dagster instance holds (materializations, runs,
partitions), never the folder. So the landing of a file enters the instance as an event of an
upstream asset that Dagster does not compute: `daily_file` for the daily asset, `source_file`
for the dynamic one. `file_event_sensor` watches the folder as `dynamic_sensor` does (same scan,
same cursor) but requests no runs: it registers the dynamic partitions and reports one
`AssetMaterialization` of each upstream asset per new or changed file (the daemon records them,
`dagster/_daemon/sensor.py`: `report_runless_asset_event`). The assets' conditions turn those
events into runs, evaluated by the daemon's `AssetDaemon` through `automation_condition_sensor`.

Why `eager()` on both, not `on_cron` or `on_missing` (lesson 07 and its deep dive show each on the same mornings):
- `on_cron("0 6 * * *")` alone requests the day at 06:00 whether or not the file is there, and a
  failed run counts as handled: a late file is never loaded (as with the schedule). With the file
  as a dependency it waits for a file updated *after* 06:00, so an on-time 05:00 file is never loaded.
- `on_missing()` requests a partition once, when it appears: a replaced file is never loaded again.
- `eager()` requests a partition when its file's event is new (`any_deps_updated`), whether it
  landed on time, late or replaced, and never while the file is missing (`~any_deps_missing`).
  For daily partitions only the latest day is considered (`in_latest_time_window`).
A failed run is not retried by any of them: the next version of the file is.
"""

import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.csv_format import parse_iso_date
from dagster_and_etl.defs.assets import raw_dynamic_partition_data as reference_dynamic_asset
from dagster_and_etl.defs.assets import raw_partition_data as reference_daily_asset
from dagster_and_etl.defs.partitions import daily_partitions, file_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.file_scan import LandedFile, plan_digest_tick, scan_changes

# The files themselves, as assets Dagster observes but never computes.
daily_file = dg.AssetSpec(
    "daily_file",
    partitions_def=daily_partitions,
    group_name="landing",
    description="source/YYYY-MM-DD.csv; a materialization is recorded each time a version of it lands.",
)
source_file = dg.AssetSpec(
    "source_file",
    partitions_def=file_partitions,
    group_name="landing",
    description="source/<key>.csv; a materialization is recorded each time a version of it lands.",
)


# The reference assets' code, with the file as a dependency and a condition instead of a trigger.
def _triggered_by(asset: dg.AssetsDefinition, upstream: dg.AssetSpec) -> dg.AssetsDefinition:
    return asset.map_asset_specs(
        lambda spec: spec.replace_attributes(deps=[upstream], automation_condition=dg.AutomationCondition.eager())
    )


raw_partition_data = _triggered_by(reference_daily_asset, daily_file)
raw_dynamic_partition_data = _triggered_by(reference_dynamic_asset, source_file)


def landing_events(files: list[LandedFile]) -> list[dg.AssetMaterialization]:
    """One materialization of `source_file` per file, and of `daily_file` when its name is a day
    the daily partitions have, each tagged with the file's run key (its version)."""
    events = []
    first_day = daily_partitions.start.date()
    for f in files:
        metadata = {"run_key": f.run_key}
        events.append(dg.AssetMaterialization(source_file.key, partition=f.partition_key, metadata=metadata))
        day = parse_iso_date(f.partition_key)
        if day is not None and day >= first_day:
            events.append(dg.AssetMaterialization(daily_file.key, partition=f.partition_key, metadata=metadata))
    return events


@dg.sensor(minimum_interval_seconds=settings.sensor_interval_seconds(), default_status=dg.DefaultSensorStatus.STOPPED)
def file_event_sensor(context: dg.SensorEvaluationContext, source: SourceFolder) -> dg.SensorResult:
    """Register a partition and record a landing event per new or changed CSV; request no runs."""
    if not source.folder.is_dir():
        return dg.SensorResult(skip_reason=f"The source folder {source.folder} does not exist.")
    plan = plan_digest_tick(
        context.cursor, lambda seen, legacy: scan_changes(source.folder, seen, legacy), settings.max_runs_per_tick()
    )
    for warning in plan.warnings:
        context.log.warning(warning)
    if not plan.batch:
        return dg.SensorResult(skip_reason="No new or changed files.", cursor=plan.cursor)
    return dg.SensorResult(
        asset_events=landing_events(plan.batch),
        dynamic_partitions_requests=[file_partitions.build_add_request(sorted({f.partition_key for f in plan.batch}))],
        cursor=plan.cursor,
    )


# Declared, so its interval follows DAGSTER_ETL_SENSOR_INTERVAL; without it, Dagster adds
# `default_automation_condition_sensor` (30 s), STOPPED like every sensor until turned on
# (`dagster/_core/definitions/utils.py`: get_default_automation_condition_sensor).
automation_condition_sensor = dg.AutomationConditionSensorDefinition(
    "automation_condition_sensor",
    target=dg.AssetSelection.assets(raw_partition_data, raw_dynamic_partition_data),
    minimum_interval_seconds=settings.sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
