import logging

import pytest

from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace


@pytest.fixture
def workspace():
    """A temporary data root with the ten sample files in source/, its own Dagster instance."""
    with LessonWorkspace("test") as ws:
        yield ws


@pytest.fixture
def empty_workspace():
    """Like `workspace`, but source/ starts empty: files land during the test."""
    with LessonWorkspace("test", with_source_files=False) as ws:
        yield ws


@pytest.fixture(autouse=True)
def _quiet_dagster():
    # Dagster logs every run event at DEBUG; keep failing tests' output readable.
    logging.getLogger("dagster").setLevel(logging.WARNING)


# Tests that execute notebooks: every lesson under nbval, and the fixture lesson's self-checks.
NOTEBOOK_TEST_MODULES = {"test_learner_notebooks.py"}
# The slowest files, handed out first under pytest-xdist, so that no long one starts last.
SLOW_FIRST = (
    "test_browser_lessons.py",
    "test_daemon_retries.py",
    "test_reliability_histories.py",
    "test_demo.py",
    "test_reliability_daemon.py",
    "test_daemon_e2e.py",
    "test_automation_daemon.py",
)


def _cost_rank(item) -> int:
    name = item.path.name
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark what executes notebooks `notebook`, so `make test-fast` can leave it out.

    Under pytest-xdist with `--dist loadgroup` (`make test`): each test file stays on one worker,
    so a module's expensive fixture (a `dagster dev`) starts once and a notebook's cells run in
    order in one kernel; the browser test's notebooks, each a long Run All, spread over the
    workers; the slowest files go first."""
    for item in items:
        if item.path.suffix == ".ipynb" or item.path.name in NOTEBOOK_TEST_MODULES:
            item.add_marker(pytest.mark.notebook)
    if config.getoption("dist", "no") != "loadgroup":
        return
    for item in items:
        group = item.nodeid if item.path.name == "test_browser_lessons.py" else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=_cost_rank)  # stable: a file's tests, and a notebook's cells, keep their order
