"""The course's trainable things, one file each, registered in one table (``TASKS``).

Each file holds its builder (model, batches, ``TrainConfig``), how its artifact is loaded and fitted,
and its report; its ``TASK`` row says where its files live and what the command line may do with it.
A new model is one new file here plus one entry in ``TASKS``. The command line
(``python -m jepa_lab.train TASK``), ``fit_or_load`` and the benches read the table.

Introduced in notebook 04.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jepa_lab import artifacts
from jepa_lab.tasks import (
    ajepa,
    biojepa,
    collapse,
    dynamics,
    ijepa,
    latent_fields,
    mae,
    pendulum,
    physics_fields,
    planning,
    vjepa,
    vljepa,
)
from jepa_lab.tasks.base import Task

TASKS: dict[str, Task] = {t.name: t for t in (
    ijepa.TASK,
    mae.TASK, mae.RAW,  # notebook 04's pixel baselines (per-patch normalised and raw pixel targets)
    vjepa.TASK,
    pendulum.TASK,
    dynamics.TASK,
    physics_fields.FIELDS,
    physics_fields.PROBED_FIELDS,
    latent_fields.TASK,  # notebook 08's fields in the V-JEPA latent
    collapse.TASK,
    planning.TASK,
    ajepa.TASK, vljepa.VLJEPA, vljepa.DECODER, biojepa.TASK,  # notebook 10
)}


def get(name: str) -> Task:
    """The task called ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name]


def fit_or_load(name: str, preset: Any, variant: str | None = None, *, retrain: bool = False,
                directory: str | Path | None = None, **fit_options: Any) -> tuple[Any, dict]:
    """``artifacts.fit_or_load`` of the task called ``name``: its shipped artifact of exactly ``preset``
    (and ``variant``: an ablation's file tag, a dynamics variant, a vector field's model name), else
    trained here. Returns ``(model or result, card)``.

    Example: ``model, card = tasks.fit_or_load("ijepa", preset)`` loads ``data/checkpoints/ijepa_shapes_cpu.pt``
    in ``cpu`` mode; ``tasks.fit_or_load("field", preset, "LNN")`` loads ``data/physics/lnn_cpu.pt``.
    """
    return artifacts.fit_or_load(get(name), preset, variant, retrain=retrain, directory=directory, **fit_options)


__all__ = ["TASKS", "Task", "collapse", "dynamics", "fit_or_load", "get", "ijepa", "mae", "pendulum",
           "physics_fields", "planning", "vjepa"]
__all__ += ["ajepa", "biojepa", "vljepa"]  # notebook 10
