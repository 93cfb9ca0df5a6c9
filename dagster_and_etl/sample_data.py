"""The lessons' sample data: a seeded generator, so the committed files can always be rebuilt.

`python -m dagster_and_etl.sample_data [DATA_ROOT]` writes:
- `source/2018-01-22.csv` … `source/2018-01-31.csv`: ten days of share trades, each row dated
  with its file's date;
- `extras/`: files kept out of `source/` for the lessons to drop in (see `PREPARED_FILES`).
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from dagster_and_etl import settings
from dagster_and_etl.csv_format import HEADER_LINE

SEED = 20180122
FIRST_DAY = date(2018, 1, 22)
SOURCE_DAYS = 10
ROWS_PER_DAY = 8


def _rows(day: date, rng: random.Random, start_price: float) -> list[str]:
    lines, price = [], start_price
    for _ in range(ROWS_PER_DAY):
        shift = round(rng.uniform(-1.5, 1.5), 2)
        price = round(max(1.0, price + shift), 2)
        amount = rng.randint(10, 500)
        spread = round(rng.uniform(0.01, 0.25), 2)
        lines.append(f"{day.isoformat()},{price:.2f},{amount},{price * amount:.2f},{shift:.2f},{spread:.2f}")
    return lines


def day_csv(day: date, variant: str = "original") -> str:
    """One day's file. Each day has its own seed, so a day reads the same whichever others exist."""
    rng = random.Random(f"{SEED}-{day.isoformat()}-{variant}")
    start = 100.0 + (day - FIRST_DAY).days * 0.5
    return "\n".join([HEADER_LINE, *_rows(day, rng, start)]) + "\n"


def arrival_time(day: date) -> datetime:
    """When a day's file normally lands: 05:00 UTC the next morning, an hour before the schedule."""
    return datetime.combine(day + timedelta(days=1), time(5, 0), tzinfo=timezone.utc)


def stamp(path: Path, when: datetime) -> None:
    """Set a file's modification time, so run keys (name, mtime, size) are the same on every run."""
    ns = int(when.timestamp()) * 1_000_000_000
    os.utime(path, ns=(ns, ns))


def source_days() -> list[date]:
    return [FIRST_DAY + timedelta(days=n) for n in range(SOURCE_DAYS)]


def _with_bad_row(text: str, row: int, column: str, value: str) -> str:
    lines = text.splitlines()
    fields = lines[row].split(",")
    fields[HEADER_LINE.split(",").index(column)] = value
    lines[row] = ",".join(fields)
    return "\n".join(lines) + "\n"


LATE_DAY = FIRST_DAY + timedelta(days=SOURCE_DAYS)  # 2018-02-01: the file that lands late
CORRECTED_DAY = FIRST_DAY + timedelta(days=3)  # 2018-01-25: re-uploaded with corrected values
BAD_DAY = LATE_DAY + timedelta(days=1)  # 2018-02-02: the day every bad file claims to be


@dataclass(frozen=True)
class PreparedFile:
    """A file kept in `extras/`, to be dropped into `source/` under `target_name` by a lesson."""

    extras_path: str
    target_name: str
    description: str
    text: str


def _prepared() -> dict[str, PreparedFile]:
    bad_day = day_csv(BAD_DAY)
    return {
        "late": PreparedFile(
            "late/2018-02-01.csv",
            "2018-02-01.csv",
            "the 2018-02-01 file, landing after its scheduled run",
            day_csv(LATE_DAY),
        ),
        "corrected": PreparedFile(
            "corrected/2018-01-25.csv",
            "2018-01-25.csv",
            "a corrected re-upload of 2018-01-25",
            day_csv(CORRECTED_DAY, "corrected"),
        ),
        "partial": PreparedFile(
            "partial/2018-02-02.csv.part",
            "2018-02-02.csv.part",
            "2018-02-02 still being written (a .part name)",
            bad_day[: len(bad_day) // 2],
        ),
        "on_time": PreparedFile(
            "on_time/2018-02-02.csv",
            "2018-02-02.csv",
            "the complete 2018-02-02 file",
            bad_day,
        ),
        "bad_price": PreparedFile(
            "bad/price/2018-02-02.csv",
            "2018-02-02.csv",
            "2018-02-02 with a share_price of -3.5 in row 3",
            _with_bad_row(bad_day, 3, "share_price", "-3.50"),
        ),
        "bad_columns": PreparedFile(
            "bad/columns/2018-02-02.csv",
            "2018-02-02.csv",
            "2018-02-02 without its spread column",
            "\n".join(",".join(line.split(",")[:-1]) for line in bad_day.splitlines()) + "\n",
        ),
        "bad_value": PreparedFile(
            "bad/value/2018-02-02.csv",
            "2018-02-02.csv",
            "2018-02-02 with amount 'n/a' in row 5",
            _with_bad_row(bad_day, 5, "amount", "n/a"),
        ),
        "bad_date": PreparedFile(
            "bad/date/2018-02-02.csv",
            "2018-02-02.csv",
            "2018-02-02 whose row 2 is dated 2018-02-03",
            _with_bad_row(bad_day, 2, "date", "2018-02-03"),
        ),
    }


PREPARED_FILES = _prepared()


def write_sample_data(root: Path, include_extras: bool = True) -> list[Path]:
    """Write the sample files under `root`; return the paths written."""
    root = Path(root)
    written = []
    for day in source_days():
        path = settings.source_dir(root) / f"{day.isoformat()}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(day_csv(day), encoding="utf-8", newline="")
        stamp(path, arrival_time(day))
        written.append(path)
    if include_extras:
        for prepared in PREPARED_FILES.values():
            path = root / "extras" / prepared.extras_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(prepared.text, encoding="utf-8", newline="")
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else settings.REPO_DIR / "data"
    for path in write_sample_data(target):
        print(path)
