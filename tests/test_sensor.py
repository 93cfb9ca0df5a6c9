"""The file sensor, tick by tick through `evaluate_tick` (the daemon's path), then its runs executed."""

import json
import os
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from dagster_and_etl import settings
from dagster_and_etl.defs.resources import SourceFolder
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.file_scan import encode_cursor, scan_folder
from dagster_and_etl.sample_data import FIRST_DAY, day_csv
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop, evaluate_sensor
from dagster_and_etl.warehouse import DYNAMIC_TABLE
from dagster_and_etl.watermark_cursor import read_cursor

MORNING = datetime(2018, 2, 1, 5, 0, tzinfo=timezone.utc)


def day(n: int):
    return FIRST_DAY + timedelta(days=n)


def land_day(ws, n: int, at: datetime, variant: str = "original"):
    return ws.land(f"{day(n).isoformat()}.csv", day_csv(day(n), variant), mtime=at)


def tick(ws, cursor):
    return evaluate_sensor(ws.defs, ws.instance, dynamic_sensor.name, cursor)


def source_context(ws, cursor):
    """A bare context for calling the sensor directly, as a learner does in the notebooks."""
    return dg.build_sensor_context(cursor=cursor, resources={"source": SourceFolder(path=str(ws.source))})


def requested_keys(result):
    return [r.partition_key for r in result.run_requests or []]


def registered_keys(result):
    return [k for request in result.dynamic_partitions_requests or [] for k in request.partition_keys]


def test_first_tick_requests_every_file_and_registers_its_partition(workspace):
    result = tick(workspace, None)
    expected = [day(n).isoformat() for n in range(10)]
    assert requested_keys(result) == expected  # oldest first
    assert registered_keys(result) == expected
    assert all(r.run_key.startswith(f"{r.partition_key}.csv@") for r in result.run_requests)
    assert len(read_cursor(result.cursor).requested) == 10  # all within the settle window


def test_cursor_remembers_every_file_on_every_later_tick(workspace):
    # The course sensor forgets every other tick: its cursor holds only that tick's new files.
    cursor = tick(workspace, None).cursor
    for _ in range(4):
        result = tick(workspace, cursor)
        assert result.run_requests == []
        assert "No new or changed files" in result.skip_message
        assert read_cursor(result.cursor).requested == read_cursor(cursor).requested
        cursor = result.cursor


def test_new_file_is_requested_once(empty_workspace):
    ws = empty_workspace
    land_day(ws, 0, MORNING)
    first = tick(ws, None)
    land_day(ws, 1, MORNING + timedelta(hours=1))
    second = tick(ws, first.cursor)
    third = tick(ws, second.cursor)
    assert requested_keys(first) == ["2018-01-22"]
    assert requested_keys(second) == ["2018-01-23"]
    assert requested_keys(third) == []


def test_late_file_with_an_older_mtime_than_everything_seen_is_found(empty_workspace):
    ws = empty_workspace
    land_day(ws, 5, MORNING)
    cursor = tick(ws, None).cursor
    land_day(ws, 0, MORNING - timedelta(days=30))  # copied with its original, old mtime
    result = tick(ws, cursor)
    assert requested_keys(result) == ["2018-01-22"]


def test_replaced_file_is_requested_again_with_a_new_run_key(empty_workspace):
    ws = empty_workspace
    land_day(ws, 3, MORNING)
    first = tick(ws, None)
    land_day(ws, 3, MORNING + timedelta(hours=2), variant="corrected")
    second = tick(ws, first.cursor)
    assert requested_keys(second) == ["2018-01-25"]
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    assert requested_keys(tick(ws, second.cursor)) == []


@pytest.mark.parametrize(
    "name",
    [".hidden.csv", "notes.txt", "2018-01-22.csv.part", "2018-01-22.csv.tmp", "README", "data.CSVX", ".csv"],
)
def test_hidden_partial_and_non_csv_files_are_never_requested(empty_workspace, name):
    empty_workspace.land(name, day_csv(day(0)), mtime=MORNING)
    result = tick(empty_workspace, None)
    assert result.run_requests == []


def test_subfolders_are_never_requested(empty_workspace):
    (empty_workspace.source / "archive.csv").mkdir()
    (empty_workspace.source / "archive.csv" / "2018-01-22.csv").write_text(day_csv(day(0)))
    assert tick(empty_workspace, None).run_requests == []


def test_an_entry_whose_stat_fails_fails_the_tick_only_when_it_is_a_landed_csv(empty_workspace):
    # The scan stats every entry before it reads the name: a junk symlink loop or a dangling
    # link is passed over as before; a landed CSV that cannot be read still fails the tick.
    ws = empty_workspace
    land_day(ws, 0, MORNING)
    os.symlink("loop", ws.source / "loop")
    os.symlink("gone.csv", ws.source / "dangling.csv")
    assert requested_keys(tick(ws, None)) == [day(0).isoformat()]
    os.symlink("self.csv", ws.source / "self.csv")
    with pytest.raises(OSError):
        scan_folder(ws.source)


def test_partial_file_is_requested_once_renamed(empty_workspace):
    ws = empty_workspace
    partial = ws.land("2018-01-22.csv.part", day_csv(day(0))[:50], mtime=MORNING)
    first = tick(ws, None)
    partial.write_text(day_csv(day(0)))
    partial.rename(ws.source / "2018-01-22.csv")
    second = tick(ws, first.cursor)
    assert requested_keys(first) == []
    assert requested_keys(second) == ["2018-01-22"]


