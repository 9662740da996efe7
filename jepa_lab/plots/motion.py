"""Plots of motion: a ball's predicted path in its box, a pendulum's phase portrait and energy.

Introduced in notebook 07.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from matplotlib.axes import Axes

from jepa_lab.datasets.pendulum import energy
from jepa_lab.plots.base import ensure_axes


def plot_ball_rollout(true: torch.Tensor, pred: torch.Tensor, ax: Axes | None = None, title: str | None = None,
                      legend: bool = True) -> Axes:
    """A ball's true path ``[k + 1, >=2]`` (x, y first) from its start, and predicted positions ``[k, >=2]``
    for 1..k steps ahead, in the unit box (y down, as in the frames)."""
    ax = ensure_axes(ax, (3.3, 3.3))
    ax.plot(true[:, 0], true[:, 1], "k.-", lw=1, label="true")
    ax.plot(pred[:, 0], pred[:, 1], "o--", color="tab:orange", ms=3, lw=1, label="decoded prediction")
    ax.plot(true[0, 0], true[0, 1], "go", label="start")
    ax.set(xlim=(0, 1), ylim=(1, 0), aspect="equal")
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize=7)
    return ax


def _style(name: str) -> dict:
    return {"color": "k", "lw": 1} if name == "exact" else {"lw": 0.8}


def plot_phase_portrait(trajectories: Mapping[str, torch.Tensor], ax: Axes | None = None,
                        title: str = "phase portrait") -> Axes:
    """Pendulum trajectories ``name -> [L, 2]`` (θ, ω) in the phase plane; one named ``exact`` in black."""
    ax = ensure_axes(ax, (5, 3.6))
    for name, x in trajectories.items():
        ax.plot(x[:, 0], x[:, 1], label=name, **_style(name))
    ax.set(xlabel="θ (unwrapped)", ylabel="ω", title=title)
    ax.legend(fontsize=7)
    return ax


def plot_energy(trajectories: Mapping[str, torch.Tensor], dt: float, ax: Axes | None = None,
                title: str = "true energy along the rollout") -> Axes:
    """The true energy ``E(t) / E(0)`` along pendulum trajectories ``name -> [L, 2]`` taken every ``dt`` s."""
    ax = ensure_axes(ax, (5, 3.6))
    for name, x in trajectories.items():
        e = energy(x[:, 0], x[:, 1])
        ax.plot(torch.arange(len(e)) * dt, e / e[0], label=name, **_style(name))
    ax.set(xlabel="time (s)", ylabel="E(t) / E(0)", title=title)
    return ax
