from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl import bucket_events, bucket_scan, settings, warehouse, watermark_cursor
from dagster_and_etl.csv_format import SourceFileError
from dagster_and_etl.file_scan import (
    CHANGE_TIME_IS_KEPT_BY_THE_KERNEL,
    CSV_SUFFIX,
    NO_WATERMARK,
    Changes,
    FileVersion,
    FolderScan,
    TickPlan,
    find_changes,
    partition_key_problem,
    plan_digest_tick,
    scan_changes,
    scan_folder,
)


def checked_partition_key(partition_key: str) -> str:
    """`partition_key`, if it can name a file in a landing folder or bucket prefix; else a
    `SourceFileError` saying why (so it can never reach outside it)."""
    problem = partition_key_problem(partition_key)
    if problem:
        raise SourceFileError(
            f"{partition_key}{CSV_SUFFIX}",
            f"partition key {partition_key!r} cannot name a file in the source folder: {problem}",
        )
    return partition_key


class SourceFolder(dg.ConfigurableResource):
    """The landing folder: where the files arrive that the jobs load and the sensor watches."""

    path: str

    @property
    def folder(self) -> Path:
        return Path(self.path)

    def file_for(self, partition_key: str) -> Path:
        """The file a partition key names: `<folder>/<key>.csv`, never anything outside the folder."""
        return self.folder / f"{checked_partition_key(partition_key)}{CSV_SUFFIX}"

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

    def scan(self, changed_after_ns: int = NO_WATERMARK) -> FolderScan:
        return scan_folder(self.folder, changed_after_ns)

    def plan_tick(self, stored_cursor: str | None) -> TickPlan:
        """One sensor tick over the folder: the change-time watermark (`watermark_cursor`), with
        the settle window and cap read now; where the change time is a creation time (Windows),
        the run-key digest set instead."""
        if not CHANGE_TIME_IS_KEPT_BY_THE_KERNEL:
            return plan_digest_tick(
                stored_cursor,
                lambda seen, legacy: scan_changes(self.folder, seen, legacy),
                settings.max_runs_per_tick(),
            )
        settle_ns = round(settings.sensor_settle_seconds() * 1e9)
        return watermark_cursor.plan_tick(stored_cursor, self.scan, settle_ns, settings.max_runs_per_tick())


class LandingBucket(dg.ConfigurableResource):
    """The S3 landing zone: the objects directly under `prefix` in `bucket`, through boto3
    (credentials from its usual chain), and the SQS queue at `queue_url` that the bucket notifies
    of landed objects. An empty `bucket` means no landing zone is configured; an empty
    `queue_url`, no notifications."""

    bucket: str = ""
    prefix: str = ""
    endpoint_url: str | None = None
    queue_url: str = ""

    @property
    def is_configured(self) -> bool:
        return bool(self.bucket)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def client(self, service: str = "s3"):
        import boto3  # only when a bucket is used: boto3 adds a second to every import of the definitions

        return boto3.client(service, endpoint_url=self.endpoint_url)

    def scan_changes(self, seen: set[bytes], legacy: bool = False) -> Changes:
        """What the bucket sensor sees, in the folder sensor's terms (`file_scan.find_changes`)."""
        unusable: list[str] = []
        entries = bucket_scan.list_entries(self.client(), self.bucket, self.prefix, unusable)
        return find_changes(entries, seen, unusable, legacy)

    def plan_tick(self, stored_cursor: str | None) -> TickPlan:
        """One sensor tick over the prefix, with the run-key digest set: an object's LastModified
        is when its upload *started* (multipart), so no time watermark can be trusted here."""
        return plan_digest_tick(stored_cursor, self.scan_changes, settings.max_runs_per_tick())

    def plan_event_tick(self, stored_cursor: str | None) -> TickPlan:
        """One tick over the bucket's notifications (`bucket_events`): what arrived, not the bucket."""
        return bucket_events.plan_event_tick(
            stored_cursor,
            self.client(),
            self.client("sqs"),
            self.bucket,
            self.prefix,
            self.queue_url,
            settings.max_runs_per_tick(),
            settings.s3_event_visibility_timeout_seconds(),
        )

    def read(self, partition_key: str) -> tuple[bytes, FileVersion]:
        """The object a partition key names (`<prefix><key>.csv`) and its version; a
        `SourceFileError` when there is no such object."""
        key = bucket_scan.object_key(self.prefix, checked_partition_key(partition_key))
        client = self.client()
        try:
            return bucket_scan.read_object(client, self.bucket, key)
        except client.exceptions.NoSuchKey:
            raise SourceFileError(
                key,
                f"object not found in {self.location}: it has not landed yet. Re-run this partition once it is there.",
            ) from None


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
    """The resources for one data root (its source folder and its DuckDB file) and the S3 landing
    zone of the environment (`DAGSTER_ETL_S3_*`)."""
    return {
        "source": SourceFolder(path=str(settings.source_dir(data_root))),
        "landing_bucket": LandingBucket(
            bucket=settings.s3_bucket(),
            prefix=settings.s3_prefix(),
            endpoint_url=settings.s3_endpoint_url(),
            queue_url=settings.s3_queue_url(),
        ),
        "database": WarehouseDatabase(
            database=str(settings.database_path(data_root)), lock_timeout_seconds=settings.lock_timeout_seconds()
        ),
    }
