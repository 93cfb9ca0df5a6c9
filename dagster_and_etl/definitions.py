"""The reference project's `Definitions`: what `dagster dev -m dagster_and_etl.definitions` loads."""

from pathlib import Path

import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.defs import assets, jobs, schedules, sensors
from dagster_and_etl.defs.resources import build_resources


def build_definitions(data_root: Path | None = None) -> dg.Definitions:
    """The definitions over one data root (default: `DAGSTER_ETL_DATA_DIR`, else the repo's `data/`).

    Notebooks and tests build them over a temporary root; the definitions themselves do not
    change, only the resources that say where the files and the database are.
    """
    return dg.Definitions(
        # The S3 landing zone is always defined, configured or not: the definitions (and the
        # code location the daemon files cursors under) never depend on an environment
        # variable, and with no bucket set the S3 sensor's ticks say what to set.
        assets=[assets.raw_partition_data, assets.raw_dynamic_partition_data, assets.raw_s3_partition_data],
        jobs=[jobs.import_partition_job, jobs.import_dynamic_partition_job, jobs.import_s3_partition_job],
        schedules=[schedules.asset_partitioned_schedule],
        sensors=[sensors.dynamic_sensor, sensors.s3_sensor, sensors.s3_event_sensor],
        resources=build_resources(settings.data_root() if data_root is None else Path(data_root)),
        # Every job here runs one step (one asset, its file check inside it), so its steps run in
        # the run worker's own process: the default multiprocess executor would start, for that
        # one step, a second Python process that imports Dagster and the project again. The
        # in-process executor keeps what the assets rely on: retries (RetryPolicy; a
        # `dg.Failure(allow_retries=False)` is not retried), the check results, and the step's claim
        # on the duckdb pool (`dagster/_core/executor/in_process.py`: `inprocess_execution_iterator`
        # runs the plan with an `InstanceConcurrencyContext`, as the multiprocess executor does).
        # The definitions' executor is every job's default, the implicit asset job's (the UI's
        # Materialize) included (`definitions_class.py`: `default_executor_def`).
        executor=dg.in_process_executor,
    )


defs = build_definitions()
