# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Mask the tokens: what the model sees and what it must predict
#
# A JEPA learns by hiding part of its input and predicting the *representation* of what it
# hid. Which tokens it hides is not a detail: hide too little and the task is trivial, hide
# random scattered tokens and the model fills gaps from neighbours, and in a video hide
# different places in each frame and it just copies them from the next frame (so video masks
# hide the same places in every frame: a tube). This notebook lets you play with
# every masking strategy of the JEPA papers and measure what each one does.
#
# **What you'll do:** draw random, block, I-JEPA multi-block and V-JEPA tube masks over real
# images and clips; read their statistics live; measure what per-frame masks leak; see what the
# batch collator throws away; and find which parts of the image masks rarely cover.
#
# **What you'll learn:** masks as *index lists* (no padding), why I-JEPA uses large semantic
# target blocks and a context with the targets removed, why V-JEPA masks tubes, and the
# hidden costs of collating and of block sampling.
#
# **What you need:** notebook 01 (tokens and grids). No GPU.
# Measured run time, top to bottom: about 0.2 min in `cpu` mode on a 2-core laptop CPU
# (`make course`), about 0.1 min in `fast` mode (a few real steps of everything, as the tests run it).

# %%
import matplotlib.pyplot as plt
import torch

from jepa_lab import checks, config, masks, plots, runtime, tokens, widgets
from jepa_lab.datasets import make_moving_shapes, make_shapes

preset = config.for_notebook("02")
generator = runtime.seed_everything(preset.seed)
device = runtime.get_device()
print(runtime.describe(preset.mode, preset.seed, device))
print(preset)
images, labels = make_shapes(preset.n_images, preset.image_size, seed=preset.seed)  # [B, 3, S, S]
grid = tokens.grid_size(preset.image_size, preset.patch_size)  # I-JEPA's 14x14 for 56 px, patch 4
print("token grid", grid)

# %% [markdown]
# ## 1. Random and block masks
#
# A mask is two lists of token indices: the **context** `ctx_idx` (what the encoder sees) and
# one or more **target** sets `tgt_idx` (what the predictor must fill in). Nothing is padded:
# the encoder simply receives fewer tokens. Random masking keeps a fraction of tokens anywhere
# (as in MAE); block masking hides one rectangle.

# %%
m_random = masks.sample_random(grid, keep_ratio=0.25, generator=generator)
m_block = masks.sample_block(grid, block=6, generator=generator)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for ax, m, name in zip(axes, (m_random, m_block), ("random, keep 25%", "block 6x6"), strict=True):
    plots.plot_mask(m, images[0], ax=ax, title=name)
for name, m in (("random", m_random), ("block", m_block)):
    print(name, masks.mask_stats(m))
assert masks.mask_stats(m_random)["disjoint"] and masks.mask_stats(m_block)["disjoint"]
assert m_random.ctx_idx.numel() == round(0.25 * grid[0] * grid[1])

# %% [markdown]
# Clear tokens are the context; tinted ones are targets. In both strategies context and targets
# are disjoint — the model never sees what it must predict. With random masking every hidden
# token has visible neighbours, so it can be filled in by local interpolation; a block forces
# a guess about a whole region.

# %%
random_explorer = widgets.mask_explorer(images, preset.patch_size, strategy="random")
random_explorer

# %% [markdown]
# **What to try**
# 1. Drag *keep ratio* down to its minimum: the title's "masked" climbs above 90% while the
#    context still has a few tokens — the slider stops before an empty context.
# 2. Set it near 0.75 (MAE's masking ratio is 75% hidden, i.e. keep 0.25): note how close every
#    hidden token is to a visible one.
# 3. Change the *seed*: same statistics, different places — masks are random but reproducible.

# %%
block_explorer = widgets.mask_explorer(images, preset.patch_size, strategy="block")
block_explorer

# %% [markdown]
# **What to try**
# 1. Grow the block side to its maximum: it stops one token short of the grid, so some context
#    always remains.
# 2. At side 3-4, step through images: how often does the block hide the whole shape?
# 3. At side 1, the block hides one token: a model could solve that by copying a neighbour.

# %% [markdown]
# **Predict, then run.** Hide the same number of tokens two ways: one 6 × 6 block, or as many tokens
# scattered at random. For which will more of the hidden tokens have a visible neighbour (above, below,
# left or right) that a model could copy from?

