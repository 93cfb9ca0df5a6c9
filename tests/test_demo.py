"""The scripted demo, played with a short timer: Ctrl-C (SIGINT) stops everything it started."""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dagster_and_etl import settings
from dagster_and_etl.sample_data import write_sample_data

pytestmark = pytest.mark.daemon


class Demo:
    """The demo in a subprocess (its own process group), its output read line by line."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dagster_and_etl.instructor.demo", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.server_group: int | None = None

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, pattern: str, timeout_seconds: float = 180) -> re.Match:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            group = re.search(r"process group (\d+)", line)
            if group:
                self.server_group = int(group.group(1))
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"the demo never printed {pattern!r}; it printed:\n" + "\n".join(self.lines))

    def interrupt_and_wait(self, timeout_seconds: float = 60) -> int:
        os.kill(self.process.pid, signal.SIGINT)
        returncode = self.process.wait(timeout=timeout_seconds)
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)
        return returncode

    def clean_up(self) -> None:
        """Whatever happened, leave nothing behind (by process group, never by name)."""
        for group in (self.process.pid, self.server_group):
            if group is not None and group_is_alive(group):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=30)


def group_is_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_group_to_go(group: int, timeout_seconds: float = 10) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while group_is_alive(group):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_ctrl_c_during_the_morning_stops_dagster_dev(tmp_path: Path):
    """On a given data root with an empty source/, files land every second; Ctrl-C after two."""
    root = tmp_path / "data"
    write_sample_data(root)
    for path in settings.source_dir(root).glob("*.csv"):
        path.unlink()
    demo = Demo("--data-root", str(root), "--step-seconds", "1", "--sensor-interval", "1")
    try:
        demo.wait_for_line(r"process group \d+")
        demo.wait_for_line(r"\[2/5\] The on-time file")
        assert (settings.source_dir(root) / "2018-02-02.csv").is_file()
        assert demo.interrupt_and_wait() == 0
        assert "Stopped." in demo.lines
        assert wait_for_group_to_go(demo.server_group), "dagster dev's process group outlived the demo"
        assert not group_is_alive(demo.process.pid)
        # The Dagster home of a given root is kept, for browsing after the demo.
        assert (root / "dagster_home" / "dagster.yaml").is_file()
    finally:
        demo.clean_up()


def test_ctrl_c_while_the_first_files_run_stops_everything_and_deletes_the_temporary_copy():
    """The default: a temporary copy of the sample data, whose 10 files run first."""
    demo = Demo("--step-seconds", "1", "--sensor-interval", "1")
    try:
        root = Path(demo.wait_for_line(r"Starting dagster dev over (\S+) ").group(1))
        demo.wait_for_line(r"process group \d+")
        demo.wait_for_line(r"Its first tick requests the 10 files")
        assert root.is_dir()
        assert demo.interrupt_and_wait() == 0
        assert "Stopped." in demo.lines
        assert wait_for_group_to_go(demo.server_group), "dagster dev's process group outlived the demo"
        assert not root.exists(), "the temporary copy of the data was not deleted"
    finally:
        demo.clean_up()
