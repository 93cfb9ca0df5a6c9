"""The ways a file sensor can remember what it has seen, side by side, as plain functions.

Each strategy takes the cursor and this tick's listing (`LandedFile`s, from a folder or an
object store) and returns the files to request and the new cursor. They are what lesson 04
measures; `run_key_digests` is the reference sensor's approach (`defs/sensors.py`).

- `seen_names`: a JSON list of the names requested. Misses a file replaced in place.
- `name_to_mtime`: a JSON map name -> mtime. Sees replacements; stores a number per file.
- `mtime_high_water_mark`: only the newest mtime seen. Constant size; misses a late file
  whose mtime is older than a file already seen.
- `run_key_digests`: 7-byte digests of the run keys requested, for files still present.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dagster_and_etl.file_scan import LandedFile, decode_cursor, encode_cursor


@dataclass(frozen=True)
class StrategyTick:
    requested: list[LandedFile]
    cursor: str


Strategy = Callable[[str | None, Sequence[LandedFile], int | None], StrategyTick]


def _oldest_first(files, cap: int | None) -> list[LandedFile]:
    return sorted(files, key=lambda f: (f.mtime_ns, f.name))[:cap]


def seen_names(cursor: str | None, landed: Sequence[LandedFile], cap: int | None = None) -> StrategyTick:
    seen = set(json.loads(cursor)) if cursor else set()
    batch = _oldest_first((f for f in landed if f.name not in seen), cap)
    return StrategyTick(batch, json.dumps(sorted(seen | {f.name for f in batch})))


def name_to_mtime(cursor: str | None, landed: Sequence[LandedFile], cap: int | None = None) -> StrategyTick:
    seen = json.loads(cursor) if cursor else {}
    batch = _oldest_first((f for f in landed if seen.get(f.name) != f.mtime_ns), cap)
    present = {f.name for f in landed}
    state = {name: mtime for name, mtime in seen.items() if name in present}
    state.update({f.name: f.mtime_ns for f in batch})
    return StrategyTick(batch, json.dumps(state, sort_keys=True))


def mtime_high_water_mark(cursor: str | None, landed: Sequence[LandedFile], cap: int | None = None) -> StrategyTick:
    mark = int(cursor) if cursor else 0
    batch = _oldest_first((f for f in landed if f.mtime_ns > mark), cap)
    return StrategyTick(batch, str(max([mark, *(f.mtime_ns for f in batch)])))


def run_key_digests(cursor: str | None, landed: Sequence[LandedFile], cap: int | None = None) -> StrategyTick:
    seen, _ = decode_cursor(cursor)
    digested = [(f, f.digest) for f in landed]  # each run key hashed once, as the reference sensor does
    still_present = {digest for _, digest in digested if digest in seen}
    batch = _oldest_first((f for f, digest in digested if digest not in seen), cap)
    return StrategyTick(batch, encode_cursor(still_present | {f.digest for f in batch}))


STRATEGIES: dict[str, Strategy] = {
    "list of seen names": seen_names,
    "name -> mtime map": name_to_mtime,
    "mtime high-water mark": mtime_high_water_mark,
    "run-key digests (reference)": run_key_digests,
}


def synthetic_listing(count: int, first_mtime_ns: int = 1_516_683_600 * 10**9) -> list[LandedFile]:
    """`count` files named like the lesson's, one a minute apart: a listing without a folder."""
    return [
        LandedFile(f"file-{n:06d}.csv", first_mtime_ns + n * 60 * 10**9, 300 + n % 100) for n in range(count)
    ]


@dataclass(frozen=True)
class SteadyTick:
    files: int
    cursor_bytes: int
    median_seconds: float


def measure_steady_tick(strategy: Strategy, count: int, repeats: int = 5) -> SteadyTick:
    """A tick once the sensor has caught up: `count - 1` files seen, one new. Cursor bytes are
    exact; the time is the median of `repeats` ticks (volatile: compare, never assert)."""
    listing = synthetic_listing(count)
    caught_up = strategy(None, listing[:-1], None).cursor
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = strategy(caught_up, listing, None)
        times.append(time.perf_counter() - start)
    if [f.name for f in result.requested] != [listing[-1].name]:
        raise AssertionError(f"{strategy.__name__} did not request exactly the one new file")
    return SteadyTick(count, len(result.cursor.encode()), statistics.median(times))
