"""``python -m jepa_lab.train TASK --mode MODE [--steps N] [--out PATH] [--resume|--overwrite] [--set K=V]
[--probe|--ship]``.

Trains any task of the table (``jepa_lab.tasks.TASKS``) that has a ``build``; works under ``torchrun`` (DDP).
A run is written to ``runs/<name>.pt`` (``--out`` elsewhere); an existing one is continued (``--resume``) or
replaced (``--overwrite``) only when asked. It saves every ``--save-minutes`` (and ``--save-every`` steps)
and on Ctrl-C or SIGTERM, and ``--resume`` continues from there, refusing a checkpoint made with other
settings. ``--ship`` trains in ``runs/<name>.pt`` too (resumable there) and only once the run has finished
and been probed copies it, without its optimizer state, atomically into the course's ``data/`` folder (or
``--out``), recording its checksum in ``data/checksums.json``: a stopped or failed run never reaches
``data/``. Everything that can be checked before training (the flags, the outputs) is checked before training.

Introduced in notebook 04.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import typing
from pathlib import Path

import torch
import torch.distributed as dist

from jepa_lab import artifacts, config, runtime, threads, train
from jepa_lab.tasks import TASKS

TRAINABLE = sorted(name for name, t in TASKS.items() if t.build is not None)


def parse_overrides(preset: config.Preset, items: list[str]) -> dict:
    """``["lr=0.002", "colour=white"]`` -> typed overrides of ``preset``'s fields.

    Raises:
        ValueError: not ``KEY=VALUE``, an unknown key (the message lists the valid ones), or a value
            that does not parse as the field's type.
    """
    fields, out = preset.as_dict(), {}
    try:
        hints = typing.get_type_hints(type(preset))
    except (NameError, TypeError):
        hints = {}
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
            elif kind is tuple:  # comma-separated, e.g. --set speeds=0.5,1 or --set horizons=1,2
                element = tuple_element(hints.get(name), fields[name])
                try:
                    out[name] = tuple(element(v) for v in value.split(","))
                except ValueError:
                    raise ValueError(f"--set {name}: {value!r} is not a comma-separated list of "
                                     f"{element.__name__}") from None
            else:
                out[name] = kind(value)
        except ValueError as e:
            if str(e).startswith("--set"):
                raise
            raise ValueError(f"--set {name}: {value!r} is not a valid {kind.__name__}") from None
    return out


def tuple_element(hint, current: tuple) -> type:
    """The element type of a tuple field: from its type hint (``tuple[int, ...]`` -> ``int``), else from its
    current value's first element, else ``float``."""
    args = [a for a in typing.get_args(hint) if a is not Ellipsis]
    if args and isinstance(args[0], type):
        return args[0]
    return type(current[0]) if current else float


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    p = argparse.ArgumentParser(prog="python -m jepa_lab.train",
                                description="Train a course model; works under torchrun for DDP.")
    p.add_argument("task", choices=TRAINABLE)
    p.add_argument("--mode", choices=config.MODES, help="preset mode (default: JEPA_LAB_MODE or the device's)")
    p.add_argument("--steps", type=int, help="override the preset's step count")
    p.add_argument("--out", type=Path, help="checkpoint (default runs/NAME.pt, NAME the task's file name, e.g. "
                                            "ijepa_shapes_<mode>; with --ship the shipped file in data/)")
    p.add_argument("--resume", action="store_true", help="continue from --out (saved periodically and on Ctrl-C)")
    p.add_argument("--overwrite", action="store_true", help="start again from step 0 over an existing --out")
    p.add_argument("--allow-new-steps", action="store_true",
                   help="with --resume: continue with another step budget (recorded in the card)")
    p.add_argument("--save-every", type=int, default=0, metavar="STEPS",
                   help="also save every STEPS steps (default 0: by time only)")
    p.add_argument("--save-minutes", type=float, default=5.0, metavar="MINUTES",
                   help="save every MINUTES minutes of training (default 5; 0: only at the end and on Ctrl-C)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (GPU runs)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field, e.g. --set lr=0.002 (repeatable)")
    p.add_argument("--probe", action="store_true",
                   help="after training, probe held-out data next to random-init and pixel baselines, "
                        "and record the figures in the checkpoint's card")
    p.add_argument("--ship", action="store_true",
                   help="make a file for the course: trains in runs/ (resumable there), then implies --probe, "
                        "and only once finished writes (or replaces) the shipped file in data/ (or --out) without "
                        "the optimizer state, recording its checksum in data/checksums.json")
    return p


