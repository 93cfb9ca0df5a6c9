"""The change-time watermark cursor (`watermark_cursor`): its rules on made-up change times, then
on a real folder, where the kernel sets the change times.

The made-up scans let a test choose ties, a clock step and a file changed during the scan
exactly; the real-folder tests show that what the kernel does (`utime`, `cp -p`, `os.replace`,
`chmod`) is what the design assumes.
"""

import json
import os
import shutil
import subprocess
import time

import pytest

from dagster_and_etl.file_scan import (
    DIGEST_SIZE,
    LEGACY_CURSOR_FORMAT,
    FolderScan,
    LandedFile,
    encode_cursor,
    pack_digests,
    scan_folder,
)
from dagster_and_etl.watermark_cursor import FORMAT, LEGACY_FORMAT, WatermarkCursor, plan_tick, read_cursor

S = 1_000_000_000  # one second in ns
SETTLE = 10 * S


def landed(name: str, changed_s: float, mtime_s: int = 1, size: int = 10) -> LandedFile:
    return LandedFile(f"{name}.csv", mtime_s * S, size, landed_ns=round(changed_s * S))


class Folder:
    """A made-up folder: its files' change times are whatever the test says."""

    def __init__(self, *files: LandedFile):
        self.files = list(files)
        self.scanned_after: list[int] = []
        self.during_scan = None  # a file that lands while the next scan runs (after it is listed)

    def scan(self, after_ns: int) -> FolderScan:
        self.scanned_after.append(after_ns)
        seen = [f for f in self.files if f.landed_ns > after_ns]
        if self.during_scan is not None:
            self.files.append(self.during_scan)
            self.during_scan = None
        return FolderScan(seen, [])

    def put(self, file: LandedFile) -> None:
        self.files = [f for f in self.files if f.name != file.name] + [file]


def tick(folder: Folder, cursor, now_s: float, max_runs: int = 100):
    return plan_tick(cursor, folder.scan, SETTLE, max_runs, now_ns=round(now_s * S))


def names(plan) -> list[str]:
    return [f.partition_key for f in plan.batch]


def test_a_quiet_folder_leaves_a_constant_size_cursor_and_scans_nothing_behind_the_watermark():
    folder = Folder(*(landed(f"f{i}", 100 + i / 1000) for i in range(1000)))
    first = tick(folder, None, now_s=101, max_runs=1000)
    assert len(first.batch) == 1000 and len(read_cursor(first.cursor).requested) == 1000  # all in the window
    quiet = tick(folder, first.cursor, now_s=200)  # the folder quiet for longer than the window
    newest = folder.files[-1].landed_ns
    assert quiet.batch == [] and quiet.cursor == WatermarkCursor(newest).encode()  # the newest file's change time
    assert len(quiet.cursor) < 80
    again = tick(folder, quiet.cursor, now_s=230)
    assert again.cursor == quiet.cursor and folder.scanned_after[-1] == newest  # a quiet tick: the same cursor


def test_a_late_file_with_an_old_mtime_is_found_by_its_change_time():
    folder = Folder(landed("a", 100))
    cursor = tick(folder, tick(folder, None, now_s=101).cursor, now_s=200).cursor
    folder.put(landed("late", 205, mtime_s=3))  # mtime 1970, changed (landed) now
    assert names(tick(folder, cursor, now_s=206)) == ["late"]


def test_the_cap_drains_a_backlog_in_change_time_order_and_ties_are_not_left_behind():
    # Five files share one change time (a coarse clock); the cap cuts the tie group.
    folder = Folder(landed("e", 50), *(landed(n, 40) for n in "dcba"), landed("z", 30))
    plans, cursor = [], None
    for now in (100, 101, 102, 103):
        plan = tick(folder, cursor, now_s=now, max_runs=2)
        plans.append(names(plan))
        cursor = plan.cursor
    assert plans == [["z", "a"], ["b", "c"], ["d", "e"], []]
    # While the tie group was cut, the watermark stayed before it (at z's change time).
    assert read_cursor(tick(folder, None, now_s=100, max_runs=2).cursor).watermark_ns == 30 * S


