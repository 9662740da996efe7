"""Seeding, device choice, autocast, parameter counts, FLOP counts and a timer.

Introduced in notebook 01.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import time
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from jepa_lab import threads


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU ``torch.Generator`` seeded with ``seed``.

    Same seed, same numbers on the same machine (pass the returned generator to samplers).
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """Pick the device: ``prefer`` if given, else CUDA, then Apple MPS, then CPU.

    Raises:
        ValueError: ``prefer`` names a device that is not available here.
    """
    if prefer is not None:
        kind = torch.device(prefer).type
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": _mps_available(),
        }
        if not available.get(kind, False):
            usable = [k for k, ok in available.items() if ok]
            raise ValueError(f"device {prefer!r} is not available; usable: {', '.join(usable)}")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def autocast(device: torch.device | str, enabled: bool = True) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA; a no-op elsewhere (bf16 matmuls are ~100x slower on CPUs)."""
    device = torch.device(device)
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def count_params(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (only those with ``requires_grad`` if asked)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class Timer:
    """Wall-clock timer: ``with Timer() as t: ...`` then ``t.seconds``.

    Synchronises CUDA on exit so GPU work is counted.
    """

    def __init__(self) -> None:
        self.seconds = float("nan")
        self._start = 0.0

    def __enter__(self) -> Timer:
        _sync()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        _sync()
        self.seconds = time.perf_counter() - self._start


def _sync() -> None:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def time_call(fn, repeats: int = 3, warmup: int = 1) -> float:
    """Minimum wall-clock seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        with Timer() as t:
            fn()
        best = min(best, t.seconds)
    return best


def count_flops(fn) -> int:
    """Floating-point operations torch performs in ``fn()`` (matmuls and convolutions, counted by
    ``torch.utils.flop_counter``): the same on every machine, busy or idle, unlike a time.

    Fused attention kernels hide their matmuls from the counter, so ``fn`` runs with PyTorch's
    math attention backend, which computes the same result with visible matmuls.

    Introduced in notebook 01.
    """
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Temporarily set torch's intra-op thread count (benchmarks pin it for fair ratios)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def describe(mode: str, seed: int, device: torch.device | str) -> str:
    """One line for a notebook's setup cell: mode, seed, device, torch, threads and their policy, load.

    Also applies the thread policy (``apply_thread_policy``), so a slow notebook's report shows it."""
    policy = threads.apply_thread_policy()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"mode={mode} seed={seed} device={device} torch={torch.__version__} "
        f"threads={torch.get_num_threads()} ({policy}) python={platform.python_version()} "
        f"load={load:.2f}"
    )
