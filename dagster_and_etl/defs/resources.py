from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl import settings, warehouse
from dagster_and_etl.csv_format import SourceFileError
from dagster_and_etl.file_scan import CSV_SUFFIX, LandedFile, partition_key_problem, scan_folder


class SourceFolder(dg.ConfigurableResource):
    """The landing folder: where the files arrive that the jobs load and the sensor watches."""

    path: str

    @property
    def folder(self) -> Path:
        return Path(self.path)

    def file_for(self, partition_key: str) -> Path:
        """The file a partition key names: `<folder>/<key>.csv`, never anything outside the folder."""
        problem = partition_key_problem(partition_key)
        if problem:
            raise SourceFileError(
                f"{partition_key}{CSV_SUFFIX}",
                f"partition key {partition_key!r} cannot name a file in the source folder: {problem}",
            )
        return self.folder / f"{partition_key}{CSV_SUFFIX}"

    def landed_file(self, partition_key: str) -> Path:
        """The partition's file, which must be there: else a `SourceFileError` saying it has not landed."""
        path = self.file_for(partition_key)
        if not path.is_file():
            raise SourceFileError(
                path,
                f"file not found in {self.folder}: it has not landed yet. "
                "Re-run this partition once the file is there.",
            )
        return path

    def scan(self) -> tuple[list[LandedFile], list[str]]:
        return scan_folder(self.folder)


class WarehouseDatabase(DuckDBResource):
    """`DuckDBResource` with a write connection that waits at most `lock_timeout_seconds` for the
    file lock and is closed however the `with` block ends.

    `DuckDBResource.get_connection` (dagster_duckdb/resource.py) retries its connection 10 times
    with exponential backoff (about 100 s in all) and closes it only when the block succeeds.
    Here a lock held longer than the timeout fails the attempt at once with DuckDB's
    `IOException`, and the asset's retry policy tries again later; nothing stays open.
    """

    lock_timeout_seconds: float = settings.DEFAULT_LOCK_TIMEOUT_SECONDS

    @contextmanager
    def get_connection(self):
        database = Path(self.database)
        database.parent.mkdir(parents=True, exist_ok=True)
        connection = warehouse.connect(
            database,
            read_only=False,
            timeout_seconds=self.lock_timeout_seconds,
            config={"custom_user_agent": "dagster", **self.connection_config},
        )
        try:
            yield connection
        finally:
            connection.close()


def build_resources(data_root: Path) -> dict:
    """The resources for one data root: its source folder and its DuckDB file."""
    return {
        "source": SourceFolder(path=str(settings.source_dir(data_root))),
        "database": WarehouseDatabase(
            database=str(settings.database_path(data_root)), lock_timeout_seconds=settings.lock_timeout_seconds()
        ),
    }
