# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
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
# `(cos θ, sin θ, ω)` from the latents, first on clean renders, then on clips as a cheap camera takes
# them, against a random encoder and the raw pixels; fit MLP, HNN and LNN on states and roll them out
# for 1,000 steps; watch the LNN's tempting shortcut find a trivial solution, then fix it; read states from frames with a
# probe fitted on labelled clips, next to two baseline readers, and fit all three again on the read states;
# pick an initial condition and a model in a widget; finally learn a two-number code of V-JEPA's features,
# and an HNN in it, without any state label.
#
# **What you'll learn:** when a learned encoder earns its place over pixels, why structure (a learned
# energy function) beats accuracy alone over long horizons, how an LNN can satisfy its equations with a
# meaningless Lagrangian, and how to check; and that a JEPA latent can hold a system's state well enough
# to learn its physics there, without a single state label.
#
# **What you need:** notebooks 01–05. No GPU. Run time, top to bottom: about 2.3 min in `cpu` mode with
# the shipped checkpoints (137 s cell by cell on one thread of a 2-core CPU, beside another job; section
# 2's camera clips take 22 s, section 5's three readers 35 s, section 6 24 s; `RETRAIN = True`
# retrains: V-JEPA about 2 min, each of the three camera V-JEPAs 20–24 min (the shipped runs, three at once on two cores), the six fields 2.5–6.5 min
# each, the two latent fields 3–7 min each), about 80 s in `fast` mode (a few real steps of everything, as the tests run it; 78–80 s under nbval and cell by
# cell on one thread of an idle machine; section 6 trains both latent fields here, 15 s).

# %%
import matplotlib.pyplot as plt
import torch

from jepa_lab import artifacts, checks, config, latent_physics, physics, plots, runtime, tasks, widgets
from jepa_lab.datasets import pendulum

preset = config.for_notebook("08")
expect = config.expectations("08", preset.mode)  # the floors and margins this notebook's asserts use
generator = runtime.seed_everything(preset.seed)
device = runtime.get_device()
print(runtime.describe(preset.mode, preset.seed, device))
print(preset)
print(expect)

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
# **Predict, then run.** What is the energy of the pendulum hanging still (θ = 0, ω = 0)? And balanced
# upright at rest (θ = π)?

# %%
e_rest, e_top = pendulum.energy(torch.tensor([0.0, torch.pi]), torch.zeros(2)).tolist()
print(f"hanging still {e_rest:.2f}, upright {e_top:.2f} (2g): a start needs more than {e_top:.1f} to go over the top")
assert e_rest == 0 and abs(e_top - 2 * pendulum.G) < 1e-4

# %% [markdown]
# ## 2. From frames to latents: V-JEPA and a state probe
#
# The same V-JEPA recipe as notebook 05 (`tasks.pendulum.build`: tubelets, tube masks, EMA target, VICReg
# terms), trained on 8-frame pendulum clips (`fit_or_load` loads the shipped checkpoint; `RETRAIN = True`
# trains). The probe is a ridge regression from mean-pooled features to `(cos θ, sin θ, ω)` at the
# clip's last frame, fitted on 1,500 clips V-JEPA never trained on, each labelled with the simulator's true state at its last
# frame, and tested on 1,000 others, next to two baselines: the same
# encoder at random init, and the raw pixels of the clip's last two frames.

# %%
RETRAIN = False
model, card = tasks.fit_or_load("pendulum", preset, retrain=RETRAIN)
model = model.to(device).eval()
print(artifacts.describe_card(card))
probe = tasks.pendulum.state_probe_report(model, preset)
for row, r in probe.items():
    print(f"{row:>16}: " + ", ".join(f"R² {k} {v:.3f}" for k, v in r.items()))
ctx = probe["context encoder"]
assert min(ctx["cos"], ctx["sin"]) >= expect.probe_angle and ctx["omega"] >= expect.probe_omega
# the baselines read it too (see below): the probe cannot credit V-JEPA here
assert min(probe["pixels, last two frames"].values()) > expect.pixels_r2
assert min(probe["random init"].values()) > expect.random_r2

# %% [markdown]
# V-JEPA's pooled latents carry the state (shipped `cpu` run: R² 0.98–0.99 for all three), **and so do
# both baselines**: the same encoder at random init reads the state as well, and a linear map of two raw
# frames does it perfectly. A clean, rendered pendulum is simply too easy for a probe to tell a trained
# encoder from an untrained one; the latents carry the state, which is what the next sections need, but
# this is not evidence that V-JEPA learned anything about pendulums. So make the frames harder.
#
# ### Frames a camera might take
#
# Real footage is not a clean render. Here every clip shows a pendulum of its own colour on a background
# of its own colour and brightness, three *flashes* in every frame (discs of random colour at random
# places, each lasting one frame: think of rain or insects crossing the lens) and sensor noise
# (`make_pendulum(..., background="camera")`). The pendulum swings exactly as before; only the pictures change.
#
# The same V-JEPA recipe is trained on such clips, once for each of the training seeds 0, 1 and 2 (three
# shipped checkpoints of 6,000 steps; `RETRAIN = True` trains them; the shipped runs took 20–24 min each on one
# thread, three at once on two cores). Every
# reader then goes through one protocol (`probes.regression_protocol`): 2,500 clips that no run trained
# on, each labelled with the simulator's state at its last frame, three random fit/test draws (1,500 / 1,000 clips), a ridge regression whose penalty is chosen by
# cross-validation on the fit set and a 20-neighbour average beside it, scored by the R² of
# `(cos θ, sin θ, ω)` at the clip's last frame. The readers:
# - each **V-JEPA, in time order** (its tokens averaged over space, its four time steps kept in order)
#   and **pooled** (averaged over time too);
# - the **same encoder at random init**, in time order;
# - the **raw pixels of every frame** (RGB, averaged down to 16 × 16: everything V-JEPA sees), and of the
#   last two frames at full size (the baseline above).
#
# **Predict, then run.** Which reader will recover `ω` best from these clips? Will any of them manage it
# from only 100 labelled clips?

