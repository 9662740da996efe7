"""Reference solutions and graded hints for the notebooks' exercises.

Learners reach them through ``checks.hint(name, level)`` and ``checks.solution(name)``; each function
here is written the way a learner would write it (short, no validation) and is checked against the
library's own implementation by ``tests/test_checks.py``.

Introduced in notebook 01.
"""

from __future__ import annotations

import math

import torch

from jepa_lab import losses

# --------------------------------------------------------------------------- notebook 01


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    b, c, hh, ww = x.shape
    p = patch_size
    h, w = hh // p, ww // p
    x = x.reshape(b, c, h, p, w, p)  # split each side into (grid position, position inside the patch)
    x = x.permute(0, 2, 4, 3, 5, 1)  # [B, h, w, p, p, C]: grid first, then the patch, channels last
    return x.reshape(b, h * w, p * p * c)


def num_tokens(image_size: int, patch_size: int, frames: int = 1, tubelet: int = 1) -> int:
    per_frame = (image_size // patch_size) ** 2
    return (frames // tubelet) * per_frame


# --------------------------------------------------------------------------- notebook 02


def block_indices(grid: tuple[int, int], top: int, left: int, bh: int, bw: int) -> torch.Tensor:
    h, w = grid
    rows = torch.arange(top, top + bh)
    cols = torch.arange(left, left + bw)
    return (rows[:, None] * w + cols[None, :]).flatten()  # row-major, so already sorted


def remove_targets(ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
    hidden = torch.cat(tgt_idx)  # every target block together
    return ctx_idx[~torch.isin(ctx_idx, hidden)].sort().values


# --------------------------------------------------------------------------- notebook 03


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # [B, heads, N, N]
    return scores.softmax(dim=-1) @ v  # each query's weights sum to 1 over the keys


def apply_rope(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    x1, x2 = x[..., 0::2], x[..., 1::2]  # the two coordinates of each pair, [N, d/2] each
    cos, sin = angles.cos(), angles.sin()
    rotated = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)  # [N, d/2, 2]
    return rotated.flatten(-2)  # pairs back side by side: [N, d]


# --------------------------------------------------------------------------- notebook 04


def ema(target: list[torch.Tensor], online: list[torch.Tensor], momentum: float) -> list[torch.Tensor]:
    return [momentum * t + (1 - momentum) * o for t, o in zip(target, online, strict=True)]


def block_loss(z_pred: list[torch.Tensor], z_tgt: list[torch.Tensor], kind: str) -> torch.Tensor:
    per_block = [losses.latent_loss(p, t, kind) for p, t in zip(z_pred, z_tgt, strict=True)]
    return torch.stack(per_block).mean()  # every block counts once, whatever its size


# --------------------------------------------------------------------------- notebook 06


def variance_term(z: torch.Tensor) -> torch.Tensor:
    std = torch.sqrt(z.var(dim=0) + 1e-4)  # one std per dimension, over the batch (unbiased)
    return torch.relu(1 - std).mean()


def covariance_term(z: torch.Tensor) -> torch.Tensor:
    n, d = z.shape
    z = z - z.mean(dim=0)
    cov = z.T @ z / (n - 1)  # [D, D]
    off_diagonal = cov - torch.diag(cov.diagonal())
    return off_diagonal.pow(2).sum() / d


# --------------------------------------------------------------------------- notebook 05


def tube_indices(spatial_idx: torch.Tensor, steps: int, per_step: int) -> torch.Tensor:
    offsets = torch.arange(steps) * per_step  # where each time step starts
    return (offsets[:, None] + spatial_idx[None, :]).flatten()  # time-major: step 0 first


def leaked_tokens(ctx_idx: torch.Tensor, grid: tuple[int, int, int]) -> torch.Tensor:
    t, h, w = grid
    b = ctx_idx.shape[0]
    seen = torch.zeros(b, t * h * w, dtype=torch.bool)
    seen.scatter_(1, ctx_idx, True)
    seen = seen.view(b, t, h * w)  # [B, T, h*w]: is this place visible at this step?
    nearby = torch.zeros_like(seen)
    nearby[:, 1:] |= seen[:, :-1]  # visible one step earlier
    nearby[:, :-1] |= seen[:, 1:]  # visible one step later (no wrap-around at the ends)
    return (nearby & ~seen).view(b, -1)


# --------------------------------------------------------------------------- notebook 07


def jumps(k: int, horizons: tuple[int, ...]) -> list[int]:
    out = []
    for h in sorted(horizons, reverse=True):  # largest first, like paying with the fewest coins
        while k >= h:
            out.append(h)
            k -= h
    return out


def r2(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    ss_res = (pred - true).pow(2).sum(dim=0)
    ss_tot = (true - true.mean(dim=0)).pow(2).sum(dim=0)  # the error of predicting each column's mean
    return 1 - ss_res / ss_tot


# --------------------------------------------------------------------------- notebook 08


def pendulum_energy(theta: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    return 0.5 * omega**2 + 9.81 * (1 - torch.cos(theta))  # kinetic + height of the bob times g


def rk4_step(field, x: torch.Tensor, h: float) -> torch.Tensor:
    k1 = field(x)
    k2 = field(x + 0.5 * h * k1)
    k3 = field(x + 0.5 * h * k2)
    k4 = field(x + h * k3)
    return x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


# --------------------------------------------------------------------------- notebook 09


def cem_update(candidates: torch.Tensor, costs: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    idx = costs.topk(k, dim=1, largest=False).indices  # [B, k]: the k cheapest candidates of each problem
    elites = torch.gather(candidates, 1, idx[:, :, None, None].expand(-1, -1, *candidates.shape[2:]))
    return elites.mean(1), elites.std(1, unbiased=False).clamp_min(0.05)


def mpc(step_fn, plan_fn, start: torch.Tensor, goal: torch.Tensor, budget: int, radius: float) -> dict:
    p = start.clone()
    done = (p - goal).norm(dim=-1) < radius
    steps = torch.zeros(len(p), dtype=torch.long)
    path = [p.clone()]
    for _ in range(budget):
        which = (~done).nonzero().flatten()  # the episodes still running
        if len(which):
            actions = plan_fn(p[which], goal[which], which)  # [n, H, A]: a whole plan each
            p[which] = step_fn(p[which], actions[:, 0])  # execute its first action only, then replan
            steps[which] += 1
            done = done | ((p - goal).norm(dim=-1) < radius)
        path.append(p.clone())
    return {"path": torch.stack(path, 1), "success": done, "steps": steps}


# --------------------------------------------------------------------------- notebook 10


def band_indices(grid: tuple[int, int], start: int, height: int) -> torch.Tensor:
    f, t = grid  # rows are frequency bands, columns time steps
    rows = torch.arange(start, start + height)
    return (rows[:, None] * t + torch.arange(t)[None, :]).flatten()  # a row holds t tokens


def film(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return x * (1 + gamma[:, None]) + beta[:, None]  # one scale and shift per sample, the same for every token


def nearest_answer(z_pred: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    sims = torch.nn.functional.normalize(z_pred, dim=1) @ torch.nn.functional.normalize(bank, dim=1).T
    return sims.argmax(dim=1)  # cosine: the direction counts, not the length


# --------------------------------------------------------------------------- graded hints

NOTEBOOK = {"patchify": "01", "num_tokens": "01", "block_indices": "02", "remove_targets": "02",
            "attention": "03", "apply_rope": "03", "ema": "04", "block_loss": "04", "tube_indices": "05",
            "leaked_tokens": "05", "variance_term": "06", "covariance_term": "06", "jumps": "07", "r2": "07",
            "pendulum_energy": "08", "rk4_step": "08", "cem_update": "09", "mpc": "09",
            "band_indices": "10", "film": "10", "nearest_answer": "10"}

# level 1: a nudge; 2: the idea; 3: the answer in one line
HINTS: dict[str, tuple[str, str, str]] = {
    "patchify": (
        "Start from the layout you want before flattening: [B, h, w, p, p, C]. Which axes of "
        "x [B, C, H, W] must each split in two?",
        "reshape to [B, C, h, p, w, p] (H becomes grid row x row inside the patch, W likewise), then "
        "permute so the two grid axes come first and C comes last, then flatten.",
        "x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1).reshape(B, -1, p * p * C)",
    ),
    "num_tokens": (
        "Count the tokens of one frame first, then how many time steps the clip has.",
        "A frame has (image_size // patch_size)² patches; a tubelet spans `tubelet` frames, so a clip has "
        "frames // tubelet time steps (an image: 1 // 1 = 1).",
        "return (frames // tubelet) * (image_size // patch_size) ** 2",
    ),
    "block_indices": (
        "Token (row r, column c) of an h x w grid has index r * w + c (row-major, as patchify orders them).",
        "Make the rows top .. top+bh-1 and the columns left .. left+bw-1, combine every row with every "
        "column by broadcasting, flatten. Row-major order is already sorted.",
        "rows = torch.arange(top, top + bh); cols = torch.arange(left, left + bw); "
        "return (rows[:, None] * w + cols[None, :]).flatten()",
    ),
    "remove_targets": (
        "A context token must go if it is in ANY target block, not only the first.",
        "Join all target blocks into one tensor, make a True/False 'is hidden' for every context index "
        "(torch.isin), keep the others, sort.",
        "hidden = torch.cat(tgt_idx); return ctx_idx[~torch.isin(ctx_idx, hidden)].sort().values",
    ),
    "attention": (
        "Three steps: a score for every (query, key) pair, a softmax that turns each query's scores into "
        "weights, a weighted sum of the values.",
        "scores = q @ k transposed over the last two axes, divided by sqrt(d) with d = q.shape[-1]; the "
        "softmax runs over the keys, i.e. the last axis of the scores.",
        "(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-1) @ v",
    ),
    "apply_rope": (
        "Each consecutive pair (x[2i], x[2i+1]) is a point in the plane; rotate it by its angle.",
        "x1 = x[..., 0::2], x2 = x[..., 1::2]; a rotation by a gives (x1 cos a - x2 sin a, x1 sin a + "
        "x2 cos a); then interleave the pairs back (stack on a new last axis, flatten the last two).",
        "torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2), "
        "with cos, sin = angles.cos(), angles.sin()",
    ),
    "ema": (
        "The target moves a small step towards the online encoder; momentum is the share of the OLD "
        "target that stays (0.996 keeps almost all of it).",
        "Pair the tensors with zip and mix each pair: momentum times the target tensor plus (1 - momentum) "
        "times the online one. Return new tensors; change nothing in place.",
        "return [momentum * t + (1 - momentum) * o for t, o in zip(target, online)]",
    ),
    "block_loss": (
        "The blocks differ in size: a big block must not count more than a small one.",
        "Compute one loss per block with losses.latent_loss(pred, target, kind), then average those K "
        "numbers (do not concatenate the blocks' tokens first).",
        "torch.stack([losses.latent_loss(p, t, kind) for p, t in zip(z_pred, z_tgt)]).mean()",
    ),
    "tube_indices": (
        "Time step s of a tube is the same spatial mask, shifted by s * per_step.",
        "Make one offset per step (0, per_step, 2*per_step, ...), add every spatial index to every offset by "
        "broadcasting, and flatten with time as the OUTER axis.",
        "(torch.arange(steps)[:, None] * per_step + spatial_idx[None, :]).flatten()",
    ),
    "leaked_tokens": (
        "First turn the list of context indices into a True/False picture of the clip: [B, T, h*w].",
        "A token leaks when it is hidden and the same place is visible one step earlier or later: shift "
        "the visibility picture by one step along T each way (no wrap-around: torch.roll is wrong here), "
        "OR the two, AND with 'not visible'.",
        "seen = torch.zeros(B, T*h*w, dtype=torch.bool).scatter_(1, ctx_idx, True).view(B, T, h*w); "
        "near = torch.zeros_like(seen); near[:, 1:] |= seen[:, :-1]; near[:, :-1] |= seen[:, 1:]; "
        "return (near & ~seen).view(B, -1)",
    ),
    "variance_term": (
        "One standard deviation per feature dimension, measured across the batch (dim 0).",
        "std_d = sqrt(Var(z_d) + 1e-4) with torch's default, unbiased variance; only dimensions whose std is "
        "below 1 are penalised (relu(1 - std)); average over the dimensions.",
        "torch.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean()",
    ),
    "covariance_term": (
        "A covariance for every pair of dimensions; only the pairs i != j are penalised.",
        "Centre each dimension; cov = z.T @ z / (N - 1) is [D, D]; remove its diagonal, square, sum, and "
        "divide by D (not D²).",
        "z = z - z.mean(0); cov = z.T @ z / (len(z) - 1); "
        "return (cov - torch.diag(cov.diagonal())).pow(2).sum() / z.shape[1]",
    ),
    "jumps": (
        "Like paying an amount with the fewest coins: the biggest coin first.",
        "Walk the horizons from the largest to the smallest; while a horizon still fits into what is left "
        "of k, take it and subtract it.",
        "out = []; for h in sorted(horizons, reverse=True): while k >= h: out.append(h); k -= h; return out",
    ),
    "r2": (
        "R² compares your errors with the errors of always predicting each column's mean.",
        "Per column (sum over dim 0): SS_res = sum((pred - true)²), SS_tot = sum((true - true.mean(0))²); "
        "R² = 1 - SS_res / SS_tot.",
        "1 - (pred - true).pow(2).sum(0) / (true - true.mean(0)).pow(2).sum(0)",
    ),
    "pendulum_energy": (
        "Kinetic plus potential energy per unit mass of a unit-length pendulum; zero when it hangs still.",
        "Kinetic: omega²/2. The bob's height above its lowest point is 1 - cos(theta), so the potential is "
        "g (1 - cos theta).",
        "0.5 * omega**2 + 9.81 * (1 - torch.cos(theta))",
    ),
    "rk4_step": (
        "RK4 samples the slope four times inside one step and takes a weighted average of them.",
        "k1 = field(x); k2 at x + h/2 * k1; k3 at x + h/2 * k2; k4 at x + h * k3; weights 1, 2, 2, 1, "
        "divided by 6.",
        "x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)",
    ),
    "cem_update": (
        "Lower cost is better: keep the k candidates with the SMALLEST costs of each problem, then describe them "
        "by a mean and a spread per step and action dimension.",
        "costs.topk(k, dim=1, largest=False).indices gives [B, k] indices; torch.gather along dim 1 (indices "
        "expanded to [B, k, H, A]) picks those candidates; mean and std (unbiased=False) over dim 1; floor the "
        "std at 0.05 so the search never stops exploring.",
        "elites = torch.gather(candidates, 1, idx[:, :, None, None].expand(-1, -1, H, A)); "
        "return elites.mean(1), elites.std(1, unbiased=False).clamp_min(0.05)",
    ),
    "mpc": (
        "Plan a whole sequence, but execute only its first action before planning again from where you landed.",
        "Keep a 'done' flag per episode (within radius of the goal). Each of the budget steps: plan for the "
        "episodes not done (plan_fn(p[which], goal[which], which)), step them with the first action, count "
        "their moves, update done; append a copy of all positions to the path every step.",
        "which = (~done).nonzero().flatten(); a = plan_fn(p[which], goal[which], which); "
        "p[which] = step_fn(p[which], a[:, 0]); steps[which] += 1; done |= (p - goal).norm(dim=-1) < radius",
    ),
    "band_indices": (
        "Rows of the grid are frequency bands, columns are time steps; token (row r, column c) is r * t + c.",
        "A band is every column of the rows start .. start+height-1: combine each row with each of the t columns by "
        "broadcasting and flatten (row-major, so already sorted).",
        "rows = torch.arange(start, start + height); return (rows[:, None] * t + torch.arange(t)[None, :]).flatten()",
    ),
    "film": (
        "gamma and beta hold one value per sample and channel; every token of a sample gets the same ones.",
        "Give gamma and beta a token axis (gamma[:, None]) so they broadcast over N; scale by 1 + gamma, not gamma, "
        "so zeros leave x unchanged.",
        "return x * (1 + gamma[:, None]) + beta[:, None]",
    ),
    "nearest_answer": (
        "Nearest by cosine similarity: only the direction of each vector counts.",
        "Normalise the predictions and the bank rows to unit length, take all dot products [B, A], and pick the "
        "largest per row.",
        "(F.normalize(z_pred, dim=1) @ F.normalize(bank, dim=1).T).argmax(dim=1)",
    ),
}
