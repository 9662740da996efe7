"""Planning by the Cross-Entropy Method inside a Model-Predictive-Control loop, for any cost.

- ``cem_update``: keep the ``k`` cheapest candidate action sequences, fit a Gaussian to them.
- ``cem``: sample ``samples`` action sequences per problem from a Gaussian, score them all at once with
  ``cost_fn``, refit to the elites, repeat ``iterations`` times. Vectorised over problems and candidates.
- ``mpc``: the control loop: plan, execute the first action, observe, replan, until the goal is within
  ``radius`` or the step budget is spent.

Nothing here knows what is being planned: the costs (a world model's embeddings, the true simulator,
pixels) come from ``planners.py``.

Introduced in notebook 09.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def cem_update(candidates: torch.Tensor, costs: torch.Tensor, k: int,
               min_std: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """One CEM refit: mean and standard deviation of the ``k`` lowest-cost candidates.

    Args:
        candidates: ``[B, N, H, A]`` action sequences (B problems, N candidates, H steps, A action dims).
        costs: ``[B, N]``.
        k: elites kept per problem (``1 <= k <= N``); min_std: the std's floor (the search never freezes).
    Returns:
        ``(mean, std)``, each ``[B, H, A]``.
    """
    if not 1 <= k <= candidates.shape[1]:
        raise ValueError(f"k (elites) must be in 1..{candidates.shape[1]} (the candidates), got {k}")
    idx = costs.topk(k, dim=1, largest=False).indices  # [B, k]
    elites = torch.gather(candidates, 1, idx[:, :, None, None].expand(-1, -1, *candidates.shape[2:]))
    return elites.mean(1), elites.std(1, unbiased=False).clamp_min(min_std)


def check_cem(samples: int, elites: int, iterations: int, horizon: int) -> None:
    """``ValueError`` naming the bad setting of a CEM search."""
    if samples < 2 or not 1 <= elites <= samples or iterations < 1 or horizon < 1:
        raise ValueError(f"CEM needs samples >= 2, 1 <= elites <= samples, iterations >= 1 and horizon >= 1; "
                         f"got samples={samples}, elites={elites}, iterations={iterations}, horizon={horizon}")


def cem(cost_fn: Callable[[torch.Tensor], torch.Tensor], mean: torch.Tensor, std: torch.Tensor | float = 1.0, *,
        samples: int = 128, elites: int = 16, iterations: int = 4, bound: float = 1.0,
        generator: torch.Generator | None = None, keep: bool = False) -> dict[str, torch.Tensor]:
    """Minimise ``cost_fn`` over action sequences by the Cross-Entropy Method.

    Args:
        cost_fn: ``[B, N, H, A]`` candidates -> ``[B, N]`` costs.
        mean: ``[B, H, A]`` the initial guess (e.g. zeros, or the last plan shifted by one step).
        std: initial standard deviation (a number or ``[B, H, A]``).
        samples, elites, iterations: N candidates per problem, the K kept, the M refits.
        bound: actions are clipped to ``[-bound, bound]``.
        keep: also return every iteration's candidates and costs (for plots).
    Returns:
        ``{"mean": [B, H, A], "std", "cost": [B] (the best candidate's cost per iteration's last)}``,
        plus ``"candidates": [M, B, N, H, A]``, ``"costs": [M, B, N]`` with ``keep``.
    """
    b, h, a = mean.shape
    check_cem(samples, elites, iterations, h)
    std = torch.as_tensor(std, dtype=mean.dtype).expand(b, h, a)
    seen, scores = [], []
    for _ in range(iterations):
        noise = torch.randn(b, samples, h, a, generator=generator)
        cand = (mean[:, None] + std[:, None] * noise).clamp(-bound, bound)
        cand[:, 0] = mean  # the current mean is always a candidate: a refit can only improve the best
        cost = cost_fn(cand)
        mean, std = cem_update(cand, cost, elites)
        if keep:
            seen.append(cand)
            scores.append(cost)
    out = {"mean": mean.clamp(-bound, bound), "std": std, "cost": cost.min(1).values}
    if keep:
        out["candidates"], out["costs"] = torch.stack(seen), torch.stack(scores)
    return out


def mpc(step_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        plan_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
        start: torch.Tensor, goal: torch.Tensor, budget: int, radius: float) -> dict[str, torch.Tensor]:
    """Model-predictive control: plan, execute the first action, replan, for ``budget`` steps.

    Args:
        step_fn: the world: ``(positions [n, 2], actions [n, A]) -> positions [n, 2]``.
        plan_fn: ``(positions [n, 2], goals [n, 2], which [n]) -> actions [n, H, A]`` for the episodes
            still running (``which`` indexes them among all ``B``, for planners that keep state per episode).
        start, goal: ``[B, 2]``; an episode ends when it comes within ``radius`` of its goal.
    Returns:
        ``{"path": [B, budget + 1, 2]`` (positions, held once an episode ends), ``"success": [B]`` bool,
        ``"steps": [B]`` moves taken}.
    """
    if budget < 1 or radius <= 0:
        raise ValueError(f"mpc needs budget >= 1 and radius > 0, got budget={budget}, radius={radius}")
    p = start.clone()
    done = (p - goal).norm(dim=-1) < radius
    steps = torch.zeros(len(p), dtype=torch.long)
    path = [p.clone()]
    for _ in range(budget):
        which = (~done).nonzero().flatten()
        if len(which):
            actions = plan_fn(p[which], goal[which], which)
            p[which] = step_fn(p[which], actions[:, 0])
            steps[which] += 1
            done = done | ((p - goal).norm(dim=-1) < radius)
        path.append(p.clone())
    return {"path": torch.stack(path, 1), "success": done, "steps": steps}
