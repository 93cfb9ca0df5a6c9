"""The sensor's fast paths decide exactly what the plain checks decide.

`partition_key_problem` settles plain names with one regex search, and the sensor scans with
`scan_changes` (one digest per file, `LandedFile`s only for changed files): both were made for
speed (benchmarks/sensor_tick.py) and must not change what the sensor requests.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dagster_and_etl.file_scan import _broken_key_rule, partition_key_problem, scan_changes, scan_folder

KEY_ALPHABET = st.sampled_from(["a", "Z", "0", "-", "_", ".", " ", "/", "\\", ":", "\n", "\t", "\x00", "\x07", "é"])


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(KEY_ALPHABET, max_size=8).map("".join) | st.text(max_size=12))
def test_fast_path_agrees_with_the_rules_one_by_one(key):
    assert partition_key_problem(key) == _broken_key_rule(key)


def test_awkward_keys_keep_their_messages():
    assert partition_key_problem("") == "it is empty"
    assert partition_key_problem("..") == partition_key_problem(".hidden") == "it starts with '.'"
    assert partition_key_problem("a/b") == partition_key_problem("a\\b") == "it contains a path separator"
    assert partition_key_problem("a...b") == "it contains '...', which Dagster does not allow in a partition key"
    assert partition_key_problem("tab\there") == "it contains '\\t', which Dagster does not allow in a partition key"
    assert partition_key_problem("2018-01-22") is None


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
