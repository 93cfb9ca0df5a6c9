"""Errors in the lessons as one line, `ExceptionType: message`, without the stack.

A Dagster error raised in a cell comes with dozens of frames inside Dagster, each naming a file
under this machine's `.venv`: long for a learner, and different on every machine (a committed
notebook would change each time someone else re-ran it). `short_tracebacks()` switches IPython
to its Minimal traceback mode without printing anything (`%xmode Minimal` prints a line);
`%xmode Context` in a cell brings the full tracebacks back.
"""

from __future__ import annotations


def short_tracebacks() -> None:
    """Show errors as `ExceptionType: message` in this IPython kernel (nothing to do outside IPython)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.InteractiveTB.set_mode(mode="Minimal")
