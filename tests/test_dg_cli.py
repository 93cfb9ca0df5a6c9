"""The `dg` CLI on the reference project: `dg check defs`, `dg list defs`, and `dg dev` serving the
code location under the same name as `dagster dev -m dagster_and_etl.definitions`.

The name matters: the daemon files a sensor's stored cursor and its run-key check under its code
location, so a project started once with `dagster dev` and once with `dg dev` must be the same
location, or the sensor would start over with an empty cursor.
"""

import json
import os
import subprocess

import pytest

from dagster_and_etl import settings
from dagster_and_etl.settings import REPO_DIR
from dagster_and_etl.teaching.live.dagster_dev import DagsterDevServer, _dg_cli
from dagster_and_etl.teaching.live.processes import live_processes_in_group


def run_dg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_dg_cli(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_DIR,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"},
    )


@pytest.mark.slow
def test_dg_check_defs_passes():
    result = run_dg("check", "defs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout + result.stderr


@pytest.mark.slow
def test_dg_list_defs_lists_the_assets_their_checks_the_jobs_the_schedule_and_the_sensors():
    result = run_dg("list", "defs", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    listed = json.loads(result.stdout[result.stdout.index("{") :])
    assets = ["raw_dynamic_partition_data", "raw_partition_data", "raw_s3_partition_data"]
    assert sorted(a["asset_key"] for a in listed["assets"]) == assets
    assert sorted(c["key"] for c in listed["asset_checks"]) == [f"{a}:valid_source_file" for a in assets]
    assert sorted(j["name"] for j in listed["jobs"]) == [
        "import_dynamic_partition_job",
        "import_partition_job",
        "import_s3_partition_job",
    ]
    assert [s["name"] for s in listed["schedules"]] == ["asset_partitioned_schedule"]
    assert sorted(s["name"] for s in listed["sensors"]) == ["dynamic_sensor", "s3_event_sensor", "s3_sensor"]


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
