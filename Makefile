# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make lessons   install, then open the lessons in JupyterLab (127.0.0.1, token on)
#   make test      install, then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install lessons test dagster

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

lessons: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks

test: $(STAMP)
	$(BIN)/python -m pytest

dagster: $(STAMP)
	$(BIN)/dagster dev -m dagster_and_etl.definitions -h 127.0.0.1
