"""The course as a website (`make site`), built from the committed notebooks and opened in Chromium.

The site is built as `make site` builds it (`scripts/build_site.py`, nothing executed), served
by Python's `http.server` on 127.0.0.1 in a process group of its own (stopped by PID, pass or
fail), and read by Debian's Chromium through Playwright, page by page in the order of the site's
table of contents: no page may log a console error or fail a script, every image must have
loaded, every link inside the site must reach a page (and the element its `#fragment` names),
and each lesson page must show its code cells with their outputs. Screenshots of the front page
and of the first lesson land in `test-artifacts/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import nbformat
import pytest
from repo_scripts import build_site

from dagster_and_etl.teaching.live import chromium
from dagster_and_etl.teaching.live.processes import free_port, stop_process_group

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = build_site.REPO_DIR / "test-artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    subprocess.run(
        [sys.executable, str(build_site.REPO_DIR / "scripts" / "build_site.py"), "--out", str(out)], check=True
    )
    assert (out / "index.html").is_file()
    return out


@pytest.fixture(scope="module")
def base_url(site: Path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        stop_process_group(server)


@pytest.fixture(scope="module")
def browser():
    if not chromium.EXECUTABLE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{chromium.EXECUTABLE} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no {chromium.EXECUTABLE} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium.EXECUTABLE), args=chromium.LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def page_paths() -> list[str]:
    """Every page of the table of contents, as a path in the site: the front page first."""
    return ["index.html"] + [
        path.relative_to(build_site.REPO_DIR).with_suffix(".html").as_posix()
        for path in [*build_site.main_path(), *build_site.deep_dives(), *(p for p, _ in build_site.reference_pages())]
    ]


def test_every_page_loads_clean_with_its_images_and_links(site: Path, base_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"{page.url}: console error: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    links: set[tuple[str, str, str]] = set()  # (page it is on, target page, fragment)
    ids: dict[str, set[str]] = {}
    for path in page_paths():
        response = page.goto(base_url + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        broken = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        problems += [f"{path}: image did not load: {src}" for src in broken]
        ids[base_url + path] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
            target, fragment = urldefrag(urljoin(base_url + path, href))
            if target.startswith(base_url) and "/_static/" not in target and "/_sources/" not in target:
                links.add((path, target, fragment))
        if path == "index.html":
            page.screenshot(path=str(ARTIFACTS / "site_front_page.png"), full_page=False)
    for source, target, fragment in sorted(links):
        if target not in ids:
            response = page.goto(target, wait_until="load")
            if response is None or not response.ok:
                problems.append(f"{source}: link to a missing page: {target}")
                ids[target] = set()
                continue
            ids[target] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        if fragment and fragment not in ids[target]:
            problems.append(f"{source}: link to {target}#{fragment}, and that page has no such id")
    page.close()
    assert not problems, "\n".join(problems)


def test_each_lesson_page_shows_its_code_and_outputs(base_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for number, notebook in enumerate(build_site.main_path()):
        cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
        with_outputs = [c for c in cells if c.get("outputs")]
        page.goto(base_url + notebook.relative_to(build_site.REPO_DIR).with_suffix(".html").as_posix())
        shown_inputs = page.locator("div.cell div.cell_input").count()
        shown_outputs = page.locator("div.cell div.cell_output").count()
        assert (shown_inputs, shown_outputs) == (len(cells), len(with_outputs)), notebook.name
        assert page.locator("text=/download/i").count() or page.locator("a[href$='.ipynb']").count(), (
            f"{notebook.name}: no link to download the notebook"
        )
        if number == 0:
            page.screenshot(path=str(ARTIFACTS / "site_first_lesson.png"), full_page=False)
    page.close()


@pytest.fixture(scope="module", autouse=True)
def artifacts_folder():
    ARTIFACTS.mkdir(exist_ok=True)
