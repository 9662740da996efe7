"""I-JEPA on shapes (notebook 04; notebook 06's ablations build on it): the model, its training batches,
loading and fitting for ``fit_or_load``, and the held-out probe report.

Introduced in notebook 04.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts, config, evaluate, jepa, masks, probes, runtime, train, vit
from jepa_lab.datasets import make_shapes
from jepa_lab.tasks.base import Task, seed_variant

JEPAPreset = config.IJEPAPreset | config.VJEPAPreset


def initial_encoder(preset: JEPAPreset) -> nn.Module:
    """The context encoder of an I-JEPA or V-JEPA preset exactly as its task builds it (same seed, same
    weights) before training: the random-init baseline, without building the data or the rest of the model."""
    torch.manual_seed(preset.seed)
    video = {"frames": preset.frames, "tubelet": preset.tubelet, "pos": preset.pos} if hasattr(preset, "frames") else {}
    return vit.Encoder(image_size=preset.image_size, patch_size=preset.patch_size, embed_dim=preset.embed_dim,
                       depth=preset.depth, num_heads=preset.num_heads, **video)


def jepa_model(preset: JEPAPreset, **model_options) -> jepa.JEPA:
    """The ``jepa.JEPA`` of an I-JEPA or V-JEPA preset exactly as its task builds it before training (same
    seed, same weights), without generating any data: for loading a checkpoint into.

    ``model_options`` override ``jepa.JEPA``'s arguments (notebook 06's ablations)."""
    options = {"predictor_dim": preset.predictor_dim, "predictor_depth": preset.predictor_depth,
               "predictor_heads": preset.predictor_heads, "var_weight": preset.var_weight,
               "cov_weight": preset.cov_weight}
    if isinstance(preset, config.VJEPAPreset):
        options["loss"] = "l1"
    else:
        options["pred_weight"] = preset.pred_weight
    return jepa.JEPA(encoder=initial_encoder(preset), **{**options, **model_options})


def training_images(preset: config.IJEPAPreset) -> torch.Tensor:
    """The training shapes of an I-JEPA preset (``n_train``, seed ``seed``): I-JEPA's and MAE's alike."""
    return make_shapes(preset.n_train, preset.image_size, seed=preset.seed, colour=preset.colour)[0]


def multiblock_batches(preset: config.IJEPAPreset, images: torch.Tensor, grid: tuple[int, int]):
    """``train.fit``'s batch function over ``images``: ``(step, generator) -> (images [B, C, H, W],
    ctx_idx [B, Nc], tgt_idx)``, I-JEPA's multi-block masks on ``grid`` (I-JEPA's and MAE's batches)."""
    if preset.batch_size > len(images):
        raise ValueError(f"batch_size {preset.batch_size} is larger than the {len(images)} training images")

    def batch_fn(step: int, g: torch.Generator):
        idx = torch.randint(len(images), (preset.batch_size,), generator=g)
        mb = masks.sample_batch("multiblock", grid, preset.batch_size, g, num_targets=preset.num_targets,
                                min_context=preset.min_context)
        return images[idx], mb.ctx_idx, mb.tgt_idx

    return batch_fn


def train_config(preset: config.IJEPAPreset) -> train.TrainConfig:
    """The ``TrainConfig`` of an I-JEPA preset (the momentum schedule is used only by a model with ``ema_update``)."""
    return train.TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                             momentum=(preset.ema_start, 1.0), seed=preset.seed)


def build(preset: config.IJEPAPreset, **model_options):
    """Model, batch function and ``TrainConfig`` of I-JEPA on shapes for an I-JEPA (or collapse) preset.

    ``model_options`` override ``jepa.JEPA``'s arguments (notebook 06's ablations: ``target``,
    ``stop_grad``, ``sigreg_weight``, ``predictor_dim``, ``var_weight``...)."""
    images = training_images(preset)
    model = jepa_model(preset, **model_options)
    return model, multiblock_batches(preset, images, model.context_encoder.grid), train_config(preset)


def load(path: Path, preset: JEPAPreset, variant: str | None = None) -> tuple[jepa.JEPA, dict]:
    """A JEPA checkpoint made with exactly ``preset`` (loading needs the model only, not the training data)."""
    model = jepa_model(preset)
    return model, train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})


def fitter(build_fn):
    """``fit`` for ``fit_or_load`` from a task's ``build``: train with the engine, return the model and
    a card of the run (``history``, ``preset``, ``step``)."""

    def fit(preset, variant: str | None = None, progress: bool = True) -> tuple[nn.Module, dict]:
        model, batch_fn, cfg = build_fn(preset)
        history = train.fit(model, batch_fn, cfg, device=runtime.get_device(), progress=progress)
        return model, {"history": history, "preset": preset.as_dict(), "step": cfg.steps}

    return fit


