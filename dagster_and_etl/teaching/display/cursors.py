"""Read a file sensor's cursor, and show what one tick changed in it.

Three cursor formats appear in the lessons: the course sensor's JSON `{filename: mtime}`, a set
of 7-byte run-key digests (`file_scan.encode_cursor`: lesson 03's sensor, the S3 sensor) and the
reference folder sensor's change-time watermark with the digests of its settle window
(`watermark_cursor`). A digest cannot be read back by itself, so it is named by matching it
against the run keys of files the lesson has seen (`LandedFile.digest`); the watermark, a change
time, by the file whose change time it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone

from dagster_and_etl import watermark_cursor
from dagster_and_etl.file_scan import CURSOR_FORMAT, LEGACY_CURSOR_FORMAT, NO_WATERMARK, LandedFile, decode_cursor


def format_timestamp(seconds: float) -> str:
    """A modification time as `YYYY-MM-DD HH:MM:SS` UTC (seconds shown only when not zero)."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second or moment.microsecond else "%Y-%m-%d %H:%M")


def describe_file(file: LandedFile) -> str:
    """A run key for people: `name (mtime …, N bytes)` instead of `name@<ns>:<size>:<change time ns>`
    (a run key itself, with its landing numbered: `display.run_keys.RunKeyNames`)."""
    return f"{file.name} (mtime {format_timestamp(file.mtime_ns / 1e9)}, {file.size} bytes)"


def readable_cursor(cursor: str | None, known_files: Iterable[LandedFile] = ()) -> dict[str, str]:
    """The cursor's entries as `{what: value}`, in any of the three formats.

    `known_files` are the files (run keys) the lesson has seen so far: a digest that matches
    one is shown as that file; any other digest is shown in hex.
    """
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {"(not JSON)": cursor}
    known = list(known_files)
    if isinstance(state, dict) and state.get("format") in (watermark_cursor.FORMAT, watermark_cursor.LEGACY_FORMAT):
        stored = watermark_cursor.read_cursor(cursor)
        if stored.warning:
            return {"(unreadable)": stored.warning}
        return {"(watermark)": _watermark_text(stored.watermark_ns, known), **_named_digests(stored.requested, known)}
    if isinstance(state, dict) and state.get("format") in (CURSOR_FORMAT, LEGACY_CURSOR_FORMAT):
        digests, problem = decode_cursor(cursor)
        if problem:
            return {"(unreadable)": problem}
        return _named_digests(digests, known)
    if isinstance(state, dict):
        return {
            str(name): f"mtime {format_timestamp(value)}" if isinstance(value, (int, float)) else repr(value)
            for name, value in sorted(state.items())
        }
    return {"(other JSON)": cursor}


def _named_digests(digests, known_files: list[LandedFile]) -> dict[str, str]:
    by_digest = {file.digest: file for file in known_files}
    named = {}
    for digest in digests:
        file = by_digest.get(digest)
        named[describe_file(file) if file else f"digest {digest.hex()}"] = "requested"
    return dict(sorted(named.items()))


def _watermark_text(watermark_ns: int, known_files: list[LandedFile]) -> str:
    """The watermark for people: none yet, or whose change time it is (real times differ per run)."""
    if watermark_ns == NO_WATERMARK:
        return "none yet (every file is ahead of it)"
    names = sorted({file.name for file in known_files if file.landed_ns == watermark_ns})
    return f"the change time of {', '.join(names)}" if names else "a change time (of a file no longer listed)"


def entries(count: int) -> str:
    """`1 entry`, `3 entries`."""
    return f"{count} {'entry' if count == 1 else 'entries'}"


def cursor_diff(before: str | None, after: str | None, known_files: Iterable[LandedFile] = ()) -> list[str]:
    """What a tick changed in the cursor, one line per entry: `+` added, `-` removed, `~` changed."""
    known = list(known_files)
    old, new = readable_cursor(before, known), readable_cursor(after, known)
    lines = [
        f"cursor: {entries(len(old))} ({len((before or '').encode())} bytes) -> "
        f"{entries(len(new))} ({len((after or '').encode())} bytes)"
    ]
    for entry in sorted(old.keys() | new.keys()):
        if entry not in old:
            lines.append(f"  + {entry}: {new[entry]}")
        elif entry not in new:
            lines.append(f"  - {entry}: {old[entry]}")
        elif old[entry] != new[entry]:
            lines.append(f"  ~ {entry}: {old[entry]} -> {new[entry]}")
    unchanged = sum(1 for entry in old.keys() & new.keys() if old[entry] == new[entry])
    if unchanged:
        lines.append(f"  = {entries(unchanged)} unchanged")
    return lines