# %%
camera_preset = tasks.pendulum.camera_run(preset, preset.seed)[0]
plots.plot_clip(tasks.pendulum.clips(camera_preset, 1, tasks.pendulum.POOL_SEED)[0][0], tubelet=preset.tubelet)
plt.show()
camera = {}
for seed in preset.camera_seeds:
    run = tasks.fit_or_load("pendulum", *tasks.pendulum.camera_run(preset, seed), retrain=RETRAIN)[0]
    camera[f"V-JEPA seed {seed}"] = run.to(device).eval()
camera_probe = tasks.pendulum.state_protocol(camera, camera_preset)
for n_fit, rows in camera_probe.items():
    print(f"fitted on {n_fit or 'every'} labelled clip{'s' if n_fit else ''} of each fit set; R² of cos θ, sin θ, ω "
          "(mean ± spread over 3 draws):")
    for name, r in rows.items():
        print(f"  {name:>30}: ridge {r['ridge'][0]:.3f} {r['ridge'][1]:.3f} {r['ridge'][2]:.3f} "
              f"± {r['ridge_std'][2]:.3f} · kNN {r['knn'][0]:.3f} {r['knn'][1]:.3f} {r['knn'][2]:.3f}")
omega = {name: {"ridge": r["ridge"][2], "kNN": r["knn"][2]} for name, r in camera_probe[None].items()}
plots.plot_probe_groups(omega, ("ridge", "kNN"), ylabel="R² of ω (held out)")
plt.show()

# %%
baselines = ("random init, in time order", "pixels 16x16, every frame", "pixels, last two frames")
best = max(omega[b]["ridge"] for b in baselines)
learned = [omega[f"V-JEPA seed {s}, in time order"]["ridge"] for s in preset.camera_seeds]
print(f"ω, ridge: V-JEPA in time order {', '.join(f'{v:.3f}' for v in learned)} (seeds "
      f"{', '.join(map(str, preset.camera_seeds))}); best baseline {best:.3f}")
assert min(learned) >= best + expect.camera_margin  # on every seed, V-JEPA reads ω where no baseline's linear probe can

# %% [markdown]
# What the camera clips show (the shipped `cpu` runs; the printout above is live, and the same):
# - **On the linear probe, only the trained encoders read the pendulum.** With every labelled clip, V-JEPA in time order reads
#   `ω` at R² 0.196, 0.163 and 0.138 (seeds 0, 1, 2; mean 0.17) and the angle at 0.26–0.41, while
#   every baseline's ridge R² of `ω` is at or below zero: the random encoder −0.01, the pixels of every frame
#   −0.07. A ridge regression on pixels would have to find the pendulum by its colour, and here every clip
#   has another colour, and flashes of every colour come and go. V-JEPA learned to find it, in part. Our
#   reading: predicting the hidden part of a clip rewards following what moves smoothly from frame to
#   frame, and the flashes never do.
# - **Keep time in the reader.** Pooled over time, the same V-JEPA features read `ω` at only 0.07–0.10.
# - **The neighbour average tells a different story, and you should know it.** Averaging the `ω` of the
#   20 clips whose pixels look most alike reads 0.13, more than any V-JEPA's neighbours (at most 0.03): among
#   1,500 clips, likely, a few share colours closely enough for a nearest-neighbour match. V-JEPA's
#   features hold the state along a few directions that a linear probe finds, but distances between whole
#   feature vectors are likely dominated by other things (colours, flashes), as in notebook 04.
# - **Read with care.** R² 0.17 is far from the 0.98 of clean renders: the state is only partly there, and
#   from 100 labelled clips nobody reads anything (every R² at or below 0.05). Longer training helped
#   (seed 0: 0.12 after 1,500 steps, 0.17 after 3,000, 0.20 after 6,000), so a longer run may well read
#   more.
#
# ## 3. Three vector fields on true states, rolled out for 1,000 steps
#
# Each model maps a state `(θ, ω)` to its time derivative and is fitted on (state, derivative) pairs
# from `field_trajectories` simulated trajectories, each with the same budget, `field_steps` Adam steps
# (`physics.fit_field`; shipped for `cpu` mode, `python -m jepa_lab.physics --mode cpu`):
# - **MLP**: the derivative straight from a network;
# - **HNN**: a network `H(θ, p)`, and `(∂H/∂p, −∂H/∂θ)`: the learned flow keeps `H` constant;
# - **LNN**: a network `L(θ, ω)`; the acceleration from Euler–Lagrange through the Hessian,
#   `ω' = (∂L/∂θ − ∂²L/∂θ∂ω · ω) / ∂²L/∂ω²` (Cranmer et al.), fitted on accelerations.
#
# Then 32 held-out initial states are rolled out for `rollout_steps` steps of `rollout_dt` (RK4 with
# `rollout_substeps` steps per `rollout_dt`) and judged by the *true* energy: the largest relative change
# along each rollout. The exact pendulum (`physics.Exact`) goes through the same integrator first: its
# drift is the integrator's own, the floor under every model's; the cell also prints what it would be
# with two RK4 steps per `rollout_dt`, to show why this notebook uses four.

