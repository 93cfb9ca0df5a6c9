"""Every name this project takes from Dagster's private modules (`dagster._core...`), in one place.

Dagster does not promise these across releases; an upgrade may move or rename any of them.
Importing them here, and only here, makes such a move fail at once and in one spot:
`tests/test_dagster_private.py` imports this module and checks each name is what it was.
Each entry says why the public API does not do.
"""

from __future__ import annotations

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
    "partition_loading_context",
]
