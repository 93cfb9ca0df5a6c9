"""A throwaway PostgreSQL cluster on 127.0.0.1 for a Dagster instance's storage, and that instance's config.

`PostgresCluster` runs Debian's PostgreSQL 15 server binaries (`apt-get install postgresql`):
`initdb` into a temporary folder (as the `postgres` user when this process is root: `initdb`
refuses root), a superuser with a random password (`--pwfile`, `scram-sha-256`), the server on
127.0.0.1 and a free port, its socket in the same folder, `pg_ctl -w start`, then one database for
Dagster. `stop()` stops the server by its PID (`postmaster.pid`; fast shutdown, then harder
signals) and any of its children still alive, and removes the folder: use it as a context
manager; an `atexit` guard stops it too when the caller forgets.

`instance_config()` is the instance a server or a benchmark runs: the shipped dagster.yaml, with
dagster_postgres.yaml's `storage:` block appended when asked; `instance_env()` is what that block
reads from the environment.
"""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import yaml

from dagster_and_etl import settings
from dagster_and_etl.teaching.live.processes import free_port

HOST = settings.LOOPBACK_HOST
BIN_DIR = Path("/usr/lib/postgresql/15/bin")  # Debian's `postgresql` package (PostgreSQL 15)
SERVER_USER = "postgres"  # runs initdb and the server when this process is root
# Named: SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3, under which dagster-postgres
# 0.29.27's event writes fail (dagster_postgres.yaml says more).
DRIVER_SCHEME = "postgresql+psycopg2"
STORAGES = ("sqlite", "postgres")


def instance_config(storage: str = "sqlite") -> dict:
    """The instance settings every server uses (dagster.yaml), on SQLite under DAGSTER_HOME or, with
    `storage="postgres"`, on the PostgreSQL that dagster_postgres.yaml's environment variables name:
    the two files concatenated, as `cat dagster.yaml dagster_postgres.yaml` writes them."""
    if storage not in STORAGES:
        raise ValueError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    text = settings.INSTANCE_CONFIG.read_text()
    if storage == "postgres":
        text += "\n" + settings.POSTGRES_INSTANCE_CONFIG.read_text()
    return yaml.safe_load(text)


def _server_pid(data_dir: Path) -> int | None:
    """The running server's process id, from its data folder's `postmaster.pid`."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _process_state(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, from /proc; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _is_alive(pid: int) -> bool:
    state = _process_state(pid)
    return state is not None and state[0] not in ("Z", "X")


def _live_processes(server_pid: int) -> list[int]:
    """The server's process and its children that are still running (zombies left out)."""
    pids = [server_pid] if _is_alive(server_pid) else []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat_file.parent.name)
        state = _process_state(pid)
        if state is not None and state[1] == server_pid and state[0] not in ("Z", "X"):
            pids.append(pid)
    return pids


def _folder_parent() -> str | None:
    """Where to make the cluster's folder: the usual temporary folder, unless this process is root
    and that folder is closed to other users (nbval's kernels get a private TMPDIR): the server
    runs as the postgres user and must reach its data folder, so then the first world-traversable
    system temporary folder."""
    parent = tempfile.gettempdir()
    if os.geteuid() != 0 or os.stat(parent).st_mode & stat.S_IXOTH:
        return None
    for candidate in ("/tmp", "/var/tmp"):
        if os.path.isdir(candidate) and os.stat(candidate).st_mode & stat.S_IXOTH:
            return candidate
    return None


