"""Temporary files of the notebooks' kernels under nbval go to a folder removed after the session.

The lessons leave their `LessonWorkspace`s open at the end (so widgets keep working after Run
All); a workspace's `atexit` guard deletes it when the kernel exits. nbval stops each kernel with
SIGKILL, so that guard never runs under pytest: pointing the kernels' TMPDIR (which `tempfile`
reads) at a folder of this session and removing it at the end keeps /tmp clean.
"""

import os
import shutil
import tempfile

_KERNELS_TMPDIR = tempfile.mkdtemp(prefix="nbval-kernels-")
os.environ["TMPDIR"] = _KERNELS_TMPDIR  # kernels start later, with this environment


def pytest_unconfigure(config):
    shutil.rmtree(_KERNELS_TMPDIR, ignore_errors=True)
