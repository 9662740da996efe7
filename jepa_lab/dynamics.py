"""A latent forward model of bouncing balls, trained like a JEPA (notebook 07).

A context encoder sees a short window of (feature-masked) states and gives a latent ``z(t)``; a target
encoder (an EMA copy, or the online encoder in the LeJEPA-style variant) sees the unmasked window
ending at ``t + k``. The model predicts the *change* of the latent:

    z_hat(t + k) = z(t) + dz,    dz = dynamics_prior(z(t), k) + predictor(z(t), embed(k))

with ``dynamics_prior(z, k) = k * A z`` (a learned linear latent velocity field, started at zero) and
``k`` drawn each step from ``horizons``. The loss is the squared error to the target latent, plus
VICReg's variance/covariance terms or SIGReg on the context latents against collapse. Every part is a
switch (``config.DynamicsPreset`` fields): residual or direct prediction, prior on/off, several k or one,
feature-mask kinds, EMA or online target, the regulariser (``check_switches`` refuses the combinations
that mean nothing).

``evaluate`` judges a model the honest way: linear probes from latents to ``(x, y, vx, vy)`` (R² on
held-out trajectories), effective rank, and for each horizon the latent error next to a
copy-the-last-latent baseline *and* the R² of the predicted latents decoded by the same probe.

Training, the variants' checkpoints and ``python -m jepa_lab.dynamics`` live in ``jepa_lab.tasks.dynamics``.

Introduced in notebook 07.
"""

from __future__ import annotations

import copy
import math
import re

import torch
import torch.nn.functional as F
from sklearn.linear_model import Ridge
from torch import nn

from jepa_lab import config, masks
from jepa_lab.datasets.particles import make_bouncing_balls
from jepa_lab.evaluate import collapse_report
from jepa_lab.jepa import Target, check_target
from jepa_lab.losses import covariance_term, sigreg, variance_term

MAX_HORIZON = 64  # the cap on one prediction's horizon and on rollouts (in steps)

VARIANTS = {
    "residual + prior (the design)": {},
    "direct prediction": {"residual": False, "prior": False},
    "no feature masking": {"feature_masks": ("none",)},
    "fixed k = 1 (rolled out)": {"horizons": (1,)},
    "no prior": {"prior": False},
    "no regulariser (EMA only)": {"var_weight": 0.0, "cov_weight": 0.0},
    "SIGReg, no EMA (LeJEPA-style)": {"target": "online", "stop_grad": False, "var_weight": 0.0,
                                      "cov_weight": 0.0, "sigreg_weight": 0.05},
}


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                         nn.Linear(hidden, d_out))


