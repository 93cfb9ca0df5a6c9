"""Randomized arrival histories: no file is lost or loaded twice, whatever the order of events.

Hypothesis generates histories of what happens in the source folder (new files, late files with
an old mtime, files replaced in place, a backup restored with `cp -p`, a same-size rewrite that
puts the mtime back, a chmod, partial files renamed when complete, junk, deletions, a cursor
that cannot be read) with sensor ticks in between; in half the examples runs wait in a
queue and execute later, as behind the daemon's run coordinator. The reference sensor is evaluated
through `evaluate_tick` with the cursor carried from tick to tick, and the requested runs are
executed the way the daemon does (`DaemonLikeLoop`: register partitions, skip run keys already
launched). After a final drain (and the queue):

- every valid file present is in DuckDB exactly once, with its latest content;
- a file that is not valid now, or was deleted, has the rows of one of its valid versions, or none;
- a partition once loaded keeps rows (deleting a file deletes no data, see docs/reliability.md);
- nothing but landed CSV files ever reaches the table;
- no run key ran twice, and while the cursor is readable the sensor never asks for one again;
- no tick raised.

Real runs (`execute_in_process`) cost about 0.3 s each, so most examples execute the asset's
own load function directly (`DirectLoadLoop`) and a smaller set runs the real job. Both record
their runs in a real Dagster instance, where the daemon's run-key check looks for them.

The folder sensor's cursor is a change-time watermark with a settle window (`watermark_cursor`):
the histories set the window to 0.1 s, so files fall behind the watermark within a history, and
add files that land *while* a tick is scanning (a hook in the scan's directory listing) and
steps of the sensor's clock within the settle window (`StepClock`, with `Settle` to wait the
window out).

Examples are derandomized (the same ones on every run); `RELIABILITY_EXAMPLES` scales them.
Failing examples found so far are kept below as `@example`s.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dagster_and_etl import file_scan, watermark_cursor
from dagster_and_etl import settings as etl_settings
from dagster_and_etl.csv_format import COLUMNS, SourceFileError, parse_iso_date, read_source_file
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.defs.assets import load_partition_file
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.file_scan import CSV_SUFFIX
from dagster_and_etl.sample_data import FIRST_DAY, day_csv
from dagster_and_etl.teaching.live.processes import environment
from dagster_and_etl.teaching.simulation.run_loop import RUN_KEY_TAG, DaemonLikeLoop
from dagster_and_etl.warehouse import DYNAMIC_TABLE, read_table

# A small pool of names, so that histories revisit the same files. A key need not be a date.
NAMES = ("2018-01-22", "2018-01-23", "extra trades")
BAD_VERSION = 3  # versions 0-2 are valid files, version 3 has a negative share_price

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "200"))
REAL_RUN_EXAMPLES = max(5, EXAMPLES // 10)


# ---- Events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEvent:
    name: str
    version: int


class Land(FileEvent):
    """`name.csv` arrives now: a new file, or a replacement written over the old one."""


class LandLate(FileEvent):
    """`name.csv` arrives with an mtime older than any file so far (copied with its old time)."""


class RewriteSameSecond(FileEvent):
    """`name.csv` is rewritten within the same mtime second: on a coarse clock only its size changes.

    Real replacements change the mtime or the size; when the new content has the same size, the
    clock ticks on (an identical name, mtime and size cannot be told apart, see the docs)."""


@dataclass(frozen=True)
class Restore:
    """A backup of `name.csv` is put back with `cp -p` (its old content, mtime and size): the
    version that landed `back` landings ago (the oldest one when there were fewer)."""

    name: str
    back: int


class RewriteKeepingMtime(FileEvent):
    """`name.csv` is rewritten in place with `version`'s content and its mtime put back (`utime`):
    with a version of the same size, only the change time says it is new."""


@dataclass(frozen=True)
class Chmod:
    """`name.csv`'s mode changes: a new change time, the same content."""

    name: str


class StartPartial(FileEvent):
    """An upload starts: the first half of the file is written as `name.csv.part`."""


@dataclass(frozen=True)
class FinishPartial:
    """The upload of `name.csv.part` completes and the file is renamed to `name.csv`."""

    name: str


