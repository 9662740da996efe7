"""Plots of images, tokens, clips, masks and attention.

Introduced in notebook 01.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from jepa_lab.plots.base import ensure_axes, montage, to_numpy_image
from jepa_lab.tokens import grid_size


def plot_images(
    images: torch.Tensor, labels: Sequence[str] | None = None, ncols: int = 8, ax: Axes | None = None
) -> Axes:
    """A grid of ``[N, C, H, W]`` images in one axes, with optional per-image labels."""
    ax = ensure_axes(ax, (ncols * 1.2, 1.4 * -(-len(images) // ncols)))
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
    ax = ensure_axes(ax)
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
    ax = ensure_axes(ax)
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
    ax = ensure_axes(ax, (5, 3.5))
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
    ax = ensure_axes(ax, (3, 3))
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
    ax = ensure_axes(ax, (1.3 * t, 1.8))
    ax.imshow(to_numpy_image(montage(clip.permute(1, 0, 2, 3), t, pad=2)))
    if tubelet:
        for k in range(0, t, tubelet):
            x0, x1 = k * (w + 2) - 1, (k + tubelet) * (w + 2) - 3
            ax.plot([x0, x1], [h + 2, h + 2], color="tab:orange", lw=3, clip_on=False)
            ax.text((x0 + x1) / 2, h + 4, f"tubelet {k // tubelet}", ha="center", va="top", fontsize=7)
    ax.set_axis_off()
    return ax


# --------------------------------------------------------------------- masks (notebook 02)

TARGET_COLOURS = ((1.0, 0.25, 0.25), (1.0, 0.8, 0.1), (0.3, 0.6, 1.0), (0.8, 0.35, 1.0),
                  (0.2, 0.9, 0.5), (1.0, 0.5, 0.0), (0.0, 0.9, 0.9), (1.0, 0.4, 0.7))


def mask_overlay(grid: tuple[int, int], ctx_idx: torch.Tensor, tgt_idx: Sequence[torch.Tensor],
                 patch_size: int = 1) -> torch.Tensor:
    """RGBA overlay ``[4, h*p, w*p]`` of one 2-D mask: context clear, targets tinted one colour
    each, tokens in neither darkened."""
    h, w = grid
    rgba = torch.zeros(4, h * w)
    rgba[3] = 0.75  # hidden and not predicted: dark
    for k, t in enumerate(tgt_idx):
        colour = TARGET_COLOURS[k % len(TARGET_COLOURS)]
        rgba[:3, t] = torch.tensor(colour)[:, None]
        rgba[3, t] = 0.55
    rgba[:, ctx_idx] = 0.0  # context: see-through
    rgba = rgba.reshape(4, h, w)
    return rgba.repeat_interleave(patch_size, 1).repeat_interleave(patch_size, 2)


def plot_mask(mask, image: torch.Tensor | None = None, ax: Axes | None = None, title: str | None = None) -> Axes:
    """A 2-D ``masks.MaskSample`` over an image ``[C, S, S]`` (or over a blank grid)."""
    ax = ensure_axes(ax, (3.2, 3.2))
    h, w = mask.grid
    p = 1 if image is None else image.shape[-1] // w
    if image is not None:
        ax.imshow(to_numpy_image(image))
    else:
        ax.imshow(np.full((h, w, 3), 0.92))
    ax.imshow(mask_overlay(mask.grid, mask.ctx_idx, mask.tgt_idx, p).permute(1, 2, 0).numpy())
    for k in range(0, w * p + 1, p):
        ax.axvline(k - 0.5, color="k", lw=0.3, alpha=0.4)
    for k in range(0, h * p + 1, p):
        ax.axhline(k - 0.5, color="k", lw=0.3, alpha=0.4)
    if title is not None:
        ax.set_title(title, fontsize=9)
    ax.set_axis_off()
    return ax


def plot_mask_frames(mask, clip: torch.Tensor, tubelet: int = 1, ax: Axes | None = None) -> Axes:
    """A ``(T', h, w)`` mask over the frames of a clip ``[C, T, S, S]``: one panel per frame."""
    nt, h, w = mask.grid
    c, t, s, _ = clip.shape
    p = s // w
    ax = ensure_axes(ax, (1.3 * t, 1.6))
    per = h * w
    overlays = []
    for f in range(t):
        step = f // tubelet
        ctx = mask.ctx_idx[(mask.ctx_idx // per) == step] % per
        tgts = [x[(x // per) == step] % per for x in mask.tgt_idx]
        overlays.append(mask_overlay((h, w), ctx, tgts, p))
    ax.imshow(to_numpy_image(montage(clip.permute(1, 0, 2, 3), t, pad=2)))
    over = montage(torch.stack(overlays), t, pad=2, fill=0.0)  # [4, S, T*(S+2)-2]
    ax.imshow(over.permute(1, 2, 0).numpy())
    for f in range(t):
        ax.text(f * (s + 2) + s / 2, -1, f"frame {f}", ha="center", va="bottom", fontsize=7)
    ax.set_axis_off()
    return ax


def plot_coverage(freq: torch.Tensor, ax: Axes | None = None, title: str = "how often each token is a target") -> Axes:
    """A ``[h, w]`` map of frequencies in [0, 1] with a colour bar."""
    ax = ensure_axes(ax, (3.6, 3))
    im = ax.imshow(freq.numpy(), cmap="magma", vmin=0, vmax=max(float(freq.max()), 1e-6))
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
    return ax


# --------------------------------------------------------------------- attention (notebook 03)

def plot_attention_on_image(image: torch.Tensor, weights: torch.Tensor, query: int, ax: Axes | None = None) -> Axes:
    """Where token ``query`` looks: its attention weights ``[N]`` over the image ``[C, S, S]``."""
    ax = ensure_axes(ax, (3.2, 3.2))
    n = weights.shape[0]
    side = int(round(n**0.5))
    p = image.shape[-1] // side
    heat = weights.reshape(side, side).repeat_interleave(p, 0).repeat_interleave(p, 1)
    ax.imshow(to_numpy_image(image))
    ax.imshow(heat.numpy(), cmap="inferno", alpha=0.6)
    r, c = divmod(query, side)
    ax.add_patch(Rectangle((c * p - 0.5, r * p - 0.5), p, p, fill=False, edgecolor="cyan", lw=2))
    ax.set_axis_off()
    return ax


def plot_attention_matrix(weights: torch.Tensor, ax: Axes | None = None) -> Axes:
    """An ``[N, N]`` attention matrix (rows: queries, columns: keys)."""
    ax = ensure_axes(ax, (3.2, 3.2))
    ax.imshow(weights.numpy(), cmap="viridis")
    ax.set_xlabel("key token")
    ax.set_ylabel("query token")
    return ax
