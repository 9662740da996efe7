"""V-JEPA on clips of moving shapes (notebook 05): tubelet tokens, 3-D positions, tube (or per-frame)
masks, L1 loss in latent space, EMA target; its probe reports (direction, speed, shape; the frame-wise
image-encoder baseline; clips longer than trained).

Introduced in notebook 05.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from jepa_lab import artifacts, config, evaluate, masks, train
from jepa_lab.datasets.video import make_moving_shapes
from jepa_lab.tasks import ijepa
from jepa_lab.tasks.base import Task

Clips = Callable[[config.VJEPAPreset, int, int], tuple[torch.Tensor, dict]]  # (preset, n, seed) -> clips, labels


def video_clips(preset: config.VJEPAPreset, n: int, seed: int) -> tuple[torch.Tensor, dict]:
    """``n`` clips of moving shapes and their labels (``shape``, ``direction``, ``speed``)."""
    return make_moving_shapes(n, preset.frames, preset.image_size, seed=seed, speeds=preset.speeds)


def build_on(preset: config.VJEPAPreset, clips_fn: Clips, **model_options):
    """Model, batch function and ``TrainConfig`` of V-JEPA on the clips ``clips_fn(preset, n, seed)`` gives."""
    if preset.mask not in masks.VIDEO_MASKS:
        raise ValueError(f"mask must be one of {', '.join(masks.VIDEO_MASKS)}, got {preset.mask!r}")
    clips, _ = clips_fn(preset, preset.n_train, preset.seed)
    model = ijepa.jepa_model(preset, **model_options)
    grid = model.context_encoder.grid
    if preset.batch_size > len(clips):
        raise ValueError(f"batch_size {preset.batch_size} is larger than the {len(clips)} training clips")

    def batch_fn(step: int, g: torch.Generator):
        idx = torch.randint(len(clips), (preset.batch_size,), generator=g)
        mb = masks.sample_video_batch(preset.mask, grid, preset.batch_size, g, keep_ratio=preset.keep_ratio)
        return clips[idx], mb.ctx_idx, mb.tgt_idx

    cfg = train.TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                            momentum=(preset.ema_start, 1.0), seed=preset.seed)
    return model, batch_fn, cfg


def build(preset: config.VJEPAPreset, **model_options):
    """Model, batch function and ``TrainConfig`` of V-JEPA on moving-shape clips for a V-JEPA preset."""
    return build_on(preset, video_clips, **model_options)


def held_out_clips(preset: config.VJEPAPreset, clips_fn: Clips) -> tuple[torch.Tensor, dict, torch.Tensor, dict]:
    """Held-out clips to fit (seed + 2) and test (seed + 1) the probes, with their labels."""
    train_x, train_y = clips_fn(preset, preset.probe_train, preset.seed + 2)
    test_x, test_y = clips_fn(preset, preset.probe_test, preset.seed + 1)
    return train_x, train_y, test_x, test_y


def video_probe_data(preset: config.VJEPAPreset) -> tuple[torch.Tensor, dict, torch.Tensor, dict]:
    """Held-out moving-shape clips to fit (seed + 2) and test (seed + 1) the probes, with their labels."""
    return held_out_clips(preset, video_clips)


@torch.no_grad()
def framewise_features(encoder: nn.Module, clips: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """An image encoder applied to every frame of ``clips [N, C, T, S, S]``, pooled over tokens and frames:
    the "no time" baseline of notebook 05. Returns ``[N, D]``."""
    n, c, t, s, _ = clips.shape
    frames = clips.permute(0, 2, 1, 3, 4).reshape(n * t, c, s, s)
    return evaluate.extract_features(encoder, frames, batch_size=batch_size).reshape(n, t, -1).mean(1)


def encoder_features(model: nn.Module, preset: config.VJEPAPreset, train_x: torch.Tensor,
                     test_x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Pooled features of both encoders of a trained video JEPA and of the same encoder at random init."""
    fresh = ijepa.initial_encoder(preset).to(next(model.parameters()).device)
    return {name: (evaluate.extract_features(enc, train_x), evaluate.extract_features(enc, test_x))
            for name, enc in (("context encoder", model.context_encoder), ("target encoder", model.target_encoder),
                              ("random init", fresh))}


def vjepa_probe_report(model: nn.Module, preset: config.VJEPAPreset,
                       frame_encoder: nn.Module | None = None) -> dict[str, dict[str, float]]:
    """Held-out linear-probe accuracy for direction, speed and shape from pooled features of the V-JEPA
    encoders, the same encoder at random init and (if given) an image encoder applied frame by frame."""
    train_x, train_y, test_x, test_y = video_probe_data(preset)
    feats = encoder_features(model, preset, train_x, test_x)
    if frame_encoder is not None:
        feats["frame-wise image encoder"] = (framewise_features(frame_encoder, train_x),
                                             framewise_features(frame_encoder, test_x))
    return {name: {label: evaluate.linear_probe(a, train_y[label], b, test_y[label])
                   for label in ("direction", "speed", "shape")}
            for name, (a, b) in feats.items()}


def longer_clips_report(model: nn.Module, preset: config.VJEPAPreset, frames: tuple[int, ...] = (8, 16),
                        n: tuple[int, int] = (600, 400), speed: float = 1.0) -> dict[int, dict[str, float]]:
    """A video JEPA run on clips of other lengths (``JEPA.for_frames``: same weights, positions
    extended): per clip length, the latent error under tube masks (held-out clips, seed + 1) and the
    context encoder's held-out direction probe (fit on seed + 2). All clips move at one ``speed`` so
    that long clips stay inside the frame.

    Introduced in notebook 05 (sin-cos vs RoPE beyond the trained clip length).
    """
    out = {}
    for t in frames:
        m = model.for_frames(t).eval()
        train_x, train_y = make_moving_shapes(n[0], t, preset.image_size, seed=preset.seed + 2, speeds=(speed,))
        test_x, test_y = make_moving_shapes(n[1], t, preset.image_size, seed=preset.seed + 1, speeds=(speed,))
        err = evaluate.video_prediction_error(m, test_x[:256], "tube", preset.keep_ratio, seed=preset.seed)
        probe = evaluate.linear_probe(evaluate.extract_features(m.context_encoder, train_x), train_y["direction"],
                                      evaluate.extract_features(m.context_encoder, test_x), test_y["direction"])
        out[t] = {"error": err["error"], "error_other": err["error_other"], "direction": probe}
    return out


def report(model: nn.Module, preset: config.VJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: ``vjepa_probe_report`` with the shipped image encoder frame by frame."""
    results = vjepa_probe_report(model, preset, frame_encoder=ijepa.shipped_image_encoder(preset.image_size))
    text = "\n".join(f"probe {name:>15}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items())
                     for name, r in results.items())
    return results, text


TASK = Task(name="vjepa", notebook="05", folder=artifacts.CHECKPOINTS, stem="vjepa_moving", load=ijepa.load,
            fit=ijepa.fitter(build), build=build, report=report, dataset="moving_shapes")
