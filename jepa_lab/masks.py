"""Mask samplers: which tokens the context encoder sees, and which it must predict.

Every sampler is pure (it only reads the ``torch.Generator`` it is given) and returns
**index tensors**, never padded sequences (I-JEPA's insight: drop masked tokens, do not pad):

- ``MaskSample``: one mask: ``ctx_idx [Nc]`` and a list of K target index sets ``[Nt_k]``.
- ``MaskBatch``: a batch of masks made equal-length by the collator: ``ctx_idx [B, Nc]`` and
  K tensors ``tgt_idx[k] [B, Nt_k]``, plus how much the collator truncated.

Strategies (``STRATEGIES``), on a grid ``(h, w)`` of image tokens or ``(T, h, w)`` of tubelets:
``random``, ``block``, ``multiblock`` (I-JEPA), ``tube`` (V-JEPA: one 2-D mask for all
frames), ``multiblock3d`` (V-JEPA's 3-D blocks), ``per_frame`` (a fresh random mask per frame,
the shortcut V-JEPA avoids). Feature masks for state vectors (notebook 07) are at the end.

Internally each strategy draws a whole batch of boolean masks at once (vectorised), so
sampling thousands of masks is cheap; see ``python -m jepa_lab.bench masks``.

Introduced in notebook 02.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

Grid = tuple[int, ...]


@dataclass(frozen=True)
class MaskSample:
    """One mask: context indices ``[Nc]`` and K target index sets ``[Nt_k]`` (sorted, unique)."""

    ctx_idx: torch.Tensor
    tgt_idx: list[torch.Tensor]
    grid: Grid


@dataclass(frozen=True)
class MaskBatch:
    """A collated batch: ``ctx_idx [B, Nc]``, ``tgt_idx`` K tensors ``[B, Nt_k]``.

    ``ctx_kept`` / ``tgt_kept``: fraction of the sampled context / target tokens that survived
    truncation to the shortest mask in the batch (1.0 = nothing lost).
    """

    ctx_idx: torch.Tensor
    tgt_idx: list[torch.Tensor]
    grid: Grid
    ctx_kept: float = 1.0
    tgt_kept: float = 1.0
    stats: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- validation

def _grid(grid: Grid, dims: tuple[int, ...] = (2, 3)) -> Grid:
    grid = tuple(int(g) for g in grid)
    if len(grid) not in dims or min(grid) < 1:
        want = " or ".join(f"{d} positive ints" for d in dims)
        raise ValueError(f"grid must be {want} (h, w) or (T, h, w), got {grid}")
    return grid


def _open_unit(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")


def _range(name: str, r: tuple[float, float], low: float, high: float) -> None:
    if len(r) != 2 or not low < r[0] <= r[1] <= high:
        raise ValueError(f"{name} must be (min, max) with {low} < min <= max <= {high}, got {r}")


# ----------------------------------------------------------------------------- boolean cores

def _rect_masks(grid: tuple[int, int], top: torch.Tensor, left: torch.Tensor,
                bh: torch.Tensor, bw: torch.Tensor) -> torch.Tensor:
    """``[...]`` block corners and sizes -> ``[..., h*w]`` boolean masks of those blocks."""
    h, w = grid
    rows = torch.arange(h).view(*([1] * top.ndim), h, 1)
    cols = torch.arange(w).view(*([1] * top.ndim), 1, w)
    t, l_, hh, ww = (v[..., None, None] for v in (top, left, bh, bw))
    inside = (rows >= t) & (rows < t + hh) & (cols >= l_) & (cols < l_ + ww)  # [..., h, w]
    return inside.flatten(-2)


def _sample_rects(grid: tuple[int, int], shape: tuple[int, ...], scale: tuple[float, float],
                  aspect: tuple[float, float], g: torch.Generator) -> torch.Tensor:
    """Random blocks with area ``scale * h * w`` and ``aspect = height / width`` (log-uniform)."""
    h, w = grid
    s = scale[0] + (scale[1] - scale[0]) * torch.rand(shape, generator=g)
    log_a = math.log(aspect[0]) + (math.log(aspect[1]) - math.log(aspect[0])) * torch.rand(shape, generator=g)
    area = s * h * w
    bh = torch.sqrt(area * log_a.exp()).round().clamp(1, h).long()
    bw = torch.sqrt(area / log_a.exp()).round().clamp(1, w).long()
    top = (torch.rand(shape, generator=g) * (h - bh + 1)).floor().long()
    left = (torch.rand(shape, generator=g) * (w - bw + 1)).floor().long()
    return _rect_masks(grid, top, left, bh, bw)


def _random_keep(n: int, batch: int, keep: int, g: torch.Generator) -> torch.Tensor:
    """``[B, n]`` masks with exactly ``keep`` True entries each, uniformly placed."""
    order = torch.rand(batch, n, generator=g).argsort(dim=1)
    mask = torch.zeros(batch, n, dtype=torch.bool)
    mask.scatter_(1, order[:, :keep], True)
    return mask


def _keep_count(n: int, keep_ratio: float) -> int:
    _open_unit("keep_ratio", keep_ratio)
    keep = round(keep_ratio * n)
    if not 1 <= keep <= n - 1:
        raise ValueError(
            f"keep_ratio={keep_ratio} on {n} tokens keeps {keep}: need at least one context and one "
            f"target token, i.e. keep_ratio in [{1.5 / n:.3f}, {1 - 1.5 / n:.3f}]"
        )
    return keep


def _redraw_small_contexts(draw, batch: int, min_context: int, max_tries: int, advice: str):
    """Call ``draw(n) -> (ctx [n, N], tgt [n, K, N])`` and redraw the masks whose context has fewer
    than ``min_context`` tokens, up to ``max_tries`` rounds; then raise ``ValueError`` with ``advice``."""
    ctx, tgt = draw(batch)
    todo = (ctx.sum(1) < min_context).nonzero().flatten()
    for _ in range(max_tries - 1):
        if len(todo) == 0:
            return ctx, tgt
        c, t = draw(len(todo))
        ctx[todo], tgt[todo] = c, t
        todo = todo[c.sum(1) < min_context]
    if len(todo) == 0:
        return ctx, tgt
    raise ValueError(
        f"after {max_tries} tries the context kept fewer than min_context={min_context} tokens: {advice}"
    )


def masks_random(grid: Grid, batch: int, g: torch.Generator, *, keep_ratio: float = 0.25):
    """Context: a random ``keep_ratio`` of all tokens; one target: all the others."""
    n = math.prod(_grid(grid))
    ctx = _random_keep(n, batch, _keep_count(n, keep_ratio), g)
    return ctx, (~ctx)[:, None]


def masks_block(grid: Grid, batch: int, g: torch.Generator, *, block: int | tuple[int, int] = 4):
    """One target block of ``block`` (or ``(bh, bw)``) tokens at a random place; context: the rest."""
    h, w = _grid(grid, (2,))
    bh, bw = (block, block) if isinstance(block, int) else block
    if not (1 <= bh <= h and 1 <= bw <= w) or bh * bw == h * w:
        raise ValueError(
            f"block {bh}x{bw} does not fit the {h}x{w} grid with context left over: "
            f"use 1 <= block height <= {h}, 1 <= block width <= {w}, smaller than the grid"
        )
    top = torch.randint(h - bh + 1, (batch,), generator=g)
    left = torch.randint(w - bw + 1, (batch,), generator=g)
    tgt = _rect_masks((h, w), top, left, torch.full_like(top, bh), torch.full_like(top, bw))
    return ~tgt, tgt[:, None]


def masks_multiblock(
    grid: Grid, batch: int, g: torch.Generator, *, num_targets: int = 4,
    target_scale: tuple[float, float] = (0.15, 0.2), target_aspect: tuple[float, float] = (0.75, 1.5),
    context_scale: tuple[float, float] = (0.85, 1.0), min_context: int = 4, max_tries: int = 20,
):
    """I-JEPA: K target blocks, one large context block, targets removed from the context.

    Masks whose context ends up smaller than ``min_context`` are redrawn (up to ``max_tries``).
    """
    h, w = _grid(grid, (2,))
    if num_targets < 1:
        raise ValueError(f"num_targets must be at least 1, got {num_targets}")
    _range("target_scale", target_scale, 0.0, 1.0)
    _range("context_scale", context_scale, 0.0, 1.0)
    _range("target_aspect", target_aspect, 0.0, math.inf)
    if not 1 <= min_context < h * w:
        raise ValueError(f"min_context must be in 1..{h * w - 1} for a {h}x{w} grid, got {min_context}")
    def draw(n: int):
        t = _sample_rects((h, w), (n, num_targets), target_scale, target_aspect, g)  # [n, K, N]
        c = _sample_rects((h, w), (n,), context_scale, (1.0, 1.0), g) & ~t.any(1)  # [n, N]
        return c, t

    return _redraw_small_contexts(
        draw, batch, min_context, max_tries,
        f"the targets cover too much of the {h}x{w} grid; lower num_targets={num_targets} or "
        f"target_scale={target_scale}, or raise context_scale={context_scale}",
    )


def masks_tube(grid: Grid, batch: int, g: torch.Generator, *, spatial: str = "multiblock", **params):
    """V-JEPA tube masking: one 2-D mask (``spatial`` strategy) repeated over all T frames."""
    t, h, w = _grid(grid, (3,))
    if spatial not in ("random", "block", "multiblock"):
        raise ValueError(f"spatial must be 'random', 'block' or 'multiblock', got {spatial!r}")
    ctx, tgt = _CORES[spatial]((h, w), batch, g, **params)
    return ctx.repeat(1, t), tgt.repeat(1, 1, t)  # time-major: frame f holds indices f*h*w ...


def masks_multiblock3d(
    grid: Grid, batch: int, g: torch.Generator, *, num_targets: int = 8,
    spatial_scale: tuple[float, float] = (0.15, 0.15), aspect: tuple[float, float] = (0.75, 1.5),
    temporal_scale: tuple[float, float] = (1.0, 1.0), min_context: int = 4, max_tries: int = 20,
):
    """V-JEPA multi-block: K blocks spanning a ``temporal_scale`` fraction of the frames; the
    context is everything not in a target."""
    t, h, w = _grid(grid, (3,))
    _range("temporal_scale", temporal_scale, 0.0, 1.0)
    _range("spatial_scale", spatial_scale, 0.0, 1.0)
    _range("aspect", aspect, 0.0, math.inf)
    if num_targets < 1:
        raise ValueError(f"num_targets must be at least 1, got {num_targets}")
    if not 1 <= min_context < t * h * w:
        raise ValueError(f"min_context must be in 1..{t * h * w - 1}, got {min_context}")
    frames = torch.arange(t)

    def draw(n: int):
        space = _sample_rects((h, w), (n, num_targets), spatial_scale, aspect, g)  # [n, K, h*w]
        s = temporal_scale[0] + (temporal_scale[1] - temporal_scale[0]) * torch.rand(n, num_targets, generator=g)
        length = (s * t).round().clamp(1, t).long()
        start = (torch.rand(n, num_targets, generator=g) * (t - length + 1)).floor().long()
        in_time = (frames >= start[..., None]) & (frames < (start + length)[..., None])  # [n, K, T]
        blocks = (in_time[..., None] & space[..., None, :]).flatten(-2)  # [n, K, T*h*w]
        return ~blocks.any(1), blocks

    return _redraw_small_contexts(
        draw, batch, min_context, max_tries,
        f"lower num_targets={num_targets}, spatial_scale={spatial_scale} or temporal_scale={temporal_scale}",
    )


def masks_per_frame(grid: Grid, batch: int, g: torch.Generator, *, keep_ratio: float = 0.25):
    """A fresh random mask in every frame (the shortcut: a masked token is often visible in the
    next frame at the same place)."""
    t, h, w = _grid(grid, (3,))
    keep = _keep_count(h * w, keep_ratio)
    ctx = _random_keep(h * w, batch * t, keep, g).reshape(batch, t * h * w)
    return ctx, (~ctx)[:, None]


_CORES = {
    "random": masks_random, "block": masks_block, "multiblock": masks_multiblock,
    "tube": masks_tube, "multiblock3d": masks_multiblock3d, "per_frame": masks_per_frame,
}
STRATEGIES = tuple(_CORES)


def masks(strategy: str, grid: Grid, batch: int, generator: torch.Generator, **params):
    """Boolean masks of a strategy: context ``[B, N]`` and targets ``[B, K, N]``.

    Raises:
        ValueError: unknown strategy or invalid parameters (the message names the parameter).
    """
    if strategy not in _CORES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    return _CORES[strategy](tuple(grid), batch, generator, **params)


# ----------------------------------------------------------------------------- index API

def sample(strategy: str, grid: Grid, generator: torch.Generator, **params) -> MaskSample:
    """One mask of ``strategy`` as index tensors (no truncation).

    Example: ``sample("multiblock", (14, 14), torch.Generator().manual_seed(0), num_targets=4)``.
    """
    ctx, tgt = masks(strategy, grid, 1, generator, **params)
    return MaskSample(ctx[0].nonzero().flatten(), [t.nonzero().flatten() for t in tgt[0]], tuple(grid))


def _truncate(mask: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, float]:
    """``[B, N]`` bool -> ``[B, n_min]`` sorted indices: a uniform random subset of each row's
    True entries, cut to the shortest row (random, not the first ones, so no region is favoured)."""
    counts = mask.sum(1)
    n_min = int(counts.min())
    keys = torch.rand(mask.shape, generator=g) + (~mask).float() * 2  # True entries sort first
    idx = keys.argsort(dim=1)[:, :n_min].sort(dim=1).values
    return idx, n_min * mask.shape[0] / max(int(counts.sum()), 1)


def collate(ctx: torch.Tensor, tgt: torch.Tensor, generator: torch.Generator, grid: Grid = ()) -> MaskBatch:
    """Equal-length index tensors from boolean masks ``ctx [B, N]``, ``tgt [B, K, N]``.

    As the I-JEPA collator does, each mask is cut to the shortest in the batch (per target k);
    the fractions kept are reported. Raises ``ValueError`` if some mask has an empty context.
    """
    if (ctx.sum(1) == 0).any():
        raise ValueError("a mask in the batch has an empty context: the encoder would see nothing")
    ctx_idx, ctx_kept = _truncate(ctx, generator)
    tgt_idx, kept = [], []
    for k in range(tgt.shape[1]):
        idx, f = _truncate(tgt[:, k], generator)
        tgt_idx.append(idx)
        kept.append(f * int(tgt[:, k].sum()))
    tgt_kept = sum(kept) / max(int(tgt.sum()), 1)
    return MaskBatch(ctx_idx, tgt_idx, tuple(grid), ctx_kept, tgt_kept)


def sample_batch(strategy: str, grid: Grid, batch: int, generator: torch.Generator, **params) -> MaskBatch:
    """``batch`` masks of ``strategy``, collated to equal lengths (see ``collate``)."""
    ctx, tgt = masks(strategy, grid, batch, generator, **params)
    return collate(ctx, tgt, generator, grid)


def collate_samples(samples: list[MaskSample], generator: torch.Generator) -> MaskBatch:
    """Collate separately drawn ``MaskSample``s (same grid, same K) into a ``MaskBatch``."""
    if not samples:
        raise ValueError("cannot collate an empty list of masks")
    grid, k = samples[0].grid, len(samples[0].tgt_idx)
    if any(s.grid != grid or len(s.tgt_idx) != k for s in samples):
        raise ValueError("all masks in a batch need the same grid and the same number of targets")
    n = math.prod(grid)
    ctx = torch.zeros(len(samples), n, dtype=torch.bool)
    tgt = torch.zeros(len(samples), k, n, dtype=torch.bool)
    for b, s in enumerate(samples):
        ctx[b, s.ctx_idx] = True
        for j, t in enumerate(s.tgt_idx):
            tgt[b, j, t] = True
    return collate(ctx, tgt, generator, grid)


# Named samplers (the glossary's ``sample_*``), one per strategy.
def sample_random(grid: Grid, keep_ratio: float, generator: torch.Generator) -> MaskSample:
    """Random masking: keep ``keep_ratio`` of the tokens as context."""
    return sample("random", grid, generator, keep_ratio=keep_ratio)


def sample_block(grid: Grid, block: int | tuple[int, int], generator: torch.Generator) -> MaskSample:
    """One square (or ``(bh, bw)``) target block; context is the rest."""
    return sample("block", grid, generator, block=block)


def sample_multiblock(grid: Grid, generator: torch.Generator, **params) -> MaskSample:
    """I-JEPA multi-block masking (see ``masks_multiblock`` for the parameters)."""
    return sample("multiblock", grid, generator, **params)


def sample_tube(grid: Grid, generator: torch.Generator, **params) -> MaskSample:
    """V-JEPA tube masking on a ``(T, h, w)`` grid (see ``masks_tube``)."""
    return sample("tube", grid, generator, **params)


# ----------------------------------------------------------------------------- small pieces

def block_indices(grid: tuple[int, int], top: int, left: int, bh: int, bw: int) -> torch.Tensor:
    """Sorted token indices of the ``bh x bw`` block whose top-left token is ``(top, left)``."""
    h, w = _grid(grid, (2,))
    if not (0 <= top and 0 <= left and bh >= 1 and bw >= 1 and top + bh <= h and left + bw <= w):
        raise ValueError(f"block at ({top}, {left}) of size {bh}x{bw} does not fit the {h}x{w} grid")
    t = torch.tensor
    return _rect_masks((h, w), t(top), t(left), t(bh), t(bw)).nonzero().flatten()


def remove_targets(ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
    """Context indices that are in no target set (sorted): the model must not see what it predicts."""
    if not tgt_idx:
        return ctx_idx.sort().values
    hidden = torch.cat(tgt_idx)
    return ctx_idx[~torch.isin(ctx_idx, hidden)].sort().values


# ----------------------------------------------------------------------------- statistics

def mask_stats(m: MaskSample) -> dict[str, float]:
    """Fraction masked (not in context), context size, target overlap and disjointness."""
    n = math.prod(m.grid)
    ctx = set(m.ctx_idx.tolist())
    tgts = [set(t.tolist()) for t in m.tgt_idx]
    union = set().union(*tgts) if tgts else set()
    overlap = sum(len(t) for t in tgts) - len(union)
    return {
        "tokens": n,
        "context": len(ctx),
        "targets": len(union),
        "masked_fraction": 1 - len(ctx) / n,
        "target_overlap": overlap / max(sum(len(t) for t in tgts), 1),
        "disjoint": not (ctx & union),
    }


def tube_indices(spatial_idx: torch.Tensor, steps: int, per_step: int) -> torch.Tensor:
    """Token indices of a tube: the 2-D indices ``spatial_idx`` (on a grid of ``per_step = h*w`` tokens)
    repeated in each of ``steps`` time steps, time-major (step ``s`` holds ``s*per_step ...``).

    Introduced in notebook 05.
    """
    if steps < 1 or (spatial_idx.numel() and (spatial_idx.min() < 0 or spatial_idx.max() >= per_step)):
        raise ValueError(f"need steps >= 1 and spatial indices in 0..{per_step - 1}")
    return (torch.arange(steps)[:, None] * per_step + spatial_idx.flatten()[None]).flatten()


def leaked_tokens(ctx_idx: torch.Tensor, grid: Grid) -> torch.Tensor:
    """For context indices ``ctx_idx [B, Nc]`` on a ``(T, h, w)`` grid: ``[B, N]`` bool, True for the
    hidden tokens whose same place one time step earlier or later is in the context (a model can copy
    those instead of predicting them; none for tube masks).

    Introduced in notebook 05.
    """
    t, h, w = _grid(grid, (3,))
    ctx = torch.zeros(ctx_idx.shape[0], t * h * w, dtype=torch.bool, device=ctx_idx.device)
    ctx.scatter_(1, ctx_idx, True)
    ctx = ctx.view(-1, t, h * w)
    seen = torch.zeros_like(ctx)
    seen[:, 1:] |= ctx[:, :-1]
    seen[:, :-1] |= ctx[:, 1:]
    return (seen & ~ctx).flatten(1)


def neighbour_leak(m: MaskSample) -> float:
    """For a ``(T, h, w)`` mask: the fraction of target tokens whose same place in an adjacent
    time step is in the context (0 for tube masks; a model can copy the rest)."""
    tgt = torch.zeros(math.prod(m.grid), dtype=torch.bool)
    for x in m.tgt_idx:
        tgt[x] = True
    leaked = leaked_tokens(m.ctx_idx[None], m.grid)[0] & tgt
    tgt[m.ctx_idx] = False
    return float(leaked.sum() / tgt.sum().clamp(min=1))


VIDEO_MASKS = ("tube", "per_frame")


def sample_video_batch(kind: str, grid: Grid, batch: int, generator: torch.Generator,
                       keep_ratio: float = 0.25) -> MaskBatch:
    """Notebook 05's two video masks at the same context share ``keep_ratio`` per frame: ``tube`` (one
    random spatial mask repeated over time, V-JEPA's choice) or ``per_frame`` (a fresh one per time step);
    the target is every hidden token.

    Introduced in notebook 05.
    """
    if kind not in VIDEO_MASKS:
        raise ValueError(f"video mask must be one of {', '.join(VIDEO_MASKS)}, got {kind!r}")
    spatial = {"spatial": "random"} if kind == "tube" else {}
    return sample_batch(kind, grid, batch, generator, keep_ratio=keep_ratio, **spatial)


def coverage(strategy: str, grid: Grid, n: int, generator: torch.Generator, **params) -> torch.Tensor:
    """How often each grid cell is a target over ``n`` masks: ``grid``-shaped frequencies in [0, 1]."""
    _, tgt = masks(strategy, grid, n, generator, **params)
    return tgt.any(1).float().mean(0).reshape(grid)


# ----------------------------------------------------------------------------- feature masks

FEATURE_MASKS = ("none", "position", "velocity", "random_k", "all")


def sample_feature_mask(kind: str, dim: int = 4, generator: torch.Generator | None = None, k: int = 1) -> torch.Tensor:
    """Indices of the state features to hide, for states ``(x, y, vx, vy, ...)``.

    Args:
        kind: ``none``, ``position`` (x, y), ``velocity`` (vx, vy), ``random_k`` (any ``k`` dims,
            drawn with ``generator``) or ``all``.
    Returns:
        sorted ``[M]`` int64 indices.

    Introduced in notebook 02 (used in notebook 07).
    """
    if kind not in FEATURE_MASKS:
        raise ValueError(f"unknown feature mask {kind!r}; choose one of {', '.join(FEATURE_MASKS)}")
    if kind in ("position", "velocity") and dim < 4:
        raise ValueError(f"'{kind}' masking needs states of at least 4 dims (x, y, vx, vy), got {dim}")
    if kind == "none":
        return torch.zeros(0, dtype=torch.long)
    if kind == "position":
        return torch.tensor([0, 1])
    if kind == "velocity":
        return torch.tensor([2, 3])
    if kind == "all":
        return torch.arange(dim)
    if not 1 <= k <= dim:
        raise ValueError(f"k must be in 1..{dim} for random_k masking, got {k}")
    if generator is None:
        raise ValueError("random_k masking needs a torch.Generator")
    return torch.randperm(dim, generator=generator)[:k].sort().values


def apply_feature_mask(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Zero the features ``idx`` of states ``x [..., dim]`` (returns a copy)."""
    out = x.clone()
    out[..., idx] = 0
    return out
