"""The S3 landing zone against moto's S3 server on 127.0.0.1 (`LocalObjectStore`, in this process):
the S3 sensor through `evaluate_tick` with a real instance, its runs executed as the daemon does
(`DaemonLikeLoop`), the rows checked in DuckDB. The sensor shares the folder sensor's logic
(`defs/sensors.py: request_changes`), so the same guarantees are checked here against a bucket:
late, replaced and partial objects, the per-tick cap, an unreadable cursor, pagination."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd
import pytest
from landing_objects import DAYS, PREFIX, put_day, put_junk

from dagster_and_etl import settings
from dagster_and_etl.csv_format import HEADER_LINE, read_source_text
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.defs.assets import VALID_FILE_CHECK
from dagster_and_etl.sample_data import day_csv, source_days
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.live.object_store import LocalObjectStore, landing_zone_env
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.warehouse import S3_TABLE, read_table, row_counts

SENSOR = "s3_sensor"


@pytest.fixture(scope="module")
def store():
    with LocalObjectStore(bucket="landing") as running:
        yield running


@pytest.fixture
def bucket(store):
    """The bucket emptied for each test."""
    for page in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket):
        for item in page.get("Contents", []):
            store.client.delete_object(Bucket=store.bucket, Key=item["Key"])
    return store


@pytest.fixture
def landing_env(bucket, monkeypatch):
    for name, value in landing_zone_env(bucket, PREFIX).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def loop(landing_env, tmp_path):
    with dg.instance_for_test() as instance:
        yield DaemonLikeLoop(build_definitions(tmp_path / "data"), instance, sensor_name=SENSOR)


def database(loop: DaemonLikeLoop):
    return loop.defs.resources["database"].database


@pytest.mark.slow
def test_objects_land_and_load_with_their_version_and_junk_is_never_requested(bucket, loop):
    for day in DAYS[:3]:
        put_day(bucket, day)
    put_junk(bucket)

    with quiet() as log:
        report = loop.tick()
    assert sorted(r.partition_key for r in report.run_requests) == DAYS[:3]
    assert sorted(report.succeeded) == DAYS[:3] and not report.failed
    assert any("bad...key.csv" in m for m in log.messages("WARNING"))
    assert row_counts(database(loop), S3_TABLE) == {day: 8 for day in DAYS[:3]}
    # Every row names the object version it came from: the run key the sensor requested.
    table = read_table(database(loop), S3_TABLE)
    requested = {r.partition_key: r.run_key for r in report.run_requests}
    assert {k: set(g) for k, g in table.groupby("partition_key")["source_version"]} == {
        k: {v} for k, v in requested.items()
    }
    assert loop.tick().run_requests == []


def test_a_replaced_object_is_loaded_again_and_replaces_its_rows(bucket, loop):
    put_day(bucket, DAYS[0])
    loop.drain()
    before = read_table(database(loop), S3_TABLE)
    corrected = day_csv(source_days()[0], "corrected")
    put_day(bucket, DAYS[0], corrected)
    report = loop.tick()
    assert [r.partition_key for r in report.run_requests] == [DAYS[0]] and report.succeeded == [DAYS[0]]
    after = read_table(database(loop), S3_TABLE)
    assert len(after) == 8 and sorted(after.share_price) != sorted(before.share_price)


def test_a_multipart_upload_is_requested_once_complete_whatever_its_last_modified(bucket, loop):
    """In progress it is not listed; completed, it is new by run key, not by time: on AWS its
    LastModified is when the upload began, older than objects that landed meanwhile."""
    key = f"{PREFIX}{DAYS[1]}.csv"
    upload = bucket.client.create_multipart_upload(Bucket=bucket.bucket, Key=key)
    part = bucket.client.upload_part(
        Bucket=bucket.bucket,
        Key=key,
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=day_csv(source_days()[1]).encode(),
    )
    put_day(bucket, DAYS[0])
    assert [r.partition_key for r in loop.tick().run_requests] == [DAYS[0]]
    bucket.client.complete_multipart_upload(
        Bucket=bucket.bucket,
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    report = loop.tick()
    assert [r.partition_key for r in report.run_requests] == [DAYS[1]] and report.succeeded == [DAYS[1]]
    assert row_counts(database(loop), S3_TABLE) == {DAYS[0]: 8, DAYS[1]: 8}


@pytest.mark.slow
def test_a_backlog_drains_under_the_per_tick_cap(bucket, loop, monkeypatch):
    monkeypatch.setenv(settings.MAX_RUNS_PER_TICK_ENV, "2")
    for day in DAYS[:5]:
        put_day(bucket, day)
    reports = loop.drain()
    assert [len(r.run_requests) for r in reports] == [2, 2, 1, 0]
    assert row_counts(database(loop), S3_TABLE) == {day: 8 for day in DAYS[:5]}


def test_an_unreadable_cursor_costs_no_object(bucket, loop):
    put_day(bucket, DAYS[0])
    loop.drain()
    put_day(bucket, DAYS[1])
    loop.cursor = '{"2018-01-22.csv": 1516600000.0}'  # the course sensor's format
    with quiet() as log:
        report = loop.tick()
    assert any(m.startswith("Discarding a cursor this sensor cannot read") for m in log.messages("WARNING"))
    assert sorted(r.partition_key for r in report.run_requests) == DAYS[:2]
    assert report.succeeded == [DAYS[1]] and len(report.skipped_run_keys) == 1
    assert loop.tick().run_requests == []


def test_a_bad_object_fails_its_check_naming_the_key_and_row_and_keeps_the_rows(bucket, loop):
    put_day(bucket, DAYS[0])
    loop.drain()
    before = read_table(database(loop), S3_TABLE)
    lines = day_csv(source_days()[0]).splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "-3.50", 1)
    put_day(bucket, DAYS[0], "\n".join(lines) + "\n")
    report = loop.tick()
    assert report.failed == {DAYS[0]: f"{DAYS[0]}.csv, row 3 (line 4): share_price must be greater than 0, got -3.50"}
    assert read_table(database(loop), S3_TABLE).equals(before)
    [run] = loop.instance.get_runs(limit=1)
    [check] = [
        e.dagster_event.event_specific_data
        for e in loop.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    assert (check.check_name, check.passed) == (VALID_FILE_CHECK, False)
    assert check.metadata["file"].value == f"{PREFIX}{DAYS[0]}.csv" and check.metadata["row"].value == 3


@pytest.mark.slow
def test_listing_pages_beyond_1000_keys(bucket, loop, monkeypatch):
    monkeypatch.setenv(settings.MAX_RUNS_PER_TICK_ENV, "5000")
    names = [f"trades-{n:05d}" for n in range(1_100)]
    for name in names:
        bucket.put(f"{PREFIX}{name}.csv", HEADER_LINE + "\n")
    data = loop.defs.resolve_sensor_def(SENSOR).evaluate_tick(
        dg.build_sensor_context(
            instance=loop.instance,
            instance_ref=loop.instance.get_ref(),
            definitions=loop.defs,
            resources=loop.defs.resources,
        )
    )
    assert sorted(r.partition_key for r in data.run_requests) == names


def test_with_no_bucket_configured_the_sensor_skips_and_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.S3_BUCKET_ENV, raising=False)
    with dg.instance_for_test() as instance:
        report = DaemonLikeLoop(build_definitions(tmp_path), instance, sensor_name=SENSOR).tick()
    assert report.run_requests == []
    assert report.skip_message.startswith(f"No landing bucket is configured: set {settings.S3_BUCKET_ENV}")


# ---- Every version that lands is loaded (issue 22) -------------------------------------------


def materializations(loop: DaemonLikeLoop) -> list[Mapping[str, Any]]:
    """The S3 asset's materializations' metadata, newest first."""
    records = loop.instance.fetch_materializations(dg.AssetKey(S3_TABLE), limit=100).records
    return [record.asset_materialization.metadata for record in records]


def next_second() -> None:
    """Wait until S3's LastModified (whole seconds) can differ from an upload made just before."""
    time.sleep(1.05 - time.time() % 1)


