"""jepa_lab: a notebook course and lab on Joint-Embedding Predictive Architectures.

Kept light on purpose: importing the package sets up nothing in torch and no plotting style.
Import the modules you need: ``from jepa_lab import config, runtime, tokens``.

The one thing it does on import is for busy machines: unless you set ``OMP_WAIT_POLICY`` or
``GOMP_SPINCOUNT`` yourself (or ``JEPA_LAB_THREADS=off``), it shortens how long OpenMP's worker
threads spin while waiting for each other. That must happen before torch is first imported, so
import ``jepa_lab`` before ``torch`` (the Makefile's targets also set it for every kernel they start).
``threads.thread_policy()`` says what is in force.
"""

import os
import sys

__version__ = "0.1.0"

THREADS_ENV = "JEPA_LAB_THREADS"
# Spin iterations before a waiting OpenMP thread sleeps. libgomp's default (300,000, about a
# millisecond) turns a busy neighbour core into a 10-20x slow-down of every parallel region;
# PASSIVE (0) makes small idle steps about 2x slower. Measured with `python -m jepa_lab.bench busy`.
SPIN_COUNT = "10000"


def _set_openmp_spin() -> str:
    """Set libgomp's spin count unless the user chose a wait policy; return what is in force."""
    if os.environ.get(THREADS_ENV, "").strip().lower() == "off":
        return "OpenMP defaults (JEPA_LAB_THREADS=off)"
    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        if name in os.environ:
            return f"{name}={os.environ[name]} (from the environment)"
    if "torch" in sys.modules:
        return "OpenMP defaults (torch was imported before jepa_lab, too late to change them)"
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    return f"GOMP_SPINCOUNT={SPIN_COUNT}"


openmp_policy = _set_openmp_spin()
