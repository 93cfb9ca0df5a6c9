"""What a landing-zone sensor sees: the landed CSV files of a folder, and the run-key digests.

A file is identified by its *run key*, which names one landing of it: `name@mtime_ns:size:landing`,
where `landing` is a file's change time (`st_ctime_ns`, set to now by the kernel on every
write, copy, rename, restore, chmod or new hard link) and an object's ETag (its LastModified is
already the mtime field). A new file, a late file with an old mtime, a file replaced in place and
an older version restored with `cp -p` all have a run key the sensor has not requested yet; only a
repeat of the same landing has the same key, and the daemon skips it.

The folder sensor keeps a change-time watermark (`watermark_cursor`); `scan_folder(folder,
changed_after_ns=...)` is its scan, which reads nothing but the directory and each entry's stat
for a file behind the watermark. The bucket sensor (S3's LastModified can be older than an
object's arrival) keeps the *digest set*: a 7-byte BLAKE2 digest of each requested run key whose
file is still there (`encode_cursor`, about 9.3 bytes a file once base64-encoded), which shrinks
when files go away. A digest collision could hide one changed file; at 100,000 files the chance
per change is about 1 in 10^12. The digest set is also the folder sensor's previous cursor, which
`watermark_cursor` upgrades.

Cursors stored before run keys named the landing (formats `.../1`) hold digests of the *legacy*
key `name@mtime_ns:size` (`legacy_run_key`): a tick that reads one counts a file whose legacy
digest is there as requested, once, and stores the new keys' digests, so the upgrade requests no
file again (`LandedFile.legacy_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

# Dagster's private name, taken here and not from dagster_private (which names it too): importing
# dagster_private loads the event log storage (SQLAlchemy, about 0.4 s) into every import of the scan.
from dagster._core.definitions.partitions.utils.base import INVALID_PARTITION_SUBSTRINGS

CSV_SUFFIX = ".csv"
DIGEST_SIZE = 7
CURSOR_FORMAT = "run-key-digests/2"
# The digest set stored before run keys named the landing: its digests are of `legacy_run_key`s.
LEGACY_CURSOR_FORMAT = "run-key-digests/1"
NO_WATERMARK = -1  # a change time before every file's: "all of them"
# On POSIX, st_ctime is the inode's change time, which the kernel sets to now on every write,
# rename or restore; on Windows (Python 3.11) it is the creation time, which a rewrite in place
# keeps and NTFS "tunnelling" can even carry over to a new file of the same name.
CHANGE_TIME_IS_KEPT_BY_THE_KERNEL = os.name == "posix"
# Everything that can make a key unusable, in one pattern: the sensor checks every file's key on
# every tick, and one regex search settles the common case (a plain name) at once.
_SUSPECT_IN_KEY = re.compile("|".join(map(re.escape, sorted({"/", "\\", os.sep, *INVALID_PARTITION_SUBSTRINGS}))))


@dataclass(frozen=True)
class LandedFile:
    """A CSV file in the source folder (or an object under a bucket's prefix), as one sensor tick
    saw it. `etag` is an object's entity tag (a digest of its content): an object replaced in the
    same second with the same size still gets a new run key. Files have none.

    `landed_ns` is when this version landed: a file's change time (`st_ctime_ns`, see
    `FileVersion`), an object's LastModified; 0 where it is not known. A file's run key ends with
    it (so every landing has a key of its own); an object's ends with its ETag instead. It is not
    part of a `LandedFile`'s equality."""

    name: str
    mtime_ns: int
    size: int
    etag: str = ""
    landed_ns: int = field(default=0, kw_only=True, compare=False)

    @property
    def partition_key(self) -> str:
        return self.name[: -len(CSV_SUFFIX)]

    @property
    def run_key(self) -> str:
        return run_key(self.name, self.mtime_ns, self.size, self.etag, self.landed_ns)

    @property
    def digest(self) -> bytes:
        return run_key_digest(self.run_key)

    @property
    def legacy_digest(self) -> bytes:
        """The digest of the run key this file had before keys named the landing (see the module)."""
        return run_key_digest(legacy_run_key(self.name, self.mtime_ns, self.size, self.etag))


@dataclass(frozen=True)
class FileVersion(LandedFile):
    """The version of a file a load read: the file as a sensor sees it, and when it landed.

    `landed_ns` orders versions for the warehouse's newest-wins guard. For a file it is the
    inode's change time (`st_ctime_ns`): writing, copying (`cp -p`, `rsync -t`), renaming and
    `touch` all set it to now, and no user-space call sets it back, so unlike the mtime (which
    `cp -p` restores) it says in which order versions landed in the folder.
    """

    landed_ns: int = field(kw_only=True)  # required here, and compared


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


