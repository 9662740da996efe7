"""A-JEPA on log-mel spectrograms of synthetic sounds (notebook 10): builder, loading, fitting, probe report.

Introduced in notebook 10.
"""

from __future__ import annotations

from pathlib import Path

from jepa_lab import artifacts, config, jepa, train
from jepa_lab.family import ajepa
from jepa_lab.probes import format_protocol
from jepa_lab.tasks.base import Task
from jepa_lab.tasks.ijepa import fitter


def build(preset: config.AJEPAPreset):
    """Model, batch function and ``TrainConfig`` of A-JEPA for ``preset``."""
    specs, _ = ajepa.training_sounds(preset)
    model = ajepa.jepa_model(preset)
    batch_fn = ajepa.batch_function(preset, specs, model.context_encoder.grid)
    cfg = train.TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                            momentum=(preset.ema_start, 1.0), seed=preset.seed)
    return model, batch_fn, cfg


def load(path: Path, preset: config.AJEPAPreset, variant: str | None = None) -> tuple[jepa.JEPA, dict]:
    """An A-JEPA checkpoint made with exactly ``preset``."""
    model = ajepa.jepa_model(preset)
    return model, train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})


def report(model: jepa.JEPA, preset: config.AJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: the probe protocol of both encoders and the two baselines."""
    results = ajepa.probe_report({"context encoder": model.context_encoder, "target encoder": model.target_encoder},
                                 preset)
    return results, format_protocol(results)


TASK = Task(name="ajepa", notebook="10-audio", folder=artifacts.CHECKPOINTS, stem="ajepa_sounds", load=load,
            fit=fitter(build), build=build, report=report, dataset="sounds")
