"""V-JEPA on clips of moving shapes (notebook 05): tubelet tokens, 3-D positions, tube (or per-frame)
masks, L1 loss in latent space, EMA target; its probe reports (direction, speed, shape; the frame-wise
image-encoder baseline; clips longer than trained).

Introduced in notebook 05.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import artifacts, config, evaluate, masks, probes, train
from jepa_lab.datasets.video import PANNING, make_moving_shapes
from jepa_lab.tasks import ijepa
from jepa_lab.tasks.base import Task, seed_variant

Clips = Callable[[config.VJEPAPreset, int, int], tuple[torch.Tensor, dict]]  # (preset, n, seed) -> clips, labels


def video_clips(preset: config.VJEPAPreset, n: int, seed: int) -> tuple[torch.Tensor, dict]:
    """``n`` clips of moving shapes and their labels (``shape``, ``direction``, ``speed``)."""
    return make_moving_shapes(n, preset.frames, preset.image_size, seed=seed, speeds=preset.speeds,
                              background=preset.background)


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
def framewise_features(encoder: nn.Module, clips: torch.Tensor, batch_size: int = 256,
                       ordered: bool = False) -> torch.Tensor:
    """An image encoder applied to every frame of ``clips [N, C, T, S, S]``, pooled over tokens; then pooled
    over frames too (``[N, D]``: the "no time" baseline of notebook 05) or, with ``ordered``, kept in time
    order (``[N, T, D]``: a baseline that can see motion)."""
    n, c, t, s, _ = clips.shape
    frames = clips.permute(0, 2, 1, 3, 4).reshape(n * t, c, s, s)
    z = evaluate.extract_features(encoder, frames, batch_size=batch_size).reshape(n, t, -1)
    return z if ordered else z.mean(1)


@torch.no_grad()
def time_ordered_features(encoder: nn.Module, clips: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """A video encoder's token features pooled over space, one vector per tubelet time step, kept in time
    order: ``[N, T / tubelet, D]``."""
    z = evaluate.extract_features(encoder, clips, batch_size=batch_size, pool=False)  # [N, T' * h * w, D]
    steps = encoder.grid[0]
    return z.reshape(z.shape[0], steps, -1, z.shape[-1]).mean(2)


def ordered_and_pooled(name: str, encoder: nn.Module, clips: torch.Tensor) -> dict[str, torch.Tensor]:
    """Two readers of one video encoder: ``"<name>, pooled"`` (tokens averaged over space and time) and
    ``"<name>, in time order"`` (``time_ordered_features``). Encodes once: every time step has the same
    number of tokens, so the mean of the ordered steps is the mean over all tokens."""
    ordered = time_ordered_features(encoder, clips)
    return {f"{name}, pooled": ordered.mean(1), f"{name}, in time order": ordered}


def pixels_in_order(clips: torch.Tensor, size: int = 8) -> torch.Tensor:
    """Raw pixels of every frame, grey and averaged down to ``size x size``, in time order: ``[N, T * size²]``."""
    n, _, t, s, _ = clips.shape
    if not 1 <= size <= s:
        raise ValueError(f"size must be between 1 and the frame side {s}, got {size}")
    grey = clips.mean(1).reshape(n * t, 1, s, s)
    return F.adaptive_avg_pool2d(grey, size).reshape(n, t * size * size)


def baseline_readers(preset: config.VJEPAPreset, clips: torch.Tensor, frame_encoder: nn.Module | None = None,
                     pixel_sizes: tuple[int, ...] = (8, 16), device: torch.device | str = "cpu") -> dict:
    """The readers every video JEPA of notebook 05 is measured against, each a feature matrix of ``clips``: the
    preset's encoder at random init in time order, if given an image encoder applied frame by frame (pooled and
    in order), and raw pixels in time order (one row per size in ``pixel_sizes``)."""
    fresh = ijepa.initial_encoder(preset).to(device)
    out = {"random init, in time order": time_ordered_features(fresh, clips)}
    if frame_encoder is not None:
        frames = framewise_features(frame_encoder, clips, ordered=True)
        out["frame-wise encoder, pooled"] = frames.mean(1)
        out["frame-wise encoder, in time order"] = frames
    for size in pixel_sizes:
        out[f"pixels {size}x{size}, in time order"] = pixels_in_order(clips, size)
    return out


def motion_readers(model: nn.Module, preset: config.VJEPAPreset, clips: torch.Tensor,
                   frame_encoder: nn.Module | None = None, pixel_sizes: tuple[int, ...] = (8, 16)) -> dict:
    """Notebook 05's readers of one pool of clips, each a feature matrix: V-JEPA's context encoder pooled
    and in time order, then ``baseline_readers``."""
    device = next(model.parameters()).device
    return {**ordered_and_pooled("V-JEPA", model.context_encoder, clips),
            **baseline_readers(preset, clips, frame_encoder, pixel_sizes, device)}


def motion_protocol(model: nn.Module, preset: config.VJEPAPreset, frame_encoder: nn.Module | None = None,
                    labels: tuple[str, ...] = ("direction", "speed", "shape"), draws: int = 3) -> dict:
    """``probes.probe_protocol`` (validated C, ``draws`` fit/test splits, kNN beside linear) of every
    ``motion_readers`` row on the pooled held-out clips (seeds + 1 and + 2): label -> reader -> scores
    (``encoders_protocol`` of the one model, named ``"V-JEPA"``, with the baselines)."""
    return encoders_protocol({"V-JEPA": model}, preset, labels, draws, frame_encoder, baselines=True)


def probe_pool(preset: config.VJEPAPreset) -> tuple[torch.Tensor, dict]:
    """``video_probe_data``'s two splits as one labelled pool, which the probe protocol redraws into fit/test."""
    train_x, train_y, test_x, test_y = video_probe_data(preset)
    return torch.cat([train_x, test_x]), {k: torch.cat([train_y[k], test_y[k]]) for k in train_y}