def run_key(name: str, mtime_ns: int, size: int, etag: str = "", landed_ns: int = 0) -> str:
    """The key of one landing: `name@mtime_ns:size:etag` for an object (its LastModified, the
    mtime, says when it landed; the ETag, what), `name@mtime_ns:size:landed_ns` for a file (the
    change time, which every landing sets to now). A file whose landing time is not known (0)
    keeps the legacy key `name@mtime_ns:size`."""
    key = f"{name}@{mtime_ns}:{size}"
    if etag:
        return f"{key}:{etag}"
    return f"{key}:{landed_ns}" if landed_ns else key


def legacy_run_key(name: str, mtime_ns: int, size: int, etag: str = "") -> str:
    """The run key before keys named a file's landing: `name@mtime_ns:size` (an object's is unchanged)."""
    return run_key(name, mtime_ns, size, etag)


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


# (name, mtime_ns, size, etag, landed_ns): the fields of a LandedFile (etag "" for a file)
Entry = tuple[str, int, int, str, int]


def usable_name(name: str, unusable: list[str]) -> bool:
    """Whether `name` is a landed CSV whose stem can be a partition key; a landed CSV name that
    cannot be a key is appended to `unusable` (reported, never requested)."""
    if not is_landed_csv_name(name):
        return False
    if partition_key_problem(name[: -len(CSV_SUFFIX)]):
        unusable.append(name)
        return False
    return True


def _usable_entries(
    folder: Path, unusable: list[str], changed_after_ns: int = NO_WATERMARK
) -> Iterator[tuple[str, os.stat_result]]:
    """(name, stat) of each landed CSV in `folder` whose name can be a partition key and whose
    change time is after `changed_after_ns`; the names that cannot be a key (among those) are
    appended to `unusable`.

    An entry behind the watermark costs only its directory entry, its stat and one comparison
    (the floor of any sensor that notices changed files): the type and name rules run after the
    change-time test.
    """
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                stat = entry.stat()
            except FileNotFoundError:  # removed between listing and stat
                continue
            except OSError:  # fails the tick for a landed CSV, as ever; any other entry is never read
                if is_landed_csv_name(entry.name):
                    raise
                continue
            if stat.st_ctime_ns > changed_after_ns and entry.is_file() and usable_name(entry.name, unusable):
                yield entry.name, stat


class FolderScan(NamedTuple):
    """What one scan of a folder saw."""

    landed: list[LandedFile]  # the landed CSV files whose name can be a partition key
    unusable: list[str]  # landed CSV names that cannot be a partition key (reported, never requested)


def scan_folder(folder: Path, changed_after_ns: int = NO_WATERMARK) -> FolderScan:
    """The landed CSV files of `folder` (subfolders, hidden and partial files left out) whose
    change time is after `changed_after_ns` (all of them by default), each with its change time
    as `landed_ns`, and the names among them that cannot be a partition key."""
    unusable: list[str] = []
    landed = [
        LandedFile(name, stat.st_mtime_ns, stat.st_size, landed_ns=stat.st_ctime_ns)
        for name, stat in _usable_entries(folder, unusable, changed_after_ns)
    ]
    return FolderScan(landed, unusable)


class Changes(NamedTuple):
    """One tick's view of a listing against the run-key digests of a digest-set cursor."""

    changed: list[LandedFile]  # files whose run key is not in the cursor: new, late or replaced
    still_present: set[bytes]  # the cursor's digests whose file is still there
    unusable: list[str]  # landed CSV names that cannot be a partition key


def find_changes(entries: Iterable[Entry], seen: set[bytes], unusable: list[str], legacy: bool = False) -> Changes:
    """`Changes` of a listing (`entries`, which append the unusable names they skip to
    `unusable`) against the digests `seen`. Used by the bucket sensor and the file event sensor.

    Each file is digested once, and only changed files become `LandedFile`s: at 100,000
    unchanged files that is most of a tick's cost beyond listing the folder. With `legacy` (a
    cursor stored before keys named the landing), a file whose legacy key's digest is in `seen`
    is unchanged too, and `still_present` holds its new key's digest: the upgrade, once.
    """
    changed: list[LandedFile] = []
    still_present: set[bytes] = set()
    for name, mtime_ns, size, etag, landed_ns in entries:
        digest = run_key_digest(run_key(name, mtime_ns, size, etag, landed_ns))
        if digest in seen or (legacy and run_key_digest(legacy_run_key(name, mtime_ns, size, etag)) in seen):
            still_present.add(digest)
        else:
            changed.append(LandedFile(name, mtime_ns, size, etag, landed_ns=landed_ns))
    return Changes(changed, still_present, unusable)