# %%
fields = {name: tasks.fit_or_load("field", preset, name, retrain=RETRAIN)[0] for name in physics.MODELS}
starts = tasks.physics_fields.held_out_starts(preset)
rollouts = {name: physics.rollout(m, starts, preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps)
            for name, m in {"exact": physics.Exact(), **fields}.items()}
drift = {name: physics.relative_drift(r) for name, r in rollouts.items()}
coarse = physics.relative_drift(physics.rollout(physics.Exact(), starts, preset.rollout_steps, preset.rollout_dt, 2))
print(f"the integrator's floor: {drift['exact'].mean():.1e} with {preset.rollout_substeps} substeps, "
      f"{coarse.mean():.1e} with 2")
for name, d in drift.items():
    print(f"{name:>5}: energy drift over {preset.rollout_steps} steps: mean {d.mean():.2e}, worst {d.max():.2e}, "
          f"energy MSE {physics.energy_mse(rollouts[name]):.2e}, non-finite rollouts {int((~torch.isfinite(d)).sum())}")
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.6))
first = {name: r[0] for name, r in rollouts.items()}  # held-out start 0: [steps + 1, 2] each
plots.plot_phase_portrait(first, ax=a, title="phase portrait, held-out start 0")
plots.plot_energy(first, preset.rollout_dt, ax=b)
plt.show()
assert all(torch.isfinite(d).all() for d in drift.values())  # no NaN rollouts
assert drift["exact"].mean() < 0.1 * min(drift[name].mean() for name in physics.MODELS)  # the floor is far below
ratio = {name: (drift["MLP"].mean() / drift[name].mean()).item() for name in ("HNN", "LNN")}
print(f"MLP drift / HNN drift {ratio['HNN']:.1f}x, MLP / LNN {ratio['LNN']:.1f}x")
assert max(drift["HNN"].mean(), drift["LNN"].mean()) <= expect.max_drift  # energy kept (shipped: within 0.2 %)
assert min(ratio.values()) >= expect.drift_ratio  # far below the MLP's drift (shipped: at least 20x)
assert min(ratio.values()) > 1  # even after a few hundred fitting steps, structure drifts less

# %% [markdown]
# What this measured (shipped `cpu` fields, seed 0: 512 trajectories, width 256 (LNN 128), 10,000 steps
# each; 32 held-out starts, 1,000 steps of 0.1 s, RK4 with 4 substeps):
# - **The floor**: the exact pendulum through the same integrator drifts 8.7e-6 (0.0009 %).
# - **HNN 0.021 %** (worst start 0.054 %) and **LNN 0.061 %** (worst 0.14 %): both within the 0.2 %
#   the asserts allow. **MLP 2.8 %** (worst 9.5 %): the HNN drifts 133x less, the LNN 45x less (the asserts
#   ask for 20x). In the
#   HNN paper's metric (energy MSE): MLP 9.7e-3, HNN 3.3e-7, LNN 3.9e-6 (the paper's ideal pendulum:
#   4.15e-2 against 2.49e-2, a ratio of 1.7; units differ, ratios compare).
# - **The MLP fits well and still drifts**: its final loss is 8.3e-6 (mean squared derivative error).
#   Its errors are small but owe nothing to energy, and over 1,000 steps they add up; the HNN's and LNN's
#   errors only move them to a nearby level set of their own conserved quantity.
# - **How much the MLP drifts is luck; that it drifts is not.** With another seed (data, initialisation
#   and test starts; `python -m jepa_lab.physics --mode cpu --seed 1 --model MLP --model HNN`) the MLP
#   drifted 0.50 % and the HNN 0.034 %: 15x, below the 20x asserted for seed 0; with `--seed 2`, 0.50 % and
#   0.025 %: 19.6x, just short of it. The HNN stayed within 0.2 % every time; the ratio is decided by how
#   much the baseline happens to drift, and seed 0's MLP drifted more than the others.
# - **Budget and integrator are part of the comparison** (both measured with the commands above): the
#   three fields get the same budget, 10,000 steps (at 3,000 the LNN drifted 0.69 %), and rollouts use 4
#   RK4 substeps, because with 2 the exact pendulum itself drifts 2.7e-4 (printed above), more than this
#   HNN: the integrator's error would be blamed on the model.

# %% [markdown]
# **Predict, then run.** Through RK4 the exact pendulum barely drifts (the floor printed above). Through
# the simplest integrator, Euler (`x ← x + h·f(x)`), with the same step, over the first 100 steps: ten
# times more drift? A thousand times?

# %%
h = preset.rollout_dt / preset.rollout_substeps
x, path = starts.clone(), [starts]
for _ in range(100):
    for _ in range(preset.rollout_substeps):
        x = x + h * physics.Exact()(x)
    path.append(x)
euler_drift = physics.relative_drift(torch.stack(path, 1)).mean().item()
rk4_drift = physics.relative_drift(rollouts["exact"][:, :101]).mean().item()
print(f"energy drift over 100 steps: Euler {euler_drift:.1e}, RK4 {rk4_drift:.1e}")
assert euler_drift > 1000 * rk4_drift  # the integrator alone can swamp a model's drift: measure it first

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
# **Predict, then run.** An LNN whose weights are all zero: its Lagrangian is the same number everywhere
# and means nothing. What is its Euler–Lagrange residual on the true trajectories?

