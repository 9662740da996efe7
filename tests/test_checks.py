import torch

from jepa_lab import checks, tokens


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
