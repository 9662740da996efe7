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
# # 06 · Make JEPA collapse, measure it, and cure it
#
# A JEPA predicts its own features, so it has a way to cheat: make every feature the same vector and
# predict it perfectly. "Why doesn't it collapse?" and "my probe is at chance" are the questions JEPA
# users ask most. Here you make collapse happen on purpose, watch it with cheap metrics logged during
# training, and compare the cures: the EMA target, VICReg's variance and covariance terms, and
# LeJEPA's SIGReg.
#
# **What you'll do:** train a small I-JEPA with its guard removed and watch its features shrink while
# its loss looks fine; read the collapse monitor (feature spread, effective rank, spectrum, mean
# cosine); compare seven controlled ablations side by side; turn the collapse dial; find where
# VICReg's weight tips into collapse.
#
# **What you'll learn:** what collapse looks like in numbers, which metric catches it and which misses
# it, and what each ingredient of the recipes (stop-gradient, EMA, narrow predictor, VICReg, SIGReg)
# actually does at this scale.
#
# **What you need:** notebooks 01–04. No GPU. Measured run time, top to bottom:
# about 0.7 min in `cpu` mode on a 2-core laptop CPU with the shipped ablation file (`make course`;
# `RERUN = True` re-runs all fifteen runs here, about 5 min of training with one thread), about
# 0.4 min in `fast` mode (a few real steps of everything, as the tests run it).

# %%
import matplotlib.pyplot as plt

from jepa_lab import checks, config, plots, runtime, tasks, widgets
from jepa_lab.tasks import collapse

preset = config.for_notebook("06")
generator = runtime.seed_everything(preset.seed)
device = runtime.get_device()
print(runtime.describe(preset.mode, preset.seed, device))
print(preset)

# %% [markdown]
# ## 1. Collapse, on purpose
#
# The model is notebook 04's I-JEPA, made small (width 64, 16 tokens) so each run takes seconds. Its
# first variant is plain I-JEPA: EMA target, stop-gradient, narrow predictor, *no* extra regulariser.
# `collapse.run` trains it with the course engine and asks the collapse monitor
# (`evaluate.collapse_monitor`) for a reading every `monitor_every` steps, on a fixed batch of held-out
# images.

# %%
floor = collapse.random_init_probe(preset)
plain = collapse.run(preset, "I-JEPA")
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.4))
plots.plot_history(plain["history"], ax=a, label="I-JEPA loss")
plots.plot_monitor({"I-JEPA": plain}, "feature_std", ax=b, reference=floor["feature_std"])
plt.show()
start, end = plain["history"]["monitor"][0], plain["final"]
print(f"loss {plain['history']['loss'][0]:.3f} -> {plain['history']['loss'][-1]:.3f}; feature std "
      f"{start['feature_std']:.4f} -> {end['feature_std']:.4f} (isotropic would be {end['isotropic_std']:.3f}); "
      f"probe {plain['probe']:.3f} vs random init {floor['probe']:.3f}")
assert plain["history"]["loss"][-1] < plain["history"]["loss"][0]  # the loss "improves"...
assert end["feature_std"] < 0.5 * floor["feature_std"]  # ...while the features shrink towards one vector

# %% [markdown]
# The loss falls, so by the usual signal training is going well. Meanwhile the spread of the
# (L2-normalised, pooled) features shrinks to a fraction of what even the *untrained* encoder had:
# every image is being mapped close to the same point. The probe says what that costs.
#
# ## 2. Read the collapse monitor
#
# Four numbers, each cheap enough to log every few steps (`evaluate.collapse_report`):
# - **feature std**: mean per-dimension std of L2-normalised features, `1/sqrt(D)` for an isotropic
#   spread, 0 for full collapse;
# - **effective rank**: `exp(entropy)` of the normalised singular values, 1 to D;
# - **spectrum**: those singular values themselves (the plots leave out components below 1e-6 of the
#   first: the last one of centred features is a numerical zero, about 1e-7 of the first or less in most runs, that would squeeze the axis);
# - **mean cosine** between different images' features, 1 when all point the same way.
#
# Below, the collapsed run next to the same model with VICReg's terms (C-JEPA).

# %%
guarded = collapse.run(preset, "C-JEPA")
for name, r in (("random init", floor), ("I-JEPA", plain["final"]), ("C-JEPA", guarded["final"])):
    print(f"{name:>12}: feature std {r['feature_std']:.4f}  effective rank {r['effective_rank']:5.1f}/{r['width']}  "
          f"mean cosine {r['mean_cosine']:.3f}")
plots.plot_spectra({"random init": floor["spectrum"], "I-JEPA": plain["spectrum"], "C-JEPA": guarded["spectrum"]})
plt.show()  # components below 1e-6 of the first are numerical zeros and are not drawn
assert guarded["final"]["feature_std"] > 10 * plain["final"]["feature_std"]
assert guarded["final"]["mean_cosine"] < plain["final"]["mean_cosine"]

# %% [markdown]
# **Predict, then run.** 512 feature vectors that are all one vector plus noise a thousand times smaller.
# Their feature std is tiny and their mean cosine close to 1. Will the effective rank be close to 1, or
# close to the width, 64?

