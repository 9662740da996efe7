"""Fixed positional embeddings: 1-D, 2-D and 3-D sin-cos tables.

Introduced in notebook 01 (RoPE joins in notebook 03).
"""

from __future__ import annotations

import math

import torch


def sincos_1d(positions: torch.Tensor, dim: int, base: float = 10000.0) -> torch.Tensor:
    """Sin-cos table of 1-D positions.

    Args:
        positions: ``[N]`` positions (ints or floats).
        dim: table width, even.
    Returns:
        ``[N, dim]``: first half ``sin(pos * w_k)``, second half ``cos(pos * w_k)``,
        ``w_k = base^(-2k/dim)``.
    """
    if dim % 2:
        raise ValueError(f"sin-cos width must be even, got {dim}: use {dim - 1} or {dim + 1}")
    omega = base ** (-torch.arange(dim // 2, dtype=torch.float64) / (dim / 2))  # [dim/2]
    angles = positions.to(torch.float64)[:, None] * omega[None, :]  # [N, dim/2]
    return torch.cat([angles.sin(), angles.cos()], dim=1).float()


def sincos_2d(grid: tuple[int, int], dim: int) -> torch.Tensor:
    """Sin-cos table of a 2-D patch grid, row-major like ``patchify``.

    Half the width encodes the row, half the column (as in MAE and I-JEPA).

    Returns:
        ``[h*w, dim]``.
    Raises:
        ValueError: ``dim`` is not divisible by 4.
    """
    if dim % 4:
        raise ValueError(f"2-D sin-cos width must be divisible by 4, got {dim}")
    h, w = grid
    rows = torch.arange(h).repeat_interleave(w)  # [h*w]
    cols = torch.arange(w).repeat(h)  # [h*w]
    return torch.cat([sincos_1d(rows, dim // 2), sincos_1d(cols, dim // 2)], dim=1)


def sincos_3d(grid: tuple[int, int, int], dim: int, time_scale: float = 1.0) -> torch.Tensor:
    """Sin-cos table of a 3-D tubelet grid ``(T', h, w)``, time-major like ``patchify_video``.

    As in V-JEPA: half the width for time, a quarter each for row and column. ``time_scale`` multiplies
    the time coordinates (below 1: more time steps squeezed into the same range, see ``check_time_scale``).

    Returns:
        ``[T'*h*w, dim]``.
    Raises:
        ValueError: ``dim`` is not divisible by 8.
    """
    if dim % 8:
        raise ValueError(f"3-D sin-cos width must be divisible by 8, got {dim}")
    times, rows, cols = grid_coords(grid, time_scale).unbind(1)
    return torch.cat(
        [sincos_1d(times, dim // 2), sincos_1d(rows, dim // 4), sincos_1d(cols, dim // 4)], dim=1
    )


def check_time_scale(time_scale: float) -> float:
    """``time_scale`` if it is a positive finite number: the spacing of time coordinates (1: one per time step;
    ``trained / new`` squeezes a longer clip into the trained range, "position interpolation")."""
    if isinstance(time_scale, bool) or not (isinstance(time_scale, (int, float)) and math.isfinite(time_scale)
                                            and time_scale > 0):
        raise ValueError(f"time_scale must be a positive finite number (1: one unit per time step), got {time_scale!r}")
    return float(time_scale)


def similarity_map(table: torch.Tensor, index: int, grid: tuple[int, int]) -> torch.Tensor:
    """Cosine similarity of position ``index`` to every position, as an ``[h, w]`` map."""
    if not 0 <= index < table.shape[0]:
        raise ValueError(f"index {index} out of range: the table has {table.shape[0]} positions")
    t = torch.nn.functional.normalize(table, dim=1)
    return (t @ t[index]).reshape(grid)


# ----------------------------------------------------------------------------- RoPE (notebook 03)

def rope_angles(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """Rotation angles of axial RoPE.

    Args:
        positions: ``[N, A]`` integer (or float) coordinates on A axes (1: sequence, 2: rows and
            columns, 3: time, rows, columns).
        head_dim: width of one attention head; must be divisible by ``2 * A``.
    Returns:
        ``[N, head_dim // 2]`` angles: each axis rotates its own ``head_dim / (2A)`` pairs of dims
        with frequencies ``base^(-2k/d_axis)`` (the axial RoPE of V-JEPA 2 for A = 3).
    Raises:
        ValueError: ``head_dim`` not divisible by ``2 * A``.
    """
    if positions.ndim == 1:
        positions = positions[:, None]
    axes = positions.shape[1]
    if head_dim % (2 * axes):
        raise ValueError(
            f"RoPE over {axes} axis/axes needs head_dim divisible by {2 * axes}, got {head_dim}: "
            f"change embed_dim or num_heads so that embed_dim / num_heads is a multiple of {2 * axes}"
        )
    pairs = head_dim // (2 * axes)
    freqs = base ** (-torch.arange(pairs, dtype=torch.float64) / pairs)  # [pairs]
    angles = positions.to(torch.float64)[:, :, None] * freqs  # [N, A, pairs]
    return angles.reshape(positions.shape[0], axes * pairs).float()


def apply_rope(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Rotate consecutive pairs of ``x [..., N, d]`` by ``angles [..., N, d/2]`` (broadcast)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    cos, sin = angles.cos(), angles.sin()
    out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return out.flatten(-2)


def grid_coords(grid: tuple[int, ...], time_scale: float = 1.0) -> torch.Tensor:
    """``[prod(grid), len(grid)]`` float64 coordinates of a grid in row-major (time-major) order. On a 3-D
    (video) grid the time coordinates are spaced ``time_scale`` apart (``check_time_scale``); the one place
    where both the sin-cos table and the RoPE angles get their time axis."""
    axes = torch.meshgrid(*(torch.arange(g, dtype=torch.float64) for g in grid), indexing="ij")
    coords = torch.stack([a.flatten() for a in axes], dim=1)
    if len(grid) == 3:
        coords[:, 0] *= check_time_scale(time_scale)
    return coords
