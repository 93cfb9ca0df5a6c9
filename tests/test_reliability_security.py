"""Security: keys cannot leave the source folder, file names never become SQL, servers stay local.

`dagster dev` (through `DagsterDevServer`) is checked in tests/test_reliability_daemon.py, which
starts it once for several checks.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from listening import LOOPBACK, listening_addresses
from repo_scripts import load

from dagster_and_etl import settings as etl_settings
from dagster_and_etl import warehouse
from dagster_and_etl.definitions import build_definitions
from dagster_and_etl.defs.partitions import file_partitions
from dagster_and_etl.file_scan import CSV_SUFFIX
from dagster_and_etl.sample_data import FIRST_DAY, day_csv
from dagster_and_etl.teaching.live.dagster_dev import HOST
from dagster_and_etl.teaching.live.processes import free_port, stop_process_group
from dagster_and_etl.teaching.simulation.run_loop import DaemonLikeLoop
from dagster_and_etl.warehouse import DYNAMIC_TABLE, read_table

REPO = Path(__file__).resolve().parent.parent
open_lessons = load("open_lessons")
# ---- Keys cannot reach outside the source folder ---------------------------------------------

OUTSIDE_KEYS = ["../x", "../staging/data", "/etc/passwd", "x/../../x", "sub/x", "..\\x", ".hidden"]


@pytest.mark.slow
@pytest.mark.parametrize("key", OUTSIDE_KEYS)
def test_a_key_outside_the_source_folder_is_refused_by_a_real_run(tmp_path, key):
    root = tmp_path / "root"
    etl_settings.source_dir(root).mkdir(parents=True)
    # A valid file where `../x` would lead: loading it would show the key escaped the folder.
    (root / f"x{CSV_SUFFIX}").write_text(day_csv(FIRST_DAY), encoding="utf-8")
    defs = build_definitions(root)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(file_partitions.name, [key])
        loop = DaemonLikeLoop(defs, instance)
        failure = loop.execute(defs.resolve_sensor_def(loop.sensor_name).job_name, key, {})
    assert failure is not None and f"partition key {key!r} cannot name a file in the source folder" in failure
    assert not etl_settings.database_path(root).exists(), "a refused key must not even open the database"


@pytest.mark.parametrize("key", ["", ".", ".."])
def test_keys_dagster_cannot_register_are_refused_by_the_source_folder_too(tmp_path, key):
    source = build_definitions(tmp_path).resources["source"]
    with pytest.raises(ValueError, match="cannot name a file in the source folder"):
        source.file_for(key)


# ---- File names are data, never SQL ----------------------------------------------------------

INJECTING_NAMES = [
    "x'); DROP TABLE raw_dynamic_partition_data; --",
    "'; DELETE FROM raw_dynamic_partition_data WHERE ''='",
    'x"; DROP TABLE raw_partition_data; --',
]


@pytest.mark.slow
def test_file_names_built_to_inject_sql_load_as_plain_data(tmp_path):
    root = tmp_path / "root"
    source = etl_settings.source_dir(root)
    source.mkdir(parents=True)
    names = [FIRST_DAY.isoformat(), *INJECTING_NAMES]
    for name in names:
        (source / f"{name}{CSV_SUFFIX}").write_text(day_csv(FIRST_DAY), encoding="utf-8")
    with dg.instance_for_test() as instance:
        loop = DaemonLikeLoop(build_definitions(root), instance)
        reports = loop.drain()
    assert sorted(key for report in reports for key in report.succeeded) == sorted(names)
    table = read_table(etl_settings.database_path(root), DYNAMIC_TABLE)
    assert warehouse.row_counts(etl_settings.database_path(root), DYNAMIC_TABLE) == {name: 8 for name in names}
    assert sorted(set(table["source_file"])) == sorted(f"{name}{CSV_SUFFIX}" for name in names)


# ---- JupyterLab as `make lessons` starts it (scripts/open_lessons.py) ---------------------------


def make_target_recipe(target: str) -> str:
    """A Makefile target's recipe, its continued lines joined as Make joins them."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    return makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")


