"""The event-notified S3 landing zone (`s3_event_sensor`, `bucket_events`) against moto's S3 and SQS
server on 127.0.0.1: the bucket notifies a real queue (moto sends S3's test event, then one
`ObjectCreated:Put` or `ObjectRemoved:Delete` record per matching key), the sensor ticks through
`evaluate_tick` and its runs are launched as the daemon launches them (`DaemonLikeLoop`: the
partitions added, the run-key check, `execute_in_process`), the rows checked in DuckDB.

Where a test counts API calls or plays a tick the daemon never stored, it calls
`bucket_events.plan_event_tick` with clients of its own."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from landing_objects import DAYS, PREFIX, put_day, put_junk

from dagster_and_etl import bucket_events, settings
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.sample_data import day_csv, source_days
from dagster_and_etl.teaching.kernel.quiet import quiet
from dagster_and_etl.teaching.live.daemon_view import wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.live.object_store import LocalObjectStore, landing_zone_env, s3_client
from dagster_and_etl.teaching.live.processes import live_processes_in_group
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.warehouse import S3_TABLE, read_table, row_counts

SENSOR = "s3_event_sensor"
CURSOR_LIMIT_BYTES = 2048  # what a cursor may hold once the queue has been empty


@pytest.fixture(scope="module")
def store():
    with LocalObjectStore(bucket="landing") as running:
        yield running


@pytest.fixture
def bucket(store, monkeypatch):
    """The bucket emptied, its notifications off, and the landing zone's settings in the environment."""
    store.client.put_bucket_notification_configuration(Bucket=store.bucket, NotificationConfiguration={})
    for page in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket):
        for item in page.get("Contents", []):
            store.client.delete_object(Bucket=store.bucket, Key=item["Key"])
    for name, value in landing_zone_env(store, PREFIX).items():
        monkeypatch.setenv(name, value)
    return store


