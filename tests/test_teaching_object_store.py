import socket
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from dagster_and_etl.teaching.live.object_store import LocalObjectStore, landed_files


@pytest.fixture
def store():
    # One store per test: a test that uploads, or starts a store of its own (which resets moto's
    # in-process state), must not change what the next test lists.
    with LocalObjectStore(bucket="test-landing") as running:
        for day in range(20, 30):
            running.put(f"daily/2018-01-{day}.csv", "date\n")
        running.put("daily/2018-02-02.csv.part", "half")
        running.put("daily/.hidden.csv", "x")
        running.put("daily/sub/2018-01-01.csv", "x")
        running.put("archive/2017-12-31.csv", "x")
        yield running


def test_listing_by_prefix_pages_through_every_key(store):
    listing = store.list(prefix="daily/", page_size=4)
    assert len(listing.objects) == 13
    assert listing.pages == 4
    assert [o.key for o in listing.objects] == sorted(o.key for o in listing.objects)
    assert all(o.key.startswith("daily/") for o in listing.objects)


def test_start_after_lists_only_later_keys(store):
    after = store.list(prefix="daily/", start_after="daily/2018-01-27.csv")
    assert [o.key for o in after.objects][:3] == [
        "daily/2018-01-28.csv",
        "daily/2018-01-29.csv",
        "daily/2018-02-02.csv.part",
    ]


def test_last_modified_is_the_upload_time(store):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    store.put("daily/2018-01-31.csv", "date\n")
    uploaded = next(o for o in store.list(prefix="daily/").objects if o.key == "daily/2018-01-31.csv")
    assert uploaded.last_modified >= before.replace(second=0) and uploaded.size == 5


def test_landed_files_keep_finished_csvs_directly_under_the_prefix(store):
    names = [f.name for f in landed_files(store.list(prefix="daily/"), "daily/")]
    assert "2018-01-20.csv" in names
    assert not [n for n in names if n.endswith(".part") or n.startswith(".") or "/" in n]


def test_stop_closes_the_port_and_is_safe_twice():
    running = LocalObjectStore().start()
    host, port = "127.0.0.1", running.port
    assert running.is_listening()
    running.stop()
    running.stop()
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex((host, port)) != 0


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["", "raise RuntimeError('a cell failed')"])
def test_the_server_does_not_outlive_its_process(ending):
    # A notebook that never reaches its last cell: the kernel exits (or dies), the server goes with it.
    script = (
        "from dagster_and_etl.teaching.live.object_store import LocalObjectStore\n"
        "store = LocalObjectStore().start()\n"
        "print(store.port, flush=True)\n" + ending
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    port = int(finished.stdout.split()[0])
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0
