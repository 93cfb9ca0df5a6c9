"""The folder sensor's cursor: a change-time watermark, and the run keys of the settle window.

A POSIX kernel sets a file's change time (`st_ctime`) to *now* whenever the file is created,
written, renamed into place, copied with `cp -p` or `rsync -t`, or `touch`ed; `utime` can set the
mtime back but sets the ctime to now, and no user-space call sets the ctime back. So every
version of a file that lands in the folder, late, replaced, atomically replaced or restored, has
a change time later than anything that was there before it. The cursor keeps:

- `watermark_ns`: every version whose change time is at or before it has been requested;
- `recent`: the digests of the run keys requested whose change time is after the watermark.

Each tick lists the folder and stats each entry (the floor of any sensor that sees changed
files); an entry behind the watermark costs nothing more. The others are requested oldest
change time first, under the per-tick cap, unless their run key is in `recent`. The watermark
then moves up to the newest change time that is both behind the settle horizon (`now - settle
window`, *now* read before the scan) and before the first file the cap left pending; `recent`
keeps the requested keys still ahead of it. The watermark is always a file's own change time,
never the clock's, so the cursor depends on the folder alone: a quiet tick returns it unchanged. Once the folder has been quiet for the settle window, `recent` is empty
and the cursor is 73 bytes, whatever the number of files.

The settle window is what makes this safe where a bare timestamp high-water mark is not:
- a file that lands *during* a scan has a change time after the tick's *now* (less the kernel's
  coarse-clock lag, a few milliseconds): it is ahead of the horizon, so a later tick sees it
  whether or not this scan listed it;
- ties: a file that shares its change time with a file the cap requested is not behind the
  watermark, which stops just before the first pending change time;
- the clock stepping back by less than the window: the watermark is never later than an
  earlier tick's *now* less the window, so a file stamped by the stepped clock is still ahead
  of it. A larger step is noticed (the horizon is behind the watermark) and the watermark comes
  back to the horizon: the files in between are requested again and the daemon skips those it
  already ran. See docs/reliability.md for where the guarantee does not hold (Windows, network
  file systems, a large step while no tick runs).

The change time is part of a file's run key (`file_scan.run_key`): every landing has a key of
its own, so a restored older version (`cp -p`) or a rewrite that keeps the size and puts the
mtime back is requested and loaded. A chmod, chown, new hard link or `mv` away and back changes
the change time without changing the content: such a file is requested again too, and its load
finds the bytes it already loaded and rewrites nothing (`warehouse.replace_partition`).

A cursor stored before run keys named the landing (`change-time/1`, or the digest set
`run-key-digests/1`) holds digests of legacy keys `name@mtime_ns:size`: its first tick counts a
file ahead of the watermark whose legacy digest is there as requested (the legacy digest is
computed only for those files, and only on that tick), and stores the new keys' digests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from dagster_and_etl.file_scan import (
    CURSOR_FORMAT as DIGEST_SET_FORMAT,
)
from dagster_and_etl.file_scan import (
    LEGACY_CURSOR_FORMAT as LEGACY_DIGEST_SET_FORMAT,
)
from dagster_and_etl.file_scan import (
    NO_WATERMARK,
    FolderScan,
    TickPlan,
    pack_digests,
    unpack_digests,
    unreadable_cursor_warning,
)

FORMAT = "change-time/2"
# The watermark cursor stored before run keys named the landing: `recent` holds legacy digests.
LEGACY_FORMAT = "change-time/1"


def clock_ns() -> int:
    """The wall clock the kernel stamps change times with (tests step it)."""
    return time.time_ns()


@dataclass(frozen=True)
class WatermarkCursor:
    """Every version changed at or before `watermark_ns` was requested; so were the run keys in
    `recent` (digests), whose change time is after it."""

    watermark_ns: int = NO_WATERMARK
    recent: frozenset[bytes] = frozenset()

    def encode(self) -> str:
        state = {"format": FORMAT, "watermark_ns": self.watermark_ns, "recent": pack_digests(self.recent)}
        return json.dumps(state, separators=(",", ":"))


@dataclass(frozen=True)
class StoredCursor:
    """A cursor as a tick reads it. `requested` are the run-key digests known to be requested:
    the window's, or every digest of a digest-set cursor being upgraded (its files are compared
    by run key once, on the first tick, and the watermark takes over). `legacy`: the digests are
    of legacy run keys (`name@mtime_ns:size`), from a cursor stored before keys named the landing."""

    watermark_ns: int = NO_WATERMARK
    requested: frozenset[bytes] = frozenset()
    warning: str | None = None
    legacy: bool = False


def read_cursor(cursor: str | None) -> StoredCursor:
    """The stored cursor: this format, the digest set this sensor stored before (upgraded), or
    nothing (a first tick). Anything else is discarded with a warning: every file present is then
    requested again, and the daemon skips the run keys it already ran."""
    if not cursor:
        return StoredCursor()
    try:
        state = json.loads(cursor)
        kind = state.get("format") if isinstance(state, dict) else None
        if kind not in (FORMAT, LEGACY_FORMAT, DIGEST_SET_FORMAT, LEGACY_DIGEST_SET_FORMAT):
            raise ValueError("not in this sensor's format")
        legacy = kind in (LEGACY_FORMAT, LEGACY_DIGEST_SET_FORMAT)
        if kind in (DIGEST_SET_FORMAT, LEGACY_DIGEST_SET_FORMAT):
            return StoredCursor(requested=frozenset(unpack_digests(state["digests"])), legacy=legacy)
        watermark = state["watermark_ns"]
        if type(watermark) is not int:
            raise ValueError("the watermark is not a whole number")
        return StoredCursor(watermark, frozenset(unpack_digests(state["recent"])), legacy=legacy)
    except (ValueError, KeyError, TypeError) as err:
        return StoredCursor(warning=unreadable_cursor_warning(cursor, err))


def plan_tick(
    stored_cursor: str | None,
    scan: Callable[[int], FolderScan],
    settle_ns: int,
    max_runs: int,
    now_ns: int | None = None,
) -> TickPlan:
    """One tick over the files `scan(after_ns)` finds changed after `after_ns`.

    `now_ns` is read before the scan, so a file that changes during it is ahead of the horizon.
    """
    stored = read_cursor(stored_cursor)
    warnings = [stored.warning] if stored.warning else []
    horizon = (clock_ns() if now_ns is None else now_ns) - settle_ns
    floor = stored.watermark_ns
    if floor > horizon:
        warnings.append(
            f"The clock is {(floor - horizon) / 1e9:.1f} s behind the cursor's watermark (it was set "
            "back): files changed since then are compared again; the daemon skips those already run."
        )
        floor = horizon

    found = scan(floor)
    requested = set(stored.requested)
    if stored.legacy:  # the upgrade, once: a file requested under its legacy key is requested
        requested |= {f.digest for f in found.landed if f.legacy_digest in stored.requested}
    pending = sorted((f for f in found.landed if f.digest not in requested), key=lambda f: (f.landed_ns, f.name))
    batch = pending[:max_runs]
    # Every file changed at or before `limit` is requested once this batch is: the horizon, or
    # just before the first change time the cap leaves waiting (so a tie is never cut).
    limit = horizon if len(pending) == len(batch) else min(horizon, pending[len(batch)].landed_ns - 1)
    # The watermark is the newest change time up to `limit`, a file's own, never the clock's: the
    # cursor then depends on the folder alone (evaluated twice, or on a quiet tick, it is the same).
    watermark = max((f.landed_ns for f in found.landed if f.landed_ns <= limit), default=floor)
    requested |= {f.digest for f in batch}
    recent = frozenset(f.digest for f in found.landed if f.landed_ns > watermark and f.digest in requested)
    return TickPlan(batch, len(pending), found.unusable, WatermarkCursor(watermark, recent).encode(), warnings)