def notify(store: LocalObjectStore, monkeypatch) -> str:
    """A new queue the bucket notifies from now on, named in the environment; its URL."""
    queue_url = store.notify_queue(PREFIX, queue=f"events-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv(settings.S3_QUEUE_URL_ENV, queue_url)
    return queue_url


@pytest.fixture
def queue_url(bucket, monkeypatch) -> str:
    return notify(bucket, monkeypatch)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def daemon(instance, tmp_path) -> DaemonLikeLoop:
    """The sensor ticked and its runs launched as the daemon does, built once the environment is set."""
    return DaemonLikeLoop(build_definitions(tmp_path / "data"), instance, sensor_name=SENSOR)


def tick(loop: DaemonLikeLoop):
    with quiet():
        return loop.tick()


def loaded(loop: DaemonLikeLoop) -> dict[str, int]:
    database = loop.defs.resources["database"].database
    return row_counts(database, S3_TABLE) if Path(database).exists() else {}


def messages_left(store: LocalObjectStore, queue: str) -> int:
    """The queue's messages, visible or received and not yet deleted."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    sqs = s3_client(store.endpoint_url, "sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def counted_clients(store: LocalObjectStore, calls: list[str]):
    """An S3 and an SQS client that record the name of every API call they make."""
    clients = s3_client(store.endpoint_url), s3_client(store.endpoint_url, "sqs")
    for client in clients:
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    return clients


def plan(store: LocalObjectStore, queue: str, cursor: str | None, clients, max_runs=100, visibility_timeout=30):
    s3, sqs = clients
    return bucket_events.plan_event_tick(cursor, s3, sqs, store.bucket, PREFIX, queue, max_runs, visibility_timeout)


@pytest.mark.slow
def test_landed_objects_load_and_junk_is_never_requested(bucket, queue_url, instance, tmp_path):
    loop = daemon(instance, tmp_path)
    for day in DAYS[:3]:
        put_day(bucket, day)
    put_junk(bucket)

    first = tick(loop)
    assert sorted(first.succeeded) == DAYS[:3] and not first.failed
    assert loaded(loop) == {day: 8 for day in DAYS[:3]}
    tick(loop)  # acknowledges the first tick's messages
    assert messages_left(bucket, queue_url) == 0
    quiet_tick = tick(loop)
    assert not quiet_tick.run_requests and "No new or changed files" in quiet_tick.skip_message
    assert len(quiet_tick.cursor_after) <= CURSOR_LIMIT_BYTES


@pytest.mark.slow
def test_a_quiet_tick_costs_one_queue_read_whatever_the_bucket_holds(bucket, monkeypatch):
    for n in range(150):  # landed before the notifications: only the first ticks' listing sees them
        bucket.put(f"{PREFIX}{n:04d}.csv", "x")
    queue = notify(bucket, monkeypatch)
    calls: list[str] = []
    clients = counted_clients(bucket, calls)
    cursor, requested = None, set()
    for _ in range(5):
        result = plan(bucket, queue, cursor, clients, max_runs=100)
        cursor = result.cursor
        requested |= {f.name for f in result.batch}
    assert len(requested) == 150  # the reconciliation listed them all, a page under the cap a tick

    calls.clear()
    quiet = plan(bucket, queue, cursor, clients)
    assert calls == ["ReceiveMessage"] and quiet.batch == []
    assert quiet.cursor == cursor and len(cursor) <= CURSOR_LIMIT_BYTES

    bucket.put(f"{PREFIX}new.csv", "y")
    calls.clear()
    one = plan(bucket, queue, cursor, clients)
    assert [f.name for f in one.batch] == ["new.csv"]
    assert calls == ["ReceiveMessage", "ReceiveMessage", "HeadObject"]  # the second read finds the queue empty
    calls.clear()
    after = plan(bucket, queue, one.cursor, clients)
    assert calls == ["DeleteMessageBatch", "ReceiveMessage"] and after.batch == []


@pytest.mark.slow
def test_objects_from_before_the_notifications_are_reconciled_under_the_cap(bucket, monkeypatch, instance, tmp_path):
    for day in DAYS[:5]:
        put_day(bucket, day)
    notify(bucket, monkeypatch)
    monkeypatch.setenv(settings.MAX_RUNS_PER_TICK_ENV, "2")
    loop = daemon(instance, tmp_path)
    per_tick = [sorted(tick(loop).succeeded) for _ in range(4)]
    assert per_tick == [DAYS[0:2], DAYS[2:4], DAYS[4:5], []]
    assert loaded(loop) == {day: 8 for day in DAYS[:5]}

    loop.cursor = None  # reset, as after the queue was purged: the listing runs again
    again = tick(loop)
    assert len(again.run_requests) == 2 and len(again.skipped_run_keys) == 2 and not again.succeeded


@pytest.mark.slow
def test_duplicate_redelivered_and_out_of_order_events_load_the_current_version_once(
    bucket, queue_url, instance, tmp_path
):
    loop = daemon(instance, tmp_path)
    day = DAYS[0]
    put_day(bucket, day, day_csv(source_days()[0]))
    corrected = day_csv(source_days()[0]).replace(",1", ",9", 1)
    put_day(bucket, day, corrected)  # two events for one key; the first is out of date
    first = tick(loop)
    assert [r.partition_key for r in first.run_requests] == [day]  # one request: the current version
    assert read_table(loop.defs.resources["database"].database, S3_TABLE).shape[0] == 8
    version_key = first.run_requests[0].run_key

    # The first event again, delivered late (SQS delivers at least once, in no set order).
    sqs = s3_client(bucket.endpoint_url, "sqs")
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}
    record["s3"] = {"bucket": {"name": bucket.bucket}, "object": {"key": f"{PREFIX}{day}.csv"}}
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"Records": [record]}))
    late = tick(loop)
    assert [r.run_key for r in late.run_requests] == [version_key] and late.skipped_run_keys == [version_key]


@pytest.mark.slow
def test_test_events_foreign_messages_and_keys_outside_the_prefix_are_acknowledged_never_requested(
    bucket, queue_url, instance, tmp_path
):
    loop = daemon(instance, tmp_path)
    sqs = s3_client(bucket.endpoint_url, "sqs")
    other = {"eventSource": "aws:s3", "s3": {"bucket": {"name": "another-bucket"}, "object": {"key": "x.csv"}}}
    outside = {"eventSource": "aws:s3", "s3": {"bucket": {"name": bucket.bucket}, "object": {"key": "elsewhere.csv"}}}
    for body in ["hello", json.dumps({"Records": "none"}), json.dumps({"Records": [other, outside]})]:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    first = tick(loop)  # S3's own test event (sent when the notifications were set up) is among them
    assert first.run_requests == []
    assert first.warnings == [] or all("not an S3 event" in w for w in first.warnings)
    tick(loop)
    assert messages_left(bucket, queue_url) == 0


@pytest.mark.slow
def test_foreign_messages_are_named_in_the_log(bucket, queue_url):
    sqs = s3_client(bucket.endpoint_url, "sqs")
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    result = plan(bucket, queue_url, None, (s3_client(bucket.endpoint_url), sqs))
    assert result.warnings == ["Ignoring a queue message that is not an S3 event notification: its body is not JSON."]


@pytest.mark.slow
def test_a_deleted_object_is_not_requested_and_its_rows_stay(bucket, queue_url, instance, tmp_path):
    loop = daemon(instance, tmp_path)
    put_day(bucket, DAYS[0])
    assert tick(loop).succeeded == [DAYS[0]]
    bucket.client.delete_object(Bucket=bucket.bucket, Key=f"{PREFIX}{DAYS[0]}.csv")
    after = tick(loop)
    assert after.run_requests == [] and loaded(loop) == {DAYS[0]: 8}


@pytest.mark.slow
def test_a_tick_the_daemon_never_stored_loses_nothing(bucket, queue_url, instance, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "s3_event_visibility_timeout_seconds", lambda: 1)
    loop = daemon(instance, tmp_path)
    put_day(bucket, DAYS[0])

    # The code server evaluates a tick, and the daemon dies before storing it or launching a run.
    stored = loop.cursor
    with quiet():
        lost = loop.defs.resolve_sensor_def(SENSOR).evaluate_tick(
            dg.build_sensor_context(
                cursor=stored,
                instance=instance,
                instance_ref=instance.get_ref(),
                definitions=loop.defs,
                resources=loop.defs.resources,
            )
        )
    assert [r.partition_key for r in lost.run_requests] == [DAYS[0]]
    time.sleep(1.5)  # the message's visibility timeout passes: it is back in the queue
    first = tick(loop)
    assert first.succeeded == [DAYS[0]]

    # The daemon launches the run, then dies before storing the tick: the run key stops a second load.
    stored = loop.cursor
    put_day(bucket, DAYS[1])
    launched = tick(loop)
    assert launched.succeeded == [DAYS[1]]
    loop.cursor = stored
    time.sleep(1.5)
    replayed = tick(loop)
    assert [k.split("@")[0] for k in replayed.skipped_run_keys] == [f"{DAYS[1]}.csv"] and not replayed.succeeded
    assert loaded(loop) == {DAYS[0]: 8, DAYS[1]: 8}
    tick(loop)
    assert messages_left(bucket, queue_url) == 0


def test_an_unreadable_cursor_is_discarded_with_a_warning_and_the_listing_runs_again():
    cursor, warning = bucket_events.read_cursor('{"format": "s3-events/1", "ack": "x"}')
    assert cursor == bucket_events.EventCursor() and "Discarding a cursor" in warning
    assert bucket_events.read_cursor(cursor.encode()) == (cursor, None)
    busy = bucket_events.EventCursor(("h1", "h2"), "incoming/2018-01-22.csv", True)
    assert bucket_events.read_cursor(busy.encode()) == (busy, None)


def test_messages_wrapped_by_sns_and_url_encoded_keys_are_read():
    record = {"eventSource": "aws:s3", "s3": {"bucket": {"name": "landing"}, "object": {"key": "in%2Fa+b.csv"}}}
    sns = {"Type": "Notification", "Message": json.dumps({"Records": [record]})}
    message = bucket_events.parse_message({"ReceiptHandle": "h", "Body": json.dumps(sns)}, "landing")
    assert message == bucket_events.Message("h", ("in/a b.csv",))
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "landing"}
    assert bucket_events.parse_message({"ReceiptHandle": "t", "Body": json.dumps(test_event)}, "landing").keys == ()


@pytest.mark.daemon
def test_under_dagster_dev_a_notified_object_reaches_duckdb(bucket, queue_url, tmp_path):
    data_root = tmp_path / "data"
    settings.source_dir(data_root).mkdir(parents=True)
    database = settings.database_path(data_root)
    server = DagsterDevServer(data_root, settings.dagster_home(tmp_path), sensor_interval_seconds=1)
    try:
        server.start()
        pgid = server.process.pid
        server.start_sensor(SENSOR)
        put_day(bucket, DAYS[0])
        counts = wait_until(
            lambda: database.exists() and row_counts(database, S3_TABLE),
            timeout_seconds=300,
            waiting_for="the daemon's run to load the notified object",
        )
        assert counts == {DAYS[0]: 8}
        wait_until(lambda: messages_left(bucket, queue_url) == 0, 120, "the tick after it to delete the message")
    finally:
        server.stop()
    assert live_processes_in_group(pgid) == [], "dagster dev left processes behind"