def test_flood_is_capped_per_tick_and_drains_without_losing_a_file(empty_workspace, monkeypatch):
    ws = empty_workspace
    monkeypatch.setenv(settings.MAX_RUNS_PER_TICK_ENV, "4")
    for n in range(10):
        land_day(ws, n, MORNING + timedelta(minutes=n))
    cursor, batches = None, []
    for _ in range(4):
        result = tick(ws, cursor)
        batches.append(requested_keys(result))
        cursor = result.cursor
    assert [len(b) for b in batches] == [4, 4, 2, 0]
    assert sum(batches, []) == [day(n).isoformat() for n in range(10)]


def test_missing_source_folder_skips_with_a_reason(empty_workspace):
    empty_workspace.source.rmdir()
    result = tick(empty_workspace, None)
    assert result.run_requests == []
    assert "source folder" in result.skip_message and "does not exist" in result.skip_message
    assert str(empty_workspace.source) in result.skip_message


@pytest.mark.parametrize(
    "bad_cursor",
    [
        "not json at all",
        json.dumps({"2018-01-22.csv": 1516600000.0}),
        json.dumps(["2018-01-22.csv"]),
        json.dumps({"format": "run-key-digests/1", "digests": "!!!"}),
    ],
    ids=["garbage", "course-format", "a-list", "corrupt-digests"],
)
def test_unreadable_cursor_is_recovered_with_a_warning(workspace, bad_cursor, capfd):
    # Called directly, the sensor logs through the context: the warning is visible, and every
    # file present is requested again (the daemon skips run keys it already ran).
    with source_context(workspace, bad_cursor) as context:
        result = dynamic_sensor(context)
    assert len(result.run_requests) == 10
    assert read_cursor(result.cursor).warning is None
    assert "Discarding a cursor this sensor cannot read" in capfd.readouterr().err


def test_unusable_file_name_is_reported_not_requested(empty_workspace, capfd):
    ws = empty_workspace
    ws.land("a...b.csv", day_csv(day(0)), mtime=MORNING)
    land_day(ws, 1, MORNING)
    with source_context(ws, None) as context:
        result = dynamic_sensor(context)
    assert requested_keys(result) == ["2018-01-23"]
    assert "cannot be a partition key: a...b.csv" in capfd.readouterr().err
    with source_context(ws, result.cursor) as context:
        quiet = dynamic_sensor(context)
    assert quiet.skip_reason.skip_message.endswith(
        "1 file(s) left out: their names cannot be partition keys (see the log)."
    )


def test_deleted_file_leaves_the_cursor_and_comes_back_as_new(empty_workspace):
    ws = empty_workspace
    land_day(ws, 0, MORNING)
    land_day(ws, 1, MORNING)
    first = tick(ws, None)
    ws.remove("2018-01-22.csv")
    second = tick(ws, first.cursor)
    assert requested_keys(second) == []
    assert len(read_cursor(second.cursor).requested) == 1
    land_day(ws, 0, MORNING)
    assert requested_keys(tick(ws, second.cursor)) == ["2018-01-22"]


@pytest.mark.slow
def test_runs_requested_over_several_ticks_load_each_file_once_with_its_latest_content(empty_workspace):
    ws = empty_workspace
    loop = DaemonLikeLoop(ws.defs, ws.instance)
    land_day(ws, 0, MORNING)
    land_day(ws, 1, MORNING)
    assert loop.tick().succeeded == ["2018-01-22", "2018-01-23"]
    ws.land("2018-01-24.csv.part", day_csv(day(2))[:40], mtime=MORNING)
    assert loop.tick().run_requests == []
    os.rename(ws.source / "2018-01-24.csv.part", ws.source / "2018-01-24.csv")
    ws.land("2018-01-24.csv", day_csv(day(2)), mtime=MORNING + timedelta(hours=1))
    land_day(ws, 0, MORNING + timedelta(hours=2), variant="corrected")
    report = loop.tick()
    assert sorted(report.succeeded) == ["2018-01-22", "2018-01-24"]
    assert loop.tick().run_requests == []

    rows = ws.table(DYNAMIC_TABLE)
    assert ws.row_counts(DYNAMIC_TABLE) == {"2018-01-22": 8, "2018-01-23": 8, "2018-01-24": 8}
    corrected = rows[rows.partition_key == "2018-01-22"].sort_values("share_price")
    expected = [float(line.split(",")[1]) for line in day_csv(day(0), "corrected").splitlines()[1:]]
    assert sorted(corrected.share_price.tolist()) == sorted(expected)


@pytest.mark.slow
def test_daemon_like_loop_skips_run_keys_already_launched(workspace):
    first = DaemonLikeLoop(workspace.defs, workspace.instance)
    assert len(first.tick().succeeded) == 10
    # A fresh cursor (lost state) asks for everything again; the run keys stop any re-run.
    again = DaemonLikeLoop(workspace.defs, workspace.instance).tick()
    assert len(again.run_requests) == 10
    assert len(again.skipped_run_keys) == 10
    assert again.succeeded == []


def test_the_previous_digest_set_cursor_upgrades_without_losing_or_repeating_a_file(workspace):
    # The cursor this sensor stored before the change-time watermark: the digests of the run keys
    # of the ten files it had requested (and the daemon had run).
    loop = DaemonLikeLoop(workspace.defs, workspace.instance)
    loop.drain()
    loop.cursor = encode_cursor({f.digest for f in scan_folder(workspace.source).landed})
    land_day(workspace, 20, MORNING)
    land_day(workspace, 21, datetime(2000, 1, 1, tzinfo=timezone.utc))  # a late file with an old mtime
    report = loop.tick()
    assert sorted(report.succeeded) == [day(20).isoformat(), day(21).isoformat()] and report.skipped_run_keys == []
    assert read_cursor(report.cursor_after).warning is None
    assert loop.tick().run_requests == []
