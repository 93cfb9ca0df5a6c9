"""Stopping a server that was started in a process group of its own, by that group's id."""

from __future__ import annotations

import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen, grace_seconds: float) -> None:
    """SIGTERM the group led by `process`, wait up to `grace_seconds`, then SIGKILL whatever of
    the group is left (children that ignored SIGTERM or outlived their parent), and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace_seconds)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
