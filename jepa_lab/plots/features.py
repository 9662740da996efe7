"""Plots of what features encode: patch features as colours, variance per principal component, latents
in a plane (notebooks 04 and 07).

Introduced in notebook 04.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from jepa_lab.plots.base import ensure_axes, to_numpy_image


def plot_pca_rgb(rgb: torch.Tensor, size: int | None = None, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """One image's patch features as colours ``[3, h, w]`` (from ``evaluate.pca_rgb``), upsampled to
    ``size`` pixels a side (an image's, to sit beside it)."""
    ax = ensure_axes(ax, (3.2, 3.2))
    h = rgb.shape[-1]
    s = size or h
    up = rgb.repeat_interleave(s // h, 1).repeat_interleave(s // h, 2)
    ax.imshow(to_numpy_image(up))
    if title is not None:
        ax.set_title(title, fontsize=9)
    ax.set_axis_off()
    return ax


def plot_explained_variance(shares: Sequence[float], highlight: Sequence[int] = (), ax: Axes | None = None,
                            colours: Sequence = ("tab:red", "tab:green", "tab:blue")) -> Axes:
    """The share of variance of each principal component (bars), the ``highlight`` ones coloured."""
    ax = ensure_axes(ax, (3.5, 3))
    shares = np.asarray(shares, float)
    bar_colours = ["0.75"] * len(shares)
    for c, k in zip(colours, highlight, strict=False):
        if 0 <= k < len(shares):
            bar_colours[k] = c
    ax.bar(np.arange(1, len(shares) + 1), shares, color=bar_colours)
    ax.set(xlabel="principal component", ylabel="share of variance")
    return ax


def plot_latent_plane(points: torch.Tensor, colour: torch.Tensor, path: torch.Tensor | None = None,
                      current: int | None = None, labels: tuple[str, str] = ("", ""), colour_label: str = "",
                      ax: Axes | None = None) -> Axes:
    """Latents ``[N, 2]`` as dots coloured by ``colour [N]``, with one trajectory's ``path [L, 2]`` as a
    line and its point ``current`` ringed."""
    ax = ensure_axes(ax, (4, 3.6))
    sc = ax.scatter(points[:, 0], points[:, 1], c=colour, s=3, cmap="viridis", alpha=0.6, linewidths=0)
    ax.figure.colorbar(sc, ax=ax, fraction=0.046, label=colour_label)
    if path is not None:
        ax.plot(path[:, 0], path[:, 1], "-", color="k", lw=1)
        if current is not None:
            ax.plot(path[current, 0], path[current, 1], "o", ms=9, mfc="none", mec="tab:red", mew=2)
    ax.set(xlabel=labels[0], ylabel=labels[1])
    return ax