def server_binaries_missing(bin_dir: Path = BIN_DIR) -> str | None:
    """None when the server binaries are installed, else what to do about it."""
    if all((bin_dir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
        return None
    return f"PostgreSQL's server binaries are not in {bin_dir}: `apt-get install -y postgresql` (Debian)"


class PostgresCluster:
    """A new PostgreSQL cluster in a temporary folder, serving `database` on 127.0.0.1 to `user`."""

    def __init__(self, database: str = "dagster", user: str = "dagster", bin_dir: Path = BIN_DIR):
        self.database = database
        self.user = user
        self.bin_dir = Path(bin_dir)
        self.password = secrets.token_urlsafe(24)
        self.port: int | None = None
        self.folder: Path | None = None
        self.pid: int | None = None  # the server's (the postmaster's) process id

    @property
    def data_dir(self) -> Path:
        assert self.folder is not None, "start() makes the folder"
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        assert self.folder is not None, "start() makes the folder"
        return self.folder / "server.log"

    def _as_server_user(self, command: list[str]) -> list[str]:
        # initdb and postgres refuse to run as root.
        return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command

    def _give_to_server_user(self, path: Path) -> None:
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(path, account.pw_uid, account.pw_gid)

    def start(self, timeout_seconds: float = 60.0) -> PostgresCluster:
        missing = server_binaries_missing(self.bin_dir)
        if missing:
            raise RuntimeError(missing)
        self.folder = Path(tempfile.mkdtemp(prefix="dagster-etl-postgres-", dir=_folder_parent()))
        atexit.register(self.stop)
        try:
            self._give_to_server_user(self.folder)
            password_file = self.folder / "password"
            password_file.write_text(self.password + "\n")
            password_file.chmod(0o600)
            self._give_to_server_user(password_file)
            subprocess.run(
                self._as_server_user(
                    [
                        str(self.bin_dir / "initdb"),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        self.user,
                        f"--pwfile={password_file}",
                        "-A",
                        "scram-sha-256",
                        "--encoding=UTF8",
                        "--locale=C",
                        "--no-sync",  # a throwaway cluster: nothing to keep across a crash
                    ]
                ),
                check=True,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=timeout_seconds,
            )
            password_file.unlink()
            self.port = free_port()
            server_options = f"-h {HOST} -p {self.port} -k {self.folder} -c fsync=off -c full_page_writes=off"
            starter = subprocess.Popen(
                self._as_server_user(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-o",
                        server_options,
                        "-l",
                        str(self.log_path),
                        "-w",
                        "-t",
                        str(int(timeout_seconds)),
                        "start",
                    ]
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            output, _ = starter.communicate(timeout=timeout_seconds + 10)
            self.pid = _server_pid(self.data_dir)
            if starter.returncode != 0:
                raise RuntimeError(
                    f"pg_ctl start failed ({starter.returncode}): {output.decode(errors='replace')}; "
                    f"server log: {self._log_tail()}"
                )
            self.create_database(self.database)
        except BaseException:
            self.stop()
            raise
        return self

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def url(self, database: str | None = None) -> str:
        """The SQLAlchemy URL, with the psycopg2 driver named."""
        return (
            f"{DRIVER_SCHEME}://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{HOST}:{self.port}/{database or self.database}"
        )

    def instance_env(self, database: str | None = None) -> dict[str, str]:
        """The environment variables dagster_postgres.yaml reads, for `database` (default: the cluster's)."""
        return {
            settings.PG_USERNAME_ENV: self.user,
            settings.PG_PASSWORD_ENV: self.password,
            settings.PG_HOST_ENV: HOST,
            settings.PG_PORT_ENV: str(self.port),
            settings.PG_DB_ENV: database or self.database,
        }

    def create_database(self, name: str) -> str:
        """A new, empty database in the cluster (e.g. one per test); returns its name."""
        import psycopg2  # only needed once a cluster runs

        connection = psycopg2.connect(
            host=HOST, port=self.port, user=self.user, password=self.password, dbname="postgres"
        )
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return name

    def is_running(self) -> bool:
        return self.pid is not None and self.pid in _live_processes(self.pid)

    def stop(self, grace_seconds: float = 20.0) -> None:
        """Stop the server by its PID (fast shutdown: SIGINT; then SIGQUIT, SIGKILL), then any of its
        child processes still alive, and remove the folder. Safe to call twice, or after a failed start."""
        folder, self.folder = self.folder, None
        if folder is None:
            return
        atexit.unregister(self.stop)
        pid, self.pid = self.pid, None
        if pid is None:  # a start that failed or timed out may still have left a server
            pid = _server_pid(folder / "data")
        if pid is not None:
            # The server and each of its children are sessions of their own (PostgreSQL calls
            # setsid), so they are found by parent, not by process group.
            family = _live_processes(pid)
            for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + grace_seconds / 3
                while pid in _live_processes(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if pid not in _live_processes(pid):
                    break
            for child in family:
                if child != pid and _is_alive(child):
                    try:
                        os.kill(child, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