def make_target_arguments(target: str, program: str) -> list[str]:
    """The arguments a Makefile target passes to `program` (e.g. `dg dev`); Make variables
    such as `$(AS_ROOT)` (the root-only `--allow-root`) are left out."""
    line = next(part.strip() for part in make_target_recipe(target).splitlines() if program in part)
    return [a for a in shlex.split(line.split(program, 1)[1]) if not a.startswith("$(")]


def test_make_lessons_binds_jupyterlab_to_loopback_and_keeps_the_token():
    assert make_target_arguments("lessons", "scripts/open_lessons.py") == []  # no option but $(AS_ROOT)
    arguments = open_lessons.jupyter_lab_arguments()
    assert "--ServerApp.ip=127.0.0.1" in arguments
    assert not [a for a in arguments if "token" in a.lower() or "password" in a.lower()]
    assert "--ContentsManager.hide_globs=*.egg-info" in arguments  # the file browser shows the course


def test_make_dagster_binds_dg_dev_to_loopback():
    arguments = make_target_arguments("dagster", "dg dev")
    assert arguments[arguments.index("-h") + 1] == HOST


def start_open_lessons(tmp_path: Path, port: int) -> subprocess.Popen:
    """`make lessons`' launcher, without a browser, in a process group of its own and its own Jupyter folders."""
    env = {
        **os.environ,
        **{
            name: str(tmp_path / name.lower())
            for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR")
        },
    }
    env.pop("JUPYTER_TOKEN", None)
    extra = ["--no-browser", f"--port={port}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:  # CI runs as root; `make lessons` is for a learner's own account
        extra.append("--allow-root")
    with open(tmp_path / "jupyter.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "open_lessons.py"), *extra],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def printed_start_link(log: Path, launcher: subprocess.Popen, timeout: float = 120) -> str:
    """The start-page link the launcher prints once JupyterLab answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"http://\S+/lab/tree/notebooks/START_HERE\.ipynb\?token=\w+", log.read_text())
        if found:
            return found.group()
        assert launcher.poll() is None, f"open_lessons.py exited with {launcher.returncode}:\n{log.read_text()[-2000:]}"
        time.sleep(0.2)
    raise TimeoutError(f"no start link within {timeout:.0f} s:\n{log.read_text()[-2000:]}")


@pytest.mark.slow
def test_jupyterlab_started_like_make_lessons_listens_on_loopback_and_asks_for_its_token(tmp_path):
    port = free_port()
    launcher = start_open_lessons(tmp_path, port)
    try:
        link = printed_start_link(tmp_path / "jupyter.log", launcher)
        assert link.startswith(f"http://{HOST}:{port}/lab/tree/notebooks/START_HERE.ipynb?token=")
        token = link.rsplit("token=", 1)[1]
        addresses = listening_addresses(launcher.pid)
        assert (HOST, port) in addresses
        assert {ip for ip, _ in addresses} <= LOOPBACK, addresses

        api = f"http://{HOST}:{port}/api/contents"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(api, timeout=10)
        assert refused.value.code == 403

        def get(path: str):
            request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()

        status, body = get("/api/contents/notebooks/START_HERE.ipynb")
        assert status == 200 and json.loads(body)["type"] == "notebook"
        # The news pop-up is off (scripts/lab_settings/overrides.json), and the build clutter hidden.
        _, body = get("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        defaults = json.loads(body)["schema"]["properties"]  # overrides.json sets the defaults
        assert defaults["fetchNews"]["default"] == "false" and defaults["checkForUpdates"]["default"] is False
        _, body = get("/api/contents/")
        names = {item["name"] for item in json.loads(body)["content"]}
        assert {"notebooks", "learner", "docs"} <= names
        assert not [name for name in names if name.endswith(".egg-info") or name == "__pycache__"], names
    finally:
        stop_process_group(launcher)
