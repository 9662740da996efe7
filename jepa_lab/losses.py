"""Losses in latent space.

- ``latent_loss``: distance between predicted and target features,
  ``L1 = mean |z_pred - z_tgt|``, ``L2 = mean (z_pred - z_tgt)^2``, or smooth L1 (Huber with
  ``beta = 1``: quadratic below 1, linear above), as in I-JEPA.

VICReg and SIGReg (notebook 06) join this module with issue 7.

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
