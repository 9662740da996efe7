"""A simple pendulum, simulated accurately and rendered to RGB frames.

Units: length 1, mass 1, gravity ``g`` (default 9.81); ``theta`` is the angle from hanging straight
down (counter-clockwise positive in the picture), ``omega = dtheta/dt``. The equation of motion is
``theta'' = -g sin(theta) - damping * omega``. Energy (zero at rest, hanging down):
``E = omega² / 2 + g (1 - cos theta)``; without damping it is conserved, and the simulation keeps it
to about 1e-9 relative (RK4 in float64 with substeps; ``tests/test_pendulum.py`` checks).

Introduced in notebook 08.
"""

from __future__ import annotations

import math

import torch

from jepa_lab.datasets.shapes import hsv_to_rgb

G = 9.81
BACKGROUNDS = ("plain", "camera")  # camera: each clip its own colours, one-frame flashes, sensor noise
CAMERA_FLASHES = 3  # distractor discs per frame in a "camera" clip
CAMERA_NOISE = 0.05  # std of its sensor noise


def energy(theta: torch.Tensor, omega: torch.Tensor, g: float = G) -> torch.Tensor:
    """Total energy per unit mass of a unit-length pendulum: ``omega²/2 + g (1 - cos theta)``."""
    return 0.5 * omega**2 + g * (1 - torch.cos(theta))


def _field(state: torch.Tensor, g: float, damping: float) -> torch.Tensor:
    theta, omega = state[..., 0], state[..., 1]
    return torch.stack([omega, -g * torch.sin(theta) - damping * omega], dim=-1)


def simulate(theta0: torch.Tensor, omega0: torch.Tensor, steps: int, dt: float, *, g: float = G,
             damping: float = 0.0, substeps: int = 10) -> torch.Tensor:
    """Trajectories from initial angles and angular velocities ``[N]``: ``[N, steps, 2]`` (theta, omega).

    Classic RK4 in float64 with ``substeps`` steps per recorded ``dt``.

    Raises:
        ValueError: non-finite initial states, ``dt`` or ``steps`` not positive, or a step too large
            for the integrator (``dt / substeps * sqrt(g) > 0.5``: RK4 would no longer be accurate).
    """
    theta0, omega0 = torch.as_tensor(theta0, dtype=torch.float64), torch.as_tensor(omega0, dtype=torch.float64)
    if not (torch.isfinite(theta0).all() and torch.isfinite(omega0).all()):
        raise ValueError("initial states must be finite (got NaN or inf in theta0 / omega0)")
    if steps < 1 or not dt > 0 or substeps < 1:
        raise ValueError(f"need steps >= 1, dt > 0 and substeps >= 1, got {steps}, {dt}, {substeps}")
    h = dt / substeps
    if h * math.sqrt(g) > 0.5:
        raise ValueError(f"integration step dt/substeps = {h:.3g} is too large for g = {g} (need "
                         f"dt/substeps * sqrt(g) <= 0.5): raise substeps or lower dt")
    state = torch.stack([theta0, omega0], dim=-1)
    out = torch.empty(*state.shape[:-1], steps, 2, dtype=torch.float64)
    for t in range(steps):
        out[..., t, :] = state
        for _ in range(substeps):
            k1 = _field(state, g, damping)
            k2 = _field(state + 0.5 * h * k1, g, damping)
            k3 = _field(state + 0.5 * h * k2, g, damping)
            k4 = _field(state + h * k3, g, damping)
            state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return out


