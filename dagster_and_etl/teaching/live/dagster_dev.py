"""Run the reference project under the real `dagster dev` or `dg dev` (webserver and daemon), and stop it.

The server runs in a process group of its own on 127.0.0.1, with its own DAGSTER_HOME and
data root, and is stopped by process-group id: SIGTERM, then SIGKILL if it lingers. An
`atexit` guard stops it even when a notebook or test forgets to. SIGTERM ends Python without
running `atexit` (a kernel terminated by its manager, `kill PID`), so a process that starts a
server and has no SIGTERM handler of its own gets one that stops its servers, then terminates.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import yaml

from dagster_and_etl import settings
from dagster_and_etl.dagster_private import AUTOMATION_TICK_SETTLE_SECONDS_ENV_VAR
from dagster_and_etl.defs.sensors import dynamic_sensor
from dagster_and_etl.teaching.live.postgres import instance_config
from dagster_and_etl.teaching.live.processes import environment, free_port, stop_process_group
from dagster_and_etl.writer_pool import record_writer_pool

HOST = settings.LOOPBACK_HOST


_RUNNING_SERVERS: set[DagsterDevServer] = set()


def _stop_servers_then_terminate(signum, frame) -> None:
    for server in list(_RUNNING_SERVERS):
        server.stop()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)  # then end as SIGTERM would have


def _guard_against_sigterm() -> None:
    """Install the SIGTERM handler above, unless the process has one of its own (or this is not
    the main thread, where Python cannot install one)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _stop_servers_then_terminate)


def _dagster_cli() -> list[str]:
    return [sys.executable, "-m", "dagster"]


def _dg_cli() -> list[str]:
    # dagster-dg-cli ships a `dg` script but no `__main__`: call its entry point in this interpreter.
    return [sys.executable, "-c", "import sys; from dagster_dg_cli.cli import main; sys.exit(main())"]


# How each CLI is told what to load. `dg dev` reads `[tool.dg]` in the repository's pyproject.toml,
# which names the same module and gives the code location the same name (see pyproject.toml).
DEV_COMMANDS = {
    "dagster": lambda module: [*_dagster_cli(), "dev", "-m", module],
    "dg": lambda module: [*_dg_cli(), "dev", "--target-path", str(settings.REPO_DIR)],
}


