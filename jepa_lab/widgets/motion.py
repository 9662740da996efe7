"""Explorers of motion: latent rollouts of a bouncing ball, learned pendulum vector fields, and fields in
a JEPA latent (notebooks 07-08).

Introduced in notebook 07.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import dynamics, latent_physics, masks, physics, plots
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




def latent_field_explorer(fields: dict, readers: dict, features: torch.Tensor, states: torch.Tensor, dt: float,
                          max_steps: int = 2000) -> Explorer:
    """Pick a field learned in a JEPA latent (notebook 08 section 6), a held-out trajectory and a rollout length.
    Left: the field's code plane, every held-out window's code (grey), this trajectory's codes (black) and the
    field's rollout from its first code. Right: the true energy of the rollout read back as states, beside the
    true pendulum's from the same start.

    Args:
        fields: name -> ``latent_physics.LatentField``.
        readers: name -> its judge's reader (``codes [N, 2] -> states [N, 2]``, e.g.
            ``tasks.latent_fields.knn_reader``).
        features: held-out feature trajectories ``[N, L, D]``; states: their true states ``[N, L, 2]``.
        dt: seconds between windows; max_steps: the steps slider's top (capped by ``physics.MAX_ROLLOUT``).

    Introduced in notebook 08.
    """
    if not fields or set(fields) != set(readers):
        raise ValueError("latent_field_explorer needs at least one field, and a reader for each field")
    if features.ndim != 3 or states.shape[:2] != features.shape[:2] or states.shape[-1] != 2:
        raise ValueError(f"features [N, L, D] and states [N, L, 2] must match, got {tuple(features.shape)} and "
                         f"{tuple(states.shape)}")
    if not dt > 0:
        raise ValueError(f"latent_field_explorer needs a positive time step dt, got {dt}")
    top = min(max_steps, physics.MAX_ROLLOUT)
    if top < 10:
        raise ValueError(f"max_steps must be at least 10 (the steps slider's bottom), got {max_steps}")
    codes = {name: latent_physics.encode_trajectories(field, features) for name, field in fields.items()}

    def draw(fig: Figure, field: str, index: int, steps: int) -> None:
        plane = codes[field]
        path = physics.rollout(fields[field], plane[index:index + 1, 0], steps, dt)[0]
        read = readers[field](path)
        true = pendulum.simulate(states[index:index + 1, 0, 0], states[index:index + 1, 0, 1], steps + 1, dt)[0]
        left, right = fig.subplots(1, 2)
        left.scatter(plane[..., 0].flatten(), plane[..., 1].flatten(), s=1, color="0.85")
        left.plot(plane[index, :, 0], plane[index, :, 1], "k.", ms=2, label="its windows' codes")
        left.plot(path[:, 0], path[:, 1], lw=1, label=f"{field}'s rollout")
        left.set(xlabel="z₁", ylabel="z₂", title="the code plane")
        left.legend(fontsize=7)
        plots.plot_energy({"true pendulum": true.float(), f"{field}, read back": read}, dt, ax=right)
        drift = physics.relative_drift(read[None])[0]
        fig.suptitle(f"{field} in the latent, trajectory {index}: largest energy change {drift:.1%} over {steps} "
                     f"steps ({steps * dt:.0f} s)", fontsize=9)

    controls = {
        "field": W.Dropdown(options=list(fields), value=next(iter(fields)), description="field"),
        "index": index_slider(len(features), "trajectory"),
        "steps": slider(W.IntSlider, value=min(400, top), min=10, max=top, step=10, description="steps"),
    }
    return Explorer(draw, controls, figsize=(9, 4))
