"""Record the duckdb pool's limit in a Dagster instance before its first run is queued.

Dagster's run queue reads the pools it knows from the instance's storage once per pass, and only
then gives a pool it has not seen its default limit (`queued_run_coordinator_daemon.py`:
`get_concurrency_keys()`, then `GlobalOpConcurrencyLimitsCounter._initialize_pool_limits`). In a
new instance's first pass, then, the duckdb pool limits nothing: every run queued together starts
its run worker at once, on two cores, instead of one writing and one starting up (the pool's one
slot and the shipped dagster.yaml's one-run buffer). Recording the pool first closes that window;
its limit stays the shipped dagster.yaml's `default_limit`. Each run's writing step then claims
the slot itself (`granularity: op`; `instance_concurrency_context.py`:
`InstanceConcurrencyContext.claim`).

    DAGSTER_HOME=... python -m dagster_and_etl.writer_pool
"""

from __future__ import annotations

import dagster as dg

from dagster_and_etl.dagster_private import record_pool_default_limit
from dagster_and_etl.warehouse import WRITER_POOL


def record_writer_pool(instance: dg.DagsterInstance) -> int:
    """Give the instance's duckdb pool its default limit now; returns the pool's slot count."""
    return record_pool_default_limit(instance, WRITER_POOL)


if __name__ == "__main__":
    with dg.DagsterInstance.get() as instance:
        slots = record_writer_pool(instance)
    print(f"The {WRITER_POOL} pool has {slots} slot(s) in {instance.root_directory}.")
