"""VICReg and SIGReg prove the claims their docstrings make."""

import pytest
import torch

from jepa_lab import losses


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_vicreg_terms_separately():
    z = torch.randn(512, 32, generator=_g()) * 2  # std 2 >= gamma 1 everywhere, nearly decorrelated
    out = losses.vicreg(z, z.clone())
    assert out["invariance"].item() == 0.0 and out["variance"].item() == 0.0
    # sampling noise alone gives off-diagonal covariances ~ std^2 / sqrt(N): small, not zero
    assert out["covariance"].item() < 3
    shrunk = losses.vicreg(0.1 * z, 0.1 * z + 0.01)
    assert shrunk["variance"].item() == pytest.approx(2 * 0.8, abs=0.05)  # relu(1 - 0.2) per view
    assert shrunk["invariance"].item() == pytest.approx(1e-4, rel=1e-3)
    base = torch.randn(512, 1, generator=_g(1))
    correlated = base.expand(512, 32) + 0.01 * torch.randn(512, 32, generator=_g(2))
    independent = torch.randn(512, 32, generator=_g(3))  # same scale as ``correlated``
    ratio = losses.vicreg(correlated, correlated)["covariance"] / losses.vicreg(independent, independent)["covariance"]
    assert ratio > 100
    total = 25 * out["invariance"] + 25 * out["variance"] + out["covariance"]
    assert torch.allclose(out["loss"], total)
    with pytest.raises(ValueError, match="differ in shape"):
        losses.vicreg(z, z[:, :4])
    with pytest.raises(ValueError, match="N >= 2"):
        losses.vicreg(z[:1], z[:1])


def test_sigreg_small_on_gaussians_large_otherwise():
    z = torch.randn(1024, 64, generator=_g())
    gaussian = losses.sigreg(z, generator=_g(1)).item()
    assert gaussian < 3  # the statistic is O(1) for normal samples
    collapsed = torch.randn(1, 64, generator=_g(2)) + 1e-3 * z
    low_rank = torch.randn(1024, 2, generator=_g(3)) @ torch.randn(2, 64, generator=_g(4)) / 8
    for bad in (collapsed, low_rank, 2 * z, z + 1):  # collapsed, low-rank, wrong scale, shifted
        assert losses.sigreg(bad, generator=_g(1)).item() > 50 * gaussian
    # a fixed generator gives the same directions; without one they are fresh each call
    assert losses.sigreg(z, generator=_g(1)) == losses.sigreg(z, generator=_g(1))
    with pytest.raises(ValueError, match="N >= 2"):
        losses.sigreg(z[:1])


def test_sigreg_gradient_spreads_a_collapsed_batch():
    z = (0.01 * torch.randn(256, 16, generator=_g())).requires_grad_()
    opt = torch.optim.Adam([z], lr=0.05)
    start = losses.sigreg(z.detach(), generator=_g(1)).item()
    for step in range(200):
        opt.zero_grad()
        losses.sigreg(z, num_directions=64, generator=_g(step)).backward()
        opt.step()
    end = losses.sigreg(z.detach(), generator=_g(1)).item()
    assert end < 0.05 * start and 0.7 < z.detach().std().item() < 1.3
