"""The PostgreSQL instance config (dagster_postgres.yaml appended to dagster.yaml) and the throwaway
cluster that the daemon tests and the pool benchmark run it on."""

from __future__ import annotations

import os

import dagster as dg
import pytest
import sqlalchemy
import yaml

from dagster_and_etl import settings
from dagster_and_etl.teaching.live.postgres import DRIVER_SCHEME, PostgresCluster, instance_config
from dagster_and_etl.teaching.live.processes import environment


def test_the_postgres_file_adds_storage_only_and_keeps_the_pool_settings_in_one_place():
    shipped = yaml.safe_load(settings.INSTANCE_CONFIG.read_text())
    added = yaml.safe_load(settings.POSTGRES_INSTANCE_CONFIG.read_text())
    # Appending it (`cat dagster.yaml dagster_postgres.yaml`) must not repeat a top-level key: YAML
    # would keep the last one silently.
    assert set(added) == {"storage"} and not set(added) & set(shipped)
    postgres = instance_config("postgres")
    assert {key: value for key, value in postgres.items() if key != "storage"} == instance_config("sqlite") == shipped


def test_the_postgres_file_reads_its_connection_from_the_environment_and_names_the_driver():
    fields = instance_config("postgres")["storage"]["postgres"]["postgres_db"]
    assert fields.pop("scheme") == DRIVER_SCHEME == "postgresql+psycopg2"
    assert fields == {
        "username": {"env": settings.PG_USERNAME_ENV},
        "password": {"env": settings.PG_PASSWORD_ENV},
        "hostname": {"env": settings.PG_HOST_ENV},
        "port": {"env": settings.PG_PORT_ENV},
        "db_name": {"env": settings.PG_DB_ENV},
    }


def test_environment_puts_back_what_was_there(monkeypatch):
    monkeypatch.setenv(settings.PG_HOST_ENV, "before")
    monkeypatch.delenv(settings.PG_DB_ENV, raising=False)
    with environment({settings.PG_HOST_ENV: "during", settings.PG_DB_ENV: "db"}):
        assert (os.environ[settings.PG_HOST_ENV], os.environ[settings.PG_DB_ENV]) == ("during", "db")
    assert os.environ[settings.PG_HOST_ENV] == "before" and settings.PG_DB_ENV not in os.environ


@pytest.mark.slow
def test_a_dagster_instance_on_the_cluster_stores_runs_and_events_then_the_cluster_is_gone(tmp_path):
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance_config("postgres")))
    cluster = PostgresCluster()
    with pytest.raises(KeyError), cluster:
        pid, folder = cluster.pid, cluster.folder
        assert cluster.is_running() and cluster.url().startswith("postgresql+psycopg2://dagster:")
        assert (folder / "data").stat().st_uid != 0 or os.geteuid() != 0  # initdb ran as postgres
        with environment(cluster.instance_env()), dg.DagsterInstance.from_config(str(tmp_path)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            run = instance.add_run(dg.DagsterRun(job_name="a_job"))
            # An event write: under psycopg 3 (a bare postgresql:// URL) this is what fails.
            instance.report_engine_event("stored in PostgreSQL", run)
            messages = [record.message for record in instance.all_logs(run.run_id)]
            assert "stored in PostgreSQL" in messages
        engine = sqlalchemy.create_engine(cluster.url())
        with engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT count(*) FROM runs")).scalar() == 1
        engine.dispose()
        raise KeyError("a failing test: the cluster still stops")
    assert not cluster.is_running() and not folder.exists()
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"
