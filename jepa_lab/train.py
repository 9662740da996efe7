"""The course's one training loop, for every notebook and for ``python -m jepa_lab.train``.

What it does each step: draw a batch from ``batch_fn(step, generator)`` (a generator seeded by
``(seed, step)``, so a resumed run sees exactly the batches it would have seen), set the
learning rate (linear warm-up then cosine), weight decay and EMA momentum (cosine schedules),
compute the loss under bf16 autocast on CUDA, stop with the step number if it is not finite,
clip gradients, step AdamW, update the EMA target, and log.

Checkpoints are written atomically (temporary file, then rename) and loaded with
``torch.load(..., weights_only=True)``; a checkpoint of another model or configuration is
refused with a ``ValueError``.

Under ``torchrun --nproc_per_node=N`` (or any initialised process group) the model is wrapped in
``DistributedDataParallel``: every rank draws the same global batch from the same seeded
generator and trains on its own slice, so gradients are averaged and all ranks stay identical.

Introduced in notebook 04.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from jepa_lab import config, runtime

CHECKPOINTS = Path(__file__).resolve().parent.parent / "data" / "checkpoints"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one run (all schedules are per step)."""

    steps: int
    lr: float = 1e-3
    min_lr: float = 1e-5
    warmup_steps: int = 0
    weight_decay: tuple[float, float] = (0.04, 0.4)  # start, end (cosine), as in I-JEPA
    momentum: tuple[float, float] = (0.996, 1.0)  # EMA momentum start, end (cosine)
    grad_clip: float = 1.0
    bf16: bool = True  # used on CUDA only
    compile: bool = False  # torch.compile the model's forward (worth it on a GPU; slow to compile on CPU)
    seed: int = 0
    log_every: int = 10

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")
        if not 0 <= self.warmup_steps <= self.steps:
            raise ValueError(f"warmup_steps must be in 0..steps ({self.steps}), got {self.warmup_steps}")
        if not all(0.0 <= m <= 1.0 for m in self.momentum):
            raise ValueError(f"momentum values must be in [0, 1], got {self.momentum}")


class TrainingDiverged(RuntimeError):
    """The loss stopped being finite; the message names the step."""


def cosine(step: int, total: int, start: float, end: float) -> float:
    """Cosine interpolation from ``start`` (step 0) to ``end`` (step ``total``)."""
    t = min(max(step / max(total, 1), 0.0), 1.0)
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * t))


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up to ``lr`` over ``warmup_steps``, then cosine down to ``min_lr``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    return cosine(step - cfg.warmup_steps, cfg.steps - cfg.warmup_steps, cfg.lr, cfg.min_lr)


def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    try:
        write(tmp)
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see the old file or the new one
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None,
                    step: int, card: dict) -> None:
    """Write ``model`` (+ optimizer) state and a JSON card next to it, each atomically."""
    path = Path(path)
    state = {"model": model.state_dict(), "step": step, "card": json.dumps(card, sort_keys=True)}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    _atomic_write(path, lambda tmp: torch.save(state, tmp))
    text = json.dumps(card, indent=2, sort_keys=True)
    _atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(text))


def load_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    expect: dict | None = None) -> dict:
    """Load a checkpoint into ``model`` (and ``optimizer``); return its card with ``step``.

    Raises:
        ValueError: missing file, or its card disagrees with ``expect`` on any key (another
            model or configuration), or the weights do not fit ``model``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint at {str(path)!r}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    card = json.loads(state["card"])
    for key, want in (expect or {}).items():
        if card.get(key) != json.loads(json.dumps(want)):  # tuples in ``want`` are lists in the card
            raise ValueError(f"checkpoint {path.name} was made with {key}={card.get(key)!r}, this run needs "
                             f"{want!r}: train a new one or pick the matching preset")
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise ValueError(f"checkpoint {path.name} does not fit this model: {str(e).splitlines()[0]}") from e
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    return {**card, "step": int(state["step"])}


def _dist_info() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _shard(b, rank: int, world: int, device: torch.device):
    """This rank's slice of a global batch (a tensor, or a list of tensors such as target indices)."""
    if isinstance(b, (list, tuple)):
        return [_shard(t, rank, world, device) for t in b]
    if world > 1:
        if b.shape[0] < world:
            raise ValueError(f"a batch of {b.shape[0]} cannot be split over {world} processes: "
                             f"use a batch size of at least {world} (ideally a multiple)")
        b = b.tensor_split(world)[rank]
    return b.to(device)


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW over trainable parameters; no weight decay on biases and norms (1-D tensors)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    return torch.optim.AdamW([{"params": decay, "decay": True}, {"params": no_decay, "weight_decay": 0.0,
                                                                  "decay": False}], lr=cfg.lr)


