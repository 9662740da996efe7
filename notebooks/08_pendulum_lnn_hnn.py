# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · The pendulum: from frames to latents, then physics with LNNs and HNNs
#
# A pendulum is the smallest system with a conserved quantity worth learning. This notebook reads its
# state from pixels with notebook 05's V-JEPA, then learns its dynamics three ways: a plain MLP vector
# field, a Hamiltonian neural network (HNN) and a Lagrangian neural network (LNN). The question throughout:
# over a long rollout, does the learned model keep the energy the real pendulum keeps?
#
# **What you'll do:** simulate and render a pendulum; train V-JEPA on its clips and probe
# `(cos θ, sin θ, ω)` from the latents; fit MLP, HNN and LNN on states and roll them out for 1,000 steps;
# watch the LNN's tempting shortcut find a trivial solution, then fix it; fit the MLP and HNN on states
# *read from frames*; pick an initial condition and a model in a widget.
#
# **What you'll learn:** why structure (a learned energy function) beats accuracy alone over long
# horizons, how an LNN can satisfy its equations with a meaningless Lagrangian, and how to check.
#
# **What you need:** notebooks 01–05. No GPU. Measured run time, top to bottom: about 3.1 min in `cpu` mode
# with the shipped checkpoints (cell by cell on one thread of a 2-core CPU, beside another job;
# `RETRAIN = True` retrains: V-JEPA about 3 min, the three fields 1.5–8 min each), about 2.3 min in `fast`
# mode (CI).

# %%
import math

import matplotlib.pyplot as plt
import torch

from jepa_lab import checks, config, evaluate, physics, plots, runtime, train, widgets
from jepa_lab.datasets import pendulum

preset = config.for_notebook("08")
generator = runtime.seed_everything(preset.seed)
device = runtime.get_device()
print(runtime.describe(preset.mode, preset.seed, device))
print(preset)

# %% [markdown]
# ## 1. A pendulum, simulated accurately and rendered
#
# Unit length and mass, `θ'' = −g sin θ`, energy `E = ω²/2 + g (1 − cos θ)`. `pendulum.simulate` uses
# RK4 in float64 with ten substeps per frame; the energy it keeps is the yardstick for everything
# below, so it is checked first. Frames are 32 × 32 RGB, a clip per trajectory (the layout V-JEPA takes).

# %%
theta0, omega0 = pendulum.initial_states(8, seed=preset.seed)
exact = pendulum.simulate(theta0, omega0, 2000, preset.dt)
e = pendulum.energy(exact[..., 0], exact[..., 1])
print(f"energies {e[:, 0].min():.2f}..{e[:, 0].max():.2f} (2g = {2 * pendulum.G:.1f} would stand it upright); "
      f"relative drift over 2,000 steps: {((e - e[:, :1]).abs() / e[:, :1]).max():.1e}")
assert ((e - e[:, :1]).abs() / e[:, :1]).max() < 1e-7
demo = pendulum.make_pendulum(2, preset.frames, preset.dt, image_size=preset.image_size, seed=preset.seed)
plots.plot_clip(demo["frames"][0], tubelet=preset.tubelet)
plt.show()

# %% [markdown]
# ## 2. From frames to latents: V-JEPA and a state probe
#
# The same V-JEPA recipe as notebook 05 (`train.vjepa_task`: tubelets, tube masks, EMA target, VICReg
# terms), trained on 8-frame pendulum clips (`fit_or_load` loads the shipped checkpoint; `RETRAIN = True`
# trains). The probe is a ridge regression from mean-pooled features to `(cos θ, sin θ, ω)` at the
# clip's last frame, fitted on held-out clips and tested on others, next to two baselines: the same
# encoder at random init, and the raw pixels of the clip's last two frames.

