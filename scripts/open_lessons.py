"""Open the course in JupyterLab on its start page (what `make lessons` runs).

    python scripts/open_lessons.py               # start JupyterLab, print the link, open it in a browser
    python scripts/open_lessons.py --no-browser  # only print the link
    python scripts/open_lessons.py --port 8890   # another port (JupyterLab tries the next ones if taken)

JupyterLab serves the repository's root on 127.0.0.1 with its token on, so `notebooks/`,
`learner/` and their links to `docs/` all open. `jupyter lab` itself prints a `/lab?token=…` link
that opens the launcher over the whole repository (`--ServerApp.default_url` does not change that
link), so this script waits until the server answers, then prints the one link that opens the
course map, `notebooks/START_HERE.ipynb`, with the token, and opens it in the default browser
when there is one. Its settings turn off JupyterLab's news pop-up (`lab_settings/overrides.json`
beside this script: defaults a learner can still change) and hide build clutter from the file
browser. Stop it as any JupyterLab: Ctrl+C in its terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
START_PAGE = "notebooks/START_HERE.ipynb"
LAB_SETTINGS_DIR = Path(__file__).resolve().parent / "lab_settings"
HOST = "127.0.0.1"
DEFAULT_PORT = 8888
# Hidden from the file browser, beside Jupyter's own defaults (__pycache__, *.pyc, ...; dot-files are hidden anyway).
HIDDEN = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info", "test-artifacts")
START_TIMEOUT_SECONDS = 120


def jupyter_lab_arguments(root: Path = REPO_DIR) -> list[str]:
    """The arguments given to `jupyter lab`: loopback only; the token stays on (none is given here,
    so JupyterLab makes a fresh one each start)."""
    return [
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.default_url=/lab/tree/{START_PAGE}",
        f"--LabApp.app_settings_dir={LAB_SETTINGS_DIR}",
        *(f"--ContentsManager.hide_globs={pattern}" for pattern in HIDDEN),
        "--no-browser",  # this script opens the start page itself, with the right link
    ]


def start_page_url(server_info: dict) -> str:
    """The link that opens the course map, from the server's own description (its jpserver-PID.json)."""
    base = server_info["url"].rstrip("/")
    return f"{base}/lab/tree/{START_PAGE}?token={server_info['token']}"


def runtime_dir() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at `url`, with any status (a 403 for want of a token counts)."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def wait_for_server(server: subprocess.Popen, timeout_seconds: float = START_TIMEOUT_SECONDS) -> dict:
    """The server's description (url, port, token) once it answers.

    jupyter_server writes `jpserver-PID.json` before it binds its port, so the file alone is not
    enough: wait until the address in it answers."""
    info_file = runtime_dir() / f"jpserver-{server.pid}.json"
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.returncode}")
        try:
            info = json.loads(info_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        else:
            if _answers(info["url"]):
                return info
        time.sleep(0.2)
    raise TimeoutError(f"jupyter lab did not answer within {timeout_seconds:.0f} s")


def open_in_browser(url: str) -> bool:
    """Open `url` in the default browser, if this machine has one; whether it did."""
    try:
        return webbrowser.get().open(url)
    except webbrowser.Error:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default: {DEFAULT_PORT}")
    parser.add_argument("--no-browser", action="store_true", help="print the link, do not open a browser")
    args, extra = parser.parse_known_args(argv)  # anything else goes to jupyter lab (e.g. --allow-root)
    command = [sys.executable, "-m", "jupyterlab", *jupyter_lab_arguments(), f"--ServerApp.port={args.port}", *extra]
    # In this terminal's process group: Ctrl+C reaches JupyterLab, which asks before it stops.
    server = subprocess.Popen(command, cwd=REPO_DIR, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = start_page_url(wait_for_server(server))
    except (RuntimeError, TimeoutError) as err:
        print(f"open_lessons: {err}", file=sys.stderr)
        if server.poll() is None:
            server.terminate()
        return 1
    opened = not args.no_browser and open_in_browser(url)
    print(
        "\n    The course starts here (open this link in your browser):\n\n"
        f"    {url}\n\n"
        + ("    (opened in your browser)\n" if opened else "")
        + "    Stop JupyterLab with Ctrl+C in this terminal.\n",
        flush=True,
    )
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:
            continue  # JupyterLab got it too: it asks, or stops on a second Ctrl+C


if __name__ == "__main__":
    sys.exit(main())
