"""The lesson conventions of CONTRIBUTING.md that a reader can check: one title style, the glossary,
predict-then-run prompts, a short import cell, and the Dagster calls each lesson must show in its
own code cells, before any helper repeats them.
"""

import re
from pathlib import Path

import nbformat
import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO_DIR / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GLOSSARY = REPO_DIR / "docs" / "glossary.md"
PREDICT_PROMPT = "**Predict, then run:**"
MAX_IMPORT_CELL_LINES = 12

# What a learner must see written out, in a code cell of the lesson itself (not in a helper).
DAGSTER_IN_THE_CELLS = {
    "01": [
        "dg.DailyPartitionsDefinition(",
        "dg.DynamicPartitionsDefinition(",
        "@dg.asset(",
        "dg.materialize(",
        ".add_dynamic_partitions(",
        "dg.AssetCheckSpec(",
        "dg.AssetCheckResult(",
        ".get_asset_check_evaluations(",
    ],
    "02": [
        "dg.build_schedule_from_partitioned_job(",
        "dg.build_schedule_context(",
        ".evaluate_tick(",
        "dg.build_run_status_sensor_context(",
        "dg.RetryRequested(",
        "dg.RunsFilter(",
    ],
    "03": [
        "minimum_interval_seconds=",
        "dg.build_sensor_context(",
        ".evaluate_tick(",
        ".add_dynamic_partitions(",
        "dg.RunsFilter(",
        "dagster/sensor_name",
        "dagster/run_key",
        ".execute_in_process(",
    ],
    "04": [
        "@dg.sensor(",
        "dynamic_partitions_requests=",
        "dg.build_sensor_context(",
        ".evaluate_tick(",
        ".get_object(",
    ],
    "05": [
        "import dagster as dg",
        "dg.DagsterInstance",
        ".get_runs(",
        "dg.RunsFilter(",
        "dagster/run_key",
        "sensor start",
    ],
    "06": [
        "dg.AutomationCondition.on_cron(",
        "dg.AutomationCondition.eager(",
        "dg.AutomationCondition.on_missing(",
        "dg.evaluate_automation_conditions",
        "cursor=cursor",
    ],
}
# Helpers that repeat a lesson's subject: each may appear only after the calls it repeats.
HELPERS_AFTER_THE_CALLS = {
    "03": (
        ["dg.build_sensor_context(", ".evaluate_tick(", ".add_dynamic_partitions(", "dg.RunsFilter("],
        ["DaemonLikeLoop(", "call_sensor(", "play_ticks("],
    ),
}


def lesson_number(path: Path) -> str:
    return path.name[:2]


def code_sources(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def first_index(sources: list[str], text: str) -> int | None:
    return next((index for index, source in enumerate(sources) if text in source), None)


@pytest.fixture(params=LESSONS, ids=lambda path: path.name)
def lesson(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_every_lesson_has_its_list_of_calls():
    assert sorted(DAGSTER_IN_THE_CELLS) == sorted(lesson_number(path) for path in LESSONS)


def test_title_objectives_glossary_and_summary(lesson):
    path, notebook = lesson
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"# Lesson {lesson_number(path)} — \S", first.source), first.source.splitlines()[0]
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "By the end" in first.source, "objectives at the top"
    assert "](../docs/glossary.md)" in markdown and GLOSSARY.is_file()
    assert re.search(r"^## Summary", markdown, re.MULTILINE)


def test_predict_then_run_prompts_come_before_code(lesson):
    _, notebook = lesson
    prompts = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown" and PREDICT_PROMPT in cell.source
    ]
    assert len(prompts) >= 2, f"at least two '{PREDICT_PROMPT}' prompts"
    for index in prompts:
        assert any(cell.cell_type == "code" for cell in notebook.cells[index + 1 : index + 3]), (
            f"cell {index + 1}: a prompt is followed by the cell that answers it"
        )


def test_the_import_cell_is_short(lesson):
    _, notebook = lesson
    first_code = code_sources(notebook)[0]
    imports = [line for line in first_code.splitlines() if re.match(r"\s*(from \S+ )?import ", line)]
    assert len(imports) <= MAX_IMPORT_CELL_LINES, f"{len(imports)} import lines in the first code cell"


def test_the_dagster_calls_are_in_the_cells(lesson):
    path, notebook = lesson
    sources = code_sources(notebook)
    missing = [call for call in DAGSTER_IN_THE_CELLS[lesson_number(path)] if first_index(sources, call) is None]
    assert not missing, f"not written out in any code cell: {missing}"


def test_each_call_is_shown_before_a_helper_repeats_it(lesson):
    path, notebook = lesson
    if lesson_number(path) not in HELPERS_AFTER_THE_CALLS:
        pytest.skip("no helper repeats this lesson's calls")
    calls, helpers = HELPERS_AFTER_THE_CALLS[lesson_number(path)]
    sources = code_sources(notebook)
    last_call = max(first_index(sources, call) for call in calls)
    for helper in helpers:
        used = first_index(sources, helper)
        assert used is None or used > last_call, f"{helper} is used before the calls it repeats are shown"