def scan_changes(folder: Path, seen: set[bytes], legacy: bool = False) -> Changes:
    """`find_changes` over every landed CSV of `folder`."""
    unusable: list[str] = []
    entries = (
        (name, stat.st_mtime_ns, stat.st_size, "", stat.st_ctime_ns) for name, stat in _usable_entries(folder, unusable)
    )
    return find_changes(entries, seen, unusable, legacy)


def pack_digests(digests: Iterable[bytes]) -> str:
    """Run-key digests as one base64 string (sorted, so equal sets give equal text)."""
    return base64.b64encode(b"".join(sorted(digests))).decode("ascii")


def unpack_digests(packed: str) -> set[bytes]:
    """The digests `pack_digests` packed; a `ValueError` for text it cannot have written."""
    raw = base64.b64decode(packed, validate=True)
    if len(raw) % DIGEST_SIZE:
        raise ValueError("truncated")
    return {raw[i : i + DIGEST_SIZE] for i in range(0, len(raw), DIGEST_SIZE)}


def unreadable_cursor_warning(cursor: str, err: Exception) -> str:
    """What a tick logs when it discards a cursor it cannot read, and what that costs."""
    shown = cursor if len(cursor) <= 60 else cursor[:57] + "..."
    return (
        f"Discarding a cursor this sensor cannot read ({err}): {shown!r}. Every file present will be "
        "requested again; runs already made for a file are skipped by their run key."
    )


def encode_cursor(digests: set[bytes]) -> str:
    return json.dumps({"format": CURSOR_FORMAT, "digests": pack_digests(digests)}, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> tuple[set[bytes], str | None]:
    """The run-key digests in a cursor, and a warning when the cursor had to be discarded.

    An empty cursor means a first tick. A cursor that cannot be read (garbage, or the course
    sensor's `{filename: mtime}` format) is discarded with a warning: every file present is
    then requested again under its run key, and the daemon skips the runs it already made.
    A digest set of the legacy format is read too (`decode_cursor_and_format` tells which).
    """
    digests, warning, _legacy = decode_cursor_and_format(cursor)
    return digests, warning


def decode_cursor_and_format(cursor: str | None) -> tuple[set[bytes], str | None, bool]:
    """`decode_cursor`, and whether the cursor is a digest set stored before run keys named a
    file's landing (its digests are of legacy keys)."""
    if not cursor:
        return set(), None, False
    try:
        state = json.loads(cursor)
        if not isinstance(state, dict) or state.get("format") not in (CURSOR_FORMAT, LEGACY_CURSOR_FORMAT):
            raise ValueError("not in this sensor's format")
        return unpack_digests(state["digests"]), None, state["format"] == LEGACY_CURSOR_FORMAT
    except (ValueError, KeyError, TypeError) as err:
        return set(), unreadable_cursor_warning(cursor, err), False


@dataclass(frozen=True)
class TickPlan:
    """What one landing-zone sensor tick requests, and the cursor it leaves (either design)."""

    batch: list[LandedFile]  # to request now, oldest first
    pending: int  # files not yet requested, the batch included
    unusable: list[str]  # landed CSV names that cannot be a partition key
    cursor: str
    warnings: list[str]


def kept_or_reencoded_cursor(
    stored: str | None, seen: set[bytes], still_present: set[bytes], warning: str | None
) -> str:
    """The digest-set cursor a tick that requests nothing returns.

    The stored text itself while it still holds exactly the digests of the files present: a
    steady tick then never sorts and base64-encodes the whole set again (100,000 digests at
    100,000 files) only to produce the same text. It is re-encoded when a requested file went
    away (its digest is dropped, so the cursor shrinks with the folder) or when the stored
    cursor could not be read (so the next tick reads a good one).
    """
    if stored and still_present == seen and warning is None:
        return stored
    return encode_cursor(still_present)


def plan_digest_tick(
    stored_cursor: str | None, scan_changes: Callable[[set[bytes], bool], Changes], max_runs: int
) -> TickPlan:
    """One tick of the digest-set design: every file whose run key is not in the cursor is
    pending, oldest mtime first; the cursor records the batch requested and nothing beyond it.

    `scan_changes(seen, legacy)` lists the zone; `legacy` is true once, for a cursor stored
    before run keys named the landing, whose digests it matches by the legacy keys."""
    seen, warning, legacy = decode_cursor_and_format(stored_cursor)
    changes = scan_changes(seen, legacy)
    pending = sorted(changes.changed, key=lambda f: (f.mtime_ns, f.name))
    batch = pending[:max_runs]
    if batch:
        cursor = encode_cursor(changes.still_present | {f.digest for f in batch})
    elif legacy:
        cursor = encode_cursor(changes.still_present)  # upgraded: the new keys' digests
    else:
        cursor = kept_or_reencoded_cursor(stored_cursor, seen, changes.still_present, warning)
    return TickPlan(batch, len(pending), changes.unusable, cursor, [warning] if warning else [])
