"""The Dagster definitions, one module per kind: partitions, resources, assets, jobs, schedules,
sensors. `dg` loads every module here (`dg.load_from_defs_folder`, see `definitions.py`), so a
file `dg scaffold defs` writes here is loaded beside them; nothing else belongs here."""
