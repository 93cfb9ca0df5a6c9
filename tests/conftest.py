import logging

import pytest

from dagster_and_etl.teaching.sandbox.workspace import LessonWorkspace


# Tests that execute notebooks: every lesson under nbval, and the learner copies' self-checks.
NOTEBOOK_TEST_MODULES = {"test_learner_notebooks.py"}


def pytest_collection_modifyitems(items):
    """Mark what executes notebooks `notebook`, so `make test-fast` can leave it out (-m "not notebook")."""
    for item in items:
        if item.path.suffix == ".ipynb" or item.path.name in NOTEBOOK_TEST_MODULES:
            item.add_marker(pytest.mark.notebook)


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