# %%
RETRAIN = False
model, card = train.fit_or_load(f"pendulum_vjepa_{preset.mode}", preset, retrain=RETRAIN)
model = model.to(device).eval()
print(train.describe_card(card))
probe = train.state_probe_report(model, preset)
for row, r in probe.items():
    print(f"{row:>16}: " + ", ".join(f"R² {k} {v:.3f}" for k, v in r.items()))
ctx = probe["context encoder"]
floors = {"fast": (0.5, 0.3), "cpu": (0.85, 0.8), "full": (0.85, 0.8)}[preset.mode]
assert min(ctx["cos"], ctx["sin"]) >= floors[0] and ctx["omega"] >= floors[1]
if preset.mode != "fast":  # the baselines read it too (see below): the probe cannot credit V-JEPA here
    assert min(probe["pixels, last two frames"].values()) > 0.95 and min(probe["random init"].values()) > 0.9

# %% [markdown]
# The targets are met (shipped `cpu` run: R² 0.98–0.99 for all three), **and so are they by
# both baselines**: the same encoder at random init reads the state as well, and a linear map of two raw
# frames does it perfectly. A clean, rendered pendulum is simply too easy for a probe to tell a trained
# encoder from an untrained one; the latents carry the state, which is what the next sections need, but
# this is not evidence that V-JEPA learned anything about pendulums. (Going further: noisy frames.)
#
# ## 3. Three vector fields on true states, rolled out for 1,000 steps
#
# Each model maps a state `(θ, ω)` to its time derivative and is fitted on (state, derivative) pairs
# from `field_trajectories` simulated trajectories (`physics.fit_field`; shipped for `cpu` mode,
# `python -m jepa_lab.physics --mode cpu`):
# - **MLP**: the derivative straight from a network;
# - **HNN**: a network `H(θ, p)`, and `(∂H/∂p, −∂H/∂θ)`: the learned flow keeps `H` constant;
# - **LNN**: a network `L(θ, ω)`; the acceleration from Euler–Lagrange through the Hessian,
#   `ω' = (∂L/∂θ − ∂²L/∂θ∂ω · ω) / ∂²L/∂ω²` (Cranmer et al.), fitted on accelerations.
#
# Then 32 held-out initial states are rolled out for `rollout_steps` steps of `rollout_dt` (RK4, two
# substeps) and judged by the *true* energy: the largest relative change along each rollout.

# %%
fields = {name: physics.load_or_fit(name, preset, retrain=RETRAIN)[0] for name in physics.MODELS}
starts = physics.test_starts(preset)
rollouts = {name: physics.rollout(m, starts, preset.rollout_steps, preset.rollout_dt, substeps=2)
            for name, m in fields.items()}
drift = {name: physics.relative_drift(r) for name, r in rollouts.items()}
for name, d in drift.items():
    print(f"{name}: energy drift over {preset.rollout_steps} steps: mean {d.mean():.2e}, worst {d.max():.2e}, "
          f"non-finite rollouts {int((~torch.isfinite(d)).sum())}")
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.6))
for name, r in rollouts.items():
    a.plot(r[0, :, 0], r[0, :, 1], lw=0.8, label=name)
    e = pendulum.energy(r[0, :, 0], r[0, :, 1])
    b.plot(torch.arange(len(e)) * preset.rollout_dt, e / e[0], label=name)
a.set(xlabel="θ", ylabel="ω", title="phase portrait, held-out start 0")
b.set(xlabel="time (s)", ylabel="E(t) / E(0)", title="true energy along the rollout")
a.legend(fontsize=8)
plt.show()
assert all(torch.isfinite(d).all() for d in drift.values())  # no NaN rollouts
ratio = {name: (drift["MLP"].mean() / drift[name].mean()).item() for name in ("HNN", "LNN")}
print(f"MLP drift / HNN drift {ratio['HNN']:.1f}x, MLP / LNN {ratio['LNN']:.1f}x")
print("energy MSE (the HNN paper's metric): " + ", ".join(f"{k} {physics.energy_mse(r):.2e}" for k, r in rollouts.items()))
if preset.mode != "fast":  # measured on the shipped fields: both meet the issue's <= 0.2 %...
    assert drift["HNN"].mean() <= 2e-3 and drift["LNN"].mean() <= 2e-3
    assert physics.energy_mse(rollouts["MLP"]) > 10 * physics.energy_mse(rollouts["HNN"])
    assert ratio["LNN"] > 1
