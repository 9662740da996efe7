"""Conditioning a predictor on something other than its input tokens: cross-attention or FiLM.

- ``CrossAttention``: every token asks the condition tokens (a perturbation, an image) what concerns it.
  A learned *null* token is always among the keys, so a token that the condition does not concern can
  attend to nothing (with a single condition token, plain cross-attention would add the same vector to
  every token).
- ``FiLM``: feature-wise linear modulation, ``x * (1 + gamma(c)) + beta(c)`` with ``c`` the pooled
  condition: cheaper, the same change for every token.
- ``ConditionedBlock`` / ``ConditionedPredictor``: a pre-norm transformer block (optionally causal) with
  one of the two between self-attention and the MLP. Bio-JEPA conditions on a knock-down, VL-JEPA's
  predictor and the token decoder on image tokens.

Introduced in notebook 10.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import vit

CONDITIONING = ("cross", "film")


def film(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """FiLM as a pure function: ``x [B, N, D]`` scaled by ``1 + gamma [B, D]`` and shifted by ``beta [B, D]``
    (``gamma = 0, beta = 0`` leaves ``x`` unchanged, so a zero-initialised FiLM starts as the identity)."""
    return x * (1 + gamma[:, None]) + beta[:, None]


def _heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    b, n, d = x.shape
    return x.view(b, n, num_heads, d // num_heads).transpose(1, 2)  # [B, heads, n, d/heads]


class SelfAttention(nn.Module):
    """Multi-head self-attention on SDPA, optionally causal. ``[B, N, D]`` -> ``[B, N, D]``."""

    def __init__(self, dim: int, num_heads: int, causal: bool = False) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads, self.causal = num_heads, causal
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (_heads(t, self.num_heads) for t in self.qkv(x).chunk(3, dim=-1))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.proj(out.transpose(1, 2).flatten(2))


class CrossAttention(nn.Module):
    """Tokens ``x [B, N, D]`` attend to condition tokens ``cond [B, K, C]`` plus a learned null token.

    Forward: ``(x, cond)`` -> ``[B, N, D]`` (the update to add to ``x``).
    """

    def __init__(self, dim: int, cond_dim: int, num_heads: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads, self.cond_dim = num_heads, cond_dim
        self.q, self.kv, self.proj = nn.Linear(dim, dim), nn.Linear(cond_dim, 2 * dim), nn.Linear(dim, dim)
        self.null = nn.Parameter(torch.zeros(1, 1, cond_dim))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if cond.ndim != 3 or cond.shape[-1] != self.cond_dim or cond.shape[0] != x.shape[0]:
            raise ValueError(f"cond must be [B, K, {self.cond_dim}] with B = {x.shape[0]}, got {tuple(cond.shape)}")
        cond = torch.cat([self.null.expand(len(cond), -1, -1), cond], dim=1)  # [B, 1 + K, C]
        k, v = (_heads(t, self.num_heads) for t in self.kv(cond).chunk(2, dim=-1))
        out = F.scaled_dot_product_attention(_heads(self.q(x), self.num_heads), k, v)
        return self.proj(out.transpose(1, 2).flatten(2))


class FiLM(nn.Module):
    """``film(x, gamma, beta)`` with ``gamma, beta`` a linear map of the mean condition token.

    Forward: ``(x [B, N, D], cond [B, K, C])`` -> ``[B, N, D]``; starts as the identity (zero init).
    """

    def __init__(self, dim: int, cond_dim: int) -> None:
        super().__init__()
        self.cond_dim = cond_dim
        self.to_gamma_beta = nn.Linear(cond_dim, 2 * dim)
        nn.init.zeros_(self.to_gamma_beta.weight)
        nn.init.zeros_(self.to_gamma_beta.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if cond.ndim != 3 or cond.shape[-1] != self.cond_dim or cond.shape[0] != x.shape[0]:
            raise ValueError(f"cond must be [B, K, {self.cond_dim}] with B = {x.shape[0]}, got {tuple(cond.shape)}")
        gamma, beta = self.to_gamma_beta(cond.mean(1)).chunk(2, dim=-1)
        return film(x, gamma, beta)


class ConditionedBlock(nn.Module):
    """Pre-norm block: self-attention, then the condition (``kind``: ``"cross"`` adds a cross-attention
    update; ``"film"`` modulates the MLP's input), then the MLP. ``(x [B, N, D], cond [B, K, C])`` -> ``[B, N, D]``."""

    def __init__(self, dim: int, num_heads: int, cond_dim: int, kind: str = "cross", causal: bool = False,
                 mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if kind not in CONDITIONING:
            raise ValueError(f"conditioning must be one of {', '.join(CONDITIONING)}, got {kind!r}")
        self.kind = kind
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.attn = SelfAttention(dim, num_heads, causal)
        if kind == "cross":
            self.norm_c = nn.LayerNorm(dim, eps=1e-6)
            self.cond = CrossAttention(dim, cond_dim, num_heads)
        else:
            self.cond = FiLM(dim, cond_dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        if self.kind == "cross":
            x = x + self.cond(self.norm_c(x), cond)
            return x + self.mlp(self.norm2(x))
        return x + self.mlp(self.cond(self.norm2(x), cond))


class ConditionedPredictor(nn.Module):
    """``depth`` conditioned blocks and a final norm. Forward: ``(x [B, N, D], cond [B, K, C])`` -> ``[B, N, D]``.

    Introduced in notebook 10.
    """

    def __init__(self, *, dim: int, depth: int, num_heads: int, cond_dim: int, kind: str = "cross",
                 causal: bool = False) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.blocks = nn.ModuleList(ConditionedBlock(dim, num_heads, cond_dim, kind, causal) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.apply(vit.init_weights)
        for blk in self.blocks:  # FiLM starts as the identity, whatever init_weights did
            if isinstance(blk.cond, FiLM):
                nn.init.zeros_(blk.cond.to_gamma_beta.weight)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        for blk in self.blocks:
            x = blk(x, cond)
        return self.norm(x)
