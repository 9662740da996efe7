"""Every checker passes the reference solution, catches a typical mistake, and says 'not done yet' on a stub;
hints and solutions are one call away for every exercise."""

import math

import pytest
import torch

from jepa_lab import checks, losses, solutions, tokens


def test_reference_passes(capsys):
    assert checks.check_patchify(tokens.patchify)
    assert checks.check_num_tokens(tokens.num_tokens)
    assert "[correct]" in capsys.readouterr().out


def test_stub_is_not_done_yet(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not checks.check_patchify(stub)
    assert "[not done yet]" in capsys.readouterr().out


def test_wrong_answers_are_caught(capsys):
    def channel_first(x, p):  # a common mistake: (C, p, p) order inside the patch
        b, c, h, w = x.shape
        return x.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5).reshape(b, -1, c * p * p)

    assert not checks.check_patchify(channel_first)
    assert "max abs difference" in capsys.readouterr().out
    assert not checks.check_num_tokens(lambda s, p, f=1, t=1: (s // p) ** 2)
    assert not checks.check_patchify(lambda x, p: x[:, :, 0])  # wrong shape
    assert not checks.check_patchify(lambda x, p: 1 / 0)  # crashes: reported, not raised
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_channel_first_is_right_when_c_is_1():
    # sanity of the test above: the two orders agree with one channel
    x = torch.rand(1, 1, 8, 8)
    b = x.unfold(2, 4, 4).unfold(3, 4, 4).permute(0, 2, 3, 1, 4, 5).reshape(1, -1, 16)
    assert torch.equal(b, tokens.patchify(x, 4))


def test_notebook_02_03_checks(capsys):
    import torch.nn.functional as F

    from jepa_lab import masks, posembed

    assert checks.check_block_indices(masks.block_indices)
    assert checks.check_remove_targets(masks.remove_targets)
    assert checks.check_attention(F.scaled_dot_product_attention)
    assert checks.check_apply_rope(posembed.apply_rope)
    assert not checks.check_attention(lambda q, k, v: (q @ k.transpose(-2, -1)).softmax(-1) @ v)  # no 1/sqrt(d)
    assert not checks.check_block_indices(lambda g, t, l, h, w: masks.block_indices(g, l, t, w, h))  # swapped
    assert not checks.check_remove_targets(lambda c, t: c)
    assert not checks.check_apply_rope(lambda x, a: x)


def test_notebook_05_checks(capsys):
    from jepa_lab import masks

    assert checks.check_tube_indices(masks.tube_indices)
    assert checks.check_leaked_tokens(masks.leaked_tokens)
    # space-major instead of time-major
    assert not checks.check_tube_indices(lambda s, t, p: (s[:, None] + torch.arange(t)[None] * p).flatten())
    # counts context tokens as leaked too
    assert not checks.check_leaked_tokens(lambda c, grid: masks.leaked_tokens(c, grid) | True)
    assert "[wrong]" in capsys.readouterr().out


def test_notebook_07_checks(capsys):
    from jepa_lab import dynamics

    assert checks.check_jumps(dynamics.jumps)
    assert checks.check_r2(dynamics.r2)
    assert not checks.check_jumps(lambda k, h: [1] * k)  # correct sum, but not the fewest jumps
    assert not checks.check_r2(lambda p, t: 1 - (p - t).pow(2).mean(0))  # forgot to divide by the variance
    assert "[wrong]" in capsys.readouterr().out


def test_notebook_08_checks(capsys):
    from jepa_lab import physics
    from jepa_lab.datasets import pendulum

    assert checks.check_pendulum_energy(pendulum.energy)
    assert checks.check_rk4_step(physics.rk4_step)
    assert not checks.check_pendulum_energy(lambda t, w: 0.5 * w**2 - 9.81 * torch.cos(t))  # zero at the wrong place
    assert not checks.check_rk4_step(lambda f, x, h: x + h * f(x))  # Euler is not RK4
    assert "[wrong]" in capsys.readouterr().out


def _stub(*args):
    raise NotImplementedError


def _rotate_halves(x, a):  # GPT-NeoX-style RoPE: pairs (i, i + d/2) instead of consecutive pairs
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat([x1 * a.cos() - x2 * a.sin(), x1 * a.sin() + x2 * a.cos()], dim=-1)


def _rolled_leaks(ctx_idx, grid):  # torch.roll wraps the last time step around to the first
    t, h, w = grid
    seen = torch.zeros(ctx_idx.shape[0], t * h * w, dtype=torch.bool).scatter_(1, ctx_idx, True).view(-1, t, h * w)
    near = seen.roll(1, dims=1) | seen.roll(-1, dims=1)
    return (near & ~seen).flatten(1)


def _rk4_full_step_k2(f, x, h):  # k2 and k3 at a full step instead of a half step
    k1 = f(x)
    k2 = f(x + h * k1)
    k3 = f(x + h * k2)
    k4 = f(x + h * k3)
    return x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


# one common mistake per exercise (docs/teaching.md lists them for teachers)
MISTAKES = {
    "patchify": lambda x, p: x.reshape(x.shape[0], -1, p * p * x.shape[1]),  # reshape without the permute
    "num_tokens": lambda s, p, f=1, t=1: f * (s // p) ** 2,  # forgot that a tubelet spans several frames
    "block_indices": lambda g, t, l, bh, bw: (torch.arange(t, t + bh)[:, None] * g[0]
                                              + torch.arange(l, l + bw)[None]).flatten(),  # row stride h, not w
    "remove_targets": lambda c, t: c[~torch.isin(c, t[0])],  # removed the first target block only
    "attention": lambda q, k, v: (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-2) @ v,  # wrong axis
    "apply_rope": _rotate_halves,
    "ema": lambda t, o, m: [m * b + (1 - m) * a for a, b in zip(t, o, strict=True)],  # momentum on the online side
    "block_loss": lambda p, t, kind: losses.latent_loss(torch.cat(p, 1), torch.cat(t, 1), kind),  # tokens, not blocks
    "tube_indices": lambda s, t, p: (s[:, None] + torch.arange(t)[None] * p).flatten(),  # space-major
    "leaked_tokens": _rolled_leaks,
    "variance_term": lambda z: torch.relu(1 - torch.sqrt(z.var(0, unbiased=False) + 1e-4)).mean(),  # biased variance
    "covariance_term": lambda z: ((z - z.mean(0)).T @ (z - z.mean(0)) / (len(z) - 1)).pow(2).sum() / z.shape[1],
    "jumps": lambda k, h: [1] * k,  # adds up, but not the fewest jumps
    "r2": lambda p, t: 1 - (p - t).pow(2).sum(0) / (t - t.mean()).pow(2).sum(0),  # mean over all columns
    "pendulum_energy": lambda th, w: w**2 + 9.81 * (1 - torch.cos(th)),  # forgot the 1/2
    "rk4_step": _rk4_full_step_k2,
    "band_indices": lambda g, s, h: (torch.arange(s, s + h)[:, None] * g[0] + torch.arange(g[1])[None]).flatten(),
    "film": lambda x, g, b: x * g[:, None] + b[:, None],  # scaled by gamma, not 1 + gamma
    "nearest_answer": lambda z, b: (z @ b.T).argmax(1),  # dot product: long bank rows win
    "cem_update": lambda c, s, k: solutions.cem_update(c, -s, k),  # kept the most expensive candidates
    "mpc": lambda f, p, s, g, b, r: solutions.mpc(lambda q, a: f(f(q, a), -a), p, s, g, b, r),  # whole plan run
}


def _checker(name):
    return getattr(checks, f"check_{name}")


def test_every_exercise_has_a_checker_hints_and_a_mistake():
    assert set(checks.EXERCISES) == set(solutions.HINTS) == set(MISTAKES)
    for name in checks.EXERCISES:
        assert callable(_checker(name)) and callable(getattr(solutions, name))


@pytest.mark.parametrize("name", checks.EXERCISES)
def test_solution_passes_and_mistake_fails(name, capsys):
    check = _checker(name)
    assert check(getattr(solutions, name))
    assert capsys.readouterr().out == f"[correct] {name} matches the reference\n"
    assert not check(MISTAKES[name])
    assert capsys.readouterr().out.startswith(f"[wrong] {name}(")


@pytest.mark.parametrize("name", checks.EXERCISES)
def test_stub_prints_one_line_naming_the_hint(name, capsys):
    result = _checker(name)(_stub)
    out = capsys.readouterr().out
    assert not result and out.count("\n") == 1
    assert out.startswith(f"[not done yet] {name}: ") and f"checks.hint({name!r})" in out


def test_result_displays_nothing_more_in_a_notebook(capsys):
    from IPython.core.formatters import DisplayFormatter

    result = checks.check_ema(solutions.ema)
    capsys.readouterr()
    assert DisplayFormatter().format(result) == ({}, {})  # no "Out:" under the printed line
    assert repr(result) == result.line == "[correct] ema matches the reference"


@pytest.mark.parametrize("name", checks.EXERCISES)
def test_hints_are_graded_and_the_solution_prints(name, capsys):
    for level in (1, 2, 3):
        checks.hint(name, level)
        out = capsys.readouterr().out
        assert out.startswith(f"[hint {level}/3] {name}: ") and out.count("\n") == 1
    checks.solution(name)
    assert f"def {name}(" in capsys.readouterr().out


def test_hint_and_solution_say_what_is_valid():
    with pytest.raises(ValueError, match="choose one of patchify"):
        checks.hint("emma")
    with pytest.raises(ValueError, match="levels are 1"):
        checks.hint("ema", 4)
    with pytest.raises(ValueError, match="no exercise"):
        checks.solution("nope")