def fit(model: nn.Module, batch_fn: Callable[[int, torch.Generator], tuple], cfg: TrainConfig, *,
        device: torch.device | str = "cpu", checkpoint: str | Path | None = None, resume: bool = False,
        card: dict | None = None, progress: bool = False, until: int | None = None,
        monitor: Callable[[nn.Module], dict[str, float]] | None = None,
        monitor_every: int = 0) -> dict[str, list]:
    """Train ``model`` for ``cfg.steps`` steps; return the history (step, loss, lr, momentum).

    Args:
        model: a module whose ``forward(*batch)`` returns the loss; if it has ``ema_update``,
            it is called after every step with the scheduled momentum.
        batch_fn: ``(step, generator) -> tuple`` of tensors for ``model(*batch)``.
        checkpoint: where to save at the end (and to resume from if ``resume``).
        card: extra facts for the checkpoint's JSON card (preset, dataset...).
        until: stop (and checkpoint) after this step count; a later ``resume=True`` call finishes
            the run exactly as an uninterrupted one would.
        monitor: ``model -> {name: float}`` called (in eval mode, without gradients) before the first
            step, every ``monitor_every`` steps and after the last; the results go to
            ``history["monitor"]`` as ``{"step": s, **metrics}`` (e.g. ``evaluate.collapse_monitor``).
    Raises:
        TrainingDiverged: the loss became NaN or infinite (the message names the step).
    """
    device = torch.device(device)
    model.to(device).train()
    rank, world = _dist_info()
    net = torch.compile(model) if cfg.compile else model  # checkpoints keep the uncompiled names
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(model, cfg)
    base_card = {"config": dataclasses.asdict(cfg), "model": type(model).__name__, **(card or {})}
    start, history = 0, {"step": [], "loss": [], "lr": [], "momentum": []}
    if resume and checkpoint is not None and Path(checkpoint).is_file():
        loaded = load_checkpoint(checkpoint, model, optimizer, expect={"model": base_card["model"]})
        start, history = loaded["step"], loaded.get("history", history)
    bar = None
    if progress and rank == 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=start, desc="train")
    t0 = time.perf_counter()
    stop = cfg.steps if until is None else min(until, cfg.steps)
    def watch(step: int) -> None:
        if monitor is None or rank != 0:
            return
        was_training = model.training
        model.eval()
        with torch.no_grad():
            history.setdefault("monitor", []).append({"step": step, **monitor(model)})
        model.train(was_training)

    if start == 0:
        watch(0)
    for step in range(start, stop):
        lr = learning_rate(step, cfg)
        wd = cosine(step, cfg.steps, *cfg.weight_decay)
        for group in optimizer.param_groups:
            group["lr"] = lr
            if group["decay"]:
                group["weight_decay"] = wd
        g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
        batch = tuple(_shard(b, rank, world, device) for b in batch_fn(step, g))
        with runtime.autocast(device, enabled=cfg.bf16):
            loss = net(*batch)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"loss became {loss.item()} at step {step}: lower the learning rate "
                                   f"(lr={cfg.lr}) or check the data")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        momentum = cosine(step, cfg.steps, *cfg.momentum)
        if hasattr(model, "ema_update"):
            model.ema_update(momentum)
        if step % cfg.log_every == 0 or step == cfg.steps - 1:
            for k, v in (("step", step), ("loss", loss.item()), ("lr", lr), ("momentum", momentum)):
                history[k].append(v)
        if monitor_every and (step + 1) % monitor_every == 0 and step + 1 < stop:
            watch(step + 1)
        if bar is not None:
            bar.set_postfix(loss=f"{loss.item():.4f}")
            bar.update(1)
    if bar is not None:
        bar.close()
    if stop > start:
        watch(stop)
    if checkpoint is not None and rank == 0:
        save_checkpoint(checkpoint, model, optimizer, stop,
                        {**base_card, "history": history, "wall_seconds": time.perf_counter() - t0,
                         "device": str(device), "torch": torch.__version__})
    return history


