"""`dagster_and_etl.teaching` is the lessons' one import point, and it imports only what is used."""

import re
import subprocess
import sys

import nbformat
import pytest

import dagster_and_etl.teaching as teaching
from dagster_and_etl.settings import REPO_DIR

# The main path and the deep dives.
LESSONS = sorted((REPO_DIR / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (REPO_DIR / "notebooks").glob("deep_dives/*.ipynb")
)
DEEP_IMPORT = re.compile(r"^\s*from dagster_and_etl\.teaching\.\w+", re.MULTILINE)


@pytest.mark.parametrize("name", teaching.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(teaching, name) is not None


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        getattr(teaching, "nothing_here")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: str(path.relative_to(REPO_DIR / "notebooks")))
def test_lessons_import_helpers_from_the_import_point(lesson):
    cells = nbformat.read(lesson, as_version=4).cells
    deep = [
        match.group(0).strip()
        for cell in cells
        if cell.cell_type == "code"
        for match in DEEP_IMPORT.finditer(cell.source)
    ]
    assert deep == [], "import from dagster_and_etl.teaching, not its subpackages"


def test_a_name_loads_only_its_own_subpackage():
    probe = "import sys; from dagster_and_etl.teaching import LessonWorkspace; print(sorted({'moto', 'matplotlib', 'ipywidgets'} & set(sys.modules)))"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert shown.stdout.strip() == "[]"
