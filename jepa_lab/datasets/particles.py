"""Bouncing balls in a box: seeded trajectories of states ``(x, y, vx, vy)`` per ball.

The box is ``[0, 1]²``; walls are elastic (a ball that crosses a wall is reflected back by the
distance it overshot and its velocity component flips), so the dynamics are piecewise linear with
kinks at the walls: easy to state, not linear to predict. Options: gravity (pulls ``vy`` towards
+y, down the picture), friction (velocity decays), several independent balls, observation noise.

Introduced in notebook 07.
"""

from __future__ import annotations

import math

import torch

STATE = ("x", "y", "vx", "vy")


def _reflect(p: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold positions back into [0, 1] (any number of bounces) and flip the velocity per bounce."""
    period = torch.remainder(p, 2.0)  # the unfolded line has period 2
    back = period > 1.0
    return torch.where(back, 2.0 - period, period), torch.where(back, -v, v)


def make_bouncing_balls(
    n: int,
    steps: int,
    *,
    dt: float = 0.05,
    balls: int = 1,
    speed: tuple[float, float] = (0.5, 1.0),
    gravity: float = 0.0,
    friction: float = 0.0,
    noise: float = 0.0,
    substeps: int = 4,
    seed: int = 0,
) -> torch.Tensor:
    """``n`` trajectories of ``steps`` states each.

    Args:
        n, steps: trajectories and time steps per trajectory.
        dt: time between recorded states (the box is 1 wide: a ball at speed 1 crosses it in 1/dt steps).
        balls: independent balls per trajectory (no ball-ball collisions); state width ``4 * balls``.
        speed: range of the initial speed (random direction).
        gravity: acceleration along +y; friction: velocity decay rate (``v *= 1 - friction * dt``).
        noise: std of Gaussian noise added to the *recorded* states (the simulation stays exact).
        substeps: integration steps per recorded step (semi-implicit Euler; exact without gravity).
        seed: same seed, same trajectories.
    Returns:
        ``[n, steps, 4 * balls]`` float32: per ball ``(x, y, vx, vy)``.
    Raises:
        ValueError: non-positive sizes or ``dt``, a speed range outside ``(0, inf)``, friction that
            would reverse velocities in one step (``friction * dt >= 1``), or non-finite parameters.

    Introduced in notebook 07.
    """
    if n < 1 or steps < 1 or balls < 1 or substeps < 1:
        raise ValueError(f"n, steps, balls and substeps must be at least 1, got {n}, {steps}, {balls}, {substeps}")
    values = (dt, *speed, gravity, friction, noise)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"parameters must be finite, got dt={dt}, speed={speed}, gravity={gravity}, "
                         f"friction={friction}, noise={noise}")
    if dt <= 0 or not 0 < speed[0] <= speed[1] or noise < 0 or friction < 0:
        raise ValueError(f"need dt > 0, 0 < speed[0] <= speed[1], noise >= 0, friction >= 0; got dt={dt}, "
                         f"speed={speed}, noise={noise}, friction={friction}")
    if friction * dt >= 1:
        raise ValueError(f"friction * dt = {friction * dt:.3g} >= 1 would reverse velocities in one step: "
                         "lower friction or dt")
    g = torch.Generator().manual_seed(seed)
    pos = 0.1 + 0.8 * torch.rand(n, balls, 2, generator=g)
    angle = 2 * math.pi * torch.rand(n, balls, generator=g)
    s = speed[0] + (speed[1] - speed[0]) * torch.rand(n, balls, generator=g)
    vel = torch.stack([angle.cos(), angle.sin()], -1) * s[..., None]
    h = dt / substeps
    out = torch.empty(n, steps, balls, 4)
    for t in range(steps):
        out[:, t, :, :2], out[:, t, :, 2:] = pos, vel
        for _ in range(substeps):
            vel = vel * (1 - friction * h)
            vel[..., 1] += gravity * h
            pos, vel = _reflect(pos + vel * h, vel)
    out = out.reshape(n, steps, 4 * balls)
    if noise:
        out = out + noise * torch.randn(out.shape, generator=g)
    return out
