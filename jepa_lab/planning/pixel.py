"""The pixel-space baseline: the same block-causal ``ActionPredictor`` as the world model, predicting the
next frame's pixels (one token per image patch) instead of one embedding, trained with the same two
losses (teacher forcing and rollout), mean squared error in pixels.

Introduced in notebook 09.
"""

from __future__ import annotations

import torch
from torch import nn

from jepa_lab import losses, tokens
from jepa_lab.planning.model import ActionPredictor


class PixelModel(nn.Module):
    """Forward: ``frames [B, T+1, C, H, W]``, ``actions [B, T, 2]`` -> loss (pixels' mean squared error).

    Introduced in notebook 09.
    """

    def __init__(self, *, image_size: int, patch_size: int, predictor_dim: int, predictor_depth: int,
                 predictor_heads: int, horizon: int, tf_weight: float = 1.0, rollout_weight: float = 1.0,
                 channels: int = 3) -> None:
        super().__init__()
        self.patch_size, self.channels = patch_size, channels
        self.grid = tokens.grid_size(image_size, patch_size)
        n = self.grid[0] * self.grid[1]
        self.predictor = ActionPredictor(state_dim=patch_size**2 * channels, tokens=n, width=predictor_dim,
                                         depth=predictor_depth, num_heads=predictor_heads, max_steps=horizon)
        self.weights = {"tf": tf_weight, "rollout": rollout_weight}
        self.horizon = horizon
        self.terms: dict[str, float] = {}

    def to_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """``[..., C, H, W]`` -> ``[..., N, p*p*C]`` patches."""
        lead = images.shape[:-3]
        return tokens.patchify(images.reshape(-1, *images.shape[-3:]), self.patch_size).reshape(*lead, -1,
                                                                                                 self.predictor.state_dim)

    def to_images(self, patches: torch.Tensor) -> torch.Tensor:
        """``[..., N, p*p*C]`` -> ``[..., C, H, W]``."""
        lead = patches.shape[:-2]
        flat = tokens.unpatchify(patches.reshape(-1, *patches.shape[-2:]), self.patch_size, self.grid, self.channels)
        return flat.reshape(*lead, *flat.shape[1:])

    def rollout(self, images: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Imagined frames' patches ``[B, H, N, p*p*C]`` from images ``[B, C, H, W]`` and actions ``[B, H, 2]``."""
        return self.predictor.rollout(self.to_tokens(images), actions)

    def forward(self, frames: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        x = self.to_tokens(frames)  # [B, T+1, N, P]
        terms = {}
        if self.weights["tf"]:
            terms["tf"] = losses.latent_loss(self.predictor(x[:, :-1], actions), x[:, 1:], "l2")
        if self.weights["rollout"]:
            terms["rollout"] = losses.latent_loss(self.rollout(frames[:, 0], actions), x[:, 1:], "l2")
        self.terms = {k: v.item() for k, v in terms.items()}
        return sum(self.weights[k] * v for k, v in terms.items())
