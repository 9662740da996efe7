"""Physics in the JEPA latent as a task (notebook 08's last experiment): a 2-D code of the pendulum
V-JEPA's features with an HNN or an MLP on it (``jepa_lab.latent_physics``), trained on feature
trajectories without state labels; its files ``data/physics/latent_<hnn|mlp>_<mode>.pt`` and
``python -m jepa_lab.latent_physics``.

Introduced in notebook 08.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts, config, train
from jepa_lab.datasets.pendulum import make_pendulum
from jepa_lab.latent_physics import (
    FIELDS,
    LatentField,
    decoded_rollout,
    encode_trajectories,
    fit_latent,
    judge,
    knn_states,
)
from jepa_lab.tasks import pendulum
from jepa_lab.tasks.base import Task
from jepa_lab.tasks.vjepa import time_ordered_features

KEY = "08-latent"


def trajectory_features(encoder: nn.Module, pend: config.PendulumPreset, n: int, length: int,
                        seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` rendered trajectories (seed ``seed``) of ``length`` windows: every window of ``pend.frames``
    frames through ``encoder``, its tokens averaged over space with the time steps kept in order and
    concatenated (``[n, length, D]``), and the true state at each window's last frame (``[n, length, 2]``)."""
    d = make_pendulum(n, length + pend.frames - 1, pend.dt, image_size=pend.image_size, seed=seed,
                      background=pend.background)
    feats = [time_ordered_features(encoder, clip.unfold(1, pend.frames, 1).permute(1, 0, 4, 2, 3)).flatten(1)
             for clip in d["frames"]]
    return torch.stack(feats), d["states"][:, pend.frames - 1:].float()


def latent_data(preset: config.LatentPreset, model: nn.Module | None = None) -> dict[str, torch.Tensor | str | None]:
    """Training trajectories (seed + 4) and held-out ones (seed + 5), encoded by the V-JEPA context encoder
    ``model`` (default notebook 08's shipped one): ``{"fit", "fit_states", "test", "test_states"}`` (the states
    only to judge) and ``"vjepa_sha256"``, the checksum of that V-JEPA's weights (a latent field is only valid
    on the features it was fitted on)."""
    pend = config.for_notebook("08", mode=preset.mode)
    if model is None:
        model = artifacts.fit_or_load(pendulum.TASK, pend)[0]
    encoder = model.context_encoder.eval()
    fit, fit_states = trajectory_features(encoder, pend, preset.trajectories, preset.length, preset.seed + 4)
    test, test_states = trajectory_features(encoder, pend, preset.test_trajectories, preset.length, preset.seed + 5)
    return {"fit": fit, "fit_states": fit_states, "test": test, "test_states": test_states,
            "vjepa_sha256": artifacts.tensor_checksum(model.state_dict())}


def fit_named(name: str, preset: config.LatentPreset, features: torch.Tensor) -> tuple[LatentField, list[float]]:
    """A ``LatentField`` with field ``name`` trained on ``features`` ``[N, L, D]`` with the preset's settings."""
    torch.manual_seed(preset.seed)
    model = LatentField(features.shape[-1], name, preset.hidden)
    losses = fit_latent(model, features, config.for_notebook("08", mode=preset.mode).dt, steps=preset.steps,
                        horizon=preset.horizon, batch=preset.batch, lr=preset.lr, seed=preset.seed)
    return model, losses


def knn_reader(model: LatentField, preset: config.LatentPreset, data: dict[str, torch.Tensor]):
    """The judge's reader of ``model``'s codes: ``latent_physics.knn_states`` on the training codes and their
    true states (``preset.neighbours`` of them)."""
    return knn_states(encode_trajectories(model, data["fit"]).reshape(-1, 2), data["fit_states"].reshape(-1, 2),
                      preset.neighbours)


def review(model: LatentField, preset: config.LatentPreset,
           data: dict[str, torch.Tensor]) -> tuple[dict[str, float], Callable, torch.Tensor]:
    """``latent_physics.judge`` on the held-out trajectories, with ``knn_reader``: ``(scores, reader, decoded)``,
    the reader and the decoded rollouts ``[N, steps + 1, 2]`` being those the scores were computed from (a
    notebook plots them and hands the reader to its explorer instead of computing them again)."""
    dt = config.for_notebook("08", mode=preset.mode).dt
    read = knn_reader(model, preset, data)
    decoded = decoded_rollout(model, read, data["test"], dt, preset.rollout_steps)
    return judge(model, read, data["test"], data["test_states"], dt, preset.rollout_steps, decoded), read, decoded


def judged(model: LatentField, preset: config.LatentPreset, data: dict[str, torch.Tensor]) -> dict[str, float]:
    """``review``'s scores alone."""
    return review(model, preset, data)[0]


FIT_KEYS = ("seed", "trajectories", "length", "hidden", "steps", "horizon", "batch", "lr")  # what a fit depends on


def identity(preset: config.LatentPreset, name: str, vjepa_sha256: str | None) -> dict:
    """What a latent field's card records about its making: its field, its preset, and the preset and weights'
    checksum of the V-JEPA whose features it was fitted on. Loading compares the field, the V-JEPA (preset and
    weights) and ``FIT_KEYS`` (the judge's settings may change without refitting)."""
    return {"model_name": name, "preset": preset.as_dict(), "vjepa_sha256": vjepa_sha256,
            "pendulum_preset": config.for_notebook("08", mode=preset.mode).as_dict()}


