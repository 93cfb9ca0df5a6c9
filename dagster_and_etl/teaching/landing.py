"""Land files in a lesson's source folder as if at a given moment of a virtual morning.

A file's run key holds its modification time, and the course sensor records the *folder's*
modification time, so both are stamped: the file with the time it was written (`mtime`), the
folder with the time it changed (`at`), as the file system would have done at that moment. A
file replaced in place changes the file's mtime but not the folder's, exactly as on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from dagster_and_etl.sample_data import PREPARED_FILES, arrival_time, day_csv, stamp
from dagster_and_etl.teaching.workspace import LessonWorkspace


def _landed(workspace: LessonWorkspace, name: str, write: Callable[[], Path], at: datetime) -> Path:
    """`write()` (a workspace method that stamps the file), then the folder at `at` if `name` is new."""
    is_new_entry = not (workspace.source / name).exists()
    target = write()
    if is_new_entry:  # a new name changes the folder; rewriting an existing file does not
        stamp(workspace.source, at)
    return target


def land_prepared(workspace: LessonWorkspace, prepared: str, mtime: datetime, at: datetime | None = None) -> Path:
    """Drop a prepared file (a key of `PREPARED_FILES`) written at `mtime`, landing at `at`."""
    name = PREPARED_FILES[prepared].target_name
    return _landed(workspace, name, lambda: workspace.drop(prepared, at=mtime), at or mtime)


def land_day(workspace: LessonWorkspace, day: date, at: datetime | None = None) -> Path:
    """Write one day's sample file, stamped with its usual arrival time (05:00 the next morning)."""
    name, written = f"{day.isoformat()}.csv", arrival_time(day)
    return _landed(workspace, name, lambda: workspace.land(name, day_csv(day), at=written), at or written)


def land_text(workspace: LessonWorkspace, name: str, text: str, mtime: datetime, at: datetime | None = None) -> Path:
    """Write any file (a stray note, a hidden file) into the source folder."""
    return _landed(workspace, name, lambda: workspace.land(name, text, at=mtime), at or mtime)


def rename(workspace: LessonWorkspace, old_name: str, new_name: str, at: datetime) -> Path:
    """Rename within the source folder (the last step of write-then-rename); the file keeps its mtime."""
    target = (workspace.source / old_name).rename(workspace.source / new_name)
    stamp(workspace.source, at)
    return target


def remove(workspace: LessonWorkspace, name: str, at: datetime) -> None:
    workspace.remove(name)
    stamp(workspace.source, at)
