"""Seeding, device choice, autocast, parameter counts, a timer and the thread policy.

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

import jepa_lab


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
    policy = apply_thread_policy()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"mode={mode} seed={seed} device={device} torch={torch.__version__} "
        f"threads={torch.get_num_threads()} ({policy}) python={platform.python_version()} "
        f"load={load:.2f}"
    )


# ----------------------------------------------------------------------------- threads on a busy machine
# A laptop always runs something else, and a workshop hub puts several kernels on the same cores. OpenMP's
# threads wait for each other at the end of every parallel region, so when another process takes a core,
# every region waits for a thread that is not running. The policy: as many threads as the cores other
# processes leave free, re-read about once a second while training (``ThreadGovernor``), and a short spin
# before waiting threads sleep (set on ``import jepa_lab``). ``JEPA_LAB_THREADS=N`` pins N threads (the same
# thread count gives bit-identical reruns; another count changes results in the 7th digit), and
# ``JEPA_LAB_THREADS=off`` leaves torch and OpenMP alone. An ``OMP_NUM_THREADS`` you set yourself wins.


def cgroup_cpu_limit(root: str = "/sys/fs/cgroup") -> float | None:
    """The CPU quota of this process's container in cores (cgroup v2 ``cpu.max`` or v1
    ``cpu/cpu.cfs_quota_us``), or None when there is none."""
    for quota_file, period_file in (("cpu.max", None), ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us")):
        try:
            with open(os.path.join(root, quota_file)) as f:
                fields = f.read().split()
            if period_file is not None:
                with open(os.path.join(root, period_file)) as f:
                    fields.append(f.read().strip())
            quota, period = fields[0], fields[1]
            if quota in ("max", "-1"):
                return None
            return int(quota) / int(period)
        except (OSError, ValueError, IndexError):
            continue
    return None


def usable_cores() -> int:
    """Cores this process may use: its CPU affinity where the OS tells it, within its container's CPU
    quota (a JupyterHub's ``cpu_limit``), whichever is smaller."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    return max(1, min(n, int(limit))) if limit else n


def thread_setting() -> str | int:
    """``JEPA_LAB_THREADS`` read: ``"auto"`` (the default), ``"off"`` or a pinned thread count.

    Raises:
        ValueError: the variable is set to anything else.
    """
    raw = os.environ.get(jepa_lab.THREADS_ENV, "").strip().lower() or "auto"
    if raw in ("auto", "off"):
        return raw
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    raise ValueError(f"{jepa_lab.THREADS_ENV}={raw!r}: use auto (follow the free cores), off (leave torch's "
                     f"threads alone) or a thread count such as 1")


def _cgroup_usage_seconds(root: str = "/sys/fs/cgroup") -> float | None:
    """CPU seconds used by this process's container so far (cgroup v2 ``cpu.stat`` or v1 ``cpuacct``)."""
    try:
        with open(os.path.join(root, "cpu.stat")) as f:
            for line in f:
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(root, "cpuacct", "cpuacct.usage")) as f:
            return int(f.read().strip()) / 1e9
    except (OSError, ValueError):
        return None


def _cores_busy_seconds(cpus: set[int] | None) -> float | None:
    """Busy CPU seconds since boot of the cores in ``cpus`` (all cores if None), from Linux's
    ``/proc/stat``; None elsewhere."""
    try:
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu") and line[3:4].isdigit()]
    except OSError:
        return None
    busy = 0
    for fields in lines:
        if cpus is None or int(fields[0][3:]) in cpus:
            ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            busy += sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK") if lines else None


def shared_busy_seconds() -> float | None:
    """CPU seconds used so far by everything that competes with this process for its cores: its
    container's own usage where the container has a CPU quota (other learners' kernels on a hub do not
    count), else the busy time of the cores this process may run on. None where the OS says neither."""
    if cgroup_cpu_limit() is not None:
        usage = _cgroup_usage_seconds()
        if usage is not None:
            return usage
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return _cores_busy_seconds(cpus)


_TORCH_DEFAULT_THREADS = torch.get_num_threads()  # what torch chose before any policy touched it
_policy_threads: list[int] = []  # the last count the policy set (empty: none yet)


def _set_threads(n: int) -> None:
    torch.set_num_threads(n)
    _policy_threads[:] = [n]


