# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make lessons   install, then open the lessons in JupyterLab (127.0.0.1, token on)
#   make test      install, then run the whole test suite
# While working on the code:
#   make test-fast every test except the daemon, browser, notebook and slow ones (under two minutes)
#   make check     ruff (lint and format) and mypy, as CI runs them
#   make format    rewrite the code in ruff's style and apply ruff's safe fixes
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install lessons test test-fast check format dagster

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# JupyterLab refuses to run as root without --allow-root (containers often run as root).
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# Served from the repository root, so that notebooks/ and learner/ both open and their links to
# docs/ (the glossary, the screenshots) resolve; it opens on the first lesson.
lessons: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. \
		--ServerApp.default_url=/lab/tree/notebooks/01_partitioned_assets.ipynb $(AS_ROOT)

# Everything once (tests/ and every notebook under strict nbval), then the notebooks a second
# time: a notebook must give the same outputs twice in a row. Last, the tree must be clean.
# pytest-xdist: more workers than cores, because most of the suite waits (for a daemon's tick, a
# browser, a kernel); each test file stays on one worker, but for the browser tests, which spread;
# slowest first (conftest.py).
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST)
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then $(BIN)/python -m pytest $(XDIST) notebooks; fi
	@if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$$(git status --porcelain)" ]; then \
		echo "The test run left the git tree changed:"; git status --porcelain; exit 1; fi

# The tests that need no server, browser or notebook kernel, and no long run (the markers are
# declared in pyproject.toml; conftest.py marks the notebook tests).
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not daemon and not browser and not notebook and not slow"

# Configured in pyproject.toml ([tool.ruff], [tool.mypy]).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The reference project under the real webserver and daemon (`dg dev` reads [tool.dg] in
# pyproject.toml), its instance kept in data/dagster_home and configured by the shipped
# dagster.yaml (the duckdb pool at one slot), copied there on every start; the pool is recorded
# in the instance before the first run is queued (dagster_and_etl/writer_pool.py says why).
# `make dagster INSTANCE_STORAGE=postgres` appends dagster_postgres.yaml: runs, events, ticks and
# cursors in the PostgreSQL database that DAGSTER_PG_USERNAME, _PASSWORD, _HOST, _PORT and _DB name.
INSTANCE_STORAGE ?= sqlite
dagster: $(STAMP)
	mkdir -p data/dagster_home
	cat dagster.yaml $(if $(filter postgres,$(INSTANCE_STORAGE)),dagster_postgres.yaml) > data/dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(BIN)/python -m dagster_and_etl.writer_pool
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(BIN)/dg dev -h 127.0.0.1
