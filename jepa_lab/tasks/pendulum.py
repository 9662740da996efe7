"""V-JEPA on pendulum clips (notebook 08): notebook 05's recipe on rendered pendulums, and a ridge probe
from pooled features to the state ``(cos theta, sin theta, omega)`` at a clip's last frame; the same on
"camera" clips (``make_pendulum(background="camera")``), over three training seeds, against fair readers.

Introduced in notebook 08.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import artifacts, config, evaluate, probes
from jepa_lab.datasets.pendulum import make_pendulum
from jepa_lab.tasks import ijepa, vjepa
from jepa_lab.tasks.base import Task, seed_variant


def clips(preset: config.PendulumPreset, n: int, seed: int) -> tuple[torch.Tensor, dict]:
    """``n`` pendulum clips and their labels: ``state`` (``(cos theta, sin theta, omega)`` at the last
    frame) and ``energy``."""
    d = make_pendulum(n, preset.frames, preset.dt, image_size=preset.image_size, seed=seed,
                      background=preset.background)
    theta, omega = d["states"][:, -1, 0], d["states"][:, -1, 1]
    return d["frames"], {"state": torch.stack([theta.cos(), theta.sin(), omega], dim=1),
                         "energy": d["energy"][:, -1]}


def build(preset: config.PendulumPreset, **model_options):
    """Model, batch function and ``TrainConfig`` of V-JEPA on pendulum clips."""
    return vjepa.build_on(preset, clips, **model_options)


def probe_data(preset: config.PendulumPreset) -> tuple[torch.Tensor, dict, torch.Tensor, dict]:
    """Held-out pendulum clips to fit (seed + 2) and test (seed + 1) the state probe, with their labels."""
    return vjepa.held_out_clips(preset, clips)


def state_probe_report(model: nn.Module, preset: config.PendulumPreset) -> dict[str, dict[str, float]]:
    """Held-out R² of a ridge probe from mean-pooled features to ``(cos theta, sin theta, omega)`` at a
    pendulum clip's last frame, for both encoders, the same encoder at random init, and the raw pixels
    of the clip's last two frames (two frames are the least that shows a velocity)."""
    train_x, train_y, test_x, test_y = probe_data(preset)
    feats = vjepa.encoder_features(model, preset, train_x, test_x)
    feats["pixels, last two frames"] = (train_x[:, :, -2:].flatten(1), test_x[:, :, -2:].flatten(1))
    return {name: dict(zip(("cos", "sin", "omega"), evaluate.ridge_probe(a, train_y["state"], b, test_y["state"]),
                           strict=True))
            for name, (a, b) in feats.items()}


def camera_run(preset: config.PendulumPreset, seed: int) -> tuple[config.PendulumPreset, str | None]:
    """The preset and file tag of one of notebook 08's V-JEPA runs on "camera" clips: ``background="camera"``,
    ``camera_steps`` steps, training seed ``seed`` (tags ``"camera"``, ``"seed1_camera"``, ...)."""
    return seed_variant(preset.replace(background="camera", steps=preset.camera_steps), seed, "camera")


def state_readers(models: dict[str, nn.Module], preset: config.PendulumPreset,
                  clips: torch.Tensor) -> dict[str, torch.Tensor]:
    """Readers of one pool of pendulum clips ``[N, 3, T, S, S]``, each a feature matrix: every V-JEPA in
    ``models`` (its context encoder) in time order (pooled over space, time steps kept in order) and pooled,
    the same encoder at random init in time order, and the raw pixels of every frame, RGB, averaged over
    2 x 2 blocks (all that V-JEPA sees) and of the last two frames at full size."""
    device = next(next(iter(models.values())).parameters()).device
    fresh = ijepa.initial_encoder(preset).to(device)
    out = {}
    for name, m in models.items():
        out.update(vjepa.ordered_and_pooled(name, m.context_encoder, clips))
    out["random init, in time order"] = vjepa.time_ordered_features(fresh, clips)
    out["pixels 16x16, every frame"] = F.avg_pool2d(clips.flatten(1, 2), 2)
    out["pixels, last two frames"] = clips[:, :, -2:]
    return out


POOL_SEED = 100  # the labelled clips of state_protocol: a seed no training run uses


def state_protocol(models: dict[str, nn.Module], preset: config.PendulumPreset,
                   n_fits: tuple[int | None, ...] = (None, 100), draws: int = 3) -> dict:
    """``probes.regression_protocol`` of every ``state_readers`` row on ``probe_train + probe_test`` clips of
    seed ``POOL_SEED`` (held out from every training seed, so one pool serves models of several seeds),
    ``draws`` fit/test splits, the state at the last frame as targets; once per labelled set size in
    ``n_fits`` (``None``: the whole fit split). Returns ``n_fit -> reader -> scores``, each score a list over
    ``(cos theta, sin theta, omega)``."""
    x, y = clips(preset, preset.probe_train + preset.probe_test, POOL_SEED)
    feats = state_readers(models, preset, x)
    return {n_fit: probes.regression_protocol(feats, y["state"], draws=draws, n_fit=n_fit, seed=preset.seed)
            for n_fit in n_fits}


def report(model: nn.Module, preset: config.PendulumPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: ``state_probe_report`` and its printout."""
    results = state_probe_report(model, preset)
    text = "\n".join(f"probe R² {name:>15}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items())
                     for name, r in results.items())
    return results, text


TASK = Task(name="pendulum", notebook="08", folder=artifacts.CHECKPOINTS, stem="pendulum_vjepa", load=ijepa.load,
            fit=ijepa.fitter(build), build=build, report=report, dataset="pendulum")
