"""Two rooms joined by a door: a point agent moved by bounded 2-D steps, walls that block, small images.

The arena is the unit square ``[0, 1]²`` (``x`` to the right, ``y`` down the picture). A wall of
half-thickness ``WALL`` stands at ``x = 0.5``, with a door of width ``door`` centred at ``y = 0.5``.
An action ``a = (dx, dy)`` is clipped to ``[-max_step, max_step]²`` and applied in ``SUBSTEPS`` equal
parts; a part that would enter the wall is cut to its ``y`` motion (the agent slides along the wall),
and a part that still enters it is dropped. Every function is vectorised over a batch of agents.

``render`` draws positions as RGB images: grey walls, the agent a red Gaussian spot, and each room's
floor in its own colour (left blue, right green, of brightness ``tint``), as the rooms of a real house
differ. With ``tint=0`` both floors are black and the two rooms are mirror images of each other: a spot
near the wall looks the same on either side of it, and a world model trained on them plans much worse
through the door (notebook 09's cpu preset, one training run each: success 0.50 with black floors, 0.71
with ``tint=0.5``). Trajectories (``make_rooms``) store positions and actions; images are rendered from
positions when needed.

Introduced in notebook 09.
"""

from __future__ import annotations

import torch

WALL = 0.03  # half-thickness of the dividing wall
MARGIN = 0.04  # the agent stays this far from the outer walls
SUBSTEPS = 4  # parts of one move (each shorter than the wall is thick: no tunnelling)
DOOR = 0.2  # default door width
FLOOR_TINT = 0.5  # default brightness of the floors' colours (0: black floors, the rooms mirror images)


def check_world(max_step: float, door: float) -> None:
    """``ValueError`` unless ``0 < max_step <= 0.5`` and ``0 < door < 1 - 2 * MARGIN``."""
    if not 0 < max_step <= 0.5:
        raise ValueError(f"max_step must be in (0, 0.5], got {max_step}")
    if not 0 < door < 1 - 2 * MARGIN:
        raise ValueError(f"door must be in (0, {1 - 2 * MARGIN:.2f}), got {door}")
    if max_step / SUBSTEPS >= 2 * WALL:
        raise ValueError(f"max_step {max_step} is too large: one part of a move ({max_step / SUBSTEPS:.3f}) "
                         f"could jump the wall ({2 * WALL:.2f} thick); use max_step < {2 * WALL * SUBSTEPS:.2f}")


def blocked(p: torch.Tensor, door: float = DOOR) -> torch.Tensor:
    """True where positions ``p [..., 2]`` lie inside the dividing wall (outside the door)."""
    in_wall = (p[..., 0] - 0.5).abs() < WALL
    return in_wall & ((p[..., 1] - 0.5).abs() > door / 2)


def room(p: torch.Tensor) -> torch.Tensor:
    """0 for the left room, 1 for the right one, per position ``[..., 2]`` (the door counts by its side)."""
    return (p[..., 0] >= 0.5).long()


def step(p: torch.Tensor, a: torch.Tensor, max_step: float = 0.15, door: float = DOOR) -> torch.Tensor:
    """Positions after one move: ``p [..., 2]``, actions ``a [..., 2]`` (clipped to ``±max_step``) -> ``[..., 2]``."""
    check_world(max_step, door)
    if p.shape[-1] != 2 or a.shape[-1] != 2:
        raise ValueError(f"positions and actions need a last axis of 2, got {tuple(p.shape)} and {tuple(a.shape)}")
    part = a.clamp(-max_step, max_step) / SUBSTEPS
    for _ in range(SUBSTEPS):
        q = (p + part).clamp(MARGIN, 1 - MARGIN)
        slide = torch.stack([p[..., 0], q[..., 1]], -1)  # keep x, move along the wall
        q = torch.where(blocked(q, door)[..., None], slide, q)
        p = torch.where(blocked(q, door)[..., None], p, q)
    return p


def sample_free(n: int, g: torch.Generator, side: torch.Tensor | None = None, door: float = DOOR) -> torch.Tensor:
    """``n`` uniform positions ``[n, 2]`` outside the wall; ``side [n]`` (0 left, 1 right) picks each one's room."""
    lo, hi = MARGIN, 1 - MARGIN
    out = lo + (hi - lo) * torch.rand(n, 2, generator=g)
    if side is not None:  # map x into the chosen room, clear of the wall
        u = torch.rand(n, generator=g)
        left = lo + u * (0.5 - WALL - 0.01 - lo)
        out[:, 0] = torch.where(side.bool(), 1 - left, left)
    bad = blocked(out, door)
    while bad.any():
        out[bad] = lo + (hi - lo) * torch.rand(int(bad.sum()), 2, generator=g)
        bad = blocked(out, door)
    return out


