"""Bio-JEPA on simulated knock-downs (notebook 10): builder, loading, fitting and the held-out report.

Introduced in notebook 10.
"""

from __future__ import annotations

from pathlib import Path

from jepa_lab import artifacts, config, train
from jepa_lab.family import biojepa
from jepa_lab.tasks.base import Task
from jepa_lab.tasks.ijepa import fitter


def build(preset: config.BioJEPAPreset):
    """Model, batch function (seen perturbations only) and ``TrainConfig`` of Bio-JEPA for ``preset``."""
    world = biojepa.world_of(preset)
    model = biojepa.BioJEPA(preset, world.descriptors)
    cfg = train.TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                            momentum=(preset.ema_start, 1.0), seed=preset.seed)
    return model, biojepa.batch_function(preset, world), cfg


def load(path: Path, preset: config.BioJEPAPreset, variant: str | None = None) -> tuple[biojepa.BioJEPA, dict]:
    """A Bio-JEPA checkpoint made with exactly ``preset`` (``variant="film"``: pass the FiLM preset)."""
    model = biojepa.BioJEPA(preset, biojepa.world_of(preset).descriptors)
    return model, train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})


def summary(errors: dict) -> dict[str, float]:
    """Mean held-out errors of the model and both baselines, and the two ratios the notebook asserts."""
    held = errors["held_out"]
    names = ("model", "no change", "mean shift")
    out = {name: float(errors[name][held].mean()) for name in names}
    out.update({f"cell {name}": float(errors[f"cell {name}"][held].mean()) for name in names})
    out["seen model"] = float(errors["model"][~held].mean())
    out["no change / model"] = out["no change"] / out["model"]
    out["mean shift / model"] = out["mean shift"] / out["model"]
    return out


def report(model: biojepa.BioJEPA, preset: config.BioJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: embedding errors on held-out perturbations against both baselines."""
    s = summary(biojepa.perturbation_errors(model, biojepa.world_of(preset), preset.eval_cells))
    return s, (f"held-out perturbations, error of the mean effect: model {s['model']:.4f}, no change "
               f"{s['no change']:.4f} ({s['no change / model']:.2f}x), mean shift {s['mean shift']:.4f} "
               f"({s['mean shift / model']:.2f}x); seen perturbations: model {s['seen model']:.4f}; per cell: model "
               f"{s['cell model']:.3f}, no change {s['cell no change']:.3f}, mean shift {s['cell mean shift']:.3f}")


TASK = Task(name="biojepa", notebook="10-bio", folder=artifacts.CHECKPOINTS, stem="biojepa_genes", load=load,
            fit=fitter(build), build=build, report=report, dataset="genes")
