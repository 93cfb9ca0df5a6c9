"""The course's mornings replayed: the 05:15 schedule and the file sensor on given landings, automation
conditions evaluated tick by tick, a day's runs as one line of text, and lesson 07's exercise check.

A landing is `(moment, day, variant)`: the file of partition `day` (`YYYY-MM-DD`) lands at `moment`
with the sample content `variant` (`day_csv`). A day's runs are `[(HH:MM, succeeded)]`.
"""

import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl import warehouse
from dagster_and_etl.defs.assets import file_check, load_partition_file
from dagster_and_etl.defs.jobs import import_dynamic_partition_job, import_partition_job
from dagster_and_etl.defs.partitions import daily_partitions
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.sample_data import day_csv
from dagster_and_etl.teaching.kernel.quiet import QUIET_RUN_CONFIG, quiet
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop

Landing = tuple[datetime, str, str]
Runs = dict[str, list[tuple[str, bool]]]  # partition -> [(HH:MM, succeeded)]


def day_runs(runs: Sequence[tuple[str, bool]]) -> str:
    """A day's runs as text: `05:15 failed, never loaded`, `05:00 loaded, 07:00 loaded`."""
    text = ", ".join(f"{moment} {'loaded' if ok else 'failed'}" for moment, ok in runs) or "no run"
    return text if any(ok for _, ok in runs) else f"{text}, never loaded"


def land_and_record(workspace: LessonWorkspace, landing: Landing, file_key: dg.AssetKey | None) -> None:
    """Land the file; with `file_key`, record its landing as a materialization of that asset (as a sensor would)."""
    moment, day, variant = landing
    workspace.land(f"{day}.csv", day_csv(date.fromisoformat(day), variant), mtime=moment)
    if file_key is not None:
        workspace.instance.report_runless_asset_event(dg.AssetMaterialization(file_key, partition=day))


def due(landings: Sequence[Landing], previous: datetime | None, moment: datetime) -> list[Landing]:
    """The landings after `previous` (None: any time) and at or before `moment`, in time order."""
    return sorted(
        (landing for landing in landings if (previous is None or landing[0] > previous) and landing[0] <= moment),
        key=lambda landing: landing[0],
    )


def evaluate_conditions(defs: dg.Definitions, instance: dg.DagsterInstance, moment: datetime, cursor=None):
    """`dg.evaluate_automation_conditions` in a worker thread (it calls `asyncio.run`, which a
    running event loop refuses), its BetaWarning left out."""

    def evaluate():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=dg.BetaWarning)
            return dg.evaluate_automation_conditions(
                defs=defs, instance=instance, evaluation_time=moment, cursor=cursor
            )

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(evaluate).result()


def play_conditions(
    workspace: LessonWorkspace,
    defs: dg.Definitions,
    assets: Iterable[dg.AssetsDefinition],
    landings: Sequence[Landing],
    moments: Sequence[datetime],
    file_key: dg.AssetKey | None = None,
) -> dict[str, Runs]:
    """A baseline evaluation an hour before the first moment, then one evaluation at each moment (the
    files due landed first), the cursor carried, each requested partition materialized. Return each
    asset's runs."""
    assets = list(assets)
    runs: dict[str, Runs] = {asset.key.to_user_string(): {} for asset in assets}
    cursor = evaluate_conditions(defs, workspace.instance, moments[0] - timedelta(hours=1)).cursor
    for previous, moment in zip([None, *moments], moments):
        for landing in due(landings, previous, moment):
            land_and_record(workspace, landing, file_key)
        result = evaluate_conditions(defs, workspace.instance, moment, cursor)
        cursor = result.cursor
        for asset in assets:
            for day in sorted(result.get_requested_partitions(asset.key)):
                with quiet():
                    done = dg.materialize(
                        [asset],
                        partition_key=day,
                        resources=workspace.resources,
                        instance=workspace.instance,
                        run_config=QUIET_RUN_CONFIG,
                        raise_on_error=False,
                    )
                runs[asset.key.to_user_string()].setdefault(day, []).append((f"{moment:%H:%M}", done.success))
    return runs


