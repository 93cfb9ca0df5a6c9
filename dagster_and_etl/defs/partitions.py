import dagster as dg

# One partition per day of data; a day's partition is complete (and scheduled) once the day is over.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2018-01-22")

# One partition per landed file, registered by the sensor as files arrive; the key is the file's stem.
file_partitions = dg.DynamicPartitionsDefinition(name="source_files")

# One partition per landed object in the S3 landing zone; the key is the object name's stem.
object_partitions = dg.DynamicPartitionsDefinition(name="landing_objects")
