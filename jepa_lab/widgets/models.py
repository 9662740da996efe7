"""Explorers of trained JEPA models: the predictor's error on images and clips, the collapse sweep
(notebooks 04-06).

Introduced in notebook 04.
"""

from __future__ import annotations

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import evaluate, masks, plots
from jepa_lab.widgets.base import Explorer, index_slider, slider


def predictor_explorer(model, images: torch.Tensor, num_targets: int = 4, min_context: int = 4) -> Explorer:
    """Pick an image and a multi-block mask; see the predictor's per-token error on the targets.

    Args:
        model: a trained ``jepa.JEPA`` on 2-D images; images: ``[N, C, S, S]`` it accepts (N >= 2).
    Left: the mask over the image. Right: the per-token latent error (brighter = worse) with the
    context outlined. The title compares the predicted features' cosine similarity to the real
    targets with the same predictor given another image's context.

    Introduced in notebook 04.
    """
    if len(images) < 2:
        raise ValueError("predictor_explorer needs at least two images (the baseline borrows another's context)")
    grid = model.context_encoder.grid
    if len(grid) != 2:
        raise ValueError("predictor_explorer needs an image model (2-D token grid)")
    was_training = model.training
    model.eval()
    scale = evaluate.prediction_quality(model, images[:2], *_pair_mask(grid, 0, num_targets, min_context)[:2])
    vmax = float(torch.nan_to_num(scale["error_other"], nan=0.0).max()) or 1.0  # one colour scale for all
    model.train(was_training)

    def draw(fig: Figure, index: int, seed: int, targets: int) -> None:
        ctx, tgt, m = _pair_mask(grid, seed, targets, min_context)
        pair = torch.stack([images[index], images[(index + 1) % len(images)]])
        model.eval()
        q = evaluate.prediction_quality(model, pair, ctx, tgt)
        model.train(was_training)
        left, right = fig.subplots(1, 2)
        plots.plot_mask(m, images[index], ax=left, title="context (clear) and targets")
        plots.plot_prediction_error(images[index], m, q["error"][0], ax=right, vmax=vmax)
        right.set_title("predictor error per target token", fontsize=9)
        own = ", ".join(f"{c:.2f}" for c in q["cosine"].tolist())
        fig.suptitle(f"cosine(predicted, actual) per block: {own} · with another image's context: "
                     f"{q['cosine_other'].mean():.2f}", fontsize=9)

    controls = {
        "index": index_slider(len(images), "image"),
        "seed": slider(W.IntSlider, value=0, min=0, max=999, description="mask seed"),
        "targets": slider(W.IntSlider, value=min(num_targets, 4), min=1, max=max(num_targets, 4),
                           description="target blocks"),
    }
    return Explorer(draw, controls, figsize=(8, 4))


def _pair_mask(grid, seed: int, num_targets: int, min_context: int):
    """One I-JEPA multi-block mask as index tensors for a pair of images, and the ``MaskSample`` to draw."""
    m = masks.sample("multiblock", grid, torch.Generator().manual_seed(seed), num_targets=num_targets,
                     min_context=min_context)
    return m.ctx_idx.expand(2, -1), [t.expand(2, -1) for t in m.tgt_idx], m


