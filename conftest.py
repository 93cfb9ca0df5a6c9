"""Collection and scheduling for the whole suite, tests/ and notebooks/ alike (`make test` also
runs `pytest notebooks` on its own, which does not read tests/conftest.py). nbval collects every
notebook below notebooks/: the main path (`notebooks/NN_*.ipynb`), the course map and the deep
dives (`notebooks/deep_dives/`); notebooks/conftest.py and `--nbval-sanitize-with` (pyproject.toml,
a path from the repository root, where pytest runs) apply to all of them."""

import pytest

# Tests that execute notebooks: every lesson under nbval, and the fixture lesson's self-checks.
NOTEBOOK_TEST_MODULES = {"test_learner_notebooks.py"}
# Files whose tests are independent and each long: under pytest-xdist each may go to its own
# worker (each worker then starts its own JupyterLab, which takes a few seconds).
SPREAD_MODULES = {"test_browser_lessons.py"}
# The slowest files, handed out first under pytest-xdist, so that no long one starts last. The
# notebooks (`pytest notebooks`: the main path and notebooks/deep_dives/, collected recursively)
# go by the same rule: the two deep dives that take over a minute each lead.
SLOW_FIRST = (
    "the_daemon_live.ipynb",
    "automation_conditions_in_depth.ipynb",
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

    On pytest-xdist's workers, where collection happens, the slowest files are handed out
    first, so that no long one starts last."""
    for item in items:
        if item.path.suffix == ".ipynb" or item.path.name in NOTEBOOK_TEST_MODULES:
            item.add_marker(pytest.mark.notebook)
    if hasattr(config, "workerinput"):  # a pytest-xdist worker
        items.sort(key=_cost_rank)  # stable: a file's tests, and a notebook's cells, keep their order


@pytest.hookimpl(optionalhook=True)  # optional: `-p no:xdist` runs have no such hook
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (`make test`), except that each test of SPREAD_MODULES is a unit of its
    own: a file's tests share one worker (its module fixtures, such as one `dagster dev`, start
    once; a notebook's cells run in order in one kernel).

    Not `--dist loadgroup` with xdist_group marks: pytest-xdist 3.8 groups by rewriting
    `item._nodeid`, which pytest 9.2's `Node.nodeid` no longer reads, so the groups are lost."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileSpreadingSome(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return nodeid if file.rsplit("/", 1)[-1] in SPREAD_MODULES else file

    return LoadFileSpreadingSome(config, log)
