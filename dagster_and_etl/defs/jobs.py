import dagster as dg

from dagster_and_etl.defs.assets import raw_dynamic_partition_data, raw_partition_data, raw_s3_partition_data

# Partitions come from the selected assets: daily for the first job, dynamic for the second.
import_partition_job = dg.define_asset_job("import_partition_job", selection=[raw_partition_data])

import_dynamic_partition_job = dg.define_asset_job(
    "import_dynamic_partition_job", selection=[raw_dynamic_partition_data]
)

import_s3_partition_job = dg.define_asset_job("import_s3_partition_job", selection=[raw_s3_partition_data])
