"""Where the data lives and how the sensor is tuned, read from environment variables.

Every path is derived from the package's location or an absolute override, never from the
working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
# The shipped Dagster instance settings (the duckdb pool's limit): see the file's comments.
INSTANCE_CONFIG = REPO_DIR / "dagster.yaml"
# The same settings on PostgreSQL storage: its `storage:` block only, appended to INSTANCE_CONFIG
# (`cat dagster.yaml dagster_postgres.yaml`), so the pool's settings live in one file. It reads its
# connection from these environment variables (Dagster's own names for them).
POSTGRES_INSTANCE_CONFIG = REPO_DIR / "dagster_postgres.yaml"
PG_USERNAME_ENV = "DAGSTER_PG_USERNAME"
PG_PASSWORD_ENV = "DAGSTER_PG_PASSWORD"
PG_HOST_ENV = "DAGSTER_PG_HOST"
PG_PORT_ENV = "DAGSTER_PG_PORT"
PG_DB_ENV = "DAGSTER_PG_DB"
# The module that holds `defs`. `dagster dev -m` names its code location after it, and
# `[tool.dg.project]` in pyproject.toml gives `dg dev`'s location the same name.
DEFINITIONS_MODULE = "dagster_and_etl.definitions"
# Every server the project starts (dagster dev, moto, JupyterLab) listens here only.
LOOPBACK_HOST = "127.0.0.1"
# A data root's Dagster home folder (DAGSTER_HOME for `make dagster` and the demo).
DAGSTER_HOME_DIR = "dagster_home"

DATA_DIR_ENV = "DAGSTER_ETL_DATA_DIR"
SENSOR_INTERVAL_ENV = "DAGSTER_ETL_SENSOR_INTERVAL"
MAX_RUNS_PER_TICK_ENV = "DAGSTER_ETL_MAX_RUNS_PER_TICK"
LOCK_TIMEOUT_ENV = "DAGSTER_ETL_LOCK_TIMEOUT"
SENSOR_SETTLE_ENV = "DAGSTER_ETL_SENSOR_SETTLE_SECONDS"
# The S3 landing zone: a bucket, a prefix in it (the "folder"), and an endpoint URL for a server
# other than AWS (a local moto server, MinIO). Credentials come from boto3's usual chain
# (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or ~/.aws). No bucket: the S3 sensor skips.
S3_BUCKET_ENV = "DAGSTER_ETL_S3_BUCKET"
S3_PREFIX_ENV = "DAGSTER_ETL_S3_PREFIX"
S3_ENDPOINT_URL_ENV = "DAGSTER_ETL_S3_ENDPOINT_URL"
# The SQS queue the landing bucket notifies of created objects: what `s3_event_sensor` reads
# (its endpoint is the S3 endpoint's: one server, as moto or LocalStack; AWS by default).
S3_QUEUE_URL_ENV = "DAGSTER_ETL_S3_QUEUE_URL"

DEFAULT_SENSOR_INTERVAL_SECONDS = 30
# Dagster validates every requested key against the registered partitions on each tick,
# so a cap keeps the first tick over a full folder short; the backlog drains over ticks.
DEFAULT_MAX_RUNS_PER_TICK = 100
# How long the folder sensor keeps the run keys of files changed recently beside its change-time
# watermark (watermark_cursor). It must exceed how late a change can become visible to a scan:
# the scan itself and the kernel's coarse clock (milliseconds), a small clock correction, and on
# NFS the client's attribute cache (acdirmax, 60 s by default). A longer window never delays a
# request; it only keeps more keys in the cursor (the files changed in the last 2 minutes).
DEFAULT_SENSOR_SETTLE_SECONDS = 120.0
# How long a load waits for DuckDB's file lock before it fails the attempt (the asset's retry
# policy then tries again): readers hold the lock for one query, writers for one transaction.
DEFAULT_LOCK_TIMEOUT_SECONDS = 10


def data_root() -> Path:
    """The data root: `$DAGSTER_ETL_DATA_DIR` if set, else the repository's `data/`."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(override).expanduser().resolve() if override else REPO_DIR / "data"


def source_dir(root: Path) -> Path:
    """The landing folder the jobs read and the sensor watches."""
    return Path(root) / "source"


def database_path(root: Path) -> Path:
    """The DuckDB file the assets write."""
    return Path(root) / "staging" / "data.duckdb"


def dagster_home(root: Path) -> Path:
    """The Dagster instance's folder under a data root."""
    return Path(root) / DAGSTER_HOME_DIR


def _positive_number(env_name: str, default, kind=int):
    """`env_name` as a `kind` (int: a whole number, at least 1; float: more than 0), else `default`."""
    raw = os.environ.get(env_name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{env_name} must be a {'whole number' if kind is int else 'number'}, got {raw!r}") from None
    if value <= 0 or value != value or value == float("inf"):  # NaN and infinity parse as floats
        raise ValueError(f"{env_name} must be {'at least 1' if kind is int else 'more than 0'}, got {raw!r}")
    return value


def _positive_int(env_name: str, default: int) -> int:
    return _positive_number(env_name, default, int)


def sensor_interval_seconds() -> int:
    """The sensor's minimum interval: read once, when the sensor is defined."""
    return _positive_int(SENSOR_INTERVAL_ENV, DEFAULT_SENSOR_INTERVAL_SECONDS)


def max_runs_per_tick() -> int:
    """The per-tick cap on run requests: read on every tick, so it can be changed live."""
    return _positive_int(MAX_RUNS_PER_TICK_ENV, DEFAULT_MAX_RUNS_PER_TICK)


def sensor_settle_seconds() -> float:
    """The folder sensor's settle window in seconds (a decimal allowed): read on every tick."""
    return _positive_number(SENSOR_SETTLE_ENV, DEFAULT_SENSOR_SETTLE_SECONDS, float)


def lock_timeout_seconds() -> int:
    """How long a load waits for DuckDB's file lock per attempt: read when the resources are built."""
    return _positive_int(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT_SECONDS)


def _text(env_name: str) -> str:
    return os.environ.get(env_name, "").strip()


def s3_bucket() -> str:
    """The landing bucket's name, or "" when none is configured."""
    return _text(S3_BUCKET_ENV)


def s3_prefix() -> str:
    """The prefix the landing objects sit directly under: "" (the bucket's top) or ending in "/"."""
    prefix = _text(S3_PREFIX_ENV).lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def s3_endpoint_url() -> str | None:
    """The S3 API's address, or None for AWS itself."""
    return _text(S3_ENDPOINT_URL_ENV) or None


def s3_queue_url() -> str:
    """The URL of the SQS queue that receives the landing bucket's notifications, or "" for none."""
    return _text(S3_QUEUE_URL_ENV)


def s3_event_visibility_timeout_seconds() -> int:
    """How long a notification received by a tick stays hidden from the next ticks: long enough
    for the daemon to store the tick and for the next tick, which deletes it, to come (a few
    intervals); if it passes first, the message comes back and its run key stops a second load."""
    return max(60, 4 * sensor_interval_seconds())