# ----------------------------------------------------------------------------- tasks and command line

def initial_encoder(preset: config.IJEPA04 | config.VJEPA05) -> nn.Module:
    """The context encoder of a notebook-04/05/06 preset exactly as its task builds it (same seed, same
    weights) before training: the random-init baseline, without building the data or the rest of the model."""
    from jepa_lab import vit

    torch.manual_seed(preset.seed)
    video = {"frames": preset.frames, "tubelet": preset.tubelet, "pos": preset.pos} if hasattr(preset, "frames") else {}
    return vit.Encoder(image_size=preset.image_size, patch_size=preset.patch_size, embed_dim=preset.embed_dim,
                       depth=preset.depth, num_heads=preset.num_heads, **video)


def jepa_model(preset: config.IJEPA04 | config.VJEPA05, **model_options) -> nn.Module:
    """The ``jepa.JEPA`` of a notebook-04/05/06/08 preset exactly as its task builds it before training
    (same seed, same weights), without generating any data: for loading a checkpoint into.

    ``model_options`` override ``jepa.JEPA``'s arguments (notebook 06's ablations)."""
    from jepa_lab import jepa

    options = {"predictor_dim": preset.predictor_dim, "predictor_depth": preset.predictor_depth,
               "predictor_heads": preset.predictor_heads, "var_weight": preset.var_weight,
               "cov_weight": preset.cov_weight}
    if isinstance(preset, config.VJEPA05):
        options["loss"] = "l1"
    else:
        options["pred_weight"] = preset.pred_weight
    return jepa.JEPA(encoder=initial_encoder(preset), **{**options, **model_options})


def ijepa_task(preset: config.IJEPA04, **model_options):
    """Model, batch function and ``TrainConfig`` of I-JEPA on shapes for a notebook-04 (or 06) preset.

    ``model_options`` override ``jepa.JEPA``'s arguments (notebook 06's ablations: ``target``,
    ``stop_grad``, ``sigreg_weight``, ``predictor_dim``, ``var_weight``...)."""
    from jepa_lab import masks
    from jepa_lab.datasets import make_shapes

    images, _ = make_shapes(preset.n_train, preset.image_size, seed=preset.seed, colour=preset.colour)
    model = jepa_model(preset, **model_options)
    grid = model.context_encoder.grid
    if preset.batch_size > len(images):
        raise ValueError(f"batch_size {preset.batch_size} is larger than the {len(images)} training images")

    def batch_fn(step: int, g: torch.Generator):
        idx = torch.randint(len(images), (preset.batch_size,), generator=g)
        mb = masks.sample_batch("multiblock", grid, preset.batch_size, g, num_targets=preset.num_targets,
                                min_context=preset.min_context)
        return images[idx], mb.ctx_idx, mb.tgt_idx

    cfg = TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                      momentum=(preset.ema_start, 1.0), seed=preset.seed)
    return model, batch_fn, cfg


