import os
from datetime import date, datetime, timezone

import dagster as dg
import pytest

from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.sample_data import PREPARED_FILES
from dagster_and_etl.teaching.display.playground import SensorPlayground, play_ticks, tick_lines
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.sandbox.workspace import (
    LessonWorkspace,
    land_day,
    land_prepared,
    land_text,
    remove,
    rename,
)
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.teaching.simulation.ticks import TickOutcome, call_sensor, evaluate_sensor


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def ws():
    with LessonWorkspace("test-ticks", with_source_files=False) as workspace:
        yield workspace


def test_landing_stamps_the_file_and_only_a_new_name_moves_the_folder(ws):
    land_day(ws, date(2018, 1, 25))
    assert os.stat(ws.source / "2018-01-25.csv").st_mtime == utc(2018, 1, 26, 5).timestamp()
    assert os.stat(ws.source).st_mtime == utc(2018, 1, 26, 5).timestamp()
    land_prepared(ws, "corrected", mtime=utc(2018, 2, 3, 5, 10))  # same name: rewritten in place
    assert os.stat(ws.source / "2018-01-25.csv").st_mtime == utc(2018, 2, 3, 5, 10).timestamp()
    assert os.stat(ws.source).st_mtime == utc(2018, 1, 26, 5).timestamp()
    land_prepared(ws, "late", mtime=utc(2018, 2, 2, 4, 50), folder_mtime=utc(2018, 2, 3, 8))
    assert os.stat(ws.source / "2018-02-01.csv").st_mtime == utc(2018, 2, 2, 4, 50).timestamp()
    assert os.stat(ws.source).st_mtime == utc(2018, 2, 3, 8).timestamp()
    land_text(ws, "notes.txt", "x", mtime=utc(2018, 2, 3, 9))
    rename(ws, "notes.txt", "notes.md", folder_mtime=utc(2018, 2, 3, 10))
    assert os.stat(ws.source / "notes.md").st_mtime == utc(2018, 2, 3, 9).timestamp()
    remove(ws, "notes.md", folder_mtime=utc(2018, 2, 3, 11))
    assert os.stat(ws.source).st_mtime == utc(2018, 2, 3, 11).timestamp()


def test_direct_call_and_evaluate_tick_agree_and_stay_quiet(ws, capfd):
    land_day(ws, date(2018, 1, 25))
    direct = call_sensor(dynamic_sensor, ws.resources, None)
    through = TickOutcome.of_evaluation(None, evaluate_sensor(ws.defs, ws.instance, dynamic_sensor.name, None))
    changed = os.stat(ws.source / "2018-01-25.csv").st_ctime_ns  # the run key names this landing
    assert (
        direct.run_requests
        == through.run_requests
        == [(f"2018-01-25.csv@1516942800000000000:374:{changed}", "2018-01-25")]
    )
    assert direct.added_partitions == through.added_partitions == ["2018-01-25"]
    assert direct.cursor_after == through.cursor_after
    garbage = call_sensor(dynamic_sensor, ws.resources, "garbage")
    assert garbage.warnings and garbage.warnings[0].startswith("Discarding a cursor")
    assert "dagster" not in capfd.readouterr().err


def test_evaluate_sensor_builds_only_the_resources_the_sensor_needs(ws):
    # As the daemon does (dagster/_grpc/impl.py, get_external_sensor_execution): a resource no
    # sensor declares is never initialized on a tick.
    @dg.resource
    def broken(_):
        raise RuntimeError("initialized a resource the sensor does not use")

    land_day(ws, date(2018, 1, 25))
    defs = dg.Definitions.merge(ws.defs, dg.Definitions(resources={"unused": broken}))
    data = evaluate_sensor(defs, ws.instance, dynamic_sensor.name, None)
    assert [r.partition_key for r in data.run_requests] == ["2018-01-25"]


