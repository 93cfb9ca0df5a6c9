"""The lesson conventions of CONTRIBUTING.md that a reader can check.

Two kinds of notebook (CONTRIBUTING.md, "Layout"):

- **Main-path lessons**, `notebooks/NN_*.ipynb`, held to "How a main-path lesson is written": the
  opening cell (title, *Time*, *Questions*, *Objectives*, the glossary), the short first code cell
  with the lesson's own `LessonWorkspace("NN")`, predict prompts with a line for the learner's
  answer, short cells and outputs (the measures of `lesson_metrics.py`: words per markdown cell
  outside `<details>`, output lines, 19-digit numbers, Dagster internals), no environment
  variable set, the end in order (*Key points*, *Recap questions* with collapsed answers, the
  exercise and its self-check, the one-line check against the reference, *Going deeper*).
- **Deep dives**, `notebooks/deep_dives/*.ipynb`: longer and not held to those measures, but
  titled `# Deep dive — …`, with objectives, the glossary, predict prompts, a short import cell and
  a summary.

For both, the Dagster calls each must write out in its own code cells (not in a helper), and for
some, the helpers that may only come after those calls. A main-path lesson not written yet is
skipped, not failed: the table below says what it must show once it lands.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_DIR / "notebooks"
DEEP_DIVES_DIR = NOTEBOOKS_DIR / "deep_dives"
GLOSSARY = REPO_DIR / "docs" / "glossary.md"
CHECKS_MODULE = REPO_DIR / "dagster_and_etl" / "teaching" / "sandbox" / "checks.py"
PREDICT_PROMPT = "**Predict, then run:**"
PREDICTION_LINE = "**Your prediction:** _double-click and write it here_"
MAX_IMPORT_CELL_LINES = 12

# --- the main path (PLAN/CONTRIBUTING: "How a main-path lesson is written") ----------------------
MAIN_PATH = {
    "01": "01_partitions_for_daily_files.ipynb",
    "02": "02_a_schedule_and_the_late_file.ipynb",
    "03": "03_alerts_and_reruns.ipynb",
    "04": "04_a_sensor_you_build.ipynb",
    "05": "05_what_the_daemon_does.ipynb",
    "06": "06_before_you_go_event_driven.ipynb",
    "07": "07_declarative_automation.ipynb",
}
MAX_LESSON_MINUTES = 40  # issue 23: each lesson at most 40 estimated minutes (aim for 34)...
MAX_PATH_MINUTES = 240  # ...and the whole path at most 240
MAX_MARKDOWN_WORDS = 150  # outside <details>
MAX_OUTPUT_LINES = 25
MAX_FIRST_CODE_CELL_LINES = 12
QUESTIONS, OBJECTIVES, KEY_POINTS, RECAP = (2, 3), (3, 4), (3, 5), (2, 4)  # bullets: (at least, at most)
MAX_EXERCISES = 2
# Objectives say what the learner does in the cells ("write", "call", "predict", "read"), not a state of mind.
VAGUE_VERBS = {"understand", "learn", "know", "appreciate", "grasp", "see", "be"}
SOLUTION_LINE_MIN_CHARS = 40  # a solution line this long must not appear earlier in the lesson

# What a learner must see written out in a code cell of the lesson itself (not in a helper), once:
# a string, or a tuple of strings of which one is enough.
MAIN_PATH_CALLS: dict[str, list[str | tuple[str, ...]]] = {
    "01": [
        "dg.DailyPartitionsDefinition(",
        "@dg.asset(",
        "dg.materialize(",
        "dg.AssetCheckSpec(",
        "blocking=True",
        "dg.DynamicPartitionsDefinition(",
    ],
    "02": ["dg.build_schedule_from_partitioned_job(", "dg.build_schedule_context(", ".evaluate_tick("],
    "03": [
        "run_failure_sensor(",
        "dg.build_run_status_sensor_context(",
        ("freshness_check", "FreshnessPolicy", "freshness_policy="),
        (".execute_in_process(", "dg.materialize("),
    ],
    "04": ["@dg.sensor(", "dg.build_sensor_context(", ".evaluate_tick(", "dynamic_partitions_requests=", "run_key="],
    "05": [
        ".evaluate_tick(",
        ".add_dynamic_partitions(",
        ".get_run_records(",
        "dg.RunsFilter(",
        ".execute_in_process(",
    ],
    "06": ["@dg.sensor(", ".evaluate_tick("],
    "07": [
        "dg.AutomationCondition.on_cron(",
        "dg.AutomationCondition.eager(",
        "dg.evaluate_automation_conditions",  # called, or handed to a helper that runs it in a thread
    ],
}

# --- the deep dives (today's six lessons, moved whole) ---------------------------------------------
DEEP_DIVE_CALLS: dict[str, list[str | tuple[str, ...]]] = {
    "questions_people_ask": [
        "@dg.sensor(",
        "dg.build_sensor_context(",
        ".evaluate_tick(",
        "run_key=",
        ".get_dynamic_partitions(",
        ".build_delete_request(",
        "dg.build_schedule_from_partitioned_job(",
        "dg.evaluate_automation_conditions",
    ],
    "going_to_production": [],
    "partitions_and_safe_loads": [
        "dg.DailyPartitionsDefinition(",
        "dg.DynamicPartitionsDefinition(",
        "@dg.asset(",
        "dg.materialize(",
        ".add_dynamic_partitions(",
        "dg.AssetCheckSpec(",
        "dg.AssetCheckResult(",
        ".get_asset_check_evaluations(",
    ],
    "schedules_retries_and_backfills": [
        "dg.build_schedule_from_partitioned_job(",
        "dg.build_schedule_context(",
        ".evaluate_tick(",
        "dg.build_run_status_sensor_context(",
        "dg.RetryRequested(",
        "dg.RunsFilter(",
        ".get_status_by_partition(",
    ],
    "the_course_sensor_and_the_watermark": [
        "minimum_interval_seconds=",
        "dg.build_sensor_context(",
        ".evaluate_tick(",
        ".add_dynamic_partitions(",
        ".get_run_records(",
        "dg.RunsFilter(",
        "dagster/sensor_name",
        "dagster/run_key",
        ".execute_in_process(",
    ],
    "cursor_designs_and_the_bucket": [
        "@dg.sensor(",
        "dynamic_partitions_requests=",
        "dg.build_sensor_context(",
        ".evaluate_tick(",
        ".get_object(",
    ],
    "the_daemon_live": [
        "import dagster as dg",
        "dg.DagsterInstance",
        ".get_run_records(",
        "dg.RunsFilter(",
        "dagster/run_key",
        "sensor start",
    ],
    "automation_conditions_in_depth": [
        "dg.AutomationCondition.on_cron(",
        "dg.AutomationCondition.eager(",
        "dg.AutomationCondition.on_missing(",
        "dg.evaluate_automation_conditions",
        "cursor=cursor",
    ],
}

# Helpers that repeat a notebook's subject: each may appear only after the calls it repeats.
HELPERS_AFTER_THE_CALLS = {
    "04": ([".evaluate_tick("], ["DaemonLikeLoop(", "play_ticks(", "SensorPlayground("]),
    "05": (
        [".evaluate_tick(", ".add_dynamic_partitions(", ".get_run_records(", ".execute_in_process("],
        ["DaemonLikeLoop(", "call_sensor(", "play_ticks("],
    ),
    "the_course_sensor_and_the_watermark": (
        ["dg.build_sensor_context(", ".evaluate_tick(", ".add_dynamic_partitions(", "dg.RunsFilter("],
        ["DaemonLikeLoop(", "call_sensor(", "play_ticks("],
    ),
}

# --- measuring, as ../shared/lesson_metrics.py does ------------------------------------------------
DETAILS = re.compile(r"<details>.*?</details>", re.S | re.I)
INTERNAL = re.compile(r"dagster/_|dagster\._|`_[a-z][a-z0-9_]+`")
NANOSECONDS = re.compile(r"(?<!\d)\d{19}(?!\d)")
SETS_ENVIRONMENT = re.compile(
    r"os\.environ\s*\[[^\]]*\]\s*=(?!=)|os\.environ\.(update|setdefault|pop)\(|os\.putenv\(|del os\.environ|^\s*%env\s",
    re.M,
)


def _shared_metrics():
    """`lesson_metrics.py` from the session's shared folder when it is there (its `measure` is the
    guide CONTRIBUTING names); None elsewhere (CI), where this file's own rules stand alone."""
    for folder in (REPO_DIR.parent / "shared", REPO_DIR.parent.parent / "shared"):
        path = folder / "lesson_metrics.py"
        if path.is_file():
            spec = importlib.util.spec_from_file_location("lesson_metrics", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    return None


SHARED_METRICS = _shared_metrics()


def output_text(output) -> str:
    if "text" in output:
        return "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
    data = output.get("data", {})
    if "image/png" in data:
        return ""
    plain = data.get("text/plain", "")
    return "".join(plain) if isinstance(plain, list) else plain


def prose(source: str) -> str:
    """A markdown cell without its collapsed `<details>` asides."""
    return DETAILS.sub("", source)


def estimated_minutes(notebook) -> float:
    """lesson_metrics.py's estimate: prose at 150 words a minute, code at 12 lines, output at 40,
    1.5 minutes per predict prompt, 10 per exercise."""
    words = code = out = predicts = exercises = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            main = prose(cell.source)
            words += len(main.split())
            predicts += bool(re.search("predict", main, re.I))
        elif cell.cell_type == "code":
            code += len([line for line in cell.source.splitlines() if line.strip()])
            exercises += "exercise" in tags(cell)
            out += sum(len(output_text(o).splitlines()) for o in cell.get("outputs", []))
    return words / 150 + code / 12 + out / 40 + 1.5 * predicts + 10 * exercises


# --- reading a notebook ------------------------------------------------------------------------------


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def code_sources(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def first_index(sources: list[str], wanted: str | tuple[str, ...]) -> int | None:
    options = (wanted,) if isinstance(wanted, str) else wanted
    return next((index for index, source in enumerate(sources) if any(o in source for o in options)), None)


def bullets(text: str) -> list[str]:
    return [line.strip()[2:].strip() for line in text.splitlines() if re.match(r"\s*[-*] \S", line)]


def section(text: str, heading: str) -> str:
    """The lines after a line `**heading**` (or `## heading`) up to the next such heading."""
    lines, inside, kept = text.splitlines(), False, []
    for line in lines:
        is_heading = bool(re.match(r"\s*(\*\*[^*]+\*\*:?\s*$|#+ )", line))
        if inside and is_heading:
            break
        if inside:
            kept.append(line)
        if re.match(rf"\s*(\*\*{heading}:?\*\*:?|#+ {heading}:?)\s*$", line):
            inside = True
    return "\n".join(kept)


def heading_index(notebook, pattern: str) -> int | None:
    return next(
        (
            i
            for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "markdown" and re.search(pattern, cell.source, re.M)
        ),
        None,
    )


def read(path: Path):
    return nbformat.read(path, as_version=4)


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(params=sorted(MAIN_PATH), ids=lambda number: MAIN_PATH[number])
def lesson(request):
    """A main-path lesson, or a skip while it is not written yet."""
    path = NOTEBOOKS_DIR / MAIN_PATH[request.param]
    if not path.is_file():
        pytest.skip(f"{path.name} is not written yet")
    return request.param, read(path)


DEEP_DIVES = sorted(DEEP_DIVES_DIR.glob("*.ipynb"))


@pytest.fixture(params=DEEP_DIVES, ids=lambda path: f"deep_dives/{path.name}")
def deep_dive(request):
    return request.param.stem, read(request.param)


# --- the layout --------------------------------------------------------------------------------------


def test_every_notebook_is_a_known_lesson_or_deep_dive():
    main = sorted(path.name for path in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert set(main) <= set(MAIN_PATH.values()), f"not in MAIN_PATH: {sorted(set(main) - set(MAIN_PATH.values()))}"
    assert sorted(path.stem for path in DEEP_DIVES) == sorted(DEEP_DIVE_CALLS)
    assert sorted(MAIN_PATH_CALLS) == sorted(MAIN_PATH)


def test_the_course_map_names_every_lesson_and_deep_dive():
    """notebooks/START_HERE.ipynb, which `make lessons` opens: markdown only, a link to each
    main-path lesson (written or not) and each deep dive, the glossary and the learner copies."""
    course_map = read(NOTEBOOKS_DIR / "START_HERE.ipynb")
    assert {cell.cell_type for cell in course_map.cells} == {"markdown"}
    text = "\n".join(cell.source for cell in course_map.cells)
    links = set(re.findall(r"\]\(([^)#\s]+)\)", text))
    assert set(MAIN_PATH.values()) <= links, sorted(set(MAIN_PATH.values()) - links)
    assert {f"deep_dives/{path.name}" for path in DEEP_DIVES} <= links
    assert "../docs/glossary.md" in links and "../learner/" in links


def test_the_course_map_gives_each_lesson_its_title_and_time():
    """Each written lesson's row in the course map says its own title and its **Time:** line."""
    text = "\n".join(cell.source for cell in read(NOTEBOOKS_DIR / "START_HERE.ipynb").cells)
    rows = {
        file: (title, int(minutes))
        for title, file, minutes in re.findall(r"^\| \[\d\d — ([^\]]+)\]\(([^)]+)\) \| about (\d+) min \|", text, re.M)
    }
    present = [name for name in MAIN_PATH.values() if (NOTEBOOKS_DIR / name).is_file()]
    if not present:
        pytest.skip("no main-path lesson written yet")
    for name in present:
        opening = read(NOTEBOOKS_DIR / name).cells[0].source
        title = re.match(r"# Lesson \d\d — (.+)", opening).group(1).strip()
        minutes = int(re.search(r"^\*\*Time:\*\* about (\d+) minutes", opening, re.M).group(1))
        assert rows.get(name) == (title, minutes), f"START_HERE.ipynb says {rows.get(name)} for {name}"


def test_the_main_path_fits_in_an_afternoon():
    present = {
        number: read(NOTEBOOKS_DIR / name) for number, name in MAIN_PATH.items() if (NOTEBOOKS_DIR / name).is_file()
    }
    if not present:
        pytest.skip("no main-path lesson written yet")
    minutes = {number: estimated_minutes(notebook) for number, notebook in present.items()}
    assert sum(minutes.values()) <= MAX_PATH_MINUTES, minutes


# --- main-path lessons -------------------------------------------------------------------------------


def test_the_opening_cell(lesson):
    number, notebook = lesson
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"# Lesson {number} — \S", first.source), first.source.splitlines()[0]
    time = re.search(r"^\*\*Time:\*\* about (\d+) minutes\.?\s*$", first.source, re.M)
    assert time, "a line '**Time:** about NN minutes'"
    assert int(time.group(1)) <= MAX_LESSON_MINUTES
    questions, objectives = bullets(section(first.source, "Questions")), bullets(section(first.source, "Objectives"))
    assert QUESTIONS[0] <= len(questions) <= QUESTIONS[1], f"**Questions**: {len(questions)} bullets"
    assert OBJECTIVES[0] <= len(objectives) <= OBJECTIVES[1], f"**Objectives**: {len(objectives)} bullets"
    vague = [o for o in objectives if o.split()[0].lower().strip(",;:") in VAGUE_VERBS]
    assert not vague, f"objectives say what the learner does in the cells (write, call, predict, read): {vague}"
    assert "](../docs/glossary.md)" in first.source and GLOSSARY.is_file()


def test_the_first_code_cell(lesson):
    number, notebook = lesson
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert notebook.cells.index(first_code) == 1, "cell 1 is the import cell"
    lines = [line for line in first_code.source.splitlines() if line.strip()]
    assert len(lines) <= MAX_FIRST_CODE_CELL_LINES, f"{len(lines)} lines"
    for needed in ("import dagster as dg", "short_tracebacks()", f'LessonWorkspace("{number}"'):
        assert needed in first_code.source, f"the first code cell has {needed}"


def test_the_estimated_time(lesson):
    number, notebook = lesson
    minutes = estimated_minutes(notebook)
    assert minutes <= MAX_LESSON_MINUTES, f"about {minutes:.0f} estimated minutes (lesson_metrics.py)"


def test_short_cells_and_outputs(lesson):
    _, notebook = lesson
    long_cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            words = len(prose(cell.source).split())
            if words > MAX_MARKDOWN_WORDS:
                long_cells.append(f"cell {index}: {words} words outside <details>")
            if INTERNAL.search(prose(cell.source)):
                long_cells.append(f"cell {index}: names a Dagster internal outside <details>")
        elif cell.cell_type == "code":
            text = "".join(output_text(o) for o in cell.get("outputs", []))
            lines = sum(len(output_text(o).splitlines()) for o in cell.get("outputs", []))
            if lines > MAX_OUTPUT_LINES:
                long_cells.append(f"cell {index}: {lines} lines of output")
            if NANOSECONDS.search(text):
                long_cells.append(f"cell {index}: prints a 19-digit number ({NANOSECONDS.search(text).group()})")
            if SETS_ENVIRONMENT.search(cell.source):
                long_cells.append(f"cell {index}: sets an environment variable (give the helper a parameter)")
    assert not long_cells, long_cells


def test_the_measures_agree_with_lesson_metrics(lesson):
    """Where ../shared/lesson_metrics.py is found, its measures of this lesson pass the same limits."""
    if SHARED_METRICS is None:
        pytest.skip("lesson_metrics.py is not beside this repository")
    number, _ = lesson
    measured = SHARED_METRICS.measure(str(NOTEBOOKS_DIR / MAIN_PATH[number]))
    assert measured["max_md"] <= MAX_MARKDOWN_WORDS
    assert measured["max_out"] <= MAX_OUTPUT_LINES
    assert measured["internals"] == 0 and measured["ns_keys"] == 0
    assert measured["minutes"] <= MAX_LESSON_MINUTES
    assert set(measured["scaffold"].split("+")) == {"time", "key-points"}


def test_predict_prompts_have_a_line_for_the_answer(lesson):
    _, notebook = lesson
    prompts = [i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown" and PREDICT_PROMPT in c.source]
    assert len(prompts) >= 2, f"at least two '{PREDICT_PROMPT}' prompts"
    for index in prompts:
        source = notebook.cells[index].source.strip()
        assert source.startswith(PREDICT_PROMPT), f"cell {index}: the cell starts with the prompt"
        assert source.splitlines()[-1].strip() == PREDICTION_LINE, f"cell {index}: its last line is {PREDICTION_LINE!r}"
        following = notebook.cells[index + 1] if index + 1 < len(notebook.cells) else None
        assert following is not None and following.cell_type == "code", f"cell {index}: the next cell runs it"


def test_the_end_of_a_lesson(lesson):
    _, notebook = lesson
    cells = notebook.cells
    key_points = heading_index(notebook, r"^## Key points\s*$")
    recap = heading_index(notebook, r"^## Recap questions\s*$")
    exercise = heading_index(notebook, r"^## Exercise")
    assert None not in (key_points, recap, exercise), "## Key points, ## Recap questions, ## Exercise"
    assert key_points < recap < exercise, "in this order"

    points = bullets(cells[key_points].source)
    assert KEY_POINTS[0] <= len(points) <= KEY_POINTS[1], f"{len(points)} key points"

    recap_text = "\n".join(c.source for c in cells[recap:exercise] if c.cell_type == "markdown")
    answers = re.findall(r"<details>\s*<summary>Answer</summary>", recap_text)
    assert RECAP[0] <= len(answers) <= RECAP[1], f"{len(answers)} recap answers in <details><summary>Answer</summary>"
    assert len(answers) == len(re.findall(r"<details>", recap_text)), "every answer collapsed the same way"

    last, check, check_intro = cells[-1], cells[-2], cells[-3]
    assert last.cell_type == "markdown" and re.search(r"Going deeper", last.source), "the last cell: Going deeper"
    linked = re.findall(r"\]\((deep_dives/[^)#]+\.ipynb)", last.source)
    assert linked, "Going deeper links the deep dives that matter"
    assert all((NOTEBOOKS_DIR / link).is_file() for link in linked), linked
    assert check.cell_type == "code" and check_intro.cell_type == "markdown"
    check_lines = [  # the checker's import may stand beside it
        line
        for line in check.source.splitlines()
        if line.strip() and not line.strip().startswith(("#", "from ", "import "))
    ]
    assert len(check_lines) == 1, f"the check against the reference is one line: {check_lines}"
    called = re.findall(r"([A-Za-z_]\w*)\(", check_lines[0])
    checkers = set(re.findall(r"^def (\w+)\(", CHECKS_MODULE.read_text(), re.M))
    assert set(called) & checkers, f"{check_lines[0]!r} calls a checker of dagster_and_etl/teaching/sandbox/checks.py"


def test_the_exercises(lesson):
    _, notebook = lesson
    cells = notebook.cells
    exercise_heading = heading_index(notebook, r"^## Exercise")
    exercises = [i for i, c in enumerate(cells) if c.cell_type == "code" and "exercise" in tags(c)]
    assert 1 <= len(exercises) <= MAX_EXERCISES, f"{len(exercises)} exercise cells"
    assert all(i > exercise_heading for i in exercises), "exercises come after ## Exercise"
    earlier = [c.source for c in cells[: exercises[0]] if c.cell_type == "code"]
    for index in exercises:
        assert index + 1 < len(cells) and "self-check" in tags(cells[index + 1]), f"cell {index + 1} is its self-check"
        solution = re.search(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", cells[index].source, re.S)
        assert solution, f"cell {index}: a # BEGIN SOLUTION ... # END SOLUTION block"
        assert "# Hint:" in solution.group(1), f"cell {index}: at least one hint"
        given_away = [
            line.strip()
            for line in solution.group(1).splitlines()
            if len(line.strip()) >= SOLUTION_LINE_MIN_CHARS
            and not line.strip().startswith("#")
            and any(line.strip() in source for source in earlier)
        ]
        assert not given_away, f"cell {index}: the answer appears earlier in the lesson: {given_away}"


def test_the_dagster_calls_are_in_the_cells(lesson):
    number, notebook = lesson
    sources = code_sources(notebook)
    missing = [call for call in MAIN_PATH_CALLS[number] if first_index(sources, call) is None]
    assert not missing, f"not written out in any code cell: {missing}"


def test_each_call_is_shown_before_a_helper_repeats_it_on_the_main_path(lesson):
    number, notebook = lesson
    _helpers_come_after_the_calls(number, notebook)


# --- deep dives --------------------------------------------------------------------------------------


def test_deep_dive_title_objectives_glossary_and_summary(deep_dive):
    _, notebook = deep_dive
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(r"# Deep dive — \S", first.source), first.source.splitlines()[0]
    assert "By the end" in first.source, "objectives at the top"
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "](../../docs/glossary.md)" in markdown and GLOSSARY.is_file()
    assert "](../docs/" not in markdown, "from notebooks/deep_dives/, docs/ is two folders up"
    assert re.search(r"^## Summary", markdown, re.MULTILINE)


def test_deep_dive_predict_then_run_prompts_come_before_code(deep_dive):
    _, notebook = deep_dive
    prompts = [i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown" and PREDICT_PROMPT in c.source]
    assert len(prompts) >= 2, f"at least two '{PREDICT_PROMPT}' prompts"
    for index in prompts:
        assert any(cell.cell_type == "code" for cell in notebook.cells[index + 1 : index + 3]), (
            f"cell {index + 1}: a prompt is followed by the cell that answers it"
        )


def test_deep_dive_import_cell_is_short(deep_dive):
    _, notebook = deep_dive
    first_code = code_sources(notebook)[0]
    imports = [line for line in first_code.splitlines() if re.match(r"\s*(from \S+ )?import ", line)]
    assert len(imports) <= MAX_IMPORT_CELL_LINES, f"{len(imports)} import lines in the first code cell"


def test_deep_dive_workspaces_are_their_own(deep_dive):
    """A deep dive's `LessonWorkspace` names never look like a main-path lesson's ("01"...)."""
    _, notebook = deep_dive
    names = re.findall(r'LessonWorkspace\(\s*"([^"]+)"', "\n".join(code_sources(notebook)))
    assert names and all(name.startswith("dd-") for name in names), names


def test_the_dagster_calls_are_in_the_deep_dive_cells(deep_dive):
    name, notebook = deep_dive
    sources = code_sources(notebook)
    missing = [call for call in DEEP_DIVE_CALLS[name] if first_index(sources, call) is None]
    assert not missing, f"not written out in any code cell: {missing}"
    assert first_index(sources, "@dg.sensor(job=") is None, "target= replaces job= (Dagster 1.13)"


def test_each_call_is_shown_before_a_helper_repeats_it_in_a_deep_dive(deep_dive):
    name, notebook = deep_dive
    _helpers_come_after_the_calls(name, notebook)


def _helpers_come_after_the_calls(key: str, notebook) -> None:
    if key not in HELPERS_AFTER_THE_CALLS:
        pytest.skip("no helper repeats this notebook's calls")
    calls, helpers = HELPERS_AFTER_THE_CALLS[key]
    sources = code_sources(notebook)
    shown = [first_index(sources, call) for call in calls]
    assert None not in shown, f"not written out: {[c for c, i in zip(calls, shown) if i is None]}"
    last_call = max(shown)
    for helper in helpers:
        used = first_index(sources, helper)
        assert used is None or used > last_call, f"{helper} is used before the calls it repeats are shown"


# --- the rules themselves, on small notebooks -------------------------------------------------------


def test_the_measures_count_as_lesson_metrics_does():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("word " * 150 + "<details>" + "aside " * 300 + "</details>"),
            nbformat.v4.new_code_cell("x = 1\n\ny = 2", metadata={"tags": ["exercise"]}),
        ]
    )
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="a\n" * 40)]
    assert len(prose(notebook.cells[0].source).split()) == 150
    assert estimated_minutes(notebook) == pytest.approx(1 + 2 / 12 + 1 + 10)
    assert NANOSECONDS.search("key 2018-02-02.csv@1517641200000000000:368")
    assert not NANOSECONDS.search("12345678901234567890")  # 20 digits: not a nanosecond time
    assert INTERNAL.search("see `_get_or_create_sensor_run`") and not INTERNAL.search("`dagster_and_etl.teaching`")
    assert SETS_ENVIRONMENT.search('os.environ["X"] = "1"') and not SETS_ENVIRONMENT.search('os.environ["X"] == "1"')
    opening = "# Lesson 01 — T\n\n**Questions**\n- a?\n- b?\n\n**Objectives**\n- write x\n- call y\n- read z\n\nSee the [glossary](../docs/glossary.md)."
    assert bullets(section(opening, "Questions")) == ["a?", "b?"]
    assert bullets(section(opening, "Objectives")) == ["write x", "call y", "read z"]
    assert bullets(section(opening.replace("**Questions**", "**Questions:**"), "Questions")) == ["a?", "b?"]
    if SHARED_METRICS is not None:  # the same patterns as the guide's
        assert SHARED_METRICS.DETAILS.pattern == DETAILS.pattern and SHARED_METRICS.NS.pattern == NANOSECONDS.pattern
        assert SHARED_METRICS.INTERNAL.pattern == INTERNAL.pattern


def model_lesson() -> nbformat.NotebookNode:
    """The smallest lesson 02 that follows every main-path rule: what a lesson's skeleton looks like."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    prompt = f"{PREDICT_PROMPT} which day does the 05:15 tick ask for?\n\n{PREDICTION_LINE}"
    cells = [
        md(
            "# Lesson 02 — A schedule and the late file\n\n**Time:** about 30 minutes\n\n"
            "**Questions**\n- What does a tick request?\n- What happens when the file is late?\n\n"
            "**Objectives**\n- Write a schedule from a partitioned job.\n- Call `evaluate_tick`.\n"
            "- Predict what a tick requests.\n\nTerms: the [glossary](../docs/glossary.md)."
        ),
        code(
            "import dagster as dg\n\nfrom dagster_and_etl.teaching import LessonWorkspace, short_tracebacks\n\n"
            'short_tracebacks()\nws = LessonWorkspace("02")'
        ),
        md(prompt),
        code(
            "schedule = dg.build_schedule_from_partitioned_job(job, hour_of_day=5, minute_of_hour=15)\n"
            "schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))"
        ),
        md(prompt),
        code("print('2018-02-01')"),
        md("## Key points\n\n- one\n- two\n- three"),
        md(
            "## Recap questions\n\n1. Why?\n\n<details><summary>Answer</summary>Because.</details>\n\n2. When?\n\n"
            "<details><summary>Answer</summary>At 05:15.</details>"
        ),
        md("## Exercise\n\nWrite `tick_for(morning)`."),
        code(
            'def tick_for(morning):\n    """The tick."""\n    # BEGIN SOLUTION\n    # Hint: the cron.\n'
            "    return morning.replace(hour=5, minute=15)\n    # END SOLUTION",
            metadata={"tags": ["exercise"]},
        ),
        code("assert tick_for(m) == expected", metadata={"tags": ["self-check"]}),
        md("Your definitions against the package's:"),
        code('assert_same("schedule", 1, 1)'),
        md("## Going deeper\n\n[Schedules, retries and backfills](deep_dives/schedules_retries_and_backfills.ipynb)"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


MAIN_PATH_RULES = [
    test_the_opening_cell,
    test_the_first_code_cell,
    test_the_estimated_time,
    test_short_cells_and_outputs,
    test_predict_prompts_have_a_line_for_the_answer,
    test_the_end_of_a_lesson,
    test_the_exercises,
    test_the_dagster_calls_are_in_the_cells,
]


@pytest.mark.parametrize("rule", MAIN_PATH_RULES, ids=lambda rule: rule.__name__)
def test_a_lesson_written_by_the_rules_passes_them(rule):
    rule(("02", model_lesson()))


@pytest.mark.parametrize(
    "break_it, rule",
    [
        (
            lambda nb: setattr(nb.cells[0], "source", nb.cells[0].source.replace("**Time:**", "Time")),
            test_the_opening_cell,
        ),
        (
            lambda nb: setattr(nb.cells[2], "source", PREDICT_PROMPT + " what?"),
            test_predict_prompts_have_a_line_for_the_answer,
        ),
        (
            lambda nb: nb.cells[5].outputs.append(nbformat.v4.new_output("stream", text="k@1517641200000000000\n")),
            test_short_cells_and_outputs,
        ),
        (lambda nb: setattr(nb.cells[5], "source", 'os.environ["DAGSTER_ETL_X"] = "1"'), test_short_cells_and_outputs),
        (
            lambda nb: setattr(nb.cells[3], "source", "    return morning.replace(hour=5, minute=15)  # given away"),
            test_the_exercises,
        ),
        (lambda nb: nb.cells.reverse(), test_the_end_of_a_lesson),
        (lambda nb: setattr(nb.cells[6], "source", "## Key points\n\n- only one"), test_the_end_of_a_lesson),
        (lambda nb: setattr(nb.cells[12], "source", "check_everything(\n    defs)"), test_the_end_of_a_lesson),
        (lambda nb: setattr(nb.cells[12], "source", "print(defs)"), test_the_end_of_a_lesson),
        (lambda nb: setattr(nb.cells[3], "source", "ws.schedule_ticks()"), test_the_dagster_calls_are_in_the_cells),
    ],
)
def test_a_lesson_that_breaks_a_rule_fails_it(break_it, rule):
    notebook = model_lesson()
    break_it(notebook)
    with pytest.raises(AssertionError):
        rule(("02", notebook))
