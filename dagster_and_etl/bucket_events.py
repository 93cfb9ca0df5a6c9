"""What the event-driven bucket sensor reads: S3's notifications of landed objects, from an SQS queue.

The landing bucket notifies an SQS queue of created (and removed) objects. A tick reads at most
the per-tick cap of messages and costs what arrived: with an empty queue it is one
`ReceiveMessage` call, whatever the bucket holds. An event only says that something happened at
a key; the tick asks S3 for that key's object as it is *now* (one `HeadObject`), so duplicates,
redeliveries and events that arrive out of order (S3 gives no order across messages; its
`sequencer` field, which moto leaves out, exists to order them) all come down to the object's
current version, named by the listing sensor's run key (`name@mtime_ns:size:etag`). A deleted
object is not requested (its rows stay, as for a deleted file).

Nothing is lost between the queue and the daemon. A message is deleted from the queue only once
the tick that requested its run has been *stored* by the daemon: a tick puts its messages'
receipt handles in its cursor, and the next tick, which starts from that stored cursor, deletes
them first. A daemon or code server that dies after evaluating a tick and before storing it
never hands that cursor on: the messages become visible again once their visibility timeout
passes, are requested again, and the daemon's run-key check stops a second load.

Objects that landed before the notifications were set up are in no message: the sensor's first
tick (and any tick after its cursor is reset, say after the queue was purged) reconciles by
listing the prefix, one page under the cap a tick, until the listing is complete.

The cursor holds the receipt handles of at most one tick's messages (the cap's worth), the key
the reconciliation has listed up to, and whether it is done: about 60 bytes once the queue has
been empty for a tick, whatever the bucket holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from dagster_and_etl import bucket_scan
from dagster_and_etl.file_scan import Entry, LandedFile, TickPlan, unreadable_cursor_warning

FORMAT = "s3-events/1"
SQS_BATCH = 10  # SQS's own maximum per ReceiveMessage and DeleteMessageBatch call


@dataclass(frozen=True)
class EventCursor:
    """`acknowledge`: the receipt handles of the messages the tick that stored this cursor
    requested runs for (deleted by the next tick); `listed_after` and `reconciled`: how far the
    listing of the prefix has got."""

    acknowledge: tuple[str, ...] = ()
    listed_after: str | None = None
    reconciled: bool = False

    def encode(self) -> str:
        state = {"format": FORMAT, "ack": list(self.acknowledge), "after": self.listed_after, "done": self.reconciled}
        return json.dumps(state, separators=(",", ":"))


def read_cursor(cursor: str | None) -> tuple[EventCursor, str | None]:
    """The stored cursor, and a warning when it had to be discarded. Nothing stored (a first tick,
    or a reset) starts the reconciliation; so does a cursor that cannot be read, whose messages
    then come back after their visibility timeout and are skipped by their run keys."""
    if not cursor:
        return EventCursor(), None
    try:
        state = json.loads(cursor)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError("not in this sensor's format")
        handles, after, done = state["ack"], state["after"], state["done"]
        if not (isinstance(handles, list) and all(isinstance(h, str) for h in handles)):
            raise ValueError("the receipt handles are not a list of strings")
        if not (after is None or isinstance(after, str)) or not isinstance(done, bool):
            raise ValueError("the listing's position is not a key")
        return EventCursor(tuple(handles), after, done), None
    except (ValueError, KeyError, TypeError) as err:
        return EventCursor(), unreadable_cursor_warning(cursor, err)


@dataclass(frozen=True)
class Message:
    """One SQS message: its receipt handle, and the object keys its S3 event names (URL-decoded)."""

    handle: str
    keys: tuple[str, ...]
    problem: str | None = None  # why it is not an S3 event notification, if it is not


def parse_message(message: dict, bucket: str) -> Message:
    """The keys of the objects an S3 event notification names in `bucket`, direct or wrapped in an
    SNS notification. S3's test event (sent when notifications are set up) names none; a message
    that is not an S3 event names none and says why."""
    handle = message["ReceiptHandle"]
    try:
        body = json.loads(message["Body"])
        if isinstance(body, dict) and body.get("Type") == "Notification" and isinstance(body.get("Message"), str):
            body = json.loads(body["Message"])  # S3 -> SNS -> SQS
    except (ValueError, TypeError):
        return Message(handle, (), "its body is not JSON")
    if not isinstance(body, dict):
        return Message(handle, (), "its body is not an S3 event")
    if body.get("Event") == "s3:TestEvent":
        return Message(handle, ())
    records = body.get("Records")
    if not isinstance(records, list):
        return Message(handle, (), "it has no S3 event records")
    keys = []
    for record in records:
        try:
            if record["eventSource"] != "aws:s3" or record["s3"]["bucket"]["name"] != bucket:
                continue
            keys.append(unquote_plus(record["s3"]["object"]["key"]))  # S3 URL-encodes the key
        except (KeyError, TypeError):
            return Message(handle, (), "a record names no bucket and key")
    return Message(handle, tuple(keys))


def acknowledge(sqs, queue_url: str, handles: Iterable[str]) -> None:
    """Delete the messages a stored tick requested runs for. A handle that no longer works (the
    message was deleted already, or its visibility timeout passed and it was received again) is
    left alone: its message, if it is back, is requested again and skipped by its run key."""
    handles = list(handles)
    for start in range(0, len(handles), SQS_BATCH):
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start : start + SQS_BATCH])]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)


def receive(sqs, queue_url: str, max_messages: int, visibility_timeout: int) -> list[dict]:
    """At most `max_messages` messages, without waiting: a tick never blocks on an empty queue."""
    messages: list[dict] = []
    while len(messages) < max_messages:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(SQS_BATCH, max_messages - len(messages)),
            WaitTimeSeconds=0,
            VisibilityTimeout=visibility_timeout,
        )
        batch = response.get("Messages", [])
        if not batch:
            break
        messages.extend(batch)
    return messages


def plan_event_tick(
    stored_cursor: str | None,
    s3,
    sqs,
    bucket: str,
    prefix: str,
    queue_url: str,
    max_runs: int,
    visibility_timeout: int,
) -> TickPlan:
    """One tick: acknowledge what the stored tick requested, read at most `max_runs` messages,
    look up the current version of each landed CSV they name, and, until it is done, list one
    more page of the prefix with what is left of the cap."""
    cursor, warning = read_cursor(stored_cursor)
    warnings = [warning] if warning else []
    acknowledge(sqs, queue_url, cursor.acknowledge)

    messages = [parse_message(m, bucket) for m in receive(sqs, queue_url, max_runs, visibility_timeout)]
    for message in messages:
        if message.problem:
            warnings.append(f"Ignoring a queue message that is not an S3 event notification: {message.problem}.")
    unusable: list[str] = []
    found: dict[str, Entry] = {}  # name -> entry: one request per object, whatever its events
    for key in sorted({key for message in messages for key in message.keys}):
        entry = bucket_scan.current_entry(s3, bucket, prefix, key, unusable)
        if entry is not None:
            found[entry[0]] = entry

    listed_after, reconciled = cursor.listed_after, cursor.reconciled
    if not reconciled and len(found) < max_runs:
        page, listed_after, reconciled = bucket_scan.list_page(
            s3, bucket, prefix, listed_after, max_runs - len(found), unusable
        )
        for entry in page:
            found.setdefault(entry[0], entry)

    batch = sorted(
        (
            LandedFile(name, mtime_ns, size, etag, landed_ns=landed_ns)
            for name, mtime_ns, size, etag, landed_ns in found.values()
        ),
        key=lambda f: (f.mtime_ns, f.name),
    )
    next_cursor = EventCursor(tuple(m.handle for m in messages), listed_after, reconciled)
    return TickPlan(batch, len(batch), sorted(set(unusable)), next_cursor.encode(), warnings)
