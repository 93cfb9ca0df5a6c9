"""The Dagster definitions, one module per kind: partitions, resources, assets, jobs, schedules,
sensors. `dg` loads every module here (`dg.load_from_defs_folder`, see `definitions.py`), so a
file `dg scaffold defs` writes here is loaded beside them; nothing else belongs here."""


def __getattr__(name: str):
    # The automation definitions moved to `dagster_and_etl.automation`: `dg` loads every module
    # in this folder, and theirs share asset keys with the reference assets. This keeps
    # `from dagster_and_etl.defs import automation` (lesson 06 until it is re-executed) working.
    if name == "automation":
        import importlib

        return importlib.import_module("dagster_and_etl.automation")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
