"""Collection for the whole suite, tests/ and notebooks/ alike (`make test` also runs
`pytest notebooks` on its own, which does not read tests/conftest.py)."""

import pytest

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


def pytest_collection_modifyitems(config, items):
    """Mark what executes notebooks `notebook`, so `make test-fast` can leave it out.

    On pytest-xdist's workers (`make test`: `--dist loadfile`, each file on one worker, so a
    module's `dagster dev` starts once and a notebook's cells run in order in one kernel), the
    slowest files are handed out first, so that no long one starts last."""
    for item in items:
        if item.path.suffix == ".ipynb" or item.path.name in NOTEBOOK_TEST_MODULES:
            item.add_marker(pytest.mark.notebook)
    if hasattr(config, "workerinput"):  # a pytest-xdist worker, where collection happens
        items.sort(key=_cost_rank)  # stable: a file's tests, and a notebook's cells, keep their order
