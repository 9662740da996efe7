"""Building a model from a preset, its training batches, and judging it: success of planning on held-out
start/goal pairs against baselines, time per MPC step, and a position probe (for display only).

Introduced in notebook 09.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from jepa_lab import evaluate
from jepa_lab.datasets import rooms
from jepa_lab.planning import planners
from jepa_lab.planning.model import WorldModel
from jepa_lab.planning.pixel import PixelModel

MODELS = ("latent", "pixel")


def build_model(preset) -> nn.Module:
    """The ``WorldModel`` (``preset.model == "latent"``) or ``PixelModel`` of a preset, seeded by ``preset.seed``."""
    if preset.model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {preset.model!r}")
    torch.manual_seed(preset.seed)
    common = {"image_size": preset.image_size, "patch_size": preset.patch_size, "predictor_dim": preset.predictor_dim,
              "predictor_depth": preset.predictor_depth, "predictor_heads": preset.predictor_heads,
              "horizon": preset.horizon, "tf_weight": preset.tf_weight, "rollout_weight": preset.rollout_weight}
    if preset.model == "pixel":
        return PixelModel(**common)
    return WorldModel(embed_dim=preset.embed_dim, depth=preset.depth, num_heads=preset.num_heads,
                      latent_dim=preset.latent_dim, var_weight=preset.var_weight, cov_weight=preset.cov_weight,
                      freeze_encoder=preset.freeze_encoder, **common)


def frames_of(preset, p: torch.Tensor) -> torch.Tensor:
    """What the agent sees at positions ``p [..., 2]`` in a preset's world: ``rooms.render`` with the preset's
    image size, door and floor tint -> ``[..., 3, S, S]``. Every image of a model is drawn by this."""
    return rooms.render(p, preset.image_size, preset.door, tint=preset.floor_tint)


def data(preset) -> dict[str, torch.Tensor]:
    """The offline trajectories of a preset (``rooms.make_rooms``, seed ``preset.seed``)."""
    return rooms.make_rooms(preset.n_train, preset.length, max_step=preset.max_step, door=preset.door,
                            door_share=preset.door_share, seed=preset.seed)


def batches(preset, trajectories: dict[str, torch.Tensor]) -> Callable:
    """``batch_fn(step, generator) -> (frames [B, T+1, 3, S, S], actions [B, T, 2] in [-1, 1])``: windows of
    ``horizon`` moves cut from random trajectories at random times, rendered on the fly."""
    pos, act = trajectories["positions"], trajectories["actions"]
    t_max = act.shape[1] - preset.horizon
    if t_max < 0:
        raise ValueError(f"trajectories of {act.shape[1]} moves are shorter than the horizon {preset.horizon}")
    offsets = torch.arange(preset.horizon + 1)

    def batch_fn(step: int, g: torch.Generator):
        i = torch.randint(len(pos), (preset.batch_size, 1), generator=g)
        t = torch.randint(t_max + 1, (preset.batch_size, 1), generator=g) + offsets
        frames = frames_of(preset, pos[i, t])
        return frames, act[i, t[:, :-1]] / preset.max_step

    return batch_fn


def cost_of(model: nn.Module, preset) -> planners.Cost:
    """The planning cost that fits ``model``: embeddings (``WorldModel``), pixels (``PixelModel``) or, for
    ``model=None``, the true simulator."""
    if model is None:
        return planners.simulator_cost(preset.max_step, preset.door, preset.step_price)
    if isinstance(model, PixelModel):
        return planners.pixel_cost(model, preset.image_size, preset.door, preset.step_price, preset.floor_tint)
    return planners.latent_cost(model, preset.image_size, preset.door, preset.step_price, preset.floor_tint)


def planner_for(model: nn.Module | None, preset, seed: int = 0, **options) -> planners.CEMPlanner:
    """A ``CEMPlanner`` on ``cost_of(model, preset)`` with the preset's samples, elites, iterations, horizon."""
    settings = {"samples": preset.samples, "elites": preset.elites, "iterations": preset.iterations,
                "horizon": preset.horizon, **options}
    return planners.CEMPlanner(cost_of(model, preset), seed=seed, **settings)


def pairs(preset, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out start/goal pairs of evaluation seed ``seed`` (``preset.pairs`` of them)."""
    return rooms.sample_pairs(preset.pairs, cross_share=preset.cross_share, door=preset.door, seed=seed)


def eval_seeds(preset) -> list[int]:
    """The evaluation seeds: ``seed + 100 + i`` (the training data used ``seed``)."""
    return [preset.seed + 100 + i for i in range(preset.eval_seeds)]


def success(plan_fn: Callable, preset, seed: int) -> dict[str, float]:
    """Success rate of ``plan_fn`` on the pairs of ``seed``: overall, start and goal in different rooms,
    in the same room, and the mean moves of the successful episodes."""
    start, goal = pairs(preset, seed)
    out = planners.run_episodes(plan_fn, start, goal, budget=preset.budget, radius=preset.radius,
                                max_step=preset.max_step, door=preset.door)
    cross = rooms.room(start) != rooms.room(goal)
    ok = out["success"]
    return {"success": ok.float().mean().item(), "cross": ok[cross].float().mean().item(),
            "same": ok[~cross].float().mean().item() if (~cross).any() else float("nan"),
            "moves": out["steps"][ok].float().mean().item() if ok.any() else float("nan")}


def baseline_policies(preset, seed: int) -> dict[str, Callable]:
    """The model-free baselines: a random policy and the straight line to the goal."""
    return {"random policy": planners.random_policy(seed), "straight line": planners.greedy_policy(preset.max_step)}


def timing(model: nn.Module | None, preset, repeats: int = 5, episodes: int = 1, **options) -> float:
    """Median seconds per MPC step per episode of the CEM planner on ``model`` (``episodes`` planned at once)."""
    start, goal = pairs(preset.replace(pairs=max(preset.pairs, episodes)), preset.seed + 99)
    return planners.time_per_step(planner_for(model, preset, **options), start, goal, repeats, episodes)


def position_probe(model: WorldModel, preset, n: int = 2000) -> Callable[[torch.Tensor], torch.Tensor]:
    """A ridge probe from target-encoder embeddings to positions, fitted on ``n`` random frames (seed + 7):
    ``[..., latent_dim] -> [..., 2]``. For display only: the planner never uses it."""
    g = torch.Generator().manual_seed(preset.seed + 7)
    p = rooms.sample_free(n, g, door=preset.door)
    with torch.no_grad():
        z = model.encode(frames_of(preset, p), "target")
    fit = evaluate.fit_ridge(z, p)
    return lambda z: fit(z.reshape(-1, z.shape[-1])).reshape(*z.shape[:-1], 2)


def probe_r2(model: WorldModel, preset, n: int = 1000) -> float:
    """Held-out R² (the worse of x and y) of ``position_probe`` on ``n`` new frames (seed + 8)."""
    probe = position_probe(model, preset)
    g = torch.Generator().manual_seed(preset.seed + 8)
    p = rooms.sample_free(n, g, door=preset.door)
    with torch.no_grad():
        pred = probe(model.encode(frames_of(preset, p), "target"))
    r2 = 1 - (pred - p).pow(2).sum(0) / (p - p.mean(0)).pow(2).sum(0)
    return float(r2.min())