@dataclass(frozen=True)
class Junk:
    """Something that is not a landed CSV file appears: hidden, temporary, not CSV, a folder, a bad name."""

    kind: str


@dataclass(frozen=True)
class Delete:
    name: str


@dataclass(frozen=True)
class Tick:
    pass


@dataclass(frozen=True)
class RunQueue:
    """The queued runs execute (with `QueuedLoadLoop`; the other loops run at once)."""


class LandDuringScan(FileEvent):
    """`name.csv` lands while the next tick is listing the folder (after its first entry)."""


@dataclass(frozen=True)
class StepClock:
    """The sensor's clock is set to `offset` settle windows away from the file system's (a clock
    step within the window: ahead by at most half of it, or behind)."""

    offset: float


@dataclass(frozen=True)
class Settle:
    """Nothing happens for longer than the settle window."""


@dataclass(frozen=True)
class ForgetCursor:
    """The stored cursor becomes unreadable (garbage, or the course sensor's format)."""

    garbage: str


JUNK_KINDS = ("hidden", "temporary", "not-csv", "folder", "bad-key")
UNREADABLE_CURSORS = (
    "not json at all",
    '{"file.csv": 1516600000.0}',  # the course sensor's {filename: mtime} cursor
    '{"format": "run-key-digests/1", "digests": "AAAA"}',  # a truncated digest
    '{"format": "run-key-digests/1"}',
    '{"format": "change-time/1", "watermark_ns": "soon", "recent": ""}',
    "[]",
)
SETTLE_SECONDS = 0.1

names = st.sampled_from(NAMES)
# Versions 0 and 1 (same size) are drawn most often: a replacement only the mtime reveals.
versions = st.sampled_from([0, 1, 0, 1, 2, BAD_VERSION])
arrivals = st.one_of(
    st.builds(Land, names, versions),
    st.builds(LandLate, names, versions),
    st.builds(RewriteSameSecond, names, versions),
    st.builds(StartPartial, names, versions),
    st.builds(FinishPartial, names),
    st.builds(LandDuringScan, names, versions),
    st.builds(Restore, names, st.sampled_from([1, 2])),
    st.builds(RewriteKeepingMtime, names, versions),
    st.builds(Chmod, names),
)
disturbances = st.one_of(
    st.builds(StepClock, st.sampled_from([-0.9, -0.5, 0.0, 0.5])),
    st.just(Settle()),
    st.builds(Delete, names),
    st.builds(Junk, st.sampled_from(JUNK_KINDS)),
    st.builds(ForgetCursor, st.sampled_from(UNREADABLE_CURSORS)),
    st.just(RunQueue()),
)
# About a third ticks, a half arrivals, the rest deletions, junk and unreadable cursors.
events = st.one_of(st.just(Tick()), arrivals, arrivals, st.just(Tick()), arrivals, disturbances)
runs_per_tick = st.sampled_from([1, 2, 100])


# ---- The source folder, driven by events ------------------------------------------------------


# How each version changes the last row of the key's base file: versions 0 and 1 have the same
# size (only the mtime tells them apart), version 2 is one byte longer, version 3 is not valid.
VERSION_EDITS = {
    0: ("spread", None),
    1: ("spread", "0.00"),
    2: ("spread", "0.005"),
    BAD_VERSION: ("share_price", "-1.00"),
}


def file_text(name: str, version: int) -> str:
    """Version `version` of `name.csv`; every row carries the key's date (FIRST_DAY for other keys)."""
    text = day_csv(parse_iso_date(name) or FIRST_DAY)
    column, value = VERSION_EDITS[version]
    if value is None:
        return text
    lines = text.splitlines()
    fields = lines[-1].split(",")
    fields[COLUMNS.index(column)] = value
    lines[-1] = ",".join(fields)
    return "\n".join(lines) + "\n"


