"""Every name this project takes from Dagster's private modules (`dagster._core...`), and every
method it calls that Dagster 1.13.27 does not mark `@public`, in one place.

Dagster does not promise these across releases; an upgrade may move or rename any of them.
Importing them here, and only here, makes such a move fail at once and in one spot:
`tests/test_dagster_private.py` imports this module and checks each name is what it was.
Each entry says why the public API does not do. Where a public method does the job
(`DagsterInstance.get_run_records(filters=dg.RunsFilter(...))`, `get_status_by_partition`,
`fetch_materializations`, `get_dynamic_partitions`, `add_dynamic_partitions`, `DagsterInstance.get()`),
the project calls it directly.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

# Dagster's "now": Dagster reads the current time through this module's `get_current_timestamp`
# and `get_current_datetime`, which call two `_mockable_...` functions that its own tests patch
# (`freeze_time` in `dagster/_core/test_utils.py`, not imported here: it loads Dagster's test
# tooling). A freshness check compares its deadline with that "now" and no public API sets it:
# `teaching.simulation.clock.dagster_clock_at` patches the two to run a check on a simulated morning.
import dagster._time as dagster_time

# Dagster's opt-in fix for an automation tick that runs while an event commits (an environment
# variable of the daemon's process; why it is needed: docs/reliability.md, declarative automation).
from dagster._core.definitions.declarative_automation.automation_condition_evaluator import (
    AUTOMATION_TICK_SETTLE_SECONDS_ENV_VAR,
)

# The standard table metadata (`dagster/row_count`, which the UI shows), read the way Dagster reads it.
from dagster._core.definitions.metadata.metadata_set import TableMetadataSet

# Listing the partitions of an automation evaluation's subset needs the evaluation's instance
# and time, which only this context manager provides.
from dagster._core.definitions.partitions.context import partition_loading_context

# A partition key must not contain these (Dagster's own check on a new dynamic partition key);
# the file scan refuses such names before Dagster would fail the whole tick on one.
from dagster._core.definitions.partitions.utils.base import INVALID_PARTITION_SUBSTRINGS

# What `SensorDefinition.evaluate_tick` returns: the type of a public method's result.
from dagster._core.definitions.sensor_definition import SensorExecutionData

# The resources a sensor needs, its own and theirs: what the daemon builds for a tick
# (`dagster/_grpc/impl.py`, `get_external_sensor_execution`). `SensorDefinition.required_resource_keys`
# is public but leaves out the resources those resources need.
from dagster._core.execution.resources_init import get_transitive_required_resource_keys

# Opening the instance a `dagster dev` keeps in a DAGSTER_HOME from another process, by folder.
from dagster._core.instance.ref import InstanceRef

# The run queue's own blocking decision (tests/test_writer_pool.py asks it about the duckdb pool).
from dagster._core.op_concurrency_limits_counter import GlobalOpConcurrencyLimitsCounter

# A sensor's stored state and ticks, as `DagsterInstance.all_instigator_state` and `get_ticks` return them.
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorTick,
    InstigatorType,
    SensorInstigatorData,
    TickStatus,
)

# The pools a run declares, as the run queue reads them from a `dg.DagsterRun`.
from dagster._core.storage.dagster_run import RunOpConcurrency

# The tags the daemon puts on the runs it launches; Dagster exports no public constant for them.
from dagster._core.storage.tags import (
    AUTOMATION_CONDITION_TAG,
    PARTITION_NAME_TAG,
    RUN_KEY_TAG,
    SENSOR_NAME_TAG,
)

# ---- Methods of public classes that Dagster 1.13.27 does not mark @public ---------------------
# (checked in dagster/_core/instance/: `all_instigator_state`, `get_ticks`, `all_logs`, `get_ref`,
# `from_ref` and the event log storage's concurrency methods carry no @public.)


def sensor_states(instance: dg.DagsterInstance) -> list[InstigatorState]:
    """Every sensor's stored state (running or stopped, and the cursor the daemon stored).
    `DagsterInstance.all_instigator_state` is not public; the public way to read a stored cursor
    is the webserver's GraphQL, which needs a running webserver."""
    return list(instance.all_instigator_state(instigator_type=InstigatorType.SENSOR))


def sensor_ticks(instance: dg.DagsterInstance, state: InstigatorState) -> list[InstigatorTick]:
    """A sensor's recorded ticks (`DagsterInstance.get_ticks`, not public; no public method lists ticks)."""
    return list(instance.get_ticks(state.instigator_origin_id, state.selector_id))


def step_failure_records(instance: dg.DagsterInstance, run_id: str) -> list:
    """A run's step-failure event records, which carry the step's `dg.Failure` description.
    `DagsterInstance.all_logs` is not public; the public `fetch_run_status_changes` returns only
    run status events, not the step's failure."""
    return list(instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE))


def instance_ref(instance: dg.DagsterInstance) -> InstanceRef | None:
    """What `dg.build_sensor_context(instance_ref=...)` (public) takes so that `evaluate_tick` can
    load dynamic partitions; `DagsterInstance.get_ref` is not public."""
    return instance.get_ref()


def open_instance(dagster_home: Path | str) -> dg.DagsterInstance:
    """The instance a `dagster dev` keeps in `dagster_home`, opened from another process by folder.
    `DagsterInstance.get()` is public but reads DAGSTER_HOME from the environment; `from_ref` is not."""
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home)))


def record_pool_default_limit(instance: dg.DagsterInstance, pool: str) -> int:
    """Give `pool` its default limit in the instance's storage now; return its slot count. The
    public way is the CLI (`dagster instance concurrency set POOL N`, `... get`), not a method."""
    instance.event_log_storage.initialize_concurrency_limit_to_default(pool)
    return pool_slot_count(instance, pool)


def pool_slot_count(instance: dg.DagsterInstance, pool: str) -> int:
    """A pool's slot count (the event log storage's `get_concurrency_info`, not public)."""
    return instance.event_log_storage.get_concurrency_info(pool).slot_count


__all__ = [
    "AUTOMATION_CONDITION_TAG",
    "AUTOMATION_TICK_SETTLE_SECONDS_ENV_VAR",
    "INVALID_PARTITION_SUBSTRINGS",
    "PARTITION_NAME_TAG",
    "RUN_KEY_TAG",
    "SENSOR_NAME_TAG",
    "GlobalOpConcurrencyLimitsCounter",
    "InstanceRef",
    "InstigatorState",
    "InstigatorTick",
    "InstigatorType",
    "RunOpConcurrency",
    "SensorExecutionData",
    "SensorInstigatorData",
    "TableMetadataSet",
    "TickStatus",
    "dagster_time",
    "get_transitive_required_resource_keys",
    "instance_ref",
    "open_instance",
    "partition_loading_context",
    "pool_slot_count",
    "record_pool_default_limit",
    "sensor_states",
    "sensor_ticks",
    "step_failure_records",
]
