"""What the bucket sensor sees: the landed CSV objects directly under a prefix of an S3 bucket.

The same rules as `file_scan` for a folder: an object's name (its key without the prefix) must
be a finished CSV whose stem can be a partition key; objects in "subfolders" (keys with a `/`
after the prefix) are not landed files. An object is listed only once its upload is complete
(a single PUT, or the CompleteMultipartUpload of a multipart upload), so a half-uploaded object
is never seen. Its run key is `name@mtime_ns:size:etag`, the mtime being LastModified, which every
upload or copy sets to now: an object uploaded again with the same bytes, or an older version
copied back over it, is a new landing with a key of its own. The ETag is there because
LastModified has whole seconds: a replacement of the same size within the same second differs
only by its content. (Three uploads within one second, the last undoing the middle one, give the
last the first's key: the one limit left, docs/reliability.md.)

LastModified is not when an object became listable: for a multipart upload it is when the upload
was *initiated* (see docs/reliability.md). Nothing here orders objects by time to decide what is
new: the cursor holds run-key digests, as for a folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from dagster_and_etl.file_scan import CSV_SUFFIX, Entry, FileVersion, usable_name

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PAGE_SIZE = 1000  # S3's own maximum per list_objects_v2 page


def timestamp_ns(moment: datetime) -> int:
    """A timezone-aware datetime as integer nanoseconds since the epoch, without float rounding."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def object_key(prefix: str, partition_key: str) -> str:
    return f"{prefix}{partition_key}{CSV_SUFFIX}"


def list_entries(client, bucket: str, prefix: str, unusable: list[str], page_size: int = PAGE_SIZE) -> Iterator[Entry]:
    """(name, mtime_ns, size, etag, landed_ns) of each landed CSV object directly under `prefix`, one
    `list_objects_v2` page at a time (S3 returns at most 1,000 keys a page); the names that
    cannot be a partition key are appended to `unusable`."""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, Delimiter="/", PaginationConfig={"PageSize": page_size}
    )
    for page in pages:
        for item in page.get("Contents", []):
            name = item["Key"][len(prefix) :]
            if usable_name(name, unusable):
                yield entry(name, item["LastModified"], item["Size"], item["ETag"])


def entry(name: str, last_modified: datetime, size: int, etag: str) -> Entry:
    """An object's (name, mtime_ns, size, etag, landed_ns): LastModified is both its mtime and
    when it landed (an upload or a copy sets it to now)."""
    modified = timestamp_ns(last_modified)
    return name, modified, size, etag.strip('"'), modified


def landed_name(prefix: str, key: str, unusable: list[str]) -> str | None:
    """The landed file's name an object key stands for: the key less the prefix, when it is a
    finished CSV directly under the prefix whose stem can be a partition key (else None; a landed
    CSV name that cannot be a key is appended to `unusable`)."""
    if not key.startswith(prefix):
        return None
    name = key[len(prefix) :]
    return name if "/" not in name and usable_name(name, unusable) else None


def current_entry(client, bucket: str, prefix: str, key: str, unusable: list[str]) -> Entry | None:
    """(name, mtime_ns, size, etag, landed_ns) of the object at `key` as it is now (one HeadObject, the
    listing's fields), or None when the key is not a landed CSV directly under `prefix` or the
    object no longer exists (deleted since its event)."""
    name = landed_name(prefix, key, unusable)
    if name is None:
        return None
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return entry(name, head["LastModified"], head["ContentLength"], head["ETag"])


def list_page(
    client, bucket: str, prefix: str, start_after: str | None, max_keys: int, unusable: list[str]
) -> tuple[list[Entry], str | None, bool]:
    """One `list_objects_v2` page of at most `max_keys` keys under `prefix` after `start_after`:
    the landed CSV entries in it, the last key listed (where the next page starts) and whether
    the listing is complete."""
    arguments = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max(1, min(max_keys, PAGE_SIZE))}
    if start_after:
        arguments["StartAfter"] = start_after
    page = client.list_objects_v2(**arguments)
    contents = page.get("Contents", [])
    entries = [
        entry(name, item["LastModified"], item["Size"], item["ETag"])
        for item in contents
        if (name := landed_name(prefix, item["Key"], unusable)) is not None
    ]
    last_key = contents[-1]["Key"] if contents else start_after
    return entries, last_key, not page.get("IsTruncated", False)


def read_object(client, bucket: str, key: str) -> tuple[bytes, FileVersion]:
    """An object's bytes and the version they are (from the same GetObject response).

    `landed_ns`, which orders versions for the warehouse's newest-wins guard, is LastModified:
    S3 has no time at which an object became current (see docs/reliability.md)."""
    response = client.get_object(Bucket=bucket, Key=key)
    with response["Body"] as body:
        raw = body.read()
    modified = timestamp_ns(response["LastModified"])
    name = key.rsplit("/", 1)[-1]
    version = FileVersion(name, modified, response["ContentLength"], response["ETag"].strip('"'), landed_ns=modified)
    return raw, version
