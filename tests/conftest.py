"""Shared test set-up: a non-interactive matplotlib backend, set here (not via MPLBACKEND,
which would leak into notebook kernels and hide their figures)."""

import matplotlib

matplotlib.use("Agg")
