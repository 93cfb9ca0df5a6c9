"""The reference project's `Definitions`: what `dagster dev -m dagster_and_etl.definitions`, `dg dev`,
`dg check defs` and `dg list defs` load.

The definitions are every module of the `defs/` folder, found the way `dg` finds them
(`dg.load_from_defs_folder`: the project named by `[tool.dg]` in pyproject.toml, its `defs`
module, each Python file in it), so a file `dg scaffold defs dagster.sensor NAME.py` writes there
is loaded beside the project's own. What the folder cannot hold is added here: the resources,
which differ by data root, and the executor.
"""

from functools import cache
from pathlib import Path

import dagster as dg

from dagster_and_etl import settings
from dagster_and_etl.defs.resources import build_resources

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def defs_folder() -> dg.Definitions:
    """Every definition in `defs/`, loaded once per process (a load walks the folder: ~0.5 s)."""
    return dg.load_from_defs_folder(path_within_project=PACKAGE_DIR)


def build_definitions(data_root: Path | None = None) -> dg.Definitions:
    """The definitions over one data root (default: `DAGSTER_ETL_DATA_DIR`, else the repo's `data/`).

    Notebooks and tests build them over a temporary root; the definitions themselves do not
    change, only the resources that say where the files and the database are.
    """
    return dg.Definitions.merge(
        # The S3 landing zone is always defined, configured or not: the definitions (and the
        # code location the daemon files cursors under) never depend on an environment
        # variable, and with no bucket set the S3 sensor's ticks say what to set.
        defs_folder(),
        dg.Definitions(
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
        ),
    )


defs = build_definitions()
