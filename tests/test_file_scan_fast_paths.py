"""The sensor's fast paths decide exactly what the plain checks decide.

`partition_key_problem` settles plain names with one regex search, and the sensor scans with
`scan_changes` (one digest per file, `LandedFile`s only for changed files): both were made for
speed (benchmarks/sensor_tick.py) and must not change what the sensor requests.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings as hypothesis_settings, strategies as st

from dagster._core.definitions.partitions.utils.base import INVALID_PARTITION_SUBSTRINGS
from dagster_and_etl.file_scan import partition_key_problem, scan_changes, scan_folder


def plain_checks_problem(key: str) -> str | None:
    """The checks without the fast path, as the key rules read."""
    if not key:
        return "it is empty"
    if key in (".", "..") or key.startswith("."):
        return "it starts with '.'"
    if "/" in key or "\\" in key or os.sep in key:
        return "it contains a path separator"
    if Path(key).is_absolute():
        return "it is an absolute path"
    bad = [s for s in INVALID_PARTITION_SUBSTRINGS if s in key]
    if bad:
        return f"it contains {bad[0]!r}, which Dagster does not allow in a partition key"
    return None


KEY_ALPHABET = st.sampled_from(["a", "Z", "0", "-", "_", ".", " ", "/", "\\", ":", "\n", "\t", "\x00", "\x07", "é"])


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(KEY_ALPHABET, max_size=8).map("".join) | st.text(max_size=12))
def test_fast_path_agrees_with_the_plain_checks(key):
    assert partition_key_problem(key) == plain_checks_problem(key)


def test_awkward_keys_keep_their_messages():
    for key in ["", ".", "..", ".hidden", "a/b", "a\\b", "a...b", "tab\there", "2018-01-22", "C:"]:
        assert partition_key_problem(key) == plain_checks_problem(key), key


def test_scan_changes_sees_what_scan_folder_sees(tmp_path):
    for name in ["2018-01-22.csv", "2018-01-23.csv", "late.csv", "a...b.csv", ".hidden.csv", "x.csv.part", "notes.txt"]:
        (tmp_path / name).write_text("date\n")
    (tmp_path / "folder.csv").mkdir()
    landed, unusable = scan_folder(tmp_path)
    seen = {f.digest for f in landed if f.name != "late.csv"} | {b"\x00" * 7}  # one digest of a removed file

    changed, still_present, unusable_too = scan_changes(tmp_path, seen)

    assert [f.name for f in changed] == ["late.csv"]
    assert changed[0] == next(f for f in landed if f.name == "late.csv")
    assert still_present == seen - {b"\x00" * 7}
    assert sorted(unusable_too) == sorted(unusable) == ["a...b.csv"]
