"""Clips of moving shapes, with labels that need time to read (direction, speed) and one that a
single frame gives (the shape).

Introduced in notebook 01 (tubelets); the V-JEPA lessons of notebook 05 build on it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from jepa_lab.datasets.shapes import SHAPE_CLASSES, hsv_to_rgb, render_shapes

DIRECTIONS = ("right", "down-right", "down", "down-left", "left", "up-left", "up", "up-right")
LABELS = ("shape", "direction", "speed")
PANNING = ("pan", "pan_slow", "pan_smooth")  # backgrounds of a panning camera, whose clips carry a "pan" label
BACKGROUNDS = ("plain", "contrast", "contrast_texture", "clutter", *PANNING)


def backgrounds(kind: str, n: int, image_size: int, g: torch.Generator) -> torch.Tensor:
    """Static backgrounds ``[n, 3, S, S]`` that are harder on a pixel reader than a dark plain one:
    ``contrast`` (one colour of any brightness, so the moving shape may be darker or lighter than it),
    ``contrast_texture`` (the same plus a smooth random texture) or ``clutter`` (four still shapes of
    random colours on a smooth texture)."""
    s = image_size
    smooth = F.interpolate(torch.rand(n, 3, 4, 4, generator=g), size=(s, s), mode="bilinear", align_corners=False)
    if kind == "clutter":
        canvas = 0.05 + 0.2 * torch.rand(n, 1, 1, 1, generator=g) + 0.4 * smooth
        for _ in range(4):
            label, centre = torch.randint(len(SHAPE_CLASSES), (n,), generator=g), torch.rand(n, 2, generator=g) * 2 - 1
            radius = 0.15 + 0.25 * torch.rand(n, generator=g)
            hue, sat, val = torch.rand(n, generator=g), torch.rand(n, generator=g), torch.rand(n, generator=g)
            canvas = render_shapes(label, centre, radius, hsv_to_rgb(hue, 0.3 + 0.7 * sat, 0.3 + 0.7 * val), canvas, s)
        return canvas
    colour = hsv_to_rgb(torch.rand(n, generator=g), torch.rand(n, generator=g), torch.rand(n, generator=g))
    canvas = colour[:, :, None, None].expand(n, 3, s, s)
    return canvas + 0.4 * smooth if kind == "contrast_texture" else canvas


def pan_texture(n: int, side: int, g: torch.Generator, cell: int = 4) -> torch.Tensor:
    """Random textures ``[n, 3, side, side]`` in [0, 1] for a panning camera: greyish blobs at two scales (about
    ``cell`` and ``cell / 2`` pixels across) with a faint colour, so that a one-pixel shift changes the picture but
    no single pixel says which way it went, and a coloured shape still stands out."""
    if not isinstance(cell, int) or isinstance(cell, bool) or cell < 2 or cell % 2:
        raise ValueError(f"cell must be an even number of pixels (at least 2; the finer blobs are half as wide), "
                         f"got {cell!r}")

    def blobs(channels: int, cells: int) -> torch.Tensor:
        noise = torch.rand(n, channels, cells, cells, generator=g)
        return F.interpolate(noise, size=(wide, wide), mode="bicubic", align_corners=False)

    # interpolation flattens the last cells at the border, and its grid of cells has a fixed phase: drawn wider,
    # then cut at a random offset per texture, so that no view can tell where in the texture it sits
    pad = max(8, 2 * cell)
    wide = cell * math.ceil((side + 2 * pad + cell) / cell)  # a whole number of pixels per cell at both scales
    grey = 0.6 * blobs(1, wide // cell) + 0.4 * blobs(1, 2 * wide // cell)
    tint = blobs(3, wide // cell) - 0.5
    texture = (0.45 + 1.5 * (grey - 0.5) + 0.2 * tint).clamp(0, 1)
    dx, dy = (pad + torch.randint(cell, (2, n), generator=g)).tolist()
    return torch.stack([texture[i, :, y:y + side, x:x + side] for i, (x, y) in enumerate(zip(dx, dy, strict=True))])


def panned_backgrounds(n: int, frames: int, image_size: int, g: torch.Generator,
                       every: int = 1, cell: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """A camera panning over ``pan_texture``: ``[n, 3, T, S, S]`` views whose content drifts one pixel (per axis)
    every ``every`` frames in one of the eight ``DIRECTIONS``, and that direction ``[n]`` (where the scene moves
    in the picture, as for the shape). ``cell``: the texture's blob size (``pan_texture``)."""
    if every < 1:
        raise ValueError(f"every must be at least 1 (frames per one-pixel move), got {every}")
    pan = torch.randint(len(DIRECTIONS), (n,), generator=g)
    angle = pan.float() * (2 * math.pi / len(DIRECTIONS))
    step = torch.stack([angle.cos(), angle.sin()], dim=1).round().long()  # [n, 2] (x, y), each -1, 0 or 1
    moves = (frames - 1) // every  # one-pixel moves over the clip
    margin = moves // 2 + 1
    big = pan_texture(n, image_size + 2 * margin, g, cell)
    start = margin + moves * step // 2  # the crop's path is centred in the texture
    views = []
    for t in range(frames):
        corner = start - (t // every) * step  # the scene moves by +step: the crop moves the other way
        views.append(torch.stack([big[i, :, y:y + image_size, x:x + image_size]
                                  for i, (x, y) in enumerate(corner.tolist())]))
    return torch.stack(views, dim=2), pan


def make_moving_shapes(
    n: int,
    frames: int = 8,
    image_size: int = 32,
    seed: int = 0,
    *,
    num_classes: int = len(SHAPE_CLASSES),
    speeds: tuple[float, ...] = (1.0, 2.0),
    noise: float = 0.05,
    scale: tuple[float, float] = (0.25, 0.4),
    background: str = "plain",
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Generate ``n`` clips of one shape moving in a straight line, inside the frame throughout.

    Args:
        n: number of clips.
        frames: frames T per clip.
        image_size: side S of each frame in pixels.
        seed: same seed, same clips.
        num_classes: shape classes used (first ``num_classes`` of ``SHAPE_CLASSES``).
        speeds: speeds in pixels per frame, one class each.
        noise: std of per-frame Gaussian pixel noise.
        scale: range of the shape radius as a fraction of the half frame side.
        background: ``plain`` (one dark grey per clip), one of ``backgrounds``' harder kinds (the
            background stays still while the shape moves), ``pan`` (``panned_backgrounds``: a camera panning
            over a random texture one pixel per frame, its own direction labelled ``"pan"``), ``pan_slow``
            (one pixel every two frames: the two frames of a tubelet show the same view) or ``pan_smooth``
            (the same pan over blobs twice as large, so a place one step later looks much as it did).
    Returns:
        clips ``[n, 3, T, S, S]`` in [0, 1]; labels ``{"shape", "direction", "speed"}`` (and ``"pan"`` for a
        panning camera), each ``[n]`` int64 (direction and pan index ``DIRECTIONS``, speed indexes ``speeds``).

    Introduced in notebook 01.
    """
    if frames < 1 or n < 1:
        raise ValueError(f"n and frames must be at least 1, got n={n}, frames={frames}")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, got {background!r}")
    if not speeds or min(speeds) <= 0:
        raise ValueError(f"speeds must be positive pixel-per-frame values, got {speeds}")
    g = torch.Generator().manual_seed(seed)
    shape = torch.randint(num_classes, (n,), generator=g)
    direction = torch.randint(len(DIRECTIONS), (n,), generator=g)
    speed = torch.randint(len(speeds), (n,), generator=g)
    radius = scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=g)
    angle = direction.float() * (2 * math.pi / len(DIRECTIONS))
    pixels = torch.tensor(speeds, dtype=torch.float32)[speed] * 2 / image_size  # per frame, in [-1, 1] units
    vel = torch.stack([angle.cos(), angle.sin()], dim=1) * pixels[:, None]  # [n, 2]; y grows down
    travel = vel * (frames - 1)
    room = 1 - radius[:, None]  # the centre must stay in [-room, room]
    if (travel.abs() > 2 * room).any():
        raise ValueError(
            f"shapes moving {max(speeds)} px/frame for {frames} frames leave a {image_size}px frame: "
            "use fewer frames, lower speeds, a smaller scale or a bigger image_size"
        )
    low = -room - travel.clamp(max=0)
    high = room - travel.clamp(min=0)
    start = low + (high - low) * torch.rand(n, 2, generator=g)  # [n, 2]
    colour = hsv_to_rgb(
        torch.rand(n, generator=g), 0.55 + 0.45 * torch.rand(n, generator=g),
        0.75 + 0.25 * torch.rand(n, generator=g),
    )
    labels = {"shape": shape, "direction": direction, "speed": speed}
    canvas = (0.05 + 0.2 * torch.rand(n, 1, generator=g)).expand(n, 3)  # plain: one dark grey per clip
    panning = background in PANNING
    if panning:
        views, labels["pan"] = panned_backgrounds(n, frames, image_size, g, every=2 if background == "pan_slow" else 1,
                                                  cell=8 if background == "pan_smooth" else 4)
    elif background != "plain":
        canvas = backgrounds(background, n, image_size, g)
    clips = torch.stack(
        [render_shapes(shape, start + t * vel, radius, colour, views[:, :, t] if panning else canvas,
                       image_size) for t in range(frames)], dim=2,
    )  # [n, 3, T, S, S]
    clips = clips + noise * torch.randn(clips.shape, generator=g)
    return clips.clamp(0, 1), labels


class MovingShapesVideo(Dataset):
    """``make_moving_shapes`` as a ``Dataset`` of ``(clip [3, T, S, S], label)``; ``target``
    picks the label (``"shape"``, ``"direction"`` or ``"speed"``; ``"pan"`` with ``background="pan"``).

    Introduced in notebook 01.
    """

    def __init__(self, n: int = 512, frames: int = 8, image_size: int = 32, seed: int = 0,
                 target: str = "direction", **kwargs) -> None:
        known = LABELS + (("pan",) if kwargs.get("background") in PANNING else ())
        if target not in known:
            raise ValueError(f"target must be one of {', '.join(known)}, got {target!r}")
        self.clips, self.labels = make_moving_shapes(n, frames, image_size, seed, **kwargs)
        self.target = target

    def __len__(self) -> int:
        return self.clips.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.clips[i], int(self.labels[self.target][i])