assert ratio["HNN"] > 1  # ...and beat the plain network, by less than the 20x in drift (see below)

# %% [markdown]
# What this measured (shipped `cpu` fields, 32 held-out starts, 1,000 steps of 0.1 s):
# - **The HNN keeps energy best**: mean drift 0.12 % (worst 0.27 %), within the 0.2 %; in the HNN
#   paper's metric (energy MSE) 1.0e-5 against the MLP's 2.3e-4, a ratio of 22 (the paper's ideal pendulum:
#   2.49e-2 against 4.15e-2, a ratio of 1.7; units differ, ratios compare).
# - **But only 3x below the MLP in drift** (0.37 %), not the 20x: our MLP is accurate (same width,
#   data and steps; derivative MSE 4.8e-5) and its drift grows slowly over 1,000 steps. The HNN's drift is
#   bounded (it follows a level set of its own `H`; what is left is `H`'s error), the MLP's grows: run the
#   widget below for 1,000 steps and compare the two curves.
# - **The LNN gets there too, slowly**: mean drift 0.074 % (worst 0.13 %), 5x below the MLP, energy MSE
#   5.2e-6 (44x below the MLP's). Fitted through the Hessian, it needed an output scale
#   and the `(∂²L/∂ω² − 1)²` term to train at all (in a one-off trial a width-256 LNN stalled at
#   predicting zero acceleration; width 128 trains), and 10,000 steps (`lnn_steps`): the earlier shipped
#   run with 3,000 (`python -m jepa_lab.physics --mode cpu` at that preset) drifted 0.69 %, worse than the MLP.

# %% [markdown]
# ## 4. The LNN's shortcut: a Lagrangian that means nothing
#
# Fitting an LNN needs accelerations through a Hessian. A cheaper-looking loss needs only trajectories:
# the finite-difference Euler–Lagrange residual `(∂L/∂ω(t+1) − ∂L/∂ω(t−1)) / 2dt − ∂L/∂θ(t)`, which the
# true Lagrangian makes zero. So does **any constant** `L`, and gradient descent settles for one: the
# residual falls almost to zero while `∂²L/∂ω²` (the "mass" the accelerations are divided by) stays near
# zero (a freshly initialised network is already almost flat in ω). Below, the same LNN is trained on the
# residual alone, then with the Hessian's scale pinned (`scale_fix`: `+ (∂²L/∂ω² − 1)²`); always read
# `∂²L/∂ω²` beside the residual. (Section 3's LNN avoids the trap the other way: it is fitted on
# accelerations computed through the Hessian, which a flat `L` cannot produce.)

# %%
traj = pendulum.make_pendulum(64, 20, preset.dt, image_size=None, seed=preset.seed)["states"]


def train_residual(scale_fix, steps=300):
    torch.manual_seed(preset.seed)
    lnn = physics.LNN(hidden=64)
    opt = torch.optim.Adam(lnn.parameters(), lr=3e-3)
    log = []
    for _ in range(steps):
        loss, res2, d2 = lnn.residual_loss(traj, preset.dt, scale_fix=scale_fix)
        opt.zero_grad()
        loss.backward()
        opt.step()
        log.append((res2.item(), d2.item()))
    return lnn, log


shortcut, log_a = train_residual(0.0)
fixed, log_b = train_residual(1.0)
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
for name, log in (("residual only", log_a), ("residual + scale fix", log_b)):
    a.semilogy([r for r, _ in log], label=name)
    b.plot([d for _, d in log], label=name)
