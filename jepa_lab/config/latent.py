"""Preset and expectations of notebook 08's last experiment, physics in the JEPA latent
(``jepa_lab.latent_physics``, ``python -m jepa_lab.latent_physics``), under the key ``"08-latent"``:
its own key so that changing it never invalidates notebook 08's other checkpoints.

Introduced in notebook 08.
"""

from __future__ import annotations

from dataclasses import dataclass

from jepa_lab.config.expectations import Expectations
from jepa_lab.config.presets import Preset


@dataclass(frozen=True)
class LatentPreset(Preset):
    """A 2-D code of the pendulum V-JEPA's features and a vector field on it, learned without state labels."""

    trajectories: int  # training trajectories of rendered frames (seed + 4), every window encoded
    length: int  # windows (steps of the preset's dt) per trajectory
    test_trajectories: int  # held-out trajectories (seed + 5) for the judge
    hidden: int  # width of the head, the decoder and the field
    steps: int  # optimiser steps
    horizon: int  # rollout steps in the loss
    batch: int
    lr: float
    rollout_steps: int  # steps of the judged rollouts (at the preset's dt)
    neighbours: int  # k of the judge's nearest-code reader (labels used only to judge)


@dataclass(frozen=True)
class LatentExpect(Expectations):
    """Bounds of the latent-physics asserts."""

    code_angle: float  # ceiling: mean angle error (rad) of states read back from held-out codes, both fields
    code_omega: float  # ceiling: the same for omega (rad/s)
    latent_drift_ratio: float  # floor: the MLP's mean energy drift over the HNN's, decoded rollouts
    level_band: float  # ceiling: the HNN's energy_level_error (mean |decoded energy level / true start - 1|)


# rollouts of 2,000 steps (100 s): over short ones the MLP need not have drifted yet (cpu, seed 2: over the first
# 200 steps MLP 17.4 % against HNN 18.9 %; over 2,000, 61.4 % against 19.4 %)
_STEPS = {"fast": (16, 100, 8, 64, 400, 6, 128, 400), "cpu": (48, 200, 16, 128, 3000, 10, 256, 2000),
          "full": (96, 200, 32, 128, 6000, 10, 256, 2000)}
LATENT_PRESETS: dict[str, dict[str, Preset]] = {
    "08-latent": {mode: LatentPreset(mode=mode, seed=0, trajectories=n, length=length, test_trajectories=n_test,
                                     hidden=hidden, steps=steps, horizon=horizon, batch=batch, lr=1e-3,
                                     rollout_steps=rollout, neighbours=10)
                  for mode, (n, length, n_test, hidden, steps, horizon, batch, rollout) in _STEPS.items()},
}
# cpu, shipped seed 0: read back 0.014-0.015 / 0.048-0.051, drift HNN 0.163, MLP 0.607, HNN level off by 0.034
_TRAINED = {"code_angle": 0.05, "code_omega": 0.15, "latent_drift_ratio": 2.0, "level_band": 0.05}
LATENT_EXPECTATIONS: dict[str, dict[str, Expectations]] = {
    "08-latent": {"fast": LatentExpect(mode="fast", code_angle=0.5, code_omega=2.0, latent_drift_ratio=0.0,
                                        level_band=1.0),
                  "cpu": LatentExpect(mode="cpu", **_TRAINED), "full": LatentExpect(mode="full", **_TRAINED)},
}
