"""Shared test set-up.

- ``jepa_lab`` is imported first so its OpenMP setting is in place before torch starts.
- A non-interactive matplotlib backend, set here (not via MPLBACKEND, which would leak into
  notebook kernels and hide their figures).
- Unit tests run on one pinned thread: the same numbers on a busy machine as on an idle one
  (the thread policy's own tests unpin it). Notebook kernels are separate processes and follow
  the course's policy as a learner's kernel does.
"""

import jepa_lab  # noqa: F401, I001  (first: see above)
import matplotlib
import pytest
import torch

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_pinned_thread(monkeypatch):
    monkeypatch.setenv(jepa_lab.THREADS_ENV, "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
