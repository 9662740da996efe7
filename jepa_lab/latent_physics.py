"""Physics in a JEPA latent: a Hamiltonian (or plain MLP) vector field learned on a two-number code of a
frozen video encoder's features, from trajectories of features alone, with no state labels (notebook 08).

``LatentField`` holds three small networks: a ``head`` that maps an encoder's features (standardised)
to a 2-D code ``z``, a ``decoder`` back to the features, and a ``field`` on ``z`` (``physics.HNN`` or
``physics.MLP`` with ``periodic=False``: the code is not an angle). ``fit_latent`` trains all three
together on windows of consecutive feature vectors:

- reconstruction: the decoder gives the features back from ``z`` (so ``z`` cannot collapse to a constant);
- latent rollout: RK4 on the field from the first window's code must land on the later windows' codes;
- feature rollout: the decoder of the rolled-out code must give the later features (so ``z`` must carry
  what *changes*, not only what is conserved: a code of the energy alone would be perfectly predictable);
- VICReg's variance and covariance terms on the code (a floor on each unit's spread, no correlation).

Labels are used only to judge: ``knn_states`` reads the true state back from a code by its nearest
training codes, and ``judge`` rolls the field out from a held-out trajectory's first code, decodes every
step, and measures the true energy's drift (``physics.relative_drift``) and the angle error.

Introduced in notebook 08.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from jepa_lab import physics, threads
from jepa_lab.datasets.pendulum import energy, simulate
from jepa_lab.losses import covariance_term, variance_term

FIELDS = ("HNN", "MLP")
STD_WEIGHT = 25.0  # VICReg's weight on the spread floor


class LatentField(nn.Module):
    """Features ``[N, D]`` -> code ``[N, 2]`` (``encode``), code -> features (``decode``), and the code's time
    derivative (``forward``, so ``physics.rollout`` integrates it). ``mean`` and ``std`` standardise the
    features (buffers, saved with the model)."""

    def __init__(self, feature_dim: int, field: str = "HNN", hidden: int = 128) -> None:
        super().__init__()
        if field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}, got {field!r}")
        if feature_dim < 1 or hidden < 1:
            raise ValueError(f"feature_dim and hidden must be positive, got {feature_dim} and {hidden}")
        self.field_name = field
        self.head = physics.softplus_mlp(feature_dim, hidden, 2)
        self.decoder = physics.softplus_mlp(2, hidden, feature_dim)
        self.field = physics.MODELS[field](hidden=hidden, periodic=False)
        self.register_buffer("mean", torch.zeros(feature_dim))
        self.register_buffer("std", torch.ones(feature_dim))

    def standardise(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) / self.std

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        if features.shape[-1] != self.mean.numel():
            raise ValueError(f"features must have {self.mean.numel()} numbers each, got {features.shape[-1]}")
        return self.head(self.standardise(features))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Standardised features from codes."""
        return self.decoder(z)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.field(z)


def _check_latents(features: torch.Tensor, horizon: int) -> None:
    if features.ndim != 3:
        raise ValueError(f"features must be trajectories [N, L, D], got shape {tuple(features.shape)}")
    if not 1 <= horizon < features.shape[1]:
        raise ValueError(f"horizon must be in 1..{features.shape[1] - 1} (trajectories of {features.shape[1]} "
                         f"steps), got {horizon}")


def fit_latent(model: LatentField, features: torch.Tensor, dt: float, *, steps: int = 3000,
               horizon: int = 10, batch: int = 256, lr: float = 1e-3, warmup: int | None = None,
               seed: int = 0) -> list[float]:
    """Train ``model`` on feature trajectories ``[N, L, D]`` sampled every ``dt`` seconds (no labels): for
    ``warmup`` steps (default a sixth) the code and decoder alone, then with both rollouts over ``horizon``
    steps. Adam, cosine learning rate, gradients clipped at 1. Sets the model's standardisation from
    ``features``. Returns the loss every 10 steps; raises on a non-finite loss, naming the step."""
    _check_latents(features, horizon)
    if steps < 1 or batch < 1 or not dt > 0:
        raise ValueError(f"need steps >= 1, batch >= 1 and dt > 0, got {steps}, {batch}, {dt}")
    warmup = steps // 6 if warmup is None else warmup
    flat = features.reshape(-1, features.shape[-1])
    model.mean.copy_(flat.mean(0))
    model.std.copy_(flat.std(0) + 1e-6)
    x = model.standardise(features)
    n, length, dim = x.shape
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    offsets = torch.arange(horizon + 1)
    losses = []
    model.train()
    with threads.training_threads() as governor:
        for step in range(steps):
            if governor is not None:
                governor.tick()
            i = torch.randint(n, (batch,), generator=gen)
            t = torch.randint(length - horizon, (batch,), generator=gen)
            seq = x[i[:, None], t[:, None] + offsets]  # [B, horizon + 1, D]
            z = model.head(seq.reshape(-1, dim)).reshape(batch, horizon + 1, 2)
            codes = z.reshape(-1, 2)
            loss = (model.decoder(codes) - seq.reshape(-1, dim)).pow(2).mean()
            loss = loss + STD_WEIGHT * variance_term(codes) + covariance_term(codes)
            if step >= warmup:
                zz, roll = z[:, 0], 0.0
                for k in range(1, horizon + 1):
                    zz = physics.rk4_step(model.field, zz, dt)
                    roll = roll + (zz - z[:, k]).pow(2).mean() + (model.decoder(zz) - seq[:, k]).pow(2).mean()
                loss = loss + roll / horizon
            physics.optimiser_step(loss, opt, sched, step, losses, clip=1.0)
    model.eval()
    return losses


