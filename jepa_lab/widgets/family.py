"""Explorers of notebook 10: masks on a spectrogram, and a perturbation's predicted against true effect.

Introduced in notebook 10.
"""

from __future__ import annotations

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import masks, plots
from jepa_lab.datasets.audio import SOUND_CLASSES
from jepa_lab.widgets.base import Explorer, index_slider, slider


def spectrogram_mask_explorer(specs: torch.Tensor, labels: torch.Tensor, patch_size: int) -> Explorer:
    """Pick a sound, a mask kind, the number and width of the stripes and a seed; see the mask on the
    spectrogram's ``(frequency, time)`` token grid and how much of it the context keeps.

    Args:
        specs: log-mel spectrograms ``[N, 1, F, T]``; labels: ``[N]`` indices into ``SOUND_CLASSES``.
        patch_size: side of a time-frequency patch (must divide F and T).

    Introduced in notebook 10.
    """
    if specs.ndim != 4 or specs.shape[1] != 1:
        raise ValueError(f"specs must be spectrograms [N, 1, F, T], got {tuple(specs.shape)}")
    f, t = specs.shape[2] // patch_size, specs.shape[3] // patch_size
    if f * patch_size != specs.shape[2] or t * patch_size != specs.shape[3] or min(f, t) < 3:
        raise ValueError(f"patch_size {patch_size} must divide {tuple(specs.shape[2:])} into at least 3x3 tokens")

    def draw(fig: Figure, index: int, kind: str, num_targets: int, width: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        mb = masks.sample_spectrogram_batch(kind, (f, t), 1, g, num_targets=num_targets, width=(1, width))
        left, right = fig.subplots(1, 2)
        plots.plot_spectrogram(specs[index], ax=left, title=SOUND_CLASSES[int(labels[index])])
        plots.plot_spectrogram_mask(specs[index], (f, t), mb.ctx_idx[0], [x[0] for x in mb.tgt_idx], ax=right,
                                    title=f"{kind}: context {mb.ctx_idx.shape[1]} of {f * t} tokens")

    controls = {
        "index": index_slider(len(specs), "sound"),
        "kind": W.Dropdown(options=list(masks.SPECTROGRAM_MASKS), value="time_frequency", description="mask"),
        "num_targets": slider(W.IntSlider, value=2, min=1, max=4, description="targets"),
        "width": slider(W.IntSlider, value=1, min=1, max=min(f, t) - 1, description="max stripe width"),
        "seed": slider(W.IntSlider, value=0, min=0, max=99, description="seed"),
    }
    return Explorer(draw, controls, figsize=(8, 3.4))


def perturbation_explorer(changes: dict[str, torch.Tensor], module: torch.Tensor, names: list[str],
                          held_out: torch.Tensor) -> Explorer:
    """Pick a perturbation; see the true mean expression change of every gene next to the model's prediction
    (decoded from its predicted embedding) and the mean shift of the seen perturbations.

    Args:
        changes: ``{"true", "predicted", "mean shift"}``, each ``[P, G]`` mean changes per perturbation.
        module: ``[G]`` module of each gene (the plot groups genes by module).
        names: ``P`` labels of the perturbations; held_out: ``[P]`` bool.

    Introduced in notebook 10.
    """
    p = len(names)
    if any(len(v) != p for v in changes.values()) or len(held_out) != p or "true" not in changes:
        raise ValueError(f"changes (with a 'true' entry), names and held_out need one row per perturbation ({p})")
    options = [(f"{n} ({'held out' if h else 'seen'})", i) for i, (n, h) in enumerate(zip(names, held_out.tolist(),
                                                                                            strict=True))]

    def draw(fig: Figure, perturbation: int) -> None:
        ax = fig.subplots()
        true = changes["true"][perturbation]
        preds = {k: v[perturbation] for k, v in changes.items() if k != "true"}
        errs = ", ".join(f"{k} {(v - true).pow(2).mean():.4f}" for k, v in preds.items())
        plots.plot_expression_change(true, preds, module, ax=ax, title=f"{names[perturbation]} · squared error: {errs}")

    held_first = int(held_out.nonzero().flatten()[0]) if held_out.any() else 0
    controls = {"perturbation": W.Dropdown(options=options, value=held_first, description="knock down")}
    return Explorer(draw, controls, figsize=(9, 3.2))
