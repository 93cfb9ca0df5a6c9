"""Write the learner versions of the lesson notebooks: solutions removed, self-checks kept.

    python scripts/make_learner_notebooks.py            # notebooks/NN_*.ipynb -> learner/NN_*.ipynb,
                                                        # notebooks/deep_dives/*.ipynb -> learner/deep_dives/
    python scripts/make_learner_notebooks.py --check    # exit 1 if learner/ is not up to date

The learner folder mirrors the layout: the main-path lessons (`notebooks/NN_*.ipynb`) and the
deep dives (`notebooks/deep_dives/*.ipynb`) get copies at the same place under `learner/`. The
course map (`notebooks/START_HERE.ipynb`) has no exercises and no copy.

In a code cell tagged `exercise`, every block from a line `# BEGIN SOLUTION` to a line
`# END SOLUTION` becomes a stub at the block's indentation: the block's `# Hint:` comment lines,
then a line that raises NotImplementedError. What stands outside the block (a function's
signature and docstring) stays, so the learner starts from a stub, not a blank cell, and the
cells tagged `self-check` fail until the learner writes an answer. Each solution block needs a
hint.

In the learner copy, the exercise and self-check cells also carry the `raises-exception` tag:
JupyterLab's Run All goes past a cell with that tag when it fails, so Run All on an unsolved
copy still reaches the last cell (which stops the lesson's servers).

Every output and execution count is cleared; tags are kept. Markers outside an exercise cell,
an exercise cell without markers, a block without a hint, or unbalanced markers are errors: a
solution never leaks.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

REPO_DIR = Path(__file__).resolve().parent.parent
LESSONS_DIR = REPO_DIR / "notebooks"
LEARNER_DIR = REPO_DIR / "learner"
# The main path, then the deep dives: relative to notebooks/, and mirrored under learner/.
MAIN_PATH_GLOB = "[0-9][0-9]_*.ipynb"
DEEP_DIVES_GLOB = "deep_dives/*.ipynb"
LESSON_GLOBS = (MAIN_PATH_GLOB, DEEP_DIVES_GLOB)

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
EXERCISE_TAG, SELF_CHECK_TAG = "exercise", "self-check"
HINT = "# Hint:"
PLACEHOLDER = 'raise NotImplementedError("Exercise: replace this line with your answer")'
RAISES_TAG = "raises-exception"
# Metadata a run leaves behind (widget state, execution timings): not part of a learner's copy.
RUN_METADATA = ("widgets", "execution")


class ExerciseMarkupError(ValueError):
    pass


def lesson_notebooks(lessons_dir: Path = LESSONS_DIR) -> list[Path]:
    """Every notebook with a learner copy: the main-path lessons in order, then the deep dives."""
    return [path for pattern in LESSON_GLOBS for path in sorted(lessons_dir.glob(pattern))]


def relative_name(lesson: Path) -> Path:
    """Where a lesson sits below notebooks/ (`02_x.ipynb`, `deep_dives/y.ipynb`), and so its copy below learner/.

    A notebook outside notebooks/ (a test's) keeps just its name."""
    lesson = lesson.resolve()
    return lesson.relative_to(LESSONS_DIR) if lesson.is_relative_to(LESSONS_DIR) else Path(lesson.name)


def learner_path(lesson: Path, out_dir: Path = LEARNER_DIR) -> Path:
    """The learner copy of `lesson` under `out_dir`, at the lesson's place in the layout."""
    return out_dir / relative_name(lesson)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


# What an unsolved exercise's self-check may fail with: the learner sees why it failed.
BLANK_CHECK_ERRORS = ("AssertionError", "NameError", "NotImplementedError")


def cell_errors(cell) -> list[str]:
    """The errors an executed code cell shows, as `Name: message`."""
    return [f"{out.ename}: {out.evalue}" for out in cell.get("outputs", []) if out.output_type == "error"]


def blank_run_problems(executed: nbformat.NotebookNode) -> list[str]:
    """What is wrong in a Run All of a learner copy that went past errors: an exercise stub that
    fails other than with its NotImplementedError, a self-check that passes on the blank exercise,
    or one that fails with an error that does not tell the learner why. Empty when all is well."""
    problems = []
    for index, cell in enumerate(executed.cells, start=1):
        if cell.cell_type != "code":
            continue
        errors = cell_errors(cell)
        if EXERCISE_TAG in tags(cell) and any("NotImplementedError" not in e for e in errors):
            problems.append(f"cell {index}: the blank exercise failed with {errors}")
        if SELF_CHECK_TAG in tags(cell):
            if not errors:
                problems.append(f"cell {index}: this self-check passed on the blank exercise:\n{cell.source}")
            elif not all(e.split(":")[0] in BLANK_CHECK_ERRORS for e in errors):
                problems.append(f"cell {index}: the self-check failed with {errors}")
    return problems


def blank_solutions(source: str, where: str) -> str:
    """`source` with each solution block replaced by its hints and the placeholder, indented
    like its BEGIN line."""
    lines, inside, indent, blocks = source.splitlines(), False, "", 0
    kept: list[str] = []
    hints: list[str] = []
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ExerciseMarkupError(f"{where}, line {number}: {BEGIN} inside a solution block")
            inside, indent, hints = True, line[: len(line) - len(line.lstrip())], []
            blocks += 1
        elif marker == END:
            if not inside:
                raise ExerciseMarkupError(f"{where}, line {number}: {END} without {BEGIN}")
            if not hints:
                raise ExerciseMarkupError(f"{where}, line {number}: a solution block without a {HINT!r} line")
            kept.extend([*(indent + hint for hint in hints), indent + PLACEHOLDER])
            inside = False
        elif inside:
            if marker.startswith(HINT):
                hints.append(marker)
        else:
            kept.append(line)
    if inside:
        raise ExerciseMarkupError(f"{where}: {BEGIN} without {END}")
    if not blocks:
        raise ExerciseMarkupError(f"{where}: an exercise cell without a {BEGIN} ... {END} block")
    return "\n".join(kept)


def learner_version(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    learner = copy.deepcopy(notebook)
    for key in RUN_METADATA:
        learner.metadata.pop(key, None)
    for index, cell in enumerate(learner.cells):
        where = f"{name}, cell {index + 1}"
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if EXERCISE_TAG in tags(cell):
            cell.source = blank_solutions(cell.source, where)
        elif BEGIN in cell.source or END in cell.source:
            raise ExerciseMarkupError(f"{where}: solution markers in a cell not tagged {EXERCISE_TAG!r}")
        if {EXERCISE_TAG, SELF_CHECK_TAG} & set(tags(cell)) and RAISES_TAG not in tags(cell):
            cell.metadata["tags"] = [*tags(cell), RAISES_TAG]
    nbformat.validate(learner)
    return learner


def learner_text(lesson: Path) -> str:
    notebook = nbformat.read(lesson, as_version=4)
    return nbformat.writes(learner_version(notebook, lesson.name)) + "\n"


def copies_without_lesson(lessons: list[Path], out_dir: Path) -> list[Path]:
    """Learner copies in `out_dir` (either level of the layout) whose lesson is not in `lessons`."""
    expected = {learner_path(lesson, out_dir) for lesson in lessons}
    return [path for path in lesson_notebooks(out_dir) if path not in expected]


def stale(lessons: list[Path], out_dir: Path, prune: bool) -> list[str]:
    """What differs between `out_dir` and the learner versions of `lessons`, each named below `out_dir`."""
    problems = []
    for lesson in lessons:
        target = learner_path(lesson, out_dir)
        name = target.relative_to(out_dir)
        if not target.is_file():
            problems.append(f"{name} is missing")
        elif target.read_text(encoding="utf-8") != learner_text(lesson):
            problems.append(f"{name} is out of date")
    if prune:
        problems += [
            f"{p.relative_to(out_dir)} has no lesson notebook" for p in copies_without_lesson(lessons, out_dir)
        ]
    return problems


def write(lessons: list[Path], out_dir: Path, prune: bool) -> list[Path]:
    written = []
    for lesson in lessons:
        target = learner_path(lesson, out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = learner_text(lesson)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    if prune:
        for path in copies_without_lesson(lessons, out_dir):
            path.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help=f"default: notebooks/{MAIN_PATH_GLOB} and notebooks/{DEEP_DIVES_GLOB}"
    )
    parser.add_argument("--out", type=Path, default=LEARNER_DIR, help="default: learner/")
    parser.add_argument("--check", action="store_true", help="only check that the learner versions are up to date")
    args = parser.parse_args(argv)
    # Over the default set the folder mirrors the lessons exactly; given notebooks, nothing else is touched.
    prune = not args.notebooks
    lessons = [path.resolve() for path in args.notebooks] or lesson_notebooks()
    try:
        if args.check:
            problems = stale(lessons, args.out, prune)
            for problem in problems:
                print(f"{args.out.name}/{problem}", file=sys.stderr)
            if problems:
                print("Run: python scripts/make_learner_notebooks.py", file=sys.stderr)
            return 1 if problems else 0
        for path in write(lessons, args.out, prune):
            print(f"wrote {path}")
    except ExerciseMarkupError as err:
        print(f"make_learner_notebooks: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
