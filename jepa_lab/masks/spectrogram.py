"""Time-frequency-aware masks for spectrogram tokens on a ``(frequency, time)`` grid (rows are frequency bands,
low first; columns are time steps).

A spectrogram is not an image: a sound is a pattern that moves along time and lives in a band of
frequencies, and neighbouring patches along either axis are strongly correlated. So the targets are
whole **time stripes** (every frequency over a few time steps: what happens next?) and whole **frequency
bands** (every time step in a few bands: what does this pitch range hold?), as in SpecAugment and A-JEPA's
time-frequency-aware masking; ``"multiblock"`` is I-JEPA's image mask, for comparison.

Introduced in notebook 10.
"""

from __future__ import annotations

import torch

from jepa_lab.masks.core import Grid, check_grid
from jepa_lab.masks.indices import MaskBatch, collate, sample_batch

SPECTROGRAM_MASKS = ("time", "frequency", "time_frequency", "multiblock")


def band_indices(grid: tuple[int, int], start: int, height: int, axis: str = "frequency") -> torch.Tensor:
    """Sorted token indices of a frequency band (rows ``start .. start+height-1``, every time step) or, with
    ``axis="time"``, of a time stripe (columns ``start .. start+height-1``, every band) of a row-major grid.

    Introduced in notebook 10.
    """
    f, t = check_grid(grid, (2,))
    size = f if axis == "frequency" else t
    if axis not in ("frequency", "time"):
        raise ValueError(f"axis must be 'frequency' or 'time', got {axis!r}")
    if not (0 <= start and 1 <= height and start + height <= size):
        raise ValueError(f"a {axis} band {start}..{start + height - 1} does not fit the {size} {axis} steps")
    rows, cols = (torch.arange(start, start + height), torch.arange(t)) if axis == "frequency" else \
        (torch.arange(f), torch.arange(start, start + height))
    return (rows[:, None] * t + cols[None, :]).flatten()


def masks_stripes(grid: Grid, batch: int, g: torch.Generator, *, kind: str = "time_frequency",
                  num_targets: int = 2, width: tuple[int, int] = (1, 2)) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks of ``num_targets`` stripes per spectrogram: ``ctx [B, N]`` (everything not hidden) and
    ``tgt [B, K, N]``. ``kind``: ``"time"`` stripes, ``"frequency"`` bands, or ``"time_frequency"`` (targets
    alternate: time stripe, frequency band, ...). Each stripe is ``width[0] .. width[1]`` tokens wide."""
    f, t = check_grid(grid, (2,))
    if kind not in ("time", "frequency", "time_frequency"):
        raise ValueError(f"stripe kind must be 'time', 'frequency' or 'time_frequency', got {kind!r}")
    if num_targets < 1:
        raise ValueError(f"num_targets must be at least 1, got {num_targets}")
    if not 1 <= width[0] <= width[1] or width[1] >= min(f, t):
        raise ValueError(f"width must be (low, high) with 1 <= low <= high < {min(f, t)} (the grid's short side), "
                         f"got {width}")
    rows = torch.arange(f)[:, None].expand(f, t).flatten()  # [N] band of each token
    cols = torch.arange(t)[None, :].expand(f, t).flatten()  # [N] time step of each token
    tgt = torch.zeros(batch, num_targets, f * t, dtype=torch.bool)
    for k in range(num_targets):
        along_time = kind == "time" or (kind == "time_frequency" and k % 2 == 0)
        size, pos = (t, cols) if along_time else (f, rows)
        w = torch.randint(width[0], width[1] + 1, (batch,), generator=g)
        start = (torch.rand(batch, generator=g) * (size - w + 1)).long()
        tgt[:, k] = (pos[None] >= start[:, None]) & (pos[None] < (start + w)[:, None])
    ctx = ~tgt.any(1)
    if (ctx.sum(1) == 0).any():
        raise ValueError(f"the stripes hid the whole {f}x{t} grid: lower num_targets={num_targets} or width={width}")
    return ctx, tgt


def sample_spectrogram_batch(kind: str, grid: Grid, batch: int, generator: torch.Generator, *,
                             num_targets: int = 2, width: tuple[int, int] = (1, 2)) -> MaskBatch:
    """A collated batch of spectrogram masks (index tensors, as every mask of the course).

    Args:
        kind: one of ``SPECTROGRAM_MASKS``; ``"multiblock"`` draws I-JEPA's blocks (``num_targets`` of them).
        grid: ``(frequency bands, time steps)`` of the token grid.
        num_targets, width: stripes per spectrogram and their width range in tokens.
    Returns:
        ``MaskBatch`` with ``ctx_idx [B, Nc]`` and ``num_targets`` tensors ``tgt_idx[k] [B, Nt_k]``.

    Introduced in notebook 10.
    """
    if kind not in SPECTROGRAM_MASKS:
        raise ValueError(f"spectrogram mask must be one of {', '.join(SPECTROGRAM_MASKS)}, got {kind!r}")
    if kind == "multiblock":
        return sample_batch("multiblock", grid, batch, generator, num_targets=num_targets, min_context=4)
    ctx, tgt = masks_stripes(grid, batch, generator, kind=kind, num_targets=num_targets, width=width)
    return collate(ctx, tgt, generator, tuple(grid))
