"""Images and clips to tokens: patchify/unpatchify, ``PatchEmbed`` and ``TubeletEmbed``.

Token order is row-major over the patch grid (then over time for clips); inside a patch the
values are ordered ``(p, p, C)`` (or ``(t, p, p, C)``), as in MAE and I-JEPA.

Introduced in notebook 01.
"""

from __future__ import annotations

import torch
from torch import nn


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def check_divisible(size: int, patch: int, what: str = "image size", unit: str | None = None) -> int:
    """Return ``size // patch``; raise ``ValueError`` with the nearest valid sizes if it is not exact.

    ``unit`` names what ``patch`` is in the message (``"patch size"``; ``"tubelet depth"`` for a
    frame count).

    Introduced in notebook 01.
    """
    unit = unit or ("tubelet depth" if what == "frame count" else "patch size")
    if not isinstance(patch, int) or patch < 1:
        raise ValueError(f"{unit} must be a positive int, got {patch!r}")
    if size < patch:
        raise ValueError(f"{what} {size} is smaller than the {unit} {patch}: use a {unit} <= {size}")
    if size % patch:
        lower = size - size % patch
        upper = lower + patch
        raise ValueError(
            f"{what} {size} is not divisible by {unit} {patch}: resize to {lower} or {upper}, "
            f"or use a {unit} that divides {size} ({', '.join(map(str, _divisors(size)))})"
        )
    return size // patch


def grid_size(image_size: int | tuple[int, int], patch_size: int) -> tuple[int, int]:
    """Patch-grid shape ``(h, w)`` of an image; raises ``ValueError`` if not divisible."""
    h, w = (image_size, image_size) if isinstance(image_size, int) else image_size
    return check_divisible(h, patch_size, "image height"), check_divisible(w, patch_size, "image width")


def num_tokens(image_size: int, patch_size: int, frames: int = 1, tubelet: int = 1) -> int:
    """Token count of an image (``frames=1``) or a clip of ``frames`` frames cut in tubelets."""
    h, w = grid_size(image_size, patch_size)
    return check_divisible(frames, tubelet, "frame count") * h * w


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into flattened, non-overlapping patches.

    Args:
        x: images ``[B, C, H, W]``.
        patch_size: side ``p`` of the square patches; must divide H and W.
    Returns:
        tokens ``[B, N, p*p*C]`` with ``N = (H/p)*(W/p)``, row-major over the grid.
    """
    if x.ndim != 4:
        raise ValueError(f"patchify expects images [B, C, H, W], got shape {tuple(x.shape)}")
    b, c, hh, ww = x.shape
    h, w = grid_size((hh, ww), patch_size)
    p = patch_size
    x = x.reshape(b, c, h, p, w, p)  # [B, C, h, p, w, p]
    x = x.permute(0, 2, 4, 3, 5, 1)  # [B, h, w, p, p, C]
    return x.reshape(b, h * w, p * p * c)


def unpatchify(tokens: torch.Tensor, patch_size: int, grid: tuple[int, int], channels: int = 3) -> torch.Tensor:
    """Exact inverse of ``patchify``: ``[B, N, p*p*C]`` -> ``[B, C, h*p, w*p]``."""
    b, n, d = tokens.shape
    h, w = grid
    p = patch_size
    if n != h * w or d != p * p * channels:
        raise ValueError(
            f"tokens {tuple(tokens.shape)} do not fit grid {grid} with patch {p} and {channels} "
            f"channels: expected [B, {h * w}, {p * p * channels}]"
        )
    x = tokens.reshape(b, h, w, p, p, channels).permute(0, 5, 1, 3, 2, 4)  # [B, C, h, p, w, p]
    return x.reshape(b, channels, h * p, w * p)


def patchify_video(x: torch.Tensor, tubelet: int, patch_size: int) -> torch.Tensor:
    """Cut clips into flattened tubelets of ``tubelet`` frames by ``p x p`` pixels.

    Args:
        x: clips ``[B, C, T, H, W]``.
    Returns:
        tokens ``[B, N, t*p*p*C]`` with ``N = (T/t)*(H/p)*(W/p)``, time-major.
    """
    if x.ndim != 5:
        raise ValueError(f"patchify_video expects clips [B, C, T, H, W], got shape {tuple(x.shape)}")
    b, c, tt, hh, ww = x.shape
    n_t = check_divisible(tt, tubelet, "frame count")
    h, w = grid_size((hh, ww), patch_size)
    p = patch_size
    x = x.reshape(b, c, n_t, tubelet, h, p, w, p)  # [B, C, T/t, t, h, p, w, p]
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # [B, T/t, h, w, t, p, p, C]
    return x.reshape(b, n_t * h * w, tubelet * p * p * c)


def unpatchify_video(
    tokens: torch.Tensor, tubelet: int, patch_size: int, grid: tuple[int, int, int], channels: int = 3
) -> torch.Tensor:
    """Exact inverse of ``patchify_video``: ``[B, N, t*p*p*C]`` -> ``[B, C, T, H, W]``."""
    b, n, d = tokens.shape
    nt, h, w = grid
    t, p = tubelet, patch_size
    if n != nt * h * w or d != t * p * p * channels:
        raise ValueError(
            f"tokens {tuple(tokens.shape)} do not fit grid {grid} with tubelet {t}x{p}x{p} and "
            f"{channels} channels: expected [B, {nt * h * w}, {t * p * p * channels}]"
        )
    x = tokens.reshape(b, nt, h, w, t, p, p, channels).permute(0, 7, 1, 4, 2, 5, 3, 6)
    return x.reshape(b, channels, nt * t, h * p, w * p)


def gather_tokens(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Tokens ``x [B, N, D]`` at indices ``idx [B, n]`` -> ``[B, n, D]`` (masks are index lists).

    Introduced in notebook 03.
    """
    return torch.gather(x, 1, idx[..., None].expand(-1, -1, x.shape[-1]))