def encoders_protocol(models: dict[str, nn.Module], preset: config.VJEPAPreset,
                      labels: tuple[str, ...] = ("direction", "speed", "shape"), draws: int = 3,
                      frame_encoder: nn.Module | None = None, baselines: bool = False) -> dict:
    """The same protocol as ``motion_protocol`` (same pool, same draws) for several trained video JEPAs:
    each context encoder in time order and pooled and, with ``baselines``, ``baseline_readers`` (with
    ``frame_encoder``). label -> ``"<name>, in time order"`` / ``"<name>, pooled"`` / baseline -> scores."""
    clips, y = probe_pool(preset)
    feats, device = {}, "cpu"
    for name, m in models.items():
        feats.update(ordered_and_pooled(name, m.context_encoder, clips))
        device = next(m.parameters()).device
    if baselines:
        feats.update(baseline_readers(preset, clips, frame_encoder, device=device))
    return {label: probes.probe_protocol(feats, y[label], draws=draws, seed=preset.seed) for label in labels}


def shipped_seeds(preset: config.VJEPAPreset, seeds: tuple[int, ...], run, kinds: tuple[str, ...]) -> tuple[int, ...]:
    """The ``seeds`` whose runs ``run(preset, seed, kind)`` (a preset and file tag) are shipped for ``preset``'s
    mode for every one of ``kinds``, plus the preset's own seed, which a notebook loads or trains in any mode."""
    shipped = [s for s in seeds if all(TASK.path(preset.mode, run(preset, s, kind)[1]).is_file() for kind in kinds)]
    return tuple(sorted({preset.seed, *shipped}))


PAN_SEEDS = (0, 1, 2)  # training seeds of the panning-camera runs (multi-block and per-frame masks, shipped in cpu)
PAN_MASKS = {"multiblock3d": ("pan",), "tube": ("pan", "tube"), "per_frame": ("pan", "perframe")}  # file tags


PAN_STEP_FACTOR = {"fast": 0.5, "cpu": 5, "full": 1}  # x the preset's steps: cpu 1,500; fast a smoke run of 40;
# full its own 3,000 steps at batch 256 (never run: no GPU was lent to measure it)


def pan_run(preset: config.VJEPAPreset, seed: int, mask: str = "multiblock3d") -> tuple[config.VJEPAPreset, str | None]:
    """The preset and file tag of one of notebook 05's panning-camera runs: clips of a camera panning over a
    random texture (``background="pan"``), ``PAN_STEP_FACTOR`` times the preset's steps (the warm-up unchanged),
    training ``seed``; ``mask`` is V-JEPA's multi-block 3-D masks (the recipe, tag
    ``"pan"``, ``"seed1_pan"``...) or an ablation, ``"tube"`` (random tubes) or ``"per_frame"``."""
    if mask not in PAN_MASKS:
        raise ValueError(f"mask must be one of {', '.join(PAN_MASKS)}, got {mask!r}")
    steps = max(1, round(PAN_STEP_FACTOR[preset.mode] * preset.steps))
    return seed_variant(preset.replace(background="pan", mask=mask, steps=steps), seed, *PAN_MASKS[mask])


def pan_seeds(preset: config.VJEPAPreset) -> tuple[int, ...]:
    """``shipped_seeds`` of the multi-block / per-frame pairs of ``PAN_SEEDS`` (all three in ``cpu``)."""
    return shipped_seeds(preset, PAN_SEEDS, pan_run, ("multiblock3d", "per_frame"))


