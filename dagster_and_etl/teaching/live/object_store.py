"""A real S3 API on 127.0.0.1 for the lessons: moto's server, listed with boto3.

`LocalObjectStore` runs moto's S3 server in a thread of this process (so it can never outlive
the kernel), creates one bucket and hands out a boto3 client. `stop()` shuts the server down
and is also registered with `atexit`, so a notebook that fails half-way leaves nothing running;
moto serves from daemon threads, so even a killed kernel takes the server with it.
"""

from __future__ import annotations

import atexit
import logging
import socket
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from dagster_and_etl import settings
from dagster_and_etl.file_scan import LandedFile, is_landed_csv_name

HOST = settings.LOOPBACK_HOST
# moto accepts any credentials; fixed ones keep boto3 away from the machine's own AWS settings.
CREDENTIALS = {"aws_access_key_id": "lesson", "aws_secret_access_key": "lesson", "region_name": "us-east-1"}


@dataclass(frozen=True)
class StoredObject:
    key: str
    last_modified: datetime  # when the object was uploaded, not when its content was written
    size: int
    etag: str


@dataclass
class Listing:
    """The objects under a prefix, and how many list requests (pages) it took to get them."""

    objects: list[StoredObject] = field(default_factory=list)
    pages: int = 0


def s3_client(endpoint_url: str, service: str = "s3"):
    return boto3.client(
        service, endpoint_url=endpoint_url, config=Config(retries={"max_attempts": 1}, proxies={}), **CREDENTIALS
    )


def list_objects(
    client, bucket: str, prefix: str = "", start_after: str | None = None, page_size: int = 1000
) -> Listing:
    """Every object under `prefix` (after `start_after`, in key order), one `list_objects_v2` page at a time."""
    arguments = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
    if start_after:
        arguments["StartAfter"] = start_after
    listing = Listing()
    for page in client.get_paginator("list_objects_v2").paginate(**arguments):
        listing.pages += 1
        listing.objects.extend(
            StoredObject(item["Key"], item["LastModified"], item["Size"], item["ETag"].strip('"'))
            for item in page.get("Contents", [])
        )
    return listing


def landed_files(listing: Listing, prefix: str = "") -> list[LandedFile]:
    """The finished CSV objects directly under `prefix`, as the file sensor's `LandedFile`s."""
    files = []
    for item in listing.objects:
        name = item.key[len(prefix) :]
        if "/" in name or not is_landed_csv_name(name):
            continue
        files.append(LandedFile(name, int(item.last_modified.timestamp()) * 1_000_000_000, item.size))
    return files


def landing_zone_env(store: LocalObjectStore, prefix: str) -> dict[str, str]:
    """The environment the package's landing-zone settings read (`settings.S3_*`) for `prefix` in
    the store's bucket, with moto's credentials and never the machine's own AWS settings."""
    return {
        settings.S3_BUCKET_ENV: store.bucket,
        settings.S3_PREFIX_ENV: prefix,
        settings.S3_ENDPOINT_URL_ENV: str(store.endpoint_url),
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": CREDENTIALS["region_name"],
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }


class LocalObjectStore:
    """moto's S3 server on 127.0.0.1 with one empty bucket. Use as a context manager, or start()/stop()."""

    def __init__(self, bucket: str = "landing"):
        self.bucket = bucket
        self._server: ThreadedMotoServer | None = None
        self.endpoint_url: str | None = None
        self.client: Any = None  # a boto3 S3 client once started (boto3 ships no types)

    def start(self) -> LocalObjectStore:
        # The server logs every request through werkzeug: keep that out of cell outputs.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._server.start()
        atexit.register(self.stop)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto keeps its state per process: start every store from an empty account.
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST"), timeout=10)
        self.client = s3_client(self.endpoint_url)
        self.client.create_bucket(Bucket=self.bucket)
        return self

    @property
    def port(self) -> int:
        assert self.endpoint_url is not None, "the store is not started"
        return int(self.endpoint_url.rsplit(":", 1)[1])

    def put(self, key: str, body: bytes | str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)

    def notify_queue(self, prefix: str = "", queue: str = "landing-events") -> str:
        """An SQS queue on the same server, which the bucket then notifies of every object created
        or removed under `prefix` (S3 first sends it a test event); its URL."""
        assert self.endpoint_url is not None, "the store is not started"
        sqs = s3_client(self.endpoint_url, "sqs")
        queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.close()
        self.client.put_bucket_notification_configuration(
            Bucket=self.bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                    }
                ]
            },
        )
        return queue_url

    def list(self, prefix: str = "", start_after: str | None = None, page_size: int = 1000) -> Listing:
        return list_objects(self.client, self.bucket, prefix, start_after, page_size)

    def is_listening(self) -> bool:
        if self.endpoint_url is None:
            return False
        with socket.socket() as probe:
            probe.settimeout(1)
            return probe.connect_ex((HOST, self.port)) == 0

    def stop(self) -> None:
        """Shut the server down and wait for its thread. Safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        atexit.unregister(self.stop)
        if self.client is not None:
            self.client.close()
        server.stop()

    def __enter__(self) -> LocalObjectStore:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def lesson_landing_bucket(endpoint_url: str, bucket: str, prefix: str):
    """The package's `LandingBucket` resource on a local server, its client given `CREDENTIALS`
    (the package's own client takes boto3's credential chain: environment variables or ~/.aws)."""
    from dagster_and_etl.defs.resources import LandingBucket

    class LocalLandingBucket(LandingBucket):
        def client(self):
            return s3_client(self.endpoint_url or "")

    return LocalLandingBucket(bucket=bucket, prefix=prefix, endpoint_url=endpoint_url)