def test_a_file_that_lands_during_the_scan_is_requested_by_a_later_tick():
    folder = Folder(landed("a", 100))
    cursor = tick(folder, None, now_s=150).cursor
    folder.during_scan = landed("during", 199.999)  # changed after the tick read the clock (200)...
    plan = tick(folder, cursor, now_s=200)
    assert names(plan) == []  # ...and not listed by this scan
    assert names(tick(folder, plan.cursor, now_s=260)) == ["during"]


def test_two_changes_during_one_scan_are_why_the_clock_is_read_before_it():
    # During the scan, "unlisted" lands where the listing has already been, then "listed" changes
    # and is listed: its change time is later than the unlisted file's.
    def scenario():
        folder = Folder(landed("a", 100), landed("listed", 100))
        cursor = tick(folder, None, now_s=150).cursor
        folder.during_scan = landed("unlisted", 200.001)
        folder.put(landed("listed", 200.002, mtime_s=2))
        return folder, cursor

    folder, cursor = scenario()
    plan = tick(folder, cursor, now_s=200)  # the clock read before the scan
    assert names(plan) == ["listed"]
    assert names(tick(folder, plan.cursor, now_s=300)) == ["unlisted"]
    # Read after the scan, with no window, the horizon would pass the listed file's change time,
    # the watermark would follow it, and the unlisted file would be behind it for good.
    folder, cursor = scenario()
    late_clock = plan_tick(cursor, folder.scan, 0, 100, now_ns=round(200.003 * S))
    assert names(late_clock) == ["listed"]
    assert names(tick(folder, late_clock.cursor, now_s=300)) == []


def test_a_clock_step_back_loses_nothing_and_asks_for_nothing_again_while_the_clock_is_past_the_watermark():
    folder = Folder(landed("a", 100))
    cursor = tick(folder, tick(folder, None, now_s=101).cursor, now_s=300).cursor
    assert read_cursor(cursor).watermark_ns == 100 * S  # the newest settled file's change time
    folder.put(landed("after-step", 292))  # the clock was set back 9 s: the next file is stamped 292
    plan = tick(folder, cursor, now_s=293)
    assert names(plan) == ["after-step"] and plan.warnings == []
    assert names(tick(folder, plan.cursor, now_s=300)) == []


def test_a_clock_set_back_before_the_watermark_brings_it_back_to_the_horizon():
    folder = Folder(landed("a", 100), landed("b", 250))
    cursor = tick(folder, tick(folder, None, now_s=260).cursor, now_s=1000).cursor  # watermark 250
    folder.put(landed("after-step", 205))  # the clock was set back to 200
    plan = tick(folder, cursor, now_s=210)
    assert "behind the cursor's watermark" in plan.warnings[0]
    # Found; "b" is compared again (the daemon skips its run key, which already ran).
    assert names(plan) == ["after-step", "b"]
    assert read_cursor(plan.cursor).watermark_ns == 200 * S


def test_every_landing_behind_the_watermark_is_requested_under_a_run_key_of_its_own():
    # A chmod, a `cp -p` restore, a same-size same-mtime rewrite: the change time moves, the
    # run key names it, and the daemon runs it (the load rewrites nothing if the bytes are the same).
    folder = Folder(landed("a", 100))
    first = tick(folder, None, now_s=101)
    cursor = tick(folder, first.cursor, now_s=200).cursor
    folder.put(landed("a", 201))  # same name, mtime and size: only the change time moved
    again = tick(folder, cursor, now_s=202)
    assert names(again) == ["a"]
    assert again.batch[0].run_key == "a.csv@1000000000:10:201000000000" != first.batch[0].run_key
    # Within the window, the same landing is not asked for twice.
    assert tick(folder, again.cursor, now_s=204).batch == []
    # The next landing is.
    folder.put(landed("a", 205))
    assert names(tick(folder, again.cursor, now_s=206)) == ["a"]


def legacy_watermark_cursor(watermark_ns: int, files: list[LandedFile]) -> str:
    """A cursor as the sensor stored it before run keys named the landing (`change-time/1`)."""
    recent = pack_digests({f.legacy_digest for f in files})
    return json.dumps({"format": LEGACY_FORMAT, "watermark_ns": watermark_ns, "recent": recent}, separators=(",", ":"))