def output(task, preset: config.Preset, args: argparse.Namespace) -> tuple[Path, Path | None]:
    """Where this run trains (its checkpoint, periodic saves, ``--resume``) and, with ``--ship``, where the
    finished file goes; checked before training.

    Raises:
        ValueError: a ``.json`` name (the card's), a shipped ``data/`` folder without ``--ship``, a path that
            cannot be written (a directory, under a file, a read-only folder), or an existing run without
            ``--resume`` or ``--overwrite`` (the message gives its step).
    """
    shipped = task.path(preset.mode)
    ship_to = (args.out or shipped) if args.ship else None
    out = artifacts.RUNS / ship_to.name if ship_to else (args.out or artifacts.RUNS / shipped.name)
    for path in (out, ship_to) if ship_to else (out,):
        artifacts.card_path(path)  # refuses x.json, whose card would be itself
        artifacts.check_writable(path)
        artifacts.check_writable(artifacts.card_path(path))
    if artifacts.is_shipped(out) and not args.ship:
        raise ValueError(f"{out} is in the course's shipped folder {out.parent}: training writes there only with "
                         f"--ship (which replaces the shipped file and its card). For your own run leave out --out "
                         f"(it goes to {artifacts.RUNS / out.name}) or name a path outside data/")
    if ship_to and out.resolve() == ship_to.resolve():
        raise ValueError(f"--ship trains in {out} and copies the finished file to --out: name another --out")
    if ship_to and artifacts.in_data(ship_to):
        artifacts.check_writable(artifacts.CHECKSUMS)
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the existing run, --overwrite starts it again: choose one")
    if out.exists() and not (args.resume or args.overwrite):
        try:
            what = f"a checkpoint at step {int(train.read_checkpoint(out)[0]['step'])}"
        except train.CheckpointError as e:
            what = f"not a usable checkpoint: {e}"
        raise ValueError(f"{out} already exists ({what}): --resume continues it, --overwrite starts again from "
                         f"step 0 and replaces it (or name another --out)")
    return out, ship_to


def main(argv: list[str] | None = None) -> int:
    """Run the command line (see the module docstring); returns the exit status (130: interrupted, saved).

    Raises:
        ValueError: a flag or output that cannot work (checked before training), or a checkpoint that
            cannot be resumed.
    """
    args = parser().parse_args(argv)
    task = TASKS[args.task]
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be at least 1, got {args.steps}")
    if args.save_every < 0 or args.save_minutes < 0:
        raise ValueError("--save-every and --save-minutes must not be negative")
    if any(item.partition("=")[0] == "mode" for item in args.set):
        raise ValueError("the mode comes from --mode (it picks the whole preset), not from --set mode=...")
    if (args.probe or args.ship) and task.report is None:
        raise ValueError(f"task {args.task} has no probe report: leave out --probe/--ship")
    preset = config.for_notebook(task.notebook, mode=args.mode)
    if args.steps:
        preset = preset.replace(steps=args.steps)
    preset = preset.replace(**parse_overrides(preset, args.set))
    out, ship_to = output(task, preset, args)
    if args.resume and not out.is_file():
        print(f"no checkpoint at {out} yet: starting from step 0")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    else:
        device = runtime.get_device()
    rank = train.dist_info()[0]
    runtime.seed_everything(preset.seed)
    model, batch_fn, cfg = task.build(preset)  # model constructors refuse impossible presets (num_heads=0...)
    cfg = dataclasses.replace(cfg, compile=args.compile)
    command = f"python -m jepa_lab.train {args.task} --mode {preset.mode}"
    command += f" --steps {args.steps}" if args.steps else ""
    command += "".join(f" --set {item}" for item in args.set)
    command += f" --out {args.out}" if args.out else ""
    command += " --compile" if args.compile else ""
    command += " --ship" if args.ship else " --probe" if args.probe else ""
    policy = threads.apply_thread_policy()  # a JEPA_LAB_THREADS pin, or the free cores now (printed, and in the card)
    print(f"threads: {torch.get_num_threads()} ({policy})")
    card = {"preset": preset.as_dict(), "dataset": task.dataset, "command": command, "commit": artifacts.commit(),
            "world_size": world, "threads": torch.get_num_threads(), "thread_policy": policy}
    try:
        with train.stop_on_signals() as stop_requested:
            history = train.fit(model, batch_fn, cfg, device=device, checkpoint=out, resume=args.resume, card=card,
                                progress=True, save_every=args.save_every, save_seconds=60 * args.save_minutes,
                                stop_requested=stop_requested, allow_new_steps=args.allow_new_steps)
    except train.TrainingInterrupted as e:
        print(e, file=sys.stderr)
        return 130
    finally:
        if world > 1:
            dist.destroy_process_group()
    if rank == 0:
        print(f"final loss {history['loss'][-1]:.4f} (rank 0's shard); checkpoint {out}")
        if args.probe or args.ship:
            results, text = task.report(model, preset)
            print(text)
            train.update_card(out, {"probe": results})
        if ship_to:  # finished, checked and probed: only now does the file reach data/
            train.publish(out, ship_to)
            print(f"shipped {ship_to} (without the optimizer state); {out} keeps it for --resume")
    return 0


def run(argv: list[str] | None = None) -> int:
    """``main`` for the shell: a refused flag, output or checkpoint is one line on stderr (exit 2), not a
    traceback; a run that diverged is one line too (exit 1)."""
    try:
        return main(argv)
    except ValueError as e:
        print(f"python -m jepa_lab.train: error: {e}", file=sys.stderr)
        return 2
    except train.TrainingDiverged as e:
        print(f"python -m jepa_lab.train: training stopped: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(run())
