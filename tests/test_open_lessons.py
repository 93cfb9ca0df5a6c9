"""`make lessons`' first minute, in a real browser: the link scripts/open_lessons.py prints opens
the course map (notebooks/START_HERE.ipynb) in JupyterLab, not the launcher, and no news pop-up
asks for consent.

The launcher runs as `make lessons` runs it (without opening a browser of its own), in its own
process group with temporary Jupyter folders, and is stopped by its id, pass or fail.
"""

from __future__ import annotations

import os
import re

import pytest
from test_reliability_security import printed_start_link, start_open_lessons

from dagster_and_etl.teaching.live import chromium
from dagster_and_etl.teaching.live.processes import free_port, stop_process_group

pytestmark = pytest.mark.browser


def test_the_printed_link_opens_the_course_map(tmp_path):
    if not chromium.EXECUTABLE.is_file():
        message = f"Chromium is not installed at {chromium.EXECUTABLE} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": in CI the browser tests must run")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    launcher = start_open_lessons(tmp_path, free_port())
    try:
        link = printed_start_link(tmp_path / "jupyter.log", launcher)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium.EXECUTABLE), args=chromium.LAUNCH_ARGS, headless=True
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(link)
                tab = page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel", has_text="START_HERE.ipynb")
                tab.first.wait_for(timeout=120_000)
                heading = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown h1").first
                heading.wait_for(timeout=60_000)
                assert re.search("course map", heading.inner_text())
                assert page.locator(".jp-Launcher").count() == 0, "the launcher opened, not the course map"
                page.wait_for_timeout(3000)  # the news question, when on, comes a moment after the page
                toasts = page.locator(".Toastify__toast").all_inner_texts()
                assert not [t for t in toasts if "news" in t.lower()], toasts
                page.screenshot(path=str(tmp_path / "start_page.png"))
            finally:
                browser.close()
    finally:
        stop_process_group(launcher)