def vjepa_task(preset: config.VJEPA05, **model_options):
    """Model, batch function and ``TrainConfig`` of V-JEPA on moving-shape clips for a notebook-05 preset:
    tubelet tokens, 3-D positions, tube (or per-frame) masks, L1 loss in latent space, EMA target."""
    from jepa_lab import masks

    if preset.mask not in masks.VIDEO_MASKS:
        raise ValueError(f"mask must be one of {', '.join(masks.VIDEO_MASKS)}, got {preset.mask!r}")
    clips, _ = video_clips(preset, preset.n_train, preset.seed)
    model = jepa_model(preset, **model_options)
    grid = model.context_encoder.grid
    if preset.batch_size > len(clips):
        raise ValueError(f"batch_size {preset.batch_size} is larger than the {len(clips)} training clips")

    def batch_fn(step: int, g: torch.Generator):
        idx = torch.randint(len(clips), (preset.batch_size,), generator=g)
        mb = masks.sample_video_batch(preset.mask, grid, preset.batch_size, g, keep_ratio=preset.keep_ratio)
        return clips[idx], mb.ctx_idx, mb.tgt_idx

    cfg = TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                      momentum=(preset.ema_start, 1.0), seed=preset.seed)
    return model, batch_fn, cfg


# task -> (notebook key, builder, checkpoint stem): the stem names the task's checkpoints for the CLI's
# default output, fit_or_load and the notebooks alike (checkpoint_name)
TASKS = {"ijepa": ("04", ijepa_task, "ijepa_shapes"), "vjepa": ("05", vjepa_task, "vjepa_moving"),
         "pendulum": ("08", vjepa_task, "pendulum_vjepa")}


