"""The alternative `Definitions`: the same assets, tables and files, triggered by automation conditions.

    DAGSTER_AUTOMATION_TICK_SETTLE_SECONDS=1 dagster dev -m dagster_and_etl.definitions_automation -h 127.0.0.1

(without the setting, a file that lands during an automation tick can be missed: see
docs/reliability.md). Then turn on `file_event_sensor` (it records each landed file) and `automation_condition_sensor`
(it evaluates the assets' conditions and launches their runs). See `automation.py` and
lesson 07 and its deep dive. The reference project (`dagster_and_etl.definitions`) is unchanged.
"""

from pathlib import Path

import dagster as dg

from dagster_and_etl import automation, settings
from dagster_and_etl.defs.resources import build_resources


def build_definitions(data_root: Path | None = None) -> dg.Definitions:
    """The automation definitions over one data root (default: `DAGSTER_ETL_DATA_DIR`, else `data/`)."""
    return dg.Definitions(
        assets=[
            automation.daily_file,
            automation.source_file,
            automation.raw_partition_data,
            automation.raw_dynamic_partition_data,
        ],
        sensors=[automation.file_event_sensor, automation.automation_condition_sensor],
        resources=build_resources(settings.data_root() if data_root is None else Path(data_root)),
    )


defs = build_definitions()