def replay_schedule_and_sensor(
    landings: Sequence[Landing], moments: Sequence[datetime], hour: int = 5, minute: int = 15
) -> dict[str, Runs]:
    """The same landings under a schedule built from the daily job at `hour:minute` (the course's
    05:15) and under the package's folder sensor `dynamic_sensor` ticked at each moment, each in
    the package's definitions over a workspace of its own. Return {"schedule": ..., "sensor": ...}."""
    runs: dict[str, Runs] = {"schedule": {}, "sensor": {}}
    with LessonWorkspace("mornings-replay", with_source_files=False) as workspace:
        schedule = dg.build_schedule_from_partitioned_job(
            import_partition_job, name="morning_schedule", hour_of_day=hour, minute_of_hour=minute
        )
        package = workspace.defs
        defs = dg.Definitions(
            assets=list(package.assets or []),
            jobs=[import_partition_job, import_dynamic_partition_job],
            schedules=[schedule],
            sensors=[dynamic_sensor],
            resources=workspace.resources,
        )
        schedule_def = defs.resolve_schedule_def("morning_schedule")
        daily_job = defs.resolve_job_def(import_partition_job.name)
        loop = DaemonLikeLoop(defs, workspace.instance, dynamic_sensor.name)
        for previous, moment in zip([None, *moments], moments):
            for landing in due(landings, previous, moment):
                land_and_record(workspace, landing, None)
            with quiet(), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # each tick of such a schedule warns
                if (moment.hour, moment.minute) == (hour, minute):
                    context = dg.build_schedule_context(scheduled_execution_time=moment)
                    for request in schedule_def.evaluate_tick(context).run_requests or []:
                        day = request.partition_key or ""
                        done = daily_job.execute_in_process(
                            partition_key=day,
                            instance=workspace.instance,
                            run_config=QUIET_RUN_CONFIG,
                            raise_on_error=False,
                        )
                        runs["schedule"].setdefault(day, []).append((f"{moment:%H:%M}", done.success))
                report = loop.tick()
            for day in report.succeeded:
                runs["sensor"].setdefault(day, []).append((f"{moment:%H:%M}", True))
            for day in report.failed:
                runs["sensor"].setdefault(day, []).append((f"{moment:%H:%M}", False))
    return runs


def _deadline_asset(condition: dg.AutomationCondition, daily_file: dg.AssetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name="daily_load",
        partitions_def=daily_partitions,
        deps=[daily_file],
        automation_condition=condition,
        check_specs=[file_check("daily_load")],
    )
    def daily_load(context: dg.AssetExecutionContext, source: SourceFolder, database: DuckDBResource):
        day = context.partition_key
        return load_partition_file(day, warehouse.DAILY_TABLE, date.fromisoformat(day), source, database)

    return daily_load


def check_load_or_alert(load_or_alert: Callable[[], dg.AutomationCondition]) -> None:
    """Lesson 07's self-check: mornings of its own, evaluated every 30 minutes from 04:30 to 11:30.
    A day's file loads at the first evaluation after it lands; a day whose partition has not loaded
    by 09:00 gets one run at 09:00 (it fails: no file); nothing else runs."""
    condition = load_or_alert()
    assert isinstance(condition, dg.AutomationCondition), "load_or_alert() must return an AutomationCondition"
    daily_file = dg.AssetSpec("daily_file", partitions_def=daily_partitions)
    asset = _deadline_asset(condition, daily_file)
    landed_at = {"2018-03-11": (12, 5, 20), "2018-03-12": None, "2018-03-13": (14, 10, 10), "2018-03-14": (15, 8, 35)}
    landings = [
        (datetime(2018, 3, *when, tzinfo=timezone.utc), day, "original") for day, when in landed_at.items() if when
    ]
    moments = [
        datetime(2018, 3, d, tzinfo=timezone.utc) + timedelta(minutes=30 * n)
        for d in (12, 13, 14, 15)
        for n in range(9, 24)
    ]
    expected: Runs = {}
    for day, when in landed_at.items():  # plain Python: the rule, per day
        morning = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) + timedelta(days=1)
        landed = None if when is None else datetime(2018, 3, *when, tzinfo=timezone.utc)
        deadline = morning + timedelta(hours=9)
        if landed is None or landed > deadline:
            expected.setdefault(day, []).append(("09:00", False))
        if landed is not None:
            expected.setdefault(day, []).append((f"{min(m for m in moments if m >= landed):%H:%M}", True))
    with LessonWorkspace("07-exercise", with_source_files=False) as workspace:
        defs = dg.Definitions(assets=[daily_file, asset], resources=workspace.resources)
        runs = play_conditions(workspace, defs, [asset], landings, moments, daily_file.key)["daily_load"]
    for day in sorted(set(expected) | set(runs)):
        assert runs.get(day, []) == expected.get(day, []), (
            f"partition {day}: your condition gave {day_runs(runs.get(day, []))}"
        )
    print("Solved.")
