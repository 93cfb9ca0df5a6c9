"""Every lesson's learner copy, and the fixture lesson, in a real browser: JupyterLab on 127.0.0.1,
Debian's Chromium driven by Playwright.

The lessons run twice under strict nbval (every cell's output compared); the browser adds what
only a browser shows: JupyterLab's Run All, widgets rendered and driven, plots and pictures. It
runs the learner copies, which are what a learner opens: every cell of the lesson but the
exercise solutions, with the same widgets and tags, so one browser run of each copy covers the
lesson's cells in JupyterLab and checks the exercises too (below). The reference lessons are not
run a third time here: their one difference, the solutions, runs under nbval twice, and their
browser runs together took about a fifth of CI's time. The fixture lesson runs with its solutions.

For each notebook (a copy, so the committed file is never saved over): open it, Run All, wait for
the kernel to go idle, check that Run All reached the last cell and that no cell has an error
except those tagged `raises-exception` (in a learner copy the unsolved exercises and their
self-checks carry it), that in a learner copy every self-check fails on its blank exercise with
an error that says why, that every widget rendered, and, where there are widgets, drive one
(move a slider or click a button) and check that the view changed; no image (a plot, in a cell
or a widget) may be broken. Then the kernel is shut down, and every process it started (a
lesson's `dagster dev`, say) must be gone. A screenshot of each lands in `test-artifacts/`.

JupyterLab runs in its own process group with its own temporary Jupyter folders; it and every
kernel are stopped at the end, pass or fail. In CI (CI=true) a missing Chromium fails the test.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from repo_scripts import make_learner_notebooks as learner

from dagster_and_etl.teaching.live import chromium
from dagster_and_etl.teaching.live.processes import free_port, stop_process_group

REPO_DIR = Path(__file__).resolve().parent.parent
# The learner copies, main path and deep dives (`learner/NN_*.ipynb`, `learner/deep_dives/*.ipynb`),
# longest first: the deep dives (one starts a real dagster dev), then the lessons, latest first.
# Under pytest-xdist each test may go to its own worker, handed out in this order.
NOTEBOOKS = [learner.learner_path(lesson) for lesson in reversed(learner.lesson_notebooks())]
# The folders the notebooks' links reach (`../docs/glossary.md`, and `../../docs/...` from a deep dive).
LINKED_FOLDERS = ("docs",)
KERNEL_EXIT_TIMEOUT_SECONDS = 60
FIXTURE = REPO_DIR / "tests" / "fixtures" / "90_fixture_lesson.ipynb"
ARTIFACTS = REPO_DIR / "test-artifacts"
CHROMIUM, CHROMIUM_ARGS = chromium.EXECUTABLE, chromium.LAUNCH_ARGS
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# User settings: no news pop-up over the widgets, no autosave, and every cell kept in the page
# (JupyterLab 4 otherwise renders only the cells in view).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
RUN_ALL_TIMEOUT_SECONDS = 900
VISIBLE_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + ": in CI the browser tests must run")
    pytest.skip(message)


def _descendants(pid: int) -> dict[int, bytes]:
    """Every process below `pid`, with its command line (kernels get their own process groups)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = {}, [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            try:
                found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            stack.append(child)
    return found


def _still_running(pid: int, cmdline: bytes) -> bool:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes() == cmdline
    except OSError:
        return False


def _kernel_processes(server_pid: int) -> dict[int, bytes]:
    """The kernels below the server and every process they started, with their command lines.

    Taken before the kernels are shut down: a server a kernel started in a session of its own
    (a lesson's `dagster dev`) is no longer below the server once its kernel has exited."""
    below = _descendants(server_pid)
    kernels = [pid for pid, cmdline in below.items() if b"ipykernel" in cmdline]
    found = {pid: below[pid] for pid in kernels}
    for pid in kernels:
        found.update(_descendants(pid))
    return found


def _command(cmdline: bytes) -> str:
    return cmdline.replace(b"\0", b" ").decode(errors="replace")[:120]


def _left_running(processes: dict[int, bytes], timeout_seconds: float) -> dict[int, bytes]:
    """Those of `processes` still running after `timeout_seconds` (each known by its command line)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        left = {pid: cmdline for pid, cmdline in processes.items() if _still_running(pid, cmdline)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _kill_process_groups(processes: dict[int, bytes]) -> None:
    for pid, cmdline in processes.items():
        if _still_running(pid, cmdline):
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class JupyterLab:
    """`jupyter lab` over a folder of notebook copies, in its own process group and Jupyter folders."""

    def __init__(self, base: Path):
        # The repository's shape: notebooks/ and learner/ beside docs/, so relative links resolve.
        self.root = base / "repo"
        self.root.mkdir()
        for folder in LINKED_FOLDERS:
            shutil.copytree(REPO_DIR / folder, self.root / folder)
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings_dir = base / "lab-settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings_dir / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_DATA_DIR": str(base / "data"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = base / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_seconds: float = 120) -> None:
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"jupyter lab did not answer within {timeout_seconds:.0f} s") from None
                time.sleep(0.5)

    def api(self, method: str, path: str):
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Ask every kernel to shut down, so its atexit guards run (a lesson's dagster dev stops)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                self.shut_down_kernels()
            except OSError:
                pass
        below = _descendants(process.pid)
        stop_process_group(process, grace_seconds=30)
        # Kernels run in process groups of their own: stop any that outlived the server, by id.
        _kill_process_groups(below)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    _require_chromium()
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    # A SIGTERM (a CI timeout) would end pytest without its teardown: make it an interrupt, so
    # JupyterLab and its kernels are still stopped.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# --- what the page shows -------------------------------------------------------------------------

# Every code cell's prompt, and whether the kernel is idle, read in one go.
_PROGRESS_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent.trim());
  const idle = [...document.querySelectorAll('.jp-StatusBar-Widget *')]
    .some(e => e.children.length === 0 && /\\bIdle\\b/.test(e.textContent));
  return {prompts, idle};
}"""

# What the outputs show, leaving out the widgets' own state (a slider's readout, an input's
# value): the view "changed" only when something the widget drives changed.
_VIEW_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
  .map(output => {
    const copy = output.cloneNode(true);
    copy.querySelectorAll('.widget-readout, input, .noUi-base, .noUi-handle').forEach(e => e.remove());
    const images = [...output.querySelectorAll('img')].map(i => i.src.length + ':' + i.src.slice(-64));
    return copy.textContent + images.join(',');
  }).join('\\n')"""

# Error and stderr outputs shown anywhere in the notebook, widget Output areas included.
_ERRORS_SHOWN_JS = """() => [...document.querySelectorAll(
  '.jp-NotebookPanel:not(.lm-mod-hidden) [data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.textContent.slice(0, 300))"""

# Images that the browser could not show: a plot sent in a form it cannot decode, or a picture a
# markdown cell links to that is not there.
_BROKEN_IMAGES_JS = """() => [...document.querySelectorAll(
  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img, .jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown img')]
  .filter(i => i.complete && i.naturalWidth === 0).map(i => i.src.slice(0, 80))"""

_WIDGETS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
  .filter(o => o.querySelector('.jupyter-widgets, .widget-container') || /Loading widget|Error displaying widget/.test(o.textContent))
  .map(o => ({rendered: !!o.querySelector('.jupyter-widgets'), text: o.textContent.slice(0, 200)}))"""

# The first slider handle or button among the outputs, in document order: marked for Playwright.
_MARK_FIRST_CONTROL_JS = """() => {
  const controls = [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output .noUi-handle, ' +
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output button.jupyter-button')];
  if (!controls.length) return null;
  controls[0].setAttribute('data-test-control', 'first');
  return controls[0].classList.contains('noUi-handle') ? 'slider' : 'button';
}"""


def wait_for(page, check, timeout_seconds: float, what: str, interval_ms: int = 500):
    deadline = time.monotonic() + timeout_seconds
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        page.wait_for_timeout(interval_ms)
    raise AssertionError(f"timed out after {timeout_seconds:.0f} s waiting for {what}; last seen: {last!r}")


def kernel_idle(page) -> bool:
    return page.evaluate(_PROGRESS_JS)["idle"]


class RunAllProgress:
    """Decides when Run All is over: the last code cell ran and the kernel is idle, or (Run All
    stopped at an error) the kernel stayed idle with no cell running and nothing changing for
    `settle_seconds`. Queued cells may show an empty prompt and the kernel goes idle for a moment
    between two cells, so a single look is not enough."""

    def __init__(self, page, settle_seconds: float = 5.0):
        self.page, self.settle_seconds = page, settle_seconds
        self.last_seen: tuple | None = None
        self.quiet_since: float | None = None

    def cells_ran(self) -> int | None:
        progress = self.page.evaluate(_PROGRESS_JS)
        prompts = progress["prompts"]
        ran = sum(1 for p in prompts if re.fullmatch(r"\[\d+\]:", p))
        quiet = progress["idle"] and not any("*" in p for p in prompts)
        if quiet and prompts and re.fullmatch(r"\[\d+\]:", prompts[-1]):
            return ran
        snapshot = (prompts, progress["idle"])
        if not quiet or snapshot != self.last_seen:
            self.last_seen, self.quiet_since = snapshot, time.monotonic() if quiet else None
            return None
        return ran if ran and time.monotonic() - self.quiet_since >= self.settle_seconds else None


def run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def saved_notebook(page, path: Path, cells_ran: int) -> nbformat.NotebookNode:
    """Save (Ctrl+S) and read the file back once the execution counts of the cells that ran are in it."""
    page.locator(f"{VISIBLE_NOTEBOOK} .jp-Notebook").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")

    def read():
        try:
            notebook = nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            return None
        counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
        return notebook if sum(n is not None for n in counts) == cells_ran else None

    return wait_for(page, read, 60, f"{path.name} to be saved with the {cells_ran} cells that ran")


def errors_outside_raises_exception(notebook) -> list[str]:
    return [
        f"cell {index}: {error}"
        for index, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code" and learner.RAISES_TAG not in learner.tags(cell)
        for error in learner.cell_errors(cell)
    ]


def widget_outputs(notebook) -> int:
    return sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_MIME in output.get("data", {})
    )


def _where(path: Path) -> Path:
    """A notebook's place in the repository (`learner/deep_dives/x.ipynb`), which its copy keeps."""
    return path.relative_to(REPO_DIR)


@pytest.mark.parametrize("notebook_path", [*NOTEBOOKS, FIXTURE], ids=lambda path: str(_where(path)))
def test_notebook_runs_in_the_browser(lab: JupyterLab, browser, notebook_path: Path):
    # A copy without outputs, at the original's place below the root (so `../docs/...` and
    # `../../docs/...` links resolve): the committed file is never saved over, and a prompt with a
    # number can only come from this run.
    where = _where(notebook_path)
    copy = lab.root / where
    copy.parent.mkdir(parents=True, exist_ok=True)
    label = "-".join(where.with_suffix("").parts)
    blank = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in blank.cells if cell.cell_type == "code"]
    for cell in code_cells:
        cell.outputs, cell.execution_count = [], None
    blank.metadata.pop("widgets", None)
    nbformat.write(blank, copy)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # A workspace of its own, reset: only this notebook's tab is open.
        page.goto(f"{lab.url}/lab/workspaces/{label}/tree/{where.as_posix()}?reset&token={lab.token}")
        page.locator(f"{VISIBLE_NOTEBOOK} .jp-Cell").first.wait_for(timeout=120_000)
        wait_for(page, lambda: kernel_idle(page), 120, "the kernel to start (the status bar's 'Idle')")

        run_all(page)
        cells_ran = wait_for(page, RunAllProgress(page).cells_ran, RUN_ALL_TIMEOUT_SECONDS, "Run All to finish")

        executed = saved_notebook(page, copy, cells_ran)
        assert errors_outside_raises_exception(executed) == []
        assert cells_ran == len(code_cells), "Run All stopped before the last cell"
        if notebook_path.is_relative_to(learner.LEARNER_DIR):  # every unsolved exercise's self-check says so
            assert learner.blank_run_problems(executed) == []

        expected_widgets = widget_outputs(executed)
        if expected_widgets:
            shown = wait_for(
                page,
                lambda: (
                    lambda views: (
                        views if len(views) >= expected_widgets and all(v["rendered"] for v in views) else None
                    )
                )(page.evaluate(_WIDGETS_JS)),
                60,
                f"{expected_widgets} widget output(s) to render",
            )
            assert not any(re.search("Error displaying widget", v["text"]) for v in shown), shown

            kind = page.evaluate(_MARK_FIRST_CONTROL_JS)
            assert kind, "widgets rendered, but none is a slider or a button to drive"
            before = page.evaluate(_VIEW_JS)
            errors_before = page.evaluate(_ERRORS_SHOWN_JS)
            control = page.locator("[data-test-control=first]")
            control.scroll_into_view_if_needed()
            if kind == "slider":
                control.click()
                for _ in range(3):
                    page.keyboard.press("ArrowRight")
            else:
                control.click()
            wait_for(
                page,
                lambda: page.evaluate(_VIEW_JS) != before,
                120,
                f"the view to change after using a {kind} (an error in its callback goes to JupyterLab's log "
                "console: does the widget use something the notebook's last cell closed?)",
            )
            wait_for(page, lambda: kernel_idle(page), 120, "the kernel to go idle after the interaction")
            new_errors = [e for e in page.evaluate(_ERRORS_SHOWN_JS) if e not in errors_before]
            assert new_errors == [], f"using the {kind} after Run All showed an error"
        assert page.evaluate(_BROKEN_IMAGES_JS) == [], "an image (a plot) does not show"
    finally:
        page.screenshot(path=str(ARTIFACTS / f"{label}.png"), full_page=True)
        page.close()
        started = _kernel_processes(lab.process.pid)
        lab.shut_down_kernels()
        left = _left_running(started, KERNEL_EXIT_TIMEOUT_SECONDS)
        _kill_process_groups(left)  # never leave them running, whatever the test says
    assert not left, "processes the notebook started outlived its kernel: " + ", ".join(
        f"{pid} {_command(cmdline)}" for pid, cmdline in left.items()
    )
