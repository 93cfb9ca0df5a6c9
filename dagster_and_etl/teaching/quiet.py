"""Keep Dagster's console logging out of notebook cell outputs.

Dagster's run and sensor loggers write to `sys.stderr`, with timestamps and run ids: a cell that
shows them never gives the same output twice. `quiet()` captures that text so a lesson can
summarise it (or print only the lines it is about).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator


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
