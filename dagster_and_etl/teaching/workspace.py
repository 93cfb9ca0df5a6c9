"""A lesson's own sandbox: a temporary data root, a Dagster instance and the reference definitions.

Each notebook works in one, so running it never touches the repository's `data/`, gives the
same result twice in a row, and does not depend on another notebook having run.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_and_etl import settings, warehouse
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.sample_data import PREPARED_FILES, stamp, write_sample_data


def drop_prepared(root: Path, prepared: str, at: datetime | None = None) -> Path:
    """Copy a prepared file (a key of `PREPARED_FILES`) from `root/extras/` into `root/source/`
    under its target name, stamped with time `at` (else it keeps the copy's current time)."""
    spec = PREPARED_FILES[prepared]
    source = settings.source_dir(root)
    target = source / spec.target_name
    source.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(root) / "extras" / spec.extras_path, target)
    if at is not None:
        stamp(target, at)
    return target


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
        dagster_home = self.root / "dagster_home"
        dagster_home.mkdir()
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.instance = dg.DagsterInstance.local_temp(str(dagster_home))
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
        return dict(self.defs.resources)

    def drop(self, prepared: str, at: datetime | None = None) -> Path:
        """Drop a prepared file (a key of `PREPARED_FILES`) into `source/`, stamped with time `at`."""
        return drop_prepared(self.root, prepared, at)

    def land(self, name: str, text: str | bytes, at: datetime | None = None) -> Path:
        """Write a file into `source/` (text as is, bytes raw), stamped with time `at`."""
        target = self.source / name
        self.source.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8", newline="")
        if at is not None:
            stamp(target, at)
        return target

    def remove(self, name: str) -> None:
        (self.source / name).unlink(missing_ok=True)

    def table(self, table: str) -> pd.DataFrame:
        return warehouse.read_table(self.database, table)

    def row_counts(self, table: str) -> dict[str, int]:
        return warehouse.row_counts(self.database, table)

    def close(self) -> None:
        """Dispose of the instance and delete the temporary root. Safe to call twice."""
        atexit.unregister(self.close)
        if self.instance is not None:
            self.instance.dispose()
            self.instance = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LessonWorkspace":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
