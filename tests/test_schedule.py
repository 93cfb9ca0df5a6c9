"""The daily schedule, evaluated tick by tick on the schedule resolved from `defs`."""

from datetime import datetime, timezone

import dagster as dg
import pytest
from dagster_shared.check.functions import CheckError

from dagster_and_etl.definitions import defs
from dagster_and_etl.defs.jobs import import_partition_job


def evaluate(when: datetime):
    schedule = defs.resolve_schedule_def("asset_partitioned_schedule")
    return schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when))


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("tick", "partition"),
    [
        (utc(2018, 1, 23, 6), "2018-01-22"),
        (utc(2018, 1, 24, 6), "2018-01-23"),
        (utc(2018, 2, 1, 6), "2018-01-31"),
    ],
)
def test_each_06_00_tick_requests_the_day_that_just_ended(tick, partition):
    result = evaluate(tick)
    assert [r.partition_key for r in result.run_requests] == [partition]
    assert result.skip_message is None


def test_tick_before_the_first_partition_is_complete_skips():
    result = evaluate(utc(2018, 1, 22, 6))
    assert not result.run_requests
    assert result.skip_message == "The job's PartitionsDefinition has no partitions"


def test_schedule_runs_daily_at_06_00_utc_for_the_daily_job():
    schedule = defs.resolve_schedule_def("asset_partitioned_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone in (None, "UTC")
    assert schedule.job_name == "import_partition_job"


def test_the_course_cron_schedule_form_is_rejected_by_dagster_1_13():
    # The published lesson passes cron_schedule; this is why the package uses hour_of_day.
    with pytest.raises(CheckError, match="Cannot provide cron_schedule or execution_timezone"):
        dg.build_schedule_from_partitioned_job(import_partition_job, cron_schedule="0 6 * * *")
