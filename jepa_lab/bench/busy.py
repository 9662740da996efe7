"""The busy-machine benchmark: the same short training run alone, beside a busy core and in a crowd.

Each run is a fresh process (the OpenMP settings must be in place before torch starts), started with
one thread policy at a time:

- ``jepa_lab (auto)``: the course's policy (``threads.ThreadGovernor`` and a short OpenMP spin, set in the
  environment as the Makefile does, since a notebook kernel imports torch before ``jepa_lab``);
- ``OpenMP default``: ``JEPA_LAB_THREADS=off``, torch's threads as they come (what the course did before);
- ``OMP_WAIT_POLICY=PASSIVE``: the usual advice, waiting threads sleep at once;
- ``one thread``: ``JEPA_LAB_THREADS=1``.

Scenarios, interleaved over the policies so a change in the machine's load hits them alike: ``idle``
(the run alone; the best of ``repeats``), ``busy`` (beside one process that spins on one core, started
and stopped by the benchmark) and ``crowd`` (``kernels`` copies at once, as on a workshop hub; the
slowest counts). A run past ``cap`` times its idle time is stopped and reported as "more than".

Introduced with the course's thread policy (README, "When the machine is busy").
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import torch

import jepa_lab
from jepa_lab import config, tasks, threads
from jepa_lab import train as train_engine

POLICIES: dict[str, dict[str, str]] = {
    # as `make lab` / `make test` start a kernel (the Makefile exports the spin before Python starts)
    "jepa_lab (auto)": {jepa_lab.THREADS_ENV: "auto", "GOMP_SPINCOUNT": jepa_lab.SPIN_COUNT},
    "OpenMP default": {jepa_lab.THREADS_ENV: "off"},
    "OMP_WAIT_POLICY=PASSIVE": {jepa_lab.THREADS_ENV: "off", "OMP_WAIT_POLICY": "PASSIVE"},
    "one thread": {jepa_lab.THREADS_ENV: "1"},
}
# What the user's shell may carry that would decide the outcome instead of the policy under test.
_CLEARED = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MKL_NUM_THREADS", jepa_lab.THREADS_ENV)
# Spins on one core until its parent (the benchmark) is gone, so a killed benchmark leaves no spinner.
SPINNER = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass\n"


def policy_env(policy: str) -> dict[str, str]:
    """The environment of a run under ``policy`` (a key of ``POLICIES``)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    return {**env, **POLICIES[policy]}


def train_seconds(mode: str = "fast", steps: int = 60) -> float:
    """Seconds of ``steps`` I-JEPA training steps on the notebook-04 preset of ``mode`` (build excluded)."""
    preset = config.for_notebook("04", mode=mode)
    model, batch_fn, cfg = tasks.TASKS["ijepa"].build(preset)
    cfg = dataclasses.replace(cfg, steps=steps, warmup_steps=min(cfg.warmup_steps, steps))
    start = time.perf_counter()
    train_engine.fit(model, batch_fn, cfg)
    return time.perf_counter() - start


def worker_command(mode: str, steps: int, notebook: str | None) -> list[str]:
    """The command one timed run executes: the training worker, or nbval on ``notebook``."""
    if notebook:
        return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                "--nbval-current-env", notebook]
    return [sys.executable, "-m", "jepa_lab.bench", "busy-worker", "--mode", mode, "--steps", str(steps)]


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen, started: float, timeout: float) -> float:
    """Wall seconds of ``proc`` (``inf`` if it ran past ``timeout`` and was stopped)."""
    try:
        out, _ = proc.communicate(timeout=max(timeout - (time.perf_counter() - started), 1.0))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return float("inf")
    if proc.returncode != 0:
        raise RuntimeError(f"a timed run failed (exit {proc.returncode}):\n{out[-2000:]}")
    return time.perf_counter() - started


def timed_runs(cmd: list[str], env: dict[str, str], copies: int = 1, busy: bool = False,
               timeout: float = 600.0) -> float:
    """Wall seconds of the slowest of ``copies`` simultaneous runs of ``cmd`` (beside a spinning process
    if ``busy``); ``inf`` when one ran past ``timeout``."""
    spinner = subprocess.Popen([sys.executable, "-c", SPINNER]) if busy else None
    try:
        if spinner is not None:
            time.sleep(0.5)  # let it take its core
        started = time.perf_counter()
        procs = [_start(cmd, env) for _ in range(copies)]
        try:
            return max([_finish(p, started, timeout) for p in procs])
        finally:  # one failed run must not leave its siblings running
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.communicate()
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


SCENARIOS = ("idle", "busy", "crowd")


def run(policies: tuple[str, ...] = tuple(POLICIES), mode: str = "fast", steps: int = 60,
        notebook: str | None = None, repeats: int = 2, kernels: int = 4, cap: float = 8.0,
        scenarios: tuple[str, ...] = SCENARIOS) -> dict[str, dict]:
    """Idle, busy and crowd wall seconds per policy (see the module's docstring); a scenario left out of
    ``scenarios`` is reported as ``nan`` (idle always runs: it is every ratio's reference)."""
    if repeats < 1 or kernels < 1 or cap <= 1:
        raise ValueError("repeats and kernels must be at least 1 and cap above 1")
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    cmd = worker_command(mode, steps, notebook)
    out = {p: {"idle": float("inf"), "busy": float("inf") if "busy" in scenarios else float("nan"),
               "crowd": float("nan")} for p in policies}
    for _ in range(repeats):
        for p in policies:
            out[p]["idle"] = min(out[p]["idle"], timed_runs(cmd, policy_env(p)))
    for _ in range(repeats if "busy" in scenarios else 0):
        for p in policies:
            run_s = timed_runs(cmd, policy_env(p), busy=True, timeout=cap * out[p]["idle"])
            out[p]["busy"] = min(out[p]["busy"], run_s)
    for p in policies if "crowd" in scenarios else ():
        # sharing the cores fairly, each copy takes about kernels / cores times its idle time
        fair = max(kernels / threads.usable_cores(), 1.0)
        out[p]["crowd"] = timed_runs(cmd, policy_env(p), copies=kernels, timeout=cap * fair * out[p]["idle"])
    return out


def report(results: dict[str, dict], kernels: int, reference: str = "OpenMP default") -> str:
    """A table of ``run``'s results: seconds, and each scenario as a ratio of the same policy's idle time."""

    def ratio(a: float, b: float) -> str:
        if a != a:
            return "-"
        return "stopped" if a == float("inf") else f"{a / b:.2f}x"

    ref_idle = results.get(reference, {}).get("idle")
    lines = [f"{'policy':<26}{'idle s':>8}{'vs ' + reference:>22}{'busy/idle':>11}{f'{kernels} at once/idle':>17}"]
    for name, r in results.items():
        vs = f"{r['idle'] / ref_idle:.2f}x" if ref_idle else "-"
        lines.append(f"{name:<26}{r['idle']:>8.1f}{vs:>22}{ratio(r['busy'], r['idle']):>11}"
                     f"{ratio(r['crowd'], r['idle']):>17}")
    return "\n".join(lines)


def worker_main(mode: str, steps: int) -> None:
    """One timed run in this process: apply the thread policy as a notebook's setup cell does, train, print."""
    policy = threads.apply_thread_policy()
    seconds = train_seconds(mode, steps)
    print(f"trained {steps} steps in {seconds:.2f} s; threads at the end {torch.get_num_threads()} ({policy})")