# %%
def share_next_to_visible(m):  # hidden tokens with a visible token above, below, left or right
    seen = torch.zeros(grid[0] * grid[1], dtype=torch.bool)
    seen[m.ctx_idx] = True
    seen = seen.view(grid)
    near = torch.zeros_like(seen)
    near[1:] |= seen[:-1]
    near[:-1] |= seen[1:]
    near[:, 1:] |= seen[:, :-1]
    near[:, :-1] |= seen[:, 1:]
    return ((near & ~seen).sum() / (~seen).sum()).item()


n_hidden = grid[0] * grid[1] - m_block.ctx_idx.numel()
m_scattered = masks.sample_random(grid, keep_ratio=1 - n_hidden / (grid[0] * grid[1]), generator=generator)
print(f"{n_hidden} hidden tokens; with a visible neighbour: scattered {share_next_to_visible(m_scattered):.0%}, "
      f"one block {share_next_to_visible(m_block):.0%}")
assert share_next_to_visible(m_scattered) > share_next_to_visible(m_block)  # a block hides its inside

# %% [markdown]
# ## 2. I-JEPA multi-block masking
#
# I-JEPA samples **K = 4 target blocks** (each 15–20% of the image, aspect ratio 0.75–1.5) and
# **one large context block** (85–100%), then removes the targets from the context. Large
# targets carry *semantic* content (a part of an object), and the context must be informative
# enough to predict them.

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
for i, ax in enumerate(axes):
    m = masks.sample_multiblock(grid, generator, num_targets=4)
    s = masks.mask_stats(m)
    plots.plot_mask(m, images[i], ax=ax, title=f"context {s['context']}, targets {s['targets']}")
    assert s["disjoint"] and len(m.tgt_idx) == 4
ctx_many, _ = masks.boolean_masks("multiblock", grid, 256, generator)
context_fraction = ctx_many.float().mean(1)  # [256]
print(f"context over 256 masks: mean {context_fraction.mean():.0%} of the tokens, "
      f"range {context_fraction.min():.0%}-{context_fraction.max():.0%}")
assert 0.2 < context_fraction.mean() < 0.8

# %% [markdown]
# Each colour is one target block; blocks may overlap each other but never the context. The
# printed mean shows how much of the image I-JEPA's encoder gets to see: roughly half, with a
# wide spread from mask to mask.
#
# In the explorer below, *max aspect* sets the targets' aspect range to (1 / max, max): its
# default 1.5 gives 0.67–1.5, a little wider than I-JEPA's 0.75–1.5 used above.

# %%
multiblock_explorer = widgets.mask_explorer(images, preset.patch_size, strategy="multiblock")
multiblock_explorer

# %% [markdown]
# **What to try**
# 1. Raise *targets K* to 8 and the target scale to 0.3-0.5: the context shrinks to a few
#    tokens; push further and the figure explains that no valid mask exists.
# 2. Set *max aspect* to 4: long thin targets appear, which are easier to predict from the
#    tokens along their sides.
# 3. Lower the context scale to 0.3: the context block itself becomes small, and targets far
#    from it must be predicted with almost no nearby evidence.

# %% [markdown]
# **Predict, then run.** With K = 4 target blocks the encoder saw about half the image. With a single
# target block (K = 1), will it see more or less, and roughly how much?

# %%
seen_k = {k: masks.boolean_masks("multiblock", grid, 256, generator, num_targets=k)[0].float().mean().item() for k in (1, 4)}
print(f"context share of the tokens over 256 masks: K = 1 {seen_k[1]:.0%}, K = 4 {seen_k[4]:.0%}")
assert seen_k[1] > seen_k[4] + 0.15  # every target block is cut out of the context

# %% [markdown]
# ## 3. Video: tube masks, and what per-frame masks leak
#
# For video, tokens live on a `(T/2, h, w)` grid of tubelets. V-JEPA hides the **same spatial
# region in every time step** (a tube). Why not a fresh random mask per frame? Because
# consecutive frames are nearly identical: a token hidden in one step is usually *visible at
# the same place one step away*, and the model can copy it instead of understanding motion.

