"""Video masks: tubes against fresh per-frame masks, and the tokens a model could copy instead of
predicting.

Introduced in notebook 05.
"""

from __future__ import annotations

import math

import torch

from jepa_lab.masks.core import Grid, check_grid, masks_multiblock3d
from jepa_lab.masks.indices import MaskBatch, MaskSample, collate, sample_batch


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
    t, h, w = check_grid(grid, (3,))
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


VIDEO_MASKS = ("tube", "per_frame", "multiblock3d")
# V-JEPA's two multi-block settings, each block spanning every time step: 8 small blocks (short range) or
# 2 large ones (long range); one of the two is drawn per batch, as V-JEPA alternates its mask generators
MULTIBLOCK3D = ({"num_targets": 8, "spatial_scale": (0.15, 0.15)}, {"num_targets": 2, "spatial_scale": (0.7, 0.7)})


def sample_video_batch(kind: str, grid: Grid, batch: int, generator: torch.Generator,
                       keep_ratio: float = 0.25) -> MaskBatch:
    """Notebook 05's video masks; the target is every hidden token. ``tube``: one random spatial mask
    repeated over time, with a ``keep_ratio`` share of each frame visible; ``per_frame``: a fresh one per
    time step, same share; ``multiblock3d``: V-JEPA's own masks (``MULTIBLOCK3D``), blocks that span every
    time step and hide most of the clip (``keep_ratio`` does not apply: the blocks set the context).

    Introduced in notebook 05.
    """
    if kind not in VIDEO_MASKS:
        raise ValueError(f"video mask must be one of {', '.join(VIDEO_MASKS)}, got {kind!r}")
    if kind == "multiblock3d":
        setting = MULTIBLOCK3D[int(torch.randint(len(MULTIBLOCK3D), (), generator=generator))]
        ctx, tgt = masks_multiblock3d(tuple(grid), batch, generator, **setting)
        return collate(ctx, tgt.any(1, keepdim=True), generator, grid)
    spatial = {"spatial": "random"} if kind == "tube" else {}
    return sample_batch(kind, grid, batch, generator, keep_ratio=keep_ratio, **spatial)
