"""V-JEPA on pendulum clips (notebook 08): notebook 05's recipe on rendered pendulums, and a ridge probe
from pooled features to the state ``(cos theta, sin theta, omega)`` at a clip's last frame.

Introduced in notebook 08.
"""

from __future__ import annotations

import torch
from torch import nn

from jepa_lab import artifacts, config, evaluate
from jepa_lab.datasets.pendulum import make_pendulum
from jepa_lab.tasks import ijepa, vjepa
from jepa_lab.tasks.base import Task


def clips(preset: config.PendulumPreset, n: int, seed: int) -> tuple[torch.Tensor, dict]:
    """``n`` pendulum clips and their labels: ``state`` (``(cos theta, sin theta, omega)`` at the last
    frame) and ``energy``."""
    d = make_pendulum(n, preset.frames, preset.dt, image_size=preset.image_size, seed=seed)
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


def report(model: nn.Module, preset: config.PendulumPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: ``state_probe_report`` and its printout."""
    results = state_probe_report(model, preset)
    text = "\n".join(f"probe R² {name:>15}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items())
                     for name, r in results.items())
    return results, text


TASK = Task(name="pendulum", notebook="08", folder=artifacts.CHECKPOINTS, stem="pendulum_vjepa", load=ijepa.load,
            fit=ijepa.fitter(build), build=build, report=report, dataset="pendulum")
