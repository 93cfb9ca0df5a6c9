"""Execute lesson notebooks in place, top to bottom, as strict nbval will check them.

    python scripts/execute_notebooks.py                      # every notebooks/NN_*.ipynb, then
                                                             # every notebooks/deep_dives/*.ipynb
    python scripts/execute_notebooks.py notebooks/02_*.ipynb # just these

Each notebook runs in a fresh kernel of this environment (the kernel nbval's
`--nbval-current-env` uses) with the notebook's folder as its working directory (as under
nbval and JupyterLab), and stops at
the first error outside a cell tagged `raises-exception`; a notebook that fails is not written.
The kernel is shut down politely, so the lessons' `atexit` guards run (servers stop, temporary
workspaces are deleted). Cell timings (`metadata.execution`) are not kept: they change on every
run and would make every re-execution a diff.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

REPO_DIR = Path(__file__).resolve().parent.parent
LESSONS_DIR = REPO_DIR / "notebooks"
# The main path, then the deep dives (the same sets as scripts/make_learner_notebooks.py).
LESSON_GLOBS = ("[0-9][0-9]_*.ipynb", "deep_dives/*.ipynb")
VOLATILE_CELL_METADATA = ("execution",)
CELL_TIMEOUT_SECONDS = 600


def execute(notebook: nbformat.NotebookNode, cwd: Path, allow_errors: bool = False) -> nbformat.NotebookNode:
    """Run every cell of `notebook` (in place) in this environment's kernel, working in `cwd`.

    Without `allow_errors`, the first error outside a `raises-exception` cell raises
    CellExecutionError; with it, every cell runs and errors stay in the outputs.
    """
    kernel = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=CELL_TIMEOUT_SECONDS,
        allow_errors=allow_errors,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        client.execute()
    finally:
        # nbclient leaves a kernel it did not create running: ask it to shut down (not SIGKILL),
        # so its atexit guards run.
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=False)
    for cell in notebook.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return notebook


def execute_in_place(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    execute(notebook, path.parent)
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: " + " and ".join(f"notebooks/{g}" for g in LESSON_GLOBS)
    )
    args = parser.parse_args(argv)
    default = [path for pattern in LESSON_GLOBS for path in sorted(LESSONS_DIR.glob(pattern))]
    paths = [path.resolve() for path in args.notebooks] or default
    failed = []
    for path in paths:
        print(f"executing {path.relative_to(REPO_DIR) if path.is_relative_to(REPO_DIR) else path} ...", flush=True)
        try:
            execute_in_place(path)
        except CellExecutionError as err:
            name = path.relative_to(LESSONS_DIR) if path.is_relative_to(LESSONS_DIR) else path.name
            print(f"{name} failed, not written:\n{err}", file=sys.stderr)
            failed.append(str(name))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
