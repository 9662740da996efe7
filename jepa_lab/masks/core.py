"""The vectorised cores of every mask strategy: whole batches of boolean masks at once.

``boolean_masks(strategy, grid, batch, generator)`` returns context ``[B, N]`` and targets ``[B, K, N]``
as booleans; ``jepa_lab.masks.indices`` turns them into the index tensors the models take. Strategies
(``STRATEGIES``), on a grid ``(h, w)`` of image tokens or ``(T, h, w)`` of tubelets: ``random``,
``block``, ``multiblock`` (I-JEPA), ``tube`` (V-JEPA: one 2-D mask for all frames), ``multiblock3d``
(V-JEPA's 3-D blocks), ``per_frame`` (a fresh random mask per frame, the shortcut V-JEPA avoids).
Sampling thousands of masks is cheap; see ``python -m jepa_lab.bench masks``.

Introduced in notebook 02.
"""

from __future__ import annotations

import math

import torch

Grid = tuple[int, ...]


# ----------------------------------------------------------------------------- validation

def check_grid(grid: Grid, dims: tuple[int, ...] = (2, 3)) -> Grid:
    """``grid`` as a tuple of positive ints with one of ``dims`` entries, else ``ValueError``."""
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
    n = math.prod(check_grid(grid))
    ctx = _random_keep(n, batch, _keep_count(n, keep_ratio), g)
    return ctx, (~ctx)[:, None]


def masks_block(grid: Grid, batch: int, g: torch.Generator, *, block: int | tuple[int, int] = 4):
    """One target block of ``block`` (or ``(bh, bw)``) tokens at a random place; context: the rest."""
    h, w = check_grid(grid, (2,))
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
    h, w = check_grid(grid, (2,))
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
    t, h, w = check_grid(grid, (3,))
    if spatial not in ("random", "block", "multiblock"):
        raise ValueError(f"spatial must be 'random', 'block' or 'multiblock', got {spatial!r}")
    ctx, tgt = CORES[spatial]((h, w), batch, g, **params)
    return ctx.repeat(1, t), tgt.repeat(1, 1, t)  # time-major: frame f holds indices f*h*w ...


def masks_multiblock3d(
    grid: Grid, batch: int, g: torch.Generator, *, num_targets: int = 8,
    spatial_scale: tuple[float, float] = (0.15, 0.15), aspect: tuple[float, float] = (0.75, 1.5),
    temporal_scale: tuple[float, float] = (1.0, 1.0), min_context: int = 4, max_tries: int = 20,
):
    """V-JEPA multi-block: K blocks spanning a ``temporal_scale`` fraction of the frames; the
    context is everything not in a target."""
    t, h, w = check_grid(grid, (3,))
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
    t, h, w = check_grid(grid, (3,))
    keep = _keep_count(h * w, keep_ratio)
    ctx = _random_keep(h * w, batch * t, keep, g).reshape(batch, t * h * w)
    return ctx, (~ctx)[:, None]


CORES = {
    "random": masks_random, "block": masks_block, "multiblock": masks_multiblock,
    "tube": masks_tube, "multiblock3d": masks_multiblock3d, "per_frame": masks_per_frame,
}
STRATEGIES = tuple(CORES)


def boolean_masks(strategy: str, grid: Grid, batch: int, generator: torch.Generator, **params):
    """Boolean masks of a strategy: context ``[B, N]`` and targets ``[B, K, N]``.

    Raises:
        ValueError: unknown strategy or invalid parameters (the message names the parameter).
    """
    if strategy not in CORES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    return CORES[strategy](tuple(grid), batch, generator, **params)


def block_indices(grid: tuple[int, int], top: int, left: int, bh: int, bw: int) -> torch.Tensor:
    """Sorted token indices of the ``bh x bw`` block whose top-left token is ``(top, left)``."""
    h, w = check_grid(grid, (2,))
    if not (0 <= top and 0 <= left and bh >= 1 and bw >= 1 and top + bh <= h and left + bw <= w):
        raise ValueError(f"block at ({top}, {left}) of size {bh}x{bw} does not fit the {h}x{w} grid")
    t = torch.tensor
    return _rect_masks((h, w), t(top), t(left), t(bh), t(bw)).nonzero().flatten()


def coverage(strategy: str, grid: Grid, n: int, generator: torch.Generator, **params) -> torch.Tensor:
    """How often each grid cell is a target over ``n`` masks: ``grid``-shaped frequencies in [0, 1]."""
    _, tgt = boolean_masks(strategy, grid, n, generator, **params)
    return tgt.any(1).float().mean(0).reshape(grid)
