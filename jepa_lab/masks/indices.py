"""Masks as index tensors (I-JEPA's insight: drop masked tokens, do not pad) and the batch collator.

- ``MaskSample``: one mask: ``ctx_idx [Nc]`` and a list of K target index sets ``[Nt_k]``.
- ``MaskBatch``: a batch of masks made equal-length by the collator: ``ctx_idx [B, Nc]`` and
  K tensors ``tgt_idx[k] [B, Nt_k]``, plus how much the collator truncated.

Introduced in notebook 02.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from jepa_lab.masks.core import Grid, boolean_masks


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


def sample(strategy: str, grid: Grid, generator: torch.Generator, **params) -> MaskSample:
    """One mask of ``strategy`` as index tensors (no truncation).

    Example: ``sample("multiblock", (14, 14), torch.Generator().manual_seed(0), num_targets=4)``.
    """
    ctx, tgt = boolean_masks(strategy, grid, 1, generator, **params)
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
    ctx, tgt = boolean_masks(strategy, grid, batch, generator, **params)
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


# Named samplers (the glossary's ``sample_*``), one per strategy, all ``(grid, generator, *, params)``.
def sample_random(grid: Grid, generator: torch.Generator, *, keep_ratio: float = 0.25) -> MaskSample:
    """Random masking: keep ``keep_ratio`` of the tokens as context."""
    return sample("random", grid, generator, keep_ratio=keep_ratio)


def sample_block(grid: Grid, generator: torch.Generator, *, block: int | tuple[int, int] = 4) -> MaskSample:
    """One square (or ``(bh, bw)``) target block; context is the rest."""
    return sample("block", grid, generator, block=block)


def sample_multiblock(grid: Grid, generator: torch.Generator, **params) -> MaskSample:
    """I-JEPA multi-block masking (see ``core.masks_multiblock`` for the parameters)."""
    return sample("multiblock", grid, generator, **params)


def sample_tube(grid: Grid, generator: torch.Generator, **params) -> MaskSample:
    """V-JEPA tube masking on a ``(T, h, w)`` grid (see ``core.masks_tube``)."""
    return sample("tube", grid, generator, **params)


def remove_targets(ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
    """Context indices that are in no target set (sorted): the model must not see what it predicts."""
    if not tgt_idx:
        return ctx_idx.sort().values
    hidden = torch.cat(tgt_idx)
    return ctx_idx[~torch.isin(ctx_idx, hidden)].sort().values


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