class PatchEmbed(nn.Module):
    """Image to patch tokens with one strided convolution (kernel = stride = patch size).

    Args:
        image_size: side of the square input images; must be divisible by ``patch_size``.
        patch_size: side of the square patches.
        in_chans: image channels.
        embed_dim: token width D.
    Forward: ``[B, C, H, W]`` -> ``[B, N, D]``.

    Introduced in notebook 01.
    """

    def __init__(self, *, image_size: int, patch_size: int, in_chans: int = 3, embed_dim: int = 192) -> None:
        super().__init__()
        self.grid = grid_size(image_size, patch_size)
        self.image_size, self.patch_size, self.in_chans = image_size, patch_size, in_chans
        self.num_patches = self.grid[0] * self.grid[1]
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.in_chans, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"PatchEmbed was built for images [B, {expected[0]}, {expected[1]}, {expected[2]}], "
                f"got {tuple(x.shape)}: " + (
                    f"resize the images or build it with image_size={x.shape[-1]}"
                    if x.ndim == 4 and x.shape[1] == self.in_chans else
                    f"pass a batch of {self.in_chans}-channel images [B, {self.in_chans}, H, W] "
                    f"(or build it with in_chans={x.shape[1] if x.ndim == 4 else '...'})")
            )
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, D, h, w] -> [B, N, D]


class TubeletEmbed(nn.Module):
    """Clip to tubelet tokens with one strided 3-D convolution (``t x p x p`` tubelets).

    Args:
        frames: frames T per clip; must be divisible by ``tubelet``.
        image_size: side of the square frames.
        patch_size: spatial side p of a tubelet.
        tubelet: temporal depth t of a tubelet (2 in V-JEPA).
    Forward: ``[B, C, T, H, W]`` -> ``[B, N, D]`` with ``N = (T/t)*(H/p)*(W/p)``.

    Introduced in notebook 01.
    """

    def __init__(
        self, *, frames: int, image_size: int, patch_size: int, tubelet: int = 2,
        in_chans: int = 3, embed_dim: int = 192,
    ) -> None:
        super().__init__()
        nt = check_divisible(frames, tubelet, "frame count")
        h, w = grid_size(image_size, patch_size)
        self.grid = (nt, h, w)
        self.frames, self.image_size, self.in_chans = frames, image_size, in_chans
        self.patch_size, self.tubelet = patch_size, tubelet
        self.num_patches = nt * h * w
        k = (tubelet, patch_size, patch_size)
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel_size=k, stride=k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.in_chans, self.frames, self.image_size, self.image_size)
        if x.ndim != 5 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"TubeletEmbed was built for clips [B, {', '.join(map(str, expected))}], got "
                f"{tuple(x.shape)}: check the frame count (a multiple of tubelet={self.tubelet}) "
                f"and the frame size"
            )
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, D, T/t, h, w] -> [B, N, D]


def linear_from_conv(embed: PatchEmbed | TubeletEmbed) -> nn.Linear:
    """The ``nn.Linear`` on ``patchify`` tokens that computes exactly what ``embed`` computes.

    The convolution's weight ``[D, C, (t,) p, p]`` is reordered to the token layout
    ``((t,) p, p, C)`` and flattened: a strided convolution is a linear map shared by patches.
    """
    w = embed.proj.weight  # [D, C, p, p] or [D, C, t, p, p]
    w = w.permute(0, *range(2, w.ndim), 1).reshape(w.shape[0], -1)  # [D, (t)*p*p*C]
    linear = nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        linear.weight.copy_(w)
        linear.bias.copy_(embed.proj.bias)
    return linear