# %%
flat = physics.LNN(hidden=16)
for p in flat.parameters():
    torch.nn.init.zeros_(p)
_, res2_flat, d2_flat = flat.residual_loss(traj, preset.dt)
print(f"constant Lagrangian: residual² {res2_flat.item():.1e}, ∂²L/∂ω² {d2_flat.item():.1e}")
assert res2_flat == 0 and d2_flat == 0  # a perfect score for a meaningless model: read ∂²L/∂ω² beside it

# %% [markdown]
# ## 5. Physics from frames
#
# Section 3's fields learned from the simulator's states. Here they learn from states *read from frames*,
# and the reading is itself learned from labels, so be precise about where labels enter:
# - **With labels, once:** a ridge probe from **all the encoder's token features** to `(cos θ, sin θ, ω)`
#   at a clip's last frame is fitted on section 2's fitting clips: `probe_train` labelled 8-frame clips
#   (1,500 in `cpu` mode, 400 in `fast`), each a short trajectory of its own, drawn with seed `seed + 2`
#   (2, for this notebook's seed 0), labelled with the simulator's state
#   (`tasks.physics_fields.read_states`; section 2's probe pooled the tokens, which throws away where the
#   bob is).
# - **Without labels, from there on:** `frame_trajectories` other trajectories (64 of 200 states in `cpu`
#   mode, 16 of 60 in `fast`; seed `seed + 3`, i.e. 3) are rendered, every 8-frame window is read by the
#   frozen encoder and the fitted probe, central differences of the read states give derivatives
#   (`physics.finite_difference`), and the three fields are fitted on those noisy pairs with section 3's
#   budget (shipped for `cpu` mode: `python -m jepa_lab.physics --mode cpu --states probed`), then rolled
#   out from read initial states. These trajectories' true states serve only as the judge: the reading
#   errors below, and the true energy of the rollouts.
#
# Any features of the window would do for the probe, so first compare three readers, measured the same
# way (same windows, same ridge probe on all their features, same labelled clips, same held-out
# trajectories: `read_states(preset, model, reader=...)`): the trained V-JEPA encoder; **the same encoder
# at its random init** (built with the preset's seed, exactly as training started it); and **the raw
# pixels** of the window's 8 frames, averaged over 2 × 2 blocks to 16 × 16, which leaves 6,144 numbers,
# as many as the encoder's 64 tokens × 96 features, and the ridge stays fast.
#
# **Predict, then run.** Which of the three reads the pendulum best, and by how much?

# %%
readings = {reader: tasks.physics_fields.read_states(preset, model, reader=reader)
            for reader in tasks.physics_fields.READERS}
reading = {reader: tasks.physics_fields.reading_errors(*r) for reader, r in readings.items()}
read, true = readings["V-JEPA"]  # the states the fields below are fitted on
print(f"{len(read)} held-out trajectories of {read.shape[1]} states (ω spans {true[..., 1].std():.2f} rad/s std)")
print(f"{'reader':>12} | angle error (rad) | ω error (rad/s)")
for reader, e in reading.items():
    print(f"{reader:>12} | {e['angle']:17.4f} | {e['omega']:15.4f}")
# the baselines read the state too: every reader stays under the same ceiling, so this cannot credit V-JEPA
assert max(e["angle"] for e in reading.values()) <= expect.read_angle
assert max(e["omega"] for e in reading.values()) <= expect.read_omega

# %% [markdown]
# Measured (shipped `cpu` model, seed 0; 1,500 labelled clips, 64 held-out trajectories of 200 states):
#
# | reader | angle error (rad) | ω error (rad/s) |
# |---|---|---|
# | V-JEPA (trained) | 0.0006 | 0.0026 |
# | same encoder, random init | 0.0003 | 0.0018 |
# | pixels, 16 × 16 | 0.0002 | 0.0019 |
#
# **The readers tie.** All three read the angle to a few ten-thousandths of a radian and ω to a few
# thousandths of a rad/s, and the trained V-JEPA is, if anything, the least precise of the three. A linear
# probe with 1,500 labelled clips and 6,144 features of a clean, rendered pendulum needs nothing that
# training taught: an untrained network's features, or the pixels themselves, already carry where the bob
# is and how it moves across 8 frames. So what follows shows that structure pays on states read from
# frames, not that V-JEPA was needed to read them. What separates the readers is a harder rendering, as
# section 2's camera clips showed (the end of this section fits the fields on them).
#
# Now the fields, fitted on the V-JEPA-read states.

# %%
probed_pairs = physics.finite_difference(read, preset.dt)  # (state, derivative) pairs by central differences
from_frames = {name: tasks.fit_or_load("field_probed", preset, name, retrain=RETRAIN, data=probed_pairs)[0]
               for name in physics.MODELS}
probed = {name: physics.rollout(m, read[:, 0], preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps)
          for name, m in from_frames.items()}
frame_drift = {name: physics.relative_drift(r) for name, r in probed.items()}
for name, d in frame_drift.items():
    print(f"{name} fitted on read states: energy drift mean {d.mean():.2e}, worst {d.max():.2e}, "
          f"energy MSE {physics.energy_mse(probed[name]):.2e}")
