"""The SIGTERM guard of `teaching.live.dagster_dev`: a process terminated with SIGTERM (a kernel stopped
by its manager) stops its `dagster dev` servers first, although `atexit` does not run.

No real server here: a stand-in with a `stop()` is registered, in a child process that then
receives SIGTERM. The real `dagster dev` is covered by tests/test_daemon_e2e.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from dagster_and_etl.teaching.live import dagster_dev

    class StandIn:
        def stop(self):
            Path(sys.argv[1]).write_text("stopped")
            dagster_dev._RUNNING_SERVERS.discard(self)

    # SIGTERM's state is inherited: start from the default, whatever the test runner's is.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.argv[2] == "own-handler":
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(3))
    dagster_dev._RUNNING_SERVERS.add(StandIn())
    dagster_dev._guard_against_sigterm()
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()
    """
)


# The child imports Dagster, which takes seconds, and longer on a busy CI machine.
CHILD_TIMEOUT_SECONDS = 300


def run_child(tmp_path: Path, mode: str) -> tuple[int, Path]:
    marker = tmp_path / "stopped.txt"
    try:
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(marker), mode], timeout=CHILD_TIMEOUT_SECONDS, capture_output=True
        )
    except subprocess.TimeoutExpired as err:  # say how far it got
        raise AssertionError(
            f"the child did not end; marker written: {marker.exists()}; stderr: {err.stderr!r}"
        ) from None
    return child.returncode, marker


def test_sigterm_stops_the_servers_then_terminates(tmp_path):
    returncode, marker = run_child(tmp_path, "default")
    assert marker.read_text() == "stopped"
    assert returncode == -signal.SIGTERM  # it still ends as SIGTERM ends a process


def test_a_handler_of_the_process_own_is_left_alone(tmp_path):
    returncode, marker = run_child(tmp_path, "own-handler")
    assert returncode == 3
    assert not marker.exists()
