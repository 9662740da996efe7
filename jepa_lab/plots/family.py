"""Plots of notebook 10: spectrograms with their masks, expression changes of a perturbation, error bars.

Introduced in notebook 10.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.axes import Axes

from jepa_lab.plots.base import ensure_axes
from jepa_lab.plots.images import mask_overlay


def plot_spectrogram(spec: torch.Tensor, ax: Axes | None = None, title: str | None = None) -> Axes:
    """A log-mel spectrogram ``[1, F, T]`` (or ``[F, T]``): time across, frequency up (low bands at the bottom)."""
    ax = ensure_axes(ax, (3.2, 3))
    spec = spec.detach().float().cpu()
    ax.imshow(spec[0] if spec.ndim == 3 else spec, origin="lower", aspect="auto", cmap="magma")
    ax.set(xlabel="time step", ylabel="mel band", title=title)
    return ax


def plot_spectrogram_mask(spec: torch.Tensor, grid: tuple[int, int], ctx_idx: torch.Tensor,
                          tgt_idx: Sequence[torch.Tensor], ax: Axes | None = None, title: str | None = None) -> Axes:
    """A spectrogram with one mask on its ``(frequency, time)`` token grid: context clear, each target tinted,
    tokens in neither darkened (the grid's row 0 is the lowest band, drawn at the bottom)."""
    ax = plot_spectrogram(spec, ax, title)
    p = spec.shape[-1] // grid[1]
    overlay = mask_overlay(grid, ctx_idx, tgt_idx, p)  # [4, F, T], row 0 = lowest band
    ax.imshow(overlay.permute(1, 2, 0).numpy(), origin="lower", aspect="auto")
    return ax


def plot_expression_change(true: torch.Tensor, predicted: Mapping[str, torch.Tensor], module: torch.Tensor,
                           ax: Axes | None = None, title: str | None = None) -> Axes:
    """Mean expression change per gene ``[G]`` (genes ordered by module, modules shaded) of one perturbation:
    the truth as bars, each prediction as a line."""
    ax = ensure_axes(ax, (9, 3))
    order = torch.argsort(module, stable=True)
    x = torch.arange(len(order))
    for m in range(int(module.max()) + 1):
        where = (module[order] == m).nonzero().flatten()
        if m % 2:
            ax.axvspan(float(where.min()) - 0.5, float(where.max()) + 0.5, color="0.92", zorder=0)
    ax.bar(x.numpy(), true[order].numpy(), color="0.4", label="true change")
    for (name, pred), colour in zip(predicted.items(), ("tab:red", "tab:blue", "tab:green"), strict=False):
        ax.plot(x.numpy(), pred[order].numpy(), color=colour, lw=1.2, label=name)
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xlabel="gene (grouped by module, shaded alternately)", ylabel="mean change (log expression)", title=title)
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_error_bars(errors: Mapping[str, float], spread: Mapping[str, float] | None = None, ax: Axes | None = None,
                    xlabel: str = "error on held-out perturbations") -> Axes:
    """One horizontal bar per row of ``errors`` (top to bottom), with optional spreads as error bars."""
    ax = ensure_axes(ax, (6, 2.2))
    names = list(errors)
    ax.barh(names, [errors[n] for n in names], xerr=[spread[n] for n in names] if spread else None,
            color="tab:blue", capsize=3)
    ax.set_xlabel(xlabel)
    ax.invert_yaxis()
    return ax
