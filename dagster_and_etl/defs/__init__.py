"""The Dagster definitions, one module per kind: partitions, resources, assets, jobs, schedules, sensors."""
