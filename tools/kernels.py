"""A quiet, local kernel for the course's headless runs (``make course``, ``make book``).

The kernel talks to its client over local (IPC) sockets in a private temporary folder instead of
TCP on localhost: nothing listens on a port, and ipykernel has no reason to print its
"running over TCP without encryption" warning once per notebook.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from jupyter_client.manager import KernelManager


@contextlib.contextmanager
def local_kernel() -> Iterator[KernelManager]:
    """A kernel manager for ``NotebookClient(nb, km=...)``; the kernel is shut down on exit."""
    with tempfile.TemporaryDirectory(prefix="jepa_lab_kernel_") as folder:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(folder, "kernel"))
        try:
            yield km
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=False)
