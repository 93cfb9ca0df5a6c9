"""The repository's scripts (scripts/*.py are programs, not a package), loaded for the tests."""

import importlib.util
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "scripts"


def load(name: str):
    path = SCRIPTS_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_learner_notebooks = load("make_learner_notebooks")
execute_notebooks = load("execute_notebooks")
build_site = load("build_site")
