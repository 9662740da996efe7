"""A masked autoencoder (MAE) around the same encoder as I-JEPA: the pixel-reconstruction baseline.

One training step takes exactly I-JEPA's batch (images, context indices, K target blocks) and differs
from I-JEPA only in *what* is predicted at the target positions:

    z_ctx = model.context_encoder(x, ctx_idx)              # the same encoder, on the context only
    pixels = model.decode(z_ctx, ctx_idx, tgt_idx)         # a light decoder, one pass per target block
    loss = model.reconstruction_loss(pixels, x, tgt_idx)   # MSE on the hidden patches' pixels

I-JEPA regresses the features of an EMA target encoder; MAE regresses the hidden patches' pixels
(per-patch normalised, MAE's ``norm_pix_loss``). There is no target encoder and no EMA: ``target_encoder``
is the context encoder itself, so code that probes either reads the one encoder MAE has.

The decoder is ``vit.Predictor`` with a pixel head: a linear map from the encoder's width to
``decoder_dim``, a learned mask token at each target position, 2-D sin-cos positions over the patch grid,
``decoder_depth`` of ``vit``'s blocks, a layer norm and a linear head to ``patch_size**2 * in_chans``
pixels. As I-JEPA's predictor does, it runs once per target block (the collator makes every block the same
length across the batch, while the union of blocks is not), so with ``decoder_*`` set to the predictor's
sizes both models spend the same on the part that predicts.

What is reconstructed, and scored, is the union of the target blocks; a patch that lies in two blocks is
predicted by both passes and counts once (each pass's error weighs ``1 / (blocks containing it)``).
Patches in neither the context nor a target (outside the sampled context block, or cut by the collator)
are neither seen nor scored.

Introduced in notebook 04 (the pixel baseline beside I-JEPA).
"""

from __future__ import annotations

import torch
from torch import nn

from jepa_lab.tokens import gather_tokens, patchify, unpatchify
from jepa_lab.vit import Encoder, Predictor, check_heads

NORM_EPS = 1e-6  # MAE's: targets are (pixels - mean) / sqrt(var + eps), per patch


def block_counts(tgt_idx: list[torch.Tensor], num_patches: int) -> torch.Tensor:
    """``[B, N]``: in how many of the target blocks ``tgt_idx`` (K tensors ``[B, Nt_k]``) each patch lies
    (0: not hidden)."""
    counts = torch.zeros(tgt_idx[0].shape[0], num_patches, device=tgt_idx[0].device)
    for idx in tgt_idx:
        counts.scatter_add_(1, idx, torch.ones(idx.shape, device=idx.device))
    return counts


