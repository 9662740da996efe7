"""Losses in latent space.

- ``latent_loss``: distance between predicted and target features,
  ``L1 = mean |z_pred - z_tgt|``, ``L2 = mean (z_pred - z_tgt)^2``, or smooth L1 (Huber with
  ``beta = 1``: quadratic below 1, linear above), as in I-JEPA.

- ``variance_term``, ``covariance_term``, ``invariance_term`` and ``vicreg``: VICReg's three terms
  (Bardes, Ponce & LeCun 2022), returned separately.
- ``sigreg``: the sketched isotropic Gaussian regulariser of LeJEPA (Balestriero & LeCun 2025).

Introduced in notebook 04.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LATENT_LOSSES = ("smooth_l1", "l1", "l2")


def latent_loss(z_pred: torch.Tensor, z_tgt: torch.Tensor, kind: str = "smooth_l1") -> torch.Tensor:
    """Mean distance between ``z_pred`` and ``z_tgt`` (same shape, e.g. ``[B, Nt, D]``).

    Raises:
        ValueError: unknown ``kind`` or mismatched shapes.
    """
    if kind not in LATENT_LOSSES:
        raise ValueError(f"unknown latent loss {kind!r}; choose one of {', '.join(LATENT_LOSSES)}")
    if z_pred.shape != z_tgt.shape:
        raise ValueError(f"prediction {tuple(z_pred.shape)} and target {tuple(z_tgt.shape)} differ in shape")
    if kind == "l1":
        return F.l1_loss(z_pred, z_tgt)
    if kind == "l2":
        return F.mse_loss(z_pred, z_tgt)
    return F.smooth_l1_loss(z_pred, z_tgt, beta=1.0)


def variance_term(z: torch.Tensor, gamma: float = 1.0, eps: float = 1e-4) -> torch.Tensor:
    """VICReg's variance term: ``mean_d relu(gamma - sqrt(Var(z_d) + eps))`` over features ``[N, D]``.

    Zero when every dimension's std is at least ``gamma``; pushes collapsed dimensions apart.
    """
    std = torch.sqrt(z.float().var(dim=0) + eps)
    return F.relu(gamma - std).mean()


def covariance_term(z: torch.Tensor) -> torch.Tensor:
    """VICReg's covariance term: ``sum_{i != j} Cov(z)_ij^2 / D`` over features ``[N, D]``.

    Zero when dimensions are decorrelated; stops them all carrying the same information.
    """
    n, d = z.shape
    z = z.float() - z.float().mean(0)
    cov = (z.T @ z) / max(n - 1, 1)
    off = cov - torch.diag(cov.diagonal())
    return off.pow(2).sum() / d


def invariance_term(z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """VICReg's invariance term: ``mean ||z_a - z_b||^2 / D``, the MSE between paired embeddings ``[N, D]``."""
    if z_a.shape != z_b.shape:
        raise ValueError(f"paired embeddings differ in shape: {tuple(z_a.shape)} and {tuple(z_b.shape)}")
    return F.mse_loss(z_a.float(), z_b.float())


def vicreg(z_a: torch.Tensor, z_b: torch.Tensor, sim_weight: float = 25.0, var_weight: float = 25.0,
           cov_weight: float = 1.0, gamma: float = 1.0) -> dict[str, torch.Tensor]:
    """VICReg on two batches of paired embeddings ``[N, D]`` (default weights as in the paper).

    ``loss = sim_weight * invariance + var_weight * (v(z_a) + v(z_b)) + cov_weight * (c(z_a) + c(z_b))``

    Returns:
        ``{"invariance", "variance", "covariance", "loss"}`` (the terms before weighting, and the total).
    """
    if z_a.ndim != 2 or z_a.shape[0] < 2:
        raise ValueError(f"vicreg needs embeddings [N, D] with N >= 2 (variances), got {tuple(z_a.shape)}")
    inv = invariance_term(z_a, z_b)
    var = variance_term(z_a, gamma) + variance_term(z_b, gamma)
    cov = covariance_term(z_a) + covariance_term(z_b)
    return {"invariance": inv, "variance": var, "covariance": cov,
            "loss": sim_weight * inv + var_weight * var + cov_weight * cov}


def epps_pulley(x: torch.Tensor, num_knots: int = 17, t_max: float = 3.0) -> torch.Tensor:
    """Epps–Pulley statistic of 1-D samples against a standard normal, per column of ``x [N, M]``.

    ``EP = N * integral (|phi_N(t) - phi(t)|^2 * exp(-t^2 / 2)) dt`` over ``[-t_max, t_max]`` (trapezoid
    rule, ``num_knots`` points), where ``phi_N`` is the empirical characteristic function of the
    samples and ``phi(t) = exp(-t^2 / 2)`` the normal's. About 0 (order 1) for normal samples; grows
    with ``N`` for anything else.
    """
    n = x.shape[0]
    t = torch.linspace(-t_max, t_max, num_knots, device=x.device, dtype=torch.float32)
    xt = x.float()[..., None] * t  # [N, M, K]
    gauss = torch.exp(-0.5 * t**2)
    err = (torch.cos(xt).mean(0) - gauss) ** 2 + torch.sin(xt).mean(0) ** 2  # [M, K]
    return n * torch.trapezoid(err * gauss, t, dim=-1)


def sigreg(z: torch.Tensor, num_directions: int = 256, generator: torch.Generator | None = None,
           num_knots: int = 17, t_max: float = 3.0) -> torch.Tensor:
    """SIGReg (LeJEPA): how far embeddings ``[N, D]`` are from an isotropic standard Gaussian.

    Sketch: project ``z`` on ``num_directions`` random unit vectors ``a_m`` (fresh each call unless a
    ``generator`` is given) and average the Epps–Pulley statistic of each 1-D projection against
    N(0, 1). By Cramér–Wold, all 1-D projections normal means the distribution is; a collapsed or
    low-rank ``z`` fails along most directions.
    """
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"sigreg needs embeddings [N, D] with N >= 2, got {tuple(z.shape)}")
    a = torch.randn(z.shape[1], num_directions, generator=generator).to(z.device)
    a = a / a.norm(dim=0, keepdim=True)
    return epps_pulley(z.float() @ a, num_knots, t_max).mean()