def test_tick_lines_are_stable_text(ws):
    land_day(ws, date(2018, 1, 25))
    lines = tick_lines(call_sensor(dynamic_sensor, ws.resources, None), root=ws.root)
    assert lines[1] == "  + (watermark): none yet (every file is ahead of it)"  # the file is in the settle window
    assert lines[2].startswith("  + digest ")  # no known files given: digests in hex
    assert lines[3:] == [
        "run requests: 1  (run keys 2018-01-25.csv, landing 1)",  # never the change time's 19 digits
        "partitions to add: '2018-01-25'",
    ]
    assert "No new or changed files in <root>/source." in "\n".join(
        tick_lines(
            call_sensor(dynamic_sensor, ws.resources, call_sensor(dynamic_sensor, ws.resources, None).cursor_after),
            root=ws.root,
        )
    )


def test_play_ticks_runs_each_file_once_and_reports_failures(ws, capsys):
    steps = [
        ("first", lambda w: land_day(w, date(2018, 1, 25))),
        ("bad file", lambda w: land_prepared(w, "bad_price", mtime=utc(2018, 2, 3, 5))),
        ("nothing", lambda w: None),
    ]
    played = play_ticks(steps, ws, DaemonLikeLoop(ws.defs, ws.instance, dynamic_sensor.name))
    assert [t.succeeded for t in played] == [["2018-01-25"], [], []]
    assert list(played[1].failed) == ["2018-02-02"]
    assert [t.label for t in played] == ["first", "bad file", "nothing"]
    shown = capsys.readouterr().out
    assert "== bad file" in shown and "share_price must be greater than 0" in shown and str(ws.root) not in shown


def test_quiet_captures_stderr_and_strips_dagster_prefixes():
    import sys

    with quiet() as log:
        print("2026-01-01 00:00:00 +0000 - dagster - WARNING - look out", file=sys.stderr)
        print("2026-01-01 00:00:00 +0000 - dagster - INFO - fyi", file=sys.stderr)
    assert log.messages() == ["look out"]
    assert log.messages("INFO") == ["fyi"]


def test_playground_functions_and_widget(ws):
    playground = SensorPlayground(
        ws, DaemonLikeLoop(ws.defs, ws.instance, dynamic_sensor.name), start=utc(2018, 2, 3, 4)
    )
    assert playground.drop("partial").startswith("2018-02-03 04:30 dropped 2018-02-02.csv.part")
    assert "run requests: 0" in playground.tick()
    playground.drop("on_time")
    assert "ran ok: 2018-02-02" in playground.tick()
    assert "2018-02-02: 8" in playground.view()
    box = playground.widget()
    drop_buttons, tick_button = box.children[0].children, box.children[1]
    last_step, state = box.children[2:]
    drop_buttons[1].click()  # late
    assert [o["text"] for o in last_step.outputs] == [
        f"2018-02-03 05:30 dropped 2018-02-01.csv: {PREPARED_FILES['late'].description}\n"
    ]
    tick_button.click()
    assert ws.row_counts("raw_dynamic_partition_data") == {"2018-02-01": 8, "2018-02-02": 8}
    assert "ran ok: 2018-02-01" in last_step.outputs[0]["text"] and "2018-02-01: 8" in state.outputs[0]["text"]


def test_files_landed_one_after_another_are_requested_in_the_order_they_landed(ws):
    # Written microseconds apart, two files would share the coarse clock's change time or not, by
    # chance, and a tie goes by name: 2018-02-02 lands first here but sorts after 2018-02-01.
    first = land_prepared(ws, "on_time", mtime=utc(2018, 2, 3, 5, 0))
    second = land_prepared(ws, "late", mtime=utc(2018, 2, 2, 4, 50))
    assert first.stat().st_ctime_ns < second.stat().st_ctime_ns

    result = evaluate_sensor(ws.defs, ws.instance, dynamic_sensor.name, cursor=None)
    assert [request.partition_key for request in result.run_requests] == ["2018-02-02", "2018-02-01"]
