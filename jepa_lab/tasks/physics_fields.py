"""Notebook 08's learned vector fields as tasks: the MLP, HNN and LNN fitted on true pendulum states
(task ``field``) or on states read from frames by the pendulum V-JEPA (task ``field_probed``), their
checkpoints (``data/physics/<model>[_probed]_<mode>.pt``) and ``python -m jepa_lab.physics``.

The fields, integrators and energy measures are ``jepa_lab.physics``.

Introduced in notebook 08.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts, config, evaluate, train
from jepa_lab.datasets.pendulum import make_pendulum
from jepa_lab.physics import (
    LNN_MAX_HIDDEN,
    MODELS,
    Exact,
    acceleration_error,
    angle_error,
    energy_mse,
    finite_difference,
    fit_field,
    read_windows,
    relative_drift,
    rollout,
)
from jepa_lab.tasks import ijepa, pendulum
from jepa_lab.tasks.base import Task

FIT_KEYS = ("seed", "dt", "field_trajectories", "field_hidden", "field_steps")  # what a fitted field depends on


def field_data(preset: config.PendulumPreset) -> tuple[torch.Tensor, torch.Tensor]:
    """(state, derivative) pairs from ``preset.field_trajectories`` simulated trajectories (seed)."""
    d = make_pendulum(preset.field_trajectories, 100, preset.dt, image_size=None, seed=preset.seed)
    return d["states"].reshape(-1, 2), d["derivatives"].reshape(-1, 2)


def held_out_starts(preset: config.PendulumPreset, n: int = 32) -> torch.Tensor:
    """Held-out initial states ``[n, 2]`` (seed + 1) for the rollouts."""
    return make_pendulum(n, 1, preset.dt, image_size=None, seed=preset.seed + 1)["states"][:, 0]


def field_width(name: str, preset: config.PendulumPreset) -> int:
    """The hidden width of field ``name`` under ``preset`` (the LNN's is capped at ``LNN_MAX_HIDDEN``)."""
    return min(preset.field_hidden, LNN_MAX_HIDDEN) if name == "LNN" else preset.field_hidden


def fit_named(name: str, preset: config.PendulumPreset, states: torch.Tensor,
              derivatives: torch.Tensor) -> tuple[nn.Module, list[float]]:
    """A fresh ``MODELS[name]`` (seeded) fitted with the preset's budget (the same for all three; measured:
    at 3,000 steps the LNN was still far from fitted, 0.69 % energy drift); the LNN on accelerations."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    torch.manual_seed(preset.seed)
    model = MODELS[name](hidden=field_width(name, preset))
    losses = fit_field(model, states, derivatives, steps=preset.field_steps, batch=1024, seed=preset.seed,
                       target="acc" if name == "LNN" else "both")
    return model, losses


def fit_settings(preset: config.PendulumPreset | dict) -> dict:
    """The preset fields a vector field fitted by ``fit_named`` on true states depends on (its checkpoint
    stays valid when the rest of the preset, the V-JEPA or rollout settings, changes)."""
    values = preset if isinstance(preset, dict) else preset.as_dict()
    return {k: values[k] for k in FIT_KEYS}


READERS = ("V-JEPA", "random init", "pixels")  # what reads the states from frames (``read_states``)
PIXEL_POOL = 2  # the pixels reader averages 2 x 2 pixel blocks: a 32 x 32 window becomes 3 x 8 x 16 x 16 = 6,144
# numbers, as many as the V-JEPA's token features (64 tokens x 96), and the ridge stays fast
READ_ALPHAS = tuple(10.0 ** k for k in range(-1, 6))  # the state probe's ridge penalties, chosen by cross-validation.
# Up to 1e5: on "camera" clips the random encoder's 6,144 features overfit 1,500 clips at 1e3 (held-out R² of
# omega below 0, worse than the mean); on clean renders the reads are the same as with penalties up to 1e3


def window_features(preset: config.PendulumPreset, reader: str = "V-JEPA", model: nn.Module | None = None):
    """The features one of ``READERS`` gives a batch of windows ``[W, 3, frames, S, S] -> [W, F]``:
    ``"V-JEPA"`` every token's features of the trained context encoder (``model``, default the shipped
    ``pendulum_vjepa_<mode>``), ``"random init"`` the same of the same encoder before training (built with the
    preset's seed, as training built it; ``model`` only gives the device), ``"pixels"`` the window's frames
    averaged over ``PIXEL_POOL`` x ``PIXEL_POOL`` blocks, flattened."""
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}; choose one of {', '.join(map(repr, READERS))}")
    if reader == "pixels":
        return lambda windows: nn.functional.avg_pool3d(windows, (1, PIXEL_POOL, PIXEL_POOL)).flatten(1)
    if reader == "V-JEPA":
        encoder = (model if model is not None else artifacts.fit_or_load(pendulum.TASK, preset)[0]).context_encoder
    else:
        device = next(model.parameters()).device if model is not None else torch.device("cpu")
        encoder = ijepa.initial_encoder(preset).to(device)
    encoder = encoder.eval()
    return lambda windows: evaluate.extract_features(encoder, windows, pool=False).flatten(1)


def read_states(preset: config.PendulumPreset, model: nn.Module | None = None,
                reader: str = "V-JEPA") -> tuple[torch.Tensor, torch.Tensor]:
    """Notebook 08's states read from frames: ``frame_trajectories`` held-out trajectories (seed + 3) of
    ``frame_length`` states, rendered, and every ``frames``-frame window read back by ``reader``'s features
    (``window_features``: the V-JEPA context encoder ``model``, default the shipped ``pendulum_vjepa_<mode>``,
    the same encoder at random init, or pixels) and a ridge probe fitted on simulator labels: the
    ``probe_train`` labelled clips of ``pendulum.probe_data`` (seed + 2), the same for every reader.
    Returns ``(read, true)``, both ``[N, frame_length, 2]``."""
    features = window_features(preset, reader, model)
    fit_x, fit_y = pendulum.probe_data(preset)[:2]
    decode = evaluate.fit_ridge(features(fit_x), fit_y["state"], alphas=READ_ALPHAS)
    held = make_pendulum(preset.frame_trajectories, preset.frame_length + preset.frames - 1, preset.dt,
                         image_size=preset.image_size, seed=preset.seed + 3, background=preset.background)
    read = read_windows(features, decode, held["frames"], preset.frames)
    return read, held["states"][:, preset.frames - 1:]


def reading_errors(read: torch.Tensor, true: torch.Tensor) -> dict[str, float]:
    """Mean absolute angle error (rad, wrapped) and ω error (rad/s) of read trajectories against true ones."""
    return {"angle": angle_error(read, true).abs().mean().item(),
            "omega": (read[..., 1] - true[..., 1]).abs().mean().item()}


def probed_field_data(preset: config.PendulumPreset, model: nn.Module | None = None,
                      reader: str = "V-JEPA") -> tuple[torch.Tensor, ...]:
    """(state, derivative) pairs from states read from frames (``read_states`` with ``reader``; central
    differences), then the read and true trajectories: ``(x, dx, read, true)``."""
    read, true = read_states(preset, model, reader)
    return (*finite_difference(read, preset.dt), read, true)


def _loader(probed: bool):
    def load(path: Path, preset: config.PendulumPreset, name: str | None) -> tuple[nn.Module, dict]:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
        model = MODELS[name](hidden=field_width(name, preset))
        # fitted on read states, a field depends on the whole preset (V-JEPA, probe, frames)
        expect = {"model_name": name, **({"preset": preset.as_dict()} if probed else {})}
        card = train.load_checkpoint(path, model, expect=expect)
        train.check_fit(path, card, fit_settings(preset))
        return model.eval(), card

    return load


def _fitter(probed: bool):
    def fit(preset: config.PendulumPreset, name: str | None,
            data: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[nn.Module, dict]:
        """Fit field ``name`` here on ``data`` (``(states, derivatives)``) if given, else on
        ``field_data`` / ``probed_field_data``."""
        if data is None:
            data = probed_field_data(preset)[:2] if probed else field_data(preset)
        model, losses = fit_named(name, preset, *data)
        return model, {"losses": losses}

    return fit


def frames_setting(preset: config.PendulumPreset, background: str, reader: str,
                   seed: int | None) -> tuple[config.PendulumPreset, nn.Module | None, str, str]:
    """What ``--states probed`` reads from: the preset (seed ``seed``; on ``"camera"`` clips, notebook 08's
    camera run of that seed), the V-JEPA model (``None``: the shipped one of the preset), the file suffix and
    the command-line flags that name it."""
    if background not in ("plain", "camera"):
        raise ValueError(f"unknown background {background!r}; choose 'plain' or 'camera'")
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}; choose one of {', '.join(map(repr, READERS))}")
    seed = preset.seed if seed is None else seed
    suffix, flags, model = "_probed", " --states probed", None
    if background == "camera":
        preset, tag = pendulum.camera_run(preset, seed)
        if reader == "V-JEPA":
            if not pendulum.TASK.path(preset.mode, tag).is_file():
                print(f"no shipped camera V-JEPA of seed {seed} in {preset.mode} mode (shipped seeds: "
                      f"{', '.join(map(str, preset.camera_seeds))}): training one here, {preset.steps} steps")
            model = artifacts.fit_or_load(pendulum.TASK, preset, tag)[0]
        suffix, flags = f"{suffix}_camera", f"{flags} --background camera"
    else:
        preset = preset.replace(seed=seed)
    if reader != "V-JEPA":
        suffix, flags = f"{suffix}_{reader.replace(' ', '_')}", f"{flags} --reader '{reader}'"
    if seed != config.for_notebook("08", mode=preset.mode).seed:
        suffix, flags = f"{suffix}_seed{seed}", f"{flags} --seed {seed}"
    return preset, model, suffix, flags


def main(argv: list[str] | None = None) -> int:
    """``python -m jepa_lab.physics --mode MODE [--states probed [--background camera] [--reader R]]``: fit
    MLP, HNN and LNN on true states (or on states read from frames by one of ``READERS``), roll them out from
    held-out starts, write them with their figures."""
    parser = argparse.ArgumentParser(description="Fit notebook 08's vector fields on pendulum states.")
    parser.add_argument("--mode", choices=config.MODES)
    parser.add_argument("--out-dir", type=Path, default=artifacts.PHYSICS)
    parser.add_argument("--model", action="append", choices=list(MODELS), help="only these (repeatable)")
    parser.add_argument("--states", choices=["true", "probed"], default="true",
                        help="fit on true states, or on states read from frames through the shipped V-JEPA")
    parser.add_argument("--seed", type=int, help="another seed (data, initialisation, batches and test starts; "
                                                  "files get a _seedN suffix)")
    parser.add_argument("--background", choices=["plain", "camera"], default="plain",
                        help="with --states probed: read clean renders, or 'camera' clips through the V-JEPA "
                             "trained on them (notebook 08's camera run of the seed)")
    parser.add_argument("--reader", choices=list(READERS), default="V-JEPA",
                        help="with --states probed: what reads the states from frames")
    args = parser.parse_args(argv)
    preset = config.for_notebook("08", mode=args.mode)
    if args.states != "probed" and (args.background != "plain" or args.reader != "V-JEPA"):
        parser.error("--background and --reader read states from frames: add --states probed")
    if args.states == "probed":
        preset, vjepa_model, suffix, flags = frames_setting(preset, args.background, args.reader, args.seed)
    else:
        suffix, flags = "", ""
        if args.seed is not None and args.seed != preset.seed:
            preset = preset.replace(seed=args.seed)
            suffix, flags = f"_seed{args.seed}", f" --seed {args.seed}"
    commit = artifacts.commit()
    extra = {}
    if args.states == "probed":
        x, dx, read, true = probed_field_data(preset, vjepa_model, args.reader)
        data, starts, judged = (x, dx), read[:, 0], true.reshape(-1, 2)
        true_starts = true[:, 0]
        rest = reading_errors(torch.zeros_like(true), true)  # a reader that always says "hanging still"
        extra = {"reader": args.reader, "background": args.background, "reading_errors": reading_errors(read, true),
                 "rest_errors": rest, "omega_std": true[..., 1].std().item()}
        print(f"states read from frames by {args.reader} ({args.background} clips): angle error "
              f"{extra['reading_errors']['angle']:.3f} rad, omega error {extra['reading_errors']['omega']:.3f} rad/s "
              f"(always guessing the resting state: {rest['angle']:.3f} rad, {rest['omega']:.3f} rad/s; "
              f"omega's spread {extra['omega_std']:.2f} rad/s)")
    else:
        data, starts = field_data(preset), held_out_starts(preset)
        judged, true_starts = starts, None  # the acceleration error: on the held-out starts here, on every
        # true state of the read trajectories above
    floor = relative_drift(rollout(Exact(), starts, preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps))
    print(f"the exact pendulum under the same integrator: energy drift mean {floor.mean():.2e} (the floor)")
    for name in args.model or MODELS:
        t0 = time.perf_counter()
        model, losses = fit_named(name, preset, *data)
        seconds = time.perf_counter() - t0
        traj = rollout(model, starts, preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps)
        drift = relative_drift(traj)
        acc_error, acc_scale = acceleration_error(model, judged)
        if true_starts is not None:  # every reader's fields also from the same, true starts
            extra["drift_mean_true_starts"] = float(relative_drift(rollout(
                model, true_starts, preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps)).mean())
        card = {"preset": preset.as_dict(), "model_name": name, "states": args.states, "losses": losses,
                "wall_seconds": seconds, "commit": commit, "threads": torch.get_num_threads(),
                "command": f"python -m jepa_lab.physics --mode {preset.mode} --out-dir {args.out_dir}{flags}",
                "drift_mean": float(drift.mean()), "energy_mse": energy_mse(traj),
                "exact_drift_mean": float(floor.mean()), "acc_error": acc_error, "acc_scale": acc_scale, **extra}
        out = args.out_dir / f"{artifacts.artifact_name(name.lower() + suffix, preset.mode)}.pt"
        train.save_checkpoint(out, model, None, len(losses) * 10, card)
        print(f"{name}: {seconds:.0f} s, final loss {losses[-1]:.2e}, energy drift over {preset.rollout_steps} "
              f"steps: mean {drift.mean():.2e}, max {drift.max():.2e}, energy MSE {energy_mse(traj):.2e}; "
              f"acceleration error {acc_error:.2f} rad/s² (the true acceleration averages {acc_scale:.2f})"
              + (f"; from the true starts, energy drift mean {extra['drift_mean_true_starts']:.2e}"
                 if true_starts is not None else ""))
    return 0


FIELDS = Task(name="field", notebook="08", folder=artifacts.PHYSICS, stem=lambda name: str(name).lower(),
              load=_loader(probed=False), fit=_fitter(probed=False), dataset="pendulum states")
PROBED_FIELDS = Task(name="field_probed", notebook="08", folder=artifacts.PHYSICS,
                     stem=lambda name: f"{str(name).lower()}_probed", load=_loader(probed=True),
                     fit=_fitter(probed=True), dataset="pendulum states read from frames")

if __name__ == "__main__":
    raise SystemExit(main())
