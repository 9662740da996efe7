"""Feature masks for state vectors ``(x, y, vx, vy, ...)``: which features a context loses.

Introduced in notebook 02 (used in notebook 07).
"""

from __future__ import annotations

import torch

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
