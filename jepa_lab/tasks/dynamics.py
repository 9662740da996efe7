"""Notebook 07's latent dynamics as a task: training batches for the engine, the seven variants'
checkpoints (``data/dynamics/<variant>_<mode>.pt``) and ``python -m jepa_lab.dynamics``.

The model and its evaluation are ``jepa_lab.dynamics``.

Introduced in notebook 07.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from jepa_lab import artifacts, config, train
from jepa_lab.dynamics import (
    MAX_HORIZON,
    VARIANTS,
    LatentDynamics,
    data,
    evaluate,
    feature_visibility,
    slug,
    variant_preset,
    windows,
)
from jepa_lab.dynamics import build as build_model
from jepa_lab.tasks.base import Task

DESIGN = "residual + prior (the design)"


def build(preset: config.DynamicsPreset):
    """Model, batch function and ``TrainConfig`` for ``train.fit`` (the course engine)."""
    if not preset.horizons or min(preset.horizons) < 1 or max(preset.horizons) > MAX_HORIZON:
        raise ValueError(f"horizons must be in 1..{MAX_HORIZON}, got {preset.horizons}")
    if preset.history + max(preset.horizons) > preset.length:
        raise ValueError(f"trajectories of {preset.length} states are too short for history {preset.history} "
                         f"plus horizon {max(preset.horizons)}")
    states, _ = data(preset)
    model = build_model(preset, states.shape[-1])
    horizons = torch.tensor(preset.horizons)

    def batch_fn(step: int, g: torch.Generator):
        b = preset.batch_size
        traj = torch.randint(len(states), (b,), generator=g)
        k = horizons[torch.randint(len(horizons), (b,), generator=g)]
        t = preset.history - 1 + (torch.rand(b, generator=g) * (preset.length - preset.history + 1 - k)).long()
        visible = feature_visibility(preset.feature_masks, b, states.shape[-1], preset.history, preset.mask_prob, g)
        return windows(states, t, traj, preset.history), visible, windows(states, t + k, traj, preset.history), k

    cfg = train.TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                            momentum=(preset.ema_start, 1.0), seed=preset.seed, weight_decay=(0.0, 0.0))
    return model, batch_fn, cfg


def run(preset: config.DynamicsPreset, variant: str | None = None, progress: bool = False,
        device: str | torch.device = "cpu", checkpoint: str | Path | None = None,
        card: dict | None = None) -> tuple[LatentDynamics, dict]:
    """Train ``VARIANTS[variant]`` (or ``preset`` as is) with the course engine; return model and history
    (and write a checkpoint with its card if asked)."""
    if variant is not None:
        preset = variant_preset(preset, variant)
    model, batch_fn, cfg = build(preset)
    facts = {"preset": preset.as_dict(), "variant": variant, **(card or {})}
    history = train.fit(model, batch_fn, cfg, device=device, progress=progress, checkpoint=checkpoint, card=facts)
    return model.cpu().eval(), history


def load(path: Path, preset: config.DynamicsPreset, variant: str | None) -> tuple[LatentDynamics, dict]:
    """A variant's checkpoint when its card names exactly this preset and variant."""
    variant = variant or DESIGN
    vp = variant_preset(preset, variant)
    model = build_model(vp)
    card = train.load_checkpoint(path, model, expect={"preset": vp.as_dict(), "variant": variant})
    return model.eval(), card


def fit(preset: config.DynamicsPreset, variant: str | None, progress: bool = False) -> tuple[LatentDynamics, dict]:
    """Train a variant here (``fast`` mode: seconds); the card of the run."""
    variant = variant or DESIGN
    model, history = run(preset, variant, progress=progress)
    return model, {"history": history, "preset": variant_preset(preset, variant).as_dict(), "variant": variant,
                   "step": preset.steps}


def main(argv: list[str] | None = None) -> int:
    """``python -m jepa_lab.dynamics --mode MODE --out-dir DIR``: train every variant, write checkpoints."""
    parser = argparse.ArgumentParser(description="Train notebook 07's latent dynamics variants.")
    parser.add_argument("--mode", choices=config.MODES)
    parser.add_argument("--out-dir", type=Path, default=artifacts.DYNAMICS)
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="only these (repeatable)")
    args = parser.parse_args(argv)
    preset = config.for_notebook("07", mode=args.mode)
    commit = artifacts.commit()
    for variant in args.variant or VARIANTS:
        t0 = time.perf_counter()
        out = TASK.path(preset.mode, variant, args.out_dir)
        command = f"python -m jepa_lab.dynamics --mode {preset.mode} --out-dir {args.out_dir}"
        model, _ = run(preset, variant, checkpoint=out,
                       card={"command": command, "commit": commit, "threads": torch.get_num_threads()})
        train.update_card(out, {}, drop_optimizer=True)  # shipped for loading, not resuming
        r = evaluate(model, variant_preset(preset, variant))
        k10 = r["horizons"][10]
        probe, decoded = ([round(v, 3) for v in x] for x in (r["probe_r2"], k10["decoded_r2"]))
        print(f"{variant}: {time.perf_counter() - t0:.0f} s, probe R² {probe}, effective rank "
              f"{r['effective_rank']:.1f}, k=10 latent error / copy {k10['ratio']:.3f}, decoded R² {decoded}")
    return 0


TASK = Task(name="dynamics", notebook="07", folder=artifacts.DYNAMICS, stem=lambda v: slug(v or DESIGN),
            load=load, fit=fit, build=build, dataset="bouncing_balls")

if __name__ == "__main__":
    raise SystemExit(main())
