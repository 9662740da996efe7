"""Plots of planning in the two rooms: the walls, an executed path, the CEM candidates and the imagined
trajectory, and the planner's cost against its effort.

Introduced in notebook 09.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from matplotlib.axes import Axes
from matplotlib.patches import Circle

from jepa_lab.datasets import rooms
from jepa_lab.plots.base import ensure_axes


def plot_rooms(ax: Axes | None = None, door: float = rooms.DOOR) -> Axes:
    """The arena (y down, as in the frames) with the dividing wall and its door."""
    ax = ensure_axes(ax, (3.3, 3.3))
    lo, hi = 0.5 - door / 2, 0.5 + door / 2
    for y0, y1 in ((0.0, lo), (hi, 1.0)):
        ax.fill_between([0.5 - rooms.WALL, 0.5 + rooms.WALL], y0, y1, color="0.6", lw=0)
    ax.plot([0, 1, 1, 0, 0], [0, 0, 1, 1, 0], color="0.6", lw=2)
    ax.set(xlim=(0, 1), ylim=(1, 0), aspect="equal", xticks=[], yticks=[])
    return ax


def plot_plan(start: torch.Tensor, goal: torch.Tensor, executed: torch.Tensor | None = None,
              imagined: torch.Tensor | None = None, candidates: torch.Tensor | None = None,
              ax: Axes | None = None, door: float = rooms.DOOR, radius: float | None = None,
              title: str | None = None) -> Axes:
    """One episode: ``start``/``goal`` ``[2]``, the ``executed`` path ``[L, 2]``, the planner's ``imagined``
    trajectory ``[H, 2]`` (decoded for display) and CEM ``candidates`` ``[N, H, 2]`` (thin lines)."""
    ax = plot_rooms(ax, door)
    if candidates is not None:
        for c in candidates:
            path = torch.cat([start[None], c])
            ax.plot(path[:, 0], path[:, 1], color="tab:blue", lw=0.4, alpha=0.25)
    if executed is not None:
        ax.plot(executed[:, 0], executed[:, 1], "k.-", lw=1.2, ms=3, label="executed")
    if imagined is not None:
        path = torch.cat([(executed[-1] if executed is not None else start)[None], imagined])
        ax.plot(path[:, 0], path[:, 1], "o--", color="tab:orange", ms=3, lw=1, label="imagined (decoded)")
    ax.plot(*start.tolist(), "go", ms=7, label="start")
    ax.plot(*goal.tolist(), "r*", ms=12, label="goal")
    if radius is not None:
        ax.add_patch(Circle(goal.tolist(), radius, fill=False, color="r", lw=0.8, ls=":"))
    if title is not None:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, loc="lower left")
    return ax


def plot_effort(results: Mapping[str, Mapping[str, float]], ax: Axes | None = None) -> Axes:
    """Success rate against milliseconds per MPC step, one point per planner setting
    (``name -> {"success", "ms"}``)."""
    ax = ensure_axes(ax, (5, 3.2))
    for name, r in results.items():
        ax.plot(r["ms"], r["success"], "o")
        ax.annotate(name, (r["ms"], r["success"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set(xscale="log", xlabel="ms per MPC step (one CPU thread)", ylabel="success rate", ylim=(0, 1.05))
    return ax
