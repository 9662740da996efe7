"""The course's one training loop, for every notebook and for ``python -m jepa_lab.train``.

What it does each step: draw a batch from ``batch_fn(step, generator)`` (a generator seeded by
``(seed, step)``, so a resumed run sees exactly the batches it would have seen), set the
learning rate (linear warm-up then cosine), weight decay and EMA momentum (cosine schedules),
compute the loss under bf16 autocast on CUDA, stop with the step number if it is not finite,
clip gradients, step AdamW, update the EMA target, and log.

Checkpoints (``checkpoints.py``) are written at the end, every ``save_every`` steps or ``save_seconds``
seconds, and when ``stop_requested()`` (``stop_on_signals``: Ctrl-C, SIGTERM); before each save the state
must be finite and give a finite loss on the next batch, else the run stops naming the step and nothing
is written. A periodic save that cannot be written (a full disk) only warns: training goes on and the
next save tries again (the final and the on-signal saves raise). ``resume=True`` continues only a
checkpoint of the same model, preset, seed and schedule; one already complete is left as it is.

Under ``torchrun --nproc_per_node=N`` (or any initialised process group) the model is wrapped in
``DistributedDataParallel``: every rank draws the same global batch from the same seeded
generator and trains on its own slice, so gradients are averaged and all ranks stay identical. The ranks
agree before they stop: a non-finite loss on any rank's slice, or a failed check before a save (each rank
checks its own slice), stops every rank at the same step with the same ``TrainingDiverged``.

Introduced in notebook 04.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from jepa_lab import runtime, threads
from jepa_lab.train.checkpoints import (
    check_resume,
    load_checkpoint,
    nonfinite_report,
    read_checkpoint,
    save_checkpoint,
)


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


def dist_info() -> tuple[int, int]:
    """``(rank, world size)`` of this process (``(0, 1)`` outside a process group)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard(b, rank: int, world: int, device: torch.device):
    """This rank's slice of a global batch (a tensor, or a list of tensors such as target indices)."""
    if isinstance(b, (list, tuple)):
        return [shard(t, rank, world, device) for t in b]
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


class TrainingInterrupted(RuntimeError):
    """A run stopped on request (SIGINT/SIGTERM) after saving its checkpoint; ``step`` and ``path`` say where."""

    def __init__(self, message: str, step: int, path: Path | None) -> None:
        super().__init__(message)
        self.step, self.path = step, path


@contextlib.contextmanager
def stop_on_signals(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)):
    """Within the block, SIGINT and SIGTERM ask ``fit`` to stop after the current step and save (pass the
    yielded callable as ``fit(stop_requested=...)``); a second Ctrl-C stops at once. Main thread only."""
    asked = []

    def handler(signum, frame):
        if asked and signum == signal.SIGINT:
            raise KeyboardInterrupt
        asked.append(signum)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield lambda: bool(asked)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _all_ranks_agree(flags: tuple[bool, ...], world: int, device: torch.device) -> tuple[bool, ...]:
    """Each flag ``True`` on any rank means ``True`` on every rank (so all stop or save at the same step)."""
    if world == 1:
        return flags
    t = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(t)
    return tuple(bool(v) for v in t.tolist())


