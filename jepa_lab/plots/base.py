"""What every plot shares: axes on demand, tensors as images, image montages.

Introduced in notebook 01.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes


def ensure_axes(ax: Axes | None, figsize: tuple[float, float] = (4, 4)) -> Axes:
    """``ax`` itself, or a new axes of ``figsize`` on a new pyplot figure (notebook use)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller gave no axes (notebook use)

    _, ax = plt.subplots(figsize=figsize)
    return ax


def to_numpy_image(x: torch.Tensor) -> np.ndarray:
    """``[C, H, W]`` tensor in [0, 1] -> ``[H, W, C]`` (or ``[H, W]`` if C == 1) array."""
    x = x.detach().float().cpu().clamp(0, 1)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


def montage(images: torch.Tensor, ncols: int, pad: int = 1, fill: float = 1.0) -> torch.Tensor:
    """Tile ``[N, C, H, W]`` images into one ``[C, rows*(H+pad)-pad, ncols*(W+pad)-pad]`` image."""
    n, c, h, w = images.shape
    rows = -(-n // ncols)
    out = torch.full((c, rows * (h + pad) - pad, ncols * (w + pad) - pad), fill)
    for i in range(n):
        r, k = divmod(i, ncols)
        out[:, r * (h + pad): r * (h + pad) + h, k * (w + pad): k * (w + pad) + w] = images[i]
    return out
