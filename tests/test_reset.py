"""`python -m dagster_and_etl.instructor.reset ROOT` on a temporary copy of the repository's data/."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_and_etl import settings
from dagster_and_etl.instructor.reset import reset
from dagster_and_etl.sample_data import PREPARED_FILES, arrival_time, source_days, write_sample_data

REPO_DATA = settings.REPO_DIR / "data"


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def used_root(tmp_path: Path) -> Path:
    """A copy of data/ after a class: files dropped, a corrected and a partial file, a database,
    a Dagster home, and files of the instructor's own outside source/."""
    root = tmp_path / "data"
    shutil.copytree(REPO_DATA / "source", root / "source")
    shutil.copytree(REPO_DATA / "extras", root / "extras")
    source = root / "source"
    shutil.copyfile(root / "extras" / PREPARED_FILES["late"].extras_path, source / "2018-02-01.csv")
    shutil.copyfile(root / "extras" / PREPARED_FILES["corrected"].extras_path, source / "2018-01-25.csv")
    shutil.copyfile(root / "extras" / PREPARED_FILES["partial"].extras_path, source / "2018-02-02.csv.part")
    (source / "archive").mkdir()
    (source / "archive" / "old.csv").write_text("kept nowhere\n")
    os.utime(source / "2018-01-22.csv", (0, 0))
    (root / "staging").mkdir()
    with duckdb.connect(str(settings.database_path(root))) as connection:
        connection.execute("CREATE TABLE t AS SELECT 1 AS x")
    (root / "dagster_home" / "storage").mkdir(parents=True)
    (root / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (root / "notes.txt").write_text("the instructor's notes\n")
    (root / "extras" / "my_own.csv").write_text("an extra of the instructor's own\n")
    return root


def test_reset_restores_the_committed_sample_files_and_removes_the_rest(used_root: Path):
    done = reset(used_root)

    assert files_under(used_root / "source") == files_under(REPO_DATA / "source")
    for day in source_days():
        path = used_root / "source" / f"{day.isoformat()}.csv"
        assert path.stat().st_mtime == arrival_time(day).timestamp(), path.name
    assert not (used_root / "staging").exists()
    assert not (used_root / "dagster_home").exists()
    # Nothing else touched: the instructor's own files stay, extras are the committed ones plus theirs.
    assert (used_root / "notes.txt").read_text() == "the instructor's notes\n"
    assert files_under(used_root / "extras") == {
        **files_under(REPO_DATA / "extras"),
        "my_own.csv": b"an extra of the instructor's own\n",
    }
    assert "removed source/2018-02-01.csv" in done
    assert "removed source/2018-02-02.csv.part" in done
    assert "removed source/archive" in done
    assert "removed dagster_home/" in done


def test_reset_is_idempotent_and_runs_from_the_command_line(used_root: Path, tmp_path: Path):
    command = [sys.executable, "-m", "dagster_and_etl.instructor.reset", str(used_root)]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "removed staging/data.duckdb" in first.stdout
    snapshot = files_under(used_root)
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert files_under(used_root) == snapshot
    assert "removed" not in second.stdout


def test_reset_refuses_a_folder_that_is_not_a_data_root(tmp_path: Path):
    (tmp_path / "dagster_home").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "dagster_and_etl.instructor.reset", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "does not look like a data root" in result.stderr
    assert (tmp_path / "dagster_home").is_dir()


def test_the_committed_data_is_what_the_generator_writes(tmp_path: Path):
    """Reset regenerates the files: that is only right if the generator writes the committed bytes."""
    write_sample_data(tmp_path)
    for folder in ("source", "extras"):
        assert files_under(tmp_path / folder) == files_under(REPO_DATA / folder)
