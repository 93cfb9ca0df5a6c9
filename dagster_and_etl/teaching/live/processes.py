"""A server's process: a free loopback port for it, environment variables set for a block, and
stopping it, when it was started in a process group of its own, by that group's id."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster_and_etl import settings


def free_port() -> int:
    """A TCP port free on the loopback address now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((settings.LOOPBACK_HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set `variables` in this process's environment for the block (an instance config's `env:`
    fields are read when an instance loads), then put back what was there."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def live_processes_in_group(pgid: int) -> list[int]:
    """PIDs of the group's processes that are still running (zombies awaiting a reaper excluded)."""
    pids = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state not in ("Z", "X"):
            pids.append(int(stat_file.parent.name))
    return pids


def stop_process_group(process: subprocess.Popen, grace_seconds: float = 15.0) -> None:
    """Stop a server started with `start_new_session=True`, and everything in its process group:
    SIGTERM, then SIGKILL after `grace_seconds` until no process of the group is left (run
    workers a daemon launched belong to the group). Safe to call on a process that has ended."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
    deadline = time.monotonic() + grace_seconds
    while live_processes_in_group(process.pid) and time.monotonic() < deadline:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    process.wait()
