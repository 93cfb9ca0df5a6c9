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
