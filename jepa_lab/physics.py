"""Learned vector fields for a pendulum: a baseline MLP, a Hamiltonian NN and a Lagrangian NN (notebook 08).

All three map a state ``(q, v)`` (angle, angular velocity; unit mass and length, so the momentum
``p = v``) to its time derivative ``(dq/dt, dv/dt)`` and are trained on (state, derivative) pairs:

- ``MLP``: the derivative straight from an MLP; nothing ties it to energy.
- ``HNN`` (Greydanus et al. 2019): an MLP ``H(q, p)``; ``dq/dt = dH/dp``, ``dp/dt = -dH/dq``. Its own
  ``H`` is conserved exactly by the true flow of the learned field.
- ``LNN`` (Cranmer et al. 2020): an MLP ``L(q, v)``; the acceleration from the Euler–Lagrange equation
  through the Hessian, ``a = (dL/dq - d²L/dq dv * v) / d²L/dv²``. Trained on accelerations.
  ``LNN.residual_loss`` is the tempting shortcut: the finite-difference Euler–Lagrange residual on
  trajectories, which any constant ``L`` satisfies (``d²L/dv² = 0``); ``scale_fix`` pins ``d²L/dv²``
  near 1 so the trivial solution is ruled out. Always look at ``d2l_dv2`` beside the residual.

Angles enter every network as ``(cos q, sin q)`` so that the models are periodic in ``q`` (``MLP`` and ``HNN``
take ``periodic=False`` for coordinates that are not angles).
``rollout`` integrates any of them with RK4, capped at ``MAX_ROLLOUT`` steps; ``relative_drift``
measures energy drift with the true energy. Fitting notebook 08's fields, their checkpoints and
``python -m jepa_lab.physics`` live in ``jepa_lab.tasks.physics_fields``.

Introduced in notebook 08.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from jepa_lab import threads
from jepa_lab.datasets.pendulum import G, energy

MAX_ROLLOUT = 20_000
LNN_MAX_HIDDEN = 128  # measured: a width-256 LNN blew up at its first steps and stalled (loss 57); 128 trains


def softplus_mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    """Two hidden layers of ``hidden`` units, softplus between them (every field here and in ``latent_physics``)."""
    # softplus: smooth, so second derivatives (the LNN's Hessian) exist and are not piecewise zero
    return nn.Sequential(nn.Linear(d_in, hidden), nn.Softplus(), nn.Linear(hidden, hidden), nn.Softplus(),
                         nn.Linear(hidden, d_out))


def _features(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.cos(q), torch.sin(q), v], dim=-1)


def _check_state(x: torch.Tensor) -> None:
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"states must be [N, 2] (angle, angular velocity), got {tuple(x.shape)}")


def _inputs(x: torch.Tensor, periodic: bool) -> torch.Tensor:
    return _features(x[:, 0], x[:, 1]) if periodic else x


class MLP(nn.Module):
    """Baseline: ``(q, v) -> (dq/dt, dv/dt)`` from an MLP. ``periodic=False``: ``q`` enters as it is, for
    coordinates that are not an angle (a learned latent, ``jepa_lab.latent_physics``)."""

    def __init__(self, hidden: int = 128, periodic: bool = True) -> None:
        super().__init__()
        self.periodic = periodic
        self.net = softplus_mlp(3 if periodic else 2, hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_state(x)
        return self.net(_inputs(x, self.periodic))


class HNN(nn.Module):
    """Hamiltonian NN: a learned ``H(q, p)``, and the field ``(dH/dp, -dH/dq)`` (``periodic`` as ``MLP``'s)."""

    def __init__(self, hidden: int = 128, periodic: bool = True) -> None:
        super().__init__()
        self.periodic = periodic
        self.net = softplus_mlp(3 if periodic else 2, hidden, 1)

    def hamiltonian(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_inputs(x, self.periodic))[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_state(x)
        with torch.enable_grad():
            x = x if x.requires_grad else x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.hamiltonian(x).sum(), x, create_graph=self.training)
        return torch.stack([grad[:, 1], -grad[:, 0]], dim=1)


class LNN(nn.Module):
    """Lagrangian NN: a learned ``L(q, v)``; accelerations through its Hessian in ``v``.

    ``L`` is only defined up to scale (``c * L`` gives the same accelerations), and a fresh network is
    almost flat in ``v``, so the division by ``d²L/dv²`` starts near 0 / 0; ``fit_field`` therefore adds
    ``(d²L/dv² - 1)²`` to the acceleration loss, fixing the scale at the true pendulum's (mass 1), and the
    network's output is multiplied by ``out_scale`` (L is of order g) so that scale is within reach.
    Measured: without the output scale, a width-256 LNN stalled at predicting zero acceleration."""

    def __init__(self, hidden: int = 128, out_scale: float = 10.0) -> None:
        super().__init__()
        self.net = softplus_mlp(3, hidden, 1)
        self.out_scale = out_scale  # L is of order g = 9.81: a network output of order 1, times 10

    def lagrangian(self, q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self.out_scale * self.net(_features(q, v))[:, 0]

    def _parts(self, q: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``dL/dq``, ``dL/dv``, ``d²L/dv²``, ``d²L/dq dv`` at each state."""
        with torch.enable_grad():
            q = q.detach().requires_grad_(True) if not q.requires_grad else q
            v = v.detach().requires_grad_(True) if not v.requires_grad else v
            lag = self.lagrangian(q, v).sum()
            dl_dq, dl_dv = torch.autograd.grad(lag, (q, v), create_graph=True)
            d2_vv, d2_qv = torch.autograd.grad(dl_dv.sum(), (v, q), create_graph=True)
        return dl_dq, dl_dv, d2_vv, d2_qv

    def d2l_dv2(self, x: torch.Tensor) -> torch.Tensor:
        """``d²L/dv²`` at states ``x [N, 2]`` (about 1 for a healthy model of this pendulum; 0 = trivial)."""
        _check_state(x)
        return self._parts(x[:, 0], x[:, 1])[2].detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_state(x)
        q, v = x[:, 0], x[:, 1]
        dl_dq, _, d2_vv, d2_qv = self._parts(q, v)
        self.last_d2l_dv2 = d2_vv  # fit_field pins its scale near 1 (see the class docstring)
        acc = (dl_dq - d2_qv * v) / d2_vv
        out = torch.stack([v, acc], dim=1)
        return out if self.training else out.detach()

    def residual_loss(self, traj: torch.Tensor, dt: float, scale_fix: float = 0.0) -> tuple[torch.Tensor, ...]:
        """The finite-difference Euler–Lagrange residual on trajectories ``[N, T, 2]``:
        ``(dL/dv(t+1) - dL/dv(t-1)) / 2dt - dL/dq(t)``, squared and averaged. With ``scale_fix > 0``,
        adds ``scale_fix * (d²L/dv² - 1)²`` (pins the Hessian's scale). Returns
        ``(loss, mean residual², mean d²L/dv²)``."""
        if traj.ndim != 3 or traj.shape[-1] != 2 or traj.shape[1] < 3:
            raise ValueError(f"trajectories must be [N, T >= 3, 2], got {tuple(traj.shape)}")
        n, t, _ = traj.shape
        flat = traj.reshape(-1, 2)
        dl_dq, dl_dv, d2_vv, _ = self._parts(flat[:, 0], flat[:, 1])
        dl_dq, dl_dv = dl_dq.view(n, t), dl_dv.view(n, t)
        residual = (dl_dv[:, 2:] - dl_dv[:, :-2]) / (2 * dt) - dl_dq[:, 1:-1]
        res2 = residual.pow(2).mean()
        loss = res2 + scale_fix * (d2_vv - 1).pow(2).mean() if scale_fix else res2
        return loss, res2.detach(), d2_vv.detach().mean()


class Exact(nn.Module):
    """The true pendulum as a vector field, ``(v, -g sin q)``: rolled out with the same integrator as the
    learned fields, its energy drift is the integrator's own, the floor under every model's."""

    def __init__(self, g: float = G) -> None:
        super().__init__()
        self.g = g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_state(x)
        return torch.stack([x[:, 1], -self.g * torch.sin(x[:, 0])], dim=1)


MODELS = {"MLP": MLP, "HNN": HNN, "LNN": LNN}


def fit_field(model: nn.Module, states: torch.Tensor, derivatives: torch.Tensor, steps: int = 2000,
              batch: int = 512, lr: float = 3e-3, seed: int = 0, target: str = "both") -> list[float]:
    """Train a vector field on pairs ``states [N, 2] -> derivatives [N, 2]`` (MSE; ``target="acc"``
    fits the acceleration only, as the LNN's first component is ``v`` by construction). Adam with a
    cosine learning rate. Returns the loss every 10 steps. Raises on a NaN loss, naming the step."""
    if len(states) != len(derivatives):
        raise ValueError("states and derivatives differ in length")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    model.train()
    losses = []
    with threads.training_threads() as governor:  # follow the free cores on a busy machine, as train.fit does
        for step in range(steps):
            if governor is not None:
                governor.tick()
            idx = torch.randint(len(states), (min(batch, len(states)),), generator=gen)
            pred = model(states[idx])
            want = derivatives[idx]
            loss = (pred[:, 1] - want[:, 1]).pow(2).mean() if target == "acc" else (pred - want).pow(2).mean()
            if isinstance(model, LNN):
                loss = loss + (model.last_d2l_dv2 - 1).pow(2).mean()  # fix the Lagrangian's scale
            optimiser_step(loss, opt, sched, step, losses)
    model.eval()
    return losses


def optimiser_step(loss: torch.Tensor, opt: torch.optim.Optimizer, sched, step: int, losses: list[float],
                   clip: float | None = None) -> None:
    """One step of a small fit (the fields here, ``latent_physics.fit_latent``): refuse a non-finite loss,
    naming the step and the learning rate; backward, gradients clipped at ``clip`` if given, step, schedule;
    the loss is appended to ``losses`` every 10 steps."""
    if not torch.isfinite(loss):
        raise RuntimeError(f"loss became {loss.item()} at step {step}: lower lr={opt.param_groups[0]['initial_lr']}")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_([p for group in opt.param_groups for p in group["params"]], clip)
    opt.step()
    sched.step()
    if step % 10 == 0:
        losses.append(loss.item())


def rk4_step(field, x: torch.Tensor, h: float) -> torch.Tensor:
    """One classic Runge–Kutta step of ``dx/dt = field(x)``."""
    k1 = field(x)
    k2 = field(x + 0.5 * h * k1)
    k3 = field(x + 0.5 * h * k2)
    k4 = field(x + h * k3)
    return x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def energy_mse(traj: torch.Tensor, g: float = G) -> float:
    """The HNN paper's energy metric on rollouts ``[N, T, 2]``: mean over trajectories and time of
    ``(E(t) - E(0))²`` with the true energy (E(0) is the true energy, conserved by the real pendulum)."""
    e = energy(traj[..., 0].double(), traj[..., 1].double(), g)
    return float((e - e[:, :1]).pow(2).mean())


def rollout(model: nn.Module, x0: torch.Tensor, steps: int, dt: float, substeps: int = 1) -> torch.Tensor:
    """Integrate ``dx/dt = model(x)`` from ``x0 [N, 2]`` with RK4 (``substeps`` per recorded ``dt``):
    ``[N, steps + 1, 2]``.

    Raises:
        ValueError: non-finite initial states, ``steps`` above ``MAX_ROLLOUT``, ``dt`` not positive.
    A trajectory that blows up is kept as NaN from then on (``relative_drift`` reports it).
    """
    _check_state(x0)
    if not torch.isfinite(x0).all():
        raise ValueError("initial states must be finite")
    if not 1 <= steps <= MAX_ROLLOUT:
        raise ValueError(f"rollouts are capped at {MAX_ROLLOUT} steps, got {steps}")
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt}")
    if substeps < 1:
        raise ValueError(f"substeps must be at least 1, got {substeps}")
    model.eval()
    x, h = x0.float(), dt / substeps
    out = [x]
    for _ in range(steps):
        for _ in range(substeps):
            x = rk4_step(model, x, h).detach()
        out.append(x)
    return torch.stack(out, dim=1)


def relative_drift(traj: torch.Tensor, g: float = G) -> torch.Tensor:
    """Per trajectory ``[N, T, 2]``: the largest ``|E(t) - E(0)| / E(0)`` over time, with the true energy
    (infinite where a rollout went non-finite)."""
    e = energy(traj[..., 0].double(), traj[..., 1].double(), g)
    drift = ((e - e[:, :1]).abs() / e[:, :1]).amax(dim=1)
    return torch.where(torch.isfinite(drift), drift, torch.full_like(drift, math.inf)).float()


def acceleration_error(model: nn.Module, states: torch.Tensor, g: float = G) -> tuple[float, float]:
    """How far a field's acceleration ``dv/dt`` is from the true pendulum's on states ``[N, 2]``: the mean
    absolute error, and the mean absolute true acceleration beside it for scale (both rad/s²)."""
    _check_state(states)
    true = Exact(g)(states)[:, 1]
    with torch.no_grad():
        got = model(states)[:, 1].detach()
    return (got - true).abs().mean().item(), true.abs().mean().item()


def read_windows(features, decode, frames: torch.Tensor, clip: int) -> torch.Tensor:
    """States read from frames by any reader: every ``clip``-frame window of ``frames [N, 3, T, S, S]``
    through ``features`` (``[W, 3, clip, S, S] -> [W, F]``) and the probe ``decode`` (-> cos, sin, omega),
    as ``[N, T - clip + 1, 2]`` (theta = atan2(sin, cos), omega) for the window's last frame. One trajectory
    at a time (all windows at once would copy every frame ``clip`` times)."""
    n, _, t, _, _ = frames.shape
    if t < clip:
        raise ValueError(f"need at least {clip} frames per trajectory, got {t}")
    out = []
    for clip_frames in frames:
        windows = clip_frames.unfold(1, clip, 1).permute(1, 0, 4, 2, 3)  # [W, 3, clip, S, S]
        csw = decode(features(windows))
        out.append(torch.stack([torch.atan2(csw[:, 1], csw[:, 0]), csw[:, 2]], dim=-1))
    return torch.stack(out)


def angle_error(read: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Wrapped angle differences ``read - true`` of trajectories ``[..., 2]``, in ``(-pi, pi]``."""
    return torch.remainder(read[..., 0] - true[..., 0] + math.pi, 2 * math.pi) - math.pi


def finite_difference(traj: torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Central-difference derivatives of trajectories ``[N, T, 2]`` (angles unwrapped first): returns the
    interior states ``[N * (T - 2), 2]`` and their derivatives, for ``fit_field``."""
    theta = traj[..., 0]
    d = torch.remainder(theta[:, 1:] - theta[:, :-1] + math.pi, 2 * math.pi) - math.pi  # unwrap
    unwrapped = torch.cat([theta[:, :1], theta[:, :1] + d.cumsum(1)], dim=1)
    x = torch.stack([unwrapped, traj[..., 1]], dim=-1)
    deriv = (x[:, 2:] - x[:, :-2]) / (2 * dt)
    return traj[:, 1:-1].reshape(-1, 2), deriv.reshape(-1, 2)


if __name__ == "__main__":  # the command the shipped cards name; the runs live with the task
    from jepa_lab.tasks.physics_fields import main

    raise SystemExit(main())
