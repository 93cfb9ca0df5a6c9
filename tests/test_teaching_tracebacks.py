"""Errors in the lessons show as one line, and no committed output names this machine's paths."""

from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from dagster_and_etl.teaching.kernel.tracebacks import short_tracebacks

REPO_DIR = Path(__file__).resolve().parent.parent
# The main path and the deep dives.
LESSONS = sorted((REPO_DIR / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (REPO_DIR / "notebooks").glob("deep_dives/*.ipynb")
)


def test_outside_ipython_it_does_nothing():
    assert short_tracebacks() is None


def test_in_ipython_errors_show_as_one_line(capsys):
    shell = InteractiveShell.instance()
    try:
        short_tracebacks()
        assert capsys.readouterr().out == ""  # unlike %xmode, it prints nothing
        shell.run_cell("def fail():\n    raise ValueError('the file has no header')\nfail()")
        shown = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
        assert len(shown) == 1 and "ValueError" in shown[0] and "the file has no header" in shown[0], shown
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: str(path.relative_to(REPO_DIR / "notebooks")))
def test_committed_errors_are_one_line_without_paths(lesson: Path):
    notebook = nbformat.read(lesson, as_version=4)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                assert len(output.traceback) == 1, f"cell {index + 1}: a traceback with stack frames"
            shown = (
                "".join(output.get("traceback", []))
                + output.get("text", "")
                + output.get("data", {}).get("text/plain", "")
            )
            assert "/.venv/" not in shown and str(REPO_DIR) not in shown, f"cell {index + 1} shows a local path"