frame_ratio = {name: (frame_drift["MLP"].mean() / frame_drift[name].mean()).item() for name in ("HNN", "LNN")}
print(f"on read states: MLP drift / HNN drift {frame_ratio['HNN']:.1f}x, MLP / LNN {frame_ratio['LNN']:.1f}x")
assert all(torch.isfinite(d).all() for d in frame_drift.values())
# shipped fields: the HNN 17x below the MLP, the LNN 10x (asserted: 10x and 5x); after a fast run's 400 steps at width 64 the LNN is
# ahead (measured 2.1x) and the HNN has barely begun to fit (1.1x)
assert frame_ratio["HNN"] >= expect.frame_ratio_hnn and frame_ratio["LNN"] > expect.frame_ratio_lnn

# %% [markdown]
# Measured (shipped V-JEPA and fields, `cpu` mode, seed 0): the all-token probe reads the angle to
# 0.0006 rad and ω to 0.0026 rad/s. Fitted on finite differences of the read states, the MLP's
# energy drifts 5.2 % over 1,000 steps, the **HNN's 0.31 % (17x less; the asserts ask for 10x)** and the LNN's
# 0.50 % (10x less). All three drift more than on true states: fewer pairs (12,700 against 51,200) and
# noisier ones, since differencing turns reading noise into derivative noise (0.003 rad/s over
# 2 × 0.05 s). With `--seed 1` (V-JEPA retrained with it as well: `python -m jepa_lab.physics --mode cpu
# --states probed --seed 1 --model MLP --model HNN`), the MLP drifted
# 17.6 %, the HNN 0.58 %: 30x.
#
# ### And from camera frames?
#
# On clean renders the readers tied. On section 2's camera clips they do not, so the question this section
# set out to ask gets its real test there: do fields fitted on what V-JEPA reads beat fields fitted on
# what the random encoder reads? The same held-out trajectories are rendered as a camera sees them
# (`background="camera"`), each reader gets the same 1,500 labelled camera clips and the same ridge
# probe, and all three fields are fitted on each reading with section 3's budget. Each reading and fit
# takes several minutes on one thread, so here are the measured numbers rather than a live run
# (`python -m jepa_lab.physics --mode cpu --states probed --background camera --out-dir runs/camera_fields`,
# with `--reader 'random init'` or `--reader pixels`, and `--seed 1` / `--seed 2` for the other camera
# runs; the LNN and the pixels were run for seed 0 only):
#
# | reader (seed) | angle / ω error | acceleration error, MLP · HNN · LNN | energy drift from the read start, MLP · HNN · LNN | HNN's drift from the true start |
# |---|---|---|---|---|
# | V-JEPA (0) | 0.45 rad / 1.76 rad/s | 3.1 · 3.2 · 3.3 | 84 % · 463 % · 81 % | 1,230 % |
# | V-JEPA (1) | 0.46 / 1.85 | 3.5 · 3.7 · – | 99 % · 97 % · – | 104 % |
# | V-JEPA (2) | 0.42 / 1.73 | 3.3 · 3.3 · – | blew up · 101 % · – | 78 % |
# | random init (0) | 0.75 / 2.10 | 5.3 · 5.0 · 5.3 | 3,720 % · 506 % · 889 % | 272 % |
# | random init (1) | 0.78 / 2.17 | 3.9 · 5.4 · – | 2,910 % · 600 % · – | 103 % |
# | random init (2) | 0.74 / 2.14 | 7.7 · 5.6 · – | blew up · 311 % · – | 269 % |
# | pixels (0) | 0.76 / 2.10 | 5.7 · 5.8 · 5.4 | 2,210 % · 1,110 % · 1,630 % | 183 % |
# | always "hanging still" (0) | 0.76 rad / 2.11 rad/s | | | |
#
# The last row is a reader that always answers θ = 0, ω = 0: the floor any reading must beat. The
# acceleration error is how far a field's `dω/dt` is from the true pendulum's, averaged over the held-out
# true states (rad/s²); the true acceleration averages 6.18, 6.35 and 6.36 rad/s² there (seeds 0, 1, 2), so a field
# that does nothing scores about that. For scale: ω varies with a spread of 2.42 rad/s on seed 0's
# trajectories, and the fields fitted on clean reads drift 0.3 % (HNN) to 5 % (MLP).
#
# What the numbers say:
# - **The baselines read nothing.** Their errors are about those of always guessing the resting state. V-JEPA
#   reads the angle (0.42–0.46 rad against the guess's 0.76 on seed 0), but ω only a little better than the
#   guess (1.7–1.9 rad/s against 2.11).
# - **V-JEPA's fields are closer to the pendulum.** Every field fitted on its reading gets 40–50 % of the
#   acceleration right (error 3.1–3.7). The baselines' fields do worse (3.9–7.7), and only one of them,
#   seed 1's MLP on random-init readings, comes near.
# - **No field keeps the energy.** Every drift in the table is 78 % or more. Differencing read states
#   0.1 s apart turns reading errors into derivative errors: on V-JEPA's readings the MLP's and HNN's
#   fitting loss (the mean squared error against the derivatives they are fitted to) ends at 120–150, a
#   root-mean-square error of 11–12 rad/s², about twice the average true acceleration. The baselines'
#   readings hardly move (their fitting loss ends at 0.1–16): they stay near the resting state, so their
#   fields learn little. Structure cannot repair data like this: the HNN's 17x lead over the MLP on clean
#   reads is gone.
# - **Rolled out from the read starts, V-JEPA's HNN drifts less than the random encoder's on every seed**
#   (463 / 97 / 101 % against 506 / 600 / 311 %), but that comparison starts each field from its own
#   reader's start. From the same true starts the comparison is mixed: seed 0's V-JEPA HNN drifts far more
#   (1,230 % against 272 %), seed 1 ties (104 % against 103 %) and seed 2's drifts less (78 % against 269 %).
#   So we cannot say that V-JEPA's reading gives a field that keeps the energy better.
#
# The lesson holds in one direction only: physics from frames needs a reading good enough first, and on
# these clips V-JEPA's reading, although the best here, is not good enough yet.