def render(p: torch.Tensor, image_size: int = 32, door: float = DOOR, spot: float = 2.0,
           tint: float = FLOOR_TINT) -> torch.Tensor:
    """RGB images of agents at ``p [..., 2]`` -> ``[..., 3, S, S]`` in [0, 1]: grey walls, a red spot of
    ``spot`` pixels' standard deviation (positions between pixel centres stay visible in the spot's shape),
    the left room's floor blue and the right room's green, both of brightness ``tint`` in ``[0, 0.5]``
    (0: black floors). The spot covers the floor: the colour around it tells which room it is in."""
    if not 0 <= tint <= 0.5:
        raise ValueError(f"tint must be in [0, 0.5] (no brighter than the grey walls), got {tint}")
    centres = (torch.arange(image_size) + 0.5) / image_size
    yy, xx = torch.meshgrid(centres, centres, indexing="ij")
    grid = torch.stack([xx, yy], -1)  # [S, S, 2]
    walls = blocked(grid, door) | (grid < MARGIN / 2).any(-1) | (grid > 1 - MARGIN / 2).any(-1)
    right = room(grid).bool()
    zero = torch.zeros(image_size, image_size)
    floor = torch.stack([zero, tint * right.float(), tint * (~right).float()])  # [3, S, S]: blue left, green right
    base = torch.where(walls, 0.5, floor)  # [3, S, S]
    d2 = ((grid - p[..., None, None, :]) ** 2).sum(-1) * image_size**2  # [..., S, S] in pixels²
    spot_img = torch.exp(-d2 / (2 * spot**2))[..., None, :, :]  # [..., 1, S, S]
    red = torch.maximum(base[:1], spot_img)
    return torch.cat([red, base[1:] * (1 - spot_img)], -3)


def make_rooms(n: int, length: int, *, max_step: float = 0.15, door: float = DOOR, persistence: float = 0.8,
               door_share: float = 0.5, seed: int = 0) -> dict[str, torch.Tensor]:
    """``n`` offline trajectories of ``length`` moves from a mixed exploration policy.

    Every trajectory starts anywhere in the free space. A ``1 - door_share`` share walks at random
    (a random move kept with probability ``persistence`` each step, else redrawn); the rest head for
    the door and then for a random point of the other room, with noise, so door crossings are common.

    Returns:
        ``{"positions": [n, length + 1, 2], "actions": [n, length, 2]}`` (the actions as applied,
        clipped to ``±max_step``).
    Raises:
        ValueError: ``n`` or ``length`` below 1, shares outside [0, 1], or a bad world (``check_world``).

    Introduced in notebook 09.
    """
    check_world(max_step, door)
    if n < 1 or length < 1:
        raise ValueError(f"n and length must be at least 1, got {n} and {length}")
    if not (0 <= persistence <= 1 and 0 <= door_share <= 1):
        raise ValueError(f"persistence and door_share must be in [0, 1], got {persistence} and {door_share}")
    g = torch.Generator().manual_seed(seed)
    p = sample_free(n, g, door=door)
    seeker = torch.rand(n, generator=g) < door_share
    target = sample_free(n, g, side=1 - room(p), door=door)
    door_pt = torch.tensor([0.5, 0.5]).expand(n, 2)
    passed = torch.zeros(n, dtype=torch.bool)
    a = (torch.rand(n, 2, generator=g) * 2 - 1) * max_step
    positions, actions = [p], []
    for _ in range(length):
        redraw = torch.rand(n, generator=g) > persistence
        a = torch.where(redraw[:, None], (torch.rand(n, 2, generator=g) * 2 - 1) * max_step, a)
        aim = torch.where(passed[:, None], target, door_pt) - p
        towards = aim / aim.norm(dim=-1, keepdim=True).clamp_min(1e-6) * max_step
        noise = torch.randn(n, 2, generator=g) * 0.4 * max_step
        move = torch.where(seeker[:, None], towards + noise, a).clamp(-max_step, max_step)
        p = step(p, move, max_step, door)
        passed |= (p - door_pt).norm(dim=-1) < 0.06
        positions.append(p)
        actions.append(move)
    return {"positions": torch.stack(positions, 1), "actions": torch.stack(actions, 1)}


def crossings(positions: torch.Tensor) -> torch.Tensor:
    """Door crossings per trajectory ``[n, L, 2]`` -> ``[n]`` (changes of room between consecutive steps)."""
    r = room(positions)
    return (r[:, 1:] != r[:, :-1]).sum(1)


def sample_pairs(n: int, *, cross_share: float = 0.5, min_distance: float = 0.2, door: float = DOOR,
                 seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` start/goal pairs ``([n, 2], [n, 2])``, ``cross_share`` of them (spread evenly through the list, so
    the first ``k`` pairs keep the mix) with start and goal in different rooms, the others in the same room;
    every goal at least ``min_distance`` from its start.

    Introduced in notebook 09.
    """
    if n < 1 or not 0 <= cross_share <= 1 or not 0 <= min_distance < 0.5:
        raise ValueError(f"need n >= 1, cross_share in [0, 1], min_distance in [0, 0.5); got {n}, {cross_share}, "
                         f"{min_distance}")
    g = torch.Generator().manual_seed(seed)
    i = torch.arange(n)
    cross = torch.ceil((i + 1) * cross_share) > torch.ceil(i * cross_share)
    side = (torch.rand(n, generator=g) < 0.5).long()
    start = sample_free(n, g, side=side, door=door)
    other = torch.where(cross, 1 - side, side)
    goal = sample_free(n, g, side=other, door=door)
    close = (goal - start).norm(dim=-1) < min_distance
    while close.any():
        goal[close] = sample_free(int(close.sum()), g, side=other[close], door=door)
        close = (goal - start).norm(dim=-1) < min_distance
    return start, goal
