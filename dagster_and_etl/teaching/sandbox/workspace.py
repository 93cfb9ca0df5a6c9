"""A lesson's own sandbox: a temporary data root, a Dagster instance and the reference definitions.

Each notebook works in one, so running it never touches the repository's `data/`, gives the
same result twice in a row, and does not depend on another notebook having run.

Every time argument has one meaning. `mtime` is a file's modification time, the time it was
written: it is part of the file's run key. `folder_mtime` is the source folder's, the time a name
in it appeared, went or changed, which the course sensor records. `LessonWorkspace.drop` and
`.land` stamp only the file; `land_prepared`, `land_day`, `land_text`, `rename` and `remove`
stamp the folder too, as the file system would have done at that moment: a file replaced in
place changes the file's mtime but not the folder's, exactly as on disk.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_and_etl import settings, warehouse
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.sample_data import PREPARED_FILES, arrival_time, day_csv, stamp, write_sample_data

# The kernel stamps change times from its coarse clock, which moves one jiffy at a time: at most
# 10 ms (the lowest HZ, 100). Files landed within one jiffy share a change time.
CHANGE_CLOCK_STEP_NS = 10_000_000


def past_its_change_time(path: Path) -> Path:
    """Return `path` once the coarse clock has passed its change time: the next file landed gets a
    later one. Sensors request files oldest change time first, ties by name; without this, two
    files landed in one step tie or not by chance, and a lesson's output would change order."""
    change_time_ns = path.stat().st_ctime_ns
    while time.time_ns() <= change_time_ns + CHANGE_CLOCK_STEP_NS:
        time.sleep(0.002)
    return path


def drop_prepared(root: Path, prepared: str, mtime: datetime | None = None) -> Path:
    """Copy a prepared file (a key of `PREPARED_FILES`) from `root/extras/` into `root/source/`
    under its target name, modified at `mtime` (else it keeps the copy's current time)."""
    spec = PREPARED_FILES[prepared]
    source = settings.source_dir(root)
    target = source / spec.target_name
    source.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(root) / "extras" / spec.extras_path, target)
    if mtime is not None:
        stamp(target, mtime)
    return past_its_change_time(target)


class LessonWorkspace:
    """Sample data in a fresh temporary root, with a real (temporary, on-disk) Dagster instance.

    `defs` are the package's reference definitions over this root; a lesson's own in-place
    definitions use `resources` to point at the same files and database.
    """

    def __init__(self, name: str, with_source_files: bool = True):
        self.root = Path(tempfile.mkdtemp(prefix=f"dagster-etl-{name}-"))
        write_sample_data(self.root)
        if not with_source_files:
            for path in self.source.glob("*.csv"):
                path.unlink()
        self.defs = build_definitions(self.root)
        dagster_home = settings.dagster_home(self.root)
        dagster_home.mkdir()
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.instance = dg.DagsterInstance.local_temp(str(dagster_home))
        self._closed = False
        atexit.register(self.close)

    @property
    def source(self) -> Path:
        return settings.source_dir(self.root)

    @property
    def extras(self) -> Path:
        return self.root / "extras"

    @property
    def database(self) -> Path:
        return settings.database_path(self.root)

    @property
    def resources(self) -> dict:
        """The resources of the reference definitions: the same folder and database."""
        return dict(self.defs.resources or {})

    def drop(self, prepared: str, mtime: datetime | None = None) -> Path:
        """Drop a prepared file (a key of `PREPARED_FILES`) into `source/`, modified at `mtime`."""
        return drop_prepared(self.root, prepared, mtime)

    def land(self, name: str, text: str | bytes, mtime: datetime | None = None) -> Path:
        """Write a file into `source/` (text as is, bytes raw), modified at `mtime`."""
        target = self.source / name
        self.source.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8", newline="")
        if mtime is not None:
            stamp(target, mtime)
        return past_its_change_time(target)

    def remove(self, name: str) -> None:
        (self.source / name).unlink(missing_ok=True)

    def table(self, table: str) -> pd.DataFrame:
        return warehouse.read_table(self.database, table)

    def row_counts(self, table: str) -> dict[str, int]:
        return warehouse.row_counts(self.database, table)

    def close(self) -> None:
        """Dispose of the instance and delete the temporary root. Safe to call twice."""
        atexit.unregister(self.close)
        if not self._closed:
            self.instance.dispose()
            self._closed = True
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LessonWorkspace:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _landed(workspace: LessonWorkspace, name: str, write: Callable[[], Path], folder_mtime: datetime) -> Path:
    """`write()` (a workspace method that stamps the file), then the folder at `folder_mtime` if `name` is new."""
    is_new_entry = not (workspace.source / name).exists()
    target = write()
    if is_new_entry:  # a new name changes the folder; rewriting an existing file does not
        stamp(workspace.source, folder_mtime)
    return target


def land_prepared(
    workspace: LessonWorkspace, prepared: str, mtime: datetime, folder_mtime: datetime | None = None
) -> Path:
    """Drop a prepared file (a key of `PREPARED_FILES`) written at `mtime`, landing at `folder_mtime` (else `mtime`)."""
    name = PREPARED_FILES[prepared].target_name
    return _landed(workspace, name, lambda: workspace.drop(prepared, mtime=mtime), folder_mtime or mtime)


def land_day(workspace: LessonWorkspace, day: date, folder_mtime: datetime | None = None) -> Path:
    """Write one day's sample file, modified at its usual arrival time (05:00 the next morning)."""
    name, written = f"{day.isoformat()}.csv", arrival_time(day)
    return _landed(workspace, name, lambda: workspace.land(name, day_csv(day), mtime=written), folder_mtime or written)


def land_text(
    workspace: LessonWorkspace, name: str, text: str, mtime: datetime, folder_mtime: datetime | None = None
) -> Path:
    """Write any file (a stray note, a hidden file) into the source folder."""
    return _landed(workspace, name, lambda: workspace.land(name, text, mtime=mtime), folder_mtime or mtime)


def rename(workspace: LessonWorkspace, old_name: str, new_name: str, folder_mtime: datetime) -> Path:
    """Rename within the source folder (the last step of write-then-rename); the file keeps its mtime."""
    target = (workspace.source / old_name).rename(workspace.source / new_name)
    stamp(workspace.source, folder_mtime)
    return past_its_change_time(target)


def remove(workspace: LessonWorkspace, name: str, folder_mtime: datetime) -> None:
    workspace.remove(name)
    stamp(workspace.source, folder_mtime)
