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
# # 01 · Turn images and videos into tokens
#
# A transformer never sees pixels: it sees a *set of tokens*, each a small patch of the image
# (or a small tube of a video) turned into a vector. Every JEPA in this course — I-JEPA, V-JEPA,
# the pendulum model — starts with this step, and its masks, its cost and its positions are all
# decided here. By the end of this notebook you will cut an image into tokens by hand, prove
# that the "patch embedding" layer is nothing more than that, and measure why the number of
# tokens is the number that matters.
#
# **What you'll do:** cut shape images into patch grids, embed patches two ways and check they
# agree, measure attention cost against token count, cut video clips into tubelets, and look
# at 2-D sin-cos positional embeddings.
#
# **What you'll learn:** patchify/unpatchify, `PatchEmbed` = unfold + one shared linear map,
# why attention cost grows like N², tubelets, and how fixed positional embeddings encode
# "where".
#
# **What you need:** Python and a little PyTorch (tensors, `reshape`, `permute`). No GPU.
# Measured run time, top to bottom: about 0.3 min in `cpu` mode on a 2-core laptop CPU
# (`make course`), about 0.1 min in `fast` mode (a few real steps of everything, as the tests run it).

# %%
import matplotlib.pyplot as plt
import torch

from jepa_lab import checks, config, plots, posembed, runtime, tokens, widgets
from jepa_lab.datasets import SHAPE_CLASSES, make_digits, make_moving_shapes, make_shapes

preset = config.for_notebook("01")
generator = runtime.seed_everything(preset.seed)
device = runtime.get_device()
print(runtime.describe(preset.mode, preset.seed, device))
print(preset)

# %% [markdown]
# ## 1. An image becomes a grid of patches
#
# We draw labelled images from the course's `shapes` dataset (ten classes, random position,
# size and colour, noisy background — generated on the fly, nothing downloaded) and from the
# handwritten digits that ship with scikit-learn.

# %%
images, labels = make_shapes(preset.n_images, preset.image_size, seed=preset.seed)  # [B, 3, S, S]
digits, digit_labels = make_digits(preset.image_size)  # [1797, 3, S, S]
fig, axes = plt.subplots(2, 1, figsize=(10, 3.4))
plots.plot_images(images[:8], [SHAPE_CLASSES[k] for k in labels[:8]], ax=axes[0])
plots.plot_images(digits[:8], [str(int(k)) for k in digit_labels[:8]], ax=axes[1])

# %% [markdown]
# With patch size `p`, an `S×S` image becomes an `(S/p)×(S/p)` grid; each patch is flattened
# to `p·p·C` numbers. `tokens.patchify` does it with one `reshape` and one `permute`, so it
# moves numbers around without changing any: `unpatchify` must give the image back *exactly*.

