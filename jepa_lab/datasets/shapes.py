"""Labelled synthetic shapes: the course's default images.

Ten shape classes drawn at a random position, scale and colour on a noisy dark background.
Rendering is vectorised (masks computed on a coordinate grid), so thousands of images take
well under a second. Same seed, same images.

Introduced in notebook 01.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

SHAPE_CLASSES = (
    "circle", "ring", "square", "frame", "diamond", "triangle", "plus", "cross", "hbar", "vbar",
)


def shape_mask(label: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Boolean masks of shapes in normalised coordinates.

    Args:
        label: ``[B]`` class indices into ``SHAPE_CLASSES``.
        u, v: ``[B, H, W]`` coordinates relative to each shape's centre, in units of its radius
            (the shape fits in ``[-1, 1]^2``; ``v`` grows downwards).
    Returns:
        ``[B, H, W]`` bool, True inside the shape.
    """
    r = torch.sqrt(u**2 + v**2)
    box = torch.maximum(u.abs(), v.abs())
    au, av = u.abs(), v.abs()
    masks = {
        "circle": r <= 0.95,
        "ring": (r <= 0.95) & (r >= 0.55),
        "square": box <= 0.8,
        "frame": (box <= 0.85) & (box >= 0.5),
        "diamond": au + av <= 1.0,
        "triangle": (v <= 0.8) & (au <= (v + 0.9) * 0.55),
        "plus": ((au <= 0.3) & (av <= 0.95)) | ((av <= 0.3) & (au <= 0.95)),
        "cross": (((u - v).abs() <= 0.42) | ((u + v).abs() <= 0.42)) & (box <= 0.85),
        "hbar": (au <= 0.95) & (av <= 0.3),
        "vbar": (av <= 0.95) & (au <= 0.3),
    }
    out = torch.zeros_like(u, dtype=torch.bool)
    for k, name in enumerate(SHAPE_CLASSES):
        sel = label == k
        if sel.any():
            out[sel] = masks[name][sel]
    return out


def hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``[B]`` hue, saturation, value in [0, 1] -> ``[B, 3]`` RGB."""
    k = (torch.tensor([5.0, 3.0, 1.0])[None, :] + h[:, None] * 6) % 6  # [B, 3]
    return v[:, None] - v[:, None] * s[:, None] * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


def render_shapes(
    label: torch.Tensor,
    centre: torch.Tensor,
    radius: torch.Tensor,
    colour: torch.Tensor,
    background: torch.Tensor,
    image_size: int,
) -> torch.Tensor:
    """Draw one shape per image, without noise.

    Args:
        label: ``[B]`` class indices; centre ``[B, 2]`` (x, y) in [-1, 1]; radius ``[B]`` in the
            same units; colour ``[B, 3]`` RGB in [0, 1]; background ``[B, 3]`` (one colour per image)
            or ``[B, 3, S, S]`` (an image per image to draw over).
    Returns:
        ``[B, 3, S, S]`` images in [0, 1].
    """
    b = label.shape[0]
    coords = (torch.arange(image_size, dtype=torch.float32) + 0.5) / image_size * 2 - 1  # [S]
    y, x = torch.meshgrid(coords, coords, indexing="ij")  # [S, S]
    u = (x[None] - centre[:, 0, None, None]) / radius[:, None, None]  # [B, S, S]
    v = (y[None] - centre[:, 1, None, None]) / radius[:, None, None]
    inside = shape_mask(label, u, v)[:, None].float()  # [B, 1, S, S]
    img = background if background.ndim == 4 else background[:, :, None, None].expand(b, 3, image_size, image_size)
    return inside * colour[:, :, None, None] + (1 - inside) * img


def make_shapes(
    n: int,
    image_size: int = 32,
    seed: int = 0,
    *,
    num_classes: int = len(SHAPE_CLASSES),
    noise: float = 0.05,
    scale: tuple[float, float] = (0.3, 0.55),
    colour: str = "random",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` labelled shape images, classes balanced.

    Args:
        n: number of images.
        image_size: side S in pixels (16 or more; 32 and 64 are the course's sizes).
        seed: same seed, same images.
        num_classes: use the first ``num_classes`` of ``SHAPE_CLASSES`` (2 to 10).
        noise: std of the Gaussian pixel noise on the whole image.
        scale: range of the shape radius as a fraction of the half image side.
        colour: ``"random"`` (any bright hue) or ``"white"``.
    Returns:
        images ``[n, 3, S, S]`` float in [0, 1], labels ``[n]`` int64.

    Introduced in notebook 01.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size}")
    if not 2 <= num_classes <= len(SHAPE_CLASSES):
        raise ValueError(f"num_classes must be in 2..{len(SHAPE_CLASSES)}, got {num_classes}")
    if not 0.0 < scale[0] <= scale[1] <= 1.0:
        raise ValueError(f"scale must satisfy 0 < low <= high <= 1, got {scale}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if colour not in ("random", "white"):
        raise ValueError(f"colour must be 'random' or 'white', got {colour!r}")
    g = torch.Generator().manual_seed(seed)
    label = torch.arange(n) % num_classes
    label = label[torch.randperm(n, generator=g)]
    radius = scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=g)
    centre = (torch.rand(n, 2, generator=g) * 2 - 1) * (1 - radius[:, None])  # stays inside
    if colour == "random":
        rgb = hsv_to_rgb(
            torch.rand(n, generator=g),
            0.55 + 0.45 * torch.rand(n, generator=g),
            0.75 + 0.25 * torch.rand(n, generator=g),
        )
    else:
        rgb = torch.ones(n, 3)
    background = (0.05 + 0.2 * torch.rand(n, 1, generator=g)).expand(n, 3)
    images = render_shapes(label, centre, radius, rgb, background, image_size)
    images = images + noise * torch.randn(images.shape, generator=g)
    return images.clamp(0, 1), label


class ShapesDataset(Dataset):
    """``make_shapes`` as a ``Dataset`` of ``(image [3, S, S], label)`` pairs.

    Introduced in notebook 01.
    """

    classes = SHAPE_CLASSES

    def __init__(self, n: int = 2000, image_size: int = 32, seed: int = 0, **kwargs) -> None:
        self.images, self.labels = make_shapes(n, image_size, seed, **kwargs)
        self.classes = SHAPE_CLASSES[: int(self.labels.max()) + 1] if n else SHAPE_CLASSES

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])

