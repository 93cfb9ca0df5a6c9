"""The two jobs executed in-process into a temporary DuckDB: idempotent loads and bad input."""

import os

import dagster as dg
import pytest

from dagster_and_etl.defs.assets import VALID_FILE_CHECK
from dagster_and_etl.file_scan import run_key
from dagster_and_etl.sample_data import FIRST_DAY, PREPARED_FILES, day_csv
from dagster_and_etl.warehouse import DAILY_TABLE, DYNAMIC_TABLE


def run_daily(ws, key, raise_on_error=True):
    return ws.defs.resolve_job_def("import_partition_job").execute_in_process(
        partition_key=key, instance=ws.instance, raise_on_error=raise_on_error
    )


def run_dynamic(ws, key, raise_on_error=True):
    ws.instance.add_dynamic_partitions("source_files", [key])
    return ws.defs.resolve_job_def("import_dynamic_partition_job").execute_in_process(
        partition_key=key, instance=ws.instance, raise_on_error=raise_on_error
    )


def test_daily_partition_loads_its_file(workspace):
    result = run_daily(workspace, "2018-01-22")
    rows = workspace.table(DAILY_TABLE)
    assert result.success
    assert len(rows) == 8
    assert set(rows.partition_key) == {"2018-01-22"}
    assert set(rows.source_file) == {"2018-01-22.csv"}
    assert {str(d.date()) for d in rows.date} == {"2018-01-22"}
    materialization = result.asset_materializations_for_node("raw_partition_data")[0]
    assert materialization.metadata["dagster/row_count"] == dg.MetadataValue.int(8)
    # The version loaded, in the materialization and on every row: the file's run key.
    stat = os.stat(workspace.source / "2018-01-22.csv")
    version = run_key("2018-01-22.csv", stat.st_mtime_ns, stat.st_size, landed_ns=stat.st_ctime_ns)
    assert materialization.metadata["source_version"].value == version
    assert (materialization.metadata["source_mtime_ns"].value, materialization.metadata["source_size"].value) == (
        stat.st_mtime_ns,
        stat.st_size,
    )
    assert set(rows.source_version) == {version}
    assert set(rows.source_landed_ns) == {stat.st_ctime_ns}
    assert materialization.metadata["unchanged"].value is False
    assert set(rows.source_digest) == {materialization.metadata["source_sha256"].value}
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == (VALID_FILE_CHECK, True)
    assert check.metadata["rows"].value == 8


@pytest.mark.slow
def test_rerunning_a_partition_replaces_its_rows_never_duplicates(workspace):
    for _ in range(3):
        run_daily(workspace, "2018-01-22")
    run_daily(workspace, "2018-01-23")
    run_daily(workspace, "2018-01-22")
    assert workspace.row_counts(DAILY_TABLE) == {"2018-01-22": 8, "2018-01-23": 8}


@pytest.mark.slow
def test_corrected_re_upload_replaces_the_old_rows(workspace):
    run_daily(workspace, "2018-01-25")
    before = workspace.table(DAILY_TABLE)
    workspace.drop("corrected")
    run_daily(workspace, "2018-01-25")
    after = workspace.table(DAILY_TABLE)
    assert len(after) == len(before) == 8
    assert sorted(after.share_price) != sorted(before.share_price)
    expected = sorted(float(line.split(",")[1]) for line in PREPARED_FILES["corrected"].text.splitlines()[1:])
    assert sorted(after.share_price) == expected


def test_missing_file_fails_with_file_not_found_and_names_the_file(workspace):
    with pytest.raises(dg.Failure, match=r"2018-02-01\.csv: file not found .* Re-run this partition"):
        run_daily(workspace, "2018-02-01")
    assert workspace.row_counts(DAILY_TABLE) == {}


@pytest.mark.parametrize(
    ("prepared", "message"),
    [
        ("bad_price", "2018-02-02.csv, row 3 (line 4): share_price must be greater than 0, got -3.50"),
        ("bad_columns", "2018-02-02.csv (line 1): missing column(s) spread"),
        ("bad_value", "2018-02-02.csv, row 5 (line 6): amount is not a number: 'n/a'"),
        ("bad_date", "2018-02-02.csv, row 2 (line 3): date 2018-02-03 does not match the file's partition 2018-02-02"),
    ],
)
@pytest.mark.slow
def test_bad_file_fails_the_run_naming_file_row_and_problem_and_keeps_previous_rows(workspace, prepared, message):
    workspace.drop("on_time")
    run_daily(workspace, "2018-02-02")
    before = workspace.table(DAILY_TABLE)

    workspace.drop(prepared)
    result = run_daily(workspace, "2018-02-02", raise_on_error=False)

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_failure_data.user_failure_data.description.startswith(message)
    assert failure.step_failure_data.user_failure_data.metadata["file"].value.endswith("2018-02-02.csv")
    assert workspace.table(DAILY_TABLE).equals(before)
    # The blocking check failed with the file, the row and the problem; nothing was materialized,
    # and bad content is not retried.
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.blocking) == (VALID_FILE_CHECK, False, True)
    assert check.description.startswith(message)
    assert check.metadata["file"].value.endswith("2018-02-02.csv")
    assert message.split(": ", 1)[1].startswith(check.metadata["problem"].value[:20])
    if ", row " in message:
        assert check.metadata["row"].value == int(message.split(", row ")[1].split(" ")[0])
    assert result.get_asset_materialization_events() == []
    assert not any(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)


def test_dynamic_partition_loads_the_file_named_by_its_key(workspace):
    run_dynamic(workspace, "2018-01-24")
    assert workspace.row_counts(DYNAMIC_TABLE) == {"2018-01-24": 8}
    assert workspace.row_counts(DAILY_TABLE) == {}


def test_a_quote_in_the_file_name_loads_as_plain_data(workspace):
    text = day_csv(FIRST_DAY).replace("2018-01-22", "2018-03-01")
    workspace.land("o'hare market.csv", text)
    run_dynamic(workspace, "o'hare market")
    rows = workspace.table(DYNAMIC_TABLE)
    assert set(rows.partition_key) == {"o'hare market"}
    assert set(rows.source_file) == {"o'hare market.csv"}
    assert len(rows) == 8


@pytest.mark.parametrize("key", ["../secrets", "/etc/passwd", ".hidden", "a/b"])
def test_a_key_that_would_reach_outside_the_source_folder_is_refused(workspace, key):
    with pytest.raises(dg.Failure, match="cannot name a file in the source folder"):
        run_dynamic(workspace, key)
