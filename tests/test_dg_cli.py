"""The `dg` CLI on the reference project: `dg check defs`, `dg list defs`, and `dg dev` serving the
code location under the same name as `dagster dev -m dagster_and_etl.definitions`.

The name matters: the daemon files a sensor's stored cursor and its run-key check under its code
location, so a project started once with `dagster dev` and once with `dg dev` must be the same
location, or the sensor would start over with an empty cursor.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dagster_and_etl import settings
from dagster_and_etl.settings import REPO_DIR
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer, _dg_cli
from dagster_and_etl.teaching.live.processes import live_processes_in_group


def run_dg(*args: str, cwd: Path = REPO_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_dg_cli(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"},
    )


@pytest.mark.slow
def test_dg_check_defs_passes():
    result = run_dg("check", "defs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout + result.stderr


def listed_defs(cwd: Path = REPO_DIR) -> dict:
    result = run_dg("list", "defs", "--json", cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout[result.stdout.index("{") :])


ASSETS = ["raw_dynamic_partition_data", "raw_partition_data", "raw_s3_partition_data"]


def assert_todays_definitions(listed: dict, extra_sensors: tuple[str, ...] = ()) -> None:
    assert sorted(a["asset_key"] for a in listed["assets"]) == ASSETS
    assert sorted(c["key"] for c in listed["asset_checks"]) == [f"{a}:valid_source_file" for a in ASSETS]
    assert sorted(j["name"] for j in listed["jobs"]) == [
        "import_dynamic_partition_job",
        "import_partition_job",
        "import_s3_partition_job",
    ]
    assert [s["name"] for s in listed["schedules"]] == ["asset_partitioned_schedule"]
    assert sorted(s["name"] for s in listed["sensors"]) == sorted(
        ["dynamic_sensor", "s3_event_sensor", "s3_sensor", *extra_sensors]
    )
    assert sorted(r["name"] for r in listed["resources"]) == ["database", "landing_bucket", "source"]


@pytest.mark.slow
def test_dg_list_defs_lists_the_assets_their_checks_the_jobs_the_schedule_and_the_sensors():
    assert_todays_definitions(listed_defs())


@pytest.mark.slow
def test_a_sensor_scaffolded_with_dg_is_loaded_beside_every_definition(tmp_path):
    # A copy of the project, as a learner has it: `dg scaffold defs` writes into defs/, and the
    # definitions load that folder as `dg` does (definitions.py: `dg.load_from_defs_folder`).
    # `dg` runs the copy's code (its folder is first on the code server's path).
    project = tmp_path / "project"
    files = subprocess.run(
        ["git", "ls-files", "-z", "pyproject.toml", "README.md", "dagster.yaml", "dagster_and_etl"],
        cwd=REPO_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_DIR / name, project / name)
    scaffolded = run_dg("scaffold", "defs", "dagster.sensor", "some_sensor.py", cwd=project)
    assert scaffolded.returncode == 0, scaffolded.stdout + scaffolded.stderr
    assert (project / "dagster_and_etl" / "defs" / "some_sensor.py").is_file()
    assert_todays_definitions(listed_defs(project), extra_sensors=("some_sensor",))


@pytest.mark.daemon
@pytest.mark.parametrize("cli", ["dg", "dagster"])
def test_dg_dev_and_dagster_dev_serve_the_same_code_location(tmp_path, cli):
    server = DagsterDevServer(tmp_path / "data", settings.dagster_home(tmp_path), cli=cli)
    try:
        server.start()
        pgid = server.process.pid
        assert server.code_location_names() == [settings.DEFINITIONS_MODULE]
    finally:
        server.stop()
    assert live_processes_in_group(pgid) == [], f"{cli} dev left processes behind"
