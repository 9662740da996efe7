"""Explorers of motion: latent rollouts of a bouncing ball, learned pendulum vector fields
(notebooks 07-08).

Introduced in notebook 07.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import dynamics, masks, physics, plots
from jepa_lab.datasets import pendulum
from jepa_lab.widgets.base import Explorer, index_slider, slider


def rollout_explorer(models: dict, preset, states: torch.Tensor, max_horizon: int = 20) -> Explorer:
    """Pick a model, a trajectory, a start time, what the context hides and a horizon; see the true path
    and the model's decoded predictions side by side.

    Args:
        models: name -> ``(trained dynamics.LatentDynamics, its preset)`` (e.g. every variant with
            ``dynamics.variant_preset``: the preset says which horizons were trained).
        preset: the notebook-07 preset (window length).
        states: held-out trajectories ``[N, L, 4]``.
        max_horizon: the horizon slider's top (capped by the trajectory length and ``dynamics.MAX_HORIZON``).
    Left: positions in the box (true path from the start, decoded predictions for k = 1..horizon).
    Right: the position error per k. Each model's probe is fitted once.

    Introduced in notebook 07.
    """
    if not models:
        raise ValueError("rollout_explorer needs at least one model")
    if states.ndim != 3 or states.shape[-1] != 4:
        raise ValueError(f"states must be trajectories [N, L, 4] of one ball, got {tuple(states.shape)}")
    top = min(max_horizon, dynamics.MAX_HORIZON, states.shape[1] - preset.history)
    if top < 1:
        raise ValueError(f"trajectories of {states.shape[1]} states leave no room for a rollout")
    decoders: dict[str, Callable] = {}

    def draw(fig: Figure, model: str, index: int, start: int, hide: str, horizon: int) -> None:
        start = min(start, states.shape[1] - horizon - 1)
        net, net_preset = models[model]
        if model not in decoders:
            decoders[model] = dynamics.fit_probe(net, net_preset)
        pred = dynamics.rollout(net, net_preset, states[index:index + 1], start, horizon, decoders[model], hide)[0]
        true = states[index, start:start + horizon + 1]
        left, right = fig.subplots(1, 2)
        plots.plot_ball_rollout(true, pred, ax=left, title="positions")
        err = (pred[:, :2] - true[1:, :2]).norm(dim=1)
        right.plot(range(1, horizon + 1), err, "o-")
        right.set(xlabel="horizon k", ylabel="position error", title="error per step ahead")
        fig.suptitle(f"{model} · context hides: {hide} · mean position error {err.mean():.3f}", fontsize=9)

    controls = {
        "model": W.Dropdown(options=list(models), value=next(iter(models)), description="model"),
        "index": index_slider(len(states), "trajectory"),
        "start": slider(W.IntSlider, value=preset.history - 1, min=preset.history - 1,
                         max=states.shape[1] - top - 1, description="start time"),
        "hide": W.ToggleButtons(options=list(masks.FEATURE_MASKS), value="none", description="context hides",
                                style={"description_width": "initial"}),
        "horizon": slider(W.IntSlider, value=min(10, top), min=1, max=top, description="horizon"),
    }
    return Explorer(draw, controls, figsize=(9, 4))


def pendulum_explorer(models: dict, dt: float = 0.1, max_steps: int = 2000, substeps: int = 4) -> Explorer:
    """Pick an initial angle and angular velocity, a learned vector field and a rollout length; see its
    phase portrait next to the exact pendulum's, and the true energy along both.

    Args:
        models: name -> a ``physics`` vector field (``MLP``, ``HNN``, ``LNN``...).
        dt: the rollout's step (RK4 with ``substeps`` steps per ``dt``); max_steps: the steps slider's top
            (capped by ``physics.MAX_ROLLOUT``).

    Introduced in notebook 08.
    """
    if not models:
        raise ValueError("pendulum_explorer needs at least one model")
    if not dt > 0 or substeps < 1:
        raise ValueError(f"pendulum_explorer needs a positive time step dt and substeps >= 1, got dt={dt}, "
                         f"substeps={substeps}")
    top = min(max_steps, physics.MAX_ROLLOUT)
    if top < 10:
        raise ValueError(f"max_steps must be at least 10 (the steps slider's bottom), got {max_steps}")

    def draw(fig: Figure, model: str, theta0: float, omega0: float, steps: int) -> None:
        x0 = torch.tensor([[theta0, omega0]])
        learned = physics.rollout(models[model], x0, steps, dt, substeps=substeps)[0]
        exact = pendulum.simulate(x0[:, 0], x0[:, 1], steps + 1, dt)[0].float()
        left, right = fig.subplots(1, 2)
        paths = {"exact": exact, model: learned}
        plots.plot_phase_portrait(paths, ax=left)
        plots.plot_energy(paths, dt, ax=right, title="true energy")
        drift = physics.relative_drift(learned[None])[0]
        fig.suptitle(f"{model} from θ0 = {theta0:.2f}, ω0 = {omega0:.2f}: largest energy change {drift:.2%}",
                     fontsize=9)

    controls = {
        "model": W.Dropdown(options=list(models), value=next(iter(models)), description="model"),
        "theta0": slider(W.FloatSlider, value=1.0, min=-3.0, max=3.0, step=0.05, description="θ0"),
        "omega0": slider(W.FloatSlider, value=0.0, min=-5.0, max=5.0, step=0.1, description="ω0"),
        "steps": slider(W.IntSlider, value=min(300, top), min=10, max=top, step=10, description="steps"),
    }
    return Explorer(draw, controls, figsize=(9, 4))


