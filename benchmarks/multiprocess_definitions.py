"""The reference definitions as they ran before issue 12: every job on Dagster's default
multiprocess executor (one more process per step). Figure 3 measures them beside the reference
project's in-process executor; `dagster dev -m multiprocess_definitions` (with `benchmarks/` on
the import path) serves them."""

import dagster as dg

from dagster_and_etl.definitions import build_definitions


def with_multiprocess_executor(reference: dg.Definitions) -> dg.Definitions:
    """`reference`'s assets, jobs, schedules, sensors and resources, on the multiprocess executor."""
    return dg.Definitions(
        assets=reference.assets,
        jobs=reference.jobs,
        schedules=reference.schedules,
        sensors=reference.sensors,
        resources=reference.resources,
        executor=dg.multiprocess_executor,
    )


# One Definitions object at module scope: a second one would stop the module from loading.
defs = with_multiprocess_executor(build_definitions())