class SourceFolderHistory:
    """Applies events to a real folder, with a controlled clock so that every write has its own mtime."""

    START = datetime(2018, 2, 1, 5, 0, tzinfo=timezone.utc)

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.now = int(self.START.timestamp())
        self.oldest = self.now
        self.valid_texts: dict[str, set[str]] = {name: set() for name in NAMES}
        # A `cp -p` backup of every version landed under each name, oldest first (outside the folder).
        self.backups = Path(tempfile.mkdtemp(prefix="reliability-backups-"))
        self.backed_up: dict[str, list[Path]] = {name: [] for name in NAMES}

    def _write(self, path: Path, text: str, mtime: int) -> None:
        path.write_text(text, encoding="utf-8", newline="")
        os.utime(path, ns=(mtime * 1_000_000_000, mtime * 1_000_000_000))

    def _tick_clock(self) -> int:
        self.now += 1
        return self.now

    def _record(self, name: str, version: int) -> str:
        text = file_text(name, version)
        if version != BAD_VERSION:
            self.valid_texts[name].add(text)
        return text

    def path(self, name: str) -> Path:
        return self.folder / f"{name}{CSV_SUFFIX}"

    def land(self, name: str, version: int, mtime: int) -> Path:
        """Write version `version` of `name.csv` with modification time `mtime` (seconds)."""
        path = self.path(name)
        self._write(path, self._record(name, version), mtime)
        self._back_up(path)
        return path

    def _back_up(self, path: Path) -> None:
        name = path.name[: -len(CSV_SUFFIX)]
        backup = self.backups / f"{name}.{len(self.backed_up[name])}"
        shutil.copy2(path, backup)  # `cp -p`: content and mtime
        self.backed_up[name].append(backup)

    def apply(self, event) -> None:
        if isinstance(event, Land):
            self.land(event.name, event.version, self._tick_clock())
        elif isinstance(event, LandLate):
            self.oldest -= 86_400
            self.land(event.name, event.version, self.oldest)
        elif isinstance(event, RewriteSameSecond):
            path, size = self.path(event.name), len(file_text(event.name, event.version).encode())
            if path.exists() and path.stat().st_size != size:
                self.land(event.name, event.version, path.stat().st_mtime_ns // 1_000_000_000)
            else:
                self.land(event.name, event.version, self._tick_clock())
        elif isinstance(event, Restore):
            backups = self.backed_up[event.name]
            if backups:
                shutil.copy2(backups[max(0, len(backups) - 1 - event.back)], self.path(event.name))
        elif isinstance(event, RewriteKeepingMtime):
            path = self.path(event.name)
            if path.exists():
                self.land(event.name, event.version, path.stat().st_mtime_ns // 1_000_000_000)
        elif isinstance(event, Chmod):
            path = self.path(event.name)
            if path.exists():
                path.chmod(path.stat().st_mode ^ 0o040)  # group read on or off
        elif isinstance(event, StartPartial):
            text = self._record(event.name, event.version)
            part = self.folder / f"{event.name}{CSV_SUFFIX}.part"
            self._write(part, text[: len(text) // 2], self._tick_clock())
            (self.folder / f".{event.name}.pending").write_text(text, encoding="utf-8")
        elif isinstance(event, FinishPartial):
            part = self.folder / f"{event.name}{CSV_SUFFIX}.part"
            pending = self.folder / f".{event.name}.pending"
            if part.exists():
                self._write(part, pending.read_text(encoding="utf-8"), self._tick_clock())
                pending.unlink()
                part.replace(self.path(event.name))
                self._back_up(self.path(event.name))
        elif isinstance(event, Junk):
            self._add_junk(event.kind)
        elif isinstance(event, Delete):
            self.path(event.name).unlink(missing_ok=True)
        else:
            raise AssertionError(f"not a folder event: {event!r}")

    def _add_junk(self, kind: str) -> None:
        text, mtime = file_text(NAMES[0], 0), self._tick_clock()
        if kind == "hidden":
            self._write(self.folder / f".{NAMES[0]}{CSV_SUFFIX}", text, mtime)
        elif kind == "temporary":
            self._write(self.folder / f"{NAMES[1]}{CSV_SUFFIX}.tmp", text, mtime)
        elif kind == "not-csv":
            self._write(self.folder / "notes.txt", "not data\n", mtime)
        elif kind == "folder":
            nested = self.folder / f"archive{CSV_SUFFIX}"
            nested.mkdir(exist_ok=True)
            self._write(nested / f"{NAMES[2]}{CSV_SUFFIX}", text, mtime)
        elif kind == "bad-key":
            self._write(self.folder / f"bad...key{CSV_SUFFIX}", text, mtime)
        else:
            raise AssertionError(f"unknown junk kind {kind!r}")


class DuringScan:
    """Lands files while a tick lists the source folder, and steps the sensor's clock: installed
    over `os.scandir` (as `file_scan` calls it) and `watermark_cursor.clock_ns` for one history."""

    def __init__(self, folder: SourceFolderHistory):
        self.folder = folder
        self.landings: list[LandDuringScan] = []
        self.offset_ns = 0
        self.stepped_back = False

    def step(self, event: StepClock) -> None:
        offset_ns = round(event.offset * SETTLE_SECONDS * 1e9)
        self.stepped_back |= offset_ns < self.offset_ns
        self.offset_ns = offset_ns

    def clock_ns(self) -> int:
        return time.time_ns() + self.offset_ns

    def scandir(self, path):
        listing = ORIGINAL_SCANDIR(path)
        if Path(path) != self.folder.folder or not self.landings:
            return listing
        landings, self.landings = self.landings, []
        return _ListingThatLands(listing, lambda: [self.folder.apply(Land(e.name, e.version)) for e in landings])

    def __enter__(self):
        file_scan.os.scandir, watermark_cursor.clock_ns = self.scandir, self.clock_ns
        return self

    def __exit__(self, *exc):
        file_scan.os.scandir, watermark_cursor.clock_ns = ORIGINAL_SCANDIR, ORIGINAL_CLOCK


ORIGINAL_SCANDIR, ORIGINAL_CLOCK = os.scandir, watermark_cursor.clock_ns


class _ListingThatLands:
    """A directory listing that runs `land` once its first entry has been returned (or at its
    end, for an empty folder)."""

    def __init__(self, listing, land):
        self.listing, self.land = listing, land

    def __enter__(self):
        self.listing.__enter__()
        return self

    def __exit__(self, *exc):
        return self.listing.__exit__(*exc)

    def __iter__(self):
        landed = False
        for entry in self.listing:
            yield entry
            if not landed:
                self.land()
                landed = True
        if not landed:
            self.land()


# ---- Executing runs ---------------------------------------------------------------------------


class DirectLoadLoop(DaemonLikeLoop):
    """`DaemonLikeLoop`, executing a run by calling the asset's own load function with the
    definitions' resources instead of `execute_in_process`. The run is recorded in the instance
    with its tags first, as the daemon creates a run before launching it, so the run-key check
    is the real one."""

    def execute(self, job_name: str, partition_key: str, tags: dict[str, str]) -> str | None:
        self.record_run(job_name, tags)
        return self.load(partition_key)

    def record_run(self, job_name: str, tags: dict[str, str]) -> None:
        self.instance.add_run(dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()), tags=tags))

    def load(self, partition_key: str) -> str | None:
        resources = self.defs.resources
        try:
            load_partition_file(
                partition_key, DYNAMIC_TABLE, parse_iso_date(partition_key), resources["source"], resources["database"]
            )
        except dg.Failure as failure:
            return failure.description
        return None


class QueuedLoadLoop(DirectLoadLoop):
    """The daemon with a run queue: a tick creates its runs, which execute later (at a `RunQueue`
    event, or after the final drain), by when their file may have been replaced or deleted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue: list[str] = []
        self.failures: dict[str, str] = {}
        self.loaded: set[str] = set()

    def execute(self, job_name: str, partition_key: str, tags: dict[str, str]) -> str | None:
        self.record_run(job_name, tags)
        self.queue.append(partition_key)
        return None  # launched; how it ends is known when it runs

    def run_queue(self) -> None:
        queue, self.queue = self.queue, []
        for partition_key in queue:
            failure = self.load(partition_key)
            if failure is None:
                self.loaded.add(partition_key)
            else:
                self.failures[partition_key] = failure


# ---- The property -----------------------------------------------------------------------------


def comparable_rows(frame: pd.DataFrame) -> list[tuple]:
    dates = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
    values = [frame[c].astype(float).round(6) for c in COLUMNS[1:]]
    return sorted(zip(dates, *values))


def loaded_rows(table: pd.DataFrame, key: str) -> list[tuple]:
    return comparable_rows(table[table["partition_key"] == key])


def check_history(instance: dg.DagsterInstance, loop_class: type[DaemonLikeLoop], history, max_runs: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="reliability-history-"))
    tuning = {etl_settings.MAX_RUNS_PER_TICK_ENV: str(max_runs), etl_settings.SENSOR_SETTLE_ENV: str(SETTLE_SECONDS)}
    with environment(tuning):
        folder = None
        try:
            folder = SourceFolderHistory(etl_settings.source_dir(root))
            loop = loop_class(build_definitions(root), instance)
            cursor_was_lost = False
            with DuringScan(folder) as during_scan:
                for event in history:
                    if isinstance(event, Tick):
                        loop.tick()
                    elif isinstance(event, ForgetCursor):
                        loop.cursor, cursor_was_lost = event.garbage, True
                    elif isinstance(event, RunQueue):
                        if isinstance(loop, QueuedLoadLoop):
                            loop.run_queue()
                    elif isinstance(event, LandDuringScan):
                        during_scan.landings.append(event)
                    elif isinstance(event, StepClock):
                        during_scan.step(event)
                    elif isinstance(event, Settle):
                        time.sleep(SETTLE_SECONDS * 1.2)
                    else:
                        folder.apply(event)
                # Drain, and again while a drain's scan landed a file (its tick may not have listed it).
                while True:
                    waiting = len(during_scan.landings)
                    loop.drain(max_ticks=50)
                    if not waiting:
                        break
            if isinstance(loop, QueuedLoadLoop):
                loop.run_queue()
            # A clock stepped back asks again for the files changed since (the daemon skips them).
            assert_outcome(
                instance, loop, folder, etl_settings.database_path(root), cursor_was_lost or during_scan.stepped_back
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)
            if folder is not None:
                shutil.rmtree(folder.backups, ignore_errors=True)


def assert_outcome(instance, loop: DaemonLikeLoop, folder: SourceFolderHistory, database: Path, may_ask_again: bool):
    table = read_table(database, DYNAMIC_TABLE)

    # Only landed CSV files under a usable key ever reach the table, each under its own name.
    assert set(table["partition_key"]) <= set(NAMES), sorted(set(table["partition_key"]))
    assert all(table["source_file"] == table["partition_key"] + CSV_SUFFIX)

    for name in NAMES:
        path, rows = folder.path(name), loaded_rows(table, name)
        earlier_versions = [comparable_rows(read_text_rows(text, name)) for text in folder.valid_texts[name]]
        if path.exists():
            try:
                current = comparable_rows(read_source_file(path, parse_iso_date(name)))
            except SourceFileError:
                current = None
            if current is not None:
                assert rows == current, f"{name}.csv: the table does not hold the file's latest content exactly once"
                continue
        # Not valid now, or deleted: no rows, or the rows of one valid version it had (a deleted
        # file keeps its rows; a rejected file leaves the table as it was).
        assert not rows or rows in earlier_versions, f"{name}: rows that match none of its valid versions"

    # Rows are never lost: a key loaded once keeps rows, whatever was deleted or rejected since.
    if isinstance(loop, QueuedLoadLoop):
        ever_loaded = loop.loaded
    else:
        ever_loaded = {key for report in loop.history for key in report.succeeded}
    assert all(loaded_rows(table, key) for key in ever_loaded), "a partition lost its rows"

    # No run key ran twice: the daemon's own check, against the runs recorded in the instance.
    launched = Counter(run.tags.get(RUN_KEY_TAG) for run in instance.get_runs())
    assert max(launched.values(), default=0) <= 1, [key for key, n in launched.items() if n > 1]
    # While the cursor is readable (and the clock never stepped back), the sensor never asks
    # again for a run key it requested.
    if not may_ask_again:
        assert [key for report in loop.history for key in report.skipped_run_keys] == []
    # Every failed run was for a file that was not valid (or not there) when it ran.
    failures = [failure for report in loop.history for failure in report.failed.items()]
    for key, message in failures + list(getattr(loop, "failures", {}).items()):
        assert key in NAMES and message.startswith(f"{key}.csv"), message


def read_text_rows(text: str, name: str) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"{name}{CSV_SUFFIX}"
        path.write_text(text, encoding="utf-8", newline="")
        return read_source_file(path, parse_iso_date(name))


@pytest.fixture(scope="module")
def instance():
    """One real instance for all examples of a test, emptied before each example (creating one costs ~0.5 s)."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


def reset(instance: dg.DagsterInstance) -> None:
    instance.wipe()
    for key in instance.get_dynamic_partitions(file_partitions.name):
        instance.delete_dynamic_partition(file_partitions.name, key)


histories = st.lists(events, min_size=4, max_size=14)
common: dict[str, Any] = dict(
    deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings(max_examples=EXAMPLES, **common)
@given(history=histories, max_runs=runs_per_tick, queued=st.booleans())
# Found when the run key left out the mtime: versions 0 and 1 have the same size.
@example(history=[Tick(), Land("2018-01-22", 1), Tick(), Land("2018-01-22", 0)], max_runs=1, queued=False)
@example(
    history=[Land("2018-01-22", 0), Tick(), Land("2018-01-22", BAD_VERSION), Tick(), Delete("2018-01-22")],
    max_runs=1,
    queued=False,
)
@example(
    history=[Land("2018-01-23", 0), Tick(), RewriteSameSecond("2018-01-23", 2), LandLate("extra trades", 1), Tick()],
    max_runs=1,
    queued=False,
)
@example(
    history=[StartPartial("2018-01-23", 0), Tick(), FinishPartial("2018-01-23"), Land("2018-01-22", 0), Tick()],
    max_runs=2,
    queued=False,
)
@example(
    history=[Land("2018-01-22", 0), Land("2018-01-23", 1), Tick(), ForgetCursor('{"file.csv": 1516600000.0}'), Tick()],
    max_runs=100,
    queued=False,
)
@example(history=[Junk(kind) for kind in JUNK_KINDS] + [Tick()], max_runs=100, queued=False)
# Lost while the run key left out the change time (issue 22): a `cp -p` restore and a same-size
# rewrite that puts the mtime back had a run key already run, and the daemon skipped them.
@example(
    history=[
        Land("2018-01-22", 0),
        Tick(),
        Settle(),
        Tick(),
        Land("2018-01-22", 1),
        Tick(),
        Restore("2018-01-22", 1),
        Tick(),
    ],
    max_runs=1,
    queued=False,
)
@example(
    history=[Land("2018-01-22", 0), Tick(), RewriteKeepingMtime("2018-01-22", 1), Tick(), Chmod("2018-01-22"), Tick()],
    max_runs=1,
    queued=False,
)
@example(
    history=[Land("2018-01-22", 0), Tick(), Land("2018-01-22", 1), Restore("2018-01-22", 1), RunQueue(), Tick()],
    max_runs=1,
    queued=True,
)
# A queued run executes after its file was replaced, then after it was deleted.
@pytest.mark.slow
@example(history=[Land("2018-01-22", 0), Tick(), Land("2018-01-22", 1), RunQueue(), Tick()], max_runs=1, queued=True)
@example(history=[Land("2018-01-22", 0), Tick(), Delete("2018-01-22"), RunQueue()], max_runs=1, queued=True)
# A file lands while a tick lists the folder, after the watermark has passed everything else.
@example(
    history=[
        Land("2018-01-22", 0),
        Tick(),
        Settle(),
        Tick(),
        LandDuringScan("2018-01-23", 1),
        Tick(),
        Settle(),
        Tick(),
    ],
    max_runs=100,
    queued=False,
)
# The sensor's clock steps back within the window, with a backlog under a cap of one.
@example(
    history=[
        StepClock(0.5),
        Land("2018-01-22", 0),
        Land("extra trades", 2),
        Tick(),
        Settle(),
        StepClock(-0.9),
        Land("2018-01-23", 0),
        Tick(),
        Tick(),
    ],
    max_runs=1,
    queued=False,
)
def test_histories_with_the_assets_load_function(instance, history, max_runs, queued):
    reset(instance)
    check_history(instance, QueuedLoadLoop if queued else DirectLoadLoop, history, max_runs)


@settings(max_examples=REAL_RUN_EXAMPLES, **common)
@given(history=st.lists(events, min_size=4, max_size=8), max_runs=runs_per_tick)
@example(
    history=[Land("2018-01-22", 0), Tick(), Land("2018-01-22", BAD_VERSION), Tick(), Land("extra trades", 2)],
    max_runs=1,
)
@pytest.mark.slow
def test_histories_with_real_runs(instance, history, max_runs):
    reset(instance)
    check_history(instance, DaemonLikeLoop, history, max_runs)


# ---- Documented decisions, pinned (docs/reliability.md) ----------------------------------------


@pytest.fixture
def one_file_scenario(tmp_path, instance):
    """A source folder driven by hand, the daemon-like loop over it, and a way to read one partition."""
    reset(instance)
    folder = SourceFolderHistory(etl_settings.source_dir(tmp_path))
    loop = DaemonLikeLoop(build_definitions(tmp_path), instance)
    database = etl_settings.database_path(tmp_path)
    return folder, loop, lambda key: loaded_rows(read_table(database, DYNAMIC_TABLE), key)


def version_rows(name: str, version: int) -> list[tuple]:
    return comparable_rows(read_text_rows(file_text(name, version), name))


@pytest.mark.slow
def test_a_deleted_file_keeps_its_rows_and_is_loaded_again_when_it_comes_back_changed(one_file_scenario):
    folder, loop, rows_of = one_file_scenario
    key = NAMES[0]
    folder.land(key, 0, folder.now)
    assert loop.tick().succeeded == [key]

    folder.apply(Delete(key))
    assert loop.tick().run_requests == []
    assert rows_of(key) == version_rows(key, 0), "deleting a file deletes no rows"

    folder.apply(Land(key, 1))  # it comes back (here with other values)
    assert loop.tick().succeeded == [key]
    assert rows_of(key) == version_rows(key, 1)


def test_a_file_moved_away_and_back_unchanged_is_loaded_again_and_rewrites_nothing(one_file_scenario):
    # `mv` keeps the mtime but sets the change time: a new landing, a new run key. The run finds
    # the bytes it already loaded and replaces no row (its materialization says `unchanged`).
    folder, loop, rows_of = one_file_scenario
    key = NAMES[0]
    path = folder.land(key, 0, folder.now)
    assert loop.tick().succeeded == [key]

    parked = path.with_name(path.name + ".away")
    path.rename(parked)
    assert loop.tick().run_requests == []
    parked.rename(path)
    report = loop.tick()
    assert report.succeeded == [key] and report.skipped_run_keys == []
    assert rows_of(key) == version_rows(key, 0)
    assert last_materialization(loop.instance)["unchanged"].value is True


def last_materialization(instance: dg.DagsterInstance) -> Mapping[str, Any]:
    [event] = instance.fetch_materializations(dg.AssetKey(DYNAMIC_TABLE), limit=1).records
    return event.asset_materialization.metadata


@pytest.mark.slow
def test_a_backup_restored_with_cp_p_after_a_newer_version_is_loaded_and_wins(one_file_scenario):
    # `cp -p` of an old version after a newer one was loaded: its old name, mtime and size, but a
    # change time of now, so a run key of its own; the daemon runs it and its rows win.
    folder, loop, rows_of = one_file_scenario
    key = NAMES[0]
    path = folder.land(key, 0, folder.now)
    backup = folder.backups / "first"
    shutil.copy2(path, backup)
    loop.tick()
    folder.apply(Land(key, 2))
    assert loop.tick().succeeded == [key]
    assert rows_of(key) == version_rows(key, 2)

    shutil.copy2(backup, path)  # cp -p
    report = loop.tick()
    assert report.succeeded == [key] and report.skipped_run_keys == []
    assert rows_of(key) == version_rows(key, 0)
    assert last_materialization(loop.instance)["unchanged"].value is False
    assert loop.tick().run_requests == []  # the same landing is not requested twice


@pytest.mark.slow
def test_a_same_size_rewrite_that_puts_the_mtime_back_is_loaded(one_file_scenario):
    folder, loop, rows_of = one_file_scenario
    key = NAMES[0]
    path = folder.land(key, 0, folder.now)
    assert loop.tick().succeeded == [key]
    before = path.stat()
    folder.land(key, 1, before.st_mtime_ns // 1_000_000_000)  # same size (versions 0 and 1), mtime put back
    after = path.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    report = loop.tick()
    assert report.succeeded == [key] and report.skipped_run_keys == []
    assert rows_of(key) == version_rows(key, 1)
