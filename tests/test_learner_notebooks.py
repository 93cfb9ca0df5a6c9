"""The learner versions: up to date, solutions gone, and every self-check fails on the blank exercise.

The self-checks of the lesson notebooks themselves pass: strict nbval re-runs every lesson and
compares each cell with its committed output, and the committed self-check cells ran without an
error (checked here). That every self-check fails on its blank exercise is checked on the learner
copies' Run All in the browser test. The fixture notebook has no committed outputs, so it is
executed here both ways.
"""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import repo_scripts

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "90_fixture_lesson.ipynb"
SCRIPT = repo_scripts.SCRIPTS_DIR / "make_learner_notebooks.py"
learner = repo_scripts.make_learner_notebooks
executor = repo_scripts.execute_notebooks

LESSONS = learner.lesson_notebooks()  # the main path, then the deep dives


def lesson_id(path: Path) -> str:
    return str(learner.relative_name(path))


LESSONS_WITH_EXERCISES = [
    path
    for path in LESSONS
    if any(learner.EXERCISE_TAG in learner.tags(cell) for cell in nbformat.read(path, as_version=4).cells)
]


def cells_tagged(notebook, tag: str) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code" and tag in learner.tags(cell)]


def execute(notebook, cwd: Path):
    """Run every cell in this environment's kernel, going on past errors, as a learner's Run All would not."""
    return executor.execute(notebook, cwd, allow_errors=True)


def test_the_learner_versions_are_up_to_date():
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("lesson", [*LESSONS, FIXTURE], ids=lesson_id)
def test_exercises_and_self_checks_are_well_formed(lesson: Path):
    notebook = nbformat.read(lesson, as_version=4)
    exercises, checks = cells_tagged(notebook, learner.EXERCISE_TAG), cells_tagged(notebook, learner.SELF_CHECK_TAG)
    assert bool(exercises) == bool(checks), "an exercise needs a self-check, and a self-check an exercise"
    blank = learner.learner_version(notebook, lesson.name)  # raises on a marker out of place
    for cell in blank.cells:
        assert learner.BEGIN not in cell.source and learner.END not in cell.source
        assert not cell.get("outputs") and cell.get("execution_count") is None
    solutions = [c.source for c in exercises]
    blanks = [c.source for c in cells_tagged(blank, learner.EXERCISE_TAG)]
    assert all("raise NotImplementedError" in b for b in blanks)
    assert all(learner.HINT in b for b in blanks), "every exercise stub keeps a hint"
    assert blanks != solutions or not solutions
    assert [c.source for c in cells_tagged(blank, learner.SELF_CHECK_TAG)] == [c.source for c in checks]
    # Run All on a learner copy goes past an unsolved exercise and its failing self-check.
    for cell in cells_tagged(blank, learner.EXERCISE_TAG) + cells_tagged(blank, learner.SELF_CHECK_TAG):
        assert learner.RAISES_TAG in learner.tags(cell), cell.source


def test_an_exercise_stub_keeps_its_signature_and_hints():
    source = 'def double(n):\n    """Twice `n`."""\n    # BEGIN SOLUTION\n    # Hint: multiply.\n    return 2 * n\n    # END SOLUTION'
    assert learner.blank_solutions(source, "x.ipynb").splitlines() == [
        "def double(n):",
        '    """Twice `n`."""',
        "    # Hint: multiply.",
        "    " + learner.PLACEHOLDER,
    ]


def test_the_learner_copies_mirror_the_layout(tmp_path):
    """Main-path lessons and deep dives get copies at the same place under learner/; a copy left
    behind by a lesson that moved or went is reported by --check and removed by a full run."""
    assert learner.learner_path(learner.LESSONS_DIR / "02_x.ipynb") == learner.LEARNER_DIR / "02_x.ipynb"
    assert learner.learner_path(learner.LESSONS_DIR / "deep_dives" / "y.ipynb") == (
        learner.LEARNER_DIR / "deep_dives" / "y.ipynb"
    )
    assert all(learner.learner_path(lesson).is_file() for lesson in LESSONS)
    out = tmp_path / "learner"
    (out / "deep_dives").mkdir(parents=True)
    (out / "07_gone.ipynb").write_text("{}")
    (out / "deep_dives" / "gone.ipynb").write_text("{}")
    lessons = [FIXTURE]
    problems = learner.stale(lessons, out, prune=True)
    assert problems == [
        "90_fixture_lesson.ipynb is missing",
        "07_gone.ipynb has no lesson notebook",
        "deep_dives/gone.ipynb has no lesson notebook",
    ], problems
    learner.write(lessons, out, prune=True)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.ipynb")) == ["90_fixture_lesson.ipynb"]
    assert learner.stale(lessons, out, prune=True) == []


def test_markers_outside_an_exercise_cell_are_refused():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION")])
    with pytest.raises(learner.ExerciseMarkupError, match="not tagged 'exercise'"):
        learner.learner_version(notebook, "bad.ipynb")
    unbalanced = nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1", metadata={"tags": ["exercise"]})
    with pytest.raises(learner.ExerciseMarkupError, match="without # END SOLUTION"):
        learner.learner_version(nbformat.v4.new_notebook(cells=[unbalanced]), "bad.ipynb")
    no_hint = nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", metadata={"tags": ["exercise"]})
    with pytest.raises(learner.ExerciseMarkupError, match="without a '# Hint:' line"):
        learner.learner_version(nbformat.v4.new_notebook(cells=[no_hint]), "bad.ipynb")


@pytest.mark.parametrize("lesson", LESSONS_WITH_EXERCISES, ids=lesson_id)
def test_committed_self_checks_pass_on_the_solution(lesson: Path):
    notebook = nbformat.read(lesson, as_version=4)
    for cell in cells_tagged(notebook, learner.SELF_CHECK_TAG):
        assert cell.execution_count is not None, "a self-check cell was not executed before committing"
        assert "raises-exception" not in learner.tags(cell)
        assert not learner.cell_errors(cell), cell.source


def test_every_self_check_of_the_fixture_fails_on_its_blank_exercise():
    # The learner copies get the same check from their Run All in the browser test
    # (tests/test_browser_lessons.py): one execution of each copy serves both.
    blank = learner.learner_version(nbformat.read(FIXTURE, as_version=4), FIXTURE.name)
    assert learner.blank_run_problems(execute(blank, FIXTURE.parent)) == []


def test_a_self_check_that_passes_on_the_blank_exercise_is_reported():
    blank = learner.learner_version(nbformat.read(FIXTURE, as_version=4), FIXTURE.name)
    for cell in cells_tagged(blank, learner.SELF_CHECK_TAG):
        cell.source = "pass"  # a check that checks nothing
    problems = learner.blank_run_problems(execute(blank, FIXTURE.parent))
    assert problems and all("passed on the blank exercise" in p for p in problems)


def test_the_fixture_self_checks_pass_on_the_solution():
    executed = execute(nbformat.read(FIXTURE, as_version=4), FIXTURE.parent)
    for cell in cells_tagged(executed, learner.SELF_CHECK_TAG):
        assert not learner.cell_errors(cell), cell.source
    assert [c.source for c in executed.cells if c.cell_type == "code" and learner.cell_errors(c)] == [
        c.source for c in cells_tagged(executed, "raises-exception")
    ]
