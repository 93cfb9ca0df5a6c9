"""Listing against notifications: what a tick of each S3 sensor costs as the bucket grows.

    python benchmarks/s3_event_tick.py                 # 1,000, 10,000 and 100,000 objects
    python benchmarks/s3_event_tick.py --sizes 1000 20000 --repeats 5

For each size, a local S3 and SQS server (moto's, in this process, on 127.0.0.1) holds that many
landed CSV objects under the prefix, and the bucket notifies a queue. Both sensors are ticked
through `evaluate_tick`, as the daemon's code server does, side by side in one run:

- `s3_sensor` (lists the prefix on every tick; its cursor is the run-key digest set): a quiet
  tick from the cursor it would hold once every object was requested (built from the listing, as
  its ticks would have built it), and a tick with one new object;
- `s3_event_sensor` (reads the queue): a quiet tick once its first reconciliation is done, and a
  tick with one new object (its notification in the queue).

The objects are put straight into moto's store (seeding is not measured; every tick goes through
the server's HTTP API). Each figure is the median of `--repeats` ticks. Targets: the event
sensor's quiet tick at the largest size at most 1.5x its quiet tick at the smallest, and at least
50x faster than the listing sensor's quiet tick at the largest size.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

import bench_common as bench

SENSORS = ("s3_sensor", "s3_event_sensor")
PREFIX = "incoming/"


def seed(bucket: str, start: int, stop: int) -> None:
    """Objects `incoming/bench-NNNNNNN.csv` put straight into moto's in-process store (no events)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for index in range(start, stop):
        backend.put_object(bucket, f"{PREFIX}{bench.generated_file_name(index)}", bench.GENERATED_FILE_TEXT)


def listing_cursor(defs) -> str:
    """The cursor `s3_sensor` holds once it has requested every object under the prefix."""
    from dagster_and_etl.file_scan import encode_cursor

    bucket = defs.resources["landing_bucket"]
    return encode_cursor({f.digest for f in bucket.scan_changes(set()).changed})


def measure(size: int, repeats: int, store, instance) -> dict:
    from dagster_and_etl import settings
    from dagster_and_etl.definitions import build_definitions
    from dagster_and_etl.teaching.live.processes import environment
    from dagster_and_etl.teaching.simulation.ticks import evaluate_sensor

    seed(store.bucket, 0, size)
    queue_url = store.notify_queue(PREFIX, queue=f"bench-{uuid.uuid4().hex[:8]}")
    os.environ[settings.S3_QUEUE_URL_ENV] = queue_url
    with bench.temporary_data_root("s3-events") as root:
        defs = build_definitions(root)
        cursors = {"s3_sensor": listing_cursor(defs), "s3_event_sensor": None}
        # The event sensor's first ticks: S3's test event, then the reconciliation, a page a tick.
        with environment({settings.MAX_RUNS_PER_TICK_ENV: str(bucket_page())}):
            while True:
                data = evaluate_sensor(defs, instance, "s3_event_sensor", cursors["s3_event_sensor"])
                cursors["s3_event_sensor"] = data.cursor
                if '"done":true' in data.cursor and not data.run_requests:
                    break
        row: dict = {"objects": size}
        for name in SENSORS:
            quiet = []
            for _ in range(repeats):
                seconds, data = bench.timed(lambda: evaluate_sensor(defs, instance, name, cursors[name]))
                assert not data.run_requests, f"{name}: a quiet tick requested runs"
                cursors[name] = data.cursor
                quiet.append(seconds)
            row[f"{name}_quiet_s"] = bench.median(quiet)
            row[f"{name}_cursor_bytes"] = len(cursors[name].encode())
        new: dict[str, list[float]] = {name: [] for name in SENSORS}
        for repeat in range(repeats):
            store.put(f"{PREFIX}new-{size}-{repeat}.csv", bench.GENERATED_FILE_TEXT)
            for name in SENSORS:
                seconds, data = bench.timed(lambda: evaluate_sensor(defs, instance, name, cursors[name]))
                assert len(data.run_requests) == 1, f"{name}: {len(data.run_requests)} requests for one new object"
                cursors[name] = data.cursor
                new[name].append(seconds)
        for name in SENSORS:
            row[f"{name}_one_new_s"] = bench.median(new[name])
    return row


def bucket_page() -> int:
    from dagster_and_etl.bucket_scan import PAGE_SIZE

    return PAGE_SIZE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=bench.RESULTS_DIR)
    args = parser.parse_args()

    import dagster as dg

    from dagster_and_etl.teaching.live.object_store import LocalObjectStore, landing_zone_env

    bench.quiet_dagster_logs()
    rows = []
    for size in sorted(args.sizes):
        with LocalObjectStore(bucket=f"landing-{size}") as store, dg.instance_for_test() as instance:
            os.environ.update(landing_zone_env(store, PREFIX))
            rows.append(measure(size, args.repeats, store, instance))
            print(f"{size:>8} objects measured", flush=True)

    smallest, largest = rows[0], rows[-1]
    growth = largest["s3_event_sensor_quiet_s"] / smallest["s3_event_sensor_quiet_s"]
    speedup = largest["s3_sensor_quiet_s"] / largest["s3_event_sensor_quiet_s"]
    bench.print_table(
        "Quiet tick and one-new-object tick through evaluate_tick (median ms), and cursor bytes",
        [
            "objects",
            "listing quiet",
            "events quiet",
            "listing 1 new",
            "events 1 new",
            "listing cursor",
            "events cursor",
        ],
        [
            [
                f"{r['objects']:,}",
                bench.ms(r["s3_sensor_quiet_s"]),
                bench.ms(r["s3_event_sensor_quiet_s"]),
                bench.ms(r["s3_sensor_one_new_s"]),
                bench.ms(r["s3_event_sensor_one_new_s"]),
                f"{r['s3_sensor_cursor_bytes']:,}",
                f"{r['s3_event_sensor_cursor_bytes']:,}",
            ]
            for r in rows
        ],
    )
    print(
        f"\nevents quiet tick at {largest['objects']:,} / at {smallest['objects']:,}: {growth:.2f}x (target <= 1.5x)"
        f"\nlisting quiet tick / events quiet tick at {largest['objects']:,}: {speedup:.0f}x (target >= 50x)"
    )
    bench.write_results(
        "s3_event_tick",
        {
            "repeats": args.repeats,
            "rows": rows,
            "event_quiet_growth": growth,
            "listing_over_event_quiet": speedup,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