def probe_data(preset: config.IJEPAPreset) -> tuple[torch.Tensor, ...]:
    """The held-out probe split of an I-JEPA preset: ``probe_train`` shapes to fit (seed + 2),
    ``probe_test`` to test (seed + 1); training uses ``seed`` itself, so neither split was seen in training."""
    train_x, train_y = make_shapes(preset.probe_train, preset.image_size, seed=preset.seed + 2, colour=preset.colour)
    test_x, test_y = make_shapes(preset.probe_test, preset.image_size, seed=preset.seed + 1, colour=preset.colour)
    return train_x, train_y, test_x, test_y


def probe_report(model: nn.Module, preset: config.IJEPAPreset,
                 others: dict[str, nn.Module] | None = None) -> dict[str, dict[str, float]]:
    """Linear probe + collapse metrics of both encoders of a trained I-JEPA (and of any ``others``),
    next to the same encoder at random init (built exactly as training built it, same seed) and raw
    pixels, on ``probe_data``."""
    fresh = initial_encoder(preset).to(next(model.parameters()).device)
    encoders = {"context encoder": model.context_encoder, "target encoder": model.target_encoder, **(others or {})}
    return evaluate.probe_with_baselines(encoders, fresh, *probe_data(preset))


SEEDS = (0, 1, 2)  # the training seeds notebook 04 compares prediction over (each shipped in cpu mode)
LONG = 2  # notebook 04's longer comparison trains LONG x the preset's steps (cpu: 4,000); measured on seed 0, the
# ablation without prediction probed 0.67 linear after 200 steps, 0.60 after 2,000, 0.32 after 4,000 (card probes)
LONG_SEEDS = (0, 1, 2)  # its training seeds (each pair shipped in cpu mode)


def seed_run(preset: config.IJEPAPreset, seed: int, predict: bool = True,
             long: bool = False) -> tuple[config.IJEPAPreset, str | None]:
    """The preset and file tag of one of notebook 04's runs: ``seed``, with prediction or without
    (``pred_weight=0``), and with ``long`` ``LONG`` times the preset's steps. Seed 0 keeps the plain names
    (``None`` and ``"nopred"``); other seeds are tagged ``"seed1"``, ``"seed1_nopred"``..., long runs
    ``"long"``, ``"long_nopred"``, ``"seed1_long"``..."""
    run = preset.replace(pred_weight=preset.pred_weight if predict else 0.0,
                         steps=preset.steps * LONG if long else preset.steps)
    return seed_variant(run, seed, *(["long"] if long else []), *([] if predict else ["nopred"]))


def protocol_report(encoders: dict[str, nn.Module], preset: config.IJEPAPreset, *, baselines: bool = True,
                    draws: int = 3) -> dict[str, dict[str, float]]:
    """``probes.encoder_protocol`` of ``encoders`` on the held-out pool of ``probe_data`` (both splits
    together, redrawn ``draws`` times into fit and test sets): linear with ``C`` chosen on a validation split,
    and kNN, mean and spread. ``baselines`` adds the random-init encoder (built as training built it) and raw
    pixels, measured the same way."""
    train_x, train_y, test_x, test_y = probe_data(preset)
    device = next(next(iter(encoders.values())).parameters()).device if encoders else runtime.get_device()
    others = {"random init": initial_encoder(preset).to(device)} if baselines else {}
    return probes.encoder_protocol({**encoders, **others}, torch.cat([train_x, test_x]), torch.cat([train_y, test_y]),
                                   pixels=baselines, draws=draws, seed=preset.seed)


def format_probe(results: dict[str, dict[str, float]]) -> str:
    """One line per row of ``probe_report``: accuracy, then feature std and effective rank."""
    lines = []
    for name, r in results.items():
        extra = (f"  feature std {r['feature_std']:.4f} (isotropic {r['isotropic_std']:.4f}), "
                 f"effective rank {r['effective_rank']:.1f}/{r['width']}") if "feature_std" in r else ""
        lines.append(f"probe {name:>15}: {r['probe']:.3f}{extra}")
    return "\n".join(lines)


def report(model: nn.Module, preset: config.IJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: ``probe_report`` and its printout."""
    results = probe_report(model, preset)
    return results, format_probe(results)


def shipped_image_encoder(image_size: int) -> nn.Module | None:
    """The shipped ``cpu`` I-JEPA's target encoder (notebook 05's frame-wise baseline), if it fits ``image_size``."""
    image = config.for_notebook("04", mode="cpu")
    path = TASK.path("cpu")
    if image.image_size != image_size or not path.is_file():
        return None
    return load(path, image)[0].target_encoder


TASK = Task(name="ijepa", notebook="04", folder=artifacts.CHECKPOINTS, stem="ijepa_shapes", load=load,
            fit=fitter(build), build=build, report=report, dataset="shapes")
