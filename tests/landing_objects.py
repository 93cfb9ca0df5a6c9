"""The S3 landing zone's test objects, shared by the listing sensor's and the event sensor's tests:
a day's file under the prefix, and the objects no sensor may ever request."""

from __future__ import annotations

from datetime import date

from dagster_and_etl.sample_data import day_csv, source_days
from dagster_and_etl.teaching.live.object_store import LocalObjectStore

PREFIX = "incoming/"
DAYS = [day.isoformat() for day in source_days()]


def put_day(store: LocalObjectStore, day: str, text: str | None = None) -> None:
    store.put(f"{PREFIX}{day}.csv", day_csv(date.fromisoformat(day)) if text is None else text)


def put_junk(store: LocalObjectStore) -> None:
    """Objects that are not landed files, or whose name cannot be a partition key (days 3 to 7)."""
    days = source_days()
    store.put(f"{PREFIX}{DAYS[3]}.csv.part", "date,share")  # an upload tool's temporary name
    store.put(f"{PREFIX}.{DAYS[4]}.csv", day_csv(days[4]))  # hidden
    store.put(f"{PREFIX}archive/{DAYS[5]}.csv", day_csv(days[5]))  # a "subfolder"
    store.put(f"{DAYS[6]}.csv", day_csv(days[6]))  # outside the prefix
    store.put(f"{PREFIX}bad...key.csv", day_csv(days[7]))  # cannot be a partition key
