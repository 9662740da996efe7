"""Plots of training and evaluation: loss curves, probes, feature pictures, collapse monitors.

Introduced in notebook 04.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from jepa_lab.plots.base import ensure_axes, montage, to_numpy_image

# --------------------------------------------------------------------- training and I-JEPA (notebook 04)

def plot_history(history: dict[str, list[float]], ax: Axes | None = None, label: str = "loss") -> Axes:
    """Training loss against step (log scale) from a ``train.fit`` history."""
    ax = ensure_axes(ax, (5, 3.2))
    ax.plot(history["step"], history["loss"], label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=8)
    return ax


def plot_probe_bars(accuracy: Mapping[str, float], chance: float | None = None, ax: Axes | None = None,
                    xlabel: str = "held-out linear-probe accuracy") -> Axes:
    """One horizontal bar per encoder (top to bottom in ``accuracy``'s order), with chance dotted."""
    ax = ensure_axes(ax, (6, 2.6))
    ax.barh(list(accuracy), list(accuracy.values()), color="tab:blue")
    if chance is not None:
        ax.axvline(chance, color="k", ls=":", label=f"chance ({chance:.2f})")
        ax.legend(fontsize=8)
    ax.set_xlabel(xlabel)
    ax.invert_yaxis()
    return ax


def plot_probe_groups(results: Mapping[str, Mapping[str, float]], labels: Sequence[str],
                      ax: Axes | None = None, ylabel: str = "held-out probe accuracy") -> Axes:
    """Grouped bars: one group per label (direction, speed...), one bar per encoder (``results`` rows)."""
    ax = ensure_axes(ax, (8, 2.8))
    width = 0.8 / len(results)
    for i, (row, r) in enumerate(results.items()):
        ax.bar([j + i * width for j in range(len(labels))], [r[k] for k in labels], width, label=row)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(labels))], list(labels))
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncols=2)
    return ax


def plot_pca_maps(images: torch.Tensor, rgb: torch.Tensor, ax: Axes | None = None) -> Axes:
    """Images ``[N, C, S, S]`` above their patch features' first three principal components as RGB
    ``[N, 3, h, w]`` (from ``evaluate.pca_rgb``), upsampled to the image size."""
    n, _, s, _ = images.shape
    ax = ensure_axes(ax, (1.2 * n, 2.6))
    up = rgb.repeat_interleave(s // rgb.shape[-1], 2).repeat_interleave(s // rgb.shape[-1], 3)
    ax.imshow(to_numpy_image(montage(torch.cat([images[:, :3], up]), n, pad=2)))
    ax.set_axis_off()
    return ax


def plot_neighbours(queries: torch.Tensor, bank: torch.Tensor, idx: torch.Tensor, ax: Axes | None = None) -> Axes:
    """Each query image ``[Q, C, S, S]`` (left column) followed by its neighbours ``bank[idx[q]]``."""
    q, k = idx.shape
    ax = ensure_axes(ax, (1.1 * (k + 1), 1.1 * q))
    rows = torch.cat([torch.cat([queries[i: i + 1], bank[idx[i]]]) for i in range(q)])
    ax.imshow(to_numpy_image(montage(rows, k + 1, pad=2)))
    s = queries.shape[-1]
    ax.axvline(s + 0.5, color="tab:red", lw=2)
    ax.set_axis_off()
    return ax


def plot_prediction_error(image: torch.Tensor, mask, error: torch.Tensor, ax: Axes | None = None,
                          vmax: float | None = None) -> Axes:
    """The predictor's per-token error ``[N]`` (NaN where no target) as a heat map over the image,
    with the context tokens outlined."""
    ax = ensure_axes(ax, (3.2, 3.2))
    h, w = mask.grid
    p = image.shape[-1] // w
    heat = error.reshape(h, w).repeat_interleave(p, 0).repeat_interleave(p, 1)
    ax.imshow(to_numpy_image(image))
    im = ax.imshow(heat.numpy(), cmap="inferno", alpha=0.75, vmin=0,
                   vmax=vmax if vmax is not None else float(np.nanmax(heat.numpy())))
    for t in mask.ctx_idx.tolist():
        r, c = divmod(t, w)
        ax.add_patch(Rectangle((c * p - 0.5, r * p - 0.5), p, p, fill=False, edgecolor="cyan", lw=0.8))
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    ax.set_axis_off()
    return ax


# --------------------------------------------------------------------- collapse (notebook 06)

def plot_monitor(runs: dict[str, dict], key: str = "feature_std", ax: Axes | None = None,
                 highlight: str | None = None, reference: float | None = None, legend: bool = True) -> Axes:
    """One collapse-monitor metric against step for several runs (``collapse.run`` results); with
    ``highlight``, that run is drawn bold and the others grey; ``reference`` draws a dotted level.
    A legend of more than three entries goes outside the axes, on the right, so it covers no curve;
    ``legend=False`` leaves it out (e.g. on the first of two panels that share it)."""
    ax = ensure_axes(ax, (5.5, 3.4))
    for name, r in runs.items():
        steps = [m["step"] for m in r["history"]["monitor"]]
        values = [m[key] for m in r["history"]["monitor"]]
        style = {} if highlight is None else ({"lw": 2.5, "zorder": 3} if name == highlight
                                               else {"color": "0.75", "lw": 1})
        ax.plot(steps, values, label=name if highlight in (None, name) else None, **style)
    if reference is not None:
        ax.axhline(reference, color="k", ls=":", lw=1, label="random init")
    if key == "feature_std":
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(key.replace("_", " "))
    if legend:
        place_legend(ax)
    return ax


def place_legend(ax: Axes, fontsize: float = 7) -> None:
    """A legend where it covers no data: the best spot inside for up to three entries, else outside on the right."""
    n = len(ax.get_legend_handles_labels()[1])
    if n > 3:
        ax.legend(fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, frameon=False)
    elif n:
        ax.legend(fontsize=fontsize, loc="best")


SPECTRUM_FLOOR = 1e-6  # components below this share of the first are numerical zeros, not drawn


def plot_spectra(spectra: dict[str, Sequence[float]], ax: Axes | None = None, highlight: str | None = None) -> Axes:
    """Normalised singular-value spectra (``evaluate.spectrum``), log scale: a collapsed run's falls off a cliff.

    Components below ``SPECTRUM_FLOOR`` of a spectrum's first are not drawn (the last one of centred features
    is a numerical zero, ~1e-8, that would squeeze the axis); the x label says so.
    """
    ax = ensure_axes(ax, (4.5, 3.4))
    for name, s in spectra.items():
        s = np.asarray(s, dtype=float)
        keep = np.flatnonzero(s >= SPECTRUM_FLOOR * s[0]) if len(s) and s[0] > 0 else np.arange(0)
        style = {} if highlight is None or name == highlight or name == "random init" else {"color": "0.8", "lw": 1}
        ax.semilogy(keep + 1, s[keep], label=name if not style else None, **style)
    ax.set_xlabel(f"component (below {SPECTRUM_FLOOR:g} of the first: not drawn)")
    ax.set_ylabel("share of singular values")
    place_legend(ax)
    return ax