class DagsterDevServer:
    """`dagster dev -m dagster_and_etl.definitions` (or another `module`, or `dg dev` with
    `cli="dg"`) over one data root and one DAGSTER_HOME.

    Use as a context manager, or call `start()` and `stop()`. `log_path` keeps the server's
    output (it is chatty) out of notebooks and test logs. The instance is configured from the
    shipped `dagster.yaml` (the duckdb pool at one slot, which each run's writing step claims,
    and one more run starting up meanwhile), with the queue checked every second; `DaemonView` reads what the daemon did from
    `dagster_home`. `lock_timeout_seconds` sets `DAGSTER_ETL_LOCK_TIMEOUT` for the runs.
    `postgres_env` puts the instance on PostgreSQL: the shipped dagster_postgres.yaml appended to
    dagster.yaml, its `DAGSTER_PG_*` variables given to the server (e.g. a throwaway cluster's
    `PostgresCluster.instance_env()`); this process must have them too to read the instance
    (`DaemonView`). Without it, the instance is SQLite files in `dagster_home`.
    """

    def __init__(
        self,
        data_root: Path,
        dagster_home: Path,
        sensor_interval_seconds: int = 2,
        max_runs_per_tick: int | None = None,
        port: int | None = None,
        cli: str = "dagster",
        lock_timeout_seconds: int | None = None,
        module: str = settings.DEFINITIONS_MODULE,
        postgres_env: Mapping[str, str] | None = None,
    ):
        if cli not in DEV_COMMANDS:
            raise ValueError(f"cli must be one of {', '.join(DEV_COMMANDS)}, got {cli!r}")
        if cli == "dg" and module != settings.DEFINITIONS_MODULE:
            raise ValueError(
                f"dg dev loads the project's [tool.dg] module, {settings.DEFINITIONS_MODULE}, not {module}"
            )
        self.cli = cli
        self.data_root = Path(data_root)
        self.dagster_home = Path(dagster_home)
        self.port = port or free_port()
        self.log_path = self.dagster_home / "dagster-dev.log"
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            settings.DATA_DIR_ENV: str(self.data_root),
            settings.SENSOR_INTERVAL_ENV: str(sensor_interval_seconds),
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "PYTHONUNBUFFERED": "1",
        }
        # The automation daemon counts only the events committed before its tick began: see
        # dagster_private. One second of sleep a tick; a setting of the caller's own is kept.
        self.env.setdefault(AUTOMATION_TICK_SETTLE_SECONDS_ENV_VAR, "1")
        if max_runs_per_tick is not None:
            self.env[settings.MAX_RUNS_PER_TICK_ENV] = str(max_runs_per_tick)
        if lock_timeout_seconds is not None:
            self.env[settings.LOCK_TIMEOUT_ENV] = str(lock_timeout_seconds)
        self.postgres_env = dict(postgres_env or {})
        self.storage = "postgres" if postgres_env else "sqlite"
        self.env.update(self.postgres_env)
        self.module = module  # e.g. "dagster_and_etl.definitions_automation"
        self.process: subprocess.Popen | None = None

    def instance_yaml(self) -> str:
        """The shipped dagster.yaml (and dagster_postgres.yaml on PostgreSQL), with the run queue
        checked every second instead of every 5: a lesson or a test waits for runs, a production
        instance need not hurry."""
        config = instance_config(self.storage)
        config.setdefault("run_queue", {})["dequeue_interval_seconds"] = 1
        return yaml.safe_dump(config, sort_keys=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_seconds: float = 120.0) -> DagsterDevServer:
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        (self.dagster_home / "dagster.yaml").write_text(self.instance_yaml())
        with environment(self.postgres_env), dg.DagsterInstance.from_config(str(self.dagster_home)) as instance:
            record_writer_pool(instance)  # before any run is queued: see writer_pool
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*DEV_COMMANDS[self.cli](self.module), "-h", HOST, "-p", str(self.port)],
                env=self.env,
                cwd=self.dagster_home,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped as a whole, by id
            )
        atexit.register(self.stop)
        _RUNNING_SERVERS.add(self)
        _guard_against_sigterm()
        try:
            self._wait_until_ready(timeout_seconds)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, timeout_seconds: float) -> None:
        process = self.process
        assert process is not None, "start() starts the process first"
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{self.cli} dev exited with code {process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(
            f"{self.cli} dev did not answer on {self.url} within {timeout_seconds:.0f} s; see {self.log_path}"
        )

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """The webserver's GraphQL API (what the UI calls): the answer's `data`; errors raise."""
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def code_location_names(self) -> list[str]:
        """The code locations the webserver serves."""
        data = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")
        return sorted(entry["name"] for entry in data["workspaceOrError"]["locationEntries"])

    def start_sensor(self, name: str = dynamic_sensor.name) -> None:
        """Turn a sensor on, as the UI's toggle does: the daemon then ticks it by itself."""
        self.sensor_command("start", name)

    def sensor_command(self, *arguments: str) -> None:
        """`dagster sensor ARGUMENTS -m MODULE` on this server's instance (`start`, `cursor --set`...)."""
        subprocess.run(
            [*_dagster_cli(), "sensor", *arguments, "-m", self.module],
            env=self.env,
            cwd=self.dagster_home,
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    def stop(self, grace_seconds: float = 15.0) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after `grace_seconds`. Safe to call twice."""
        process, self.process = self.process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        _RUNNING_SERVERS.discard(self)
        # Run workers the daemon launched belong to the same group: none outlive it.
        stop_process_group(process, grace_seconds)

    def __enter__(self) -> DagsterDevServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
