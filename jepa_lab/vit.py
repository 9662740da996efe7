"""The Vision Transformer pieces of every JEPA in the course.

- ``Attention``: multi-head self-attention on ``F.scaled_dot_product_attention`` (fused kernels
  on CPU and GPU), with optional rotary positions (RoPE).
- ``Block``: pre-norm transformer block: ``x + attn(norm(x))``, then ``x + mlp(norm(x))``.
- ``Encoder``: patch (or tubelet) embedding + positions + blocks; it encodes **only the token
  indices it is given** and returns ``[B, N, D]`` patch features (no CLS token).
- ``Predictor``: a narrow transformer that takes context features plus learned mask tokens at
  the target positions and predicts the target features.

Positions: ``learned``, ``sincos`` (2-D, or 3-D for video), ``rope`` (axial RoPE, 3-D for
video as in V-JEPA 2) or ``rope_sincos`` (that RoPE plus a 2-D sin-cos table over space only, the same at
every time step: absolute where the grid never grows, relative along time, where longer clips add steps).

Introduced in notebook 03.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import posembed
from jepa_lab.tokens import PatchEmbed, TubeletEmbed, check_divisible, gather_tokens

POSITIONS = ("learned", "sincos", "rope", "rope_sincos")
ROPE = ("rope", "rope_sincos")  # the kinds that rotate queries and keys


@dataclass(frozen=True)
class ViTSize:
    """Width, depth and heads of a named encoder size."""

    embed_dim: int
    depth: int
    num_heads: int


SIZES = {
    "nano": ViTSize(64, 2, 4),
    "micro": ViTSize(128, 4, 4),
    "tiny": ViTSize(192, 12, 3),
    "small": ViTSize(384, 12, 6),
}


def check_heads(dim: int, num_heads: int, what: str = "embed_dim") -> None:
    """Refuse a width and head count that do not make whole heads (``num_heads`` 0 included).

    Raises:
        ValueError: ``num_heads`` or ``dim`` below 1, or ``dim`` not divisible by ``num_heads`` (the message
            lists head counts that work).
    """
    if not isinstance(num_heads, int) or num_heads < 1:
        raise ValueError(f"num_heads must be a whole number of at least 1, got {num_heads!r}")
    if dim < 1:
        raise ValueError(f"{what} must be at least 1, got {dim}")
    if dim % num_heads:
        raise ValueError(f"{what} {dim} is not divisible by num_heads {num_heads}: "
                         f"pick num_heads among {[h for h in range(1, dim + 1) if dim % h == 0][:8]}...")


class Attention(nn.Module):
    """Multi-head self-attention. Forward: ``x [B, N, D]`` (+ RoPE angles ``[B or 1, N, d/2]``) -> ``[B, N, D]``."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        check_heads(dim, num_heads, "embed_dim")
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def _qkv(self, x: torch.Tensor, rope: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """Queries, keys, values ``[B, heads, N, d]`` each, with RoPE applied to q and k if given."""
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = posembed.apply_rope(q, rope[:, None]), posembed.apply_rope(k, rope[:, None])
        return q, k, v

    def forward(self, x: torch.Tensor, rope: torch.Tensor | None = None) -> torch.Tensor:
        b, n, d = x.shape
        out = F.scaled_dot_product_attention(*self._qkv(x, rope))  # [B, heads, N, d]
        return self.proj(out.transpose(1, 2).reshape(b, n, d))

    def attention_map(self, x: torch.Tensor, rope: torch.Tensor | None = None) -> torch.Tensor:
        """The softmax attention weights ``[B, heads, N, N]`` (for plots; slow path)."""
        q, k, _ = self._qkv(x, rope)
        return (q @ k.transpose(-2, -1) / self.head_dim**0.5).softmax(-1)


class Block(nn.Module):
    """Pre-norm transformer block. Forward: ``[B, N, D]`` -> ``[B, N, D]``."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, rope: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), rope)
        return x + self.mlp(self.norm2(x))


def init_weights(module: nn.Module) -> None:
    """The ViT initialisation: truncated-normal linear weights (std 0.02), zero biases, unit layer norms."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class _Positions(nn.Module):
    """Positions of a token grid: an additive table (learned or sin-cos) or RoPE angles."""

    def __init__(self, kind: str, grid: tuple[int, ...], dim: int, head_dim: int, time_scale: float = 1.0) -> None:
        super().__init__()
        if kind not in POSITIONS:
            raise ValueError(f"pos must be one of {', '.join(POSITIONS)}, got {kind!r}")
        self.kind, self.grid, self.dim, self.head_dim = kind, tuple(grid), dim, head_dim
        self.time_scale = posembed.check_time_scale(time_scale)  # spacing of time coordinates (video grids)
        n = math.prod(grid)
        if kind == "learned":
            self.table = nn.Parameter(torch.randn(1, n, dim) * 0.02)
        elif kind == "sincos":
            table = posembed.sincos_2d(grid, dim) if len(grid) == 2 else posembed.sincos_3d(grid, dim, self.time_scale)
            self.register_buffer("table", table[None], persistent=False)
        else:
            coords = posembed.grid_coords(grid, self.time_scale)
            self.register_buffer("angles", posembed.rope_angles(coords, head_dim), persistent=False)
            if kind == "rope_sincos":  # one 2-D table over (h, w), repeated at every time step of a video grid
                space = posembed.sincos_2d(grid[-2:], dim)
                self.register_buffer("table", space.repeat(n // space.shape[0], 1)[None], persistent=False)

    def regrid(self, grid: tuple[int, ...], time_scale: float | None = None) -> _Positions:
        """The same kind of positions over another grid (sin-cos and RoPE are functions of the
        coordinates, so they extend to new ones; a learned table does not), time coordinates spaced
        ``time_scale`` apart (default: as here)."""
        if self.kind == "learned":
            raise ValueError(f"learned positions exist only for the {self.grid} grid they were trained on: "
                             "use pos='sincos', 'rope' or 'rope_sincos' to run on other clip lengths")
        ref = self.angles if self.kind in ROPE else self.table
        scale = self.time_scale if time_scale is None else time_scale
        return _Positions(self.kind, grid, self.dim, self.head_dim, scale).to(ref.device)

    def add(self, x: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
        """Add the table at ``idx [B, n]`` (or all positions) to tokens ``x [B, n, D]``."""
        if self.kind == "rope":
            return x
        table = self.table.expand(x.shape[0], -1, -1)
        return x + (table if idx is None else gather_tokens(table, idx))

    def rope(self, idx: torch.Tensor | None, batch: int) -> torch.Tensor | None:
        """RoPE angles ``[B, n, d/2]`` of the positions ``idx`` (None for additive tables)."""
        if self.kind not in ROPE:
            return None
        if idx is None:
            return self.angles[None].expand(batch, -1, -1)
        return self.angles[idx]


def _check_idx(idx: torch.Tensor, n: int, batch: int, what: str) -> None:
    if idx.ndim != 2 or idx.shape[0] != batch:
        raise ValueError(f"{what} must be [B, n] with B = {batch}, got {tuple(idx.shape)}")
    if idx.numel() and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"{what} must lie in 0..{n - 1} (the token grid), got {int(idx.min())}..{int(idx.max())}")


class Encoder(nn.Module):
    """ViT encoder over image patches (or video tubelets) that encodes only the given tokens.

    Args (keyword-only):
        image_size, patch_size, in_chans: the input images; ``frames`` and ``tubelet`` make it a
            video encoder over ``[B, C, T, H, W]`` clips.
        embed_dim, depth, num_heads, mlp_ratio: the transformer.
        pos: ``learned``, ``sincos`` or ``rope``.
    Forward: ``x`` and optional ``idx [B, n]`` -> ``[B, n, D]`` (``n = N`` without ``idx``).

    Introduced in notebook 03.
    """

    def __init__(self, *, image_size: int, patch_size: int, in_chans: int = 3, embed_dim: int = 192,
                 depth: int = 6, num_heads: int = 3, mlp_ratio: float = 4.0, pos: str = "sincos",
                 frames: int | None = None, tubelet: int = 2) -> None:
        super().__init__()
        check_heads(embed_dim, num_heads, "embed_dim")
        if frames is None:
            self.patch_embed = PatchEmbed(image_size=image_size, patch_size=patch_size, in_chans=in_chans,
                                          embed_dim=embed_dim)
        else:
            self.patch_embed = TubeletEmbed(frames=frames, image_size=image_size, patch_size=patch_size,
                                            tubelet=tubelet, in_chans=in_chans, embed_dim=embed_dim)
        self.grid = self.patch_embed.grid
        self.num_patches = self.patch_embed.num_patches
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.config = {"image_size": image_size, "patch_size": patch_size, "in_chans": in_chans,
                       "embed_dim": embed_dim, "depth": depth, "num_heads": num_heads, "mlp_ratio": mlp_ratio,
                       "pos": pos, "frames": frames, "tubelet": tubelet}
        self.pos = _Positions(pos, self.grid, embed_dim, embed_dim // num_heads)
        self.blocks = nn.ModuleList(Block(embed_dim, num_heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.apply(init_weights)

    def tokens(self, x: torch.Tensor, idx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Embedded tokens with additive positions at ``idx`` and their RoPE angles (or None)."""
        z = self.patch_embed(x)  # [B, N, D]
        if idx is not None:
            _check_idx(idx, self.num_patches, z.shape[0], "idx")
            z = gather_tokens(z, idx)
        return self.pos.add(z, idx), self.pos.rope(idx, z.shape[0])

    def forward(self, x: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        z, rope = self.tokens(x, idx)
        for blk in self.blocks:
            z = blk(z, rope)
        return self.norm(z)

    def for_frames(self, frames: int, stretch: bool = False) -> Encoder:
        """A copy of this video encoder, same weights, for clips of ``frames`` frames (e.g. longer
        than it was trained on). Positions are recomputed for the new ``(T/t, h, w)`` grid: extended at
        the same spacing, or with ``stretch`` spread over this encoder's own time span ("position interpolation": the
        spacing of time coordinates times ``steps / new steps``; a clip four times as long has its 16 steps at
        0, 1/4, ..., 3 3/4 where 4 trained steps sat at 0..3, none more than a trained step's spacing past the last).

        Introduced in notebook 05.
        """
        if len(self.grid) != 3:
            raise ValueError("for_frames needs a video encoder (built with frames=...)")
        steps = check_divisible(frames, self.patch_embed.tubelet, "frame count")
        scale = self.pos.time_scale * self.grid[0] / steps if stretch else None
        pos = self.pos.regrid((steps, *self.grid[1:]), scale)
        new = copy.deepcopy(self)
        new.pos, new.grid = pos, pos.grid
        new.patch_embed.frames, new.patch_embed.grid = frames, pos.grid
        new.num_patches = new.patch_embed.num_patches = math.prod(pos.grid)
        new.config = {**self.config, "frames": frames}
        return new

    @torch.no_grad()
    def block_outputs(self, x: torch.Tensor, idx: torch.Tensor | None = None, norm: bool = True) -> torch.Tensor:
        """The features after every block: ``[depth, B, n, D]`` (``n = N`` without ``idx``).

        With ``norm`` (as timm's ``get_intermediate_layers``) each is passed through the final layer
        norm, so the last one equals ``forward(x, idx)``.

        Introduced in notebook 04.
        """
        z, rope = self.tokens(x, idx)
        outs = []
        for blk in self.blocks:
            z = blk(z, rope)
            outs.append(self.norm(z) if norm else z)
        return torch.stack(outs)

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights of every layer on all tokens: ``[depth, B, heads, N, N]``."""
        z, rope = self.tokens(x)
        maps = []
        for blk in self.blocks:
            maps.append(blk.attn.attention_map(blk.norm1(z), rope))
            z = blk(z, rope)
        return torch.stack(maps)


def build_encoder(size: str, **kwargs) -> Encoder:
    """An ``Encoder`` of a named size (``SIZES``: nano, micro, tiny, small)."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    s = SIZES[size]
    return Encoder(embed_dim=s.embed_dim, depth=s.depth, num_heads=s.num_heads, **kwargs)


class Predictor(nn.Module):
    """I-JEPA's narrow predictor: context features + mask tokens at target positions -> target features.

    Args (keyword-only):
        grid: the encoder's token grid (``encoder.grid``).
        embed_dim: the encoder's width D (input and output).
        predictor_dim, depth, num_heads: the predictor's own (narrower) transformer.
        pos: ``sincos``, ``learned`` or ``rope`` positions over the same grid.
        out_dim: width of the output (default ``embed_dim``: target features; MAE's decoder, ``jepa_lab.mae``,
            sets it to a patch's pixel count).
    Forward: ``z_ctx [B, Nc, D]``, ``ctx_idx [B, Nc]``, ``tgt_idx [B, Nt]`` -> ``z_pred [B, Nt, out_dim]``.

    Introduced in notebook 03.
    """

    def __init__(self, *, grid: tuple[int, ...], embed_dim: int, predictor_dim: int = 96, depth: int = 4,
                 num_heads: int = 4, mlp_ratio: float = 4.0, pos: str = "sincos", out_dim: int | None = None) -> None:
        super().__init__()
        check_heads(predictor_dim, num_heads, "predictor_dim")
        self.grid = tuple(grid)
        self.num_patches = math.prod(self.grid)
        self.embed = nn.Linear(embed_dim, predictor_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, predictor_dim))
        self.pos = _Positions(pos, self.grid, predictor_dim, predictor_dim // num_heads)
        self.blocks = nn.ModuleList(Block(predictor_dim, num_heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(predictor_dim, eps=1e-6)
        self.proj = nn.Linear(predictor_dim, embed_dim if out_dim is None else out_dim)
        self.apply(init_weights)
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    def for_grid(self, grid: tuple[int, ...], time_scale: float | None = None) -> Predictor:
        """A copy with the same weights over another token grid, time coordinates ``time_scale`` apart
        (default: as here; see ``Encoder.for_frames``)."""
        new = copy.deepcopy(self)
        new.pos = self.pos.regrid(tuple(grid), time_scale)
        new.grid, new.num_patches = new.pos.grid, math.prod(new.pos.grid)
        return new

    def forward(self, z_ctx: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: torch.Tensor) -> torch.Tensor:
        b, nc, _ = z_ctx.shape
        _check_idx(ctx_idx, self.num_patches, b, "ctx_idx")
        _check_idx(tgt_idx, self.num_patches, b, "tgt_idx")
        if ctx_idx.shape[1] != nc:
            raise ValueError(f"ctx_idx has {ctx_idx.shape[1]} positions for {nc} context features")
        nt = tgt_idx.shape[1]
        ctx = self.pos.add(self.embed(z_ctx), ctx_idx)  # [B, Nc, P]
        masks = self.pos.add(self.mask_token.expand(b, nt, -1), tgt_idx)  # [B, Nt, P]
        z = torch.cat([ctx, masks], dim=1)  # [B, Nc + Nt, P]
        idx = torch.cat([ctx_idx, tgt_idx], dim=1)
        rope = self.pos.rope(idx, b)
        for blk in self.blocks:
            z = blk(z, rope)
        return self.proj(self.norm(z[:, nc:]))  # [B, Nt, out_dim]