def horizon_features(k: torch.Tensor, dim: int = 8) -> torch.Tensor:
    """``embed(k)``: sin/cos of ``k`` at ``dim // 2`` frequencies (k up to ``MAX_HORIZON``) -> ``[B, dim]``."""
    freqs = math.pi / MAX_HORIZON * 2.0 ** torch.arange(dim // 2, device=k.device)
    angles = k.float()[:, None] * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def check_switches(*, residual: bool, prior: bool, target: Target, stop_grad: bool) -> None:
    """Refuse the switch combinations that mean nothing, with what to use instead.

    Raises:
        ValueError: the target pair refused by ``jepa.check_target`` (the same switch as the JEPA's), or a
            prior without the residual (the prior is a change added to ``z(t)``; direct prediction has no
            ``z(t)`` to add it to).
    """
    check_target(target, stop_grad)
    if not isinstance(residual, bool) or not isinstance(prior, bool):
        raise ValueError(f"residual and prior must be True or False, got {residual!r} and {prior!r}")
    if prior and not residual:
        raise ValueError("prior=True needs residual=True (the prior k * A z is a change added to z(t)); "
                         "for direct prediction use residual=False, prior=False")


class LatentDynamics(nn.Module):
    """Encoders, predictor and prior of notebook 07 (see the module docstring).

    Args (keyword-only): ``state_dim`` and ``history`` (the encoders see ``history`` states of
    ``state_dim`` values, plus a visibility flag per value), ``latent_dim``, ``hidden``, ``residual``,
    ``prior``, ``target`` (``"ema"`` or ``"online"``), ``stop_grad``, ``var_weight``, ``cov_weight``,
    ``sigreg_weight``.
    Forward: ``(ctx [B, H, S], visible [B, H, S] bool, tgt [B, H, S], k [B])`` -> the loss.
    """

    def __init__(self, *, state_dim: int, history: int, latent_dim: int = 16, hidden: int = 128,
                 residual: bool = True, prior: bool = True, target: Target = "ema", stop_grad: bool = True,
                 var_weight: float = 1.0, cov_weight: float = 0.04, sigreg_weight: float = 0.0) -> None:
        super().__init__()
        check_switches(residual=residual, prior=prior, target=target, stop_grad=stop_grad)
        self.state_dim, self.history, self.latent_dim = state_dim, history, latent_dim
        self.residual, self.use_prior, self.target_kind, self.stop_grad = residual, prior, target, stop_grad
        self.var_weight, self.cov_weight, self.sigreg_weight = var_weight, cov_weight, sigreg_weight
        self.context_encoder = _mlp(2 * history * state_dim, hidden, latent_dim)
        self.target_encoder = copy.deepcopy(self.context_encoder).requires_grad_(False) if target == "ema" else None
        self.predictor = _mlp(latent_dim + 8, hidden, latent_dim)
        self.prior_matrix = nn.Parameter(torch.zeros(latent_dim, latent_dim)) if prior else None

    def _check(self, x: torch.Tensor, what: str) -> None:
        want = (self.history, self.state_dim)
        if x.ndim != 3 or tuple(x.shape[1:]) != want:
            raise ValueError(f"{what} must be windows [B, {want[0]}, {want[1]}] (history x state), "
                             f"got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor, visible: torch.Tensor | None = None, encoder: str = "context") -> torch.Tensor:
        """Latents ``[B, latent_dim]`` of windows ``x [B, H, S]``; hidden values (``visible`` False) are
        zeroed and flagged. ``encoder``: ``"context"`` or ``"target"``."""
        self._check(x, "windows")
        if visible is None:
            visible = torch.ones_like(x, dtype=torch.bool)
        net = self.target_encoder if encoder == "target" and self.target_encoder is not None else self.context_encoder
        inp = torch.cat([(x * visible).flatten(1), visible.flatten(1).to(x.dtype)], dim=1)
        return net(inp)

    def dynamics_prior(self, z: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """``k * A z`` (zero when the prior is switched off)."""
        if self.prior_matrix is None:
            return torch.zeros_like(z)
        return k.to(z.dtype)[:, None] * (z @ self.prior_matrix.T)

    def predict(self, z: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """``z_hat(t + k)`` from ``z(t)``: residual (``z + prior + predictor``) or direct (``predictor``)."""
        if k.ndim != 1 or len(k) != len(z):
            raise ValueError(f"k must be [B] with B = {len(z)}, got {tuple(k.shape)}")
        if k.numel() and (int(k.min()) < 1 or int(k.max()) > MAX_HORIZON):
            raise ValueError(f"horizons must lie in 1..{MAX_HORIZON}, got {int(k.min())}..{int(k.max())}")
        out = self.predictor(torch.cat([z, horizon_features(k)], dim=1))
        if not self.residual:
            return out
        return z + self.dynamics_prior(z, k) + out

    def forward(self, ctx: torch.Tensor, visible: torch.Tensor, tgt: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        self._check(tgt, "target windows")
        z = self.encode(ctx, visible)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.stop_grad):
            z_tgt = self.encode(tgt, encoder="target")
        loss = F.mse_loss(self.predict(z, k), z_tgt)
        if self.var_weight or self.cov_weight:
            loss = loss + self.var_weight * variance_term(z) + self.cov_weight * covariance_term(z)
        if self.sigreg_weight:  # 64 random directions are plenty for a 16-wide latent (and 4x cheaper than 256)
            loss = loss + self.sigreg_weight * sigreg(z, num_directions=64)
        return loss

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """``target <- momentum * target + (1 - momentum) * context`` (nothing for an online target)."""
        if self.target_encoder is None:
            return
        tgt, ctx = list(self.target_encoder.parameters()), list(self.context_encoder.parameters())
        torch._foreach_mul_(tgt, momentum)
        torch._foreach_add_(tgt, ctx, alpha=1.0 - momentum)


def feature_visibility(kinds: tuple[str, ...], batch: int, state_dim: int, history: int, mask_prob: float,
                       g: torch.Generator) -> torch.Tensor:
    """``[B, H, S]`` bool, False where the context hides a value: with probability ``mask_prob`` a
    sample gets one of ``kinds`` (``masks.FEATURE_MASKS``; ``random_k`` hides 2 of x, y, vx, vy),
    applied to every ball and every state of its window."""
    for kind in kinds:
        if kind not in masks.FEATURE_MASKS:
            raise ValueError(f"unknown feature mask {kind!r}; choose from {', '.join(masks.FEATURE_MASKS)}")
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_prob must be in [0, 1], got {mask_prob}")
    if state_dim % 4:
        raise ValueError(f"states must be (x, y, vx, vy) per ball: state_dim a multiple of 4, got {state_dim}")
    which = torch.randint(len(kinds), (batch,), generator=g)
    masked = torch.rand(batch, generator=g) < mask_prob
    hide = torch.zeros(batch, 4, dtype=torch.bool)
    random_k = torch.rand(batch, 4, generator=g).argsort(1)[:, :2]
    for j, kind in enumerate(kinds):
        sel = masked & (which == j)
        if kind == "random_k":
            hide[sel] = torch.zeros(batch, 4, dtype=torch.bool).scatter_(1, random_k, True)[sel]
        elif kind != "none":
            pattern = torch.zeros(4, dtype=torch.bool)
            pattern[masks.sample_feature_mask(kind, 4)] = True
            hide[sel] = pattern
    return ~hide.repeat(1, state_dim // 4)[:, None, :].expand(-1, history, -1)


def data(preset: config.DynamicsPreset) -> tuple[torch.Tensor, torch.Tensor]:
    """Training (seed) and held-out (seed + 1) trajectories ``[N, length, 4]``."""
    return (make_bouncing_balls(preset.n_train, preset.length, dt=preset.dt, seed=preset.seed),
            make_bouncing_balls(preset.n_test, preset.length, dt=preset.dt, seed=preset.seed + 1))


def windows(states: torch.Tensor, t: torch.Tensor, traj: torch.Tensor, history: int) -> torch.Tensor:
    """The ``history`` states ending at time ``t`` of trajectory ``traj`` (each ``[B]``) -> ``[B, H, S]``."""
    offsets = torch.arange(history - 1, -1, -1)
    return states[traj[:, None], t[:, None] - offsets[None]]


def build(preset: config.DynamicsPreset, state_dim: int = 4) -> LatentDynamics:
    """The model of a dynamics preset, seeded (``state_dim``: 4 values per ball)."""
    torch.manual_seed(preset.seed)
    return LatentDynamics(state_dim=state_dim, history=preset.history, latent_dim=preset.latent_dim,
                          hidden=preset.hidden, residual=preset.residual, prior=preset.prior, target=preset.target,
                          stop_grad=preset.stop_grad, var_weight=preset.var_weight, cov_weight=preset.cov_weight,
                          sigreg_weight=preset.sigreg_weight)


def jumps(k: int, horizons: tuple[int, ...]) -> list[int]:
    """Split a horizon into trained ones, largest first (``10`` with ``(1, 2, 4, 8)`` -> ``[8, 2]``)."""
    if not 1 <= k <= MAX_HORIZON:
        raise ValueError(f"rollouts are capped at {MAX_HORIZON} steps, got k={k}")
    out, left = [], k
    for h in sorted(horizons, reverse=True):
        while left >= h:
            out.append(h)
            left -= h
    if left:
        raise ValueError(f"k={k} is not a sum of the trained horizons {horizons}")
    return out


@torch.no_grad()
def predict_ahead(model: LatentDynamics, z: torch.Tensor, k: int, horizons: tuple[int, ...]) -> torch.Tensor:
    """``z_hat(t + k)``: one jump if ``k`` was trained, else a rollout of trained jumps."""
    for h in jumps(k, horizons):
        z = model.predict(z, torch.full((len(z),), h, device=z.device))
    return z


def r2(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """R² per column of ``[N, F]``: ``1 - SS_res / SS_tot`` (1 is perfect, 0 is predicting the mean)."""
    ss_res = (pred - true).pow(2).sum(0)
    ss_tot = (true - true.mean(0)).pow(2).sum(0)
    return 1 - ss_res / ss_tot


def _all_windows(states: torch.Tensor, history: int, last: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every window ending at ``history - 1 ... last - 1`` of every trajectory, with its ``t`` and trajectory."""
    n = len(states)
    t = torch.arange(history - 1, last).repeat(n)
    traj = torch.arange(n).repeat_interleave(last - history + 1)
    return windows(states, t, traj, history), t, traj


@torch.no_grad()
def fit_probe(model: LatentDynamics, preset: config.DynamicsPreset, states: torch.Tensor | None = None):
    """A ridge regression from the target encoder's latents of unmasked windows to the state at the
    window's end, fitted on (the first 512) training trajectories. Returns ``decode: z [N, L] -> [N, S]``."""
    states = data(preset)[0] if states is None else states
    w, t, traj = _all_windows(states[:512], preset.history, preset.length)
    probe = Ridge(alpha=1e-3).fit(model.encode(w, encoder="target").numpy(), states[traj, t].numpy())
    return lambda z: torch.as_tensor(probe.predict(z.numpy()), dtype=torch.float32)


@torch.no_grad()
def rollout(model: LatentDynamics, preset: config.DynamicsPreset, states: torch.Tensor, t0: int, max_k: int,
            decode, hide: str = "none") -> torch.Tensor:
    """Decoded predictions of the states ``t0 + 1 ... t0 + max_k`` of each trajectory in ``states
    [N, L, S]`` from the window ending at ``t0``, seen with the ``hide`` feature mask: ``[N, max_k, S]``.
    Each horizon is one jump when trained, else a chain of trained jumps (``jumps``)."""
    if not preset.history - 1 <= t0 < states.shape[1]:
        raise ValueError(f"t0 must be in {preset.history - 1}..{states.shape[1] - 1}, got {t0}")
    n = len(states)
    w = windows(states, torch.full((n,), t0), torch.arange(n), preset.history)
    visible = feature_visibility((hide,), n, states.shape[-1], preset.history, 1.0, torch.Generator().manual_seed(0))
    z = model.encode(w, visible)
    return torch.stack([decode(predict_ahead(model, z, k, preset.horizons)) for k in range(1, max_k + 1)], dim=1)


@torch.no_grad()
def evaluate(model: LatentDynamics, preset: config.DynamicsPreset, max_k: int = 10,
             test: torch.Tensor | None = None, hide: str = "none") -> dict:
    """Probe and rollout metrics on held-out trajectories (see the module docstring); ``hide`` is the
    feature mask the context windows are seen with (``"velocity"``: a sensor that lost the velocities).

    Returns: ``probe_r2`` (per state feature, target-encoder latents of unmasked windows -> state at t),
    ``effective_rank``, ``width``, ``feature_std``, and per horizon ``k`` in 1..``max_k``: ``latent_error``
    (MSE of predicted vs target latents), ``copy_error`` (the same for ``z(t + k) ~ z(t)``), ``ratio``, and
    ``decoded_r2`` (per feature: the predicted latents decoded by the probe vs the true state at t + k).
    """
    test_states = data(preset)[1] if test is None else test
    model.eval()
    decode = fit_probe(model, preset)
    h = preset.history
    w, t, traj = _all_windows(test_states, h, preset.length - max_k)
    visible = feature_visibility((hide,), len(w), w.shape[-1], h, 1.0, torch.Generator().manual_seed(0))
    z_ctx = model.encode(w, visible)
    z_now = model.encode(w, encoder="target")
    report = collapse_report(z_now)
    out = {"probe_r2": r2(decode(z_now), test_states[traj, t]).tolist(),
           "effective_rank": report["effective_rank"], "width": model.latent_dim,
           "feature_std": report["feature_std"], "horizons": {}}
    for k in range(1, max_k + 1):
        z_true = model.encode(windows(test_states, t + k, traj, h), encoder="target")
        row = {"copy_error": float((z_now - z_true).pow(2).mean())}
        if _reachable(k, preset.horizons):
            z_hat = predict_ahead(model, z_ctx, k, preset.horizons)
            err = float((z_hat - z_true).pow(2).mean())
            row.update(latent_error=err, ratio=err / max(row["copy_error"], 1e-12),
                       decoded_r2=r2(decode(z_hat), test_states[traj, t + k]).tolist())
        out["horizons"][k] = row
    return out


def _reachable(k: int, horizons: tuple[int, ...]) -> bool:
    try:
        jumps(k, horizons)
        return True
    except ValueError:
        return False


def variant_preset(preset: config.DynamicsPreset, variant: str) -> config.DynamicsPreset:
    """``preset`` with ``VARIANTS[variant]`` applied."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return preset.replace(**VARIANTS[variant])


def slug(variant: str) -> str:
    """File-name form of a variant: ``"fixed k = 1 (rolled out)"`` -> ``"fixed_k_1_rolled_out"``."""
    return re.sub(r"[^a-z0-9]+", "_", variant.lower()).strip("_")


if __name__ == "__main__":  # the command the shipped cards name; the runs live with the task
    from jepa_lab.tasks.dynamics import main

    raise SystemExit(main())