# %% [markdown]
# ### Pick a start, pick a model
#
# Set the initial angle and angular velocity, choose a vector field (the three fitted on true states,
# and the two fitted on states read from frames) and a rollout length: left, its phase portrait over the
# exact pendulum's; right, the true energy along both.

# %%
explorer = widgets.pendulum_explorer({**fields, **{f"{k} (from frames)": m for k, m in from_frames.items()}},
                                     dt=preset.rollout_dt, max_steps=1000,
                                     substeps=preset.rollout_substeps)
explorer

# %% [markdown]
# **What to try**
# - Start near the top (`θ0` = 3.0, `ω0` = 0): the slowest, most nonlinear swing. Which model's energy
#   wanders first?
# - Give it enough speed to go over the top (`ω0` = 5 at `θ0` = 1.5): the training data never did that
#   (energies up to 12, the top needs 19.6). What does each model do outside its data?
# - Compare `MLP` and `HNN` over 1,000 steps: the MLP's energy creeps, the HNN's wobbles in a band.

# %% [markdown]
# ## 6. Physics in the latent, with no state labels
#
# Section 5 needed labels before any physics: a probe fitted on the simulator's states turned V-JEPA's
# features into `(θ, ω)`, and the fields were fitted on those numbers. A world model should not need
# someone to tell it what the state is. So here the field lives in a code learned from the features
# alone (`jepa_lab.latent_physics`):
# - a small **head** maps the frozen V-JEPA features of each 8-frame window (its tokens averaged over
#   space, the four time steps kept in order: 384 numbers) to **two numbers `z`**, and a **decoder** maps
#   `z` back to the features;
# - a **vector field on `z`**, an HNN or an MLP, is rolled out with RK4 for 10 frames (0.5 s) from the
#   first window's code; the rolled-out codes must land on the later windows' codes *and* decode to their
#   features;
# - a floor on each number's spread (VICReg's variance term) keeps `z` from shrinking to a point, and the
#   feature rollout keeps it from settling on what never changes: a code that held only the energy would
#   be perfectly predictable, and useless.
#
# No state label enters training: 48 trajectories of 200 windows (seed `seed + 4`), features only. Labels
# come in only to **judge**: each code is read back as a state from its 10 nearest training codes' true
# states, and the rollouts are judged by the true energy of those read-back states. Both fields get the
# same code, data and budget (3,000 steps; shipped for `cpu` mode: `python -m jepa_lab.latent_physics
# --mode cpu`, 4.5–7 min for the HNN and 3–5.5 for the MLP, each on one thread beside another job).
#
# **Predict, then run.** In section 3 the HNN kept the energy 133 times better than the MLP (15–20 times with other seeds). Here the
# HNN conserves *its own* `H(z)` in a coordinate system it invented. Will the true energy of what it
# predicts hold better than the MLP's?

# %%
latent_preset = config.for_notebook("08-latent", mode=preset.mode)
latent_expect = config.expectations("08-latent", preset.mode)
latent_data = tasks.latent_fields.latent_data(latent_preset, model)
latent = {name: tasks.fit_or_load("latent_field", latent_preset, name, retrain=RETRAIN, data=latent_data)[0]
          for name in latent_physics.FIELDS}
reviews = {name: tasks.latent_fields.review(m, latent_preset, latent_data) for name, m in latent.items()}
judged = {name: scores for name, (scores, _, _) in reviews.items()}
first = latent_preset.length
print(f"judged on {latent_preset.test_trajectories} held-out trajectories (ω spread "
      f"{latent_data['test_states'][..., 1].std():.2f} rad/s); rollouts of {latent_preset.rollout_steps} steps "
      f"({latent_preset.rollout_steps * preset.dt:.0f} s)")
print(f"{'field':>5} | read back: angle (rad), ω (rad/s) | energy drift: mean, median, first {first} steps | "
      "energy level, off by | angle error")
for name, j in judged.items():
    print(f"{name:>5} | {j['read_angle']:24.3f}, {j['read_omega']:6.3f} | {j['drift_mean']:19.1%}, "
          f"{j['drift_median']:6.1%}, {j['drift_first_mean']:6.1%} | {j['energy_level']:12.2f}, "
          f"{j['energy_level_error']:6.2f} | {j['rollout_angle']:.2f}")
print(f"the true trajectories, read back window by window, already 'drift' {judged['HNN']['floor_drift_mean']:.1%}"
      f" over their {first} steps: the reader's own noise")
# the two-number code carries the state (without labels), and the HNN in it keeps the true energy: it drifts
# less than the MLP, and its energy level stays near the truth rollout by rollout
for j in judged.values():
    assert j["read_angle"] <= latent_expect.code_angle and j["read_omega"] <= latent_expect.code_omega