def patch_stats(patches: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std ``[..., 1]`` of each patch ``[..., P]`` over its pixels, as MAE's ``norm_pix_loss``
    computes them (unbiased variance, ``NORM_EPS`` added before the square root)."""
    return patches.mean(-1, keepdim=True), (patches.var(-1, keepdim=True) + NORM_EPS).sqrt()


class MAE(nn.Module):
    """MAE on an image ``vit.Encoder`` with I-JEPA's masks (``MAE(encoder=Encoder(...))``).

    Args (keyword-only):
        encoder: the encoder (an image encoder: built without ``frames``), kept as ``context_encoder``.
        decoder_dim, decoder_depth, decoder_heads: the decoder's transformer (``decoder_dim`` divisible by 4,
            for 2-D sin-cos positions, and by ``decoder_heads``).
        norm_pix: regress each patch's pixels normalised by that patch's own mean and std (MAE's
            ``norm_pix_loss``, the better setting in the MAE paper, on ImageNet); ``False`` regresses raw pixels.
            On the course's shapes most patches are plain background, whose normalised pixels are the images'
            noise: an unpredictable target, so the loss stays near 1 there whatever the encoder learns.
        mlp_ratio: the decoder blocks' MLP width over ``decoder_dim``.
    Forward: ``x [B, C, H, W]``, ``ctx_idx [B, Nc]``, ``tgt_idx`` (K tensors ``[B, Nt_k]``) -> the scalar loss.

    Introduced in notebook 04.
    """

    def __init__(self, *, encoder: Encoder, decoder_dim: int = 64, decoder_depth: int = 2, decoder_heads: int = 4,
                 norm_pix: bool = True, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if not isinstance(encoder, Encoder):
            raise ValueError(f"encoder must be a jepa_lab.vit.Encoder, got {type(encoder).__name__}")
        if len(encoder.grid) != 2:
            raise ValueError(f"MAE reconstructs images: build the encoder without frames= (its token grid is "
                             f"{encoder.grid}, a video grid)")
        if not isinstance(decoder_dim, int) or decoder_dim < 4 or decoder_dim % 4:
            near = max(4, decoder_dim - decoder_dim % 4) if isinstance(decoder_dim, int) else 64
            raise ValueError(f"decoder_dim must be a positive multiple of 4 (2-D sin-cos positions give half the "
                             f"width to rows, half to columns, each as sin and cos), got {decoder_dim!r}: "
                             f"use {near} or {near + 4}")
        check_heads(decoder_dim, decoder_heads, "decoder_dim")
        if not isinstance(decoder_depth, int) or decoder_depth < 1:
            raise ValueError(f"decoder_depth must be a whole number of blocks, at least 1, got {decoder_depth!r}")
        if not isinstance(norm_pix, bool):
            raise ValueError(f"norm_pix must be True (per-patch normalised targets) or False (raw pixels), "
                             f"got {norm_pix!r}")
        cfg = encoder.config
        self.patch_size, self.channels = cfg["patch_size"], cfg["in_chans"]
        self.image_shape = (cfg["in_chans"], cfg["image_size"], cfg["image_size"])
        self.norm_pix = norm_pix
        self.context_encoder = encoder
        self.decoder = Predictor(grid=encoder.grid, embed_dim=encoder.embed_dim, predictor_dim=decoder_dim,
                                 depth=decoder_depth, num_heads=decoder_heads, mlp_ratio=mlp_ratio, pos="sincos",
                                 out_dim=self.patch_size**2 * self.channels)

    @property
    def target_encoder(self) -> Encoder:
        """The context encoder itself: MAE has no EMA target (its targets are pixels). Here so that code
        reading a JEPA's ``target_encoder`` (probes, plots) reads MAE's only encoder."""
        return self.context_encoder

    def _check_images(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.image_shape:
            c, h, w = self.image_shape
            raise ValueError(f"images must be [B, {c}, {h}, {w}] for this encoder, got {tuple(x.shape)}")

    def patch_targets(self, x: torch.Tensor) -> torch.Tensor:
        """What the decoder regresses: every patch's pixels ``[B, N, p*p*C]`` (``patchify`` order), each
        normalised by its own mean and std when ``norm_pix``."""
        self._check_images(x)
        patches = patchify(x, self.patch_size)
        if not self.norm_pix:
            return patches
        mean, std = patch_stats(patches)
        return (patches - mean) / std

    def decode(self, z_ctx: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> list[torch.Tensor]:
        """Predicted pixels (normalised if ``norm_pix``) of each target block: K tensors ``[B, Nt_k, p*p*C]``,
        one decoder pass per block (context features + a mask token at each of the block's positions)."""
        if not isinstance(tgt_idx, (list, tuple)) or not tgt_idx:
            raise ValueError("tgt_idx must be a non-empty list of target blocks [B, Nt_k] (masks.sample_batch's "
                             f"tgt_idx), got {type(tgt_idx).__name__}")
        return [self.decoder(z_ctx, ctx_idx, idx) for idx in tgt_idx]

    def hidden_counts(self, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
        """``block_counts`` (0: not hidden, not scored), with the context checked against the targets.

        Raises:
            ValueError: a context position is also a target (the decoder could copy what the encoder saw):
                remove the targets from the context (``masks.remove_targets``; the collator already does).
        """
        counts = block_counts(tgt_idx, self.context_encoder.num_patches)
        if (counts.gather(1, ctx_idx) > 0).any():
            raise ValueError("ctx_idx and tgt_idx share positions: the encoder would see patches it must "
                             "reconstruct; remove the targets from the context (masks.remove_targets)")
        return counts

    def reconstruction_loss(self, pred: list[torch.Tensor], x: torch.Tensor, tgt_idx: list[torch.Tensor],
                            counts: torch.Tensor | None = None) -> torch.Tensor:
        """MSE between the predicted pixels ``pred`` (``decode``'s blocks) and ``x``'s hidden patches
        (``patch_targets``), averaged over the hidden patches: the union of the blocks, each patch once
        (a patch in m blocks: each of its m predictions weighs 1/m). Nothing else of ``x`` is read.

        ``counts``: ``hidden_counts`` if already computed (they depend on the indices only)."""
        if len(pred) != len(tgt_idx) or not pred:
            raise ValueError(f"need one predicted block per target block, got {len(pred)} and {len(tgt_idx)}")
        counts = block_counts(tgt_idx, self.context_encoder.num_patches) if counts is None else counts
        target = self.patch_targets(x)
        total = sum((((p.float() - gather_tokens(target, idx)).pow(2).mean(-1)  # [B, Nt_k]: error per patch
                      / counts.gather(1, idx)).sum() for p, idx in zip(pred, tgt_idx, strict=True)))
        return total / (counts > 0).sum().clamp(min=1)

    def forward(self, x: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
        """The loss of one step: encode the context, decode each target block, MSE on the hidden pixels."""
        self._check_images(x)
        pred = self.decode(self.context_encoder(x, ctx_idx), ctx_idx, tgt_idx)  # checks every index's range
        return self.reconstruction_loss(pred, x, tgt_idx, self.hidden_counts(ctx_idx, tgt_idx))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
        """``x [B, C, H, W]`` with its hidden patches (the union of the target blocks) replaced by the
        decoder's pixels; context patches, and patches neither seen nor hidden, are left as they are.

        For display only: with ``norm_pix`` the decoder predicts normalised pixels, and they are mapped back
        with each hidden patch's *true* mean and std (read from ``x``, which the model never sees), so the
        picture shows the predicted shape of each patch at its true brightness and contrast. A patch in
        several blocks shows the mean of their predictions. Values are not clipped to [0, 1].
        """
        self._check_images(x)
        pred = self.decode(self.context_encoder(x, ctx_idx), ctx_idx, tgt_idx)
        counts = self.hidden_counts(ctx_idx, tgt_idx)
        patches = patchify(x, self.patch_size)  # [B, N, P]
        summed = torch.zeros_like(patches)
        for p, idx in zip(pred, tgt_idx, strict=True):
            summed.scatter_add_(1, idx[..., None].expand(-1, -1, patches.shape[-1]), p.to(patches.dtype))
        out = summed / counts.clamp(min=1)[..., None]
        if self.norm_pix:
            mean, std = patch_stats(patches)
            out = out * std + mean
        hidden = (counts > 0)[..., None]
        return unpatchify(torch.where(hidden, out, patches), self.patch_size, self.context_encoder.grid,
                          self.channels)