# %%
import torch

from jepa_lab import evaluate  # the collapse metrics themselves

g = torch.Generator().manual_seed(preset.seed)
nearly_collapsed = torch.randn(1, 64, generator=g) + 1e-3 * torch.randn(512, 64, generator=g)  # [N, D]
r = evaluate.collapse_report(nearly_collapsed)
print(f"feature std {r['feature_std']:.5f}, mean cosine {r['mean_cosine']:.4f}, "
      f"effective rank {r['effective_rank']:.1f} of {r['width']}")
assert r["feature_std"] < 1e-3 and r["mean_cosine"] > 0.99 and r["effective_rank"] > 0.5 * r["width"]

# %% [markdown]
# Feature std separates the two runs by well over an order of magnitude, and mean cosine tells
# "all features point one way" (near 1) from "spread out" (near 0). Note that even the *untrained*
# encoder's mean cosine is close to 1: a random ViT's pooled features share one dominant direction,
# which is why a random network is the honest floor, not an isotropic ideal. Effective rank is the
# unreliable one: it is scale-free, so features that shrink towards one vector *while keeping a little
# isotropic noise around it* keep their rank — in the shipped `cpu` file the most collapsed run of
# section 3 (no stop-gradient, feature std 0.0003) has the *highest* effective rank of all (44 of 64).
# Watch the spread, not only the rank.
#
# ## 3. Seven ablations, side by side
#
# Each variant changes one thing (`collapse.VARIANTS`). In `cpu` mode the runs come from
# `data/collapse/collapse_cpu.json`, made by `python -m jepa_lab.collapse --mode cpu --out
# data/collapse/collapse_cpu.json` (its command, commit and thread count are inside); set
# `RERUN = True` to make them here. In `fast` mode they always run here.

# %%
RERUN = False
results, _ = tasks.fit_or_load("collapse", preset, retrain=RERUN)
runs = results["runs"]
plots.collapse_table(results)  # probe: held-out linear probe; feature std and effective rank: the monitor's last reading

# %%
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
plots.plot_monitor(runs, "feature_std", ax=a, reference=results["random init"]["feature_std"], legend=False)
plots.plot_monitor(runs, "mean_cosine", ax=b, reference=results["random init"]["mean_cosine"])  # one legend, outside
plt.show()

# %%
std = {name: r["final"]["feature_std"] for name, r in runs.items()}
unguarded = ("I-JEPA", "no stop-gradient", "momentum 0", "wide predictor")
guards = ("VICReg, no EMA", "SIGReg, no EMA", "C-JEPA")
worst = min(unguarded, key=std.get)
print(f"most collapsed: {worst} (feature std {std[worst]:.4f}); weakest guard: "
      f"{min(guards, key=std.get)} ({min(std[g] for g in guards):.4f})")
assert std[worst] < 0.5 * results["random init"]["feature_std"]  # at least one ablation collapses
assert all(std[g] > 10 * std[worst] for g in guards)  # and each regulariser prevents it
assert all(runs[g]["probe"] > runs[worst]["probe"] for g in guards)  # which the probe confirms

# %% [markdown]
# What the table says at this scale (the numbers quoted are the shipped `cpu` file's, 300 steps, seed 0;
# yours are printed above):
# - Every variant **without an explicit regulariser** ends with its feature spread below even the
#   random-init encoder's (0.0003–0.0030 against 0.0101), I-JEPA with its EMA target included, and probes
#   within a few points of random init (0.20–0.25 against 0.20). The EMA, the stop-gradient and the
#   narrow predictor slow collapse down; over a few hundred steps they do not stop it. (I-JEPA at scale
#   relies on more: large, varied data, long schedules and a momentum tuned with them.)
# - **Removing the stop-gradient** collapses furthest (0.0003, mean cosine 0.99999): with gradients
#   through both branches, "make everything the same" is one gradient step away.
# - **VICReg's terms**, with or without EMA, and **SIGReg** (no EMA, no stop-gradient: LeJEPA's bet) keep
#   the spread an order of magnitude above random init (about 0.10). VICReg's runs probe best (0.45
#   without EMA, 0.42 with it); SIGReg's, at the weight and budget tried here (0.05, 300 steps), probes
#   0.30 — clearly above the collapsed runs, clearly below VICReg. Preventing collapse is necessary, not
#   sufficient.

# %% [markdown]
# ## 4. The collapse dial, and where VICReg tips over
#
# The dial sets two things: the target (the EMA copy, or momentum 0: the online encoder with
# stop-gradient) and VICReg's variance weight (covariance weight 1/25 of it). Every setting is a run of
# the sweep in the same results (`collapse.sweep`), so moving the dial costs nothing. Left: the feature
# spread over training for every weight at this target, the chosen one bold. Right: its final spectrum
# against the random-init encoder's.

# %%
dial = widgets.collapse_explorer(results)
dial