def pan_ablations(preset: config.VJEPAPreset) -> tuple[str, ...]:
    """The masks notebook 05 sets against the multi-block recipe on the panning clips: per-frame masks always
    (loaded or trained), random tubes where their run is shipped for the mode (``cpu``)."""
    tube = TASK.path(preset.mode, pan_run(preset, preset.seed, "tube")[1])
    return ("per_frame",) + (("tube",) if tube.is_file() else ())


def shipped_card(preset: config.VJEPAPreset, run, seed: int, kind: str) -> dict:
    """The card of the shipped run ``run(preset, seed, kind)`` (``pan_run``, ``position_run``) for the preset's mode."""
    path = TASK.path(preset.mode, run(preset, seed, kind)[1])
    if not path.is_file():
        raise FileNotFoundError(f"no shipped run {path.name} for {preset.mode} mode")
    return artifacts.read_card(path)


def pan_card_probe(preset: config.VJEPAPreset, seed: int, mask: str = "multiblock3d") -> dict:
    """The pan probe (reader -> scores, as ``pan_protocol`` returns) that the command line's ``--probe``
    recorded in the card of the shipped panning run ``pan_run(preset, seed, mask)``."""
    return shipped_card(preset, pan_run, seed, mask)["probe"]["pan"]


def pan_protocol(models: dict[str, nn.Module], preset: config.VJEPAPreset, frame_encoder: nn.Module | None = None,
                 baselines: bool = True, draws: int = 3) -> dict:
    """The pan's direction read from held-out clips of a panning camera (``preset.background`` one of
    ``PANNING``): ``encoders_protocol`` of ``models`` and, with ``baselines``, ``baseline_readers``. Returns
    reader -> scores."""
    if preset.background not in PANNING:
        raise ValueError(f"the pan probe needs clips of a panning camera (background {' or '.join(PANNING)}), "
                         f"got {preset.background!r}")
    return encoders_protocol(models, preset, ("pan",), draws, frame_encoder, baselines)["pan"]