def checkpoint_name(task: str, mode: str) -> str:
    """The checkpoint name of ``task`` in ``mode``, e.g. ``checkpoint_name("vjepa", "cpu") == "vjepa_moving_cpu"``
    (ablations add a suffix: ``vjepa_moving_cpu_rope``); ``fit_or_load`` takes it."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return f"{TASKS[task][2]}_{mode}"


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def fit_or_load(name: str, preset: config.Preset, directory: str | Path = CHECKPOINTS,
                progress: bool = True, retrain: bool = False) -> tuple[nn.Module, dict]:
    """Load ``directory/<name>.pt`` when its card was made with exactly ``preset``; else (or with
    ``retrain=True``) train, without writing anything.

    A checkpoint made with another preset (another mode, size or seed) is never used silently: the
    reason is printed and the model is trained from scratch (in ``fast`` mode, for real, a few steps).
    Returns the model and the card (or the fresh run's history).
    """
    task = name.split("_")[0]
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    path = Path(directory) / f"{name}.pt"
    if path.is_file() and not retrain:
        try:  # loading needs the model only, not the training data
            model = jepa_model(preset)
            return model, load_checkpoint(path, model, expect={"preset": preset.as_dict()})
        except ValueError as e:
            print(f"not using {path.name}: {e}")
    model, batch_fn, cfg = TASKS[task][1](preset)
    history = fit(model, batch_fn, cfg, device=runtime.get_device(), progress=progress)
    return model, {"history": history, "preset": preset.as_dict(), "step": cfg.steps}


def describe_card(card: dict) -> str:
    """One line about a checkpoint's card (or a fresh run's from ``fit_or_load``): the command that made
    it, its steps, where and how long it ran, and its first and last loss."""
    where = (f", {card['wall_seconds']:.0f} s on {card['device']} ({card['threads']} thread)"
             if "threads" in card else "")
    loss = card["history"]["loss"]
    return (f"{card.get('command', 'trained in this notebook')}: {card['step']} steps{where}; "
            f"loss {loss[0]:.3f} -> {loss[-1]:.3f}")


def probe_data(preset: config.IJEPA04) -> tuple[torch.Tensor, ...]:
    """The held-out probe split of a notebook-04 preset: ``probe_train`` shapes to fit (seed + 2),
    ``probe_test`` to test (seed + 1); training uses ``seed`` itself, so neither split was seen in training."""
    from jepa_lab.datasets import make_shapes

    train_x, train_y = make_shapes(preset.probe_train, preset.image_size, seed=preset.seed + 2, colour=preset.colour)
    test_x, test_y = make_shapes(preset.probe_test, preset.image_size, seed=preset.seed + 1, colour=preset.colour)
    return train_x, train_y, test_x, test_y


def probe_report(model: nn.Module, preset: config.IJEPA04,
                 others: dict[str, nn.Module] | None = None) -> dict[str, dict[str, float]]:
    """Linear probe + collapse metrics of both encoders of a trained I-JEPA (and of any ``others``),
    next to the same encoder at random init (built exactly as training built it, same seed) and raw
    pixels, on ``probe_data``."""
    from jepa_lab import evaluate

    fresh = initial_encoder(preset).to(next(model.parameters()).device)
    encoders = {"context encoder": model.context_encoder, "target encoder": model.target_encoder, **(others or {})}
    return evaluate.probe_with_baselines(encoders, fresh, *probe_data(preset))


def video_clips(preset: config.VJEPA05, n: int, seed: int) -> tuple[torch.Tensor, dict]:
    """``n`` clips of the preset's data and their labels: moving shapes (``shape``, ``direction``,
    ``speed``) or, for a notebook-08 preset, pendulum clips (``state``: ``(cos theta, sin theta, omega)``
    at the last frame, and ``energy``)."""
    if isinstance(preset, config.Pendulum08):
        from jepa_lab.datasets.pendulum import make_pendulum

        d = make_pendulum(n, preset.frames, preset.dt, image_size=preset.image_size, seed=seed)
        theta, omega = d["states"][:, -1, 0], d["states"][:, -1, 1]
        return d["frames"], {"state": torch.stack([theta.cos(), theta.sin(), omega], dim=1),
                             "energy": d["energy"][:, -1]}
    from jepa_lab.datasets.video import make_moving_shapes

    return make_moving_shapes(n, preset.frames, preset.image_size, seed=seed, speeds=preset.speeds)


def video_probe_data(preset: config.VJEPA05) -> tuple[torch.Tensor, dict, torch.Tensor, dict]:
    """Held-out clips to fit (seed + 2) and test (seed + 1) the probes, with their labels (``video_clips``)."""
    train_x, train_y = video_clips(preset, preset.probe_train, preset.seed + 2)
    test_x, test_y = video_clips(preset, preset.probe_test, preset.seed + 1)
    return train_x, train_y, test_x, test_y


@torch.no_grad()
def framewise_features(encoder: nn.Module, clips: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """An image encoder applied to every frame of ``clips [N, C, T, S, S]``, pooled over tokens and frames:
    the "no time" baseline of notebook 05. Returns ``[N, D]``."""
    from jepa_lab import evaluate

    n, c, t, s, _ = clips.shape
    frames = clips.permute(0, 2, 1, 3, 4).reshape(n * t, c, s, s)
    return evaluate.extract_features(encoder, frames, batch_size=batch_size).reshape(n, t, -1).mean(1)


def vjepa_probe_report(model: nn.Module, preset: config.VJEPA05,
                       frame_encoder: nn.Module | None = None) -> dict[str, dict[str, float]]:
    """Held-out linear-probe accuracy for direction, speed and shape from pooled features of the V-JEPA
    encoders, the same encoder at random init and (if given) an image encoder applied frame by frame."""
    from jepa_lab import evaluate

    train_x, train_y, test_x, test_y = video_probe_data(preset)
    fresh = initial_encoder(preset).to(next(model.parameters()).device)
    feats = {name: (evaluate.extract_features(enc, train_x), evaluate.extract_features(enc, test_x))
             for name, enc in (("context encoder", model.context_encoder), ("target encoder", model.target_encoder),
                               ("random init", fresh))}
    if frame_encoder is not None:
        feats["frame-wise image encoder"] = (framewise_features(frame_encoder, train_x),
                                             framewise_features(frame_encoder, test_x))
    return {name: {label: evaluate.linear_probe(a, train_y[label], b, test_y[label])
                   for label in ("direction", "speed", "shape")}
            for name, (a, b) in feats.items()}


def longer_clips_report(model: nn.Module, preset: config.VJEPA05, frames: tuple[int, ...] = (8, 16),
                        n: tuple[int, int] = (600, 400), speed: float = 1.0) -> dict[int, dict[str, float]]:
    """A video JEPA run on clips of other lengths (``JEPA.for_frames``: same weights, positions
    extended): per clip length, the latent error under tube masks (held-out clips, seed + 1) and the
    context encoder's held-out direction probe (fit on seed + 2). All clips move at one ``speed`` so
    that long clips stay inside the frame.

    Introduced in notebook 05 (sin-cos vs RoPE beyond the trained clip length).
    """
    from jepa_lab import evaluate
    from jepa_lab.datasets.video import make_moving_shapes

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


def state_probe_report(model: nn.Module, preset: config.Pendulum08) -> dict[str, dict[str, float]]:
    """Held-out R² of a ridge probe from mean-pooled features to ``(cos theta, sin theta, omega)`` at a
    pendulum clip's last frame, for both encoders, the same encoder at random init, and the raw pixels
    of the clip's last two frames (two frames are the least that shows a velocity)."""
    from jepa_lab import evaluate

    train_x, train_y, test_x, test_y = video_probe_data(preset)
    fresh = initial_encoder(preset).to(next(model.parameters()).device)
    feats = {name: (evaluate.extract_features(enc, train_x), evaluate.extract_features(enc, test_x))
             for name, enc in (("context encoder", model.context_encoder), ("target encoder", model.target_encoder),
                               ("random init", fresh))}
    feats["pixels, last two frames"] = (train_x[:, :, -2:].flatten(1), test_x[:, :, -2:].flatten(1))
    return {name: dict(zip(("cos", "sin", "omega"), evaluate.ridge_probe(a, train_y["state"], b, test_y["state"]),
                           strict=True))
            for name, (a, b) in feats.items()}


