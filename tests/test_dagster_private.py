"""Dagster's private names this project uses are still where `dagster_and_etl.dagster_private` takes them from.

An upgrade that moves one fails here, with the name, before any lesson or test that uses it.
"""

import enum
import re
from pathlib import Path

import dagster as dg

from dagster_and_etl import dagster_private


def test_every_private_name_imports_and_is_what_it_was():
    # The import of the module itself is the first check; then each name's kind and value.
    assert dagster_private.RUN_KEY_TAG == "dagster/run_key"
    assert dagster_private.SENSOR_NAME_TAG == "dagster/sensor_name"
    assert dagster_private.PARTITION_NAME_TAG == "dagster/partition"
    assert dagster_private.AUTOMATION_CONDITION_TAG == "dagster/from_automation_condition"
    assert dagster_private.AUTOMATION_TICK_SETTLE_SECONDS_ENV_VAR == "DAGSTER_AUTOMATION_TICK_SETTLE_SECONDS"
    assert (
        "..." in dagster_private.INVALID_PARTITION_SUBSTRINGS and "\n" in dagster_private.INVALID_PARTITION_SUBSTRINGS
    )
    assert issubclass(dagster_private.TickStatus, enum.Enum) and dagster_private.TickStatus.STARTED
    assert dagster_private.InstigatorType.SENSOR
    for cls in (
        dagster_private.InstigatorState,
        dagster_private.InstigatorTick,
        dagster_private.InstanceRef,
        dagster_private.SensorExecutionData,
        dagster_private.SensorInstigatorData,
        dagster_private.RunOpConcurrency,
        dagster_private.GlobalOpConcurrencyLimitsCounter,
        dagster_private.TableMetadataSet,
    ):
        assert isinstance(cls, type), cls
    assert callable(dagster_private.partition_loading_context)
    needs_inner = dg.ResourceDefinition(resource_fn=lambda _: 1, required_resource_keys={"inner"})
    top_level = {"outer": needs_inner, "inner": dg.ResourceDefinition.none_resource(), "other": needs_inner}
    assert dagster_private.get_transitive_required_resource_keys({"outer"}, top_level) == {"outer", "inner"}
    assert dagster_private.TableMetadataSet.extract({"dagster/row_count": dg.MetadataValue.int(8)}).row_count == 8
    assert callable(dagster_private.dagster_time._mockable_get_current_timestamp)
    assert callable(dagster_private.dagster_time._mockable_get_current_datetime)
    assert set(dagster_private.__all__) == {name for name in vars(dagster_private) if not name.startswith("_")} - {
        "annotations",
        "Path",
        "dg",
    }


def test_evaluate_tick_still_returns_the_named_type():
    @dg.op
    def nothing():
        pass

    @dg.job
    def nothing_job():
        nothing()

    @dg.sensor(target=nothing_job)
    def quiet_sensor(context):
        return dg.SkipReason("nothing to do")

    with dg.instance_for_test() as instance:
        data = quiet_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert isinstance(data, dagster_private.SensorExecutionData)


# file_scan.py imports INVALID_PARTITION_SUBSTRINGS itself: dagster_private loads the event log
# storage (SQLAlchemy, about 0.4 s), which the scan (every import of the definitions) does not need.
NOT_YET_MOVED = {"dagster_and_etl/file_scan.py"}


def test_no_other_module_imports_dagster_private_names():
    private_import = re.compile(r"^\s*(from|import)\s+dagster\._", re.MULTILINE)
    repo = Path(dagster_private.__file__).resolve().parents[1]
    offenders = {
        str(path.relative_to(repo))
        for folder in ("dagster_and_etl", "tests", "benchmarks", "scripts")
        for path in (repo / folder).rglob("*.py")
        if path.name != "dagster_private.py" and private_import.search(path.read_text(encoding="utf-8"))
    }
    assert offenders <= NOT_YET_MOVED, sorted(offenders - NOT_YET_MOVED)


def test_the_non_public_instance_methods_still_answer(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert dagster_private.sensor_states(instance) == []
        assert dagster_private.step_failure_records(instance, "no-such-run") == []
        assert dagster_private.instance_ref(instance) is not None
        assert dagster_private.record_pool_default_limit(instance, "some_pool") == dagster_private.pool_slot_count(
            instance, "some_pool"
        )
        reopened = dagster_private.open_instance(tmp_path)
        try:
            assert isinstance(reopened, dg.DagsterInstance)
        finally:
            reopened.dispose()