def initial_states(n: int, seed: int = 0, energy_range: tuple[float, float] = (2.0, 12.0),
                   g: float = G) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` initial ``(theta0, omega0)`` with energies drawn from ``energy_range`` (below ``2g``, the
    energy of standing upright, the pendulum swings; above it, it rotates) and a random phase."""
    if not 0 < energy_range[0] <= energy_range[1]:
        raise ValueError(f"energy_range must be positive and ordered, got {energy_range}")
    gen = torch.Generator().manual_seed(seed)
    e = energy_range[0] + (energy_range[1] - energy_range[0]) * torch.rand(n, generator=gen, dtype=torch.float64)
    # a random angle the energy can reach, then the speed that makes up the rest
    cos_min = torch.clamp(1 - e / g, min=-1.0)
    theta = torch.arccos(1 - (1 - cos_min) * torch.rand(n, generator=gen, dtype=torch.float64))
    theta = torch.where(torch.rand(n, generator=gen) < 0.5, theta, -theta)
    omega = torch.sqrt(torch.clamp(2 * (e - g * (1 - torch.cos(theta))), min=0.0))
    omega = torch.where(torch.rand(n, generator=gen) < 0.5, omega, -omega)
    return theta, omega


def render(theta: torch.Tensor, image_size: int = 32, background: torch.Tensor | None = None,
           colour: torch.Tensor | None = None) -> torch.Tensor:
    """Frames ``[..., 3, S, S]`` in [0, 1] of pendulums at angles ``theta [...]``: a rod from the centre
    pivot and a bob (soft edges, so small motions change pixels). By default a grey rod and an orange bob
    on a dark background; ``background`` and ``colour`` (one colour for rod and bob) are RGB values that
    broadcast against ``theta`` with a trailing 3, e.g. ``[N, 1, 3]`` for one colour per clip of ``[N, T]``."""
    s = image_size
    coords = (torch.arange(s, dtype=torch.float32) + 0.5) / s * 2 - 1  # [-1, 1], y grows downwards
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    th = theta.float()[..., None, None]
    length = 0.7
    bx, by = length * torch.sin(th), length * torch.cos(th)  # theta = 0 hangs straight down
    px = 2.0 / s  # one pixel in these units
    bob = torch.sigmoid((0.18 - ((x - bx) ** 2 + (y - by) ** 2).sqrt()) / (0.6 * px))[..., None, :, :]
    # distance to the rod segment from the pivot (0, 0) to the bob
    u = ((x * bx + y * by) / length**2).clamp(0, 1)
    rod = torch.sigmoid((0.04 - ((x - u * bx) ** 2 + (y - u * by) ** 2).sqrt()) / (0.6 * px))[..., None, :, :]
    back = (torch.tensor([0.08, 0.08, 0.12]) if background is None else background.float())[..., None, None]
    if colour is not None:
        cover = torch.maximum(rod, bob)
        return (back * (1 - cover) + colour.float()[..., None, None] * cover).clamp(0, 1)
    img = back + rod * 0.6
    img = img * (1 - bob) + bob * torch.tensor([1.0, 0.55, 0.1])[:, None, None]
    return img.clamp(0, 1)


def add_flashes(frames: torch.Tensor, count: int, generator: torch.Generator,
                radius: tuple[float, float] = (0.08, 0.2)) -> torch.Tensor:
    """Distractor discs of random colours over ``frames [N, T, 3, S, S]``: ``count`` per frame, each at a
    fresh place in every frame, so that nothing about them can be predicted from the other frames (think
    of rain, insects or flickering lights). ``radius`` in units of the half image side (the bob's is 0.18)."""
    n, t, _, s, _ = frames.shape
    coords = (torch.arange(s, dtype=torch.float32) + 0.5) / s * 2 - 1
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    out = frames
    for _ in range(count):
        cx, cy = (torch.rand(n, t, 1, 1, generator=generator) * 2 - 1 for _ in range(2))
        r = radius[0] + (radius[1] - radius[0]) * torch.rand(n, t, 1, 1, generator=generator)
        colour = hsv_to_rgb(torch.rand(n * t, generator=generator), torch.rand(n * t, generator=generator),
                            0.5 + 0.5 * torch.rand(n * t, generator=generator)).reshape(n, t, 3, 1, 1)
        disc = (((x - cx) ** 2 + (y - cy) ** 2).sqrt() < r)[:, :, None]  # [N, T, 1, S, S]
        out = torch.where(disc, colour, out)
    return out


def make_pendulum(n: int, steps: int, dt: float = 0.05, *, image_size: int | None = 32, seed: int = 0,
                  energy_range: tuple[float, float] = (2.0, 12.0), damping: float = 0.0, noise: float = 0.0,
                  g: float = G, background: str = "plain") -> dict[str, torch.Tensor]:
    """``n`` pendulum trajectories of ``steps`` states, recorded every ``dt``.

    Returns a dict: ``states [n, steps, 2]`` (theta wrapped to (-pi, pi], omega; float32), ``energy
    [n, steps]``, ``derivatives [n, steps, 2]`` (the exact time derivatives, for training vector fields)
    and, if ``image_size``, ``frames [n, 3, steps, S, S]`` (a clip per trajectory, the layout V-JEPA
    takes). ``noise`` adds Gaussian pixel noise to the frames only. ``background``: ``"plain"`` (dark) or
    ``"camera"``: each clip a pendulum of its own colour on a background of its own colour and
    brightness, ``CAMERA_FLASHES`` one-frame distractor discs per frame (``add_flashes``) and sensor noise
    of std ``CAMERA_NOISE``.
    """
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, got {background!r}")
    theta0, omega0 = initial_states(n, seed, energy_range, g)
    traj = simulate(theta0, omega0, steps, dt, g=g, damping=damping)
    theta = torch.atan2(torch.sin(traj[..., 0]), torch.cos(traj[..., 0]))
    out = {"states": torch.stack([theta, traj[..., 1]], dim=-1).float(),
           "energy": energy(traj[..., 0], traj[..., 1], g).float(),
           "derivatives": _field(traj, g, damping).float()}
    if image_size:
        if background == "camera":
            cam = torch.Generator().manual_seed(seed + 20_000)
            back = hsv_to_rgb(torch.rand(n, generator=cam), 0.6 * torch.rand(n, generator=cam),
                              0.2 + 0.6 * torch.rand(n, generator=cam))
            paint = hsv_to_rgb(torch.rand(n, generator=cam), 0.5 + 0.5 * torch.rand(n, generator=cam),
                               0.5 + 0.5 * torch.rand(n, generator=cam))
            frames = add_flashes(render(theta, image_size, back[:, None], paint[:, None]), CAMERA_FLASHES, cam)
            frames = (frames + CAMERA_NOISE * torch.randn(frames.shape, generator=cam)).clamp(0, 1)
        else:
            frames = render(theta, image_size)  # [n, steps, 3, S, S]
        if noise:
            gen = torch.Generator().manual_seed(seed + 10_000)
            frames = (frames + noise * torch.randn(frames.shape, generator=gen)).clamp(0, 1)
        out["frames"] = frames.permute(0, 2, 1, 3, 4).contiguous()
    return out