@torch.no_grad()
def encode_trajectories(model: LatentField, features: torch.Tensor) -> torch.Tensor:
    """Codes of feature trajectories ``[N, L, D]``: ``[N, L, 2]``."""
    return model.encode(features.reshape(-1, features.shape[-1])).reshape(*features.shape[:2], 2)


def state_targets(states: torch.Tensor) -> torch.Tensor:
    """``(theta, omega)`` as ``(cos theta, sin theta, omega)``, so that neighbours average without wrapping."""
    return torch.stack([states[..., 0].cos(), states[..., 0].sin(), states[..., 1]], -1)


def knn_states(codes: torch.Tensor, states: torch.Tensor, k: int = 10) -> Callable[[torch.Tensor], torch.Tensor]:
    """A reader that judges a code by its ``k`` nearest labelled codes (``codes [M, 2]``, their true
    ``states [M, 2]``): returns ``read(z [N, 2]) -> states [N, 2]``, NaN where a code is not finite (a
    rollout that blew up stays visible to ``physics.relative_drift``). Labels are used here only, to judge."""
    if codes.ndim != 2 or states.ndim != 2 or codes.shape[1] != 2 or states.shape[1] != 2:
        raise ValueError(f"codes and states must both be [M, 2], got {tuple(codes.shape)} and {tuple(states.shape)}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if len(codes) != len(states) or len(codes) < k:
        raise ValueError(f"need as many states as codes, and at least k={k} of them; got {len(codes)}, {len(states)}")
    targets = state_targets(states.float())

    def read(z: torch.Tensor) -> torch.Tensor:
        out = []
        for part in z.split(4096):
            finite = torch.isfinite(part).all(1)
            near = torch.cdist(torch.where(finite[:, None], part, 0.0), codes).topk(k, largest=False).indices
            avg = targets[near].mean(1)
            got = torch.stack([torch.atan2(avg[:, 1], avg[:, 0]), avg[:, 2]], -1)
            out.append(torch.where(finite[:, None], got, torch.nan))
        return torch.cat(out)

    return read


@torch.no_grad()
def decoded_rollout(model: LatentField, read, features: torch.Tensor, dt: float, steps: int) -> torch.Tensor:
    """The field rolled out ``steps`` steps of ``dt`` (RK4) from the code of each trajectory's first window
    (``features [N, L, D]``), every code read as a state by ``read``: ``[N, steps + 1, 2]``."""
    traj = physics.rollout(model, encode_trajectories(model, features[:, :1])[:, 0], steps, dt)
    return read(traj.reshape(-1, 2)).reshape(len(traj), steps + 1, 2)


@torch.no_grad()
def judge(model: LatentField, read, features: torch.Tensor, states: torch.Tensor, dt: float,
          steps: int, decoded: torch.Tensor | None = None) -> dict[str, float]:
    """How well the latent field stands for the pendulum on held-out trajectories (``features [N, L, D]``,
    their true ``states [N, L, 2]``, sampled every ``dt``):

    - ``read_angle``, ``read_omega``: mean absolute errors of the states read back from every window's code;
    - the field rolled out ``steps`` steps from each first code (``decoded_rollout``): ``drift_mean`` and
      ``drift_median``, each rollout's largest relative change of the true energy (``physics.relative_drift``);
      ``drift_first_mean``, the same over the first ``L`` states only, beside ``floor_drift_mean``, the same
      measure on the held-out trajectories read back window by window (the reader's own noise, a floor);
    - ``energy_level``: each rollout's decoded energy averaged over time, over its true starting energy,
      averaged over rollouts (1: right on average), and ``energy_level_error``: the mean of ``|level - 1|``
      (rollouts that gain and rollouts that lose do not cancel);
    - ``rollout_angle``: the mean angle error of the decoded rollouts against the true pendulum simulated from
      the same starts over the whole rollout.

    ``decoded``: ``decoded_rollout(model, read, features, dt, steps)`` when the caller has it already.
    """
    if features.shape[:2] != states.shape[:2] or states.shape[-1] != 2:
        raise ValueError(f"features [N, L, D] and states [N, L, 2] must match in N and L, got "
                         f"{tuple(features.shape)} and {tuple(states.shape)}")
    direct = read(encode_trajectories(model, features).reshape(-1, 2)).reshape(states.shape)
    if decoded is None:
        decoded = decoded_rollout(model, read, features, dt, steps)
    elif decoded.shape != (len(features), steps + 1, 2):
        raise ValueError(f"decoded must be [N, steps + 1, 2] = {[len(features), steps + 1, 2]}, "
                         f"got {list(decoded.shape)}")
    drift = physics.relative_drift(decoded)
    start = energy(states[:, 0, 0].double(), states[:, 0, 1].double())
    level = energy(decoded[..., 0].double(), decoded[..., 1].double()).mean(1) / start
    overlap = min(steps + 1, states.shape[1])
    truth = simulate(states[:, 0, 0], states[:, 0, 1], steps + 1, dt).float()
    return {"read_angle": physics.angle_error(direct, states).abs().mean().item(),
            "read_omega": (direct[..., 1] - states[..., 1]).abs().mean().item(),
            "drift_mean": drift.mean().item(), "drift_median": drift.median().item(),
            "drift_first_mean": physics.relative_drift(decoded[:, :overlap]).mean().item(),
            "floor_drift_mean": physics.relative_drift(direct[:, :overlap]).mean().item(),
            "energy_level": level.mean().item(), "energy_level_error": (level - 1).abs().mean().item(),
            "rollout_angle": physics.angle_error(decoded, truth).abs().mean().item()}


if __name__ == "__main__":  # the command the shipped cards name; the runs live with the task
    from jepa_lab.tasks.latent_fields import main

    raise SystemExit(main())
