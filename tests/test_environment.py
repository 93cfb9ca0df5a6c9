"""environment.yml must mirror pyproject.toml: conda cannot run here, so drift is caught by parsing both."""

import re
import tomllib

import yaml

from dagster_and_etl.settings import REPO_DIR

# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)\s*(.*?)\s*$")


def _split(requirement: str) -> tuple[str, str]:
    name, spec = _REQUIREMENT.match(requirement).groups()
    return name.lower(), spec.replace(" ", "")


def _pyproject():
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return dict(map(_split, requirements)), project["requires-python"]


def _environment():
    env = yaml.safe_load((REPO_DIR / "environment.yml").read_text())
    packages, python = {}, None
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for requirement in entry["pip"]:
                if not requirement.startswith("-e"):
                    name, spec = _split(requirement)
                    packages[name] = spec
            continue
        name, spec = _split(entry)
        if name == "python":
            python = spec
        elif name != "pip":
            packages[CONDA_TO_PYPI.get(name, name)] = spec
    return packages, python, env


def test_environment_lists_the_same_packages_and_versions_as_pyproject():
    expected, _ = _pyproject()
    actual, _, _ = _environment()
    assert actual == expected


def test_environment_python_matches_requires_python():
    _, requires_python = _pyproject()
    _, python, env = _environment()
    assert python == requires_python.replace(" ", "")
    assert env["channels"][0] == "conda-forge"
    assert any(isinstance(entry, dict) and "-e ." in entry["pip"] for entry in env["dependencies"])


def test_devcontainer_installs_with_the_readme_command_and_forwards_the_course_ports():
    """The dev container (Codespaces, VS Code) is what can be checked here without Docker: valid
    JSON, set-up by a Makefile target that exists, and the ports `make lessons` and `make dagster`
    serve forwarded."""
    import json

    config = json.loads((REPO_DIR / ".devcontainer" / "devcontainer.json").read_text())
    makefile = (REPO_DIR / "Makefile").read_text()
    command = config["postCreateCommand"].split()
    assert command[0] == "make" and all(re.search(rf"^{target}:", makefile, re.M) for target in command[1:])
    assert re.search(r"^lessons:", makefile, re.M) and re.search(r"^dagster:", makefile, re.M)
    assert set(config["forwardPorts"]) == {8888, 3000}  # JupyterLab's and Dagster's defaults
    assert "python:3.11" in config["image"]