def test_a_stored_watermark_cursor_of_legacy_run_keys_upgrades_without_requesting_a_file_again():
    in_window = [landed("a", 195), landed("b", 196)]
    folder = Folder(landed("old", 100), *in_window, landed("new-since", 197))
    plan = tick(folder, legacy_watermark_cursor(100 * S, in_window), now_s=198)
    assert names(plan) == ["new-since"] and plan.warnings == []
    assert folder.scanned_after == [100 * S]  # nothing behind the watermark is read
    stored = read_cursor(plan.cursor)
    assert not stored.legacy and stored.requested == {f.digest for f in [*in_window, plan.batch[0]]}
    # Once upgraded, the legacy keys mean nothing: a restore of `a` (same mtime and size) is requested.
    folder.put(landed("a", 199))
    assert names(tick(folder, plan.cursor, now_s=200)) == ["a"]


def test_a_stored_digest_set_of_legacy_run_keys_upgrades_without_requesting_a_file_again():
    requested = [landed("a", 100), landed("b", 110)]
    folder = Folder(*requested, landed("new-since", 150))
    legacy = json.dumps({"format": LEGACY_CURSOR_FORMAT, "digests": pack_digests({f.legacy_digest for f in requested})})
    plan = tick(folder, legacy, now_s=200)
    assert names(plan) == ["new-since"] and plan.warnings == []
    assert names(tick(folder, plan.cursor, now_s=300)) == []


def test_the_quiet_cursor_is_73_bytes():
    now = 1_800_000_000  # a change time of today's size (19 digits in ns)
    folder = Folder(*(landed(f"f{i}", now + i) for i in range(50)))
    first = tick(folder, None, now_s=now + 60, max_runs=100)
    quiet = tick(folder, first.cursor, now_s=now + 120)
    assert quiet.batch == [] and read_cursor(quiet.cursor).requested == frozenset()
    assert len(quiet.cursor.encode()) == 73, quiet.cursor


def test_the_digest_set_cursor_upgrades_without_losing_or_repeating_a_file():
    requested = [landed("a", 100), landed("b", 110)]
    folder = Folder(*requested, landed("new-since", 150), landed("late-since", 160, mtime_s=2))
    old_cursor = encode_cursor({f.digest for f in requested})
    plan = tick(folder, old_cursor, now_s=200, max_runs=1)
    assert names(plan) == ["new-since"] and plan.warnings == []
    assert folder.scanned_after == [-1]  # the upgrade compares every file once, by run key
    plan = tick(folder, plan.cursor, now_s=201, max_runs=1)
    assert names(plan) == ["late-since"]
    assert names(tick(folder, plan.cursor, now_s=202)) == []
    assert read_cursor(plan.cursor).watermark_ns == 160 * S  # late-since's change time


@pytest.mark.parametrize(
    "bad",
    [
        "garbage",
        "[]",
        '{"format": "change-time/1"}',
        '{"format": "change-time/1", "watermark_ns": "1", "recent": ""}',
        '{"format": "change-time/1", "watermark_ns": 1.5, "recent": ""}',
        '{"format": "change-time/1", "watermark_ns": 1, "recent": "AAAA"}',
    ],
)
def test_an_unreadable_cursor_compares_every_file_again_with_a_warning(bad):
    folder = Folder(landed("a", 100), landed("b", 110))
    plan = tick(folder, bad, now_s=500)
    assert names(plan) == ["a", "b"] and plan.warnings[0].startswith("Discarding a cursor")
    assert read_cursor(plan.cursor).warning is None


def test_the_cursor_format():
    cursor = WatermarkCursor(5, frozenset({b"\x01" * DIGEST_SIZE})).encode()
    assert cursor.startswith(f'{{"format":"{FORMAT}","watermark_ns":5,')
    assert read_cursor(cursor).requested == {b"\x01" * DIGEST_SIZE}


# ---- On a real folder: what the kernel does to the change time --------------------------------


def real_tick(folder, cursor, settle_s: float, **kwargs):
    return plan_tick(cursor, lambda after: scan_folder(folder, after), round(settle_s * S), 100, **kwargs)


def settled(folder, cursor, settle_s=0.05):
    """The cursor after the folder has been quiet for longer than the settle window."""
    time.sleep(settle_s * 2)
    plan = real_tick(folder, cursor, settle_s)
    assert plan.batch == []
    return plan.cursor


def write(path, text: str, mtime_s: int | None = None) -> None:
    path.write_text(text)
    if mtime_s is not None:
        os.utime(path, (mtime_s, mtime_s))


