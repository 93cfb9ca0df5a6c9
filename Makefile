# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make lessons   install, then open the course map in JupyterLab (127.0.0.1, token on)
#   make test      install, then run the whole test suite
# While working on the code:
#   make test-fast every test except the daemon, browser, notebook and slow ones (under two minutes)
#   make check     ruff (lint and format) and mypy, as CI runs them
#   make format    rewrite the code in ruff's style and apply ruff's safe fixes
#   make site      the course as a static website in _build/site/ (index.html), nothing executed
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install lessons test test-fast check format dagster site

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

# JupyterLab on 127.0.0.1 with its token, served from the repository root (notebooks/, learner/
# and their links to docs/ all open); scripts/open_lessons.py prints, and opens in a browser, the
# link to the course map (notebooks/START_HERE.ipynb), with the news pop-up off.
lessons: $(STAMP)
	$(BIN)/python scripts/open_lessons.py $(AS_ROOT)

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

# The course as a static website, from the committed notebooks and markdown, executing nothing
# (strict nbval proves the stored outputs are what a fresh run gives): _build/site/index.html.
# Preview: .venv/bin/python -m http.server -d _build/site -b 127.0.0.1 8000
site: $(STAMP)
	$(BIN)/python scripts/build_site.py
