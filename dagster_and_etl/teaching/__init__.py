"""Helpers for the lessons and tests: everything that is not the lesson's subject.

The Dagster definitions live in `dagster_and_etl.defs`; this package holds what the notebooks
use around them (a daemon-like run loop, sample files, displays, widgets).
"""