a.set(xlabel="step", ylabel="mean residual²")
b.set(xlabel="step", ylabel="mean ∂²L/∂ω²")
b.legend(fontsize=8)
plt.show()
for name, log in (("residual only", log_a), ("residual + scale fix", log_b)):
    print(f"{name:>21}: residual² {log[0][0]:.2e} -> {log[-1][0]:.2e}, ∂²L/∂ω² {log[0][1]:.3f} -> {log[-1][1]:.3f}")
assert log_a[-1][0] < 0.1 * log_a[0][0]  # the residual "converges"...
assert abs(log_a[-1][1]) < 0.1 * abs(log_b[-1][1])  # ...to a Lagrangian with (almost) no dependence on ω
assert abs(log_b[-1][1] - 1) < 0.5  # pinned near 1, the residual has to be earned

# %% [markdown]
# ## 5. Physics from frames
#
# Now without the simulator's states: 16 held-out trajectories are rendered, every 8-frame window goes
# through the V-JEPA encoder and section 2's probe (`physics.probed_trajectories`), and the states read
# that way give derivatives by central differences (`physics.finite_difference`). The MLP and the HNN are
# fitted on those noisy pairs (here, with a smaller budget than section 3's: width 128, 1,000 steps) and
# rolled out from probed initial states; the judge is the true energy.

# %%
fit_x, fit_y = train.video_probe_data(preset)[:2]
decode = evaluate.fit_ridge(evaluate.extract_features(model.context_encoder, fit_x), fit_y["state"])
held = pendulum.make_pendulum(16, 100 + preset.frames - 1, preset.dt, image_size=preset.image_size,
                              seed=preset.seed + 3)
read = physics.probed_trajectories(model.context_encoder, decode, held["frames"], preset.frames)
true = held["states"][:, preset.frames - 1:]
err = torch.remainder(read[..., 0] - true[..., 0] + math.pi, 2 * math.pi) - math.pi
print(f"states read from frames: angle error {err.abs().mean():.3f} rad, ω error "
      f"{(read[..., 1] - true[..., 1]).abs().mean():.3f} rad/s (ω spans {true[..., 1].std():.2f} std)")
x, dx = physics.finite_difference(read, preset.dt)
small = preset.replace(field_hidden=min(preset.field_hidden, 128), field_steps=min(preset.field_steps, 1000))
from_frames = {name: physics.fit_named(name, small, x, dx)[0] for name in ("MLP", "HNN")}  # fitted here
probed = {name: physics.rollout(m, read[:, 0], preset.rollout_steps, preset.rollout_dt, substeps=2)
          for name, m in from_frames.items()}
frame_drift = {name: physics.relative_drift(r) for name, r in probed.items()}
for name, d in frame_drift.items():
    print(f"{name} fitted on probed states: energy drift mean {d.mean():.2e}, worst {d.max():.2e}")
frame_ratio = (frame_drift["MLP"].mean() / frame_drift["HNN"].mean()).item()
print(f"MLP drift / HNN drift on probed states: {frame_ratio:.1f}x")
assert all(torch.isfinite(d).all() for d in frame_drift.values())
assert frame_ratio > 1.5  # the learned energy function still helps on noisy, probed states

# %% [markdown]
# Measured (shipped V-JEPA, `cpu` mode): the states read from frames are close (angle error 0.04 rad, ω
# error 0.28 rad/s against a spread of 2.45), but finite differences amplify the noise, and both models
# are fitted on noisy derivatives. Over 1,000 steps the MLP's energy drifts by 95 % on average, the HNN's
# by 14 %: **6.7x less, short of the 10x**. The HNN's structure still bounds its error (it stays
# on a level set of its own `H`), but that `H` was learned from noisy data. Two things we tried in
# one-off scripts (not part of the repo, so their figures are not quoted here): smoothing the read states
# before differencing changed little; reading the states with a probe on *all* token features
# (`evaluate.extract_features(..., pool=False)`) made them far more accurate and both fields drift far
# less, but the gap between them nearly closed. Try both in this cell: more trajectories and a longer fit
# are the next things to test.
#
# ## 6. Pick a start, pick a model
#
# Set the initial angle and angular velocity, choose a vector field (the three fitted on true states,
# and the two fitted on states read from frames) and a rollout length: left, its phase portrait over the
# exact pendulum's; right, the true energy along both.

