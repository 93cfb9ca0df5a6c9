"""Dagster & ETL — triggering partitions: the reference project.

`dagster_and_etl.definitions` holds the Dagster definitions; `dagster_and_etl.defs` one
module per kind of definition; the other modules hold the plain-Python pieces they share
(settings, the CSV format, folder scanning, the DuckDB warehouse, sample data).
"""
