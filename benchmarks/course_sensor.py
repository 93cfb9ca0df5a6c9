"""The published course's file sensor, rebuilt for measuring against the reference sensor.

It behaves as the Dagster University "Dagster & ETL" course's `dynamic_sensor` does (lesson 3),
with the folder passed in instead of found relative to the module:

- the cursor is a JSON object `{filename: mtime}` of the files *this tick* found new, where the
  mtime recorded is the folder's, read once per new file;
- the files are listed with `os.listdir`, unfiltered (a `.part` file counts too), and the run key
  is the filename, so a file replaced in place is never requested again.

Because the cursor holds only this tick's new files, its steady state alternates between two
tick shapes: a *quiet* tick (the cursor lists every file: nothing is new, and the cursor written
is `{}`) and a *re-request* tick (the cursor is `{}`: every file is new again, every file gets a
run request, and the cursor lists them all). The daemon skips the re-requested runs by run key,
but the sensor still pays for them on every other tick.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from dagster_and_etl.defs.jobs import import_dynamic_partition_job
from dagster_and_etl.defs.partitions import file_partitions

COURSE_SENSOR_NAME = "course_sensor"


def build_course_sensor(folder: Path) -> dg.SensorDefinition:
    folder = Path(folder)

    @dg.sensor(name=COURSE_SENSOR_NAME, target=import_dynamic_partition_job)
    def course_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        previous_state = json.loads(context.cursor) if context.cursor else {}
        current_state = {}
        run_requests = []
        new_partition_keys = []
        for filename in os.listdir(folder):
            if filename in previous_state:
                continue
            partition_key = filename.split(".")[0]
            current_state[filename] = os.path.getmtime(folder)  # the folder's mtime, as published
            new_partition_keys.append(partition_key)
            run_requests.append(dg.RunRequest(run_key=filename, partition_key=partition_key))
        return dg.SensorResult(
            run_requests=run_requests,
            cursor=json.dumps(current_state),
            dynamic_partitions_requests=[file_partitions.build_add_request(new_partition_keys)],
        )

    return course_sensor