def _every_rank(value: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """Every rank's scalar ``value`` in rank order, on every rank (a NaN stays in its own rank's slot)."""
    if world == 1:
        return value.detach().float().reshape(1)
    t = torch.zeros(world, device=value.device)
    t[rank] = value.detach().float()
    dist.all_reduce(t)
    return t


def _first_problem(problem: str | None, world: int) -> str | None:
    """The first rank's problem (any rank's), the same on every rank."""
    if world == 1:
        return problem
    problems = [None] * world
    dist.all_gather_object(problems, problem)
    return next((p for p in problems if p), None)


def fit(model: nn.Module, batch_fn: Callable[[int, torch.Generator], tuple], cfg: TrainConfig, *,
        device: torch.device | str = "cpu", checkpoint: str | Path | None = None, resume: bool = False,
        card: dict | None = None, progress: bool = False, until: int | None = None,
        monitor: Callable[[nn.Module], dict[str, float]] | None = None, monitor_every: int = 0,
        save_every: int = 0, save_seconds: float = 0.0, stop_requested: Callable[[], bool] | None = None,
        allow_new_steps: bool = False) -> dict[str, list]:
    """Train ``model`` for ``cfg.steps`` steps; return the history (step, loss, lr, momentum).

    Args:
        model: a module whose ``forward(*batch)`` returns the loss; if it has ``ema_update``,
            it is called after every step with the scheduled momentum.
        batch_fn: ``(step, generator) -> tuple`` of tensors for ``model(*batch)``.
        checkpoint: where to save at the end (and every ``save_every`` steps or ``save_seconds`` seconds,
            and when ``stop_requested()``), and to resume from if ``resume``.
        card: extra facts for the checkpoint's JSON card (preset, dataset...).
        until: stop (and checkpoint) after this step count; a later ``resume=True`` call finishes
            the run exactly as an uninterrupted one would.
        monitor: ``model -> {name: float}`` called (in eval mode, without gradients) before the first
            step, every ``monitor_every`` steps and after the last; the results go to
            ``history["monitor"]`` as ``{"step": s, **metrics}`` (e.g. ``evaluate.collapse_monitor``).
        allow_new_steps: resuming, accept a checkpoint made with another step budget (recorded in the card).
    Raises:
        TrainingDiverged: the loss became NaN or infinite, or before a save a parameter or buffer is not
            finite or the weights give a non-finite loss (the message names the step; nothing is written).
        TrainingInterrupted: ``stop_requested()`` became true (after saving, when there is a checkpoint).
        ValueError: resuming from a checkpoint of another model, preset, seed or schedule (the message
            names the fields), without optimizer state, or past ``cfg.steps``.
    """
    device = torch.device(device)
    model.to(device).train()
    rank, world = dist_info()
    net = torch.compile(model) if cfg.compile else model  # checkpoints keep the uncompiled names
    if world > 1:
        net = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(model, cfg)
    base_card = {"config": dataclasses.asdict(cfg), "model": type(model).__name__, **(card or {})}
    start, history, seconds_before = 0, {"step": [], "loss": [], "lr": [], "momentum": []}, 0.0
    if resume and checkpoint is not None and Path(checkpoint).is_file():
        loaded = read_checkpoint(checkpoint)  # read once for both
        start, saved = check_resume(checkpoint, base_card, cfg.steps, allow_new_steps, loaded=loaded)
        load_checkpoint(checkpoint, model, optimizer, expect={"model": base_card["model"]}, loaded=loaded)
        history, seconds_before = saved.get("history", history), saved.get("wall_seconds", 0.0)
        base_card["resumed"] = [*saved.get("resumed", []),
                                {"at_step": start, "steps_before": saved["config"]["steps"], "steps_now": cfg.steps}]
    bar = None
    if progress and rank == 0:
        bar = tqdm(total=cfg.steps, initial=start, desc="train")
    t0 = last_save = time.perf_counter()
    stop = cfg.steps if until is None else min(until, cfg.steps)

    def watch(step: int) -> None:
        if monitor is None or rank != 0:
            return
        was_training = model.training
        model.eval()
        with torch.no_grad():
            history.setdefault("monitor", []).append({"step": step, **monitor(model)})
        model.train(was_training)

    def save(done: int, final: bool) -> None:
        """Check the state on every rank (finite, and a finite loss on this rank's slice of the next batch),
        share the verdict, then write the checkpoint on rank 0; a periodic save that fails to write warns."""
        problem = nonfinite_report(model)
        if problem is None:
            devices = [device] if device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices), torch.no_grad(), runtime.autocast(device, enabled=cfg.bf16):
                nxt = batch_fn(done, torch.Generator().manual_seed(cfg.seed * 1_000_003 + done))  # not the run's RNG
                check = model(*(shard(b, rank, world, device) for b in nxt))
            if not torch.isfinite(check):
                on = f" (rank {rank}'s slice)" if world > 1 else ""
                problem = f"the weights give a loss of {check.item()} on the next batch{on}"
        problem = _first_problem(problem, world)
        if problem:
            raise TrainingDiverged(f"after step {done}: {problem}; not saving {checkpoint}: lower the learning "
                                   f"rate (lr={cfg.lr})")
        if rank != 0:
            return
        try:
            save_checkpoint(checkpoint, model, optimizer, done,
                            {**base_card, "history": history, "device": str(device), "torch": torch.__version__,
                             "wall_seconds": seconds_before + time.perf_counter() - t0})
        except (OSError, RuntimeError) as e:  # torch.save reports a full disk as a RuntimeError
            if final:
                raise
            print(f"warning: could not save {checkpoint} after step {done} ({type(e).__name__}: {e}); "
                  "training goes on and the next save tries again", file=sys.stderr)

    if start == 0:
        watch(0)
    with threads.training_threads() as governor:  # follow the free cores on a busy machine (jepa_lab.threads)
        for step in range(start, stop):
            if governor is not None:
                governor.tick()
            lr = learning_rate(step, cfg)
            wd = cosine(step, cfg.steps, *cfg.weight_decay)
            for group in optimizer.param_groups:
                group["lr"] = lr
                if group["decay"]:
                    group["weight_decay"] = wd
            g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
            batch = tuple(shard(b, rank, world, device) for b in batch_fn(step, g))
            with runtime.autocast(device, enabled=cfg.bf16):
                loss = net(*batch)
            losses = _every_rank(loss, rank, world)  # every rank stops here if any rank's loss is not finite
            if not torch.isfinite(losses).all():
                bad = int((~torch.isfinite(losses)).nonzero()[0])
                on = f" (rank {bad}'s slice)" if world > 1 else ""
                raise TrainingDiverged(f"loss became {losses[bad].item()} at step {step}{on}: lower the learning rate "
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
            due = checkpoint is not None and bool((save_every and (step + 1) % save_every == 0)
                                                  or (save_seconds and time.perf_counter() - last_save >= save_seconds))
            halt, due = _all_ranks_agree((stop_requested is not None and stop_requested(), due), world, device)
            if checkpoint is not None and (halt or due) and step + 1 < stop:
                save(step + 1, final=halt)
                last_save = time.perf_counter()
            if halt and step + 1 < stop:  # asked at the last step: the run just finishes and saves
                if bar is not None:
                    bar.close()
                where = f"; checkpoint {checkpoint}: run again with --resume to continue" if checkpoint else ""
                raise TrainingInterrupted(f"interrupted after step {step + 1} of {cfg.steps}{where}", step + 1,
                                          None if checkpoint is None else Path(checkpoint))
    if bar is not None:
        bar.close()
    if stop > start:
        watch(stop)
    if checkpoint is not None and stop > start:
        save(stop, final=True)
    elif checkpoint is not None and rank == 0 and start >= cfg.steps:
        print(f"{checkpoint} is already complete (step {start} of {cfg.steps}): not rewritten")
    return history
