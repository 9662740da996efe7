"""The mode switch: ``JEPA_LAB_MODE`` (or an explicit ``mode``) picks ``fast``, ``cpu`` or ``full``.

Until the ``full`` presets have run on a GPU (``tools/gpu_check.sh``), the default is ``cpu`` on every
machine, a CUDA one included (the ``cpu`` presets then train on the GPU); ``full`` is opt-in and says
once per process that it is unverified. When ``FULL_VERIFIED`` becomes true, ``full`` is the CUDA default.

Introduced in notebook 01.
"""

from __future__ import annotations

import os
import sys

MODES = ("fast", "cpu", "full")
ENV_VAR = "JEPA_LAB_MODE"
FULL_VERIFIED = False  # set when tools/gpu_check.sh has run the full presets on a GPU and the README has its figures
FULL_WARNING = ("jepa_lab: mode 'full' uses presets that have not yet been run on a GPU (unverified: "
                "tools/gpu_check.sh checks them); leave JEPA_LAB_MODE unset for the verified 'cpu' presets")

_state = {"warned": False}


def default_mode() -> str:
    """The mode used when ``JEPA_LAB_MODE`` is unset: ``cpu``, or ``full`` with CUDA once ``FULL_VERIFIED``."""
    if not FULL_VERIFIED:
        return "cpu"
    import torch  # local import: the package stays light to import

    return "full" if torch.cuda.is_available() else "cpu"


def get_mode(mode: str | None = None) -> str:
    """Return the active mode: ``mode`` if given, else ``$JEPA_LAB_MODE``, else the default.

    An unverified ``full`` prints one warning line to stderr, once per process.

    Raises:
        ValueError: the mode is not one of ``fast``, ``cpu``, ``full``.
    """
    if mode is None:
        mode = os.environ.get(ENV_VAR, "").strip() or default_mode()
    mode = mode.strip().lower()
    if mode not in MODES:
        raise ValueError(
            f"unknown mode {mode!r}: choose one of {', '.join(MODES)} "
            f"(set {ENV_VAR}=fast|cpu|full, or leave it unset for the default)"
        )
    if mode == "full" and not FULL_VERIFIED and not _state["warned"]:
        _state["warned"] = True
        print(FULL_WARNING, file=sys.stderr)
    return mode


def reset_warning() -> None:
    """Let the next unverified ``full`` warn again (for tests)."""
    _state["warned"] = False
