"""The reference sensor's run keys for people: `2018-01-22.csv, landing 2`, the same on every run.

A folder file's run key names its landing (`name@mtime_ns:size:change_time_ns`, `file_scan.run_key`),
and the change time is whenever the lesson's cell wrote the file: a 19-digit number that differs
on every run. `RunKeyNames` numbers each file's landings in the order it first sees them, so a
notebook can print which landing a request, a skipped key or a row's `source_version` is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A folder file's reference key: `name@mtime_ns:size:change_time_ns` (an object's ends with an ETag).
_NAMES_A_LANDING = re.compile(r"@\d+:\d+:\d+$")


def run_key_file(run_key: str) -> str:
    """The file a run key names (`name` of `name@...`); the key itself when it has no `@`."""
    return run_key.rpartition("@")[0] or run_key


class RunKeyNames:
    """Names run keys by file and landing: the first key seen for `a.csv` is `a.csv, landing 1`,
    the next different key for it `a.csv, landing 2`, and so on. One instance per story, so the
    numbers follow what the lesson has done (`names(key)`, or `names.all(keys)`)."""

    def __init__(self, run_keys: Iterable[str] = ()):
        self._landings: dict[str, list[str]] = {}
        for key in run_keys:
            self(key)

    def __call__(self, run_key: str) -> str:
        name = run_key_file(run_key)
        landings = self._landings.setdefault(name, [])
        if run_key not in landings:
            landings.append(run_key)
        return f"{name}, landing {landings.index(run_key) + 1}"

    def all(self, run_keys: Iterable[str]) -> list[str]:
        """Each key's name, in the order given."""
        return [self(key) for key in run_keys]


def shown_run_key(run_key: str, names: RunKeyNames) -> str:
    """A reference folder key (one that names its landing) as `name, landing N`; any other run
    key (a lesson's own, an object's) as it is, since it is the same on every run."""
    return names(run_key) if _NAMES_A_LANDING.search(run_key) else run_key


def readable_run_key(run_key: str, names: RunKeyNames | None = None) -> str:
    """One run key as `name, landing N` (numbered by `names`, or as the only key seen)."""
    return (names or RunKeyNames())(run_key)
