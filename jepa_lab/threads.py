"""Threads on a busy machine: the course's thread policy.

A laptop always runs something else, and a workshop hub puts several kernels on the same cores. OpenMP's
threads wait for each other at the end of every parallel region, so when another process takes a core,
every region waits for a thread that is not running (measured: 7-24x slower beside one busy process).
The policy: as many threads as the cores other processes leave free, re-read about once a second while
training (``ThreadGovernor``, run by ``training_threads`` around ``train.fit`` and ``physics.fit_field``),
and a short spin before waiting threads sleep (set on ``import jepa_lab``, and by the Makefile).
``JEPA_LAB_THREADS=N`` pins N threads (the same thread count gives bit-identical reruns; another count
changes results in the 7th digit), and ``JEPA_LAB_THREADS=off`` leaves torch and OpenMP alone. An
``OMP_NUM_THREADS`` you set yourself wins.

Introduced in notebook 01 (its setup cell prints the policy).
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator

import torch
from threadpoolctl import threadpool_limits

import jepa_lab


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


def limit_threads(n: int) -> None:
    """``n`` threads for torch and for every other thread pool loaded now: numpy's and scikit-learn's
    BLAS and OpenMP runtimes (through threadpoolctl), whose waiting threads spin just like torch's."""
    torch.set_num_threads(n)
    threadpool_limits(limits=n)


def one_blas_thread(fn):
    """Run ``fn`` (a scikit-learn fit) with numpy's BLAS pool on one thread. Probes are small; beside torch's
    waiting threads, more BLAS threads only fight over the cores (measured: a 700 x 384 probe protocol
    took 0.65 s on two threads and 0.18 s on one, with the same scores). ``evaluate``'s probes use it."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapped


def _set_threads(n: int) -> None:
    limit_threads(n)
    _policy_threads[:] = [n]


class ThreadGovernor:
    """Keeps torch's thread count at the number of cores that other processes leave free.

    ``tick()`` is cheap (two clock reads); about once per ``interval`` seconds it compares the CPU time
    used on this process's cores (or in its container) with this process's own and sets
    ``torch.set_num_threads`` to the free cores (at least 1, at most ``max_threads``). It stands down
    for good if something else changes the thread count meanwhile. ``training_threads`` makes one for
    each training loop (``train.fit``, ``physics.fit_field``).
    """

    def __init__(self, max_threads: int | None = None, interval: float = 0.5) -> None:
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
        limit_threads(before)


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
