"""What the planner minimises, and the policies it is compared with.

- ``CEMPlanner``: a ``plan_fn`` for ``cem.mpc`` that runs ``cem.cem`` on a cost, warm-started from its
  previous plan shifted by one step (per episode).
- Costs, each ``(positions, goals) -> cost_fn``: ``latent_cost`` (a world model's imagined embeddings
  against the goal image's embedding), ``pixel_cost`` (a pixel model's imagined frames against the goal
  image), ``simulator_cost`` (the true world, the ceiling). The agent sees images only, except the
  simulator planner, which is given the true positions.
- ``random_policy``, ``greedy_policy``: baselines without a model.
- ``run_episodes``: ``mpc`` in the rooms world with the world's own step; ``time_per_step``: seconds per
  MPC step for one episode.

Actions are in ``[-1, 1]²``; the world moves ``action * max_step``.

Introduced in notebook 09.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from jepa_lab.datasets import rooms
from jepa_lab.planning.cem import cem, check_cem, mpc

Cost = Callable[[torch.Tensor, torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]


def trajectory_cost(states: torch.Tensor, goal: torch.Tensor, now: torch.Tensor, price: float) -> torch.Tensor:
    """The cost of imagined trajectories ``states [n, N, H, F]`` towards ``goal [n, F]``: the best step ``t``
    of each, scored ``distance_t / distance_now + price * t`` (``now [n]``: the distance before moving) -> ``[n, N]``.

    Dividing by the distance now makes the cost free of the space's scale (embeddings, pixels, metres);
    the price per step makes an early arrival better than a late one, without punishing a detour."""
    d = (states - goal[:, None, None]).norm(dim=-1) / now.clamp_min(1e-6)[:, None, None]  # [n, N, H]
    t = torch.arange(1, d.shape[-1] + 1, dtype=d.dtype)
    return (d + price * t).min(-1).values


def latent_cost(model, image_size: int, door: float, price: float = 0.05, tint: float = rooms.FLOOR_TINT) -> Cost:
    """Cost of candidate actions imagined by a ``WorldModel``: embeddings of the imagined states against
    the target encoder's embedding of the goal image (images drawn with the floors' ``tint``)."""

    @torch.no_grad()
    def make(p: torch.Tensor, goal: torch.Tensor):
        x0 = rooms.render(p, image_size, door, tint=tint)
        z0 = model.encode(x0)  # [n, D]
        z_goal = model.encode(rooms.render(goal, image_size, door, tint=tint), "target")
        now = (model.encode(x0, "target") - z_goal).norm(dim=-1)

        def cost(cand: torch.Tensor) -> torch.Tensor:
            n, m = cand.shape[:2]
            z = model.rollout(z0.repeat_interleave(m, 0), cand.flatten(0, 1))  # [n * N, H, D]
            return trajectory_cost(z.reshape(n, m, *z.shape[1:]), z_goal, now, price)

        return cost

    return make


def pixel_cost(model, image_size: int, door: float, price: float = 0.05, tint: float = rooms.FLOOR_TINT) -> Cost:
    """Cost of candidate actions imagined by a ``PixelModel``: imagined frames against the goal image
    (Euclidean distance of all pixels; images drawn with the floors' ``tint``)."""

    @torch.no_grad()
    def make(p: torch.Tensor, goal: torch.Tensor):
        x0 = rooms.render(p, image_size, door, tint=tint)
        x_goal = model.to_tokens(rooms.render(goal, image_size, door, tint=tint)).flatten(1)  # [n, N_patches * P]
        now = (model.to_tokens(x0).flatten(1) - x_goal).norm(dim=-1)

        def cost(cand: torch.Tensor) -> torch.Tensor:
            n, m = cand.shape[:2]
            x = model.rollout(x0.repeat_interleave(m, 0), cand.flatten(0, 1)).flatten(2)  # [n * N, H, pixels]
            return trajectory_cost(x.reshape(n, m, *x.shape[1:]), x_goal, now, price)

        return cost

    return make


def simulator_cost(max_step: float, door: float, price: float = 0.05) -> Cost:
    """Cost of candidate actions played in the true world from the true positions (the ceiling)."""

    def make(p: torch.Tensor, goal: torch.Tensor):
        def cost(cand: torch.Tensor) -> torch.Tensor:
            q = p[:, None].expand(-1, cand.shape[1], -1)
            states = []
            for t in range(cand.shape[2]):
                q = rooms.step(q, cand[:, :, t] * max_step, max_step, door)
                states.append(q)
            return trajectory_cost(torch.stack(states, 2), goal, (p - goal).norm(dim=-1), price)

        return cost

    return make


class CEMPlanner:
    """``plan_fn`` for ``mpc``: CEM on ``cost``, warm-started per episode from the last plan shifted by one.

    Introduced in notebook 09.
    """

    def __init__(self, cost: Cost, *, horizon: int, samples: int = 128, elites: int = 16, iterations: int = 4,
                 std: float = 1.0, seed: int = 0, episodes: int = 1) -> None:
        check_cem(samples, elites, iterations, horizon)
        self.cost, self.horizon, self.std = cost, horizon, std
        self.options = {"samples": samples, "elites": elites, "iterations": iterations}
        self.generator = torch.Generator().manual_seed(seed)
        self.plans = torch.zeros(episodes, horizon, 2)
        self.last: dict = {}

    def reset(self, episodes: int) -> None:
        """Forget earlier plans; ``episodes`` running at once."""
        self.plans = torch.zeros(episodes, self.horizon, 2)

    def __call__(self, p: torch.Tensor, goal: torch.Tensor, which: torch.Tensor | None = None,
                 keep: bool = False) -> torch.Tensor:
        which = torch.arange(len(p)) if which is None else which
        out = cem(self.cost(p, goal), self.plans[which], self.std, generator=self.generator, keep=keep,
                  **self.options)
        self.plans[which] = torch.cat([out["mean"][:, 1:], torch.zeros_like(out["mean"][:, :1])], 1)
        self.last = out
        return out["mean"]


def random_policy(seed: int = 0) -> Callable:
    """A ``plan_fn`` that moves at random (uniform in ``[-1, 1]²``)."""
    g = torch.Generator().manual_seed(seed)
    return lambda p, goal, which=None: torch.rand(len(p), 1, 2, generator=g) * 2 - 1


def greedy_policy(max_step: float) -> Callable:
    """A ``plan_fn`` that heads straight for the goal (and so walks into the wall between rooms)."""
    return lambda p, goal, which=None: ((goal - p) / max_step).clamp(-1, 1)[:, None]


def run_episodes(plan_fn: Callable, start: torch.Tensor, goal: torch.Tensor, *, budget: int, radius: float,
                 max_step: float, door: float) -> dict[str, torch.Tensor]:
    """``mpc`` in the rooms world (``plan_fn`` gets true positions; image planners render them)."""
    if isinstance(plan_fn, CEMPlanner):
        plan_fn.reset(len(start))
    return mpc(lambda p, a: rooms.step(p, a * max_step, max_step, door), plan_fn, start, goal, budget, radius)


def time_per_step(planner: CEMPlanner, start: torch.Tensor, goal: torch.Tensor, repeats: int = 5,
                  episodes: int = 1) -> float:
    """Median wall-clock seconds of one MPC step's plan per episode, over ``repeats`` plans of ``episodes``
    episodes planned at once (``episodes=1``: what one agent waits; more: the cost per episode when many
    run together, as in ``run_episodes``)."""
    if not 1 <= episodes <= len(start) or repeats < 1:
        raise ValueError(f"need repeats >= 1 and 1 <= episodes <= {len(start)} (the pairs), got {repeats}, {episodes}")
    times = []
    for i in range(repeats):
        j = (i * episodes) % (len(start) - episodes + 1)
        planner.reset(episodes)
        t0 = time.perf_counter()
        planner(start[j:j + episodes], goal[j:j + episodes])
        times.append((time.perf_counter() - t0) / episodes)
    return sorted(times)[len(times) // 2]