def clip_explorer(model, clips: torch.Tensor, keep_ratio: float = 0.25) -> Explorer:
    """Scrub through a clip frame by frame with its mask and the predictor's per-token error.

    Args:
        model: a trained video ``jepa.JEPA`` (3-D token grid); clips: ``[N, C, T, S, S]`` it accepts
            (N >= 2: the title's baseline borrows the next clip's context).
        keep_ratio: the context share per frame (clamped to [0.1, 0.9] by the slider).
    Controls: the clip, the frame, the mask kind (``tube`` or ``per_frame``) and the mask seed. Left:
    the frame with its mask (context clear). Right: the latent error of each hidden token of that
    frame's time step, on one colour scale for every setting.

    Introduced in notebook 05.
    """
    grid = model.context_encoder.grid
    if len(grid) != 3:
        raise ValueError("clip_explorer needs a video model (3-D token grid)")
    if clips.ndim != 5 or len(clips) < 2:
        raise ValueError(f"clip_explorer needs at least two clips [N, C, T, S, S], got {tuple(clips.shape)}")
    tubelet, per = model.context_encoder.patch_embed.tubelet, grid[1] * grid[2]
    cache: dict[tuple, tuple] = {}

    def errors(index: int, kind: str, keep: float, seed: int):
        key = (index, kind, round(keep, 3), seed)
        if key not in cache:
            mb = masks.sample_video_batch(kind, grid, 1, torch.Generator().manual_seed(seed), keep_ratio=keep)
            ctx, tgt = mb.ctx_idx.expand(2, -1), [t.expand(2, -1) for t in mb.tgt_idx]
            was_training = model.training
            model.eval()
            q = evaluate.prediction_quality(model, clips[[index, (index + 1) % len(clips)]], ctx, tgt)
            model.train(was_training)
            copyable = masks.leaked_tokens(mb.ctx_idx, grid)[0]
            cache[key] = (mb.ctx_idx[0], q["error"][0], copyable, float(q["error_other"][0].nanmean()))
        return cache[key]

    vmax = float(torch.nan_to_num(errors(0, "tube", keep_ratio, 0)[1], nan=0.0).max()) or 1.0

    def draw(fig: Figure, index: int, frame: int, mask: str, keep_ratio: float, seed: int) -> None:
        ctx, err, copyable, other = errors(index, mask, keep_ratio, seed)
        step = frame // tubelet
        here = slice(step * per, (step + 1) * per)
        ctx_here = ctx[(ctx >= here.start) & (ctx < here.stop)] - here.start
        hidden = (~err[here].isnan()).nonzero().flatten()
        m = masks.MaskSample(ctx_here, [hidden], grid[1:])
        image = clips[index][:, frame]
        left, right = fig.subplots(1, 2)
        plots.plot_mask(m, image, ax=left, title=f"frame {frame} = time step {step}: context clear")
        plots.plot_prediction_error(image, m, err[here], ax=right, vmax=vmax)
        right.set_title("predictor error per hidden token", fontsize=9)
        n_copy = int(copyable[here].sum())
        fig.suptitle(f"{mask} mask · error this step {err[here].nanmean():.3f}, whole clip {err.nanmean():.3f} "
                     f"(another clip's context: {other:.3f}) · {n_copy}/{len(hidden)} hidden tokens here are "
                     "visible one step away", fontsize=9)

    controls = {
        "index": index_slider(len(clips), "clip"),
        "frame": slider(W.IntSlider, value=0, min=0, max=clips.shape[2] - 1, description="frame"),
        "mask": W.ToggleButtons(options=list(masks.VIDEO_MASKS), value="tube", description="mask"),
        "keep_ratio": slider(W.FloatSlider, value=min(max(keep_ratio, 0.1), 0.9), min=0.1, max=0.9, step=0.05,
                              description="keep ratio"),
        "seed": slider(W.IntSlider, value=0, min=0, max=999, description="mask seed"),
    }
    return Explorer(draw, controls, figsize=(8, 4))


def collapse_explorer(results: dict) -> Explorer:
    """The collapse explorer (a dial): set the target (EMA or momentum 0) and VICReg's weight, read from the sweep of
    ``collapse.run_all`` results; see the feature spread over training and the final spectrum move, with
    the probe accuracy, against the random-init encoder.

    Introduced in notebook 06.
    """
    sweep = results["sweep"]
    by_setting = {(r["target"], r["var_weight"]): r for r in sweep}
    targets = list(dict.fromkeys(r["target"] for r in sweep))
    weights = sorted({r["var_weight"] for r in sweep})
    floor = results["random init"]

    def draw(fig: Figure, target: str, vicreg: float) -> None:
        left, right = fig.subplots(1, 2)
        same = {f"VICReg {w:g}": by_setting[(target, w)] for w in weights}
        name = f"VICReg {vicreg:g}"
        plots.plot_monitor(same, "feature_std", ax=left, highlight=name, reference=floor["feature_std"])
        left.set_title(f"target: {target}", fontsize=9)
        r = by_setting[(target, vicreg)]
        plots.plot_spectra({"random init": floor["spectrum"], name: r["spectrum"]}, ax=right, highlight=name)
        f = r["final"]
        fig.suptitle(f"{target}, VICReg variance weight {vicreg:g}: probe {r['probe']:.3f} (random init "
                     f"{floor['probe']:.3f}) · feature std {f['feature_std']:.4f} · effective rank "
                     f"{f['effective_rank']:.1f}/{f['width']}", fontsize=9)

    controls = {
        "target": W.ToggleButtons(options=targets, value=targets[0], description="target",
                                  style={"description_width": "initial"}),
        "vicreg": slider(W.SelectionSlider, options=weights, value=weights[0], description="VICReg weight"),
    }
    return Explorer(draw, controls, figsize=(9.5, 3.8))
