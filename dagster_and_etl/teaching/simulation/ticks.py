"""One sensor tick, and `TickOutcome`, the one type that says what came of it.

Lesson 03 writes these calls out in its cells first; the helpers here repeat them.

- `sensor_context(defs, instance, cursor, sensor_name=...)`: a context like the daemon's.
- `evaluate_sensor(defs, instance, name, cursor)`: Dagster's `evaluate_tick` (the daemon's path)
  on that context; it returns Dagster's own result, which lesson 04 reads as Dagster gives it.
- `call_sensor(sensor, resources, cursor)`: the sensor function called directly, the way a unit
  test does, as a `TickOutcome`.
- `TickOutcome.of_evaluation(cursor, data)`: `evaluate_sensor`'s result as a `TickOutcome`;
  `DaemonLikeLoop.tick()` (`run_loop`) returns one too, with what its runs did filled in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import dagster as dg

from dagster_and_etl.dagster_private import SensorExecutionData, get_transitive_required_resource_keys, instance_ref
from dagster_and_etl.teaching.kernel.quiet import quiet


class RequestedRun(NamedTuple):
    """A run request as a tick's outcome keeps it: sortable, comparable, printable."""

    run_key: str | None
    partition_key: str | None


@dataclass
class TickOutcome:
    """One tick: what the sensor asked for and, when a `DaemonLikeLoop` ran it, what came of it.

    `cursor_after` is the cursor the daemon stores after the tick: the sensor's new one, or the
    old one when it returned none. `label` names the step a scripted tick followed (`play_ticks`).
    """

    cursor_before: str | None
    cursor_after: str | None
    run_requests: list[RequestedRun]
    added_partitions: list[str]  # the partitions the tick asked to add
    skip_message: str | None = None
    warnings: list[str] = field(default_factory=list)  # what the sensor logged at WARNING
    label: str = ""
    # Filled by a DaemonLikeLoop: the partitions it registered, the run keys it skipped as already
    # launched, and the partition keys whose runs succeeded or failed (with the failure message).
    registered_partitions: list[str] = field(default_factory=list)
    skipped_run_keys: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_requests(
        cls,
        cursor: str | None,
        new_cursor: str | None,
        run_requests: Iterable[dg.RunRequest] | None,
        partitions_requests: Iterable[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] | None,
        skip_message: str | None,
        warnings: Sequence[str] = (),
    ) -> TickOutcome:
        return cls(
            cursor_before=cursor,
            cursor_after=new_cursor if new_cursor is not None else cursor,
            run_requests=[RequestedRun(r.run_key, r.partition_key) for r in run_requests or []],
            added_partitions=[key for request in partitions_requests or [] for key in request.partition_keys],
            skip_message=skip_message,
            warnings=list(warnings),
        )

    @classmethod
    def of_evaluation(cls, cursor: str | None, data: SensorExecutionData, warnings: Sequence[str] = ()) -> TickOutcome:
        """What `evaluate_sensor` returned for a tick that started from `cursor`."""
        return cls.of_requests(
            cursor, data.cursor, data.run_requests, data.dynamic_partitions_requests, data.skip_message, warnings
        )


def sensor_context(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None, sensor_name: str | None = None
) -> dg.SensorEvaluationContext:
    """A context like the daemon's: the instance (for dynamic partitions) and the definitions'
    resources. Given the sensor's name, only the resources that sensor needs, as the daemon builds
    them (`dagster/_grpc/impl.py`, `get_external_sensor_execution`): a context initializes every
    resource it is given on the tick's first use of `context.resources`."""
    resources = defs.resources
    if sensor_name is not None and resources:
        repository = defs.get_repository_def()
        needed = get_transitive_required_resource_keys(
            repository.get_sensor_def(sensor_name).required_resource_keys, repository.get_top_level_resources()
        )
        resources = {key: resource for key, resource in resources.items() if key in needed}
    return dg.build_sensor_context(
        cursor=cursor,
        instance=instance,
        instance_ref=instance_ref(instance),
        definitions=defs,
        resources=resources,
    )


def evaluate_sensor(
    defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str, cursor: str | None
) -> SensorExecutionData:
    """One tick through `evaluate_tick`, the daemon's path: run requests, partition requests, cursor."""
    return defs.resolve_sensor_def(sensor_name).evaluate_tick(sensor_context(defs, instance, cursor, sensor_name))


def call_sensor(sensor: dg.SensorDefinition, resources: Mapping[str, Any], cursor: str | None) -> TickOutcome:
    """Call the sensor function directly with a cursor and the resources it declares, its log captured."""
    with quiet() as log:
        result = sensor(dg.build_sensor_context(cursor=cursor, resources=resources))
    if isinstance(result, dg.SkipReason):
        return TickOutcome.of_requests(cursor, cursor, [], [], result.skip_message, log.messages())
    if not isinstance(result, dg.SensorResult):
        raise TypeError(f"{sensor.name} returned {type(result).__name__}; this helper reads a SensorResult")
    skip = result.skip_reason.skip_message if result.skip_reason else None
    return TickOutcome.of_requests(
        cursor, result.cursor, result.run_requests, result.dynamic_partitions_requests, skip, log.messages()
    )