def test_late_replaced_atomically_replaced_and_restored_files_are_all_found(tmp_path):
    backup = tmp_path / "backup.csv"
    folder = tmp_path / "source"
    folder.mkdir()
    for name in ("replaced", "atomic", "restored"):
        write(folder / f"{name}.csv", "v1\n", mtime_s=1_500_000_000)
    shutil.copy2(folder / "restored.csv", backup)
    cursor = settled(folder, real_tick(folder, None, 0.05).cursor)
    assert len(cursor) < 80

    write(folder / "late.csv", "old\n", mtime_s=946_684_800)  # mtime 2000-01-01
    write(folder / "replaced.csv", "v2\n", mtime_s=1_500_000_000)  # same size, same mtime
    write(folder / ".atomic.tmp", "v2 longer\n")
    os.replace(folder / ".atomic.tmp", folder / "atomic.csv")
    subprocess.run(["cp", "-p", str(backup), str(folder / "restored.csv")], check=True)
    plan = real_tick(folder, cursor, 0.05)
    assert sorted(f.partition_key for f in plan.batch) == ["atomic", "late", "replaced", "restored"]
    # The restored file has its old mtime and size, and a run key of its own: its landing's.
    restored = next(f for f in plan.batch if f.partition_key == "restored")
    assert restored.mtime_ns == 1_500_000_000 * S
    assert restored.run_key == f"restored.csv@{1_500_000_000 * S}:3:{os.stat(folder / 'restored.csv').st_ctime_ns}"


def test_a_chmod_on_a_real_file_moves_its_change_time(tmp_path):
    write(tmp_path / "a.csv", "v1\n")
    cursor = settled(tmp_path, real_tick(tmp_path, None, 0.05).cursor)
    os.chmod(tmp_path / "a.csv", 0o600)
    assert [f.partition_key for f in real_tick(tmp_path, cursor, 0.05).batch] == ["a"]


@pytest.mark.parametrize("change", ["chmod", "hard link", "mv away and back"])
def test_a_landing_of_the_same_content_gets_a_new_run_key(tmp_path, change):
    # What the load then does with it (no row replaced): tests/test_warehouse_versions.py.
    folder, path = tmp_path / "source", tmp_path / "source" / "a.csv"
    folder.mkdir()
    write(path, "v1\n", mtime_s=1_500_000_000)
    first = real_tick(folder, None, 0.05)
    cursor = settled(folder, first.cursor)
    if change == "chmod":
        os.chmod(path, 0o600)
    elif change == "hard link":
        os.link(path, tmp_path / "elsewhere.csv")  # outside the folder: the inode's change time moves
    else:
        os.rename(path, tmp_path / "away.csv")
        os.rename(tmp_path / "away.csv", path)
    [again] = real_tick(folder, cursor, 0.05).batch
    assert (again.mtime_ns, again.size) == (first.batch[0].mtime_ns, first.batch[0].size)
    assert again.run_key != first.batch[0].run_key


def test_a_file_written_right_after_the_clock_was_read_is_ahead_of_the_horizon(tmp_path):
    # The kernel stamps change times from a coarse clock that can lag time.time_ns() by a tick:
    # a window of 50 ms covers it many times over.
    write(tmp_path / "a.csv", "v1\n")
    cursor = settled(tmp_path, real_tick(tmp_path, None, 0.05).cursor)
    now = time.time_ns()
    write(tmp_path / "b.csv", "v1\n")
    plan = real_tick(tmp_path, cursor, 0.05, now_ns=now)
    assert [f.partition_key for f in plan.batch] == ["b"]


def test_the_settle_window_is_read_on_every_tick_from_its_environment_variable(monkeypatch):
    from dagster_and_etl import settings

    monkeypatch.delenv(settings.SENSOR_SETTLE_ENV, raising=False)
    assert settings.sensor_settle_seconds() == settings.DEFAULT_SENSOR_SETTLE_SECONDS == 120
    monkeypatch.setenv(settings.SENSOR_SETTLE_ENV, "0.5")
    assert settings.sensor_settle_seconds() == 0.5
    for bad in ("0", "-1", "soon", "nan", "inf"):
        monkeypatch.setenv(settings.SENSOR_SETTLE_ENV, bad)
        with pytest.raises(ValueError, match=settings.SENSOR_SETTLE_ENV):
            settings.sensor_settle_seconds()
