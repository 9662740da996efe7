"""Modes, per-notebook presets and the results each preset must reach: the one place that reads
``JEPA_LAB_MODE``.

Three modes share the same code and the same asserts:
- ``fast``: CI, a few real steps of everything on 2 CPU cores;
- ``cpu``: a learner's laptop (the default without CUDA), each notebook a few minutes;
- ``full``: bigger models and budgets for a GPU; opt-in, with a warning, until they have run on one
  (``modes.py``: until then a CUDA machine runs the ``cpu`` presets on its GPU).

``for_notebook("04")`` gives a notebook its preset (``presets.py``), ``expectations("04")`` the floors
and margins its asserts use in that mode (``expectations.py``).

Introduced in notebook 01.
"""

from __future__ import annotations

from typing import Any

from jepa_lab.config.expectations import (
    EXPECTATIONS,
    DynamicsExpect,
    Expectations,
    IJEPAExpect,
    PendulumExpect,
    PlanningExpect,
    VJEPAExpect,
)
from jepa_lab.config.family import (
    FAMILY_EXPECTATIONS,
    FAMILY_PRESETS,
    AJEPAPreset,
    BioJEPAPreset,
    FamilyExpect,
    FamilyPreset,
    VLJEPAPreset,
)
from jepa_lab.config.latent import LATENT_EXPECTATIONS, LATENT_PRESETS, LatentExpect, LatentPreset
from jepa_lab.config.modes import ENV_VAR, MODES, default_mode, get_mode
from jepa_lab.config.presets import (
    PRESETS,
    CollapsePreset,
    DynamicsPreset,
    EncoderPreset,
    IJEPAPreset,
    MaskingPreset,
    PendulumPreset,
    PlanningPreset,
    Preset,
    TokenisePreset,
    VJEPAPreset,
)

__all__ = [
    "ENV_VAR", "EXPECTATIONS", "MODES", "PRESETS", "CollapsePreset", "DynamicsExpect", "DynamicsPreset",
    "EncoderPreset", "Expectations", "IJEPAExpect", "IJEPAPreset", "MaskingPreset", "PendulumExpect",
    "PendulumPreset", "PlanningExpect", "PlanningPreset", "Preset", "TokenisePreset", "VJEPAExpect", "VJEPAPreset",
    "default_mode", "expectations", "for_notebook", "get_mode", "notebooks",
]
__all__ += ["AJEPAPreset", "BioJEPAPreset", "FamilyExpect", "FamilyPreset", "VLJEPAPreset"]  # notebook 10
PRESETS.update(FAMILY_PRESETS)  # notebook 10's presets and bounds live in family.py
EXPECTATIONS.update(FAMILY_EXPECTATIONS)
__all__ += ["LatentExpect", "LatentPreset"]  # notebook 08's physics in the latent
PRESETS.update(LATENT_PRESETS)
EXPECTATIONS.update(LATENT_EXPECTATIONS)

def notebooks() -> tuple[str, ...]:
    """Keys of the notebooks that have presets, e.g. ``("01", "02")``."""
    return tuple(sorted(PRESETS))


def _key(key: str | int, table: dict[str, Any], what: str) -> str:
    key = str(key).zfill(2)
    if key not in table:
        raise ValueError(f"no {what} for notebook {key!r}; valid keys: {', '.join(sorted(table))}")
    return key


def for_notebook(key: str, mode: str | None = None, **overrides: Any) -> Preset:
    """Return the preset of notebook ``key`` in the active mode, with ``overrides`` applied.

    Args:
        key: two-digit notebook number, e.g. ``"01"``.
        mode: ``fast``/``cpu``/``full``; default from ``JEPA_LAB_MODE`` (see ``get_mode``).
        **overrides: preset fields to change, e.g. ``image_size=64``.

    Raises:
        ValueError: unknown notebook key, unknown mode, or unknown override key.

    Introduced in notebook 01.
    """
    preset = PRESETS[_key(key, PRESETS, "preset")][get_mode(mode)]
    return preset.replace(**overrides) if overrides else preset


def expectations(key: str, mode: str | None = None) -> Expectations:
    """Return the floors and margins notebook ``key``'s asserts use in the active mode.

    Args:
        key: two-digit notebook number, e.g. ``"04"``.
        mode: ``fast``/``cpu``/``full``; pass ``preset.mode`` so preset and bounds always agree.

    Raises:
        ValueError: a notebook without stored expectations, or an unknown mode.

    Introduced in notebook 04.
    """
    return EXPECTATIONS[_key(key, EXPECTATIONS, "expectations")][get_mode(mode)]
