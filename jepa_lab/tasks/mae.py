"""MAE on shapes (notebook 04's pixel baseline): the same preset, encoder, images, masks and ``TrainConfig``
as I-JEPA (``tasks.ijepa``), with a decoder the size of I-JEPA's predictor reconstructing the hidden
patches' pixels instead of predicting their features.

``python -m jepa_lab.train mae --mode cpu --probe`` trains it; ``tasks.fit_or_load("mae", preset)`` loads
``data/checkpoints/mae_shapes_<mode>.pt`` when one made with exactly ``preset`` is there.

Introduced in notebook 04.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from torch import nn

from jepa_lab import artifacts, config, evaluate, train
from jepa_lab.mae import MAE
from jepa_lab.tasks import ijepa
from jepa_lab.tasks.base import Task

# An MAE step's time over an I-JEPA step's, same preset and batch, measured interleaved on one thread
# (`python -m jepa_lab.bench mae --mode cpu --threads 1`: 268.8 against 483.0 ms): MAE runs no EMA target.
STEP_COST = 0.56


def equal_time(preset: config.IJEPAPreset) -> config.IJEPAPreset:
    """The I-JEPA ``preset`` with as many MAE steps as fit in I-JEPA's training time (``steps / STEP_COST``)."""
    return preset.replace(steps=round(preset.steps / STEP_COST))


def mae_model(preset: config.IJEPAPreset, norm_pix: bool = True) -> MAE:
    """The ``MAE`` of an I-JEPA preset exactly as its task builds it before training: I-JEPA's encoder at
    init (``ijepa.initial_encoder``: same seed, same weights) and a decoder sized as I-JEPA's predictor
    (``predictor_dim``, ``predictor_depth``, ``predictor_heads``), without generating any data."""
    return MAE(encoder=ijepa.initial_encoder(preset), decoder_dim=preset.predictor_dim,
               decoder_depth=preset.predictor_depth, decoder_heads=preset.predictor_heads, norm_pix=norm_pix)


def build(preset: config.IJEPAPreset, norm_pix: bool = True):
    """Model, batch function and ``TrainConfig`` of MAE on shapes: I-JEPA's training images, multi-block
    batches and ``TrainConfig`` for the same preset (MAE has no ``ema_update``, so the momentum schedule
    does nothing; the preset's VICReg weights are I-JEPA's and unused here)."""
    images = ijepa.training_images(preset)
    model = mae_model(preset, norm_pix)
    return model, ijepa.multiblock_batches(preset, images, model.context_encoder.grid), ijepa.train_config(preset)


def load(path: Path, preset: config.IJEPAPreset, variant: str | None = None, *,
         norm_pix: bool = True) -> tuple[MAE, dict]:
    """An MAE checkpoint made with exactly ``preset`` (an I-JEPA checkpoint of the same preset is refused
    by its card's ``model``)."""
    model = mae_model(preset, norm_pix)
    return model, train.load_checkpoint(path, model, expect={"preset": preset.as_dict(), "model": "MAE"})


def probe_report(model: MAE, preset: config.IJEPAPreset) -> dict[str, dict[str, float]]:
    """I-JEPA's held-out probe (``ijepa.probe_data``) of MAE's one encoder, next to the same encoder at random
    init (built as training built it) and raw pixels."""
    fresh = ijepa.initial_encoder(preset).to(next(model.parameters()).device)
    return evaluate.probe_with_baselines({"context encoder": model.context_encoder}, fresh,
                                         *ijepa.probe_data(preset))


def report(model: nn.Module, preset: config.IJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: ``probe_report`` and its printout (``ijepa.format_probe``)."""
    results = probe_report(model, preset)
    return results, ijepa.format_probe(results)


TASK = Task(name="mae", notebook="04", folder=artifacts.CHECKPOINTS, stem="mae_shapes", load=load,
            fit=ijepa.fitter(build), build=build, report=report, dataset="shapes")
# The same MAE regressing raw pixels: on these shapes most patches are flat background whose per-patch
# normalised pixels are pure noise, so neither target is clearly the fairer one; the course trains both.
_raw_build = partial(build, norm_pix=False)
RAW = Task(name="mae_raw", notebook="04", folder=artifacts.CHECKPOINTS, stem="mae_rawpix_shapes",
           load=partial(load, norm_pix=False), fit=ijepa.fitter(_raw_build), build=_raw_build, report=report,
           dataset="shapes")
