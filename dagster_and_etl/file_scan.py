"""What the file sensor sees: the landed CSV files of a folder, and a compact cursor of them.

A file is identified by its *run key* `name@mtime_ns:size`: a new file, a late file with an
old mtime and a file replaced in place all have a run key the sensor has not requested yet.

The cursor stores a 7-byte BLAKE2 digest of each requested run key whose file is still in the
folder (about 9.3 bytes a file once base64-encoded), so it stays small at 100,000 files and
shrinks when files go away. A digest collision could hide one changed file; at 100,000 files
the chance per change is about 1 in 10^12.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dagster._core.definitions.partitions.utils.base import INVALID_PARTITION_SUBSTRINGS

CSV_SUFFIX = ".csv"
DIGEST_SIZE = 7
CURSOR_FORMAT = "run-key-digests/1"
# Everything that can make a key unusable, in one pattern: the sensor checks every file's key on
# every tick, and one regex search settles the common case (a plain name) at once.
_SUSPECT_IN_KEY = re.compile("|".join(map(re.escape, sorted({"/", "\\", os.sep, *INVALID_PARTITION_SUBSTRINGS}))))


@dataclass(frozen=True)
class LandedFile:
    """A CSV file in the source folder (or an object under a bucket's prefix), as one sensor tick
    saw it. `etag` is an object's entity tag (a digest of its content): an object replaced in the
    same second with the same size still gets a new run key. Files have none."""

    name: str
    mtime_ns: int
    size: int
    etag: str = ""

    @property
    def partition_key(self) -> str:
        return self.name[: -len(CSV_SUFFIX)]

    @property
    def run_key(self) -> str:
        return run_key(self.name, self.mtime_ns, self.size, self.etag)

    @property
    def digest(self) -> bytes:
        return run_key_digest(self.run_key)


@dataclass(frozen=True)
class FileVersion(LandedFile):
    """The version of a file a load read: the file as a sensor sees it, and when it landed.

    `landed_ns` orders versions for the warehouse's newest-wins guard. For a file it is the
    inode's change time (`st_ctime_ns`): writing, copying (`cp -p`, `rsync -t`), renaming and
    `touch` all set it to now, and no user-space call sets it back, so unlike the mtime (which
    `cp -p` restores) it says in which order versions landed in the folder.
    """

    landed_ns: int = field(kw_only=True)


class FileChangedWhileReading(OSError):
    """The file was rewritten while it was being read: an OSError, so the load is retried."""


def read_landed_file(path: Path) -> tuple[bytes, FileVersion]:
    """A landed file's bytes, and the version those bytes are.

    The version comes from the open file (`os.fstat`), so a file replaced by a rename while it is
    read still reports the version that was read. A file rewritten in place while it was read
    (its size or mtime moved, or fewer bytes than its size) raises `FileChangedWhileReading`.
    """
    path = Path(path)
    with open(path, "rb") as file:
        before = os.fstat(file.fileno())
        raw = file.read()
        after = os.fstat(file.fileno())
    if (before.st_mtime_ns, before.st_size) != (after.st_mtime_ns, after.st_size) or len(raw) != after.st_size:
        raise FileChangedWhileReading(f"{path.name} changed while it was being read; the load will be retried")
    return raw, FileVersion(path.name, after.st_mtime_ns, after.st_size, landed_ns=after.st_ctime_ns)


def run_key(name: str, mtime_ns: int, size: int, etag: str = "") -> str:
    """`name@mtime_ns:size`, and `:etag` for an object that has one."""
    key = f"{name}@{mtime_ns}:{size}"
    return f"{key}:{etag}" if etag else key


def run_key_digest(run_key: str) -> bytes:
    return hashlib.blake2b(run_key.encode(), digest_size=DIGEST_SIZE).digest()


def is_landed_csv_name(name: str) -> bool:
    """A finished CSV: not hidden, ends in `.csv` (a `.part` or `.tmp` name is still being written)."""
    return name.endswith(CSV_SUFFIX) and not name.startswith(".") and len(name) > len(CSV_SUFFIX)


def partition_key_problem(key: str) -> str | None:
    """Why `key` cannot name a file in the source folder, or None when it can."""
    if key and not key.startswith(".") and not _SUSPECT_IN_KEY.search(key):
        return None  # no separator, so not absolute either: every rule below would pass
    return _broken_key_rule(key)


def _broken_key_rule(key: str) -> str | None:
    """The key rules one by one, for the keys the one-search fast path does not settle."""
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


Entry = tuple  # (name, mtime_ns, size) or (name, mtime_ns, size, etag): the fields of a LandedFile


def usable_name(name: str, unusable: list[str]) -> bool:
    """Whether `name` is a landed CSV whose stem can be a partition key; a landed CSV name that
    cannot be a key is appended to `unusable` (reported, never requested)."""
    if not is_landed_csv_name(name):
        return False
    if partition_key_problem(name[: -len(CSV_SUFFIX)]):
        unusable.append(name)
        return False
    return True


def _usable_entries(folder: Path, unusable: list[str]) -> Iterator[Entry]:
    """(name, mtime_ns, size) of each landed CSV in `folder` whose name can be a partition key;
    the names that cannot are appended to `unusable`."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if not is_landed_csv_name(entry.name):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except FileNotFoundError:  # removed between listing and stat
                continue
            if usable_name(entry.name, unusable):
                yield entry.name, stat.st_mtime_ns, stat.st_size


def scan_folder(folder: Path) -> tuple[list[LandedFile], list[str]]:
    """The landed CSV files of `folder` (subfolders, hidden and partial files left out), and the
    names of CSV files whose name cannot be a partition key (reported, never requested)."""
    unusable: list[str] = []
    landed = [LandedFile(*entry) for entry in _usable_entries(folder, unusable)]
    return landed, unusable


def find_changes(entries: Iterable[Entry], seen: set[bytes]) -> tuple[list[LandedFile], set[bytes]]:
    """One sensor tick's view of a listing against the run-key digests `seen` in its cursor: the
    files whose run key is not in `seen` (new, late or replaced), and the digests in `seen` whose
    file is still there. Shared by the folder sensor and the bucket sensor.

    Each file is digested once, and only changed files become `LandedFile`s: at 100,000
    unchanged files that is most of a tick's cost beyond listing the folder.
    """
    changed: list[LandedFile] = []
    still_present: set[bytes] = set()
    for entry in entries:
        digest = run_key_digest(run_key(*entry))
        if digest in seen:
            still_present.add(digest)
        else:
            changed.append(LandedFile(*entry))
    return changed, still_present


def scan_changes(folder: Path, seen: set[bytes]) -> tuple[list[LandedFile], set[bytes], list[str]]:
    """`find_changes` over `folder`, and the unusable names, as `scan_folder` reports them."""
    unusable: list[str] = []
    changed, still_present = find_changes(_usable_entries(folder, unusable), seen)
    return changed, still_present, unusable


def encode_cursor(digests: set[bytes]) -> str:
    packed = base64.b64encode(b"".join(sorted(digests))).decode("ascii")
    return json.dumps({"format": CURSOR_FORMAT, "digests": packed}, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> tuple[set[bytes], str | None]:
    """The run-key digests in a cursor, and a warning when the cursor had to be discarded.

    An empty cursor means a first tick. A cursor that cannot be read (garbage, or the course
    sensor's `{filename: mtime}` format) is discarded with a warning: every file present is
    then requested again under its run key, and the daemon skips the runs it already made.
    """
    if not cursor:
        return set(), None
    try:
        state = json.loads(cursor)
        if not isinstance(state, dict) or state.get("format") != CURSOR_FORMAT:
            raise ValueError("not in this sensor's format")
        packed = base64.b64decode(state["digests"], validate=True)
        if len(packed) % DIGEST_SIZE:
            raise ValueError("truncated")
    except (ValueError, KeyError, TypeError) as err:
        shown = cursor if len(cursor) <= 60 else cursor[:57] + "..."
        return set(), (
            f"Discarding a cursor this sensor cannot read ({err}): {shown!r}. Every file present will be "
            "requested again; runs already made for a file are skipped by their run key."
        )
    return {packed[i : i + DIGEST_SIZE] for i in range(0, len(packed), DIGEST_SIZE)}, None
