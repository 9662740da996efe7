"""An action-conditioned world model: a JEPA image encoder, an action encoder and a block-causal predictor.

- ``ActionPredictor``: a transformer over the token sequence ``[a_0, s_0, a_1, s_1, ...]`` (each state
  ``s_t`` one token or several) with **block-causal** attention: the tokens of step ``t`` see each other
  and every earlier step, never a later one. The output at ``s_t`` predicts ``s_{t+1}`` (as a change
  added to ``s_t``). ``forward`` is teacher forcing (all steps at once, true states in);
  ``rollout`` feeds its own predictions back, one step at a time with a key/value cache.
- ``PooledEncoder``: ``vit.Encoder`` over an image's patches, mean-pooled and projected: one embedding
  per image.
- ``WorldModel``: the encoder, its EMA copy (the target), and the predictor on embeddings, trained with
  teacher forcing and a multi-step rollout loss against the target's embeddings, plus VICReg's variance
  and covariance terms on the encoder's embeddings (``jepa_lab.losses``) so they cannot collapse.

The pixel-space baseline (``pixel.py``) is the same ``ActionPredictor`` over image patches.

Introduced in notebook 09.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import losses, posembed, vit


def block_causal_mask(steps: int, per_step: int) -> torch.Tensor:
    """``[L, L]`` boolean mask, ``L = steps * per_step``: True where token ``i`` may attend to token ``j``
    (``j``'s step is not later than ``i``'s)."""
    t = torch.arange(steps).repeat_interleave(per_step)
    return t[None, :] <= t[:, None]


def attend(block: vit.Block, x: torch.Tensor, mask: torch.Tensor | None = None,
           cache: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, tuple]:
    """``vit.Block``'s computation with an attention mask and a key/value cache (the course's block attends
    to every token; a world model must not see the future). ``x [B, n, W]`` -> ``([B, n, W], (keys, values))``
    where the cache holds every token seen so far, ``[B, heads, n_seen, W / heads]`` each."""
    attn = block.attn
    b, n, w = x.shape
    q, k, v = attn.qkv(block.norm1(x)).reshape(b, n, 3, attn.num_heads, attn.head_dim).permute(2, 0, 3, 1, 4)
    if cache is not None:
        k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # [B, heads, n, W / heads]
    x = x + attn.proj(out.transpose(1, 2).reshape(b, n, w))
    return x + block.mlp(block.norm2(x)), (k, v)


class ActionPredictor(nn.Module):
    """Block-causal predictor of the next state from states and actions.

    Args (keyword-only):
        state_dim: width of one state token (an embedding, or a patch of pixels).
        tokens: state tokens per step (1 for an embedding, the patch count for pixels).
        action_dim, width, depth, num_heads, max_steps: actions, the transformer, the longest sequence.
    Forward (teacher forcing): ``states [B, T, tokens, state_dim]``, ``actions [B, T, action_dim]`` ->
    predicted next states ``[B, T, tokens, state_dim]``.

    Introduced in notebook 09.
    """

    def __init__(self, *, state_dim: int, tokens: int = 1, action_dim: int = 2, width: int = 64, depth: int = 2,
                 num_heads: int = 4, max_steps: int = 16) -> None:
        super().__init__()
        self.tokens, self.state_dim, self.max_steps = tokens, state_dim, max_steps
        self.state_in = nn.Linear(state_dim, width)
        self.action_encoder = nn.Sequential(nn.Linear(action_dim, width), nn.GELU(), nn.Linear(width, width))
        self.slot = nn.Parameter(torch.zeros(1 + tokens, width))  # which token of a step: the action, state 1..S
        self.register_buffer("time", posembed.sincos_1d(torch.arange(max_steps), width), persistent=False)
        self.blocks = nn.ModuleList(vit.Block(width, num_heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.out = nn.Linear(width, state_dim)
        self.apply(vit.init_weights)
        nn.init.trunc_normal_(self.slot, std=0.02)

    def embed(self, states: torch.Tensor, actions: torch.Tensor, t0: int = 0) -> torch.Tensor:
        """Tokens ``[B, T * (1 + tokens), width]`` of steps ``t0 .. t0 + T - 1``: action, then states."""
        b, t = actions.shape[:2]
        if t0 + t > self.max_steps:
            raise ValueError(f"{t0 + t} steps exceed the predictor's max_steps ({self.max_steps})")
        x = torch.cat([self.action_encoder(actions)[:, :, None], self.state_in(states)], 2)  # [B, T, 1+S, W]
        x = x + self.slot + self.time[t0:t0 + t, None]
        return x.reshape(b, t * (1 + self.tokens), -1)

    def read(self, x: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
        """Next states from the output tokens ``x`` at the state positions: ``states + out(norm(x))``."""
        b, t = states.shape[:2]
        x = x.reshape(b, t, 1 + self.tokens, -1)[:, :, 1:]
        return states + self.out(self.norm(x))

    def _check(self, states: torch.Tensor, actions: torch.Tensor) -> None:
        if states.ndim != 4 or states.shape[2:] != (self.tokens, self.state_dim):
            raise ValueError(f"states must be [B, T, {self.tokens}, {self.state_dim}], got {tuple(states.shape)}")
        if actions.ndim != 3 or actions.shape[:2] != states.shape[:2]:
            raise ValueError(f"actions must be [B, T, A] with B, T = {tuple(states.shape[:2])}, "
                             f"got {tuple(actions.shape)}")

    def forward(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        self._check(states, actions)
        t = states.shape[1]
        x = self.embed(states, actions)
        mask = block_causal_mask(t, 1 + self.tokens).to(x.device)
        for blk in self.blocks:
            x, _ = attend(blk, x, mask)
        return self.read(x, states)

    def rollout(self, state: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Imagine a trajectory: ``state [B, tokens, state_dim]``, ``actions [B, H, A]`` -> ``[B, H, tokens,
        state_dim]``, each prediction fed back as the next input (a key/value cache keeps it linear in H)."""
        self._check(state[:, None], actions[:, :1])
        caches: list = [None] * len(self.blocks)
        out = []
        s = state[:, None]  # [B, 1, S, D]
        for t in range(actions.shape[1]):
            x = self.embed(s, actions[:, t:t + 1], t0=t)
            for i, blk in enumerate(self.blocks):
                x, caches[i] = attend(blk, x, None, caches[i])  # new tokens see the cache and each other
            s = self.read(x, s)
            out.append(s)
        return torch.cat(out, 1)


