import json

from dagster_and_etl.file_scan import LandedFile, encode_cursor
from dagster_and_etl.teaching.display.cursors import cursor_diff, describe_file, readable_cursor

OLD = LandedFile("2018-01-25.csv", 1_516_942_800 * 10**9, 374)
NEW = LandedFile("2018-01-25.csv", 1_517_634_600 * 10**9, 371)
OTHER = LandedFile("2018-01-26.csv", 1_517_029_200 * 10**9, 372)


def test_digest_cursor_entries_are_named_by_the_files_seen():
    cursor = encode_cursor({OLD.digest, OTHER.digest})
    assert readable_cursor(cursor, [OLD, OTHER]) == {describe_file(OLD): "requested", describe_file(OTHER): "requested"}
    assert describe_file(OLD) == "2018-01-25.csv (mtime 2018-01-26 05:00, 374 bytes)"


def test_an_unknown_digest_is_shown_in_hex():
    assert readable_cursor(encode_cursor({OLD.digest}), []) == {f"digest {OLD.digest.hex()}": "requested"}


def test_course_cursor_shows_names_and_times():
    cursor = json.dumps({"b.csv": 1_517_029_200.0, "a.csv": 1_517_029_230.5})
    assert readable_cursor(cursor) == {"a.csv": "mtime 2018-01-27 05:00:30", "b.csv": "mtime 2018-01-27 05:00"}


def test_empty_and_unreadable_cursors():
    assert readable_cursor(None) == {}
    assert readable_cursor("") == {}
    assert readable_cursor("not json") == {"(not JSON)": "not json"}
    assert "(unreadable)" in readable_cursor('{"format": "run-key-digests/2", "digests": "AAA"}')


def test_diff_shows_a_replaced_file_as_one_removed_and_one_added_entry():
    before, after = encode_cursor({OLD.digest, OTHER.digest}), encode_cursor({NEW.digest, OTHER.digest})
    lines = cursor_diff(before, after, [OLD, NEW, OTHER])
    assert lines[0] == f"cursor: 2 entries ({len(before)} bytes) -> 2 entries ({len(after)} bytes)"
    assert lines[1:] == [
        f"  - {describe_file(OLD)}: requested",
        f"  + {describe_file(NEW)}: requested",
        "  = 1 entry unchanged",
    ]


def test_entry_counts_are_spelled_in_the_singular_and_plural():
    one, none = encode_cursor({OLD.digest}), encode_cursor(set())
    assert cursor_diff(None, one, [OLD])[0] == f"cursor: 0 entries (0 bytes) -> 1 entry ({len(one)} bytes)"
    assert cursor_diff(none, none)[0] == f"cursor: 0 entries ({len(none)} bytes) -> 0 entries ({len(none)} bytes)"


def test_diff_shows_changed_values():
    lines = cursor_diff(json.dumps({"a.csv": 0.0}), json.dumps({"a.csv": 60.0}))
    assert lines[1] == "  ~ a.csv: mtime 1970-01-01 00:00 -> mtime 1970-01-01 00:01"