def format_probe(results: dict[str, dict[str, float]]) -> str:
    """One line per row of ``probe_report``: accuracy, then feature std and effective rank."""
    lines = []
    for name, r in results.items():
        extra = (f"  feature std {r['feature_std']:.4f} (isotropic {r['isotropic_std']:.4f}), "
                 f"effective rank {r['effective_rank']:.1f}/{r['width']}") if "feature_std" in r else ""
        lines.append(f"probe {name:>15}: {r['probe']:.3f}{extra}")
    return "\n".join(lines)


def update_card(path: str | Path, facts: dict, drop_optimizer: bool = False) -> None:
    """Add ``facts`` to a checkpoint's card (both the embedded one and the JSON beside it), atomically;
    ``drop_optimizer`` removes the optimizer state (a shipped checkpoint is for loading, not resuming)."""
    path = Path(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    card = {**json.loads(state["card"]), **facts}
    state["card"] = json.dumps(card, sort_keys=True)
    if drop_optimizer:
        state.pop("optimizer", None)
    _atomic_write(path, lambda tmp: torch.save(state, tmp))
    text = json.dumps(card, indent=2, sort_keys=True)
    _atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(text))


def _parse_overrides(preset: config.Preset, items: list[str]) -> dict:
    """``["lr=0.002", "colour=white"]`` -> typed overrides of ``preset``'s fields.

    Raises:
        ValueError: not ``KEY=VALUE``, an unknown key (the message lists the valid ones), or a value
            that does not parse as the field's type.
    """
    fields, out = preset.as_dict(), {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set needs KEY=VALUE, got {item!r}")
        if name not in fields:
            preset.replace(**{name: None})  # raises ValueError naming the valid keys
        kind = type(fields[name])
        try:
            if kind is bool:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                out[name] = value.lower() in ("true", "1")
            elif kind is tuple:  # comma-separated numbers, e.g. --set speeds=0.5,1
                out[name] = tuple(float(v) for v in value.split(","))
            else:
                out[name] = kind(value)
        except ValueError:
            raise ValueError(f"--set {name}: {value!r} is not a valid {kind.__name__}") from None
    return out


def shipped_image_encoder(image_size: int) -> nn.Module | None:
    """Notebook 04's shipped ``cpu`` I-JEPA target encoder (the frame-wise baseline), if it fits ``image_size``."""
    image = config.for_notebook("04", mode="cpu")
    path = CHECKPOINTS / f"{checkpoint_name('ijepa', 'cpu')}.pt"
    if image.image_size != image_size or not path.is_file():
        return None
    model = jepa_model(image)
    load_checkpoint(path, model, expect={"preset": image.as_dict()})
    return model.target_encoder


def main(argv: list[str] | None = None) -> int:
    """``python -m jepa_lab.train TASK --mode MODE [--steps N] [--out PATH] [--resume]``."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description="Train a course model; works under torchrun for DDP.")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--mode", choices=config.MODES, help="preset mode (default: JEPA_LAB_MODE or the device's)")
    parser.add_argument("--steps", type=int, help="override the preset's step count")
    parser.add_argument("--out", type=Path, help="checkpoint (default data/checkpoints/NAME.pt, NAME from "
                                                  "checkpoint_name: ijepa_shapes_<mode>, vjepa_moving_<mode>, "
                                                  "pendulum_vjepa_<mode>)")
    parser.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (GPU runs)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a preset field, e.g. --set lr=0.002 (repeatable)")
    parser.add_argument("--probe", action="store_true",
                        help="after training, linear-probe held-out shapes next to random-init and pixel baselines, "
                             "and record the figures in the checkpoint's card")
    parser.add_argument("--ship", action="store_true",
                        help="like --probe, and drop the optimizer state (a few MB, for data/checkpoints/)")
    args = parser.parse_args(argv)
    key, build, _ = TASKS[args.task]
    preset = config.for_notebook(key, mode=args.mode)
    if args.steps:
        preset = preset.replace(steps=args.steps)
    preset = preset.replace(**_parse_overrides(preset, args.set))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        import torch.distributed as dist

        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    else:
        device = runtime.get_device()
    runtime.seed_everything(preset.seed)
    model, batch_fn, cfg = build(preset)
    cfg = dataclasses.replace(cfg, compile=args.compile)
    dataset = {"vjepa": "moving_shapes", "pendulum": "pendulum"}.get(args.task, "shapes")
    out = args.out or CHECKPOINTS / f"{checkpoint_name(args.task, preset.mode)}.pt"
    command = f"python -m jepa_lab.train {args.task} --mode {preset.mode}"
    command += f" --steps {args.steps}" if args.steps else ""
    command += "".join(f" --set {item}" for item in args.set)
    command += f" --out {args.out}" if args.out else ""
    command += " --compile" if args.compile else ""
    command += " --ship" if args.ship else " --probe" if args.probe else ""
    card = {"preset": preset.as_dict(), "dataset": dataset, "command": command, "commit": _commit(),
            "world_size": world, "threads": torch.get_num_threads()}
    history = fit(model, batch_fn, cfg, device=device, checkpoint=out, resume=args.resume, card=card,
                  progress=True)
    rank = _dist_info()[0]
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    if rank == 0:
        print(f"final loss {history['loss'][-1]:.4f} (rank 0's shard); checkpoint {out}")
        if (args.probe or args.ship) and args.task == "pendulum":
            results = state_probe_report(model, preset)
            for name, r in results.items():
                print(f"probe R² {name:>15}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()))
            update_card(out, {"probe": results}, drop_optimizer=args.ship)
        elif (args.probe or args.ship) and args.task == "vjepa":
            results = vjepa_probe_report(model, preset, frame_encoder=shipped_image_encoder(preset.image_size))
            for name, r in results.items():
                print(f"probe {name:>15}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()))
            update_card(out, {"probe": results}, drop_optimizer=args.ship)
        elif args.probe or args.ship:
            results = probe_report(model, preset)
            print(format_probe(results))
            update_card(out, {"probe": results}, drop_optimizer=args.ship)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
