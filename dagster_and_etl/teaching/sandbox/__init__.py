"""Where a lesson works: a temporary data root with the sample files and a Dagster instance,
files landed in it at chosen times, and the checks that compare a lesson's results with the
reference definitions' in such a sandbox."""