# %%
p = preset.image_size // 4
patches = tokens.patchify(images, p)  # [B, N, p*p*3]
print("images", tuple(images.shape), "-> tokens", tuple(patches.shape))
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
plots.plot_patch_grid(images[0], p, ax=axes[0])
plots.plot_tokens(images[0], p, ax=axes[1])
back = tokens.unpatchify(patches, p, tokens.grid_size(preset.image_size, p))
assert torch.equal(back, images), "unpatchify(patchify(x)) must return x exactly"
assert patches.shape[1] == (preset.image_size // p) ** 2

# %% [markdown]
# The round trip is exact (not merely close): patchifying loses nothing; it only changes the
# order in which the model will read the pixels.
#
# An image whose side is not a multiple of the patch size cannot be cut this way. The library
# says so and tells you what to change:

# %%
try:
    tokens.patchify(torch.zeros(1, 3, 30, 30), 4)
except ValueError as e:
    print("ValueError:", e)

# %% [markdown]
# **Predict, then run.** A 32 × 32 RGB image is cut into patches of 8 × 8 pixels. How many tokens does
# it become, and how many numbers does each token hold? Write both down, then run the cell: its
# `assert` holds only for the right answer.

# %%
tokens_8 = tokens.patchify(torch.rand(1, 3, 32, 32), 8)  # [1, N, p*p*C]
print(f"{tokens_8.shape[1]} tokens of {tokens_8.shape[2]} numbers each")
assert tuple(tokens_8.shape) == (1, 16, 192)  # (32/8)² = 16 tokens, 8·8·3 = 192 numbers

# %% [markdown]
# ## 2. A patch embedding is one linear map, shared by every patch
#
# ViTs turn each patch into a `D`-dimensional token with `PatchEmbed`: a convolution whose
# kernel and stride both equal the patch size. Because the windows do not overlap, that
# convolution is *the same linear map applied to every flattened patch*. We check it: copy the
# convolution's weights into an `nn.Linear` (reordering them to the patch layout) and compare.

# %%
embed = tokens.PatchEmbed(image_size=preset.image_size, patch_size=p, in_chans=3, embed_dim=64)
linear = tokens.linear_from_conv(embed)  # weight [64, p*p*3]
with torch.no_grad():
    z_conv = embed(images)  # [B, N, 64]
    z_linear = linear(tokens.patchify(images, p))  # [B, N, 64]
max_diff = (z_conv - z_linear).abs().max().item()
print(f"conv weight {tuple(embed.proj.weight.shape)} -> linear weight {tuple(linear.weight.shape)}")
print(f"max |conv - unfold+linear| = {max_diff:.2e}")
assert max_diff < 1e-5

# %% [markdown]
# They agree to float32 rounding: "patch embedding" is unfold + one shared linear layer, and
# the convolution is just the fast way to write it.
#
# ## 3. How many tokens, and what they cost
#
# The token count `N = (S/p)²` is set by image size and patch size together:

# %%
sizes = (32, 64, 128, 224)
print("image \\ patch " + "".join(f"{q:>8}" for q in preset.patch_sizes))
for s in sizes:
    row = [f"{tokens.num_tokens(s, q):>8}" if s % q == 0 else f"{'-':>8}" for q in preset.patch_sizes]
    print(f"{s:>13} " + "".join(row))

# %% [markdown]
# Self-attention compares every token with every other, so its cost should grow like `N²`
# while the rest of a transformer grows like `N`. Rather than trust the formula, we let torch
# count the operations of `scaled_dot_product_attention` (4 heads of width 64, batch 1) at
# growing `N`, work out the memory its `N × N` score matrix needs, and time it too. Counts and
# memory are the same on every machine; times depend on yours (and on what else it is doing),
# so they are the illustration, not the test.

# %%
def attention_inputs(n: int) -> tuple[torch.Tensor, ...]:
    return tuple(torch.randn(3, 1, 4, n, preset.attn_dim, generator=generator))  # q, k, v: [B, heads, N, d]


def attention(q, k, v):
    return torch.nn.functional.scaled_dot_product_attention(q, k, v)


flops = [runtime.count_flops(lambda n=n: attention(*attention_inputs(n))) for n in preset.attn_tokens]
score_bytes = [4 * n * n * 4 for n in preset.attn_tokens]  # heads x N x N scores, 4 bytes each
def attention_seconds(n: int) -> float:
    q, k, v = attention_inputs(n)
    return runtime.time_call(lambda: attention(q, k, v), repeats=preset.attn_repeats)


seconds = [attention_seconds(n) for n in preset.attn_tokens]
for n, f, m, s in zip(preset.attn_tokens, flops, score_bytes, seconds, strict=True):
    print(f"N = {n:>6}: {f / 1e9:8.3f} GFLOP, scores {m / 2**20:8.1f} MiB, {s * 1e3:8.2f} ms on this machine now")
n_small, n_big = preset.attn_tokens[1], preset.attn_tokens[-1]
growth, memory_growth = flops[-1] / flops[1], score_bytes[-1] / score_bytes[1]
print(f"{n_big // n_small}x the tokens: {growth:.0f}x the operations and {memory_growth:.0f}x the score memory "
      f"(linear: {n_big // n_small}x, quadratic: {(n_big // n_small) ** 2}x); time grew {seconds[-1] / seconds[1]:.0f}x here")
plots.plot_scaling(preset.attn_tokens, seconds)
assert growth == memory_growth == (n_big / n_small) ** 2, "attention's work and memory grow with the square of N"

# %% [markdown]
# The operations and the memory grow exactly with `N²`: doubling the tokens quadruples
# attention's work. The time follows once the matrices are big (at small `N` fixed overheads
# hide it), as closely as your machine's other work allows — which is why the count, not the
# clock, is what the cell checks. Halving the patch
# size quadruples `N` and so multiplies attention cost by about 16 — which is why JEPAs encode
# *only the visible tokens* and why V-JEPA groups frames into tubelets.
#
# ## 4. Video: tubelets
#
# A clip `[C, T, H, W]` could be cut frame by frame into `T·(H/p)²` tokens. V-JEPA instead
# cuts `t×p×p` *tubelets* (t = 2), so each token spans two frames and the count halves. The
# course's `video` dataset gives clips of a shape moving in a straight line.

# %%
clips, clip_labels = make_moving_shapes(4, frames=preset.clip_frames, image_size=preset.image_size,
                                        seed=preset.seed)  # [B, 3, T, S, S]
plots.plot_clip(clips[0], tubelet=2)
tube = tokens.TubeletEmbed(frames=preset.clip_frames, image_size=preset.image_size, patch_size=p,
                           tubelet=2, in_chans=3, embed_dim=64)
with torch.no_grad():
    z_tube = tube(clips)  # [B, N, 64]
    z_tube_linear = tokens.linear_from_conv(tube)(tokens.patchify_video(clips, 2, p))
per_frame = tokens.num_tokens(preset.image_size, p, frames=preset.clip_frames, tubelet=1)
print(f"clip {tuple(clips.shape[1:])}: {per_frame} per-frame patch tokens, {z_tube.shape[1]} tubelet tokens")
assert z_tube.shape[1] * 2 == per_frame
assert (z_tube - z_tube_linear).abs().max() < 1e-5

# %% [markdown]
# Tubelets halve the token count (and so cut attention cost about four-fold), and a tubelet
# embedding is again one shared linear map — on `2·p·p·C` numbers instead of `p·p·C`.
#
# ## 5. Where is each token? Sin-cos positional embeddings
#
# Attention is blind to order: shuffle the tokens and the outputs shuffle with them. So each
# token gets a position vector added. I-JEPA uses a fixed 2-D sin-cos table: half the width
# encodes the row, half the column, each with sines and cosines of many frequencies. Below:
# the cosine similarity of one position's vector to every other position's.

# %%
grid = tokens.grid_size(preset.image_size, 4)
table = posembed.sincos_2d(grid, 64)  # [h*w, 64]
centre = (grid[0] // 2) * grid[1] + grid[1] // 2
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
sim_corner = posembed.similarity_map(table, 0, grid)
sim_centre = posembed.similarity_map(table, centre, grid)
plots.plot_similarity_map(sim_corner, 0, ax=axes[0])
plots.plot_similarity_map(sim_centre, centre, ax=axes[1])
near = sim_centre.flatten()[centre + 1].item()
far = sim_centre.flatten()[0].item()
print(f"similarity of the centre to its neighbour {near:.2f}, to the far corner {far:.2f}")
assert sim_centre.flatten().argmax().item() == centre and near > far

# %% [markdown]
# Each position is most similar to itself and the similarity falls off with distance along
# rows and columns: a fixed table gives the model "where" for free. The formula also gives a table
# for any grid size, but a trained model has only ever seen the positions of its own grid: rows and
# columns past it are values its weights never met, so running on a larger grid needs fine-tuning
# (or a table stretched to the old range), not just a bigger table.
#
# ## 6. Explore: patch size, grid and token count
#
# Pick an image and a patch size. Only sizes that divide the image side are offered, so every
# setting is a valid grid.

# %%
explorer = widgets.patch_size_explorer(images)
explorer

# %% [markdown]
# **What to try**
# 1. Move the patch size to its smallest value: the token count jumps and the pairs
#    attention must compare (in the title) grow with its square.
# 2. Move it to its largest: only 4 tokens remain and a whole shape fits in one patch —
#    a model would have almost nothing to predict between patches.
# 3. Step through images at a middle patch size: count how many tokens a shape covers.
#    This is roughly how many tokens a target block must hide to hide the object (notebook 02).

# %% [markdown]
# **Predict, then run.** Two questions on cost (sections 3 and 4):
# 1. Halve the patch size of a 32-pixel image from 8 to 4. How many times more tokens, and how many
#    times more token pairs must attention compare?
# 2. V-JEPA's clips: 16 frames of 224 × 224 pixels, patches of 16, tubelets of 2 frames. How many
#    tokens? (One 224-pixel image with patches of 16 has 196.)

# %%
n8, n4 = tokens.num_tokens(32, 8), tokens.num_tokens(32, 4)
n_clip = tokens.num_tokens(224, 16, frames=16, tubelet=2)
print(f"patch 8: {n8} tokens, patch 4: {n4} tokens ({n4 // n8}x), token pairs {n4**2 // n8**2}x; "
      f"a 16-frame clip: {n_clip} tokens ({n_clip // 196}x an image)")
assert n4 == 4 * n8 and n4**2 == 16 * n8**2 and n_clip == 8 * 196

# %% [markdown]
# ## Summary
# - `patchify` is a lossless reshape: an image becomes `N = (S/p)²` tokens of `p·p·C` values.
# - `PatchEmbed` is unfold + one linear map shared by all patches (checked to 1e-5).
# - Attention time grows about like `N²` (measured above), so the token count is the cost
#   knob; tubelets of 2 frames halve it for video.
# - Fixed 2-D sin-cos tables tell attention where each token sits.
#
# ## Exercises
# 1. Write `my_patchify(x, patch_size)` with `reshape` and `permute` only, matching
#    `tokens.patchify`'s order (row-major grid; inside a patch, `(p, p, C)`).
# 2. Write `my_num_tokens(image_size, patch_size, frames, tubelet)`: the token count of an
#    image (`frames=1`) or of a clip cut into `tubelet`-frame tubelets.
#
# Each check prints one line: `[not done yet]` until you replace the stub, then `[correct]`, or
# `[wrong]` / `[error]` with the first mismatch. Stuck? `checks.hint("patchify")` gives a nudge,
# `checks.hint("patchify", 2)` the idea, `checks.hint("patchify", 3)` the answer, and
# `checks.solution("patchify")` prints the reference code (the same with `"num_tokens"`).

# %%
def my_patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    # x: [B, C, H, W] -> [B, N, patch_size * patch_size * C]
    raise NotImplementedError  # your code here


checks.check_patchify(my_patchify)


# %%
def my_num_tokens(image_size: int, patch_size: int, frames: int = 1, tubelet: int = 1) -> int:
    raise NotImplementedError  # your code here


checks.check_num_tokens(my_num_tokens)

# %% [markdown]
# ## Going further
# - Overlapping patches (stride < kernel) are used by some hybrid models: what does that do to
#   `N`, and is the embedding still one linear map per patch?
# - Read how ViT interpolates a *learned* positional table to a new resolution, and compare
#   with sin-cos, which needs no interpolation.
# - Time attention with `torch.nn.MultiheadAttention` instead: same slope?
#
# ## References
# - Dosovitskiy et al., *An Image is Worth 16x16 Words* (ViT), ICLR 2021.
# - He et al., *Masked Autoencoders Are Scalable Vision Learners* (MAE), CVPR 2022 — sin-cos tables.
# - Bardes et al., *V-JEPA: Revisiting Feature Prediction for Learning Visual Representations
#   from Video*, 2024 — 2×16×16 tubelets.
#
# **Next:** [02 · Mask the tokens](02_mask_the_tokens.ipynb) — choose which tokens the context
# encoder sees and which it must predict.
