"""``python -m jepa_lab.train TASK --mode MODE [--steps N] [--out PATH] [--resume] [--set K=V] [--probe|--ship]``.

Trains any task of the table (``jepa_lab.tasks.TASKS``) that has a ``build``; works under ``torchrun`` (DDP).

Introduced in notebook 04.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

import torch
import torch.distributed as dist

from jepa_lab import artifacts, config, runtime, train
from jepa_lab.tasks import TASKS

TRAINABLE = sorted(name for name, t in TASKS.items() if t.build is not None)


def parse_overrides(preset: config.Preset, items: list[str]) -> dict:
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


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    p = argparse.ArgumentParser(prog="python -m jepa_lab.train",
                                description="Train a course model; works under torchrun for DDP.")
    p.add_argument("task", choices=TRAINABLE)
    p.add_argument("--mode", choices=config.MODES, help="preset mode (default: JEPA_LAB_MODE or the device's)")
    p.add_argument("--steps", type=int, help="override the preset's step count")
    p.add_argument("--out", type=Path, help="checkpoint (default: the task's folder and name, e.g. "
                                            "data/checkpoints/ijepa_shapes_<mode>.pt)")
    p.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (GPU runs)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field, e.g. --set lr=0.002 (repeatable)")
    p.add_argument("--probe", action="store_true",
                   help="after training, probe held-out data next to random-init and pixel baselines, "
                        "and record the figures in the checkpoint's card")
    p.add_argument("--ship", action="store_true",
                   help="like --probe, and drop the optimizer state (a few MB, for data/checkpoints/)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line (see the module docstring); returns the exit status."""
    args = parser().parse_args(argv)
    task = TASKS[args.task]
    preset = config.for_notebook(task.notebook, mode=args.mode)
    if args.steps:
        preset = preset.replace(steps=args.steps)
    preset = preset.replace(**parse_overrides(preset, args.set))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    else:
        device = runtime.get_device()
    runtime.seed_everything(preset.seed)
    model, batch_fn, cfg = task.build(preset)
    cfg = dataclasses.replace(cfg, compile=args.compile)
    out = args.out or task.path(preset.mode)
    command = f"python -m jepa_lab.train {args.task} --mode {preset.mode}"
    command += f" --steps {args.steps}" if args.steps else ""
    command += "".join(f" --set {item}" for item in args.set)
    command += f" --out {args.out}" if args.out else ""
    command += " --compile" if args.compile else ""
    command += " --ship" if args.ship else " --probe" if args.probe else ""
    card = {"preset": preset.as_dict(), "dataset": task.dataset, "command": command, "commit": artifacts.commit(),
            "world_size": world, "threads": torch.get_num_threads()}
    history = train.fit(model, batch_fn, cfg, device=device, checkpoint=out, resume=args.resume, card=card,
                        progress=True)
    rank = train.dist_info()[0]
    if world > 1:
        dist.destroy_process_group()
    if rank == 0:
        print(f"final loss {history['loss'][-1]:.4f} (rank 0's shard); checkpoint {out}")
        if (args.probe or args.ship) and task.report is not None:
            results, text = task.report(model, preset)
            print(text)
            train.update_card(out, {"probe": results}, drop_optimizer=args.ship)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