def test_the_same_bytes_uploaded_again_are_requested_and_rewrite_nothing(bucket, loop):
    put_day(bucket, DAYS[0])
    first = loop.tick()
    assert first.succeeded == [DAYS[0]]
    before = read_table(database(loop), S3_TABLE)
    next_second()
    put_day(bucket, DAYS[0])  # identical bytes: the same ETag, a new LastModified
    again = loop.tick()
    assert again.succeeded == [DAYS[0]] and again.skipped_run_keys == []
    assert again.run_requests[0].run_key != first.run_requests[0].run_key
    latest = materializations(loop)[0]
    assert latest["unchanged"].value is True and latest["loaded_version"].value == again.run_requests[0].run_key
    after = read_table(database(loop), S3_TABLE)
    pd.testing.assert_frame_equal(
        after.drop(columns=["source_version", "source_landed_ns"]),
        before.drop(columns=["source_version", "source_landed_ns"]),
    )
    assert loop.tick().run_requests == []


def test_a_restored_older_object_version_is_requested_loaded_and_wins(bucket, loop):
    bucket.client.put_bucket_versioning(Bucket=bucket.bucket, VersioningConfiguration={"Status": "Enabled"})
    try:
        key = f"{PREFIX}{DAYS[0]}.csv"
        original = day_csv(source_days()[0])
        put_day(bucket, DAYS[0], original)
        loop.drain()
        versions = bucket.client.list_object_versions(Bucket=bucket.bucket, Prefix=key)["Versions"]
        first = next(v for v in versions if v["IsLatest"])
        next_second()
        put_day(bucket, DAYS[0], day_csv(source_days()[0], "corrected"))
        assert loop.tick().succeeded == [DAYS[0]]
        next_second()
        # Restore the first version: a copy of it over the current one (what the S3 console's
        # "restore" does). Its bytes and ETag are the first version's, its LastModified is now.
        bucket.client.copy_object(
            Bucket=bucket.bucket,
            Key=key,
            CopySource={"Bucket": bucket.bucket, "Key": key, "VersionId": first["VersionId"]},
        )
        report = loop.tick()
        assert report.succeeded == [DAYS[0]] and report.skipped_run_keys == []
        assert materializations(loop)[0]["unchanged"].value is False
        table = read_table(database(loop), S3_TABLE)
        expected = read_source_text(f"{DAYS[0]}.csv", original, source_days()[0])
        assert sorted(table.share_price) == sorted(expected.share_price)
    finally:
        bucket.client.put_bucket_versioning(Bucket=bucket.bucket, VersioningConfiguration={"Status": "Suspended"})
