"""Dagster inside a Jupyter kernel: its console logs kept out of cell outputs, errors shown as one
line. Nothing here knows about the lessons' data."""
