"""Real servers on 127.0.0.1: `dagster dev` (webserver and daemon) and what it stored, a local S3
endpoint, a throwaway PostgreSQL cluster for the instance, and stopping a process group by its id."""