# %%
clips, _ = make_moving_shapes(4, frames=preset.clip_frames, image_size=preset.clip_size, seed=preset.seed)
grid3 = (preset.clip_frames // 2, *tokens.grid_size(preset.clip_size, preset.patch_size))
m_tube = masks.sample_tube(grid3, generator, spatial="random", keep_ratio=0.5)
m_frame = masks.sample("per_frame", grid3, generator, keep_ratio=0.5)
fig, axes = plt.subplots(2, 1, figsize=(1.3 * preset.clip_frames, 3.6))
plots.plot_mask_frames(m_tube, clips[0], tubelet=2, ax=axes[0])
plots.plot_mask_frames(m_frame, clips[0], tubelet=2, ax=axes[1])
leak_tube, leak_frame = masks.neighbour_leak(m_tube), masks.neighbour_leak(m_frame)
print(f"hidden tokens visible at the same place one step away: tube {leak_tube:.0%}, per-frame {leak_frame:.0%}")

assert leak_tube == 0.0 and leak_frame > 0.4

# %% [markdown]
# With per-frame masks more than half of the hidden tokens (57 % for this mask, 64 % over 50 masks
# below) are visible at the same place one time step away, so a model can often fill them in by copying; tubes leak nothing, so the
# model must reason about what moved where. How much the copy is worth depends on how far
# things move per step — notebook 05 trains V-JEPA with both masks and measures the
# difference in what is learned.

# %%
tube_explorer = widgets.tube_explorer(clips[1], preset.patch_size, tubelet=2)
tube_explorer

# %% [markdown]
# **What to try**
# 1. Switch between *tube* and *per_frame*: the leak in the title jumps from 0% to more than half.
# 2. With *per_frame*, lower the keep ratio to 0.1: the leak falls — but so does the context;
#    per-frame masks trade leakage against information.
# 3. With *tube*, follow the shape: once it moves under the mask, the model must infer where it
#    went from the frames before and after.

# %% [markdown]
# **Predict, then run.** Per-frame masks, once keeping 50 % of each frame and once only 10 %. Which
# leaks more hidden tokens through the neighbouring time step?

# %%
leak_by_keep = {keep: sum(masks.neighbour_leak(masks.sample("per_frame", grid3, generator, keep_ratio=keep))
                          for _ in range(50)) / 50 for keep in (0.1, 0.5)}
print("hidden tokens visible one step away (50 masks): "
      + ", ".join(f"keep {k:.0%}: {v:.0%}" for k, v in leak_by_keep.items()))
assert leak_by_keep[0.5] > 2 * leak_by_keep[0.1]  # more context, more to copy: leakage comes with information

# %% [markdown]
# ## 4. The batch collator, and what truncation costs
#
# A batch needs tensors of equal shape, but multi-block masks have different context sizes. The
# I-JEPA collator cuts every mask to the **shortest one in the batch**. We keep a random subset
# (the reference code keeps the first indices, which favours the top of the image). What does
# it cost?

# %%
for b in preset.batch_sizes:
    batch = masks.sample_batch("multiblock", grid, b, generator)
    print(f"batch {b:>5}: context {tuple(batch.ctx_idx.shape)}, targets {[tuple(t.shape) for t in batch.tgt_idx]}, "
          f"kept {batch.ctx_kept:.0%} of context tokens, {batch.tgt_kept:.0%} of target tokens")
kept = [masks.sample_batch("multiblock", grid, b, torch.Generator().manual_seed(1)).ctx_kept for b in preset.batch_sizes]
assert all(0 < k <= 1 for k in kept) and kept[-1] < kept[0]

# %% [markdown]
# The bigger the batch, the more extreme its shortest mask, and the more context every other
# mask loses. Raising `min_context` (the reference uses 10 on 14×14) or sampling context sizes
# in a narrower range limits the waste.
#
# The targets lose tokens too (the printout's second share): here each image draws its own
# target sizes, so target *k* differs in length from image to image and is cut to the shortest
# as well. I-JEPA draws one target size (and one context size) per batch: every image's target
# blocks then have the same length and only the context, which loses the targets it overlaps, is
# cut. This course keeps per-image sizes because every model it trains and ships was made with
# them (each checkpoint's card names the command that reproduces it); the cost is that a random
# part of each target block, about a fifth at a batch of 256 on this grid (81 % of the target tokens kept, printed above), is not predicted.
#
# ## 5. Where do masks fall?
#
# Blocks must fit inside the grid, so a cell at the border is covered by fewer possible block
# positions than a cell in the middle. Counting over many samples:

# %%
cov_multi = masks.coverage("multiblock", grid, preset.coverage_samples, generator)
cov_random = masks.coverage("random", grid, preset.coverage_samples, generator, keep_ratio=0.25)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
plots.plot_coverage(cov_multi, ax=axes[0], title="multi-block: P(token is a target)")
plots.plot_coverage(cov_random, ax=axes[1], title="random: P(token is a target)")
centre = cov_multi[grid[0] // 2 - 1: grid[0] // 2 + 1, grid[1] // 2 - 1: grid[1] // 2 + 1].mean().item()
corner = cov_multi[[0, 0, -1, -1], [0, -1, 0, -1]].mean().item()
print(f"multi-block: centre tokens are targets {centre:.0%} of the time, corners {corner:.0%}; "
      f"random: {cov_random.min():.0%}-{cov_random.max():.0%} everywhere")
assert centre > 3 * corner and cov_random.max() - cov_random.min() < 0.15

# %% [markdown]
# Yes: with multi-block masks the corners are targets more than ten times less often than the
# centre (5 % against 88 % above), so a model learns less about borders; random masks are uniform. (On real photos
# objects sit near the centre, which partly hides this bias.)
#
# ## 6. Feature masks for state vectors
#
# Notebook 07 learns from states `(x, y, vx, vy)` of a bouncing ball rather than images. There
# the "tokens" are features, and masking hides positions, velocities, any `k` dimensions, or all.

# %%
state = torch.tensor([[0.2, 0.7, 0.05, -0.1]])
for kind in masks.FEATURE_MASKS:
    idx = masks.sample_feature_mask(kind, dim=4, generator=generator, k=2)
    print(f"{kind:>9}: hide {idx.tolist()} -> {masks.apply_feature_mask(state, idx).tolist()[0]}")
assert masks.sample_feature_mask("velocity").tolist() == [2, 3]

# %% [markdown]
# Hiding velocities forces the model to infer them from how positions change over time — the
# feature-space version of a tube mask.
#
# ## Summary
# - Masks are index lists: the context encoder gets fewer tokens, never padding.
# - Random masks leave every hidden token next to a visible one; I-JEPA's multi-block masks
#   hide large regions and remove them from the context.
# - Per-frame video masks leak most hidden tokens through the neighbouring time step; tube
#   masks leak none (measured above).
# - Collating to the shortest mask discards context, more so in large batches; block masks
#   under-sample the borders.
#
# ## Exercises
# 1. Write `my_block_indices(grid, top, left, bh, bw)`: the sorted token indices of a block.
# 2. Write `my_remove_targets(ctx_idx, tgt_idx)`: the context indices that are in no target set.
#
# Each check prints one line: `[not done yet]` until you replace the stub, then `[correct]`, or
# `[wrong]` / `[error]` with the first mismatch. Stuck? `checks.hint("block_indices")` gives a nudge,
# `checks.hint("block_indices", 2)` the idea, `checks.hint("block_indices", 3)` the answer, and
# `checks.solution("block_indices")` prints the reference code (the same with `"remove_targets"`).

# %%
def my_block_indices(grid: tuple[int, int], top: int, left: int, bh: int, bw: int) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.check_block_indices(my_block_indices)


# %%
def my_remove_targets(ctx_idx: torch.Tensor, tgt_idx: list[torch.Tensor]) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.check_remove_targets(my_remove_targets)

# %% [markdown]
# ## Going further
# - Sample targets first and then the context *around* them, or bias blocks toward the border:
#   does the coverage map flatten?
# - V-JEPA 2 combines short-range and long-range tube masks. Build both with
#   `masks.sample("multiblock3d", ...)` and compare their statistics.
# - How would you collate without truncation? (Hint: pad and use an attention mask — and
#   measure what it costs in notebook 03.)
#
# ## References
# - Assran et al., *Self-Supervised Learning from Images with a Joint-Embedding Predictive
#   Architecture* (I-JEPA), CVPR 2023 — multi-block masking, Fig. 4 and Appendix.
# - Bardes et al., *V-JEPA*, 2024 — tube masking and the per-frame shortcut.
# - He et al., *Masked Autoencoders Are Scalable Vision Learners*, CVPR 2022 — random masking.
#
# **Next:** [03 · Build a ViT encoder](03_build_a_vit_encoder.ipynb) — the network that reads
# the context tokens.