# %%
explorer = widgets.pendulum_explorer({**fields, **{f"{k} (from frames)": m for k, m in from_frames.items()}},
                                     dt=preset.rollout_dt, max_steps=1000)
explorer

# %% [markdown]
# **What to try**
# - Start near the top (`θ0` = 3.0, `ω0` = 0): the slowest, most nonlinear swing. Which model's energy
#   wanders first?
# - Give it enough speed to go over the top (`ω0` = 5 at `θ0` = 1.5): the training data never did that
#   (energies up to 12, the top needs 19.6). What does each model do outside its data?
# - Compare `MLP` and `HNN` over 1,000 steps: the MLP's energy creeps, the HNN's wobbles in a band.

# %%
explorer.update(model="HNN", theta0=2.5)
assert explorer.figure is not None and explorer.params["theta0"] == 2.5
explorer.update(model="MLP", theta0=10.0, steps=10**6)  # clamped, not an error
assert explorer.params["theta0"] == 3.0 and explorer.params["steps"] == 1000

# %% [markdown]
# ## Summary
#
# - A pendulum's state is easy to read from pixels: a linear probe on V-JEPA's pooled latents recovers
#   `cos θ`, `sin θ` and `ω` almost perfectly, but so do a random encoder and two raw frames; on this
#   data the probe shows that the latents *carry* the state, not that V-JEPA was needed to get it.
# - Structure pays over long horizons: the HNN, whose learned energy its flow conserves, kept the true
#   energy within 0.12 % over 1,000 steps (energy MSE 22x below the MLP's), though its drift was only 3x
#   below an accurate MLP's, and 6.7x on states read from frames. The LNN (0.074 %, 5x below the MLP)
#   got there only after a long fit: structure helps once the model fits.
# - An LNN trained on the Euler–Lagrange residual alone can "converge" to a constant Lagrangian; report
#   `∂²L/∂ω²` beside the residual, and pin its scale or train through the Hessian.
#
# ## Exercises
#
# 1. Write the pendulum's energy per unit mass, `E = ω²/2 + g (1 − cos θ)` with `g = 9.81`.
# 2. Write one RK4 step of `dx/dt = field(x)` with step `h`.

# %%
def my_energy(theta, omega):
    # YOUR CODE: kinetic + potential, zero when hanging still
    raise NotImplementedError


checks.check_pendulum_energy(my_energy)


# %%
def my_rk4_step(field, x, h):
    # YOUR CODE: k1 at x, k2 and k3 at half steps, k4 at a full step; weights 1, 2, 2, 1 over 6
    raise NotImplementedError


checks.check_rk4_step(my_rk4_step)

# %% [markdown]
# ## Going further
#
# - Damping (`make_pendulum(..., damping=0.3)`): energy is no longer conserved, and an HNN cannot
#   represent that. What does it do with damped data? (Dissipative HNNs add a second, dissipative term.)
# - Noisy frames (`make_pendulum(..., noise=0.1)`): do V-JEPA's latents read the state better than raw
#   pixels once the frames are noisy?
# - A symplectic integrator (leapfrog) for the exact pendulum, next to RK4: which keeps energy better over
#   100,000 steps?
#
# ## References
#
# - Greydanus, Dzamba, Yosinski, *Hamiltonian Neural Networks*, NeurIPS 2019, arXiv:1906.01563.
# - Cranmer et al., *Lagrangian Neural Networks*, ICLR 2020 workshop, arXiv:2003.04630.
# - Bardes et al., *V-JEPA*, 2024, arXiv:2404.08471.
#
# **Next:** that is the course. The README lists what to run next on a GPU.
