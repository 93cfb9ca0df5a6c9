"""Return a data root to its pristine lesson state, for instructors between classes.

`python -m dagster_and_etl.instructor.reset [DATA_ROOT]` (default: `$DAGSTER_ETL_DATA_DIR`, else the
repository's `data/`):
- writes the sample files back (`source/` and `extras/`, with their modification times);
- removes every other file or folder in `source/` (dropped, partial or bad files);
- removes the DuckDB database in `staging/` and the Dagster home `dagster_home/`.
Nothing else under the root is touched. The lessons never need this: they work in temporary roots.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_and_etl import settings
from dagster_and_etl.sample_data import write_sample_data


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def reset(root: Path) -> list[str]:
    """Reset `root`; return what was done, one line per change, paths relative to `root`."""
    root = Path(root).resolve()
    source = settings.source_dir(root)
    if not source.is_dir() and not (root / "extras").is_dir():
        raise ValueError(f"{root} does not look like a data root: it has neither source/ nor extras/")

    done = []
    sample_paths = set(write_sample_data(root))
    done.append(f"wrote the {len(sample_paths)} sample files (source/ and extras/)")
    for path in sorted(source.iterdir()):
        if path not in sample_paths:
            _remove(path)
            done.append(f"removed {path.relative_to(root)}")

    database = settings.database_path(root)
    # DuckDB keeps uncommitted work in a write-ahead log next to the database.
    for path in (database, database.with_name(database.name + ".wal")):
        if path.exists():
            path.unlink()
            done.append(f"removed {path.relative_to(root)}")
    if database.parent.is_dir() and not any(database.parent.iterdir()):
        database.parent.rmdir()
        done.append(f"removed the empty {database.parent.relative_to(root)}/")

    dagster_home = settings.dagster_home(root)
    if dagster_home.exists():
        _remove(dagster_home)
        done.append(f"removed {settings.DAGSTER_HOME_DIR}/")
    return done


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = Path(argv[0]) if argv else settings.data_root()
    try:
        done = reset(root)
    except ValueError as err:
        print(f"reset: {err}", file=sys.stderr)
        return 1
    print(f"Reset {root.resolve()}:")
    for line in done:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
