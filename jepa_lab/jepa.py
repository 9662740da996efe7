"""The JEPA wrapper: a context encoder, its EMA copy as the target encoder, and a predictor.

One training step reads like the I-JEPA paper:

    z_tgt = model.forward_target(x, tgt_idx)            # EMA encoder, all tokens, no gradient
    z_pred = model.forward_context(x, ctx_idx, tgt_idx)  # context encoder on ctx only + predictor
    loss = model.loss(z_pred, z_tgt)                     # over the K target blocks
    loss.backward(); optimizer.step()
    model.ema_update(momentum)                           # target <- m * target + (1 - m) * context

Introduced in notebook 04.
"""

from __future__ import annotations

import copy
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab.losses import LATENT_LOSSES, covariance_term, latent_loss, sigreg, variance_term
from jepa_lab.tokens import gather_tokens
from jepa_lab.vit import ROPE, Encoder, Predictor

Target = Literal["ema", "online"]  # an EMA copy of the context encoder, or the context encoder itself


def block_loss(z_pred: list[torch.Tensor], z_tgt: list[torch.Tensor], kind: str = "smooth_l1") -> torch.Tensor:
    """The I-JEPA loss: ``latent_loss`` of each target block, averaged over the K blocks.

    Args:
        z_pred, z_tgt: K tensors ``[B, Nt_k, D]`` each (blocks may differ in size).
    Raises:
        ValueError: different or zero numbers of blocks (or a block's shapes differ).
    """
    if len(z_pred) != len(z_tgt) or not z_pred:
        raise ValueError(f"need the same, non-zero number of predicted and target blocks, got "
                         f"{len(z_pred)} and {len(z_tgt)}")
    return torch.stack([latent_loss(p, t, kind) for p, t in zip(z_pred, z_tgt, strict=True)]).mean()


def _check_momentum(momentum: float) -> None:
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")


def ema(target: list[torch.Tensor], online: list[torch.Tensor], momentum: float) -> list[torch.Tensor]:
    """The EMA rule as a pure function: ``momentum * target + (1 - momentum) * online``, tensor by tensor.

    ``JEPA.ema_update`` applies the same rule in place to the target encoder's parameters.
    """
    _check_momentum(momentum)
    if len(target) != len(online):
        raise ValueError(f"target has {len(target)} tensors, online {len(online)}: they must pair up")
    return [momentum * t + (1.0 - momentum) * o for t, o in zip(target, online, strict=True)]


def check_target(target: Target, stop_grad: bool) -> None:
    """Refuse a target switch that means nothing, saying what to use instead.

    Raises:
        ValueError: ``target`` is not ``"ema"`` or ``"online"``, or an EMA target without stop-gradient
            (an EMA copy never receives gradients).
    """
    if target not in get_args(Target):
        raise ValueError(f"target must be one of {', '.join(map(repr, get_args(Target)))}, got {target!r}")
    if not isinstance(stop_grad, bool):
        raise ValueError(f"stop_grad must be True or False, got {stop_grad!r}")
    if target == "ema" and not stop_grad:
        raise ValueError("an EMA target never receives gradients: for the no-stop-gradient ablation use "
                         "target='online', stop_grad=False")


