"""Plotting functions: ``plot_*(..., ax=None)`` draw on ``ax`` (or a new one) and return it.

Nothing here calls ``plt.show()`` or changes global style. Widgets pass their own axes.

Introduced in notebook 01.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes


def _axes(ax: Axes | None, figsize: tuple[float, float] = (4, 4)) -> Axes:
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


def plot_images(
    images: torch.Tensor, labels: Sequence[str] | None = None, ncols: int = 8, ax: Axes | None = None
) -> Axes:
    """A grid of ``[N, C, H, W]`` images in one axes, with optional per-image labels."""
    ax = _axes(ax, (ncols * 1.2, 1.4 * -(-len(images) // ncols)))
    h, w = images.shape[-2:]
    ax.imshow(to_numpy_image(montage(images, ncols, pad=2)), cmap="gray", vmin=0, vmax=1)
    if labels is not None:
        for i, text in enumerate(labels):
            r, k = divmod(i, ncols)
            ax.text(k * (w + 2) + 1, r * (h + 2) + 1, text, color="w", fontsize=7, va="top",
                    bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})
    ax.set_axis_off()
    return ax


def plot_patch_grid(image: torch.Tensor, patch_size: int, ax: Axes | None = None, numbers: bool = True) -> Axes:
    """An image ``[C, H, W]`` with its patch grid drawn and (if few) each token's index."""
    ax = _axes(ax)
    h, w = image.shape[-2:]
    ax.imshow(to_numpy_image(image), cmap="gray", vmin=0, vmax=1)
    for k in range(0, w + 1, patch_size):
        ax.axvline(k - 0.5, color="w", lw=0.8, alpha=0.8)
    for k in range(0, h + 1, patch_size):
        ax.axhline(k - 0.5, color="w", lw=0.8, alpha=0.8)
    gh, gw = h // patch_size, w // patch_size
    if numbers and gh * gw <= 64:
        for i in range(gh * gw):
            r, c = divmod(i, gw)
            ax.text(c * patch_size + 1, r * patch_size + 1, str(i), color="w", fontsize=7, va="top",
                    bbox={"facecolor": "black", "alpha": 0.5, "pad": 0.5, "linewidth": 0})
    ax.set_title(f"patch {patch_size}: {gh}x{gw} = {gh * gw} tokens")
    ax.set_axis_off()
    return ax


def plot_tokens(image: torch.Tensor, patch_size: int, ax: Axes | None = None) -> Axes:
    """The patches of one image ``[C, H, W]`` pulled apart, in token order (row-major)."""
    from jepa_lab.tokens import grid_size

    ax = _axes(ax)
    c = image.shape[0]
    gh, gw = grid_size(tuple(image.shape[-2:]), patch_size)
    patches = image.reshape(c, gh, patch_size, gw, patch_size).permute(1, 3, 0, 2, 4)
    ax.imshow(to_numpy_image(montage(patches.reshape(-1, c, patch_size, patch_size), gw, pad=1)))
    ax.set_title(f"{gh * gw} tokens of {patch_size}x{patch_size}x{c} = {patch_size**2 * c} values")
    ax.set_axis_off()
    return ax


def plot_scaling(
    x: Sequence[float], seconds: Sequence[float], ax: Axes | None = None, xlabel: str = "tokens N",
    slopes: Sequence[int] = (1, 2),
) -> Axes:
    """Measured time against size on log-log axes, with reference lines of the given slopes."""
    ax = _axes(ax, (5, 3.5))
    x, s = np.asarray(x, float), np.asarray(seconds, float)
    ax.loglog(x, s * 1e3, "o-", label="measured")
    for k in slopes:
        ax.loglog(x, s[-1] * 1e3 * (x / x[-1]) ** k, "--", alpha=0.5, label=f"~ N^{k}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("milliseconds")
    ax.legend()
    return ax


def plot_similarity_map(sim: torch.Tensor, index: int, ax: Axes | None = None) -> Axes:
    """An ``[h, w]`` similarity map with the reference position marked."""
    ax = _axes(ax, (3, 3))
    h, w = sim.shape
    ax.imshow(sim.numpy(), cmap="viridis", vmin=-1, vmax=1)
    r, c = divmod(index, w)
    ax.plot(c, r, "r+", ms=10, mew=2)
    ax.set_title(f"similarity to token {index} ({r}, {c})")
    ax.set_axis_off()
    return ax


def plot_clip(clip: torch.Tensor, tubelet: int | None = None, ax: Axes | None = None) -> Axes:
    """The frames of a clip ``[C, T, H, W]`` in a row; tubelets of ``tubelet`` frames bracketed."""
    c, t, h, w = clip.shape
    ax = _axes(ax, (1.3 * t, 1.8))
    ax.imshow(to_numpy_image(montage(clip.permute(1, 0, 2, 3), t, pad=2)))
    if tubelet:
        for k in range(0, t, tubelet):
            x0, x1 = k * (w + 2) - 1, (k + tubelet) * (w + 2) - 3
            ax.plot([x0, x1], [h + 2, h + 2], color="tab:orange", lw=3, clip_on=False)
            ax.text((x0 + x1) / 2, h + 4, f"tubelet {k // tubelet}", ha="center", va="top", fontsize=7)
    ax.set_axis_off()
    return ax
