"""Reading an automation-condition evaluation, in stable text: what it requested, why, what it keeps.

`dg.evaluate_automation_conditions(...)` returns a result with the requested partitions, one
`AutomationResult` per asset (a tree: one node per sub-condition, each true for a subset of the
partitions) and the cursor to hand to the next evaluation. The daemon stores the same cursor
between ticks, and one evaluation record per asset per tick.

- `requested(result, asset)`: the partition keys an evaluation requested for an asset, sorted.
- `condition_tree(result, asset)`: each sub-condition, indented, with the partitions it is true for.
- `cursor_lines(cursor, asset)`: what the cursor remembers for an asset, times as `YYYY-MM-DD HH:MM`.
- `stored_evaluations(instance, asset)`: the daemon's evaluation records for an asset, oldest first.
- `in_a_thread(dg.evaluate_automation_conditions, **arguments)`: the call, made where it works in a
  Jupyter kernel. The evaluator calls `asyncio.run` (`AutomationConditionEvaluator.evaluate`), which
  refuses to run inside the kernel's running event loop; a worker thread has none. The evaluation's
  own BetaWarning (it passes the beta `include_sources` to `AssetSelection.all`) is left out.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import dagster as dg

from dagster_and_etl.dagster_private import partition_loading_context
from dagster_and_etl.teaching.display.tables import format_time

SHOWN_KEYS = 3  # a subset with more partitions is shown as a count


def _asset_key(asset) -> dg.AssetKey:
    return asset if isinstance(asset, dg.AssetKey) else dg.AssetKey.from_coercible(getattr(asset, "key", asset))


def requested(result, asset) -> list[str]:
    """The partition keys `result` (an `EvaluateAutomationConditionsResult`) requested for `asset`."""
    return sorted(k for k in result.get_requested_partitions(_asset_key(asset)) if k is not None)


def _keys(subset) -> list[str]:
    value = getattr(subset, "value", subset)
    if isinstance(value, bool):
        return ["(all)"] if value else []
    return sorted(value.get_partition_keys())


def _shown(keys: list[str]) -> str:
    if not keys:
        return "none"
    return ", ".join(keys) if len(keys) <= SHOWN_KEYS else f"{len(keys)} partitions"


def _label(condition) -> str:
    return condition.get_label() or condition.name


def condition_tree(result, asset, max_depth: int | None = None) -> str:
    """The asset's condition, one sub-condition a line (down to `max_depth`), with the partitions each is true for."""
    key = _asset_key(asset)
    lines: list[str] = []

    def walk(node, depth: int) -> None:
        keys = sorted(k for k in node.true_subset.expensively_compute_partition_keys() if k is not None)
        lines.append(f"{'  ' * depth}{_label(node.condition)}: {_shown(keys)}")
        if max_depth is None or depth < max_depth:
            for child in node.child_results:
                walk(child, depth + 1)

    # Listing a dynamic subset needs the instance and the evaluation time: the result keeps both
    # (as `total_requested` uses them, `automation_condition_tester.py`).
    with partition_loading_context(new_ctx=result._partition_loading_context):
        for node in result.results:
            if node.key == key:
                walk(node, 0)
    return "\n".join(lines)


def _time(timestamp: float | None) -> str:
    return "never" if timestamp is None else format_time(datetime.fromtimestamp(timestamp, timezone.utc))


def cursor_lines(cursor, asset) -> list[str]:
    """What an `AssetDaemonCursor` holds for `asset`: the evaluation count, when it last evaluated,
    the last event of the instance it has read, what it requested last, and each `since` node's
    last trigger and reset (the memory behind `since_last_handled`)."""
    lines = [f"evaluations so far: {cursor.evaluation_id}"]
    # Not `cursor.get_previous_condition_cursor(key)`: it caches a mapping keyed by AssetKey on
    # the cursor, which then no longer serializes (the next evaluation fails with a TypeError).
    key = _asset_key(asset)
    state = next((c for c in cursor.previous_condition_cursors or [] if c.key == key), None)
    if state is None:
        return lines + ["nothing yet for this asset"]
    lines += [
        f"evaluated at: {_time(state.effective_timestamp)}",
        f"last instance event read: {'none' if state.last_event_id is None else f'#{state.last_event_id}'}",
        f"requested last time: {_shown(_keys(state.previous_requested_subset))}",
    ]
    for node in state.node_cursors_by_unique_id.values():
        meta = node.metadata or {}
        if "trigger_timestamp" in meta or "reset_timestamp" in meta:
            trigger = meta.get("trigger_timestamp")
            reset = meta.get("reset_timestamp")
            lines.append(
                "since-node: last triggered "
                f"{_time(trigger.value if trigger else None)}, last reset (handled) {_time(reset.value if reset else None)}"
            )
    return lines


def stored_evaluations(instance: dg.DagsterInstance, asset) -> list[dict]:
    """The evaluation records the daemon stored for `asset` (oldest first): the evaluation id, how
    many partitions it requested, which, and how many runs it launched."""
    storage = instance.schedule_storage
    assert storage is not None, "the instance keeps no schedule storage, so no evaluation records"
    records = storage.get_auto_materialize_asset_evaluations(_asset_key(asset), limit=100)
    rows = []
    for record in sorted(records, key=lambda r: r.evaluation_id):
        evaluation = record.get_evaluation_with_run_ids()
        # The root condition's subset is what was requested; listing a dynamic one needs the instance.
        with partition_loading_context(
            effective_dt=datetime.fromtimestamp(record.timestamp, timezone.utc), dynamic_partitions_store=instance
        ):
            keys = _keys(evaluation.evaluation.true_subset)
        rows.append(
            {
                "evaluation_id": record.evaluation_id,
                "num_requested": len(keys),
                "requested": keys,
                "runs": len(evaluation.run_ids),
            }
        )
    return rows


def _quietly(function, kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        return function(**kwargs)


def in_a_thread(function, /, **kwargs):
    """`function(**kwargs)` called in a worker thread, its result (or exception) returned here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_quietly, function, kwargs).result()