assert judged["MLP"]["drift_mean"] >= latent_expect.latent_drift_ratio * judged["HNN"]["drift_mean"]
assert judged["HNN"]["energy_level_error"] <= latent_expect.level_band

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
codes = latent_physics.encode_trajectories(latent["HNN"], latent_data["test"])
states = latent_data["test_states"]
for ax, values, label in ((axes[0], states[..., 0], "θ (rad)"), (axes[1], states[..., 1], "ω (rad/s)")):
    dots = ax.scatter(codes[..., 0].flatten(), codes[..., 1].flatten(), c=values.flatten(), s=2, cmap="twilight"
                      if label.startswith("θ") else "coolwarm")
    fig.colorbar(dots, ax=ax, label=label)
    ax.set(title=f"the HNN's code z, coloured by the true {label.split()[0]}", xlabel="z₁", ylabel="z₂")
start = pendulum.energy(states[:, 0, 0], states[:, 0, 1])
for name, (_, _, decoded) in reviews.items():  # the rollouts the judge scored above
    e = pendulum.energy(decoded[..., 0], decoded[..., 1])
    axes[2].plot(torch.arange(e.shape[1]) * preset.dt, (e / start[:, None] - 1).abs().mean(0), label=name)
axes[2].set(title="energy error of the decoded rollouts", xlabel="time (s)",
            ylabel="|E(t) / E_true(0) − 1|, mean")
axes[2].legend()
fig.tight_layout()
plt.show()
with torch.no_grad():  # the HNN's own energy, averaged along each held-out trajectory, against the true one
    h = latent["HNN"].field.hamiltonian(codes.reshape(-1, 2)).reshape(codes.shape[:2]).mean(1)
ranks = torch.stack([h.argsort().argsort(), start.argsort().argsort()]).float()
print(f"H(z) orders the {len(h)} trajectories by true energy with rank correlation {torch.corrcoef(ranks)[0, 1]:.3f}")

# %% [markdown]
# Follow one trajectory: pick a field and a held-out trajectory, and watch its rollout in the code plane (left)
# and the true energy of what it predicts, read back as states (right).

# %%
widgets.latent_field_explorer(latent, {name: reader for name, (_, reader, _) in reviews.items()},
                              latent_data["test"], latent_data["test_states"], preset.dt,
                              max_steps=latent_preset.rollout_steps)

# %% [markdown]
# **What to try**
# - The MLP on a few trajectories at 2,000 steps: where in the plane does its rollout end up, and what
#   happens to its energy when it gets there?
# - The HNN on the same trajectories: does its rollout stay on the trajectory's loop?

# %% [markdown]
# Measured (shipped `cpu` fields, seed 0; 16 held-out trajectories, rollouts of 2,000 steps = 100 s, about
# 40–48 swings). The energy drift is each rollout's largest `|E(t) − E(0)| / E(0)`, with the true energy of
# the read-back states; "energy level" is the decoded energy averaged over a rollout, over its true starting
# energy (1 is right), averaged over rollouts, and "off by" the mean of `|level − 1|`, so that rollouts that
# gain and rollouts that lose do not cancel; the angle error is against the true pendulum over the whole
# rollout:
#
# | field in the code | read back: angle, ω | drift: mean, median, first 200 steps | energy level, off by | angle error |
# |---|---|---|---|---|
# | HNN | 0.014 rad, 0.051 rad/s | 16.3 %, 16.6 %, 14.9 % | 1.003, 0.034 | 0.92 rad |
# | MLP | 0.015 rad, 0.048 rad/s | 60.7 %, 49.5 %, 46.3 % | 1.268, 0.402 | 0.94 rad |
# | the true trajectories, read back through the HNN's code | | over their 200 steps: 10.7 % | | |
#
# The last row is the floor: the reader's own noise, 0.05 rad/s on ω, moves the energy of slow swings by
# several per cent.
#
# What to read from it:
# - **Two numbers, learned without labels, hold the pendulum's state.** The code is a phase portrait:
#   each trajectory draws a closed loop, θ goes round it and ω changes sign across it (left and middle).
#   Read back from its neighbours, a code gives the angle to about a hundredth of a radian and ω to about
#   0.05 rad/s, against an ω spread of 2.5 rad/s.
# - **Structure still pays.** Over the first 200 steps the HNN's rollouts drift 14.9 %, a little above the
#   reader's own 10.7 %; over all 2,000, 16.3 %, and its rollouts' energy level is off from the truth by
#   3.4 % on average (0.034). The MLP's drift 61 %, 3.7 times as much, and their energy wanders
#   by 40 % per rollout, upwards on average (level 1.27). The HNN conserves its own `H(z)`, and its
#   `H` is a function of the true energy (the rank correlation printed above), so conserving `H` there
#   means conserving the real energy.
# - **How much depends on the seed.** With two more seeds (the code's own data, initialisation and
#   batches; the same V-JEPA) the MLP drifted 59 % and 61 % against the HNN's 15 % and 19 % (3.9 and 3.2
#   times), its energy off by 0.36 and 0.18 per rollout against the HNN's 0.043 and 0.047. The gap grows
#   with the horizon: over the first 200 steps (10 s) seed 2's MLP drifted less than its HNN (17 % against
#   19 %).
# - **Neither field predicts the swing itself for long.** Over 100 s the rolled-out phase drifts away from
#   the true one (averaged over the 100 s, the angle error is 0.9 rad: the phase is lost): a small error in the
#   period adds up. What the HNN keeps is the *amplitude*, which is what the energy measures.

