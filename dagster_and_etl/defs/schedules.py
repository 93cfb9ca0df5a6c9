import dagster as dg

from dagster_and_etl.defs.jobs import import_partition_job

# Daily at 06:00 UTC, each tick asking for the day that just ended. The course passes
# cron_schedule="0 6 * * *", which Dagster 1.13 rejects for any job made by define_asset_job: the
# cadence comes from the partitions, and only the time of day can be chosen.
asset_partitioned_schedule = dg.build_schedule_from_partitioned_job(
    import_partition_job,
    name="asset_partitioned_schedule",
    hour_of_day=6,
    minute_of_hour=0,
)