# %% [markdown]
# **What to try** (numbers: the shipped `cpu` file)
# - Set the weight to 0 and switch the target: with EMA or without, the spread ends below the dotted
#   random-init line — the EMA alone does not hold collapse off here.
# - Set the weight to 0.01 and switch the target: with the EMA target the spread is already healthy
#   (probe 0.39), with momentum 0 it barely clears the line (probe 0.26). The EMA does something after
#   all: a weak guard goes much further with it.
# - At 0.1 and 1 both targets are healthy and probe within a few points of each other (0.41–0.45): once
#   the guard is strong enough, it does the work.

# %%
rows = [(r["target"], r["var_weight"], r["final"]["feature_std"], r["probe"]) for r in results["sweep"]]
for target, w, s, p in rows:
    print(f"{target:>10}, VICReg variance weight {w:<6g}: feature std {s:.4f}, probe {p:.3f}")
for target in collapse.SWEEP_TARGETS:
    healthy = [w for t, w, s, _ in rows if t == target and s > results["random init"]["feature_std"]]
    print(f"{target}: smallest weight that keeps the spread above random init: {min(healthy) if healthy else 'none'}")
    spread = {w: s for t, w, s, _ in rows if t == target}
    assert spread[0.0] < results["random init"]["feature_std"] < spread[max(spread)]  # 0 collapses, the most does not

# %% [markdown]
# **Predict, then run.** VICReg's variance term on two batches: features with std 2 in every dimension,
# and the nearly collapsed features of section 2's last cell. Which one scores zero, and how big is the other?

# %%
from jepa_lab import losses

spread = 2 * torch.randn(512, 64, generator=g)
v_spread, v_collapsed = losses.variance_term(spread).item(), losses.variance_term(nearly_collapsed).item()
print(f"variance term: spread {v_spread:.3f}, nearly collapsed {v_collapsed:.3f}")
assert v_spread == 0 and v_collapsed > 0.95  # only dimensions with std below 1 are pushed, collapsed ones hardest

# %% [markdown]
# ## Summary
#
# - Collapse is a falling loss with shrinking features: watch the per-dimension spread of normalised
#   features and the mean cosine; effective rank alone can miss it.
# - At this scale and budget every unregularised variant collapses, EMA included, and removing the
#   stop-gradient collapses furthest.
# - VICReg's variance/covariance terms and LeJEPA's SIGReg prevent collapse by construction; VICReg's
#   runs give the best probes here, which is why notebook 04's recipe uses its terms. The EMA target
#   alone does not prevent collapse, but it makes a weak guard work much better: at VICReg weight 0.01 it
#   gives a healthy spread and probe (0.39), while without it the same weight's spread barely clears random
#   init's (probe 0.26).
#
# ## Exercises
#
# 1. Write VICReg's variance term: `mean_d relu(1 − sqrt(Var(z_d) + 1e-4))` over features `[N, D]`
#    (unbiased variance, over the batch).
# 2. Write VICReg's covariance term: the sum of squared off-diagonal entries of the covariance matrix of
#    `z` (centred, divided by `N − 1`), divided by `D`.
#
# Each check prints one line: `[not done yet]` until you replace the stub, then `[correct]`, or
# `[wrong]` / `[error]` with the first mismatch. Stuck? `checks.hint("variance_term")` gives a nudge,
# `checks.hint("variance_term", 2)` the idea, `checks.hint("variance_term", 3)` the answer, and
# `checks.solution("variance_term")` prints the reference code (the same with `"covariance_term"`).

# %%
def my_variance_term(z):
    # z: [N, D] features; returns a scalar tensor
    raise NotImplementedError  # your code here


checks.check_variance_term(my_variance_term)


# %%
def my_covariance_term(z):
    # z: [N, D] features; returns a scalar tensor
    raise NotImplementedError  # your code here


checks.check_covariance_term(my_covariance_term)

# %% [markdown]
# ## Going further
#
# - `losses.sigreg` tests 1-D projections against N(0, 1) with the Epps–Pulley statistic: compare
#   `losses.sigreg(torch.randn(1024, 64))` with the same for a scaled, shifted or low-rank batch.
# - Run the ablations longer (`collapse.run(preset.replace(steps=1000), "I-JEPA")`): does the EMA
#   variant recover, or keep shrinking?
# - The full VICReg loss on two views (`losses.vicreg`) returns its three terms separately: build two
#   augmented views of the shapes and train a joint-embedding model without a predictor.
#
# ## References
#
# - Bardes, Ponce, LeCun, *VICReg*, ICLR 2022, arXiv:2105.04906.
# - Mo, Tong, *Connecting Joint-Embedding Predictive Architecture with Contrastive Self-supervised
#   Learning* (C-JEPA), NeurIPS 2024, arXiv:2410.19560.
# - Balestriero, LeCun, *LeJEPA: Provable and Scalable Self-Supervised Learning Without the
#   Heuristics* (SIGReg), 2025, arXiv:2511.08544.
# - Chen, He, *Exploring Simple Siamese Representation Learning* (stop-gradient), CVPR 2021.
# - Garrido et al., *RankMe* (effective rank as a quality signal), ICML 2023.
#
# **Next:** [notebook 07](07_lejepa_latent_dynamics.ipynb) uses these regularisers in a latent dynamics model.
