"""Keep Dagster's console logging out of notebook cell outputs.

Dagster's run and sensor loggers write to `sys.stderr`, with timestamps and run ids: a cell that
shows them never gives the same output twice (and nbval compares stderr too). Two ways out:

- `run_config=QUIET_RUN_CONFIG` on `execute_in_process` / `dg.materialize` raises the job's
  `console` logger to CRITICAL: the run, its events in the instance and its result are
  unchanged, only the echo is gone. It is visible in the lesson's own code, and removing it
  shows the logs again.
- `with quiet() as log:` captures everything written to stderr (sensor evaluations log through
  `context.log`, which a run config cannot reach), so a lesson can summarise it (or print only
  the lines it is about).

In Jupyter there is one more source of noise: the kernel's event loop is already running, so
Dagster's end-of-run clean-up (`event_loop.shutdown_asyncgens()`, which Dagster expects to fail
there and ignores) leaves an un-awaited coroutine behind, and Python prints a RuntimeWarning
after every run. Importing this module hides exactly that warning
(`hide_event_loop_cleanup_warning`); every other warning still shows.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator

QUIET_RUN_CONFIG: dict = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

EVENT_LOOP_CLEANUP_WARNING = r"coroutine 'BaseEventLoop\.shutdown_asyncgens' was never awaited"


def hide_event_loop_cleanup_warning() -> None:
    """Ignore the RuntimeWarning a run in a running event loop (a Jupyter kernel) leaves behind.

    Dagster runs `shutdown_asyncgens()` on its own loop at the end of a run and ignores the
    RuntimeError it gets when another loop is running; only the dropped coroutine is reported.
    Called on import; call it again inside `warnings.catch_warnings()` (as pytest uses).
    """
    warnings.filterwarnings("ignore", message=EVENT_LOOP_CLEANUP_WARNING, category=RuntimeWarning)


hide_event_loop_cleanup_warning()


class CapturedLog:
    """What Dagster wrote while quiet: the raw text, and its lines without timestamps or run ids."""

    def __init__(self) -> None:
        self.text = ""

    def messages(self, level: str = "WARNING") -> list[str]:
        """The messages logged at `level`, each without Dagster's `date - dagster - LEVEL - ` prefix."""
        marker = f" - dagster - {level} - "
        return [line.split(marker, 1)[1] for line in self.text.splitlines() if marker in line]


@contextlib.contextmanager
def quiet() -> Iterator[CapturedLog]:
    captured, buffer = CapturedLog(), io.StringIO()
    try:
        with contextlib.redirect_stderr(buffer):
            yield captured
    finally:
        captured.text = buffer.getvalue()