class PooledEncoder(nn.Module):
    """``vit.Encoder`` mean-pooled over patches and projected: images ``[..., C, H, W]`` -> ``[..., latent_dim]``."""

    def __init__(self, *, image_size: int, patch_size: int, embed_dim: int, depth: int, num_heads: int,
                 latent_dim: int) -> None:
        super().__init__()
        self.vit = vit.Encoder(image_size=image_size, patch_size=patch_size, embed_dim=embed_dim, depth=depth,
                               num_heads=num_heads)
        self.proj = nn.Linear(embed_dim, latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-3]
        z = self.proj(self.vit(x.reshape(-1, *x.shape[-3:])).mean(1))
        return z.reshape(*lead, -1)


class WorldModel(nn.Module):
    """JEPA world model. Forward: ``frames [B, T+1, C, H, W]``, ``actions [B, T, 2]`` (in ``[-1, 1]``) -> loss.

    The loss: ``tf_weight * teacher forcing + rollout_weight * rollout`` (mean squared error against the
    EMA target encoder's embeddings of frames 1..T) ``+ var_weight * variance + cov_weight * covariance``
    of the online embeddings. ``freeze_encoder`` keeps the encoder at its initialisation (only the
    predictor learns). ``terms`` holds the last loss's parts.

    Introduced in notebook 09.
    """

    def __init__(self, *, image_size: int, patch_size: int, embed_dim: int, depth: int, num_heads: int,
                 latent_dim: int, predictor_dim: int, predictor_depth: int, predictor_heads: int, horizon: int,
                 tf_weight: float = 1.0, rollout_weight: float = 1.0, var_weight: float = 1.0,
                 cov_weight: float = 0.04, freeze_encoder: bool = False) -> None:
        super().__init__()
        if tf_weight < 0 or rollout_weight < 0 or tf_weight + rollout_weight == 0:
            raise ValueError(f"tf_weight and rollout_weight must be >= 0, not both 0; got {tf_weight}, "
                             f"{rollout_weight}")
        self.encoder = PooledEncoder(image_size=image_size, patch_size=patch_size, embed_dim=embed_dim,
                                     depth=depth, num_heads=num_heads, latent_dim=latent_dim)
        self.target_encoder = copy.deepcopy(self.encoder).requires_grad_(False)
        self.predictor = ActionPredictor(state_dim=latent_dim, width=predictor_dim, depth=predictor_depth,
                                         num_heads=predictor_heads, max_steps=horizon)
        self.encoder.requires_grad_(not freeze_encoder)
        self.weights = {"tf": tf_weight, "rollout": rollout_weight, "var": var_weight, "cov": cov_weight}
        self.horizon = horizon
        self.terms: dict[str, float] = {}

    def encode(self, images: torch.Tensor, encoder: str = "online") -> torch.Tensor:
        """Embeddings ``[..., latent_dim]`` of images ``[..., C, H, W]`` (``"online"`` or ``"target"`` encoder)."""
        return (self.encoder if encoder == "online" else self.target_encoder)(images)

    def rollout(self, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Imagined embeddings ``[B, H, latent_dim]`` from ``z [B, latent_dim]`` and actions ``[B, H, 2]``."""
        return self.predictor.rollout(z[:, None], actions)[:, :, 0]

    def forward(self, frames: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        w = self.weights
        z = self.encoder(frames)  # [B, T+1, D]
        with torch.no_grad():
            z_tgt = self.target_encoder(frames[:, 1:])  # [B, T, D]
        terms = {}
        if w["tf"]:
            terms["tf"] = losses.latent_loss(self.predictor(z[:, :-1, None], actions)[:, :, 0], z_tgt, "l2")
        if w["rollout"]:
            terms["rollout"] = losses.latent_loss(self.rollout(z[:, 0], actions), z_tgt, "l2")
        flat = z.reshape(-1, z.shape[-1])
        terms["var"], terms["cov"] = losses.variance_term(flat), losses.covariance_term(flat)
        self.terms = {k: v.item() for k, v in terms.items()}
        return sum(w[k] * v for k, v in terms.items())

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """Move the target encoder towards the encoder: ``target = m * target + (1 - m) * online``."""
        for t, o in zip(self.target_encoder.parameters(), self.encoder.parameters(), strict=True):
            t.mul_(momentum).add_(o.detach(), alpha=1 - momentum)