def encoder_features(model: nn.Module, preset: config.VJEPAPreset, train_x: torch.Tensor,
                     test_x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Pooled features of both encoders of a trained video JEPA and of the same encoder at random init."""
    fresh = ijepa.initial_encoder(preset).to(next(model.parameters()).device)
    return {name: (evaluate.extract_features(enc, train_x), evaluate.extract_features(enc, test_x))
            for name, enc in (("context encoder", model.context_encoder), ("target encoder", model.target_encoder),
                              ("random init", fresh))}


LENGTH_SEEDS = (0, 1, 2)  # training seeds of notebook 05's sin-cos / RoPE-with-space-table pairs (shipped in cpu mode)


def position_run(preset: config.VJEPAPreset, seed: int, pos: str) -> tuple[config.VJEPAPreset, str | None]:
    """The preset and file tag of one of notebook 05's position runs: training ``seed``, positions ``pos``
    (``"sincos"``: section 3's recipe, tag ``None`` / ``"seed1"``...; otherwise tagged ``"rope"``,
    ``"rope_sincos"``, ``"seed1_rope_sincos"``...)."""
    return seed_variant(preset.replace(pos=pos), seed, *([] if pos == "sincos" else [pos]))


def length_seeds(preset: config.VJEPAPreset) -> tuple[int, ...]:
    """``shipped_seeds`` of the sin-cos / RoPE-with-space-table pairs of ``LENGTH_SEEDS`` (all three in ``cpu``)."""
    return shipped_seeds(preset, LENGTH_SEEDS, position_run, ("sincos", "rope_sincos"))


def clip_lengths(preset: config.VJEPAPreset) -> tuple[tuple[int, float], ...]:
    """Notebook 05's longer clips: ``(frames, pixels per frame)`` for the trained length and twice it at
    1 px/frame, and four times it at 0.5 px/frame (the same travel as twice the length, so the shapes stay
    in the picture)."""
    t = preset.frames
    return (t, 1.0), (2 * t, 1.0), (4 * t, 0.5)


def _one_speed_clips(preset: config.VJEPAPreset, count: int, frames: int, speed: float,
                     offset: int) -> tuple[torch.Tensor, dict]:
    """``count`` held-out clips of ``frames`` frames, all moving at ``speed``, seeded ``preset.seed + offset``."""
    return make_moving_shapes(count, frames, preset.image_size, seed=preset.seed + offset, speeds=(speed,),
                              background=preset.background)


def longer_clips_report(model: nn.Module, preset: config.VJEPAPreset,
                        lengths: tuple[tuple[int, float], ...] | None = None, n: tuple[int, int] = (600, 400),
                        draws: int = 3, pooled: bool = False, stretch: bool = False) -> dict[int, dict[str, float]]:
    """A video JEPA run on clips of other lengths (``JEPA.for_frames``: same weights, positions extended, or
    with ``stretch`` squeezed into the trained time range).

    Per ``(frames, speed)`` of ``lengths`` (default ``clip_lengths(preset)``): the latent error under tube masks
    on ``n[1]`` held-out clips (seed + 1; at most 256), with their own context and with another clip's, and
    ``probes.probe_protocol`` of the direction on the context encoder's features in time order, and with
    ``pooled`` averaged over time too (``n[0]`` clips of seed + 2 and the ``n[1]`` of seed + 1 in one pool,
    ``draws`` fit/test splits; ``draws=0``: the latent error only). Returns frames -> ``{"speed", "error",
    "error_other", "direction", "direction_std", "direction_knn"}`` (``direction``: linear, in time order),
    with ``pooled`` also ``"direction_pooled"``.

    Introduced in notebook 05 (sin-cos vs RoPE beyond the trained clip length).
    """
    out = {}
    for t, speed in lengths or clip_lengths(preset):
        m = model.for_frames(t, stretch).eval()
        test_x, test_y = _one_speed_clips(preset, n[1], t, speed, 1)
        err = evaluate.video_prediction_error(m, test_x[:256], "tube", preset.keep_ratio, seed=preset.seed)
        out[t] = {"speed": speed, "error": err["error"], "error_other": err["error_other"]}
        if not draws:
            continue
        fit_x, fit_y = _one_speed_clips(preset, n[0], t, speed, 2)
        ordered = time_ordered_features(m.context_encoder, torch.cat([fit_x, test_x]))
        feats = {"in time order": ordered, **({"pooled": ordered.mean(1)} if pooled else {})}
        probe = probes.probe_protocol(feats, torch.cat([fit_y["direction"], test_y["direction"]]), draws=draws,
                                      seed=preset.seed)
        row = probe["in time order"]
        out[t].update(direction=row["linear"], direction_std=row["linear_std"], direction_knn=row["knn"])
        if pooled:
            out[t]["direction_pooled"] = probe["pooled"]["linear"]
    return out


@torch.no_grad()
def prediction_errors(model: nn.Module, preset: config.VJEPAPreset, clips: torch.Tensor | None = None,
                      n: int = 256, kinds: tuple[str, ...] | None = None) -> dict:
    """The prediction error alone (the training loss less its variance and covariance terms, which depend on
    how many tokens a mask leaves visible) under the model's own masks (``preset.mask``, drawn with the
    preset's seed) on ``clips`` (default: the first ``n`` held-out test clips): ``evaluate.video_prediction_error``'s
    figures, with
    ``average_target`` (each place's mean target: a predictor that ignores its context) and ``copy_previous``
    from ``evaluate.copy_baselines``. Mask kinds are compared by ``error`` against ``average_target``.
    With ``kinds``: mask kind -> those figures, for each of ``kinds`` in turn (the copy baselines, which do
    not depend on the mask, computed once)."""
    clips = video_probe_data(preset)[2][:n] if clips is None else clips
    copy = evaluate.copy_baselines(model, clips)
    baselines = {"average_target": copy["position_mean"], "copy_previous": copy["copy_previous"]}

    def under(kind: str) -> dict[str, float]:
        return {**evaluate.video_prediction_error(model, clips, kind, preset.keep_ratio, seed=preset.seed),
                **baselines}

    return under(preset.mask) if kinds is None else {kind: under(kind) for kind in kinds}


def report(model: nn.Module, preset: config.VJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: ``motion_protocol`` for direction and speed (and, on clips of a panning
    camera, the pan's direction), with the shipped image encoder frame by frame; and ``prediction_errors``
    (key ``"prediction"``)."""
    labels = ("direction", "speed") + (("pan",) if preset.background in PANNING else ())
    results = motion_protocol(model, preset, frame_encoder=ijepa.shipped_image_encoder(preset.image_size),
                              labels=labels)
    text = "\n".join(f"probe {label}:\n" + probes.format_protocol(rows) for label, rows in results.items())
    results["prediction"] = {k: v for k, v in prediction_errors(model, preset).items()
                             if math.isfinite(v)}  # the card stays strict JSON (no copyable tokens: no NaN)
    text += "\nprediction error under its own masks: " + " · ".join(
        f"{k} {v:.3f}" for k, v in results["prediction"].items())
    return results, text


TASK = Task(name="vjepa", notebook="05", folder=artifacts.CHECKPOINTS, stem="vjepa_moving", load=ijepa.load,
            fit=ijepa.fitter(build), build=build, report=report, dataset="moving_shapes")
