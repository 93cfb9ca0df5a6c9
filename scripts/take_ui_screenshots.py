"""Take the daemon deep dive's screenshots of the Dagster UI (notebooks/deep_dives/the_daemon_live.ipynb), against its own `dagster dev`.

    .venv/bin/python scripts/take_ui_screenshots.py             # rewrites docs/images/05_*.png
    .venv/bin/python scripts/take_ui_screenshots.py --out DIR   # somewhere else

It starts the reference project under `dagster dev` on 127.0.0.1 (`DagsterDevServer`: a process
group of its own, a temporary sandbox, a 2-second sensor interval), replays the lesson's steps
and opens each page in Debian's Chromium (`/usr/bin/chromium`, driven by Playwright for Python;
Playwright cannot download browsers here), saving a 1280x800 PNG of each:

- `05_sensor_stopped.png`: the sensor's page before it is turned on (the toggle is off);
- `05_asset_partitions.png`: the asset's partitions after two files landed and loaded;
- `05_failed_run.png`: the run of the bad re-upload, failed, with its message;
- `05_sensor_ticks.png`: the sensor's ticks, newest first, after the file moved away and back.

The sensor is turned on with `dagster sensor start`, as in the lesson. `dagster dev` is stopped by
its process-group id in a `finally`, pass or fail, and the sandbox is deleted. Takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from dagster_and_etl import settings
from dagster_and_etl.sample_data import BAD_DAY, LATE_DAY, arrival_time
from dagster_and_etl.teaching.live import chromium
from dagster_and_etl.teaching.live.daemon_view import DaemonView, ui_page, wait_until
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer
from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace

REPO_DIR = Path(__file__).resolve().parent.parent
IMAGES_DIR = REPO_DIR / "docs" / "images"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
UI_TIMEOUT_MS = 60_000


def dismiss_community_dialog(page: Page) -> None:
    """The UI's first visit opens a "Join the Dagster community" dialog over the page: skip it."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=3000)
    except PlaywrightTimeoutError:
        return
    skip.click()
    skip.wait_for(state="hidden")


def open_page(page: Page, url: str, ready_text: str) -> None:
    """Open `url` and wait until `ready_text` shows: the page's data has loaded."""
    page.goto(url)
    page.get_by_text(ready_text, exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    dismiss_community_dialog(page)


def save(page: Page, path: Path) -> None:
    page.wait_for_timeout(1500)  # let the page finish its layout after the data arrived
    page.screenshot(path=str(path))
    print("wrote", path.relative_to(REPO_DIR) if path.is_relative_to(REPO_DIR) else path)


def replay(out: Path) -> None:
    with LessonWorkspace("05-screenshots", with_source_files=False) as live:
        # As in the lesson: every tick falls inside the sensor's settle window, so the cursor the
        # UI shows remembers the files the lesson says it does, however long the replay takes.
        os.environ[settings.SENSOR_SETTLE_ENV] = "3600"
        server = DagsterDevServer(live.root, settings.dagster_home(live.root), sensor_interval_seconds=2)
        try:
            server.start()
            daemon = DaemonView(server.dagster_home)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(chromium.EXECUTABLE), args=chromium.LAUNCH_ARGS
                )
                page = browser.new_page(viewport=VIEWPORT)
                open_page(page, ui_page(server.url, "sensor"), "Sensor has never run")
                save(page, out / "05_sensor_stopped.png")

                server.start_sensor()  # `dagster sensor start dynamic_sensor -m dagster_and_etl.definitions`
                wait_until(daemon.finished_ticks, 60, "the sensor's first tick")

                # Step 1: two files, two runs.
                live.drop("on_time", arrival_time(BAD_DAY))
                live.drop("late", arrival_time(LATE_DAY))
                wait_until(lambda: len(daemon.runs()) == 2 and daemon.runs_are_finished(), 180, "the first two runs")
                open_page(page, ui_page(server.url, "asset"), "Materialized (2)")
                page.get_by_text("2018-02-01", exact=True).filter(
                    visible=True
                ).last.click()  # the list's entry: its latest materialization
                page.get_by_text("Latest materialization").first.wait_for(timeout=UI_TIMEOUT_MS)
                save(page, out / "05_asset_partitions.png")

                # Step 2: the bad re-upload fails its run.
                live.drop("bad_price", arrival_time(BAD_DAY).replace(hour=7))
                wait_until(lambda: len(daemon.runs()) == 3 and daemon.runs_are_finished(), 180, "the bad upload's run")
                failed_run = daemon.runs()[-1]
                open_page(page, ui_page(server.url, f"/runs/{failed_run.run_id}"), "RUN_FAILURE")
                save(page, out / "05_failed_run.png")

                # Step 3: the late file moved away, then back unchanged: a new landing, so a new run
                # key; its run loads nothing new (the bytes are those already loaded).
                away = live.root / "away"
                away.mkdir()
                cursor_with_the_file = daemon.stored_cursor()
                os.replace(live.source / "2018-02-01.csv", away / "2018-02-01.csv")
                wait_until(lambda: daemon.stored_cursor() != cursor_with_the_file, 60, "the tick that forgets the file")
                # The daemon keeps adding ticks: load the page first, reload it as soon as the run is
                # recorded, so that the tick that requested it is at the top of the list.
                open_page(page, ui_page(server.url, "sensor"), "Latest tick")
                os.replace(away / "2018-02-01.csv", live.source / "2018-02-01.csv")
                wait_until(lambda: len(daemon.runs()) == 4, 60, "the moved-back file's run", 0.2)
                open_page(page, ui_page(server.url, "sensor"), "Latest tick")
                save(page, out / "05_sensor_ticks.png")
                browser.close()
            daemon.close()
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES_DIR, help="folder for the PNGs (default: docs/images)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    replay(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