# %% [markdown]
# ## Summary
#
# - A pendulum's state is easy to read from pixels: a linear probe on V-JEPA's pooled latents recovers
#   `cos θ`, `sin θ` and `ω` almost perfectly, but so do a random encoder and two raw frames; on this
#   data the probe shows that the latents *carry* the state, not that V-JEPA was needed to get it. A
#   probe on all token features reads it to a few thousandths, and so do the same probe on the random encoder's
#   tokens and on the window's pixels: on clean renders the readers tie.
# - Make the pictures harder and the trained encoder earns its place: on clips where every pendulum and
#   background has its own colour and flashes come and go, V-JEPA's features in time order read `ω` at
#   R² 0.14–0.20 over three training seeds, and the random encoder and the pixels read nothing on the same
#   linear probe. Far from perfect, and only with enough labels, but only the trained encoder reads it linearly (a 20-neighbour
#   average on the pixels reads 0.13).
#   Fields fitted on states read from those clips show the limit: V-JEPA's reading gives fields that get
#   40–50 % of the pendulum's acceleration right, the baselines' less, but no field keeps the energy (every
#   field drifts by 70 % or more). A reading has to be good before structure can pay.
# - Structure pays over long horizons: with the same data and budget, the HNN and LNN drifted in true
#   energy 0.021 % and 0.061 % on average over 1,000 steps (worst start 0.054 % and 0.14 %), the accurate MLP drifted 2.8 % (133x and 45x;
#   with seeds 1 and 2 the MLP drifted 0.50 %, 15x and 19.6x the HNN); on states read from frames 17x
#   (HNN) and 10x (LNN). Measure the integrator's own drift first: with 2 RK4 substeps it is as large as the HNN's.
# - An LNN trained on the Euler–Lagrange residual alone can "converge" to a constant Lagrangian; report
#   `∂²L/∂ω²` beside the residual, and pin its scale or train through the Hessian.
# - Physics without labels: a two-number code of V-JEPA's features, learned from feature trajectories
#   alone, is a phase portrait of the pendulum, and an HNN in it keeps the true energy of its decoded
#   rollouts better than an MLP in the same code (over 100 s, drift 15–19 % against 59–61 % on three
#   seeds, the reader's own noise alone giving 11–13 %; the HNN's rollouts' energy level off by 3–5 % on average,
#   the MLP's by 18–40 %). Neither keeps the phase for long.
#
# ## Exercises
#
# 1. Write the pendulum's energy per unit mass, `E = ω²/2 + g (1 − cos θ)` with `g = 9.81`.
# 2. Write one RK4 step of `dx/dt = field(x)` with step `h`.
#
# Each check prints one line: `[not done yet]` until you replace the stub, then `[correct]`, or
# `[wrong]` / `[error]` with the first mismatch. Stuck? `checks.hint("pendulum_energy")` gives a nudge,
# `checks.hint("pendulum_energy", 2)` the idea, `checks.hint("pendulum_energy", 3)` the answer, and
# `checks.solution("pendulum_energy")` prints the reference code (the same with `"rk4_step"`).

# %%
def my_energy(theta, omega):
    # theta, omega: tensors of the same shape; returns the energy per unit mass, same shape
    raise NotImplementedError  # your code here


checks.check_pendulum_energy(my_energy)


# %%
def my_rk4_step(field, x, h):
    # field: a function x [N, 2] -> dx/dt [N, 2]; x: [N, 2]; h: the step; returns x after one step
    raise NotImplementedError  # your code here


checks.check_rk4_step(my_rk4_step)

# %% [markdown]
# ## Going further
#
# - Damping (`make_pendulum(..., damping=0.3)`): energy is no longer conserved, and an HNN cannot
#   represent that. What does it do with damped data? (Dissipative HNNs add a second, dissipative term.)
# - Section 5 on camera clips with more labels: `tasks.physics_fields.read_states(camera_preset.replace(
#   probe_train=6000), camera["V-JEPA seed 0"])` reads with 6,000 labelled clips (`reader="random init"`
#   for the baseline); fit a field on the reading with `physics.finite_difference` and
#   `tasks.physics_fields.fit_named`. How many labelled clips does V-JEPA's reading need before the HNN's
#   energy lead comes back, and does the random encoder's reading ever get there?
# - Section 6 on camera clips: encode trajectories with `tasks.latent_fields.trajectory_features(encoder,
#   camera_preset, 48, 200, seed=4)` for the camera V-JEPA's encoder (section 2's `camera_preset`) and for the
#   random encoder (`tasks.ijepa.initial_encoder(camera_preset)`), fit `tasks.latent_fields.fit_named("HNN",
#   latent_preset, features)` on each and judge them. Does either code still hold the state?
# - A symplectic integrator (leapfrog) for the exact pendulum, next to RK4: which keeps energy better over
#   100,000 steps?
#
# ## References
#
# - Greydanus, Dzamba, Yosinski, *Hamiltonian Neural Networks*, NeurIPS 2019, arXiv:1906.01563.
# - Cranmer et al., *Lagrangian Neural Networks*, ICLR 2020 workshop, arXiv:2003.04630.
# - Bardes et al., *V-JEPA*, 2024, arXiv:2404.08471.
#
# **Next:** [notebook 09](09_plan_with_a_world_model.ipynb) gives a JEPA world model actions and plans with it:
# the latent rollouts of notebook 07, used to act.