def _check_name(name: str | None) -> None:
    if name not in FIELDS:
        raise ValueError(f"unknown field {name!r}; choose one of {', '.join(FIELDS)}")


def _load(path: Path, preset: config.LatentPreset, name: str | None) -> tuple[LatentField, dict]:
    """Load a latent field fitted with ``preset``'s ``FIT_KEYS`` on the features of notebook 08's shipped V-JEPA
    of the mode (its checksum in ``data/checksums.json``)."""
    _check_name(name)
    state, card = train.read_checkpoint(path)
    refit = f"refit it with python -m jepa_lab.latent_physics --mode {preset.mode}"
    train.check_fit(path, card, {k: getattr(preset, k) for k in FIT_KEYS}, refit)
    vjepa = artifacts.shipped_checksum(pendulum.TASK.path(preset.mode))
    if vjepa is None or card.get("vjepa_sha256") != vjepa:
        raise train.CheckpointError(f"fitted on the features of another V-JEPA than the shipped "
                                    f"{pendulum.TASK.path(preset.mode).name}; {refit}")
    model = LatentField(state["model"]["mean"].numel(), name, preset.hidden)
    want = identity(preset, name, vjepa)
    card = train.load_checkpoint(path, model, expect={k: want[k] for k in ("model_name", "pendulum_preset")},
                                 loaded=(state, card))
    return model.eval(), card


def _fit(preset: config.LatentPreset, name: str | None, data: dict | None = None) -> tuple[LatentField, dict]:
    """Fit field ``name`` here on ``data["fit"]`` (default ``latent_data(preset)``)."""
    _check_name(name)
    data = latent_data(preset) if data is None else data
    model, losses = fit_named(name, preset, data["fit"])
    return model, {"losses": losses}


TASK = Task(name="latent_field", notebook=KEY, folder=artifacts.PHYSICS,
            stem=lambda name: f"latent_{str(name).lower()}", load=_load, fit=_fit, dataset="pendulum V-JEPA features")


def main(argv: list[str] | None = None) -> int:
    """``python -m jepa_lab.latent_physics --mode MODE [--seed N] [--field HNN]``: encode the trajectories
    once, fit each field, judge it on the held-out trajectories and write it with its figures."""
    parser = argparse.ArgumentParser(description="Fit notebook 08's fields in the V-JEPA latent (no state labels).")
    parser.add_argument("--mode", choices=config.MODES)
    parser.add_argument("--seed", type=int, help="another seed (trajectories, initialisation, batches; "
                                                  "files get a _seedN suffix)")
    parser.add_argument("--field", action="append", choices=list(FIELDS), help="only these (repeatable)")
    parser.add_argument("--out-dir", type=Path, default=artifacts.PHYSICS)
    args = parser.parse_args(argv)
    preset = config.for_notebook(KEY, mode=args.mode)
    preset = preset if args.seed is None else preset.replace(seed=args.seed)
    own_seed = config.for_notebook(KEY, mode=preset.mode).seed
    suffix, flags = ("", "") if preset.seed == own_seed else (f"_seed{preset.seed}", f" --seed {preset.seed}")
    t0 = time.perf_counter()
    data = latent_data(preset)
    print(f"encoded {preset.trajectories} + {preset.test_trajectories} trajectories of {preset.length} windows "
          f"in {time.perf_counter() - t0:.0f} s")
    for name in args.field or FIELDS:
        t0 = time.perf_counter()
        model, losses = fit_named(name, preset, data["fit"])
        seconds = time.perf_counter() - t0
        figures = judged(model, preset, data)
        only = "".join(f" --field {f}" for f in args.field or ())
        command = f"python -m jepa_lab.latent_physics --mode {preset.mode} --out-dir {args.out_dir}{flags}{only}"
        card = {**identity(preset, name, data["vjepa_sha256"]), "losses": losses, "wall_seconds": seconds,
                "commit": artifacts.commit(),
                "threads": torch.get_num_threads(), "judge": figures, "command": command}
        out = args.out_dir / f"{artifacts.artifact_name(TASK.stem(name) + suffix, preset.mode)}.pt"
        train.save_checkpoint(out, model, None, len(losses) * 10, card)
        print(f"{name} in the latent: {seconds:.0f} s, final loss {losses[-1]:.3f}; read back: angle "
              f"{figures['read_angle']:.3f} rad, omega {figures['read_omega']:.3f} rad/s; decoded rollout of "
              f"{preset.rollout_steps} steps: energy drift mean {figures['drift_mean']:.3f}, median "
              f"{figures['drift_median']:.3f} (first {preset.length} steps {figures['drift_first_mean']:.3f}, "
              f"the reader's own {figures['floor_drift_mean']:.3f}), energy level {figures['energy_level']:.2f} "
              f"(off by {figures['energy_level_error']:.2f} per rollout), angle error "
              f"{figures['rollout_angle']:.3f} rad")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
