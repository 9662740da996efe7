"""Explorer of planning with a world model in the two rooms (notebook 09).

Introduced in notebook 09.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import plots
from jepa_lab.datasets import rooms
from jepa_lab.planning import evaluate
from jepa_lab.widgets.base import Explorer, slider


def free_position(x: float, y: float, door: float) -> torch.Tensor:
    """``(x, y)`` as a position ``[2]``, moved out of the wall to its nearer side if it lies inside."""
    p = torch.tensor([x, y]).clamp(rooms.MARGIN, 1 - rooms.MARGIN)
    if rooms.blocked(p, door):
        p[0] = 0.5 + (rooms.WALL + 0.01) * (1 if p[0] >= 0.5 else -1)
    return p


def episode(model, preset, start: torch.Tensor, goal: torch.Tensor, samples: int, iterations: int,
            decode: Callable[[torch.Tensor], torch.Tensor]) -> dict:
    """One MPC episode with ``samples`` candidates and ``iterations`` CEM refits per plan, recording at every
    step the candidates of the last refit and the chosen plan, decoded to positions by ``decode``
    (``[..., latent_dim] -> [..., 2]``; ignored for the true simulator, ``model=None``)."""
    planner = evaluate.planner_for(model, preset, samples=samples, elites=max(2, samples // 8), iterations=iterations)
    planner.reset(1)
    p, goal = start[None].clone(), goal[None]
    path, shown, seconds = [p[0].clone()], [], []
    for _ in range(preset.budget):
        if (p - goal).norm() < preset.radius:
            break
        t0 = time.perf_counter()
        plan = planner(p, goal, keep=True)
        seconds.append(time.perf_counter() - t0)
        cand = planner.last["candidates"][-1, 0, :32]  # [n, H, 2]
        actions = torch.cat([plan, cand])
        with torch.no_grad():
            if model is None:
                q, states = p.expand(len(actions), 2), []
                for t in range(actions.shape[1]):
                    q = rooms.step(q, actions[:, t] * preset.max_step, preset.max_step, preset.door)
                    states.append(q)
                imagined = torch.stack(states, 1)
            else:
                z0 = model.encode(evaluate.frames_of(preset, p))
                imagined = decode(model.rollout(z0.expand(len(actions), -1), actions))
        shown.append((imagined[0], imagined[1:]))
        p = rooms.step(p, plan[:, 0] * preset.max_step, preset.max_step, preset.door)
        path.append(p[0].clone())
    return {"path": torch.stack(path), "shown": shown, "seconds": seconds,
            "success": bool((p - goal).norm() < preset.radius)}


def plan_explorer(model, preset, decode: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Explorer:
    """Pick a start and a goal, the planner's samples and iterations, and a step of the episode; see the
    executed path, the CEM candidates and the imagined trajectory at that step (decoded to positions by
    ``decode``, a position probe: for display only), with success and milliseconds per MPC step.

    Args:
        model: a trained ``planning.WorldModel`` (or ``None``: plan with the true simulator).
        preset: the notebook-09 preset (world, horizon, budget, radius).
        decode: embeddings ``[..., latent_dim]`` -> positions ``[..., 2]`` (default: ``evaluate.position_probe``).

    Introduced in notebook 09.
    """
    if model is not None and decode is None:
        decode = evaluate.position_probe(model, preset)
    runs: dict[tuple, dict] = {}

    def draw(fig: Figure, start_x: float, start_y: float, goal_x: float, goal_y: float, samples: int,
             iterations: int, step: int) -> None:
        start, goal = free_position(start_x, start_y, preset.door), free_position(goal_x, goal_y, preset.door)
        key = (*start.tolist(), *goal.tolist(), samples, iterations)
        if key not in runs:
            torch.manual_seed(0)
            runs.clear()
            runs[key] = episode(model, preset, start, goal, samples, iterations, decode)
        run = runs[key]
        k = min(step, max(len(run["shown"]) - 1, 0))
        left, right = fig.subplots(1, 2, width_ratios=[1.2, 1])
        imagined, cand = run["shown"][k] if run["shown"] else (None, None)
        plots.plot_plan(start, goal, run["path"][:k + 1], imagined, cand, ax=left, door=preset.door,
                        radius=preset.radius, title=f"step {k}: candidates, plan, path so far")
        frames = evaluate.frames_of(preset, torch.stack([run["path"][k], goal]))
        right.imshow(plots.to_numpy_image(plots.montage(frames, 2, pad=2)))
        right.set(xticks=[], yticks=[], title="what the agent sees: now | goal")
        ms = 1000 * sum(run["seconds"]) / max(len(run["seconds"]), 1)
        verdict = f"reached in {len(run['path']) - 1} moves" if run["success"] else "not reached"
        fig.suptitle(f"{verdict} · {samples} samples × {iterations} iterations · {ms:.1f} ms per MPC step",
                     fontsize=9)

    controls = {
        "start_x": slider(W.FloatSlider, value=0.15, min=0.05, max=0.95, step=0.05, description="start x"),
        "start_y": slider(W.FloatSlider, value=0.15, min=0.05, max=0.95, step=0.05, description="start y"),
        "goal_x": slider(W.FloatSlider, value=0.85, min=0.05, max=0.95, step=0.05, description="goal x"),
        "goal_y": slider(W.FloatSlider, value=0.85, min=0.05, max=0.95, step=0.05, description="goal y"),
        "samples": W.Dropdown(options=[8, 16, 32, 64, 128, 256], value=preset.samples, description="samples"),
        "iterations": slider(W.IntSlider, value=preset.iterations, min=1, max=6, description="iterations"),
        "step": slider(W.IntSlider, value=0, min=0, max=preset.budget - 1, description="show step"),
    }
    return Explorer(draw, controls, figsize=(9, 4.2))