class ThreadGovernor:
    """Keeps torch's thread count at the number of cores that other processes leave free.

    ``tick()`` is cheap (two clock reads); about once per ``interval`` seconds it compares the CPU time
    used on this process's cores (or in its container) with this process's own and sets
    ``torch.set_num_threads`` to the free cores (at least 1, at most ``max_threads``). It stands down
    for good if something else changes the thread count meanwhile. ``training_threads`` makes one for
    each training loop (``train.fit``, ``physics.fit_field``).
    """

    def __init__(self, max_threads: int | None = None, interval: float = 1.0) -> None:
        self.max_threads = max_threads or usable_cores()
        self.interval = interval
        self.active = True
        self._expected = torch.get_num_threads()
        self._mark = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float | None]:
        return time.perf_counter(), time.process_time(), shared_busy_seconds()

    def others_busy(self) -> float | None:
        """Cores other processes kept busy since the last reading (None where the OS does not say)."""
        wall, own, system = self._sample()
        wall0, own0, system0 = self._mark
        self._mark = (wall, own, system)
        if system is None or system0 is None or wall <= wall0:
            return None
        return max(0.0, ((system - system0) - (own - own0)) / (wall - wall0))

    def choose(self, others: float) -> int:
        """Thread count for ``others`` busy cores: the free cores, rounded, between 1 and ``max_threads``."""
        return max(1, min(self.max_threads, round(self.max_threads - others)))

    def tick(self) -> int:
        """Re-read the machine if ``interval`` has passed and adjust torch's threads; return the count."""
        if not self.active:
            return torch.get_num_threads()
        if torch.get_num_threads() != self._expected:  # set by someone else: theirs to keep
            self.active = False
            return torch.get_num_threads()
        if time.perf_counter() - self._mark[0] >= self.interval:
            others = self.others_busy()
            if others is not None:
                n = self.choose(others)
                if n != self._expected:
                    _set_threads(n)
                    self._expected = n
        return self._expected


def thread_governor() -> ThreadGovernor | None:
    """A ``ThreadGovernor`` when the policy is ``auto``, ``OMP_NUM_THREADS`` is not yours and the thread
    count is still torch's default or the policy's own (a count set in code is kept); else None."""
    if thread_setting() != "auto" or "OMP_NUM_THREADS" in os.environ:
        return None
    if torch.get_num_threads() not in (_TORCH_DEFAULT_THREADS, *_policy_threads):
        return None
    return ThreadGovernor()


@contextlib.contextmanager
def training_threads() -> Iterator[ThreadGovernor | None]:
    """The thread policy around one training loop: ``JEPA_LAB_THREADS=N`` pins N threads; ``auto`` yields
    a ``ThreadGovernor`` to tick every step (None where the policy stands down: ``off``, your own
    ``OMP_NUM_THREADS`` or a thread count set in code). The count found on entry is restored on exit."""
    before = torch.get_num_threads()
    setting = thread_setting()
    if isinstance(setting, int):
        _set_threads(setting)
    try:
        yield thread_governor() if setting == "auto" else None
    finally:
        torch.set_num_threads(before)


def apply_thread_policy(window: float = 0.1) -> str:
    """Set torch's thread count by the policy now (sampling the machine for ``window`` seconds in ``auto``);
    return a short description for printouts, e.g. ``"auto: free cores, GOMP_SPINCOUNT=10000"``."""
    setting = thread_setting()
    if setting == "off":
        return f"policy off: torch's default, {jepa_lab.openmp_policy}"
    if "OMP_NUM_THREADS" in os.environ:
        return f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} (yours), {jepa_lab.openmp_policy}"
    if isinstance(setting, int):
        _set_threads(setting)
        return f"pinned by {jepa_lab.THREADS_ENV}={setting}, {jepa_lab.openmp_policy}"
    governor = thread_governor()
    if governor is None:
        return f"{torch.get_num_threads()} set in code (kept), {jepa_lab.openmp_policy}"
    governor.interval = 0.0
    time.sleep(window)
    governor.tick()
    return f"auto: follows the free cores, {jepa_lab.openmp_policy}"


def thread_policy() -> str:
    """What ``apply_thread_policy`` would say, without changing anything."""
    setting = thread_setting()
    if "OMP_NUM_THREADS" in os.environ and setting != "off":
        kind = f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} (yours)"
    else:
        kind = {"off": "policy off", "auto": "auto: follows the free cores"}.get(str(setting), f"pinned to {setting}")
    return f"{kind}, {jepa_lab.openmp_policy}"
