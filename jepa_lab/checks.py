"""Exercise checkers: compare a learner's function with the reference on seeded random inputs.

Each ``check_*`` prints one line and returns a ``Result``, truthy when the function is correct:
"not done yet" for a stub that raises ``NotImplementedError``, else the first mismatch. Stuck?
``hint(name, level)`` gives graded hints (1: a nudge, 2: the idea, 3: the answer) and
``solution(name)`` prints the reference code (``jepa_lab/solutions.py``, tested like the library).

Introduced in notebook 01.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from jepa_lab import dynamics, evaluate, jepa, losses, masks, physics, planning, posembed, solutions, tokens
from jepa_lab.datasets import pendulum
from jepa_lab.family import film

EXERCISES = tuple(solutions.NOTEBOOK)  # the names hint() and solution() take, in course order


class Result:
    """What a check found. ``bool(result)`` is True when correct; ``result.line`` is the printed line.

    The line is printed when the check runs; in a notebook the result itself shows nothing more (no
    ``Out: False`` under the line).
    """

    def __init__(self, ok: bool, line: str) -> None:
        self.ok, self.line = ok, line
        print(line)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.line

    def _ipython_display_(self) -> None:
        pass  # already printed


def _exercise(name: str) -> str:
    if name not in solutions.HINTS:
        raise ValueError(f"no exercise called {name!r}; choose one of {', '.join(EXERCISES)}")
    return name


def hint(name: str, level: int = 1) -> None:
    """Print hint ``level`` for exercise ``name``: 1 a nudge, 2 the idea, 3 the answer in one line."""
    hints = solutions.HINTS[_exercise(name)]
    if level not in (1, 2, 3):
        raise ValueError(f"hint levels are 1 (a nudge), 2 (the idea) and 3 (the answer), got {level}")
    more = f" (more: checks.hint({name!r}, {level + 1}))" if level < 3 else f" (code: checks.solution({name!r}))"
    print(f"[hint {level}/3] {name}: {hints[level - 1]}{more}")


def solution(name: str) -> None:
    """Print the reference solution of exercise ``name`` (from ``jepa_lab/solutions.py``)."""
    print(inspect.getsource(getattr(solutions, _exercise(name))))


def check(fn: Callable, reference: Callable, cases: Iterable[tuple], name: str,
          atol: float = 1e-6) -> Result:
    """Call ``fn(*case)`` and ``reference(*case)`` on each case and compare the results.

    Returns:
        a ``Result``, truthy when every case matches (tensors: same shape, max abs difference <= ``atol``).
    """
    for case in cases:
        try:
            got = fn(*case)
        except NotImplementedError:
            return Result(False, f"[not done yet] {name}: replace the stub's `raise NotImplementedError` with "
                                 f"your code (stuck? checks.hint({name!r}))")
        except Exception as e:  # a learner's bug: report it, keep the notebook running
            return Result(False, f"[error] {name}{_describe(case)} raised {type(e).__name__}: {e}")
        want = reference(*case)
        problem = _compare(got, want, atol)
        if problem:
            return Result(False, f"[wrong] {name}{_describe(case)}: {problem}")
    return Result(True, f"[correct] {name} matches the reference")


def _short(a: Any) -> str:
    if isinstance(a, torch.Tensor):
        return f"tensor{list(a.shape)}"
    if isinstance(a, (list, tuple)):
        return f"[{', '.join(_short(x) for x in a)}]"
    return repr(a)


def _describe(case: tuple) -> str:
    return f"({', '.join(_short(a) for a in case)})"


def _compare(got: Any, want: Any, atol: float) -> str:
    if isinstance(want, (list, tuple)) and want and isinstance(want[0], torch.Tensor):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return f"expected a list of {len(want)} tensors, got {_short(got)}"
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            problem = _compare(a, b, atol)
            if problem:
                return f"tensor {i}: {problem}"
        return ""
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"expected a tensor, got {type(got).__name__}"
        if got.shape != want.shape:
            return f"shape {list(got.shape)}, expected {list(want.shape)}"
        diff = (got.double() - want.double()).abs().max().item() if want.numel() else 0.0
        return "" if diff <= atol else f"max abs difference {diff:.3g} (tolerance {atol:g})"
    return "" if got == want else f"got {got!r}, expected {want!r}"


def check_patchify(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> Result:
    """Check ``fn(x [B, C, H, W], p) -> [B, N, p*p*C]`` against ``tokens.patchify``."""
    g = torch.Generator().manual_seed(0)
    cases = [(torch.rand(2, c, s, s, generator=g), p) for c, s, p in [(3, 8, 4), (1, 12, 3), (3, 16, 8)]]
    cases.append((torch.rand(1, 3, 8, 12, generator=g), 4))  # not square
    return check(fn, tokens.patchify, cases, "patchify")


def check_num_tokens(fn: Callable[..., int]) -> Result:
    """Check ``fn(image_size, patch_size, frames, tubelet) -> int`` against ``tokens.num_tokens``."""
    cases = [(32, 4, 1, 1), (64, 8, 1, 1), (64, 16, 8, 2), (224, 16, 16, 2), (32, 8, 16, 4)]
    return check(fn, tokens.num_tokens, cases, "num_tokens")


def check_block_indices(fn: Callable[[tuple[int, int], int, int, int, int], torch.Tensor]) -> Result:
    """Check ``fn(grid, top, left, bh, bw) -> sorted indices`` against ``masks.block_indices``."""
    cases = [((4, 4), 1, 1, 2, 2), ((14, 14), 0, 0, 3, 5), ((6, 9), 3, 4, 3, 5), ((5, 5), 4, 4, 1, 1)]
    return check(fn, masks.block_indices, cases, "block_indices")


def check_remove_targets(fn: Callable[[torch.Tensor, list[torch.Tensor]], torch.Tensor]) -> Result:
    """Check ``fn(ctx_idx, tgt_idx) -> context without targets`` against ``masks.remove_targets``."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for n, k in [(16, 1), (196, 4), (64, 3)]:
        ctx = torch.randperm(n, generator=g)[: n // 2].sort().values
        tgts = [torch.randperm(n, generator=g)[: n // 5].sort().values for _ in range(k)]
        cases.append((ctx, tgts))
    return check(fn, masks.remove_targets, cases, "remove_targets")


def check_attention(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(q, k, v) -> softmax(q k^T / sqrt(d)) v`` against ``F.scaled_dot_product_attention``."""
    g = torch.Generator().manual_seed(0)
    cases = [tuple(torch.randn(shape, generator=g) for _ in range(3)) for shape in [(1, 1, 4, 8), (2, 3, 7, 16)]]
    return check(fn, torch.nn.functional.scaled_dot_product_attention, cases, "attention", atol=1e-5)


def check_apply_rope(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(x [N, d], angles [N, d/2])`` (rotate consecutive pairs) against ``posembed.apply_rope``."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for n, d in [(3, 4), (10, 16)]:
        angles = posembed.rope_angles(torch.arange(n), d)
        cases.append((torch.randn(n, d, generator=g), angles))
    return check(fn, posembed.apply_rope, cases, "apply_rope", atol=1e-5)


def check_ema(fn: Callable[[list[torch.Tensor], list[torch.Tensor], float], list[torch.Tensor]]) -> Result:
    """Check ``fn(target, online, momentum) -> new target tensors`` against ``jepa.ema``."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for shapes, m in [([(4,)], 0.5), ([(3, 5), (5,)], 0.996), ([(2, 2)], 1.0), ([(6,)], 0.0)]:
        cases.append(([torch.randn(s, generator=g) for s in shapes], [torch.randn(s, generator=g) for s in shapes], m))
    return check(fn, jepa.ema, cases, "ema", atol=1e-6)


def check_block_loss(fn: Callable[[list[torch.Tensor], list[torch.Tensor], str], torch.Tensor]) -> Result:
    """Check ``fn(z_pred, z_tgt, kind) -> mean over blocks of the latent loss`` against ``jepa.block_loss``.

    The blocks differ in size, so averaging all tokens together (instead of block by block) fails."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for sizes, kind in [([3, 5], "smooth_l1"), ([2, 7, 4], "l1"), ([6], "l2"), ([1, 9], "smooth_l1")]:
        pred = [2 * torch.randn(2, n, 8, generator=g) for n in sizes]
        tgt = [torch.randn(2, n, 8, generator=g) for n in sizes]
        cases.append((pred, tgt, kind))
    return check(fn, jepa.block_loss, cases, "block_loss", atol=1e-5)


def _feature_cases() -> list[tuple[torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(64, 8, generator=g) * 2,), (torch.randn(100, 16, generator=g) * 0.1,),
            (torch.randn(50, 1, generator=g) @ torch.randn(1, 12, generator=g),)]


def check_variance_term(fn: Callable[[torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(z [N, D]) -> mean_d relu(1 - sqrt(Var(z_d) + 1e-4))`` against ``losses.variance_term``."""
    return check(fn, losses.variance_term, _feature_cases(), "variance_term", atol=1e-5)


def check_covariance_term(fn: Callable[[torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(z [N, D]) -> sum of squared off-diagonal covariances / D`` against ``losses.covariance_term``."""
    return check(fn, losses.covariance_term, _feature_cases(), "covariance_term", atol=1e-4)


def check_tube_indices(fn: Callable[[torch.Tensor, int, int], torch.Tensor]) -> Result:
    """Check ``fn(spatial_idx [n], steps, per_step) -> [steps * n]`` (time-major) against ``masks.tube_indices``."""
    g = torch.Generator().manual_seed(0)
    cases = [(torch.tensor([0, 5, 6]), 4, 16), (torch.randperm(9, generator=g)[:4].sort().values, 2, 9),
             (torch.tensor([3]), 1, 4), (torch.arange(12), 3, 12)]
    return check(fn, masks.tube_indices, cases, "tube_indices")


def check_leaked_tokens(fn: Callable[[torch.Tensor, tuple[int, int, int]], torch.Tensor]) -> Result:
    """Check ``fn(ctx_idx [B, Nc], grid) -> [B, N] bool`` against ``masks.leaked_tokens``."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for kind, grid, keep in (("per_frame", (4, 3, 3), 0.5), ("per_frame", (2, 4, 4), 0.25), ("tube", (3, 2, 2), 0.5)):
        cases.append((masks.sample_video_batch(kind, grid, 3, g, keep_ratio=keep).ctx_idx, grid))
    return check(lambda c, grid: torch.as_tensor(fn(c, grid)).float(),  # compare as 0/1 floats
                 lambda c, grid: masks.leaked_tokens(c, grid).float(), cases, "leaked_tokens")


def check_jumps(fn: Callable[[int, tuple[int, ...]], list[int]]) -> Result:
    """Check ``fn(k, horizons) -> trained horizons summing to k, largest first`` against ``dynamics.jumps``."""

    cases = [(10, (1, 2, 4, 8, 10)), (7, (1, 2, 4, 8, 10)), (10, (1, 2, 4, 8)), (3, (1,)), (13, (1, 4, 10))]
    return check(fn, dynamics.jumps, cases, "jumps")


def check_r2(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(pred [N, F], true [N, F]) -> R² per column`` against ``dynamics.r2``."""

    g = torch.Generator().manual_seed(0)
    true = torch.randn(50, 4, generator=g) * torch.tensor([1.0, 2.0, 0.5, 3.0])
    cases = [(true + 0.1 * torch.randn(50, 4, generator=g), true), (true.mean(0).expand(50, -1), true),
             (-true, true), (true, true)]
    return check(fn, dynamics.r2, cases, "r2", atol=1e-5)


def check_pendulum_energy(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(theta, omega) -> omega²/2 + g (1 - cos theta)`` (g = 9.81) against ``pendulum.energy``."""

    g = torch.Generator().manual_seed(0)
    cases = [(torch.zeros(3), torch.zeros(3)), (torch.rand(5, generator=g) * 6 - 3, torch.randn(5, generator=g) * 3),
             (torch.tensor([math.pi]), torch.tensor([0.0]))]
    return check(fn, pendulum.energy, cases, "pendulum_energy", atol=1e-4)


def check_rk4_step(fn: Callable) -> Result:
    """Check ``fn(field, x, h)`` (one RK4 step of ``dx/dt = field(x)``) against ``physics.rk4_step``."""

    def pend(x):
        return torch.stack([x[:, 1], -9.81 * torch.sin(x[:, 0])], dim=1)

    def spiral(x):
        return torch.stack([-x[:, 1] - 0.1 * x[:, 0], x[:, 0]], dim=1)

    g = torch.Generator().manual_seed(0)
    cases = [(pend, torch.randn(4, 2, generator=g), 0.1), (spiral, torch.randn(3, 2, generator=g), 0.5),
             (pend, torch.tensor([[1.0, 0.0]]), 0.01)]
    return check(fn, physics.rk4_step, cases, "rk4_step", atol=1e-5)


def check_cem_update(fn: Callable[[torch.Tensor, torch.Tensor, int], tuple]) -> Result:
    """Check ``fn(candidates [B, N, H, A], costs [B, N], k) -> (mean, std) [B, H, A]`` against
    ``planning.cem_update``."""

    g = torch.Generator().manual_seed(0)
    cases = [(torch.randn(b, n, h, 2, generator=g), torch.rand(b, n, generator=g), k)
             for b, n, h, k in [(1, 8, 3, 2), (3, 32, 5, 4), (2, 16, 1, 16)]]
    return check(fn, lambda c, s, k: list(planning.cem_update(c, s, k)), [(c, s, k) for c, s, k in cases],
                 "cem_update", atol=1e-5)


def _toy_world(p: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return p + 0.1 * a.clamp(-1, 1)


def _toy_plan(p: torch.Tensor, goal: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    first = ((goal - p) / 0.1).clamp(-1, 1)
    return torch.stack([first, -first], 1)  # only the first action leads to the goal


def check_mpc(fn: Callable) -> Result:
    """Check ``fn(step_fn, plan_fn, start [B, 2], goal [B, 2], budget, radius) -> {"path", "success", "steps"}``
    against ``planning.mpc`` in a toy world (moves of 0.1 per unit action)."""

    g = torch.Generator().manual_seed(0)
    start, goal = torch.rand(6, 2, generator=g), torch.rand(6, 2, generator=g)
    goal[0] = start[0]  # already there
    cases = [(start, goal, 20, 0.05), (start, goal, 3, 0.05), (start[:1] * 0, torch.ones(1, 2), 5, 0.01)]

    def as_list(out):
        return [out["path"], out["success"].float(), out["steps"].float()] if isinstance(out, dict) else out

    return check(lambda s, gl, b, r: as_list(fn(_toy_world, _toy_plan, s, gl, b, r)),
                 lambda s, gl, b, r: as_list(planning.mpc(_toy_world, _toy_plan, s, gl, b, r)), cases, "mpc")


def check_band_indices(fn: Callable[[tuple[int, int], int, int], torch.Tensor]) -> Result:
    """Check ``fn(grid, start, height) -> sorted token indices of a frequency band`` against ``masks.band_indices``."""
    cases = [((8, 8), 2, 2), ((4, 6), 1, 2), ((6, 4), 0, 1), ((3, 5), 2, 1)]
    return check(fn, masks.band_indices, cases, "band_indices")


def check_film(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(x [B, N, D], gamma [B, D], beta [B, D])`` against ``family.film``."""

    g = torch.Generator().manual_seed(0)
    cases = [(torch.randn(2, 3, 4, generator=g), torch.randn(2, 4, generator=g), torch.randn(2, 4, generator=g)),
             (torch.randn(1, 5, 8, generator=g), torch.zeros(1, 8), torch.zeros(1, 8))]
    return check(fn, film, cases, "film", atol=1e-5)


def check_nearest_answer(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Result:
    """Check ``fn(z_pred [B, E], bank [A, E]) -> [B]`` index of the most cosine-similar bank row (against
    ``evaluate.nearest_neighbours``)."""

    g = torch.Generator().manual_seed(0)
    bank = torch.randn(12, 6, generator=g) * torch.linspace(0.2, 3, 12)[:, None]  # rows of different lengths
    cases = [(torch.randn(7, 6, generator=g), bank), (bank[[3, 0]] * 0.1, bank)]
    return check(fn, lambda z, b: evaluate.nearest_neighbours(b, z, 1)[:, 0], cases, "nearest_answer")