class JEPA(nn.Module):
    """I-JEPA around an encoder (``JEPA(encoder=Encoder(...))``).

    Args (keyword-only):
        encoder: the context encoder; the target encoder is a frozen deep copy of it.
        predictor_dim, predictor_depth, predictor_heads: the narrow predictor.
        loss: ``smooth_l1`` (default), ``l1`` or ``l2``.
        target_norm: layer-norm the target features (as I-JEPA does).
        var_weight, cov_weight: weights of VICReg's variance and covariance terms on the context
            features (0 = plain I-JEPA; > 0 = the C-JEPA-style guard against collapse).
        pred_weight: weight of the prediction loss (1; 0 is the ablation "regulariser only", which
            shows how much of what the encoder learns comes from predicting).
        target: ``"ema"`` (I-JEPA: a slow copy, updated by ``ema_update``) or ``"online"`` (the context
            encoder itself on all tokens; ``ema_update`` then does nothing) — notebook 06's ablations.
        stop_grad: with ``target="online"``, ``False`` lets gradients flow through the target branch
            too (the "no stop-gradient" ablation; LeJEPA's set-up with ``sigreg_weight > 0``).
        sigreg_weight: weight of SIGReg (LeJEPA) on the context features (random directions drawn from
            torch's global generator, so a run is reproducible from its seed).
        predictor_pos: the predictor's positions, ``"sincos"``, ``"rope"`` or ``"rope_sincos"`` (default: the
            encoder's kind if it uses RoPE, else sin-cos).

    Introduced in notebook 04.
    """

    def __init__(self, *, encoder: Encoder, predictor_dim: int = 96, predictor_depth: int = 4,
                 predictor_heads: int = 4, loss: str = "smooth_l1", target_norm: bool = True,
                 var_weight: float = 0.0, cov_weight: float = 0.0, pred_weight: float = 1.0,
                 target: Target = "ema", stop_grad: bool = True, sigreg_weight: float = 0.0,
                 predictor_pos: str | None = None) -> None:
        super().__init__()
        check_target(target, stop_grad)
        self.target_kind, self.stop_grad, self.sigreg_weight = target, stop_grad, sigreg_weight
        if loss not in LATENT_LOSSES:
            raise ValueError(f"unknown latent loss {loss!r}; choose one of {', '.join(LATENT_LOSSES)}")
        self.context_encoder = encoder
        self.target_encoder = copy.deepcopy(encoder).requires_grad_(False)
        rotary = encoder.config["pos"] in ROPE
        self.predictor = Predictor(grid=encoder.grid, embed_dim=encoder.embed_dim, predictor_dim=predictor_dim,
                                   depth=predictor_depth, num_heads=predictor_heads,
                                   pos=predictor_pos or (encoder.config["pos"] if rotary else "sincos"))
        self.loss_kind, self.target_norm = loss, target_norm
        self.var_weight, self.cov_weight, self.pred_weight = var_weight, cov_weight, pred_weight

    def forward_target(self, x: torch.Tensor, tgt_idx: list[torch.Tensor]) -> list[torch.Tensor]:
        """Target features: the EMA encoder (or, in the ablations, the online one) on all tokens,
        without gradient unless ``stop_grad=False``, layer-normed, gathered per target block.

        Returns: K tensors ``[B, Nt_k, D]``.
        """
        encoder = self.target_encoder if self.target_kind == "ema" else self.context_encoder
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.stop_grad):
            h = encoder(x)  # [B, N, D]
            if self.target_norm:
                h = F.layer_norm(h, h.shape[-1:])
            return [gather_tokens(h, idx) for idx in tgt_idx]

    def forward_context(
        self, x: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]
    ) -> list[torch.Tensor]:
        """Predicted target features: context encoder on ``ctx_idx [B, Nc]`` only, then the predictor
        once per target block. Returns K tensors ``[B, Nt_k, D]``."""
        return self._predict(self.context_encoder(x, ctx_idx), ctx_idx, tgt_idx)

    def _predict(self, z_ctx: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> list[torch.Tensor]:
        return [self.predictor(z_ctx, ctx_idx, idx) for idx in tgt_idx]  # one pass per target block

    def loss(self, z_pred: list[torch.Tensor], z_tgt: list[torch.Tensor]) -> torch.Tensor:
        """Mean latent loss over the K target blocks (``block_loss`` with this model's loss kind)."""
        return block_loss(z_pred, z_tgt, self.loss_kind)

    def for_frames(self, frames: int, stretch: bool = False) -> JEPA:
        """A copy, same weights, for clips of ``frames`` frames (a video model; sin-cos or RoPE positions):
        time positions extended at the same spacing, or with ``stretch`` squeezed into the model's own
        time range (``Encoder.for_frames``).

        Introduced in notebook 05 (clips longer than the training clips).
        """
        new = copy.copy(self)  # shallow: shares nothing below, every submodule is replaced
        new._modules = dict(self._modules)
        new.context_encoder = self.context_encoder.for_frames(frames, stretch)
        new.target_encoder = self.target_encoder.for_frames(frames, stretch)
        new.predictor = self.predictor.for_grid(new.context_encoder.grid, new.context_encoder.pos.time_scale)
        return new

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """``target <- momentum * target + (1 - momentum) * context``, parameter by parameter."""
        _check_momentum(momentum)
        if self.target_kind != "ema":
            return  # the online encoder is its own target
        ctx = list(self.context_encoder.parameters())
        tgt = list(self.target_encoder.parameters())
        torch._foreach_mul_(tgt, momentum)
        torch._foreach_add_(tgt, ctx, alpha=1.0 - momentum)

    def forward(self, x: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
        """The loss of one step (target, context, predictor, loss, and the optional VICReg terms)."""
        z_tgt = self.forward_target(x, tgt_idx)
        z_ctx = self.context_encoder(x, ctx_idx)  # [B, Nc, D]
        loss = self.pred_weight * self.loss(self._predict(z_ctx, ctx_idx, tgt_idx), z_tgt)
        flat = z_ctx.reshape(-1, z_ctx.shape[-1])  # every context token is a sample
        if self.var_weight or self.cov_weight:
            loss = loss + self.var_weight * variance_term(flat) + self.cov_weight * covariance_term(flat)
        if self.sigreg_weight:
            loss = loss + self.sigreg_weight * sigreg(flat)
        return loss
